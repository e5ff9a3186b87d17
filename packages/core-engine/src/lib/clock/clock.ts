import type { Instant } from '../domain/types.js';

/** A scheduled callback; pass it back to `cancel`. */
export interface TimerHandle {
  readonly id: number;
  readonly dueAt: Instant;
}

/**
 * The only source of time in Riskd. Production uses {@link SystemClock}; tests use
 * {@link FakeClock}, which runs due timers in time order as the test moves time.
 */
export interface Clock {
  /** Wall-clock time, epoch milliseconds. */
  now(): Instant;
  /** Monotonic high-resolution time in nanoseconds, for measuring latencies. */
  monotonicNs(): bigint;
  /** Runs `callback` at `at` (or as soon as possible if `at` is already past). */
  scheduleAt(at: Instant, callback: () => void): TimerHandle;
  /** Runs `callback` after `delayMs`. */
  scheduleIn(delayMs: number, callback: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
}

/** Invalid use of a clock: an invalid instant or duration, or time asked to move backwards. */
export class ClockError extends Error {
  readonly code = 'CLOCK_INVALID';
}

/** Node's own longest timer delay; longer waits are chained. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** The real clock: `Date.now()`, `process.hrtime.bigint()` and Node timers (unref'd). */
export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): Instant {
    return Date.now();
  }

  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }

  scheduleAt(at: Instant, callback: () => void): TimerHandle {
    const handle: TimerHandle = { id: this.nextId++, dueAt: at };
    const arm = (): void => {
      const delay = Math.max(0, at - Date.now());
      const timeout = setTimeout(
        () => {
          if (Date.now() < at) {
            arm();
            return;
          }
          this.timers.delete(handle.id);
          callback();
        },
        Math.min(delay, MAX_TIMEOUT_MS),
      );
      timeout.unref?.();
      this.timers.set(handle.id, timeout);
    };
    arm();
    return handle;
  }

  scheduleIn(delayMs: number, callback: () => void): TimerHandle {
    return this.scheduleAt(Date.now() + delayMs, callback);
  }

  cancel(handle: TimerHandle): void {
    const timeout = this.timers.get(handle.id);
    if (timeout) clearTimeout(timeout);
    this.timers.delete(handle.id);
  }
}

interface FakeTimer {
  readonly handle: TimerHandle;
  readonly seq: number;
  readonly callback: () => void;
}

/** Lets pending promise callbacks (and what they chain) run before the next timer fires. */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only when told. `advance()` and `set()` run every timer that falls due, in
 * time order (ties in scheduling order), with the clock showing each timer's due time while it
 * runs, and flush microtasks between timers so that async work a timer starts completes first.
 */
export class FakeClock implements Clock {
  private current: Instant;
  private monotonic = 0n;
  private nextId = 1;
  private seq = 0;
  private readonly pending = new Map<number, FakeTimer>();

  constructor(start: Instant | string = Date.UTC(2026, 0, 5, 14, 30)) {
    this.current = typeof start === 'string' ? Date.parse(start) : start;
    if (!Number.isFinite(this.current)) throw new ClockError(`FakeClock: invalid start ${String(start)}`);
  }

  now(): Instant {
    return this.current;
  }

  monotonicNs(): bigint {
    return this.monotonic;
  }

  scheduleAt(at: Instant, callback: () => void): TimerHandle {
    const handle: TimerHandle = { id: this.nextId++, dueAt: at };
    this.pending.set(handle.id, { handle, seq: this.seq++, callback });
    return handle;
  }

  scheduleIn(delayMs: number, callback: () => void): TimerHandle {
    return this.scheduleAt(this.current + delayMs, callback);
  }

  cancel(handle: TimerHandle): void {
    this.pending.delete(handle.id);
  }

  /** Number of timers not yet run. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Due time of the earliest pending timer, if any. */
  nextDueAt(): Instant | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.pending.values()) if (!best || this.before(timer, best)) best = timer;
    return best?.handle.dueAt;
  }

  /** Moves time forward by `ms`, running due timers in order. */
  async advance(ms: number): Promise<void> {
    // A NaN duration would otherwise pass the sign check and leave the clock showing NaN for good.
    if (!Number.isFinite(ms)) throw new ClockError(`FakeClock.advance: invalid duration ${ms}`);
    if (ms < 0) throw new ClockError('FakeClock.advance: negative duration');
    await this.runUntil(this.current + ms);
  }

  /** Moves time to `at` (epoch ms or ISO string), running due timers in order. Never moves back. */
  async set(at: Instant | string): Promise<void> {
    const target = typeof at === 'string' ? Date.parse(at) : at;
    if (!Number.isFinite(target)) throw new ClockError(`FakeClock.set: invalid instant ${String(at)}`);
    if (target < this.current) throw new ClockError('FakeClock.set: time never moves backwards');
    await this.runUntil(target);
  }

  /** Runs timers already due at the current instant. */
  async runDue(): Promise<void> {
    await this.runUntil(this.current);
  }

  private async runUntil(target: Instant): Promise<void> {
    await flushMicrotasks();
    for (;;) {
      let next: FakeTimer | undefined;
      for (const timer of this.pending.values()) {
        if (timer.handle.dueAt <= target && (!next || this.before(timer, next))) next = timer;
      }
      if (!next) break;
      this.pending.delete(next.handle.id);
      this.moveTo(Math.max(this.current, next.handle.dueAt));
      next.callback();
      await flushMicrotasks();
    }
    this.moveTo(Math.max(this.current, target));
  }

  private moveTo(at: Instant): void {
    this.monotonic += BigInt(Math.round((at - this.current) * 1_000_000));
    this.current = at;
  }

  private before(a: FakeTimer, b: FakeTimer): boolean {
    return a.handle.dueAt < b.handle.dueAt || (a.handle.dueAt === b.handle.dueAt && a.seq < b.seq);
  }
}
