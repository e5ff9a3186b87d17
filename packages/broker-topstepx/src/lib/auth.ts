import type { Clock, Instant, Logger, TimerHandle, Unsubscribe } from '@riskd/core-engine';
import { TopstepXAuthError, TopstepXError, describeError, forgetSecret, registerSecret } from './errors.js';
import { parseEnvelope, type ProjectXRestClient, type TokenSource } from './projectx-rest-client.js';
import { Endpoint } from './wire-types.js';

/** LoginErrorCode names (PROJECTX-GATEWAY.md section 2), for error messages. */
const LOGIN_ERRORS: Readonly<Record<number, string>> = {
  1: 'UserNotFound',
  2: 'PasswordVerificationFailed',
  3: 'InvalidCredentials',
  4: 'AppNotFound',
  5: 'AppVerificationFailed',
  6: 'InvalidDevice',
  7: 'AgreementsNotSigned',
  8: 'UnknownError',
  9: 'ApiSubscriptionNotFound',
  10: 'ApiKeyAuthenticationDisabled',
};

/** Why the token changed: hubs restart on every change except the first login. */
export type TokenChangeReason = 'login' | 'renewed' | 'unauthorized';

export interface TokenManagerOptions {
  readonly rest: ProjectXRestClient;
  readonly userName: string;
  readonly apiKey: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Renew this long before the token's `exp`. */
  readonly renewBeforeMs: number;
  /** Lifetime assumed when the token's `exp` cannot be read. */
  readonly fallbackTtlMs: number;
  /** Delay before trying again when a scheduled renewal fails. */
  readonly renewRetryMs: number;
  readonly requestTimeoutMs: number;
}

/**
 * Reads the `exp` claim (seconds) of a JWT without verifying it, in epoch milliseconds; null when
 * the token is not a readable JWT.
 */
export function jwtExpiry(token: string): Instant | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const payload: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    const exp = (payload as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * The session: `Auth/loginKey` with userName + apiKey, renewal through `Auth/validate` before
 * the token expires (falling back to a new login when validation fails), and single-flight
 * renewal after a 401. Listeners learn about every new token (hubs must restart with it).
 * Neither the key nor a token ever reaches a log line or an error message.
 */
export class TokenManager implements TokenSource {
  private token: string | null = null;
  private expiry: Instant | null = null;
  private renewing: Promise<string> | null = null;
  private timer: TimerHandle | null = null;
  private stopped = false;
  private readonly listeners = new Set<(token: string, reason: TokenChangeReason) => void>();
  private readonly log: Logger;

  constructor(private readonly options: TokenManagerOptions) {
    registerSecret(options.apiKey);
    this.log = options.logger.child({ component: 'topstepx-auth' });
  }

  current(): string | null {
    return this.token;
  }

  /** When the current token expires (epoch ms), or null before login. */
  expiresAt(): Instant | null {
    return this.expiry;
  }

  onChange(listener: (token: string, reason: TokenChangeReason) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Logs in with the API key; throws {@link TopstepXAuthError} when the gateway refuses. */
  async login(): Promise<string> {
    this.stopped = false;
    const token = await this.loginKey();
    this.adopt(token, 'login');
    return token;
  }

  renewAfterUnauthorized(staleToken: string): Promise<string> {
    if (this.token !== null && this.token !== staleToken) return Promise.resolve(this.token);
    return this.renew('unauthorized');
  }

  /** Renews now: `Auth/validate`, else a new login. Concurrent calls share one renewal. */
  renew(reason: 'renewed' | 'unauthorized' = 'renewed'): Promise<string> {
    if (this.renewing) return this.renewing;
    const run = async (): Promise<string> => {
      const validated = reason === 'renewed' ? await this.validate() : null;
      const token = validated ?? (await this.loginKey());
      this.adopt(token, reason);
      return token;
    };
    this.renewing = run().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  /** Stops the renewal timer; the token stays readable. */
  stop(): void {
    this.stopped = true;
    if (this.timer) this.options.clock.cancel(this.timer);
    this.timer = null;
  }

  private async loginKey(): Promise<string> {
    const { rest, userName, apiKey, requestTimeoutMs } = this.options;
    let response;
    try {
      response = await rest.post(
        Endpoint.loginKey,
        { userName, apiKey },
        { token: null, priority: 'enforcement', timeoutMs: requestTimeoutMs },
      );
    } catch (err) {
      throw new TopstepXAuthError(`login failed: ${describeError(err)}`, null, { cause: err });
    }
    if (response.status !== 200) throw new TopstepXAuthError(`login failed: HTTP ${response.status}`, null);
    const envelope = parseEnvelope(response.text) as
      (ReturnType<typeof parseEnvelope> & { token?: unknown }) | null;
    if (envelope === null)
      throw new TopstepXAuthError('login failed: the answer is not a JSON envelope', null);
    if (!envelope.success || typeof envelope.token !== 'string' || envelope.token.length === 0) {
      const name = LOGIN_ERRORS[envelope.errorCode] ?? 'no token';
      throw new TopstepXAuthError(
        `login refused: errorCode ${envelope.errorCode} (${name})`,
        envelope.errorCode,
      );
    }
    return envelope.token;
  }

  /** `Auth/validate` with the current token; the new token, or null when it did not give one. */
  private async validate(): Promise<string | null> {
    const current = this.token;
    if (current === null) return null;
    try {
      const response = await this.options.rest.post(Endpoint.validate, undefined, {
        token: current,
        priority: 'enforcement',
        timeoutMs: this.options.requestTimeoutMs,
      });
      if (response.status !== 200) {
        this.log.warn({ status: response.status }, 'session validation refused; logging in again');
        return null;
      }
      const envelope = parseEnvelope(response.text) as
        (ReturnType<typeof parseEnvelope> & { newToken?: unknown; token?: unknown }) | null;
      const next = envelope?.success ? (envelope.newToken ?? envelope.token) : null;
      if (typeof next !== 'string' || next.length === 0) {
        this.log.warn(
          { errorCode: envelope?.errorCode ?? null },
          'session validation gave no token; logging in again',
        );
        return null;
      }
      const nextExpiry = jwtExpiry(next);
      if (next === current || (nextExpiry !== null && this.expiry !== null && nextExpiry <= this.expiry)) {
        // A token that does not live longer would be renewed again at once: log in instead.
        this.log.info({}, 'session validation returned the same lifetime; logging in again');
        return null;
      }
      return next;
    } catch (err) {
      if (err instanceof TopstepXError)
        this.log.warn({ err: describeError(err) }, 'session validation failed; logging in again');
      else throw err;
      return null;
    }
  }

  private adopt(token: string, reason: TokenChangeReason): void {
    const previous = this.token;
    registerSecret(token);
    this.token = token;
    const exp = jwtExpiry(token);
    const now = this.options.clock.now();
    this.expiry = exp ?? now + this.options.fallbackTtlMs;
    if (previous !== null && previous !== token) forgetSecretLater(previous, this.options.clock);
    this.log.info({ reason, expiresAt: new Date(this.expiry).toISOString() }, 'session token adopted');
    this.schedule();
    if (previous !== token) {
      for (const listener of this.listeners) {
        try {
          listener(token, reason);
        } catch (err) {
          this.log.error({ err: describeError(err) }, 'token listener failed');
        }
      }
    }
  }

  private schedule(): void {
    if (this.timer) this.options.clock.cancel(this.timer);
    this.timer = null;
    if (this.stopped || this.expiry === null) return;
    const at = Math.max(this.options.clock.now(), this.expiry - this.options.renewBeforeMs);
    this.timer = this.options.clock.scheduleAt(at, () => {
      this.timer = null;
      this.renew('renewed').catch((err: unknown) => {
        this.log.error({ err: describeError(err) }, 'scheduled session renewal failed; will retry');
        if (this.stopped) return;
        this.timer = this.options.clock.scheduleIn(this.options.renewRetryMs, () => {
          this.timer = null;
          this.schedule();
        });
      });
    });
  }
}

/**
 * An old token can still sit in an in-flight request's error for a moment; keep redacting it for
 * a minute after it was replaced.
 */
function forgetSecretLater(token: string, clock: Clock): void {
  clock.scheduleIn(60_000, () => forgetSecret(token));
}
