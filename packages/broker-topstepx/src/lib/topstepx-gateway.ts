import { OrderStatus } from '@riskd/core-engine';
import type {
  Account,
  AccountId,
  ActionOptions,
  ActionResult,
  AlertSeverity,
  BrokerEvent,
  BrokerGateway,
  BrokerPosition,
  ConnectionChannel,
  ConnectionState,
  Contract,
  ContractId,
  EventOrigin,
  Fill,
  Instant,
  Logger,
  Order,
  OrderId,
  PositionSide,
  Quote,
  ReconcileReport,
  RequestPriority,
  TimerHandle,
  Unsubscribe,
} from '@riskd/core-engine';
import { AccountLedger, diffSnapshot, isWorking, type AccountSnapshot } from './account-ledger.js';
import { TokenManager, type TokenChangeReason } from './auth.js';
import { mapActionCode } from './error-codes.js';
import { TopstepXError, TopstepXMalformedPayloadError, describeError } from './errors.js';
import type { MalformedPayload } from './hubs/hub-events.js';
import type { ConnectedKind } from './hubs/hub-channel.js';
import { MarketHub } from './hubs/market-hub.js';
import { UserHub } from './hubs/user-hub.js';
import {
  normalizeAccount,
  normalizeContract,
  normalizeFill,
  normalizeOrder,
  normalizePosition,
} from './normalize.js';
import { resolveOptions, type ResolvedTopstepXOptions, type TopstepXOptions } from './options.js';
import { ProjectXRestClient, type MutationOutcome } from './projectx-rest-client.js';
import { RateLimiter } from './rate-limiter.js';
import { defaultIsMarketOpen, defaultTradingWeekStart } from './trading-week.js';
import { Endpoint, type WireEnvelope } from './wire-types.js';

/** Something the operator should hear about that is not itself a broker event. */
export type BrokerAlertKind =
  'stale-feed' | 'clock-skew' | 'account-rejected' | 'malformed-payload' | 'reconcile-failed';

export interface BrokerAlert {
  readonly kind: BrokerAlertKind;
  readonly severity: AlertSeverity;
  readonly at: Instant;
  readonly message: string;
  readonly accountId?: AccountId;
  readonly contractIds?: readonly ContractId[];
  /** Broker time minus local time, for `clock-skew`. */
  readonly skewMs?: number;
}

/** The outcome of {@link TopstepXGateway.flatten}, with every step's own answer. */
export interface FlattenResult {
  /** `ok` only when searchOpen confirmed no position and no working order remain. */
  readonly result: ActionResult;
  readonly cancels: readonly { readonly orderId: OrderId; readonly result: ActionResult }[];
  readonly closes: readonly { readonly contractId: ContractId; readonly result: ActionResult }[];
  /** What the last verification still showed (empty when it confirmed the account flat). */
  readonly remainingPositions: readonly BrokerPosition[];
  readonly remainingOrders: readonly Order[];
}

type Lifecycle = 'idle' | 'connecting' | 'running' | 'stopped';

/** Upper bound of the forced market-hub reconnect back-off while a feed stays stale. */
const MAX_STALE_BACKOFF_MS = 5 * 60_000;
/** Least interval between two session checks caused by failing hub reconnections. */
const SESSION_CHECK_MS = 5000;
/** Trade/search starts this much before the last fill seen (the start is inclusive; ids dedupe). */
const FILL_OVERLAP_MS = 1000;

/**
 * core-engine's {@link BrokerGateway} over the ProjectX Gateway API (TopstepX): REST for snapshots
 * and actions, the SignalR user hub for account/order/position/trade events, the market hub for
 * quotes. Runs unchanged against the real gateway and against `tools/projectx-sim`.
 *
 * Every active account Account/search returns is protected: subscribed on the user hub, snapshot
 * at start-up (positions, working orders, fills since the start of the trading week, contracts),
 * and reconciled after every reconnect. Quote subscriptions follow exposure (a contract with an
 * open position or a working order) plus whatever the engine asks for.
 */
export class TopstepXGateway implements BrokerGateway {
  readonly options: ResolvedTopstepXOptions;
  private readonly log: Logger;
  private readonly limiter: RateLimiter;
  private readonly barsLimiter: RateLimiter;
  private readonly rest: ProjectXRestClient;
  private readonly tokens: TokenManager;
  private readonly userHub: UserHub;
  private readonly marketHub: MarketHub;
  private readonly listeners = new Set<(event: BrokerEvent) => void>();
  private readonly alertListeners = new Set<(alert: BrokerAlert) => void>();
  private readonly ledgers = new Map<AccountId, AccountLedger>();
  private readonly adopting = new Map<AccountId, Promise<void>>();
  private readonly contracts = new Map<ContractId, Contract>();
  private readonly contractLoads = new Map<ContractId, Promise<Contract>>();
  private readonly explicitQuotes = new Set<ContractId>();
  private readonly runningSyncs = new Map<AccountId, Promise<ReconcileReport>>();
  private readonly pendingSyncs = new Map<AccountId, Promise<ReconcileReport>>();
  private readonly channelStates: Record<ConnectionChannel, ConnectionState> = {
    'user-hub': 'disconnected',
    'market-hub': 'disconnected',
    rest: 'disconnected',
  };
  private lifecycle: Lifecycle = 'idle';
  private connecting: Promise<void> | null = null;
  private initialSyncDone = false;
  /** True when start-up snapshots ran before the user hub was up: its first connection must reconcile. */
  private userHubMissedStartup = false;
  private accountPollTimer: TimerHandle | null = null;
  private watchdogTimer: TimerHandle | null = null;
  private readonly retryTimers = new Set<TimerHandle>();
  private readonly failingReconciles = new Set<AccountId>();
  private lastSkewAlertAt = Number.NEGATIVE_INFINITY;
  private sessionCheck: Promise<void> | null = null;
  private lastSessionCheckAt = Number.NEGATIVE_INFINITY;
  private staleStrikes = 0;
  private nextForcedReconnectAt = 0;
  private readonly isMarketOpen: (at: Instant) => boolean;
  private readonly weekStartAt: (at: Instant) => Instant;

  constructor(options: TopstepXOptions) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.log = o.logger.child({ component: 'broker-topstepx' });
    this.isMarketOpen = o.isMarketOpen ?? defaultIsMarketOpen;
    this.weekStartAt = o.weekStartAt ?? defaultTradingWeekStart;
    this.limiter = new RateLimiter(o.rateLimit, o.clock);
    this.barsLimiter = new RateLimiter(o.barsRateLimit, o.clock);
    this.rest = new ProjectXRestClient({
      apiUrl: o.apiUrl,
      clock: o.clock,
      logger: this.log.child({ component: 'projectx-rest' }),
      limiter: this.limiter,
      barsLimiter: this.barsLimiter,
      requestTimeoutMs: o.requestTimeoutMs,
      actionTimeoutMs: o.actionTimeoutMs,
      readRetries: o.readRetries,
      retryBaseDelayMs: o.retryBaseDelayMs,
      maxBackoffMs: o.maxBackoffMs,
      ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}),
      onHealth: (healthy, detail) => {
        if (this.lifecycle === 'running' || this.lifecycle === 'connecting') {
          this.setChannel('rest', healthy ? 'connected' : 'reconnecting', detail);
        }
      },
    });
    this.tokens = new TokenManager({
      rest: this.rest,
      userName: o.userName,
      apiKey: o.apiKey,
      clock: o.clock,
      logger: this.log,
      renewBeforeMs: o.tokenRenewBeforeMs,
      fallbackTtlMs: o.tokenFallbackTtlMs,
      renewRetryMs: o.tokenRenewRetryMs,
      requestTimeoutMs: o.requestTimeoutMs,
    });
    this.rest.setTokenSource(this.tokens);
    this.tokens.onChange((_token, reason) => this.onTokenChanged(reason));
    const token = (): string | null => this.tokens.current();
    const hubCommon = {
      clock: o.clock,
      logger: this.log,
      token,
      reconnectDelaysMs: o.reconnectDelaysMs,
      serverTimeoutMs: o.hubServerTimeoutMs,
      keepAliveMs: o.hubKeepAliveMs,
      onMalformed: (payload: MalformedPayload) => this.onMalformed(payload),
      onRetry: (failedAttempts: number) => this.onHubRetry(failedAttempts),
    };
    this.userHub = new UserHub({
      ...hubCommon,
      url: o.userHubUrl,
      listeners: {
        account: (account) => this.onStreamAccount(account),
        position: (position) => this.onStreamPosition(position),
        order: (order) => this.onStreamOrder(order),
        fill: (fill) => this.onStreamFill(fill),
      },
      positionSide: (accountId, contractId) => this.positionSide(accountId, contractId),
      onState: (state, detail) => this.setChannel('user-hub', state, detail),
      onSubscribed: (kind) => this.onUserHubSubscribed(kind),
    });
    this.marketHub = new MarketHub({
      ...hubCommon,
      url: o.marketHubUrl,
      listeners: { quote: (quote) => this.onStreamQuote(quote) },
      contractForSymbol: (symbolId) => this.contractForSymbol(symbolId),
      onState: (state, detail) => this.setChannel('market-hub', state, detail),
      onSubscribed: async () => undefined,
    });
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /**
   * Logs in, finds the protected accounts, connects both hubs (subscriptions first, so nothing
   * falls between them and the snapshots), then loads the start-up snapshot of every account and
   * emits it with `origin: 'snapshot'`. Rejects when login or the snapshots fail. A hub that does
   * not come up within `hubConnectTimeoutMs` keeps trying in the background and reconciles once up.
   */
  connect(): Promise<void> {
    if (this.lifecycle === 'running') return Promise.resolve();
    if (this.connecting) return this.connecting;
    this.lifecycle = 'connecting';
    this.limiter.reopen();
    this.barsLimiter.reopen();
    this.connecting = this.startUp()
      .then(() => {
        this.lifecycle = 'running';
      })
      .catch(async (err: unknown) => {
        await this.shutDown();
        this.lifecycle = 'idle';
        throw err;
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  async disconnect(): Promise<void> {
    this.lifecycle = 'stopped';
    await this.shutDown();
    this.lifecycle = 'idle';
  }

  connectionState(): ConnectionState {
    if (this.lifecycle === 'idle' || this.lifecycle === 'stopped') return 'disconnected';
    const states = Object.values(this.channelStates);
    if (states.every((s) => s === 'connected')) return 'connected';
    if (this.lifecycle === 'connecting') return 'connecting';
    return 'reconnecting';
  }

  /** State of one channel (`user-hub`, `market-hub`, `rest`). */
  channelState(channel: ConnectionChannel): ConnectionState {
    return this.channelStates[channel];
  }

  onEvent(listener: (event: BrokerEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Alerts the adapter raises (stale feed, clock skew, account rejected, malformed payloads). */
  onAlert(listener: (alert: BrokerAlert) => void): Unsubscribe {
    this.alertListeners.add(listener);
    return () => this.alertListeners.delete(listener);
  }

  /** The protected accounts known so far, with their last delivered record. */
  protectedAccounts(): readonly Account[] {
    const out: Account[] = [];
    for (const ledger of this.ledgers.values()) if (ledger.account) out.push(ledger.account);
    return out;
  }

  /** Contracts the market hub is subscribed to (exposure plus explicit subscriptions). */
  quoteSubscriptions(): readonly ContractId[] {
    return this.marketHub.subscribed();
  }

  /** When the session token expires, or null before login. */
  tokenExpiresAt(): Instant | null {
    return this.tokens.expiresAt();
  }

  /** Renews the session now (as the schedule would), restarting the hubs with the new token. */
  renewSession(): Promise<void> {
    return this.tokens.renew('renewed').then(() => undefined);
  }

  /** Counters of the request limiter, for the control API and tests. */
  limiterState(): {
    readonly inWindow: number;
    readonly queuedEnforcement: number;
    readonly queuedSnapshot: number;
  } {
    return {
      inWindow: this.limiter.inWindow(),
      queuedEnforcement: this.limiter.queued('enforcement'),
      queuedSnapshot: this.limiter.queued('snapshot'),
    };
  }

  private async startUp(): Promise<void> {
    this.setChannel('rest', 'connecting', 'login');
    await this.tokens.login();
    this.setChannel('rest', 'connected', 'logged in');
    const accounts = await this.fetchAccounts('snapshot');
    for (const account of accounts) {
      this.ledgerFor(account.id);
      void this.userHub.addAccount(account.id);
    }
    this.log.info({ accounts: accounts.map((a) => a.id) }, 'protected accounts');
    const [userUp] = await Promise.all([
      this.withDeadline(this.userHub.start(), this.options.hubConnectTimeoutMs),
      this.withDeadline(this.marketHub.start(), this.options.hubConnectTimeoutMs),
    ]);
    this.userHubMissedStartup = userUp !== true;
    await Promise.all(accounts.map((account) => this.runSync(account.id, 'snapshot', 'snapshot', account)));
    this.initialSyncDone = true;
    this.scheduleAccountPoll();
    this.scheduleWatchdog();
  }

  private async shutDown(): Promise<void> {
    if (this.accountPollTimer) this.options.clock.cancel(this.accountPollTimer);
    if (this.watchdogTimer) this.options.clock.cancel(this.watchdogTimer);
    this.accountPollTimer = null;
    this.watchdogTimer = null;
    for (const timer of this.retryTimers) this.options.clock.cancel(timer);
    this.retryTimers.clear();
    this.tokens.stop();
    await Promise.all([this.userHub.stop(), this.marketHub.stop()]);
    this.limiter.close();
    this.barsLimiter.close();
    this.initialSyncDone = false;
    this.setChannel('rest', 'disconnected', 'stopped');
  }

  private withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
    return new Promise((resolve, reject) => {
      const timer = this.options.clock.scheduleIn(ms, () => resolve('timeout'));
      promise.then(
        (value) => {
          this.options.clock.cancel(timer);
          resolve(value);
        },
        (err: unknown) => {
          this.options.clock.cancel(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  // ---- snapshots (BrokerGateway) -----------------------------------------------------------

  listAccounts(): Promise<readonly Account[]> {
    return this.fetchAccounts('snapshot');
  }

  openPositions(accountId: AccountId): Promise<readonly BrokerPosition[]> {
    return this.fetchPositions(accountId, 'snapshot');
  }

  openOrders(accountId: AccountId): Promise<readonly Order[]> {
    return this.fetchOrders(accountId, 'snapshot');
  }

  /** Non-voided fills since `since`, oldest first (voided fills never count). */
  async fillsSince(accountId: AccountId, since: Instant): Promise<readonly Fill[]> {
    const fills = await this.fetchFills(accountId, since, 'snapshot');
    return fills.filter((f) => !f.voided).sort((a, b) => a.time - b.time || a.id - b.id);
  }

  async contract(contractId: ContractId): Promise<Contract> {
    return this.contracts.get(contractId) ?? this.loadContract(contractId);
  }

  async barClose(contractId: ContractId, at: Instant): Promise<number | null> {
    const start = Math.floor(at / 60_000) * 60_000;
    const env = await this.rest.read<WireEnvelope & { bars?: unknown }>(
      Endpoint.retrieveBars,
      {
        contractId,
        live: this.options.liveData,
        startTime: new Date(start).toISOString(),
        endTime: new Date(start + 60_000).toISOString(),
        unit: 2,
        unitNumber: 1,
        limit: 2,
        includePartialBar: false,
      },
      'snapshot',
    );
    const bars = Array.isArray(env.bars) ? (env.bars as unknown[]) : [];
    let fallback: number | null = null;
    for (const bar of bars) {
      const b = bar as { t?: unknown; c?: unknown } | null;
      if (!b || typeof b.c !== 'number' || !Number.isFinite(b.c)) continue;
      const t = typeof b.t === 'string' ? Date.parse(b.t) : Number.NaN;
      if (t === start) return b.c;
      fallback ??= b.c;
    }
    return fallback;
  }

  // ---- quotes ----------------------------------------------------------------------------

  subscribeQuotes(contractIds: readonly ContractId[]): void {
    for (const id of contractIds) {
      this.explicitQuotes.add(id);
      this.marketHub.subscribe(id);
    }
  }

  unsubscribeQuotes(contractIds: readonly ContractId[]): void {
    for (const id of contractIds) {
      this.explicitQuotes.delete(id);
      this.refreshQuoteSubscription(id);
    }
  }

  // ---- actions ---------------------------------------------------------------------------

  closePosition(accountId: AccountId, contractId: ContractId, options: ActionOptions): Promise<ActionResult> {
    return this.act(Endpoint.positionClose, { accountId, contractId }, options, { accountId, contractId });
  }

  partialClosePosition(
    accountId: AccountId,
    contractId: ContractId,
    size: number,
    options: ActionOptions,
  ): Promise<ActionResult> {
    if (!Number.isSafeInteger(size) || size <= 0) {
      // Refused locally: the gateway would answer InvalidCloseSize (5) without acting.
      return Promise.resolve({
        status: 'rejected',
        code: 'invalid-size',
        brokerCode: 5,
        message: `size must be a positive integer, got ${size}`,
      });
    }
    return this.act(Endpoint.positionPartialClose, { accountId, contractId, size }, options, {
      accountId,
      contractId,
      size,
    });
  }

  cancelOrder(accountId: AccountId, orderId: OrderId, options: ActionOptions): Promise<ActionResult> {
    return this.act(Endpoint.orderCancel, { accountId, orderId }, options, { accountId, orderId });
  }

  /**
   * Flatten = cancel every working order, then close every position (the adapter's delivered
   * state), then verify with Position/searchOpen and Order/searchOpen. Nothing is resent: the
   * result is `ok` only when verification shows the account flat with no working order;
   * `rejected` when any step was refused (account-rejected first); `uncertain` otherwise.
   */
  async flatten(accountId: AccountId, options: ActionOptions): Promise<FlattenResult> {
    const ledger = this.ledgers.get(accountId);
    const orders = ledger?.workingOrders() ?? [];
    const cancels = await Promise.all(
      orders.map(async (order) => ({
        orderId: order.id,
        result: await this.cancelOrder(accountId, order.id, options),
      })),
    );
    const positions = [...(ledger?.positions.values() ?? [])];
    const closes = await Promise.all(
      positions.map(async (position) => ({
        contractId: position.contractId,
        result: await this.closePosition(accountId, position.contractId, options),
      })),
    );
    let remainingPositions: readonly BrokerPosition[] = [];
    let remainingOrders: readonly Order[] = [];
    let verifyError: string | null = null;
    for (let attempt = 0; attempt < this.options.flattenVerifyAttempts; attempt++) {
      if (this.options.flattenVerifyDelayMs > 0) await this.sleep(this.options.flattenVerifyDelayMs);
      try {
        [remainingPositions, remainingOrders] = await Promise.all([
          this.fetchPositions(accountId, 'enforcement'),
          this.fetchOrders(accountId, 'enforcement'),
        ]);
        verifyError = null;
      } catch (err) {
        verifyError = describeError(err);
        continue;
      }
      if (remainingPositions.length === 0 && remainingOrders.length === 0) break;
    }
    const steps = [
      ...cancels.map((c) =>
        c.result.status === 'rejected' && c.result.code === 'order-not-found'
          ? { status: 'ok' as const }
          : c.result,
      ),
      ...closes.map((c) => c.result),
    ];
    const rejections = steps.filter(
      (r): r is Extract<ActionResult, { status: 'rejected' }> => r.status === 'rejected',
    );
    let result: ActionResult;
    if (rejections.length > 0) {
      result = rejections.find((r) => r.code === 'account-rejected') ?? (rejections[0] as ActionResult);
    } else if (steps.some((r) => r.status === 'uncertain')) {
      result = { status: 'uncertain', reason: 'a cancel or close of the flatten got no usable answer' };
    } else if (verifyError !== null) {
      result = { status: 'uncertain', reason: `verification failed: ${verifyError}` };
    } else if (remainingPositions.length > 0 || remainingOrders.length > 0) {
      result = {
        status: 'uncertain',
        reason: `still open after flatten: ${remainingPositions.length} position(s), ${remainingOrders.length} working order(s)`,
      };
    } else {
      result = { status: 'ok' };
    }
    this.log.info(
      {
        accountId,
        idempotencyKey: options.idempotencyKey,
        result: result.status,
        cancels: cancels.length,
        closes: closes.length,
      },
      'flatten finished',
    );
    return { result, cancels, closes, remainingPositions, remainingOrders };
  }

  private async act(
    endpoint: string,
    body: Record<string, unknown>,
    options: ActionOptions,
    context: Record<string, unknown>,
  ): Promise<ActionResult> {
    const startedNs = this.options.clock.monotonicNs();
    const headers = options.idempotencyKey
      ? { 'x-riskd-idempotency-key': options.idempotencyKey }
      : undefined;
    const outcome = await this.rest.mutate(endpoint, body, options.priority, headers);
    const result = toActionResult(endpoint, outcome);
    const elapsedMs = Number(this.options.clock.monotonicNs() - startedNs) / 1e6;
    const line = {
      ...context,
      endpoint,
      idempotencyKey: options.idempotencyKey,
      priority: options.priority,
      elapsedMs,
      ...result,
    };
    if (result.status === 'ok') this.log.info(line, 'action accepted');
    else this.log.warn(line, result.status === 'rejected' ? 'action rejected' : 'action uncertain');
    if (result.status === 'rejected' && result.code === 'account-rejected') {
      this.raise({
        kind: 'account-rejected',
        severity: 'critical',
        accountId: context['accountId'] as AccountId,
        message: `the broker refuses actions on account ${String(context['accountId'])} (${endpoint}: ${result.message || 'AccountRejected'})`,
      });
    }
    return result;
  }

  // ---- reconciliation --------------------------------------------------------------------

  /**
   * Compares REST snapshots (account, positions, working orders, fills since the last one seen)
   * with what was delivered and emits the differences with `origin: 'reconcile'`. Requests go at
   * enforcement priority: the engine asks for this before deciding about a resend.
   */
  reconcile(accountId: AccountId): Promise<ReconcileReport> {
    return this.runSync(accountId, 'reconcile', 'enforcement');
  }

  private runSync(
    accountId: AccountId,
    origin: EventOrigin,
    priority: RequestPriority,
    account?: Account,
  ): Promise<ReconcileReport> {
    const pending = this.pendingSyncs.get(accountId);
    if (pending) return pending;
    const start = (): Promise<ReconcileReport> => {
      this.pendingSyncs.delete(accountId);
      const run = this.syncAccount(accountId, origin, priority, account).finally(() => {
        if (this.runningSyncs.get(accountId) === run) this.runningSyncs.delete(accountId);
      });
      this.runningSyncs.set(accountId, run);
      return run;
    };
    const running = this.runningSyncs.get(accountId);
    if (!running) return start();
    const queued = running.catch(() => undefined).then(start);
    this.pendingSyncs.set(accountId, queued);
    return queued;
  }

  private async syncAccount(
    accountId: AccountId,
    origin: EventOrigin,
    priority: RequestPriority,
    knownAccount?: Account,
  ): Promise<ReconcileReport> {
    const ledger = this.ledgerFor(accountId);
    const since =
      ledger.lastFillTime === null
        ? this.weekStartAt(this.options.clock.now())
        : ledger.lastFillTime - FILL_OVERLAP_MS;
    ledger.beginSync();
    let snapshot: AccountSnapshot;
    let resolved = new Map<OrderId, Order>();
    try {
      const [account, positions, orders, fills] = await Promise.all([
        knownAccount !== undefined ? Promise.resolve(knownAccount) : this.fetchAccount(accountId, priority),
        this.fetchPositions(accountId, priority),
        this.fetchOrders(accountId, priority),
        this.fetchFills(accountId, since, priority),
      ]);
      snapshot = { account, positions, orders, fills };
      const openIds = new Set(orders.map((o) => o.id));
      const vanished = ledger.workingOrders().filter((o) => !openIds.has(o.id));
      if (vanished.length > 0) resolved = await this.resolveOrders(accountId, vanished, priority);
      const contractIds = new Set<ContractId>();
      for (const p of positions) contractIds.add(p.contractId);
      for (const o of orders) contractIds.add(o.contractId);
      for (const f of fills) contractIds.add(f.contractId);
      await this.ensureContracts([...contractIds], origin);
    } catch (err) {
      ledger.endSync();
      throw err;
    }
    // From here to the end nothing awaits: the diff and its emission see one consistent ledger.
    const touches = ledger.endSync();
    const diff = diffSnapshot(ledger, snapshot, touches);
    let emitted = 0;
    if (diff.account && ledger.acceptAccount(diff.account)) {
      this.emit({ kind: 'account', accountId, account: diff.account, ...this.meta(origin, null) });
      emitted++;
    }
    let fillsRecovered = 0;
    for (const fill of diff.fills) {
      if (!ledger.acceptFill(fill)) continue;
      this.emit({ kind: 'fill', accountId, fill, ...this.meta(origin, fill.time) });
      emitted++;
      fillsRecovered++;
    }
    const finalOrders = diff.vanishedOrders.map((order) => this.finalStateOf(order, resolved.get(order.id)));
    for (const order of [...diff.orders, ...finalOrders]) {
      if (!ledger.acceptOrder(order)) continue;
      this.emit({
        kind: 'order',
        accountId,
        order,
        ...this.meta(origin, order.updatedAt ?? order.createdAt),
      });
      emitted++;
    }
    for (const position of diff.positions) {
      if (!ledger.acceptPosition(position)) continue;
      this.emit({ kind: 'position', accountId, position, ...this.meta(origin, null) });
      emitted++;
    }
    const touched = new Set<ContractId>([...diff.orders, ...finalOrders].map((o) => o.contractId));
    for (const p of diff.positions) touched.add(p.contractId);
    for (const id of touched) this.refreshQuoteSubscription(id);
    const report: ReconcileReport = {
      accountId,
      eventsEmitted: emitted,
      fillsRecovered,
      at: this.options.clock.now(),
    };
    this.log.info(
      { ...report, origin },
      origin === 'snapshot' ? 'account snapshot loaded' : 'account reconciled',
    );
    return report;
  }

  /** The final state of a working order that left Order/searchOpen, from Order/search. */
  private async resolveOrders(
    accountId: AccountId,
    orders: readonly Order[],
    priority: RequestPriority,
  ): Promise<Map<OrderId, Order>> {
    const since = Math.min(...orders.map((o) => o.createdAt)) - FILL_OVERLAP_MS;
    const env = await this.rest.read<WireEnvelope & { orders?: unknown }>(
      Endpoint.orderSearch,
      { accountId, startTimestamp: new Date(since).toISOString() },
      priority,
    );
    const wanted = new Set(orders.map((o) => o.id));
    const out = new Map<OrderId, Order>();
    for (const order of this.normalizeList(env.orders, normalizeOrder, Endpoint.orderSearch)) {
      if (wanted.has(order.id)) out.set(order.id, order);
    }
    return out;
  }

  private finalStateOf(delivered: Order, found: Order | undefined): Order {
    if (found && !isWorking(found)) return found;
    // Not open and not in the history (or still shown working there): it is gone; call it cancelled.
    this.log.warn(
      { orderId: delivered.id, accountId: delivered.accountId },
      'working order vanished; reported cancelled',
    );
    return { ...delivered, status: OrderStatus.Cancelled, updatedAt: this.options.clock.now() };
  }

  private reconcileAll(reason: string): void {
    for (const accountId of this.ledgers.keys()) this.reconcileWithRetry(accountId, reason);
  }

  private reconcileWithRetry(accountId: AccountId, reason: string): void {
    if (this.lifecycle !== 'running' && this.lifecycle !== 'connecting') return;
    this.runSync(accountId, 'reconcile', 'snapshot').then(
      () => this.failingReconciles.delete(accountId),
      (err: unknown) => {
        this.log.error({ accountId, reason, err: describeError(err) }, 'reconciliation failed; retrying');
        // One alert per streak of failures, not one per retry.
        if (!this.failingReconciles.has(accountId)) {
          this.failingReconciles.add(accountId);
          this.raise({
            kind: 'reconcile-failed',
            severity: 'warning',
            accountId,
            message: `reconciliation of account ${accountId} after ${reason} failed: ${describeError(err)}; retrying every ${this.options.reconcileRetryMs} ms`,
          });
        }
        const timer = this.options.clock.scheduleIn(this.options.reconcileRetryMs, () => {
          this.retryTimers.delete(timer);
          this.reconcileWithRetry(accountId, reason);
        });
        this.retryTimers.add(timer);
      },
    );
  }

  private async onUserHubSubscribed(kind: ConnectedKind): Promise<void> {
    if (this.initialSyncDone || (this.userHubMissedStartup && kind === 'initial')) {
      this.userHubMissedStartup = false;
      this.reconcileAll(`user-hub ${kind}`);
    }
  }

  /**
   * A hub that keeps failing to reconnect may be holding a token the gateway no longer accepts
   * (revoked, or expired while the hub was down): signalr does not report the 401 of the upgrade.
   * From the second failed attempt on, at most every SESSION_CHECK_MS, a REST read checks the
   * session; a 401 there renews it, and the new token restarts the hubs.
   */
  private onHubRetry(failedAttempts: number): void {
    if (failedAttempts < 2 || this.lifecycle !== 'running' || this.sessionCheck) return;
    const now = this.options.clock.now();
    if (now - this.lastSessionCheckAt < SESSION_CHECK_MS) return;
    this.lastSessionCheckAt = now;
    this.sessionCheck = this.pollAccounts().finally(() => {
      this.sessionCheck = null;
    });
  }

  private onTokenChanged(reason: TokenChangeReason): void {
    if (reason === 'login' || this.lifecycle !== 'running') return;
    // The hubs hold the old token in their URL: reconnect them with the new one. The user hub's
    // restart reconciles (something may have happened while it was down).
    void this.userHub.restart('session token renewed');
    void this.marketHub.restart('session token renewed');
  }

  // ---- accounts --------------------------------------------------------------------------

  private ledgerFor(accountId: AccountId): AccountLedger {
    let ledger = this.ledgers.get(accountId);
    if (!ledger) {
      ledger = new AccountLedger(accountId);
      this.ledgers.set(accountId, ledger);
    }
    return ledger;
  }

  /** A new protected account: subscribe it on the user hub, then load and emit its snapshot. */
  private adoptAccount(account: Account): Promise<void> {
    const existing = this.adopting.get(account.id);
    if (existing) return existing;
    if (this.ledgers.has(account.id)) return Promise.resolve();
    this.log.info({ accountId: account.id, name: account.name }, 'new protected account');
    this.ledgerFor(account.id);
    const run = (async () => {
      await this.userHub.addAccount(account.id);
      await this.runSync(account.id, 'snapshot', 'snapshot', account);
    })()
      .catch((err: unknown) => {
        this.log.error(
          { accountId: account.id, err: describeError(err) },
          'loading a new account failed; reconciling later',
        );
        this.reconcileWithRetry(account.id, 'new account');
      })
      .finally(() => this.adopting.delete(account.id));
    this.adopting.set(account.id, run);
    return run;
  }

  private scheduleAccountPoll(): void {
    this.accountPollTimer = this.options.clock.scheduleIn(this.options.accountPollMs, () => {
      this.accountPollTimer = null;
      void this.pollAccounts().finally(() => {
        if (this.lifecycle === 'running') this.scheduleAccountPoll();
      });
    });
  }

  /** Account/search: adopts accounts that appeared, emits changed records (e.g. `canTrade`). */
  async pollAccounts(): Promise<void> {
    const seqs = new Map<AccountId, number>();
    for (const [id, ledger] of this.ledgers) seqs.set(id, ledger.accountStreamSeq);
    let accounts: readonly Account[];
    try {
      accounts = await this.fetchAccounts('snapshot');
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'account poll failed');
      return;
    }
    for (const account of accounts) {
      const ledger = this.ledgers.get(account.id);
      if (!ledger) {
        void this.adoptAccount(account);
        continue;
      }
      // A stream record that arrived during the poll is newer than the poll's answer.
      if (seqs.get(account.id) !== ledger.accountStreamSeq || this.adopting.has(account.id)) continue;
      if (ledger.acceptAccount(account)) {
        this.emit({ kind: 'account', accountId: account.id, account, ...this.meta('reconcile', null) });
      }
    }
  }

  // ---- stream ----------------------------------------------------------------------------

  private onStreamAccount(account: Account): void {
    const ledger = this.ledgers.get(account.id);
    if (!ledger) {
      void this.adoptAccount(account);
      return;
    }
    ledger.touchAccount();
    if (!ledger.acceptAccount(account)) return;
    this.emit({ kind: 'account', accountId: account.id, account, ...this.meta('stream', null) });
  }

  private onStreamPosition(position: BrokerPosition): void {
    const ledger = this.ledgerFor(position.accountId);
    ledger.touchPosition(position.contractId);
    if (!ledger.acceptPosition(position)) return;
    this.emit({ kind: 'position', accountId: position.accountId, position, ...this.meta('stream', null) });
    this.refreshQuoteSubscription(position.contractId);
    this.ensureContractInBackground(position.contractId);
  }

  private onStreamOrder(order: Order): void {
    const ledger = this.ledgerFor(order.accountId);
    ledger.touchOrder(order.id);
    if (!ledger.acceptOrder(order)) return;
    const brokerTime = order.updatedAt ?? order.createdAt;
    this.emit({ kind: 'order', accountId: order.accountId, order, ...this.meta('stream', brokerTime) });
    this.checkSkew(brokerTime);
    this.refreshQuoteSubscription(order.contractId);
    this.ensureContractInBackground(order.contractId);
  }

  private onStreamFill(fill: Fill): void {
    const ledger = this.ledgerFor(fill.accountId);
    if (!ledger.acceptFill(fill)) return;
    this.emit({ kind: 'fill', accountId: fill.accountId, fill, ...this.meta('stream', fill.time) });
    this.checkSkew(fill.time);
    this.ensureContractInBackground(fill.contractId);
  }

  private onStreamQuote(quote: Quote): void {
    this.emit({ kind: 'quote', quote, ...this.meta('stream', quote.time) });
    this.checkSkew(quote.time);
  }

  private onMalformed(payload: MalformedPayload): void {
    this.raise({
      kind: 'malformed-payload',
      severity: 'info',
      message: `${payload.channel} ${payload.event}: ${payload.reason}`,
    });
  }

  private positionSide(accountId: AccountId, contractId: ContractId): PositionSide | undefined {
    return this.ledgers.get(accountId)?.positions.get(contractId)?.side;
  }

  private refreshQuoteSubscription(contractId: ContractId): void {
    let needed = this.explicitQuotes.has(contractId);
    if (!needed) {
      for (const ledger of this.ledgers.values()) {
        if (ledger.hasExposure(contractId)) {
          needed = true;
          break;
        }
      }
    }
    if (needed) this.marketHub.subscribe(contractId);
    else this.marketHub.unsubscribe(contractId);
  }

  // ---- watchdogs -------------------------------------------------------------------------

  private checkSkew(brokerTime: Instant): void {
    const now = this.options.clock.now();
    const skew = brokerTime - now;
    if (Math.abs(skew) <= this.options.clockSkewAlertMs) return;
    if (now - this.lastSkewAlertAt < this.options.clockSkewAlertIntervalMs) return;
    this.lastSkewAlertAt = now;
    this.raise({
      kind: 'clock-skew',
      severity: 'warning',
      skewMs: skew,
      message: `broker timestamps are ${Math.round(skew)} ms from the local clock (threshold ${this.options.clockSkewAlertMs} ms)`,
    });
  }

  private scheduleWatchdog(): void {
    this.watchdogTimer = this.options.clock.scheduleIn(this.options.staleCheckIntervalMs, () => {
      this.watchdogTimer = null;
      if (this.lifecycle !== 'running') return;
      this.checkStaleFeed();
      this.scheduleWatchdog();
    });
  }

  /** Subscribed contracts that have had no quote for `staleQuoteMs` (whatever the calendar says). */
  staleQuoteContracts(): readonly ContractId[] {
    return this.marketHub.staleContracts(this.options.clock.now() - this.options.staleQuoteMs);
  }

  /**
   * While the market is open, a subscribed contract without a quote for `staleQuoteMs` forces a
   * market-hub reconnect and an alert. Repeated staleness backs off (doubling, up to 5 min) so a
   * contract that is simply quiet does not reconnect the hub every few seconds.
   */
  checkStaleFeed(): void {
    const now = this.options.clock.now();
    if (!this.isMarketOpen(now) || !this.marketHub.isConnected()) return;
    const stale = this.marketHub.staleContracts(now - this.options.staleQuoteMs);
    if (stale.length === 0) {
      this.staleStrikes = 0;
      return;
    }
    if (now < this.nextForcedReconnectAt) return;
    this.staleStrikes++;
    const backoff = Math.min(MAX_STALE_BACKOFF_MS, this.options.staleQuoteMs * 2 ** (this.staleStrikes - 1));
    this.nextForcedReconnectAt = now + backoff;
    const detail = `stale feed: no quote for ${stale.join(', ')} in ${this.options.staleQuoteMs} ms`;
    this.raise({
      kind: 'stale-feed',
      severity: 'warning',
      contractIds: stale,
      message: `${detail}; reconnecting the market hub`,
    });
    void this.marketHub.restart(detail);
  }

  // ---- contracts -------------------------------------------------------------------------

  private async ensureContracts(ids: readonly ContractId[], origin: EventOrigin): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        if (this.contracts.has(id)) return;
        try {
          const contract = await this.loadContract(id);
          this.emit({ kind: 'contract', contract, ...this.meta(origin, null) });
        } catch (err) {
          this.log.warn({ contractId: id, err: describeError(err) }, 'contract lookup failed');
        }
      }),
    );
  }

  private ensureContractInBackground(id: ContractId): void {
    if (this.contracts.has(id) || this.contractLoads.has(id)) return;
    void this.ensureContracts([id], 'stream');
  }

  private loadContract(id: ContractId): Promise<Contract> {
    const loading = this.contractLoads.get(id);
    if (loading) return loading;
    const run = (async () => {
      const env = await this.rest.read<WireEnvelope & { contract?: unknown; contracts?: unknown }>(
        Endpoint.contractSearchById,
        { contractId: id },
        'snapshot',
      );
      const raw =
        env.contract ?? (Array.isArray(env.contracts) ? (env.contracts as unknown[])[0] : undefined);
      if (raw === undefined || raw === null)
        throw new TopstepXMalformedPayloadError('contract', 'contract', `missing for ${id}`);
      const contract = normalizeContract(raw);
      this.contracts.set(id, contract);
      return contract;
    })().finally(() => this.contractLoads.delete(id));
    this.contractLoads.set(id, run);
    return run;
  }

  private contractForSymbol(symbolId: string): ContractId | undefined {
    for (const id of this.marketHub.subscribed()) {
      if (this.contracts.get(id)?.symbolId === symbolId) return id;
    }
    return undefined;
  }

  // ---- REST reads ------------------------------------------------------------------------

  private async fetchAccounts(priority: RequestPriority): Promise<Account[]> {
    const env = await this.rest.read<WireEnvelope & { accounts?: unknown }>(
      Endpoint.accountSearch,
      { onlyActiveAccounts: true },
      priority,
    );
    return this.normalizeList(env.accounts, normalizeAccount, Endpoint.accountSearch);
  }

  private async fetchAccount(accountId: AccountId, priority: RequestPriority): Promise<Account | null> {
    const accounts = await this.fetchAccounts(priority);
    return accounts.find((a) => a.id === accountId) ?? null;
  }

  private async fetchPositions(accountId: AccountId, priority: RequestPriority): Promise<BrokerPosition[]> {
    const env = await this.rest.read<WireEnvelope & { positions?: unknown }>(
      Endpoint.positionSearchOpen,
      { accountId },
      priority,
    );
    return this.normalizeList(
      env.positions,
      (raw) => normalizePosition(raw),
      Endpoint.positionSearchOpen,
    ).filter((p) => p.size > 0);
  }

  private async fetchOrders(accountId: AccountId, priority: RequestPriority): Promise<Order[]> {
    const env = await this.rest.read<WireEnvelope & { orders?: unknown }>(
      Endpoint.orderSearchOpen,
      { accountId },
      priority,
    );
    return this.normalizeList(env.orders, normalizeOrder, Endpoint.orderSearchOpen).filter(isWorking);
  }

  private async fetchFills(accountId: AccountId, since: Instant, priority: RequestPriority): Promise<Fill[]> {
    const env = await this.rest.read<WireEnvelope & { trades?: unknown }>(
      Endpoint.tradeSearch,
      { accountId, startTimestamp: new Date(since).toISOString() },
      priority,
    );
    return this.normalizeList(env.trades, normalizeFill, Endpoint.tradeSearch);
  }

  /** Normalizes a REST list; a malformed item is logged and skipped like a malformed frame. */
  private normalizeList<T>(value: unknown, normalize: (raw: unknown) => T, endpoint: string): T[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      throw new TopstepXMalformedPayloadError(endpoint, '(list)', 'is not an array');
    }
    const out: T[] = [];
    for (const item of value) {
      try {
        out.push(normalize(item));
      } catch (err) {
        if (!(err instanceof TopstepXError)) throw err;
        this.log.warn(
          { endpoint, reason: err.message, raw: JSON.stringify(item)?.slice(0, 2048) },
          'malformed item skipped',
        );
      }
    }
    return out;
  }

  // ---- plumbing --------------------------------------------------------------------------

  private meta(origin: EventOrigin, brokerTime: Instant | null) {
    return {
      brokerTime,
      receivedAt: this.options.clock.now(),
      receivedNs: this.options.clock.monotonicNs(),
      origin,
    };
  }

  private emit(event: BrokerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log.error({ kind: event.kind, err: describeError(err) }, 'event listener failed');
      }
    }
  }

  private setChannel(channel: ConnectionChannel, state: ConnectionState, detail: string | undefined): void {
    if (this.channelStates[channel] === state) return;
    this.channelStates[channel] = state;
    this.emit({
      kind: 'connection',
      channel,
      state,
      ...(detail === undefined ? {} : { detail }),
      ...this.meta('stream', null),
    });
  }

  private raise(partial: Omit<BrokerAlert, 'at'>): void {
    const alert: BrokerAlert = { ...partial, at: this.options.clock.now() };
    const line = {
      kind: alert.kind,
      accountId: alert.accountId,
      contractIds: alert.contractIds,
      skewMs: alert.skewMs,
    };
    if (alert.severity === 'critical') this.log.error(line, alert.message);
    else if (alert.severity === 'warning') this.log.warn(line, alert.message);
    else this.log.info(line, alert.message);
    for (const listener of this.alertListeners) {
      try {
        listener(alert);
      } catch (err) {
        this.log.error({ err: describeError(err) }, 'alert listener failed');
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.scheduleIn(ms, resolve));
  }
}

/** Maps a mutation outcome to the port's ActionResult, per endpoint (their codes differ). */
export function toActionResult(endpoint: string, outcome: MutationOutcome): ActionResult {
  switch (outcome.kind) {
    case 'uncertain':
      return { status: 'uncertain', reason: outcome.reason };
    case 'refused':
      return {
        status: 'rejected',
        code: 'unknown',
        brokerCode: outcome.status,
        message: `HTTP ${outcome.status}`,
      };
    case 'answered': {
      const { success, errorCode, errorMessage } = outcome.envelope;
      const mapped = mapActionCode(endpoint, success, errorCode);
      if (mapped === 'ok') return { status: 'ok' };
      return { status: 'rejected', code: mapped, brokerCode: errorCode, message: errorMessage ?? '' };
    }
  }
}
