import type { Clock, Instant } from '@riskd/core-engine';

/** Options of {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** Failures allowed before delays start (default 3). */
  readonly freeAttempts?: number;
  /** The first delay; each further failure doubles it (default 1000 ms). */
  readonly baseDelayMs?: number;
  /** The longest delay (default 15 minutes). */
  readonly maxDelayMs?: number;
  /** A key with no attempt for this long starts over (default 1 hour). */
  readonly forgetAfterMs?: number;
}

/** Beyond this many keys, forgotten ones are swept on the next failure. */
const MAX_KEYS = 10_000;

interface Entry {
  failures: number;
  blockedUntil: Instant;
  lastAttemptAt: Instant;
}

/** The answer of {@link LoginThrottle.check}. */
export type ThrottleVerdict =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Exponential login throttling per key (role + caller address): after `freeAttempts` failures,
 * every further failure blocks the key for `baseDelayMs * 2^(n-1)` (n = failures beyond the free
 * ones), capped at `maxDelayMs`. A blocked attempt is refused without checking the password (so
 * it cannot be used to guess) and does not extend the block. A success clears the key.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly freeAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly forgetAfterMs: number;

  constructor(
    private readonly clock: Clock,
    options: LoginThrottleOptions = {},
  ) {
    this.freeAttempts = options.freeAttempts ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 15 * 60_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 60 * 60_000;
  }

  check(key: string): ThrottleVerdict {
    const entry = this.entry(key);
    if (!entry) return { allowed: true };
    const wait = entry.blockedUntil - this.clock.now();
    return wait > 0 ? { allowed: false, retryAfterMs: wait } : { allowed: true };
  }

  /** Records a failed attempt; returns the delay it imposes (0 while within the free attempts). */
  failure(key: string): number {
    const now = this.clock.now();
    // Keys are role + caller address: few on a loopback-only API, but never let them pile up.
    if (this.entries.size >= MAX_KEYS) for (const k of [...this.entries.keys()]) this.entry(k);
    const entry = this.entry(key) ?? { failures: 0, blockedUntil: 0, lastAttemptAt: now };
    entry.failures += 1;
    entry.lastAttemptAt = now;
    const beyond = entry.failures - this.freeAttempts;
    const delay =
      beyond <= 0 ? 0 : Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(beyond - 1, 40));
    entry.blockedUntil = now + delay;
    this.entries.set(key, entry);
    return delay;
  }

  success(key: string): void {
    this.entries.delete(key);
  }

  private entry(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && this.clock.now() - Math.max(entry.lastAttemptAt, entry.blockedUntil) >= this.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
