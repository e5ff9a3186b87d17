import type { Clock, Instant, Logger, MarketCalendarView } from '@riskd/core-engine';
import { TopstepXConfigError } from './errors.js';
import {
  DEFAULT_BARS_RATE_LIMIT,
  DEFAULT_RATE_LIMIT,
  validateRateLimit,
  type RateLimitConfig,
} from './rate-limiter.js';

/** TopstepX production endpoints (PROJECTX-GATEWAY.md section 1). */
export const TOPSTEPX_DEFAULT_URLS = {
  apiUrl: 'https://api.topstepx.com',
  userHubUrl: 'https://rtc.topstepx.com/hubs/user',
  marketHubUrl: 'https://rtc.topstepx.com/hubs/market',
} as const;

/** Options of {@link TopstepXGateway}. Only the credentials, the clock and the logger are required. */
export interface TopstepXOptions {
  /** Gateway origin without `/api`. Default `https://api.topstepx.com`. */
  readonly apiUrl?: string;
  /** Default `https://rtc.topstepx.com/hubs/user`. */
  readonly userHubUrl?: string;
  /** Default `https://rtc.topstepx.com/hubs/market`. */
  readonly marketHubUrl?: string;
  /** ProjectX login user name (not the e-mail, not an account name). */
  readonly userName: string;
  /** ProjectX API key. Never logged, never in an error message. */
  readonly apiKey: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Budget of every endpoint but History/retrieveBars. Default 200 per 60 s, 40 reserved for enforcement. */
  readonly rateLimit?: Partial<RateLimitConfig>;
  /** Budget of History/retrieveBars. Default 50 per 30 s. */
  readonly barsRateLimit?: Partial<RateLimitConfig>;
  /** A subscribed contract without a quote this long while the market is open is stale. Default 15 s. */
  readonly staleQuoteMs?: number;
  /** How often the stale-feed watchdog looks. Default 1 s. */
  readonly staleCheckIntervalMs?: number;
  /** The market calendar (core-engine's `MarketCalendarView`): `isOpen` and `weekStartAt` are used. */
  readonly calendar?: Pick<MarketCalendarView, 'isOpen' | 'weekStartAt'>;
  /** Overrides `calendar.isOpen` for the stale-feed watchdog. */
  readonly isMarketOpen?: (at: Instant) => boolean;
  /** How often Account/search runs to pick up new accounts and `canTrade` changes. Default 60 s. */
  readonly accountPollMs?: number;
  /** Timeout of reads and auth calls. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Timeout of close / partial close / cancel; past it the answer is `uncertain`. Default 2 s. */
  readonly actionTimeoutMs?: number;
  /** Extra attempts of a read after 429 / 5xx / timeout / transport errors. Default 3. */
  readonly readRetries?: number;
  /** First delay between read attempts (doubling). Default 250 ms. */
  readonly retryBaseDelayMs?: number;
  /** Longest back-off after a 429 without `Retry-After`. Default 30 s. */
  readonly maxBackoffMs?: number;
  /** Renew the session this long before the token expires. Default 30 min. */
  readonly tokenRenewBeforeMs?: number;
  /** Token lifetime assumed when its `exp` cannot be read. Default 1 h. */
  readonly tokenFallbackTtlMs?: number;
  /** Retry delay of a failed scheduled renewal. Default 30 s. */
  readonly tokenRenewRetryMs?: number;
  /** Delays between hub reconnection attempts; the last repeats. Default 0, 1, 2, 5, 10, 30 s. */
  readonly reconnectDelaysMs?: readonly number[];
  /** signalr server timeout. Default 30 s. */
  readonly hubServerTimeoutMs?: number;
  /** signalr keep-alive ping interval. Default 15 s. */
  readonly hubKeepAliveMs?: number;
  /** How long `connect()` waits for the first hub connections before going on in the background. Default 15 s. */
  readonly hubConnectTimeoutMs?: number;
  /** Broker timestamps further than this from the local clock raise an alert. Default 2 s. */
  readonly clockSkewAlertMs?: number;
  /** Minimum interval between two clock-skew alerts. Default 5 min. */
  readonly clockSkewAlertIntervalMs?: number;
  /** After a flatten, how many times `searchOpen` verifies, and the wait before each. Default 3 x 250 ms. */
  readonly flattenVerifyAttempts?: number;
  readonly flattenVerifyDelayMs?: number;
  /** Delay before a failed post-reconnect reconciliation is tried again. Default 5 s. */
  readonly reconcileRetryMs?: number;
  /** `live` flag of contract and bar requests. Default false (practice accounts see every contract). */
  readonly liveData?: boolean;
  /** Replaces the global fetch (tests). */
  readonly fetchImpl?: typeof fetch;
}

/** Options with every default applied. */
export interface ResolvedTopstepXOptions {
  readonly apiUrl: string;
  readonly userHubUrl: string;
  readonly marketHubUrl: string;
  readonly userName: string;
  readonly apiKey: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rateLimit: RateLimitConfig;
  readonly barsRateLimit: RateLimitConfig;
  readonly staleQuoteMs: number;
  readonly staleCheckIntervalMs: number;
  readonly isMarketOpen: ((at: Instant) => boolean) | null;
  readonly weekStartAt: ((at: Instant) => Instant) | null;
  readonly accountPollMs: number;
  readonly requestTimeoutMs: number;
  readonly actionTimeoutMs: number;
  readonly readRetries: number;
  readonly retryBaseDelayMs: number;
  readonly maxBackoffMs: number;
  readonly tokenRenewBeforeMs: number;
  readonly tokenFallbackTtlMs: number;
  readonly tokenRenewRetryMs: number;
  readonly reconnectDelaysMs: readonly number[];
  readonly hubServerTimeoutMs: number;
  readonly hubKeepAliveMs: number;
  readonly hubConnectTimeoutMs: number;
  readonly clockSkewAlertMs: number;
  readonly clockSkewAlertIntervalMs: number;
  readonly flattenVerifyAttempts: number;
  readonly flattenVerifyDelayMs: number;
  readonly reconcileRetryMs: number;
  readonly liveData: boolean;
  readonly fetchImpl: typeof fetch | undefined;
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value))
    throw new TopstepXConfigError(`${name} must be a positive number`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0) || !Number.isFinite(value))
    throw new TopstepXConfigError(`${name} must be a non-negative number`);
  return value;
}

function url(value: string, name: string): string {
  try {
    const parsed = new URL(value);
    if (!/^(https?|wss?):$/.test(parsed.protocol)) throw new Error('scheme');
  } catch {
    throw new TopstepXConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/+$/, '');
}

/** Applies defaults and checks every option; throws {@link TopstepXConfigError} on the first bad one. */
export function resolveOptions(options: TopstepXOptions): ResolvedTopstepXOptions {
  if (!options.userName || options.userName.trim() === '')
    throw new TopstepXConfigError('userName is required');
  if (!options.apiKey || options.apiKey.trim() === '') throw new TopstepXConfigError('apiKey is required');
  const reconnectDelaysMs = options.reconnectDelaysMs ?? [0, 1000, 2000, 5000, 10_000, 30_000];
  if (reconnectDelaysMs.length === 0 || reconnectDelaysMs.some((d) => !(d >= 0))) {
    throw new TopstepXConfigError('reconnectDelaysMs must be a non-empty list of non-negative delays');
  }
  const calendar = options.calendar;
  return {
    apiUrl: url(options.apiUrl ?? TOPSTEPX_DEFAULT_URLS.apiUrl, 'apiUrl').replace(/\/api$/, ''),
    userHubUrl: url(options.userHubUrl ?? TOPSTEPX_DEFAULT_URLS.userHubUrl, 'userHubUrl'),
    marketHubUrl: url(options.marketHubUrl ?? TOPSTEPX_DEFAULT_URLS.marketHubUrl, 'marketHubUrl'),
    userName: options.userName,
    apiKey: options.apiKey,
    clock: options.clock,
    logger: options.logger,
    rateLimit: validateRateLimit({ ...DEFAULT_RATE_LIMIT, ...options.rateLimit }, 'rateLimit'),
    barsRateLimit: validateRateLimit(
      { ...DEFAULT_BARS_RATE_LIMIT, ...options.barsRateLimit },
      'barsRateLimit',
    ),
    staleQuoteMs: positive(options.staleQuoteMs ?? 15_000, 'staleQuoteMs'),
    staleCheckIntervalMs: positive(options.staleCheckIntervalMs ?? 1000, 'staleCheckIntervalMs'),
    isMarketOpen: options.isMarketOpen ?? (calendar ? (at: Instant) => calendar.isOpen(at) : null),
    weekStartAt: calendar ? (at: Instant) => calendar.weekStartAt(at) : null,
    accountPollMs: positive(options.accountPollMs ?? 60_000, 'accountPollMs'),
    requestTimeoutMs: positive(options.requestTimeoutMs ?? 10_000, 'requestTimeoutMs'),
    actionTimeoutMs: positive(options.actionTimeoutMs ?? 2000, 'actionTimeoutMs'),
    readRetries: nonNegative(options.readRetries ?? 3, 'readRetries'),
    retryBaseDelayMs: nonNegative(options.retryBaseDelayMs ?? 250, 'retryBaseDelayMs'),
    maxBackoffMs: positive(options.maxBackoffMs ?? 30_000, 'maxBackoffMs'),
    tokenRenewBeforeMs: nonNegative(options.tokenRenewBeforeMs ?? 30 * 60_000, 'tokenRenewBeforeMs'),
    tokenFallbackTtlMs: positive(options.tokenFallbackTtlMs ?? 3_600_000, 'tokenFallbackTtlMs'),
    tokenRenewRetryMs: positive(options.tokenRenewRetryMs ?? 30_000, 'tokenRenewRetryMs'),
    reconnectDelaysMs,
    hubServerTimeoutMs: positive(options.hubServerTimeoutMs ?? 30_000, 'hubServerTimeoutMs'),
    hubKeepAliveMs: positive(options.hubKeepAliveMs ?? 15_000, 'hubKeepAliveMs'),
    hubConnectTimeoutMs: positive(options.hubConnectTimeoutMs ?? 15_000, 'hubConnectTimeoutMs'),
    clockSkewAlertMs: positive(options.clockSkewAlertMs ?? 2000, 'clockSkewAlertMs'),
    clockSkewAlertIntervalMs: nonNegative(
      options.clockSkewAlertIntervalMs ?? 300_000,
      'clockSkewAlertIntervalMs',
    ),
    flattenVerifyAttempts: positive(options.flattenVerifyAttempts ?? 3, 'flattenVerifyAttempts'),
    flattenVerifyDelayMs: nonNegative(options.flattenVerifyDelayMs ?? 250, 'flattenVerifyDelayMs'),
    reconcileRetryMs: positive(options.reconcileRetryMs ?? 5000, 'reconcileRetryMs'),
    liveData: options.liveData ?? false,
    fetchImpl: options.fetchImpl,
  };
}
