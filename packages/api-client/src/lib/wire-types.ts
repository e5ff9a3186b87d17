/**
 * The control API's wire types: what travels as JSON between the daemon and its clients.
 *
 * Conventions (every route follows them, and the JSON schemas in `schemas/` state them):
 * - Money is a decimal string in dollars with exactly two decimals (`"-512.50"`, `"1234.00"`),
 *   rounded half away from zero at the cent, like the reasons the engine writes. Strings, not JSON
 *   numbers, so no client ever sees a binary floating-point amount.
 * - Instants are ISO 8601 strings in UTC with milliseconds (`"2026-03-09T21:59:59.000Z"`).
 * - Prices are JSON numbers as the broker states them (on the contract's tick grid).
 * - Absent values are `null`, not missing, in responses (request bodies may omit optional fields).
 */

/** A decimal amount of dollars with two decimals, e.g. `"-512.50"`. */
export type Money = string;
/** An ISO 8601 instant in UTC, e.g. `"2026-03-09T21:59:59.000Z"`. */
export type IsoInstant = string;
/** A ProjectX account id. */
export type AccountId = number;

/** Who may call a route: anyone local, the trader (or the admin), or the admin only. */
export type RouteRole = 'public' | 'trader' | 'admin';
/** The roles a token can carry. */
export type Role = 'admin' | 'trader';
/** How a role authenticates: a password is set, none was set yet, or (trader only) none is needed. */
export type CredentialState = 'set' | 'unset' | 'none';
/** How a rule instance's decisions are treated. */
export type RuleMode = 'enforce' | 'alert-only' | 'dry-run';
export type AlertSeverity = 'info' | 'warning' | 'critical';
export type LockoutCondition = 'can-trade' | 'config-valid' | 'symbol-unblocked';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

// ---------------------------------------------------------------------------------------------
// Errors

/** One problem of a request or a config, with the JSON path of the offending value. */
export interface Problem {
  /** E.g. `body.rules[0].options.limit` or `accounts[1].rules[0].mode`. */
  readonly path: string;
  readonly message: string;
}

/** Stable machine codes of the API's error bodies. */
export type ApiErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_BODY'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'THROTTLED'
  | 'PASSWORD_NOT_SET'
  | 'UNAVAILABLE'
  | 'NOT_ACCEPTABLE'
  | 'INTERNAL';

/** The body of every error response (4xx and 5xx). */
export interface ApiErrorBody {
  readonly statusCode: number;
  /** The HTTP reason phrase, e.g. `Unauthorized`. */
  readonly error: string;
  /** Present on every error Riskd itself produces. */
  readonly code?: ApiErrorCode;
  readonly message: string;
  /** Every validation problem, each with its path (400). */
  readonly problems?: readonly Problem[];
  /** How long to wait before the next login attempt (429). */
  readonly retryAfterSeconds?: number;
  /** The request id to look for in the daemon's log (500). */
  readonly requestId?: string;
}

// ---------------------------------------------------------------------------------------------
// Root and auth

export interface HealthResponse {
  /** `ok` once the daemon protects the accounts; `starting` before, `stopping` after a stop. */
  readonly status: 'ok' | 'starting' | 'stopping';
  readonly ready: boolean;
  readonly now: IsoInstant;
}

export interface LoginRequest {
  readonly role: Role;
  readonly password: string;
}

export interface LoginResponse {
  /** Bearer token for `Authorization: Bearer <token>`. Opaque. */
  readonly token: string;
  readonly expiresAt: IsoInstant;
  readonly role: Role;
}

// ---------------------------------------------------------------------------------------------
// Read routes

export type BrokerConnectionState = 'connected' | 'connecting' | 'reconnecting' | 'disconnected';

export interface TradingDayWire {
  /** The calendar date (in the configured zone) on which the trading day ends. */
  readonly id: string;
  readonly start: IsoInstant;
  readonly end: IsoInstant;
}

export interface StatusResponse {
  readonly version: string;
  readonly startedAt: IsoInstant;
  readonly now: IsoInstant;
  readonly phase: 'starting' | 'running' | 'stopping';
  readonly ready: boolean;
  readonly broker: {
    readonly provider: string;
    readonly state: BrokerConnectionState;
    readonly since: IsoInstant | null;
  };
  readonly tradingDay: TradingDayWire;
  readonly lastResetAt: IsoInstant | null;
  readonly market: { readonly open: boolean; readonly nextChangeAt: IsoInstant | null };
  readonly config: {
    readonly revision: number;
    readonly loadedAt: IsoInstant | null;
    /** True while the file on disk is broken and the last good config is kept (block-entries lockouts). */
    readonly failsafe: boolean;
    readonly problems: readonly Problem[];
  };
  readonly counts: {
    readonly accounts: number;
    readonly protectedAccounts: number;
    readonly openPositions: number;
    readonly lockouts: number;
  };
  readonly auth: { readonly admin: CredentialState; readonly trader: CredentialState };
}

export interface PnlWire {
  readonly realized: Money;
  readonly unrealized: Money;
  readonly combined: Money;
  readonly fees: Money;
  readonly peakRealized: Money;
  readonly peakCombined: Money;
  /** True while an open position's contract has had no quote yet. */
  readonly stale: boolean;
}

export interface AccountSummary {
  readonly id: AccountId;
  readonly name: string;
  /** False for accounts configured `enabled: false`. */
  readonly protected: boolean;
  /** True when the broker refused actions on this account and Riskd only alerts. */
  readonly alertOnly: boolean;
  readonly canTrade: boolean;
  readonly simulated: boolean;
  readonly balance: Money | null;
  readonly equity: Money | null;
  readonly balanceAtReset: Money | null;
  readonly pnl: PnlWire;
  readonly openPositions: number;
  readonly workingOrders: number;
  readonly locked: boolean;
  readonly lockoutIds: readonly string[];
}

export interface PositionWire {
  readonly contractId: string;
  readonly contractName: string;
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly size: number;
  readonly averagePrice: number;
  /** The average price, or the reset mark for a position carried over a reset. */
  readonly basisPrice: number;
  readonly mark: number;
  readonly markStale: boolean;
  readonly carried: boolean;
  readonly openedAt: IsoInstant;
  readonly lastQuoteAt: IsoInstant | null;
  readonly unrealized: Money;
}

export type OrderTypeWire =
  'unknown' | 'limit' | 'market' | 'stop-limit' | 'stop' | 'trailing-stop' | 'join-bid' | 'join-ask';
export type OrderStatusWire = 'open' | 'pending' | 'suspended' | 'pending-cancellation';

export interface WorkingOrderWire {
  readonly id: number;
  readonly contractId: string;
  readonly symbol: string;
  readonly type: OrderTypeWire;
  readonly side: 'buy' | 'sell';
  readonly size: number;
  readonly status: OrderStatusWire;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
  readonly fillVolume: number;
  readonly createdAt: IsoInstant;
}

export interface RoundTripWire {
  readonly contractId: string;
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly openedAt: IsoInstant;
  readonly closedAt: IsoInstant;
  readonly pnl: Money;
  readonly fees: Money;
  readonly maxSize: number;
}

/**
 * One more reason a lockout's scope stays locked: another lockout asked for on the same scope,
 * which holds after the lockout's own end passes (RULES.md: "the latest end wins").
 */
export interface LockoutHoldWire {
  readonly ruleId: string;
  readonly instanceId: string;
  readonly code: string;
  readonly reason: string;
  readonly startedAt: IsoInstant;
  /** The instant it ends, or null when a condition ends it. */
  readonly endsAt: IsoInstant | null;
  readonly endCondition: LockoutCondition | null;
}

/**
 * A lockout of an account or of one symbol on it. Flat: `symbol` is null for account scope. Its
 * own fields are the hold that ends last (a condition ranks above any instant); the scope is locked
 * until every hold in `holds` has ended too.
 */
export interface LockoutWire extends LockoutHoldWire {
  /** `<accountId>:account` or `<accountId>:symbol:<SYMBOL>`. */
  readonly id: string;
  readonly accountId: AccountId;
  readonly scope: 'account' | 'symbol';
  readonly symbol: string | null;
  /**
   * The other holds on this scope, latest end first (empty when there are none). Riskd always
   * sends it; it is optional so that lockouts written by an older daemon still read.
   */
  readonly holds?: readonly LockoutHoldWire[];
}

export interface AccountDetail extends AccountSummary {
  readonly tradingDay: TradingDayWire;
  readonly positions: readonly PositionWire[];
  readonly orders: readonly WorkingOrderWire[];
  readonly lockouts: readonly LockoutWire[];
  readonly roundTrips: readonly RoundTripWire[];
}

export interface AccountsResponse {
  readonly accounts: readonly AccountSummary[];
}

export interface PnlQuery {
  readonly from?: IsoInstant;
  readonly to?: IsoInstant;
  /** At most this many points, evenly thinned (1..5000, default 500). */
  readonly maxPoints?: number;
}

export interface PnlPoint {
  readonly at: IsoInstant;
  readonly realized: Money;
  readonly unrealized: Money;
  readonly combined: Money;
}

export interface PnlSeriesResponse {
  readonly accountId: AccountId;
  readonly tradingDay: TradingDayWire;
  readonly points: readonly PnlPoint[];
}

export interface AccountFilterQuery {
  readonly accountId?: AccountId;
}

export interface RuleInstanceWire {
  readonly ruleId: string;
  readonly instanceId: string;
  readonly title: string | null;
  readonly mode: RuleMode;
  readonly warnAt: number | null;
  /** Validated options with defaults applied. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Where the entry came from: `rules[0]`, `accounts[1].rules[2]`, `preset topstep-50k rules[0]`. */
  readonly source: string;
}

/** A loosening change waiting for the next trading-day reset. */
export interface PendingChangeWire {
  readonly path: string;
  readonly summary: string;
  readonly appliesAt: IsoInstant;
}

export interface AccountRulesWire {
  readonly accountId: AccountId;
  readonly name: string | null;
  readonly protected: boolean;
  /** The matching `accounts[]` entry, or null for an unlisted account (universal rules). */
  readonly source: string | null;
  readonly preset: string | null;
  readonly rules: readonly RuleInstanceWire[];
  readonly pending: readonly PendingChangeWire[];
}

export interface RulesInForceResponse {
  readonly accounts: readonly AccountRulesWire[];
}

export interface RuleTimerWire {
  readonly accountId: AccountId;
  readonly ruleId: string | null;
  readonly instanceId: string;
  readonly key: string;
  readonly at: IsoInstant;
}

export interface LockoutsResponse {
  readonly now: IsoInstant;
  readonly lockouts: readonly LockoutWire[];
  /** Rule timers (grace periods, cooldown ends, session closes) pending. */
  readonly timers: readonly RuleTimerWire[];
}

/** A page of a log; pass `nextCursor` back as `cursor` for the next page (null: the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export type EnforcementAction = 'alert' | 'cancel' | 'reduce' | 'close' | 'flatten' | 'lockout';
/** `recorded` is a "would have" row of an alert-only or dry-run rule (nothing sent). */
export type EnforcementOutcome =
  'in-progress' | 'confirmed' | 'failed' | 'superseded' | 'aborted' | 'recorded';

export interface EnforcementTimingsWire {
  readonly receivedAt: IsoInstant | null;
  readonly decidedAt: IsoInstant | null;
  readonly sentAt: IsoInstant | null;
  readonly confirmedAt: IsoInstant | null;
}

export interface EnforcementWire {
  readonly id: string;
  readonly at: IsoInstant;
  readonly accountId: AccountId;
  readonly contractId: string | null;
  readonly symbol: string | null;
  readonly ruleId: string | null;
  readonly instanceId: string | null;
  readonly code: string;
  readonly reason: string;
  readonly mode: RuleMode;
  readonly action: EnforcementAction;
  readonly outcome: EnforcementOutcome;
  readonly idempotencyKey: string | null;
  readonly attempts: number;
  readonly timings: EnforcementTimingsWire;
  /** From the triggering event's arrival to the broker's confirmation, when both are known. */
  readonly latencyMs: number | null;
}

export interface EnforcementsQuery {
  readonly accountId?: AccountId;
  readonly code?: string;
  readonly from?: IsoInstant;
  readonly to?: IsoInstant;
  /** 1..500, default 100. */
  readonly limit?: number;
  readonly cursor?: string;
}

export type EnforcementsResponse = Page<EnforcementWire>;

/**
 * Audit kinds the engine writes (`decision`, `action-sent`, `action-result`, `action-confirmed`,
 * `escalation`, `lockout-started`, `lockout-ended`, `warning`, `alert-only`, `reset`, `system`);
 * the daemon may add its own (config changes, admin actions). Clients show unknown kinds as is.
 */
export type AuditKindWire = string;

export interface AuditRecordWire {
  /** Position in the hash chain, from 1. */
  readonly seq: number;
  readonly at: IsoInstant;
  readonly kind: AuditKindWire;
  readonly accountId: AccountId | null;
  readonly contractId: string | null;
  readonly ruleId: string | null;
  readonly instanceId: string | null;
  readonly code: string | null;
  readonly reason: string | null;
  readonly mode: RuleMode | null;
  readonly idempotencyKey: string | null;
  /** A compact description of the triggering event (any JSON), or null. */
  readonly event: unknown;
  readonly timings: EnforcementTimingsWire | null;
  /** The numbers behind the reason (any JSON), or null. */
  readonly data: unknown;
  /** This row's hash in the chain (hex). */
  readonly hash: string;
}

export interface AuditQuery {
  readonly accountId?: AccountId;
  readonly kind?: string;
  readonly ruleId?: string;
  readonly code?: string;
  readonly from?: IsoInstant;
  readonly to?: IsoInstant;
  /** `desc` (newest first, the default) or `asc`. */
  readonly order?: 'asc' | 'desc';
  /** 1..1000, default 100. */
  readonly limit?: number;
  readonly cursor?: string;
}

export type AuditResponse = Page<AuditRecordWire>;

// ---------------------------------------------------------------------------------------------
// Live stream (GET /api/v1/events)

export interface AlertWire {
  readonly id: string;
  readonly at: IsoInstant;
  readonly severity: AlertSeverity;
  /** E.g. `enforcement`, `lockout-started`, `warning`, `connection-lost` (the notifier's README lists them all). */
  readonly kind: string;
  readonly accountId: AccountId | null;
  readonly ruleId: string | null;
  readonly code: string | null;
  readonly title: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** What the daemon publishes to the live stream. */
export type DaemonEvent =
  | { readonly type: 'alert'; readonly alert: AlertWire }
  | { readonly type: 'enforcement'; readonly enforcement: EnforcementWire }
  | {
      readonly type: 'lockout';
      readonly change: 'started' | 'updated' | 'ended' | 'cleared';
      readonly lockout: LockoutWire;
    }
  | { readonly type: 'account'; readonly account: AccountSummary }
  | { readonly type: 'status'; readonly status: StatusResponse }
  | { readonly type: 'audit'; readonly record: AuditRecordWire };

/**
 * The first message of every live-stream connection. `resync` is true when the client asked to
 * resume (`Last-Event-ID`) from an event the daemon no longer holds (too old, or from before a
 * restart): the client should fetch fresh snapshots because it missed events.
 */
export interface HelloEvent {
  readonly type: 'hello';
  readonly bootId: string;
  readonly now: IsoInstant;
  readonly resync: boolean;
  /** Events replayed after this hello because the client resumed. */
  readonly replayed: number;
}

export type LiveEvent = HelloEvent | DaemonEvent;
export type LiveEventType = LiveEvent['type'];

// ---------------------------------------------------------------------------------------------
// Trader routes

export interface ClockRequest {
  readonly note?: string;
}

export interface WorkSessionWire {
  readonly id: string;
  readonly clockedInAt: IsoInstant;
  readonly clockedOutAt: IsoInstant | null;
  readonly noteIn: string | null;
  readonly noteOut: string | null;
}

export interface ClockResponse {
  readonly session: WorkSessionWire;
}

export interface NotificationPreferencesWire {
  /** Alert kinds to deliver, or `all`. */
  readonly kinds: 'all' | readonly string[];
  /** Channel names from the config's `notifications` section (e.g. `discord`, `telegram`). */
  readonly channels: readonly string[];
  /** Quiet hours in the trading-day zone (`HH:MM`); critical alerts ignore them. */
  readonly quietHours: { readonly start: string; readonly end: string } | null;
}

export interface SelfLockoutRequest {
  /** The account to lock; omitted: every protected account. */
  readonly accountId?: AccountId;
  /** `reset` (the next trading-day reset) or an ISO instant in the future. */
  readonly until: 'reset' | IsoInstant;
  readonly reason?: string;
}

export interface SelfLockoutResponse {
  readonly lockouts: readonly LockoutWire[];
}

// ---------------------------------------------------------------------------------------------
// Admin routes

/** One entry of `rules` or `accounts[].rules`, as written in the config file. */
export interface RuleEntryWire {
  readonly rule: string;
  readonly id?: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly mode?: RuleMode;
  readonly enabled?: boolean;
  readonly warnAt?: number;
}

/** One entry of `accounts`, as written in the config file. */
export interface AccountEntryWire {
  readonly id?: AccountId;
  readonly name?: string;
  readonly enabled?: boolean;
  readonly preset?: string;
  readonly rules?: readonly RuleEntryWire[];
}

export interface RulesConfigResponse {
  readonly revision: number;
  readonly rules: readonly RuleEntryWire[];
}

export interface AccountsConfigResponse {
  readonly revision: number;
  readonly accounts: readonly AccountEntryWire[];
}

/** Fields every config write shares. */
export interface ConfigWriteOptions {
  /** Refuse the write (409) unless the config is still at this revision. */
  readonly expectedRevision?: number;
  /** Apply loosening changes now instead of at the next reset; needs `reason` (audited, alerted). */
  readonly force?: boolean;
  readonly reason?: string;
}

export interface PutRulesConfigRequest extends ConfigWriteOptions {
  readonly rules: readonly RuleEntryWire[];
}

export interface PutAccountsConfigRequest extends ConfigWriteOptions {
  readonly accounts: readonly AccountEntryWire[];
}

export interface ConfigChangeWire {
  readonly path: string;
  readonly summary: string;
  readonly strictness: 'tighter' | 'looser';
  /** Null when applied at once; else the reset at which it applies. */
  readonly appliesAt: IsoInstant | null;
  readonly forced: boolean;
}

export interface ConfigChangeResponse {
  readonly revision: number;
  readonly changes: readonly ConfigChangeWire[];
}

export interface BrokerCredentialsRequest {
  readonly userName: string;
  readonly apiKey: string;
}

/** The key is never echoed. */
export interface BrokerCredentialsResponse {
  readonly userName: string;
  readonly apiKeyStored: true;
  readonly reconnecting: boolean;
}

export interface ClearLockoutRequest {
  readonly reason: string;
}

export interface ClearLockoutResponse {
  readonly lockout: LockoutWire;
  readonly clearedAt: IsoInstant;
}

export interface StopRequest {
  readonly reason: string;
  /** Flatten every protected account before stopping (default false). */
  readonly flatten?: boolean;
  /** Lock every protected account until the next reset before stopping (default false). */
  readonly lock?: boolean;
}

export interface StopResponse {
  readonly accepted: true;
  /** The exit status the service manager is told not to restart. */
  readonly exitCode: number;
  readonly flattened: readonly AccountId[];
  readonly locked: readonly AccountId[];
  readonly stoppingAt: IsoInstant;
}

export interface RestartRequest {
  readonly reason: string;
}

export interface RestartResponse {
  readonly accepted: true;
  readonly restartingAt: IsoInstant;
}

export interface LogsQuery {
  /** Lowest level shown (default `info`). */
  readonly level?: LogLevel;
  readonly since?: IsoInstant;
  readonly component?: string;
  /** The newest lines, 1..1000 (default 200). */
  readonly limit?: number;
}

export interface LogLineWire {
  readonly time: IsoInstant;
  readonly level: LogLevel;
  readonly component: string | null;
  readonly msg: string;
  /** The line's other fields, secrets already redacted. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface LogsResponse {
  /** Oldest first. */
  readonly lines: readonly LogLineWire[];
}

/** An OpenAPI 3.1 document (see `buildOpenApiDocument`). */
export type OpenApiDocument = Readonly<Record<string, unknown>>;
