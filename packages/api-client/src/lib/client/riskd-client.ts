import { API_PREFIX, DEFAULT_API_PORT } from '../../route-table.js';
import type {
  AccountDetail,
  AccountFilterQuery,
  AccountId,
  AccountsConfigResponse,
  AccountsResponse,
  ApiErrorBody,
  AuditQuery,
  AuditResponse,
  BrokerCredentialsRequest,
  BrokerCredentialsResponse,
  ClearLockoutResponse,
  ClockRequest,
  ClockResponse,
  ConfigChangeResponse,
  EnforcementsQuery,
  EnforcementsResponse,
  HealthResponse,
  LockoutsResponse,
  LoginResponse,
  LogsQuery,
  LogsResponse,
  NotificationPreferencesWire,
  OpenApiDocument,
  PnlQuery,
  PnlSeriesResponse,
  PutAccountsConfigRequest,
  PutRulesConfigRequest,
  RestartRequest,
  RestartResponse,
  Role,
  RouteRole,
  RulesConfigResponse,
  RulesInForceResponse,
  SelfLockoutRequest,
  SelfLockoutResponse,
  StatusResponse,
  StopRequest,
  StopResponse,
} from '../wire-types.js';
import { ApiClientError, RiskdApiError, RiskdNetworkError } from './api-client-errors.js';
import { LiveEventStream, type LiveStreamOptions } from './live-event-stream.js';

/** Options of {@link RiskdClient}. */
export interface RiskdClientOptions {
  /** The daemon's origin; default `http://127.0.0.1:7311`. */
  readonly baseUrl?: string;
  /** A token to start with (from an earlier `login`). */
  readonly token?: string;
  /**
   * A password to log in with on demand: before the first trader/admin call, when the token is
   * about to expire, and once again after a 401. Without it, call `login()` yourself.
   */
  readonly credentials?: { readonly role: Role; readonly password: string };
  /** Replaces the global `fetch` (tests, proxies). */
  readonly fetch?: typeof fetch;
  /** Per-request timeout in ms (default 10000; the live stream has its own staleness timer). */
  readonly timeoutMs?: number;
}

interface RequestInput {
  readonly params?: Readonly<Record<string, string | number>>;
  readonly query?: object;
  readonly body?: unknown;
  readonly role: RouteRole;
  /** Statuses (besides 2xx) whose body is a normal answer, e.g. 503 of `/healthz`. */
  readonly acceptStatuses?: readonly number[];
  readonly as?: 'json' | 'text';
  readonly signal?: AbortSignal;
}

/** A token is renewed this long before it expires. */
const RENEW_MARGIN_MS = 30_000;

/**
 * The typed client of the control API: one method per route of the route table (the method name
 * is the route's `operationId`), `login()`/`logout()` with token handling, and `events()`, the
 * live stream. Every error answer is thrown as a {@link RiskdApiError} (`status`, `body`,
 * `apiCode`, `problems`); an unreachable daemon or a timeout as a {@link RiskdNetworkError}.
 */
export class RiskdClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly credentials: RiskdClientOptions['credentials'];
  private currentToken: string | undefined;
  private tokenExpiresAt: number | undefined;
  private loginInFlight: Promise<LoginResponse> | undefined;

  constructor(options: RiskdClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? `http://127.0.0.1:${DEFAULT_API_PORT}`).replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.credentials = options.credentials;
    this.currentToken = options.token;
  }

  /** The bearer token sent with trader and admin calls, if any. */
  get token(): string | undefined {
    return this.currentToken;
  }

  /** When the current token expires (epoch ms), if known. */
  get expiresAt(): number | undefined {
    return this.tokenExpiresAt;
  }

  /** Uses `token` from now on (undefined: none). */
  setToken(token: string | undefined, expiresAt?: string): void {
    this.currentToken = token;
    this.tokenExpiresAt = expiresAt === undefined ? undefined : Date.parse(expiresAt);
  }

  /** `POST /api/v1/auth/login`; keeps the token for later calls. */
  async login(role: Role, password: string): Promise<LoginResponse> {
    const answer = await this.request<LoginResponse>('POST', `${API_PREFIX}/auth/login`, {
      role: 'public',
      body: { role, password },
    });
    this.setToken(answer.token, answer.expiresAt);
    return answer;
  }

  /** Forgets the token (tokens expire by themselves on the daemon). */
  logout(): void {
    this.setToken(undefined);
  }

  // Root ----------------------------------------------------------------------------------------

  /** `GET /healthz`: the body of the 200 and of the 503 (starting or stopping) alike. */
  healthz(): Promise<HealthResponse> {
    return this.request('GET', '/healthz', { role: 'public', acceptStatuses: [503] });
  }

  /** `GET /metrics`: Prometheus text. */
  metrics(): Promise<string> {
    return this.request('GET', '/metrics', { role: 'public', as: 'text' });
  }

  openapi(): Promise<OpenApiDocument> {
    return this.request('GET', `${API_PREFIX}/openapi.json`, { role: 'public' });
  }

  // Read ----------------------------------------------------------------------------------------

  status(): Promise<StatusResponse> {
    return this.request('GET', `${API_PREFIX}/status`, { role: 'public' });
  }

  accounts(): Promise<AccountsResponse> {
    return this.request('GET', `${API_PREFIX}/accounts`, { role: 'public' });
  }

  account(id: AccountId): Promise<AccountDetail> {
    return this.request('GET', `${API_PREFIX}/accounts/:id`, { role: 'public', params: { id } });
  }

  accountPnl(id: AccountId, query: PnlQuery = {}): Promise<PnlSeriesResponse> {
    return this.request('GET', `${API_PREFIX}/accounts/:id/pnl`, { role: 'public', params: { id }, query });
  }

  rules(query: AccountFilterQuery = {}): Promise<RulesInForceResponse> {
    return this.request('GET', `${API_PREFIX}/rules`, { role: 'public', query });
  }

  lockouts(query: AccountFilterQuery = {}): Promise<LockoutsResponse> {
    return this.request('GET', `${API_PREFIX}/lockouts`, { role: 'public', query });
  }

  enforcements(query: EnforcementsQuery = {}): Promise<EnforcementsResponse> {
    return this.request('GET', `${API_PREFIX}/enforcements`, { role: 'public', query });
  }

  audit(query: AuditQuery = {}): Promise<AuditResponse> {
    return this.request('GET', `${API_PREFIX}/audit`, { role: 'public', query });
  }

  /**
   * `GET /api/v1/events`: the live stream, reconnecting by itself. Iterate it with
   * `for await`; `close()` it (or break the loop) when done.
   */
  events(options: LiveStreamOptions = {}): LiveEventStream {
    return new LiveEventStream(async (lastEventId, signal) => {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      try {
        return await this.fetchImpl(`${this.baseUrl}${API_PREFIX}/events`, { headers, signal });
      } catch (error) {
        throw new RiskdNetworkError('NETWORK_ERROR', `GET ${API_PREFIX}/events: ${describe(error)}`, {
          cause: error,
        });
      }
    }, options);
  }

  // Trader --------------------------------------------------------------------------------------

  clockIn(body: ClockRequest = {}): Promise<ClockResponse> {
    return this.request('POST', `${API_PREFIX}/trader/clock-in`, { role: 'trader', body });
  }

  clockOut(body: ClockRequest = {}): Promise<ClockResponse> {
    return this.request('POST', `${API_PREFIX}/trader/clock-out`, { role: 'trader', body });
  }

  getNotifications(): Promise<NotificationPreferencesWire> {
    return this.request('GET', `${API_PREFIX}/trader/notifications`, { role: 'trader' });
  }

  putNotifications(body: NotificationPreferencesWire): Promise<NotificationPreferencesWire> {
    return this.request('PUT', `${API_PREFIX}/trader/notifications`, { role: 'trader', body });
  }

  /** Self-lockout: irreversible by the trader (only an audited admin clear lifts it early). */
  selfLockout(body: SelfLockoutRequest): Promise<SelfLockoutResponse> {
    return this.request('POST', `${API_PREFIX}/trader/lockout`, { role: 'trader', body });
  }

  // Admin ---------------------------------------------------------------------------------------

  getRulesConfig(): Promise<RulesConfigResponse> {
    return this.request('GET', `${API_PREFIX}/admin/rules`, { role: 'admin' });
  }

  putRulesConfig(body: PutRulesConfigRequest): Promise<ConfigChangeResponse> {
    return this.request('PUT', `${API_PREFIX}/admin/rules`, { role: 'admin', body });
  }

  getAccountsConfig(): Promise<AccountsConfigResponse> {
    return this.request('GET', `${API_PREFIX}/admin/accounts`, { role: 'admin' });
  }

  putAccountsConfig(body: PutAccountsConfigRequest): Promise<ConfigChangeResponse> {
    return this.request('PUT', `${API_PREFIX}/admin/accounts`, { role: 'admin', body });
  }

  putBrokerCredentials(body: BrokerCredentialsRequest): Promise<BrokerCredentialsResponse> {
    return this.request('PUT', `${API_PREFIX}/admin/broker-credentials`, { role: 'admin', body });
  }

  clearLockout(id: string, reason: string): Promise<ClearLockoutResponse> {
    return this.request('POST', `${API_PREFIX}/admin/lockouts/:id/clear`, {
      role: 'admin',
      params: { id },
      body: { reason },
    });
  }

  stop(body: StopRequest): Promise<StopResponse> {
    return this.request('POST', `${API_PREFIX}/admin/stop`, { role: 'admin', body });
  }

  restart(body: RestartRequest): Promise<RestartResponse> {
    return this.request('POST', `${API_PREFIX}/admin/restart`, { role: 'admin', body });
  }

  logs(query: LogsQuery = {}): Promise<LogsResponse> {
    return this.request('GET', `${API_PREFIX}/admin/logs`, { role: 'admin', query });
  }

  // Plumbing ------------------------------------------------------------------------------------

  private async request<T>(method: string, path: string, input: RequestInput): Promise<T> {
    const authenticated = input.role !== 'public';
    if (authenticated && this.credentials && this.tokenNeedsRenewal()) await this.renewToken();
    try {
      return await this.send<T>(method, path, input);
    } catch (error) {
      const retry =
        authenticated && this.credentials && error instanceof RiskdApiError && error.status === 401;
      if (!retry) throw error;
      await this.renewToken();
      return this.send<T>(method, path, input);
    }
  }

  private tokenNeedsRenewal(): boolean {
    if (this.currentToken === undefined) return true;
    return this.tokenExpiresAt !== undefined && this.tokenExpiresAt - Date.now() < RENEW_MARGIN_MS;
  }

  private async renewToken(): Promise<void> {
    const credentials = this.credentials;
    if (!credentials) return;
    // Calls racing for a new token share one login (each login counts against the throttle).
    this.loginInFlight ??= this.login(credentials.role, credentials.password).finally(() => {
      this.loginInFlight = undefined;
    });
    await this.loginInFlight;
  }

  private async send<T>(method: string, path: string, input: RequestInput): Promise<T> {
    const url = this.baseUrl + fillPath(path, input.params) + queryString(input.query);
    const headers: Record<string, string> = {
      accept: input.as === 'text' ? 'text/plain' : 'application/json',
    };
    if (input.role !== 'public' && this.currentToken !== undefined) {
      headers['authorization'] = `Bearer ${this.currentToken}`;
    }
    let body: string | undefined;
    if (input.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input.body);
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body, signal });
    } catch (error) {
      if (timeout.aborted) {
        throw new RiskdNetworkError('TIMEOUT', `${method} ${path}: no answer within ${this.timeoutMs} ms`, {
          cause: error,
        });
      }
      throw new RiskdNetworkError('NETWORK_ERROR', `${method} ${path}: ${describe(error)}`, { cause: error });
    }
    const text = await response.text();
    const ok = response.ok || (input.acceptStatuses ?? []).includes(response.status);
    if (!ok) throw new RiskdApiError(response.status, parseErrorBody(text), method, path);
    if (input.as === 'text') return text as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ApiClientError('INVALID_RESPONSE', `${method} ${path}: the answer is not JSON`, {
        cause: error,
      });
    }
  }
}

/** `/api/v1/accounts/:id` with `{ id: 7 }` -> `/api/v1/accounts/7` (values URI-encoded). */
export function fillPath(path: string, params: Readonly<Record<string, string | number>> = {}): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new ApiClientError('INVALID_REQUEST', `path parameter ${name} missing`);
    return encodeURIComponent(String(value));
  });
}

/** `?a=1&b=x` from the defined values of `query` ('' when none). */
export function queryString(query: object | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) search.append(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

function parseErrorBody(text: string): ApiErrorBody | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null ? (body as ApiErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
