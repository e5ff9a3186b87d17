import type { Clock, Logger, RequestPriority } from '@riskd/core-engine';
import {
  TopstepXBrokerError,
  TopstepXHttpError,
  TopstepXNotConnectedError,
  TopstepXRateLimitedError,
  TopstepXTimeoutError,
  TopstepXTransportError,
  describeError,
} from './errors.js';
import type { Permit, RateLimiter } from './rate-limiter.js';
import { Endpoint, type WireEnvelope } from './wire-types.js';

/** Where the REST client gets the session token, and how it asks for a new one after a 401. */
export interface TokenSource {
  current(): string | null;
  /**
   * Renews the session after a 401 answered a request sent with `staleToken`. Concurrent callers
   * share one renewal; when the token already changed since `staleToken`, resolves at once.
   */
  renewAfterUnauthorized(staleToken: string): Promise<string>;
}

/** One HTTP exchange, before any interpretation. */
export interface RawResponse {
  readonly status: number;
  readonly text: string;
  /** `Retry-After` in milliseconds, when the gateway sent one. */
  readonly retryAfterMs: number | null;
}

/** What a mutation (close, partial close, cancel) got back. Mutations are never retried. */
export type MutationOutcome =
  | { readonly kind: 'answered'; readonly envelope: WireEnvelope }
  /** HTTP 4xx other than 401/429: the gateway refused the request before acting on it. */
  | { readonly kind: 'refused'; readonly status: number }
  /** No usable answer: timeout, transport error, 5xx, 429, 401 or an unreadable body. */
  | { readonly kind: 'uncertain'; readonly reason: string };

export interface ProjectXRestClientOptions {
  /** Origin of the gateway without `/api`, e.g. `https://api.topstepx.com`. */
  readonly apiUrl: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Limiter of every endpoint but History/retrieveBars. */
  readonly limiter: RateLimiter;
  /** Limiter of History/retrieveBars (its own budget). */
  readonly barsLimiter: RateLimiter;
  /** Timeout of reads and auth calls. */
  readonly requestTimeoutMs: number;
  /** Timeout of mutations; past it the outcome is `uncertain`. */
  readonly actionTimeoutMs: number;
  /** Extra attempts of a read after a 429, a 5xx, a timeout or a transport error. */
  readonly readRetries: number;
  /** First delay between read attempts; doubles per attempt. */
  readonly retryBaseDelayMs: number;
  /** Longest wait after a 429 when the gateway sends no `Retry-After`. */
  readonly maxBackoffMs: number;
  /** Replaces the global `fetch` (tests). */
  readonly fetchImpl?: typeof fetch;
  /** Told when requests start failing at the transport level and when they succeed again. */
  readonly onHealth?: (healthy: boolean, detail: string) => void;
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;

/**
 * The ProjectX REST client: POST + JSON to `<apiUrl>/api/<path>`, bearer token, the response
 * envelope, the client-side rate limiter, and the retry policy.
 *
 * - Reads are retried (`readRetries`, exponential delay) after 429 (honouring `Retry-After` and
 *   backing off the limiter), 5xx, timeouts and transport errors; a 401 renews the session once and
 *   retries. `success: false` throws {@link TopstepXBrokerError} and is not retried.
 * - Mutations are sent once. A 401 starts a session renewal in the background but the mutation is
 *   reported `uncertain`, like a 429, a 5xx, a timeout or a transport error: the engine decides
 *   after reconciling.
 */
export class ProjectXRestClient {
  private tokens: TokenSource | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly base: string;
  private healthy = true;

  constructor(private readonly options: ProjectXRestClientOptions) {
    this.fetchImpl = options.fetchImpl ?? globalThis.fetch.bind(globalThis);
    this.base = `${options.apiUrl.replace(/\/+$/, '')}/api/`;
  }

  setTokenSource(tokens: TokenSource): void {
    this.tokens = tokens;
  }

  /** Full URL of an endpoint path. */
  url(path: string): string {
    return this.base + path;
  }

  /**
   * Sends one request through the limiter with the given token (or none), no retries. Used by
   * the auth calls and by the read/mutate paths. Throws transport and timeout errors.
   */
  async post(
    path: string,
    body: unknown,
    options: {
      readonly token: string | null;
      readonly priority: RequestPriority;
      readonly timeoutMs: number;
      readonly headers?: Readonly<Record<string, string>> | undefined;
    },
  ): Promise<RawResponse> {
    const limiter = path === Endpoint.retrieveBars ? this.options.barsLimiter : this.options.limiter;
    const permit: Permit = await limiter.acquire(options.priority);
    try {
      return await this.send(path, body, options.token, options.timeoutMs, options.headers);
    } finally {
      permit.release();
    }
  }

  /** A read: retried as described on the class; resolves with the envelope of a `success: true` answer. */
  async read<T extends WireEnvelope>(
    path: string,
    body: unknown,
    priority: RequestPriority = 'snapshot',
  ): Promise<T> {
    const { readRetries, requestTimeoutMs } = this.options;
    let renewed = false;
    let lastError: Error = new TopstepXTransportError(path, 'not attempted');
    for (let attempt = 0; attempt <= readRetries; attempt++) {
      const token = this.requireToken(path);
      let response: RawResponse;
      try {
        response = await this.post(path, body, { token, priority, timeoutMs: requestTimeoutMs });
      } catch (err) {
        if (!(err instanceof TopstepXTransportError || err instanceof TopstepXTimeoutError)) throw err;
        lastError = err;
        this.options.logger.warn(
          { endpoint: path, attempt, err: describeError(err) },
          'read failed; retrying',
        );
        if (attempt < readRetries) await this.sleep(this.retryDelay(attempt));
        continue;
      }
      if (response.status === 401 && !renewed && this.tokens) {
        renewed = true;
        attempt--; // the renewal retry does not use up a retry
        await this.tokens.renewAfterUnauthorized(token);
        continue;
      }
      if (response.status === 429) {
        lastError = new TopstepXRateLimitedError(path);
        const delay = response.retryAfterMs ?? Math.min(this.options.maxBackoffMs, 1000 * 2 ** attempt);
        this.options.limiter.backoff(delay);
        this.options.logger.warn(
          { endpoint: path, attempt, backoffMs: delay },
          'rate limited (429); backing off',
        );
        if (attempt < readRetries) await this.sleep(delay);
        continue;
      }
      if (response.status >= 500) {
        lastError = new TopstepXHttpError(path, response.status);
        this.options.logger.warn(
          { endpoint: path, attempt, status: response.status },
          'server error; retrying',
        );
        if (attempt < readRetries) await this.sleep(this.retryDelay(attempt));
        continue;
      }
      if (response.status !== 200) throw new TopstepXHttpError(path, response.status);
      const envelope = parseEnvelope(response.text);
      if (envelope === null) throw new TopstepXTransportError(path, 'the answer is not a JSON envelope');
      if (!envelope.success) {
        throw new TopstepXBrokerError(path, envelope.errorCode, envelope.errorMessage ?? '');
      }
      return envelope as T;
    }
    throw lastError;
  }

  /** A mutation: sent once, never retried; see {@link MutationOutcome}. */
  async mutate(
    path: string,
    body: unknown,
    priority: RequestPriority = 'enforcement',
    headers?: Readonly<Record<string, string>>,
  ): Promise<MutationOutcome> {
    const token = this.tokens?.current() ?? null;
    if (token === null) return { kind: 'uncertain', reason: 'no session token (not connected)' };
    let response: RawResponse;
    try {
      response = await this.post(path, body, {
        token,
        priority,
        timeoutMs: this.options.actionTimeoutMs,
        headers,
      });
    } catch (err) {
      return { kind: 'uncertain', reason: describeError(err) };
    }
    if (response.status === 200) {
      const envelope = parseEnvelope(response.text);
      if (envelope === null) return { kind: 'uncertain', reason: 'the answer is not a JSON envelope' };
      return { kind: 'answered', envelope };
    }
    if (response.status === 401) {
      // The session expired under us: renew for the engine's next attempt, but do not resend.
      void this.tokens?.renewAfterUnauthorized(token).catch((err: unknown) => {
        this.options.logger.error({ err: describeError(err) }, 'session renewal after 401 failed');
      });
      return { kind: 'uncertain', reason: 'HTTP 401 (session expired); renewing the session' };
    }
    if (response.status === 429) {
      const delay = response.retryAfterMs ?? 1000;
      this.options.limiter.backoff(delay);
      return { kind: 'uncertain', reason: `HTTP 429 (rate limited); snapshots back off ${delay} ms` };
    }
    if (response.status >= 500) return { kind: 'uncertain', reason: `HTTP ${response.status}` };
    return { kind: 'refused', status: response.status };
  }

  private requireToken(path: string): string {
    const token = this.tokens?.current() ?? null;
    if (token === null) throw new TopstepXNotConnectedError(path);
    return token;
  }

  private async send(
    path: string,
    body: unknown,
    token: string | null,
    timeoutMs: number,
    extraHeaders: Readonly<Record<string, string>> | undefined,
  ): Promise<RawResponse> {
    const controller = new AbortController();
    const timer = this.options.clock.scheduleIn(timeoutMs, () => controller.abort());
    const headers: Record<string, string> =
      body === undefined
        ? { accept: 'application/json', ...extraHeaders }
        : { ...JSON_HEADERS, ...extraHeaders };
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    try {
      const res = await this.fetchImpl(this.base + path, {
        method: 'POST',
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: controller.signal,
      });
      const text = await res.text();
      this.markHealthy(true, path);
      return {
        status: res.status,
        text,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.options.clock.now()),
      };
    } catch (err) {
      if (controller.signal.aborted) {
        this.markHealthy(false, `${path}: timeout`);
        throw new TopstepXTimeoutError(path, timeoutMs);
      }
      const error = new TopstepXTransportError(path, describeError(err), { cause: err });
      this.markHealthy(false, error.message);
      throw error;
    } finally {
      this.options.clock.cancel(timer);
    }
  }

  private markHealthy(healthy: boolean, detail: string): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    this.options.onHealth?.(healthy, detail);
  }

  private retryDelay(attempt: number): number {
    return Math.min(this.options.maxBackoffMs, this.options.retryBaseDelayMs * 2 ** attempt);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.scheduleIn(ms, resolve));
  }
}

/** Parses the response envelope; null when the body is not a JSON object with `success`. */
export function parseEnvelope(text: string): WireEnvelope | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const env = value as Record<string, unknown>;
  if (typeof env['success'] !== 'boolean') return null;
  const code = env['errorCode'];
  return {
    ...(env as object),
    success: env['success'],
    errorCode: typeof code === 'number' ? code : 0,
    errorMessage: typeof env['errorMessage'] === 'string' ? env['errorMessage'] : null,
  } as WireEnvelope;
}

/** `Retry-After` as delta-seconds or an HTTP date, in milliseconds; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}
