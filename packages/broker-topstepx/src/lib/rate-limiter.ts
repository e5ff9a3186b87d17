import type { Clock, RequestPriority, TimerHandle } from '@riskd/core-engine';
import { TopstepXClosedError, TopstepXConfigError } from './errors.js';

/** Client-side request budget (PROJECTX-GATEWAY.md section 6: 200 requests per 60 s). */
export interface RateLimitConfig {
  /** Requests allowed per sliding window; `Infinity` turns the window off (benchmarks). */
  readonly limit: number;
  readonly windowMs: number;
  /**
   * The last requests of each window that only enforcement may use: snapshots stop at
   * `limit - snapshotReserve`, so a close always finds budget.
   */
  readonly snapshotReserve: number;
  /** Snapshot requests in flight at once (enforcement is never held by this). */
  readonly maxSnapshotConcurrency: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = {
  limit: 200,
  windowMs: 60_000,
  snapshotReserve: 40,
  maxSnapshotConcurrency: 4,
};

/** History/retrieveBars has its own budget (50 requests per 30 s). */
export const DEFAULT_BARS_RATE_LIMIT: RateLimitConfig = {
  limit: 50,
  windowMs: 30_000,
  snapshotReserve: 0,
  maxSnapshotConcurrency: 2,
};

/** A granted slot. `release()` ends the request (frees its concurrency slot); idempotent. */
export interface Permit {
  release(): void;
}

interface Waiter {
  readonly resolve: (permit: Permit) => void;
  readonly reject: (err: Error) => void;
}

const NOOP_PERMIT: Permit = { release: () => undefined };

export function validateRateLimit(config: RateLimitConfig, name: string): RateLimitConfig {
  const { limit, windowMs, snapshotReserve, maxSnapshotConcurrency } = config;
  if (!(limit > 0)) throw new TopstepXConfigError(`${name}.limit must be positive`);
  if (!(windowMs > 0)) throw new TopstepXConfigError(`${name}.windowMs must be positive`);
  if (!(snapshotReserve >= 0) || (Number.isFinite(limit) && snapshotReserve >= limit)) {
    throw new TopstepXConfigError(`${name}.snapshotReserve must be at least 0 and below limit`);
  }
  if (!(maxSnapshotConcurrency >= 1))
    throw new TopstepXConfigError(`${name}.maxSnapshotConcurrency must be at least 1`);
  return config;
}

/**
 * A sliding-window limiter with two queues. Enforcement requests are granted first and may use the
 * whole window; snapshot requests wait while any enforcement request waits, stop `snapshotReserve`
 * short of the limit, are held to `maxSnapshotConcurrency` in flight, and pause during a 429
 * back-off. Enforcement is not held by a back-off: a close that meets a 429 is reported
 * `uncertain` at once, which is better than holding it for the whole back-off.
 */
export class RateLimiter {
  private readonly sent: number[] = [];
  private head = 0;
  private readonly enforcementQueue: Waiter[] = [];
  private readonly snapshotQueue: Waiter[] = [];
  private snapshotsInFlight = 0;
  private backoffUntil = 0;
  private wake: TimerHandle | null = null;
  private closed = false;

  constructor(
    private readonly config: RateLimitConfig,
    private readonly clock: Clock,
  ) {
    validateRateLimit(config, 'rateLimit');
  }

  /** Waits for a slot of the given priority. */
  acquire(priority: RequestPriority): Promise<Permit> {
    if (this.closed) return Promise.reject(new TopstepXClosedError());
    const queue = priority === 'enforcement' ? this.enforcementQueue : this.snapshotQueue;
    if (queue.length === 0 && this.canGrant(priority)) return Promise.resolve(this.grant(priority));
    return new Promise<Permit>((resolve, reject) => {
      queue.push({ resolve, reject });
      this.pump();
    });
  }

  /** Holds snapshot requests for `ms` (after an HTTP 429). Longer back-offs win over shorter ones. */
  backoff(ms: number): void {
    const until = this.clock.now() + Math.max(0, ms);
    if (until > this.backoffUntil) this.backoffUntil = until;
    this.pump();
  }

  /** When the current back-off ends (epoch ms), 0 when none was ever set. */
  backoffEndsAt(): number {
    return this.backoffUntil;
  }

  /** Requests counted in the current window. */
  inWindow(): number {
    this.prune();
    return this.sent.length - this.head;
  }

  queued(priority: RequestPriority): number {
    return priority === 'enforcement' ? this.enforcementQueue.length : this.snapshotQueue.length;
  }

  inFlightSnapshots(): number {
    return this.snapshotsInFlight;
  }

  /** Accepts requests again after {@link close} (a reconnect after a disconnect). */
  reopen(): void {
    this.closed = false;
  }

  /** Rejects every waiting request and refuses new ones. */
  close(): void {
    this.closed = true;
    if (this.wake) this.clock.cancel(this.wake);
    this.wake = null;
    const err = new TopstepXClosedError();
    for (const waiter of this.enforcementQueue.splice(0)) waiter.reject(err);
    for (const waiter of this.snapshotQueue.splice(0)) waiter.reject(err);
  }

  private canGrant(priority: RequestPriority): boolean {
    const { limit, snapshotReserve, maxSnapshotConcurrency } = this.config;
    const count = Number.isFinite(limit) ? this.inWindow() : 0;
    if (priority === 'enforcement') return count < limit;
    return (
      this.enforcementQueue.length === 0 &&
      count < limit - snapshotReserve &&
      this.snapshotsInFlight < maxSnapshotConcurrency &&
      this.clock.now() >= this.backoffUntil
    );
  }

  private grant(priority: RequestPriority): Permit {
    if (Number.isFinite(this.config.limit)) this.sent.push(this.clock.now());
    if (priority === 'enforcement') return NOOP_PERMIT;
    this.snapshotsInFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.snapshotsInFlight--;
        this.pump();
      },
    };
  }

  private pump(): void {
    if (this.closed) return;
    while (this.enforcementQueue.length > 0 && this.canGrant('enforcement')) {
      this.enforcementQueue.shift()?.resolve(this.grant('enforcement'));
    }
    while (this.snapshotQueue.length > 0 && this.canGrant('snapshot')) {
      this.snapshotQueue.shift()?.resolve(this.grant('snapshot'));
    }
    this.scheduleWake();
  }

  /** Arms one timer for the earliest instant at which a waiting request could be granted. */
  private scheduleWake(): void {
    if (this.wake) {
      this.clock.cancel(this.wake);
      this.wake = null;
    }
    if (this.enforcementQueue.length === 0 && this.snapshotQueue.length === 0) return;
    const now = this.clock.now();
    let at = Number.POSITIVE_INFINITY;
    const count = this.inWindow();
    const { limit, windowMs, snapshotReserve } = this.config;
    if (this.enforcementQueue.length > 0 && count >= limit) {
      at = Math.min(at, (this.sent[this.head] ?? now) + windowMs);
    }
    if (this.enforcementQueue.length === 0 && this.snapshotQueue.length > 0) {
      const threshold = limit - snapshotReserve;
      if (count >= threshold) {
        // The window must drop below the threshold: the (count - threshold)-th oldest must expire.
        const index = this.head + (count - threshold);
        at = Math.min(at, (this.sent[index] ?? now) + windowMs);
      }
      if (now < this.backoffUntil) at = Math.max(at === Number.POSITIVE_INFINITY ? 0 : at, this.backoffUntil);
    }
    if (at === Number.POSITIVE_INFINITY) return; // waiting on a concurrency slot: release() pumps
    this.wake = this.clock.scheduleAt(Math.max(at, now + 1), () => {
      this.wake = null;
      this.pump();
    });
  }

  private prune(): void {
    const cutoff = this.clock.now() - this.config.windowMs;
    while (this.head < this.sent.length && (this.sent[this.head] ?? 0) <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.sent.length) {
      this.sent.splice(0, this.head);
      this.head = 0;
    }
  }
}
