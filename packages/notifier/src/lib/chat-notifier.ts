import type {
  Alert,
  Clock,
  Instant,
  Logger,
  NotificationPreferences,
  NotificationStore,
  Notifier,
  OutboxItem,
  TimerHandle,
} from '@riskd/core-engine';
import { type ChannelConfig, type ChannelSummary, sameChannel, validateChannels } from './channel-config.js';
import { type SendOutcome, describeError, sendToChannel } from './channel-transport.js';
import { NotifierValidationError, type NotifierProblem } from './notifier-errors.js';
import { DEFAULT_PREFERENCES, inQuietHours, validatePreferences } from './preferences.js';
import { type SuppressionReason, routeAlert } from './routing.js';
import { NOTIFICATION_FAILED_KIND, classifySeverity } from './severity.js';
import { assertTimeZone } from './wall-clock.js';

/** Options of {@link ChatNotifier}. */
export interface ChatNotifierOptions {
  /** The durable outbox and the trader's preferences. */
  readonly store: NotificationStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly channels: readonly ChannelConfig[];
  /** IANA zone quiet hours are read in (the trading-day zone), e.g. `America/Chicago`. */
  readonly timeZone: string;
  /** Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /** Length of the tumbling window that coalesces alerts of one account and channel; default 1,000 ms. */
  readonly coalesceWindowMs?: number;
  /** First retry delay; it doubles per failed attempt. Default 1,000 ms. */
  readonly initialBackoffMs?: number;
  /** Longest retry delay; default 300,000 ms (5 min). */
  readonly maxBackoffMs?: number;
  /** Undelivered for this long while failing: the channel has failed for good. Default 24 h. */
  readonly giveUpAfterMs?: number;
  /** A request without an answer this long is a retryable failure; default 10,000 ms (on the Clock). */
  readonly requestTimeoutMs?: number;
  /** Items kept in memory while the store cannot be written; beyond it the oldest non-critical go. Default 10,000. */
  readonly maxBufferedItems?: number;
  /** Most items written per `enqueue` and read per `due`; default 500. */
  readonly batchSize?: number;
  /** Wait before trying the store again after it failed; default 1,000 ms, doubling to 30 s. */
  readonly storeRetryMs?: number;
  /** Called for every permanent failure, besides the admin alert the notifier raises itself. */
  readonly onPermanentFailure?: (failure: PermanentFailure) => void;
}

/** A channel, or one message to it, given up on. */
export interface PermanentFailure {
  readonly channel: string;
  readonly type: ChannelConfig['type'];
  /** `channel`: nothing more is sent to it until reconfigured; `message`: only these items were refused. */
  readonly scope: 'channel' | 'message';
  readonly status?: number;
  /** What went wrong, without secrets. */
  readonly reason: string;
  readonly at: Instant;
  /** Outbox items marked failed by this failure. */
  readonly itemIds: readonly string[];
}

/** Counters since construction (`sending` and `buffered` are current values). */
export interface NotifierStats {
  /** Alerts accepted by `notify` (duplicates not counted). */
  readonly accepted: number;
  /** `notify` calls ignored because the alert id was already accepted. */
  readonly duplicates: number;
  /** Outbox items written to the store. */
  readonly enqueued: number;
  /** Outbox items marked delivered. */
  readonly delivered: number;
  /** Outbox items marked for retry after a failed request. */
  readonly retried: number;
  /** Outbox items that waited for a channel backing off (marked for retry without a request). */
  readonly deferred: number;
  /** Outbox items marked failed (permanent failure, channel removed or disabled). */
  readonly failed: number;
  /** (alert, channel) pairs not sent because of the channel's minSeverity or the trader's preferences. */
  readonly suppressed: number;
  readonly suppressedBy: Readonly<Record<SuppressionReason, number>>;
  /** Messages delivered. */
  readonly messagesSent: number;
  /** Delivered messages that carried more than one alert. */
  readonly coalescedMessages: number;
  /** Telegram messages delivered as plain text after the MarkdownV2 text was refused. */
  readonly plainFallbacks: number;
  /** Requests in flight. */
  readonly sending: number;
  /** Items (and alerts before `start`) waiting in memory to be written. */
  readonly buffered: number;
  /** Items dropped because the memory buffer was full while the store failed. */
  readonly dropped: number;
}

interface ChannelState {
  config: ChannelConfig;
  /** Consecutive retryable failures. */
  failures: number;
  /** No request before this instant (backoff or the server's retry_after). */
  blockedUntil: Instant;
  inFlight: boolean;
  /** Sequence number of the last completed send (stale `due` snapshots are detected with it). */
  completedSeq: number;
  failed: { readonly reason: string; readonly at: Instant } | undefined;
}

type Counters = { -readonly [K in keyof NotifierStats]: NotifierStats[K] } & {
  suppressedBy: Record<SuppressionReason, number>;
};

const RECENT_IDS = 10_000;
const MAX_STORE_RETRY_MS = 30_000;

/**
 * Core-engine's `Notifier` for chat channels (Discord webhooks, Telegram bots), behind a durable
 * outbox. `notify()` only classifies, routes and buffers (no I/O); a writer stores the items in
 * batches, and a dispatcher driven by the Clock sends what is due, one message per account and
 * channel, one request per channel at a time, with backoff and permanent-failure handling.
 */
export class ChatNotifier implements Notifier {
  private readonly store: NotificationStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly fetchFn: typeof fetch;
  private readonly coalesceWindowMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly giveUpAfterMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxBufferedItems: number;
  private readonly batchSize: number;
  private readonly storeRetryMs: number;
  private readonly onPermanentFailure: ((failure: PermanentFailure) => void) | undefined;

  private channels: readonly ChannelConfig[] = [];
  private states = new Map<string, ChannelState>();
  private timeZone: string;
  private preferences: NotificationPreferences = DEFAULT_PREFERENCES;
  private preferencesLoaded = false;
  /** Alerts accepted before `start()` loaded the preferences, with the instant they arrived. */
  private beforeStart: { alert: Alert; at: Instant }[] = [];
  private readonly recentIds = new Set<string>();
  /** End of the open coalescing window per `${accountId ?? '-'}|${channel}`. */
  private readonly windows = new Map<string, Instant>();
  private quietCache: {
    minute: number;
    prefs: NotificationPreferences;
    zone: string;
    quiet: boolean;
  } | null = null;

  private buffer: OutboxItem[] = [];
  private writing: Promise<void> | null = null;
  private flushScheduled = false;
  private writeRetry: TimerHandle | null = null;
  private writeFailures = 0;

  private started = false;
  private stopped = false;
  private pumping: Promise<void> | null = null;
  private rerun = false;
  private wake: TimerHandle | null = null;
  private readonly sends = new Set<Promise<void>>();
  /** Items in a request right now (never offered to another request). */
  private readonly inFlightIds = new Set<string>();
  /** Items sent successfully whose `markDelivered` has not succeeded yet (never sent again). */
  private readonly deliveredIds = new Set<string>();
  private sendSeq = 0;
  private alertSeq = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly counters: Counters = {
    accepted: 0,
    duplicates: 0,
    enqueued: 0,
    delivered: 0,
    retried: 0,
    deferred: 0,
    failed: 0,
    suppressed: 0,
    suppressedBy: { severity: 0, kinds: 0, channels: 0, quietHours: 0 },
    messagesSent: 0,
    coalescedMessages: 0,
    plainFallbacks: 0,
    sending: 0,
    buffered: 0,
    dropped: 0,
  };

  constructor(options: ChatNotifierOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.logger = options.logger.child({ component: 'notifier' });
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const problems: NotifierProblem[] = [];
    const duration = (name: keyof ChatNotifierOptions, fallback: number, min = 0): number => {
      const value = options[name];
      if (value === undefined) return fallback;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
        problems.push({ path: name, message: `must be a number >= ${min}` });
        return fallback;
      }
      return value;
    };
    this.coalesceWindowMs = duration('coalesceWindowMs', 1_000);
    this.initialBackoffMs = duration('initialBackoffMs', 1_000, 1);
    this.maxBackoffMs = duration('maxBackoffMs', 300_000, 1);
    this.giveUpAfterMs = duration('giveUpAfterMs', 24 * 3_600_000, 1);
    this.requestTimeoutMs = duration('requestTimeoutMs', 10_000, 1);
    this.maxBufferedItems = duration('maxBufferedItems', 10_000, 1);
    this.batchSize = duration('batchSize', 500, 1);
    this.storeRetryMs = duration('storeRetryMs', 1_000, 1);
    if (problems.length > 0) throw new NotifierValidationError('OPTIONS_INVALID', problems);
    this.onPermanentFailure = options.onPermanentFailure;
    assertTimeZone(options.timeZone);
    this.timeZone = options.timeZone;
    this.applyChannels(options.channels);
  }

  // ------------------------------------------------------------------------------------ accepting

  /** Classifies, routes and buffers the alert; never throws, never waits for I/O. */
  notify(alert: Alert): void {
    try {
      if (!alert || typeof alert.id !== 'string' || alert.id === '') {
        this.logger.warn({ alert }, 'alert without an id ignored');
        return;
      }
      if (this.recentIds.has(alert.id)) {
        this.counters.duplicates++;
        return;
      }
      this.recentIds.add(alert.id);
      if (this.recentIds.size > RECENT_IDS) {
        const oldest = this.recentIds.values().next().value;
        if (oldest !== undefined) this.recentIds.delete(oldest);
      }
      this.counters.accepted++;
      const at = this.clock.now();
      if (!this.preferencesLoaded) {
        this.beforeStart.push({ alert, at });
        if (this.beforeStart.length > this.maxBufferedItems) {
          this.beforeStart.shift();
          this.counters.dropped++;
        }
        return;
      }
      this.accept(alert, at);
    } catch (err) {
      this.safeLog('error', { err, alertId: safeId(alert) }, 'alert could not be accepted');
    }
  }

  private accept(alert: Alert, at: Instant, exclude?: string): void {
    const severity = classifySeverity(alert);
    const classified: Alert = severity === alert.severity ? alert : { ...alert, severity };
    const unavailable = new Set<string>();
    for (const [id, state] of this.states) if (state.failed) unavailable.add(id);
    if (exclude !== undefined) unavailable.add(exclude);
    const route = routeAlert(classified, this.channels, {
      preferences: this.preferences,
      quietNow: this.quietAt(at),
      unavailable,
    });
    for (const s of route.suppressed) {
      this.counters.suppressed++;
      this.counters.suppressedBy[s.reason]++;
    }
    if (route.channels.length === 0) return;
    const items: OutboxItem[] = route.channels.map((channel) => ({
      id: `${alert.id}|${channel}`,
      alert: classified,
      channel,
      attempts: 0,
      nextAttemptAt: this.windowEnd(classified, channel, at),
      createdAt: at,
    }));
    this.bufferItems(items);
  }

  /** End of the tumbling window of (account, channel) that `at` falls in; opens one if none is open. */
  private windowEnd(alert: Alert, channel: string, at: Instant): Instant {
    const key = `${alert.accountId ?? '-'}|${channel}`;
    const open = this.windows.get(key);
    if (open !== undefined && at < open) return open;
    const end = at + this.coalesceWindowMs;
    this.windows.set(key, end);
    if (this.windows.size > 1_000) {
      for (const [k, e] of this.windows) if (e <= at) this.windows.delete(k);
    }
    return end;
  }

  private quietAt(at: Instant): boolean {
    const prefs = this.preferences;
    if (!prefs.quietHours) return false;
    const minute = Math.floor(at / 60_000);
    const cache = this.quietCache;
    if (cache && cache.minute === minute && cache.prefs === prefs && cache.zone === this.timeZone) {
      return cache.quiet;
    }
    const quiet = inQuietHours(prefs.quietHours, at, this.timeZone);
    this.quietCache = { minute, prefs, zone: this.timeZone, quiet };
    return quiet;
  }

  // ------------------------------------------------------------------------------------ writing

  private bufferItems(items: readonly OutboxItem[]): void {
    this.buffer.push(...items);
    this.trimBuffer();
    this.scheduleFlush();
  }

  /** Keeps the memory buffer bounded while the store fails: the oldest non-critical item goes first. */
  private trimBuffer(): void {
    let dropped = 0;
    while (this.buffer.length > this.maxBufferedItems) {
      const index = this.buffer.findIndex((i) => i.alert.severity !== 'critical');
      this.buffer.splice(index >= 0 ? index : 0, 1);
      dropped++;
    }
    if (dropped > 0) {
      this.counters.dropped += dropped;
      this.safeLog(
        'error',
        { dropped, totalDropped: this.counters.dropped, buffered: this.buffer.length },
        'outbox buffer full while the store fails; alerts dropped',
      );
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.writing || this.writeRetry) return;
    this.flushScheduled = true;
    // Off the caller's stack: a burst of notify() calls in one tick becomes one batch.
    setImmediate(() => {
      this.flushScheduled = false;
      this.startFlush();
    });
  }

  private startFlush(): void {
    if (this.writing || this.buffer.length === 0) {
      this.checkIdle();
      return;
    }
    const run = this.flush().finally(() => {
      this.writing = null;
      if (this.buffer.length > 0 && !this.writeRetry) this.scheduleFlush();
      this.checkIdle();
    });
    this.writing = run;
  }

  private async flush(): Promise<void> {
    const batch = this.buffer.splice(0, this.batchSize);
    try {
      await Promise.resolve().then(() => this.store.enqueue(batch));
    } catch (err) {
      this.buffer.unshift(...batch);
      this.trimBuffer();
      this.writeFailures++;
      const delay = Math.min(this.storeRetryMs * 2 ** (this.writeFailures - 1), MAX_STORE_RETRY_MS);
      this.safeLog(
        'error',
        { err, items: batch.length, buffered: this.buffer.length, retryInMs: delay },
        'outbox write failed; will retry',
      );
      if (!this.writeRetry) {
        this.writeRetry = this.clock.scheduleIn(delay, () => {
          this.writeRetry = null;
          this.scheduleFlush();
        });
      }
      return;
    }
    this.writeFailures = 0;
    this.counters.enqueued += batch.length;
    this.requestPump();
  }

  // ------------------------------------------------------------------------------------ dispatching

  private requestPump(): void {
    if (!this.started || this.stopped) return;
    if (this.pumping) {
      this.rerun = true;
      return;
    }
    const run = this.pump().finally(() => {
      this.pumping = null;
      this.checkIdle();
    });
    this.pumping = run;
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.rerun = false;
        await this.dispatchOnce();
        if (this.stopped) return;
        const next = await this.store.nextDueAt();
        if (this.rerun || this.stopped) continue;
        this.scheduleWake(next);
      } while (this.rerun && !this.stopped);
    } catch (err) {
      this.safeLog('error', { err }, 'outbox read failed; will retry');
      if (!this.stopped) this.setWake(this.clock.now() + this.storeRetryMs);
    }
  }

  private scheduleWake(next: Instant | null): void {
    if (next === null) {
      this.clearWake();
      return;
    }
    const now = this.clock.now();
    if (next > now) {
      this.setWake(next);
    } else if (this.sends.size > 0) {
      // What is due waits for a channel with a request in flight, whose end pumps again; look again
      // after a window in case another channel's items fall due first.
      this.setWake(now + Math.max(this.coalesceWindowMs, 100));
    } else {
      // Something due could not be handled (a store call failed): try again shortly.
      this.setWake(now + this.storeRetryMs);
    }
  }

  private setWake(at: Instant): void {
    this.clearWake();
    this.wake = this.clock.scheduleAt(at, () => {
      this.wake = null;
      this.requestPump();
    });
  }

  private clearWake(): void {
    if (this.wake) this.clock.cancel(this.wake);
    this.wake = null;
  }

  private async dispatchOnce(): Promise<void> {
    const seqAtRead = this.sendSeq;
    const now = this.clock.now();
    const due = await this.store.due(now, this.batchSize);
    const byChannel = new Map<string, OutboxItem[]>();
    for (const item of due) {
      if (this.inFlightIds.has(item.id)) continue;
      if (this.deliveredIds.has(item.id)) {
        await this.confirmDelivered(item.id, now);
        continue;
      }
      const list = byChannel.get(item.channel);
      if (list) list.push(item);
      else byChannel.set(item.channel, [item]);
    }
    for (const [channelId, items] of byChannel) {
      if (this.stopped) return;
      const state = this.states.get(channelId);
      if (!state) {
        await this.failQuietly(items, 'channel no longer configured');
        continue;
      }
      if (!state.config.enabled) {
        await this.failQuietly(items, 'channel disabled');
        continue;
      }
      if (state.failed) {
        await this.failQuietly(items, `channel failed permanently: ${state.failed.reason}`);
        continue;
      }
      if (state.inFlight) continue;
      if (state.completedSeq > seqAtRead) {
        // A send of this channel ended after `due` was read: the snapshot may be stale. Read again.
        this.rerun = true;
        continue;
      }
      if (state.blockedUntil > now) {
        await this.defer(items, state.blockedUntil);
        continue;
      }
      const first = items[0];
      if (!first) continue;
      const key = first.alert.accountId ?? '-';
      this.startSend(
        state,
        items.filter((i) => (i.alert.accountId ?? '-') === key),
      );
    }
  }

  private startSend(state: ChannelState, items: readonly OutboxItem[]): void {
    state.inFlight = true;
    for (const item of items) this.inFlightIds.add(item.id);
    const run = this.send(state, items).finally(() => {
      state.inFlight = false;
      state.completedSeq = ++this.sendSeq;
      for (const item of items) this.inFlightIds.delete(item.id);
      this.sends.delete(run);
      this.requestPump();
      this.checkIdle();
    });
    this.sends.add(run);
  }

  private async send(state: ChannelState, items: readonly OutboxItem[]): Promise<void> {
    const channel = state.config;
    let outcome: SendOutcome;
    try {
      outcome = await sendToChannel(
        channel,
        items.map((i) => i.alert),
        { fetch: this.fetchFn, clock: this.clock, timeoutMs: this.requestTimeoutMs, timeZone: this.timeZone },
      );
    } catch (err) {
      outcome = { kind: 'retry', error: describeError(err) };
    }
    const now = this.clock.now();
    try {
      if (outcome.kind === 'ok') {
        await this.delivered(state, items, now, outcome.plainFallback === true);
      } else if (outcome.kind === 'retry') {
        await this.retry(state, items, now, outcome);
      } else {
        await this.permanent(state, items, now, outcome.scope, outcome.error, outcome.status);
      }
    } catch (err) {
      this.safeLog('error', { err, channel: channel.id }, 'outbox update after a send failed');
    }
  }

  private async delivered(
    state: ChannelState,
    items: readonly OutboxItem[],
    now: Instant,
    plainFallback: boolean,
  ): Promise<void> {
    state.failures = 0;
    state.blockedUntil = 0;
    this.counters.messagesSent++;
    if (items.length > 1) this.counters.coalescedMessages++;
    if (plainFallback) {
      this.counters.plainFallbacks++;
      this.safeLog('warn', { channel: state.config.id }, 'MarkdownV2 text refused; delivered as plain text');
    }
    for (const item of items) this.deliveredIds.add(item.id);
    for (const item of items) await this.confirmDelivered(item.id, now);
  }

  private async confirmDelivered(id: string, now: Instant): Promise<void> {
    try {
      await this.store.markDelivered(id, now);
      if (this.deliveredIds.delete(id)) this.counters.delivered++;
    } catch (err) {
      this.safeLog('error', { err, itemId: id }, 'could not mark an outbox item delivered; will retry');
    }
  }

  private async retry(
    state: ChannelState,
    items: readonly OutboxItem[],
    now: Instant,
    outcome: Extract<SendOutcome, { kind: 'retry' }>,
  ): Promise<void> {
    const failingSince = Math.min(...items.filter((i) => i.attempts > 0).map((i) => i.createdAt));
    if (Number.isFinite(failingSince) && now - failingSince >= this.giveUpAfterMs) {
      const hours = Math.round((now - failingSince) / 360_000) / 10;
      await this.permanent(
        state,
        items,
        now,
        'channel',
        `no successful delivery for ${hours} h; last error: ${outcome.error}`,
        outcome.status,
      );
      return;
    }
    const attempts = Math.max(state.failures, ...items.map((i) => i.attempts));
    let delay = Math.min(this.initialBackoffMs * 2 ** Math.min(attempts, 40), this.maxBackoffMs);
    if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > delay) {
      delay = Math.min(outcome.retryAfterMs, this.giveUpAfterMs);
    }
    const until = now + delay;
    state.failures++;
    state.blockedUntil = until;
    this.safeLog(
      'warn',
      {
        channel: state.config.id,
        status: outcome.status,
        error: outcome.error,
        attempts: attempts + 1,
        retryInMs: delay,
      },
      'notification not delivered; will retry',
    );
    for (const item of items) {
      try {
        await this.store.markRetry(item.id, until, outcome.error);
        this.counters.retried++;
      } catch (err) {
        this.safeLog('error', { err, itemId: item.id }, 'could not mark an outbox item for retry');
      }
    }
  }

  /** Items due for a channel that is backing off wait with it (so they cannot crowd out other channels). */
  private async defer(items: readonly OutboxItem[], until: Instant): Promise<void> {
    for (const item of items) {
      try {
        await this.store.markRetry(
          item.id,
          until,
          'waiting: the channel is backing off after a failed request',
        );
        this.counters.deferred++;
      } catch (err) {
        this.safeLog('error', { err, itemId: item.id }, 'could not defer an outbox item');
      }
    }
  }

  private async failQuietly(items: readonly OutboxItem[], reason: string): Promise<void> {
    const now = this.clock.now();
    for (const item of items) {
      try {
        await this.store.markFailed(item.id, now, reason);
        this.counters.failed++;
      } catch (err) {
        this.safeLog('error', { err, itemId: item.id }, 'could not mark an outbox item failed');
      }
    }
  }

  private async permanent(
    state: ChannelState,
    items: readonly OutboxItem[],
    now: Instant,
    scope: 'channel' | 'message',
    reason: string,
    status: number | undefined,
  ): Promise<void> {
    const channel = state.config;
    if (scope === 'channel') {
      state.failed = { reason, at: now };
      state.blockedUntil = 0;
    }
    await this.failQuietly(items, reason);
    this.safeLog(
      'error',
      { channel: channel.id, type: channel.type, scope, status, reason, items: items.length },
      scope === 'channel'
        ? 'notification channel failed permanently; nothing more is sent to it until it is reconfigured'
        : 'notification channel refused a message permanently',
    );
    const failure: PermanentFailure = {
      channel: channel.id,
      type: channel.type,
      scope,
      ...(status !== undefined ? { status } : {}),
      reason,
      at: now,
      itemIds: items.map((i) => i.id),
    };
    try {
      this.onPermanentFailure?.(failure);
    } catch (err) {
      this.safeLog('error', { err }, 'onPermanentFailure threw');
    }
    // A failure to deliver failure reports raises no further report (no loop between channels).
    if (items.every((i) => i.alert.kind === NOTIFICATION_FAILED_KIND)) return;
    const n = items.length;
    const lost = `${n} ${n === 1 ? 'alert was' : 'alerts were'} not delivered`;
    const alert: Alert = {
      id: `notifier:${NOTIFICATION_FAILED_KIND}:${channel.id}:${now}.${this.alertSeq++}`,
      at: now,
      severity: 'critical',
      kind: NOTIFICATION_FAILED_KIND,
      code: scope === 'channel' ? 'CHANNEL_FAILED' : 'MESSAGE_REFUSED',
      title:
        scope === 'channel'
          ? `Notification channel ${channel.id} failed`
          : `Notification channel ${channel.id} refused a message`,
      message:
        scope === 'channel'
          ? `The ${channel.type} channel "${channel.id}" failed permanently: ${reason}. ${lost}; nothing more is sent to it until its configuration changes.`
          : `The ${channel.type} channel "${channel.id}" refused a message for good: ${reason}. ${lost}; the channel stays in use.`,
      fields: {
        channel: channel.id,
        type: channel.type,
        ...(status !== undefined ? { status: String(status) } : {}),
      },
    };
    if (!this.recentIds.has(alert.id)) {
      this.recentIds.add(alert.id);
      this.counters.accepted++;
      if (this.preferencesLoaded) this.accept(alert, now, channel.id);
      else this.beforeStart.push({ alert, at: now });
    }
  }

  // ------------------------------------------------------------------------------------ lifecycle

  /** Loads the preferences and dispatches what the outbox holds (including a crash's leftovers). */
  async start(): Promise<void> {
    if (this.started && !this.stopped) return;
    this.stopped = false;
    await this.loadPreferences();
    this.started = true;
    this.requestPump();
  }

  /**
   * Stops dispatching (timers cancelled, requests in flight awaited so their outcome is recorded)
   * and writes everything `notify()` accepted; backoffs are not waited for — the outbox keeps those
   * items for the next start. Alerts notified after `stop()` are still written, not sent.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearWake();
    while (this.sends.size > 0 || this.pumping) {
      await Promise.allSettled([...this.sends, ...(this.pumping ? [this.pumping] : [])]);
    }
    if (!this.preferencesLoaded) this.routeBeforeStart();
    if (this.writeRetry) {
      this.clock.cancel(this.writeRetry);
      this.writeRetry = null;
    }
    while (this.writing) await this.writing;
    // One last attempt per batch; if the store still fails, say how much is lost.
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchSize);
      try {
        await Promise.resolve().then(() => this.store.enqueue(batch));
        this.counters.enqueued += batch.length;
      } catch (err) {
        const lost = batch.length + this.buffer.length;
        this.buffer = [];
        this.counters.dropped += lost;
        this.safeLog('error', { err, lost }, 'outbox write failed at stop; alerts lost');
      }
    }
    this.checkIdle();
  }

  /** Replaces the channels (hot reload); a changed channel starts afresh, also after a permanent failure. */
  setChannels(channels: readonly ChannelConfig[], timeZone?: string): void {
    // Both are checked before anything changes: an invalid reload keeps the running configuration.
    if (timeZone !== undefined) assertTimeZone(timeZone);
    this.applyChannels(channels);
    if (timeZone !== undefined) this.timeZone = timeZone;
    this.requestPump();
  }

  private applyChannels(channels: readonly ChannelConfig[]): void {
    validateChannels(channels);
    const next = new Map<string, ChannelState>();
    for (const config of channels) {
      const old = this.states.get(config.id);
      if (old && sameChannel(old.config, config)) {
        old.config = config;
        next.set(config.id, old);
      } else {
        next.set(config.id, {
          config,
          failures: 0,
          blockedUntil: 0,
          inFlight: false,
          completedSeq: 0,
          failed: undefined,
        });
      }
    }
    this.channels = [...channels];
    this.states = next;
  }

  /** The channels without secrets, with their delivery state. */
  channelSummaries(): ChannelSummary[] {
    const now = this.clock.now();
    return this.channels.map((c) => {
      const state = this.states.get(c.id);
      const failed = state?.failed;
      return {
        id: c.id,
        type: c.type,
        enabled: c.enabled,
        audience: c.audience,
        minSeverity: c.minSeverity,
        state: failed ? 'failed' : state && state.blockedUntil > now ? 'backing-off' : 'ok',
        ...(failed ? { failure: failed.reason } : {}),
      };
    });
  }

  // ------------------------------------------------------------------------------------ preferences

  /** The trader's preferences; the defaults (every kind, every channel, no quiet hours) when none are stored. */
  async getPreferences(): Promise<NotificationPreferences> {
    if (this.preferencesLoaded) return this.preferences;
    return (await this.store.getPreferences()) ?? DEFAULT_PREFERENCES;
  }

  /** Validates (NotifierValidationError `PREFERENCES_INVALID` with paths), stores and applies the preferences. */
  async setPreferences(preferences: NotificationPreferences): Promise<NotificationPreferences> {
    const valid = validatePreferences(preferences, this.channels);
    await this.store.setPreferences(valid);
    this.preferences = valid;
    return valid;
  }

  private async loadPreferences(): Promise<void> {
    try {
      const stored = await this.store.getPreferences();
      this.preferences = stored ?? DEFAULT_PREFERENCES;
    } catch (err) {
      this.safeLog('error', { err }, 'could not read notification preferences; using the defaults');
      this.preferences = DEFAULT_PREFERENCES;
    }
    this.routeBeforeStart();
  }

  private routeBeforeStart(): void {
    this.preferencesLoaded = true;
    const pending = this.beforeStart;
    this.beforeStart = [];
    for (const { alert, at } of pending) {
      try {
        this.accept(alert, at);
      } catch (err) {
        this.safeLog('error', { err, alertId: safeId(alert) }, 'alert could not be accepted');
      }
    }
  }

  // ------------------------------------------------------------------------------------ observing

  stats(): NotifierStats {
    return {
      ...this.counters,
      suppressedBy: { ...this.counters.suppressedBy },
      sending: this.sends.size,
      buffered: this.buffer.length + this.beforeStart.length,
    };
  }

  /** Resolves when nothing accepted is waiting to be written and no send or outbox pass is running. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private isIdle(): boolean {
    return (
      this.buffer.length === 0 &&
      this.beforeStart.length === 0 &&
      !this.writing &&
      !this.flushScheduled &&
      this.sends.size === 0 &&
      !this.pumping
    );
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private safeLog(level: 'warn' | 'error', obj: object, msg: string): void {
    try {
      this.logger[level](obj, msg);
    } catch {
      // A logger that throws must not turn into an exception in the caller (notify never throws).
    }
  }
}

function safeId(alert: unknown): unknown {
  try {
    return (alert as { id?: unknown } | null)?.id;
  } catch {
    return undefined;
  }
}
