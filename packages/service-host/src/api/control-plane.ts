import type {
  AccountDetail,
  AccountFilterQuery,
  AccountId,
  AccountsConfigResponse,
  AccountsResponse,
  AuditQuery,
  AuditResponse,
  BrokerCredentialsRequest,
  BrokerCredentialsResponse,
  ClearLockoutResponse,
  ClockRequest,
  ClockResponse,
  ConfigChangeResponse,
  CredentialState,
  DaemonEvent,
  EnforcementsQuery,
  EnforcementsResponse,
  HealthResponse,
  LockoutsResponse,
  LogsQuery,
  LogsResponse,
  NotificationPreferencesWire,
  PnlQuery,
  PnlSeriesResponse,
  Problem,
  PutAccountsConfigRequest,
  PutRulesConfigRequest,
  RestartRequest,
  RestartResponse,
  Role,
  RulesConfigResponse,
  RulesInForceResponse,
  SelfLockoutRequest,
  SelfLockoutResponse,
  StatusResponse,
  StopRequest,
  StopResponse,
} from '@riskd/api-client';

/** Who made a request, for the audit trail. Never carries the token itself. */
export interface Actor {
  readonly role: Role;
  /** `token`: authenticated with a token; `local`: a trader route called without a token (trader credential "none"). */
  readonly via: 'token' | 'local';
  /** The caller's address (always a loopback address: the API listens on 127.0.0.1 only). */
  readonly ip: string;
  /** A short, non-secret id of the token (a prefix of its hash), or null without a token. */
  readonly tokenId: string | null;
}

/**
 * Everything the control API needs from the daemon, in the API's wire types. The API calls
 * nothing else; the daemon implements it (its composition root), tests use `FakeControlPlane`.
 *
 * Errors: a method that cannot do what was asked throws a {@link ControlPlaneError} —
 * `INVALID` (400, with every problem and its path, e.g. a config change that fails validation:
 * nothing is written), `NOT_FOUND` (404), `CONFLICT` (409), `UNAVAILABLE` (503). Anything else
 * thrown is a 500 whose details stay in the log. Read methods must not return secrets; the API
 * also drops every field its response schemas do not declare.
 */
export interface ControlPlane {
  /** `GET /healthz`. */
  health(): Promise<HealthResponse>;
  status(): Promise<StatusResponse>;
  accounts(): Promise<AccountsResponse>;
  /** Throws `NOT_FOUND` for an account never seen. */
  account(id: AccountId): Promise<AccountDetail>;
  /** The P&L series of the trading day (or `from`..`to`), at most `maxPoints` points. Throws `NOT_FOUND`. */
  pnlSeries(id: AccountId, query: PnlQuery): Promise<PnlSeriesResponse>;
  /** Rules in force per account (one account with `accountId`). */
  rules(query: AccountFilterQuery): Promise<RulesInForceResponse>;
  /** Lockouts in force and pending rule timers. */
  lockouts(query: AccountFilterQuery): Promise<LockoutsResponse>;
  /** The enforcement log, newest first. Throws `INVALID` for a cursor it did not issue. */
  enforcements(query: EnforcementsQuery): Promise<EnforcementsResponse>;
  /** The audit trail. Throws `INVALID` for a cursor it did not issue. */
  audit(query: AuditQuery): Promise<AuditResponse>;
  /**
   * Live events for `GET /api/v1/events`. The listener is called synchronously, in order, and
   * must not throw; the returned function unsubscribes. Called once per API instance (the API
   * fans events out to its stream clients and keeps a replay buffer).
   */
  subscribe(listener: (event: DaemonEvent) => void): () => void;

  /** Opens a working session. Throws `CONFLICT` when one is open. */
  clockIn(input: ClockRequest, actor: Actor): Promise<ClockResponse>;
  /** Closes the open working session. Throws `CONFLICT` when none is open. */
  clockOut(input: ClockRequest, actor: Actor): Promise<ClockResponse>;
  getNotifications(): Promise<NotificationPreferencesWire>;
  /** Throws `INVALID` for an unknown channel or kind. */
  setNotifications(
    preferences: NotificationPreferencesWire,
    actor: Actor,
  ): Promise<NotificationPreferencesWire>;
  /**
   * Locks one account (or every protected account) until the instant or the next reset. The
   * lockout is persisted before this resolves; the trader has no way to lift it. Throws
   * `INVALID` (an instant not in the future), `NOT_FOUND` (unknown account).
   */
  selfLockout(input: SelfLockoutRequest, actor: Actor): Promise<SelfLockoutResponse>;

  getRulesConfig(): Promise<RulesConfigResponse>;
  /**
   * Validates, applies the change discipline (tighten now, loosen at the next reset unless
   * forced with a reason), rewrites the config file atomically and records a revision. Throws
   * `INVALID` with every problem (nothing written) or `CONFLICT` on `expectedRevision`.
   */
  putRulesConfig(input: PutRulesConfigRequest, actor: Actor): Promise<ConfigChangeResponse>;
  getAccountsConfig(): Promise<AccountsConfigResponse>;
  /** Same contract as {@link putRulesConfig}, for the `accounts` section. */
  putAccountsConfig(input: PutAccountsConfigRequest, actor: Actor): Promise<ConfigChangeResponse>;
  /** Stores the broker credentials (owner-only) and reconnects; never echoes the key. */
  setBrokerCredentials(input: BrokerCredentialsRequest, actor: Actor): Promise<BrokerCredentialsResponse>;
  /** Lifts a lockout with an audited reason. Throws `NOT_FOUND`. */
  clearLockout(id: string, reason: string, actor: Actor): Promise<ClearLockoutResponse>;
  /**
   * Flattens and locks first when asked, alerts (critical), then exits with the status the
   * service manager does not restart. Must resolve before the process exits, and the exit must
   * wait for the API to close (so the 202 reaches the caller). Throws `CONFLICT` when a stop or
   * restart is under way.
   */
  stop(input: StopRequest, actor: Actor): Promise<StopResponse>;
  /** Restarts the daemon (same timing contract as {@link stop}). Throws `CONFLICT` when under way. */
  restart(input: RestartRequest, actor: Actor): Promise<RestartResponse>;
  /** The newest log lines at or above `level`, oldest first, secrets redacted. */
  logs(query: LogsQuery): Promise<LogsResponse>;
  /** Prometheus text of the daemon's metrics (`riskd_` prefix); the API appends its own. */
  metrics(): Promise<string>;

  /** Whether a password is set for `role` (`none`: trader routes need no credential). */
  credentialState(role: Role): Promise<CredentialState>;
  /** Checks a password against the stored hash (constant time). */
  verifyPassword(role: Role, password: string): Promise<boolean>;
}

/** Stable codes of the control API's errors. */
export type ControlApiErrorCode = 'CONTROL_PLANE' | 'API_CONFIG_INVALID' | 'API_LISTEN';

/** Base class of the control API's errors; catch it with `instanceof`. */
export class ControlApiError extends Error {
  readonly code: ControlApiErrorCode;

  constructor(code: ControlApiErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Why a control-plane method refused; each kind maps to one HTTP status. */
export type ControlPlaneErrorKind = 'INVALID' | 'NOT_FOUND' | 'CONFLICT' | 'UNAVAILABLE';

/** HTTP status of each {@link ControlPlaneErrorKind}. */
export const CONTROL_PLANE_ERROR_STATUS: Readonly<Record<ControlPlaneErrorKind, number>> = {
  INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
};

/**
 * A control-plane method refused the request. Its message goes to the caller as is, so it must
 * not contain secrets; `problems` lists every validation problem with its path.
 */
export class ControlPlaneError extends ControlApiError {
  readonly kind: ControlPlaneErrorKind;
  readonly problems: readonly Problem[];

  constructor(
    kind: ControlPlaneErrorKind,
    message: string,
    problems: readonly Problem[] = [],
    options?: ErrorOptions,
  ) {
    super('CONTROL_PLANE', message, options);
    this.kind = kind;
    this.problems = Object.freeze([...problems]);
  }
}
