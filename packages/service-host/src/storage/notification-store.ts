import type {
  Alert,
  Instant,
  Logger,
  NotificationPreferences,
  NotificationStore,
  OutboxCounts,
  OutboxItem,
} from '@riskd/core-engine';
import type { PrismaService } from './prisma.service.js';
import type { StorageWriter } from './storage-writer.js';
import type { NotifyCommand, OutboxRow } from './storage-writer.protocol.js';
import { StorageValueError } from './storage.errors.js';

/** `lastError` keeps at most this many characters (a chat API can answer with a whole page). */
export const MAX_OUTBOX_ERROR_CHARS = 2_000;

/** The preferences table holds one row, the trader's (one daemon serves one trader). */
const PREFERENCES_ROW_ID = 1;

/** The range of a JS Date, so any `now` can be turned into a query bound. */
const MAX_DATE_MS = 8.64e15;

/** The largest `limit` passed on to SQL (Prisma's `take` is a 32-bit integer). */
const MAX_TAKE = 2 ** 31 - 1;

const SEVERITIES: ReadonlySet<string> = new Set(['info', 'warning', 'critical']);

interface OutboxRowRead {
  readonly id: string;
  readonly channel: string;
  readonly alert: string;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly createdAt: Date;
}

/**
 * The notifier's {@link NotificationStore} over SQLite: the NotificationOutbox and
 * NotificationPreference tables. Every write goes through the {@link StorageWriter} (off the main
 * thread, in call order with the engine's writes) and is durable: its promise resolves once the
 * transaction holding it is committed. Reads use the main Prisma client, after this store's own
 * writes still in flight have settled, so a read always sees the writes made before it.
 *
 * A change to an item that is not pending (already delivered or failed, or unknown) is ignored
 * with a warning: delivered and failed are final. A stored item whose alert cannot be read back is
 * never handed out: `due` marks it failed, naming the row, and logs it.
 */
export class PrismaNotificationStore implements NotificationStore {
  private readonly log: Logger;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly writer: StorageWriter,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'notification-store' });
  }

  /**
   * Stores the items as pending, in one transaction; an id already stored (in any state, or
   * earlier in the same call) is ignored. Rejects with {@link StorageValueError}, storing none of
   * them, when an item is malformed (its id is not `${alert.id}|${channel}`, its alert is not
   * JSON, an instant is not finite, attempts is not a whole number >= 0).
   */
  enqueue(items: readonly OutboxItem[]): Promise<void> {
    let rows: OutboxRow[];
    try {
      rows = items.map(toOutboxRow);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new StorageValueError(String(err)));
    }
    if (rows.length === 0) return Promise.resolve();
    return this.write({ c: 'enqueue', items: rows }).then(() => undefined);
  }

  /**
   * Pending items with `nextAttemptAt <= now`, by `nextAttemptAt`, then `createdAt`, then `id`; at
   * most `limit` (none when `limit <= 0`). Malformed rows are marked failed and skipped.
   */
  async due(now: Instant, limit: number): Promise<readonly OutboxItem[]> {
    await this.settled();
    const max = Number.isNaN(limit) ? 0 : Math.min(Math.floor(limit), MAX_TAKE);
    if (max <= 0) return [];
    const until = new Date(clampMs(now));
    const items: OutboxItem[] = [];
    const seen: string[] = [];
    // Malformed rows are set aside (marked failed) and the query repeated past every row already
    // read, so they never make a due batch shorter than the limit while good items wait behind.
    while (items.length < max) {
      const take = max - items.length;
      const rows: OutboxRowRead[] = await this.prisma.client.notificationOutbox.findMany({
        where: {
          state: 'pending',
          nextAttemptAt: { lte: until },
          ...(seen.length > 0 ? { id: { notIn: seen } } : {}),
        },
        orderBy: [{ nextAttemptAt: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
        take,
        select: {
          id: true,
          channel: true,
          alert: true,
          attempts: true,
          nextAttemptAt: true,
          createdAt: true,
        },
      });
      const bad: Promise<void>[] = [];
      for (const row of rows) {
        seen.push(row.id);
        const read = fromOutboxRow(row);
        if (typeof read === 'string') {
          bad.push(this.quarantine(row.id, clampMs(now), read));
        } else {
          items.push(read);
        }
      }
      await Promise.all(bad);
      if (bad.length === 0 || rows.length < take) break;
    }
    return items;
  }

  async nextDueAt(): Promise<Instant | null> {
    await this.settled();
    const out = await this.prisma.client.notificationOutbox.aggregate({
      where: { state: 'pending' },
      _min: { nextAttemptAt: true },
    });
    const at = out._min.nextAttemptAt?.getTime();
    // A hand-edited row can hold something that is not a date: never hand out NaN as an instant.
    return at !== undefined && Number.isFinite(at) ? at : null;
  }

  async markDelivered(id: string, at: Instant): Promise<void> {
    const rows = await this.write({ c: 'delivered', itemId: checkId(id), at: instant(at, 'at') });
    this.warnIfNotPending(rows, id, 'delivered');
  }

  async markRetry(id: string, nextAttemptAt: Instant, error: string): Promise<void> {
    const rows = await this.write({
      c: 'retry',
      itemId: checkId(id),
      nextAttemptAt: instant(nextAttemptAt, 'nextAttemptAt'),
      error: errorText(error),
    });
    this.warnIfNotPending(rows, id, 'retry');
  }

  async markFailed(id: string, at: Instant, error: string): Promise<void> {
    const rows = await this.write({
      c: 'failed',
      itemId: checkId(id),
      at: instant(at, 'at'),
      error: errorText(error),
    });
    this.warnIfNotPending(rows, id, 'failed');
  }

  async counts(): Promise<OutboxCounts> {
    await this.settled();
    const groups = await this.prisma.client.notificationOutbox.groupBy({
      by: ['state'],
      _count: { _all: true },
    });
    const counts = { pending: 0, delivered: 0, failed: 0 };
    for (const g of groups) counts[g.state] = g._count._all;
    return counts;
  }

  /**
   * The stored preferences, or null when none were ever set. A stored row that cannot be read
   * back is logged and reads as null (the notifier's defaults: every kind, every channel).
   */
  async getPreferences(): Promise<NotificationPreferences | null> {
    await this.settled();
    const row = await this.prisma.client.notificationPreference.findUnique({
      where: { id: PREFERENCES_ROW_ID },
      select: { kinds: true, channels: true, quietHours: true },
    });
    if (!row) return null;
    try {
      return parsePreferences(row.kinds, row.channels, row.quietHours);
    } catch (err) {
      this.log.error({ err }, 'stored notification preferences are malformed; using the defaults');
      return null;
    }
  }

  /**
   * Replaces the preferences (durable). Checks their shape, not their content: `kinds` is `'all'`
   * or a list of strings, `channels` a list of strings, `quietHours` absent or two strings;
   * anything else rejects with {@link StorageValueError} and stores nothing.
   */
  async setPreferences(preferences: NotificationPreferences): Promise<void> {
    await this.write(serializePreferences(preferences));
  }

  /**
   * Deletes delivered and failed items created before `before` (pending items are kept, however
   * old); returns how many were deleted. Not part of the port: for housekeeping.
   */
  async prune(before: Instant): Promise<number> {
    return (await this.write({ c: 'prune', before: instant(before, 'before') })) ?? 0;
  }

  private write(command: NotifyCommand): Promise<number | null> {
    const done = this.writer.writeNotification(command);
    this.inflight.add(done);
    const forget = (): void => {
      this.inflight.delete(done);
    };
    done.then(forget, forget);
    return done;
  }

  /** Waits for this store's writes still in flight (their failure is their caller's). */
  private async settled(): Promise<void> {
    if (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private async quarantine(id: string, at: Instant, problem: string): Promise<void> {
    const error = `outbox row "${id}" is malformed: ${problem}`;
    this.log.error({ id, problem }, `${error}; marked failed`);
    try {
      await this.write({ c: 'failed', itemId: id, at, error: errorText(error) });
    } catch (err) {
      this.log.error({ err, id }, 'could not mark a malformed outbox row failed');
    }
  }

  private warnIfNotPending(rows: number | null, id: string, mark: string): void {
    if (rows === 0)
      this.log.warn({ id, mark }, 'outbox item is not pending (unknown, delivered or failed); ignored');
  }
}

function toOutboxRow(item: OutboxItem): OutboxRow {
  const alert = item.alert as Partial<Alert> | null | undefined;
  if (typeof item.id !== 'string' || item.id.length === 0) {
    throw new StorageValueError('outbox item id must be a non-empty string');
  }
  if (typeof alert !== 'object' || alert === null) {
    throw new StorageValueError(`outbox item ${item.id} has no alert`);
  }
  if (typeof item.channel !== 'string' || item.channel.length === 0) {
    throw new StorageValueError(`outbox item ${item.id} has no channel`);
  }
  if (item.id !== `${String(alert.id)}|${item.channel}`) {
    throw new StorageValueError(
      `outbox item id ${item.id} is not "<alert id>|<channel>" (${String(alert.id)}|${item.channel})`,
    );
  }
  if (!Number.isSafeInteger(item.attempts) || item.attempts < 0) {
    throw new StorageValueError(`outbox item ${item.id}: attempts must be a whole number >= 0`);
  }
  if (alert.accountId !== undefined && !Number.isSafeInteger(alert.accountId)) {
    throw new StorageValueError(`outbox item ${item.id}: alert accountId must be a whole number`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(alert);
  } catch (err) {
    throw new StorageValueError(`outbox item ${item.id}: the alert is not JSON`, { cause: err });
  }
  // Refuse now what `due` could not read back.
  const problem = json === undefined ? 'not JSON' : alertProblem(JSON.parse(json) as unknown);
  if (json === undefined || problem !== null) {
    throw new StorageValueError(`outbox item ${item.id}: the alert is ${problem ?? 'not JSON'}`);
  }
  return {
    id: item.id,
    alertId: alert.id as string,
    channel: item.channel,
    accountId: alert.accountId ?? null,
    kind: alert.kind as string,
    severity: alert.severity as string,
    alert: json,
    attempts: item.attempts,
    nextAttemptAt: instant(item.nextAttemptAt, `outbox item ${item.id}: nextAttemptAt`),
    createdAt: instant(item.createdAt, `outbox item ${item.id}: createdAt`),
  };
}

/** The item of a row, or what is wrong with the row. */
function fromOutboxRow(row: OutboxRowRead): OutboxItem | string {
  let alert: unknown;
  try {
    alert = JSON.parse(row.alert) as unknown;
  } catch (err) {
    return `the alert is not JSON (${err instanceof Error ? err.message : String(err)})`;
  }
  const problem = alertProblem(alert);
  if (problem !== null) return `the alert is ${problem}`;
  const nextAttemptAt = row.nextAttemptAt.getTime();
  const createdAt = row.createdAt.getTime();
  if (!Number.isFinite(nextAttemptAt) || !Number.isFinite(createdAt)) return 'an instant is not a date';
  return {
    id: row.id,
    alert: alert as Alert,
    channel: row.channel,
    attempts: row.attempts,
    nextAttemptAt,
    createdAt,
  };
}

/** What makes `value` unusable as an Alert (null when it is one). */
function alertProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const a = value as Record<string, unknown>;
  for (const key of ['id', 'kind', 'title', 'message'] as const) {
    if (typeof a[key] !== 'string') return `missing its ${key}`;
  }
  if (typeof a['at'] !== 'number' || !Number.isFinite(a['at'])) return 'missing its instant (at)';
  if (typeof a['severity'] !== 'string' || !SEVERITIES.has(a['severity'])) return 'of unknown severity';
  return null;
}

function serializePreferences(p: NotificationPreferences): NotifyCommand {
  const kinds = p.kinds === 'all' ? 'all' : stringList(p.kinds, 'kinds');
  const channels = stringList(p.channels, 'channels');
  let quietHours: string | null = null;
  if (p.quietHours !== undefined) {
    const q = p.quietHours as { start?: unknown; end?: unknown } | null;
    if (typeof q !== 'object' || q === null || typeof q.start !== 'string' || typeof q.end !== 'string') {
      throw new StorageValueError('notification preferences: quietHours must be { start, end } strings');
    }
    quietHours = JSON.stringify({ start: q.start, end: q.end });
  }
  return {
    c: 'preferences',
    kinds: JSON.stringify(kinds),
    channels: JSON.stringify(channels),
    quietHours,
  };
}

function parsePreferences(
  kindsText: string,
  channelsText: string,
  quietText: string | null,
): NotificationPreferences {
  const kinds = JSON.parse(kindsText) as unknown;
  const channels = stringList(JSON.parse(channelsText) as unknown, 'channels');
  const base = { kinds: kinds === 'all' ? ('all' as const) : stringList(kinds, 'kinds'), channels };
  if (quietText === null) return base;
  const q = JSON.parse(quietText) as { start?: unknown; end?: unknown } | null;
  if (typeof q !== 'object' || q === null || typeof q.start !== 'string' || typeof q.end !== 'string') {
    throw new StorageValueError('notification preferences: stored quietHours is not { start, end }');
  }
  return { ...base, quietHours: { start: q.start, end: q.end } };
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new StorageValueError(`notification preferences: ${what} must be a list of strings`);
  }
  return [...(value as string[])];
}

function checkId(id: string): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new StorageValueError('outbox item id must be a non-empty string');
  }
  return id;
}

/** Epoch ms as stored: whole milliseconds (floored); a non-finite value is refused. */
function instant(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_DATE_MS) {
    throw new StorageValueError(`${what} must be an instant (epoch ms), got ${String(value)}`);
  }
  return Math.floor(value);
}

function clampMs(value: number): number {
  if (Number.isNaN(value)) return -MAX_DATE_MS;
  return Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, Math.floor(value)));
}

function errorText(error: unknown): string {
  const text = typeof error === 'string' ? error : String(error);
  return text.length > MAX_OUTBOX_ERROR_CHARS ? `${text.slice(0, MAX_OUTBOX_ERROR_CHARS - 1)}…` : text;
}
