/** One limit: at most `limit` requests in any `windowMs`. */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

/** Rate-limit settings; the defaults are the documented ones (PROJECTX-GATEWAY.md §6). */
export interface RateLimitSettings {
  enabled: boolean;
  /** Every authenticated endpoint except History/retrieveBars: 200 per 60 s. */
  general: RateLimitRule;
  /** History/retrieveBars: 50 per 30 s. */
  bars: RateLimitRule;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  enabled: true,
  general: { limit: 200, windowMs: 60_000 },
  bars: { limit: 50, windowMs: 30_000 },
};

/** Outcome of a check: allowed, or refused with the seconds until a slot frees (Retry-After). */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Sliding-window log per (bucket, key): a request is allowed while fewer than `limit` accepted
 * requests fall in the last `windowMs` of simulator time. Refused requests do not count. The
 * key is the user name (REST calls of one login share the budget whatever token they use).
 */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(
    private settings: RateLimitSettings,
    private readonly now: () => number,
  ) {}

  current(): RateLimitSettings {
    return structuredClone(this.settings);
  }

  configure(patch: Partial<RateLimitSettings>): void {
    this.settings = {
      enabled: patch.enabled ?? this.settings.enabled,
      general: { ...this.settings.general, ...patch.general },
      bars: { ...this.settings.bars, ...patch.bars },
    };
  }

  /** Forgets every counted request. */
  reset(): void {
    this.windows.clear();
  }

  check(bucket: 'general' | 'bars', key: string): RateDecision {
    if (!this.settings.enabled) return { allowed: true };
    const rule = this.settings[bucket];
    const now = this.now();
    const id = `${bucket}\u0000${key}`;
    let log = this.windows.get(id);
    if (!log) {
      log = [];
      this.windows.set(id, log);
    }
    const horizon = now - rule.windowMs;
    let drop = 0;
    while (drop < log.length && (log[drop] as number) <= horizon) drop++;
    // A clock set backwards leaves entries "in the future"; they still count until they age out.
    if (drop > 0) log.splice(0, drop);
    if (log.length >= rule.limit) {
      const oldest = log[0] as number;
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + rule.windowMs - now) / 1000));
      return { allowed: false, retryAfterSeconds };
    }
    log.push(now);
    return { allowed: true };
  }
}
