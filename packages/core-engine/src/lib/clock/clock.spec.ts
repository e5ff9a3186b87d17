import { describe, expect, it } from 'vitest';
import { ClockError, FakeClock, SystemClock } from './clock.js';

/** Polls `condition` until it holds or the deadline passes (no fixed sleeps). */
async function waitFor(condition: () => boolean, deadlineMs = 2_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met before the deadline');
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
}

describe('FakeClock', () => {
  it('when time advances then due timers run in time order with the clock showing each due time', async () => {
    const clock = new FakeClock('2026-01-06T14:30:00Z');
    const start = clock.now();
    const seen: [string, number][] = [];
    clock.scheduleIn(300, () => seen.push(['c', clock.now() - start]));
    clock.scheduleIn(100, () => seen.push(['a', clock.now() - start]));
    clock.scheduleAt(start + 200, () => seen.push(['b', clock.now() - start]));
    clock.scheduleIn(1_000, () => seen.push(['late', clock.now() - start]));
    await clock.advance(500);
    expect(seen).toEqual([
      ['a', 100],
      ['b', 200],
      ['c', 300],
    ]);
    expect(clock.now()).toBe(start + 500);
    expect(clock.pendingCount()).toBe(1);
    expect(clock.nextDueAt()).toBe(start + 1_000);
  });

  it('when timers are due at the same instant then they run in scheduling order', async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    for (const n of [1, 2, 3, 4]) clock.scheduleAt(50, () => seen.push(n));
    await clock.set(50);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('when a timer starts async work then it completes before the next timer runs', async () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.scheduleAt(10, () => {
      void (async () => {
        await Promise.resolve();
        await new Promise<void>((resolve) => setImmediate(resolve));
        seen.push('async work of the first timer');
        // Scheduled from async work, due before the target: it still runs in this advance.
        clock.scheduleAt(15, () => seen.push('timer scheduled by it'));
      })();
    });
    clock.scheduleAt(20, () => seen.push('second timer'));
    await clock.advance(30);
    expect(seen).toEqual(['async work of the first timer', 'timer scheduled by it', 'second timer']);
  });

  it('when a timer is cancelled then it never runs', async () => {
    const clock = new FakeClock(0);
    let ran = false;
    const handle = clock.scheduleIn(10, () => {
      ran = true;
    });
    clock.cancel(handle);
    await clock.advance(100);
    expect(ran).toBe(false);
    expect(clock.pendingCount()).toBe(0);
  });

  it('when a timer is scheduled in the past then it runs at the current time on the next move', async () => {
    const clock = new FakeClock(1_000);
    let at = 0;
    clock.scheduleAt(500, () => {
      at = clock.now();
    });
    await clock.runDue();
    expect(at).toBe(1_000);
  });

  it('when set() is asked to move backwards then it refuses and time stays', async () => {
    const clock = new FakeClock('2026-01-06T14:30:00Z');
    const now = clock.now();
    await expect(clock.set(now - 1)).rejects.toBeInstanceOf(ClockError);
    await expect(clock.set('2026-01-06T14:29:59Z')).rejects.toThrow('never moves backwards');
    expect(clock.now()).toBe(now);
    await clock.set(now);
    expect(clock.now()).toBe(now);
  });

  it('when advance() gets a negative or non-finite duration then it refuses and time stays', async () => {
    const clock = new FakeClock(0);
    await expect(clock.advance(-1)).rejects.toThrow('negative duration');
    await expect(clock.advance(Number.NaN)).rejects.toMatchObject({ code: 'CLOCK_INVALID' });
    await expect(clock.set('not a date')).rejects.toBeInstanceOf(ClockError);
    expect(clock.now()).toBe(0);
    expect(() => new FakeClock('nope')).toThrow(ClockError);
  });

  it('when time moves then the monotonic clock moves by the same amount in nanoseconds', async () => {
    const clock = new FakeClock(0);
    const before = clock.monotonicNs();
    await clock.advance(1_500);
    expect(clock.monotonicNs() - before).toBe(1_500_000_000n);
  });
});

describe('SystemClock', () => {
  it('when a timer is scheduled then it fires at or after its due time', async () => {
    const clock = new SystemClock();
    const dueAt = clock.now() + 30;
    let firedAt = 0;
    const handle = clock.scheduleAt(dueAt, () => {
      firedAt = clock.now();
    });
    expect(handle.dueAt).toBe(dueAt);
    await waitFor(() => firedAt !== 0);
    expect(firedAt).toBeGreaterThanOrEqual(dueAt);
  });

  it('when a timer is cancelled then it does not fire while a later one does', async () => {
    const clock = new SystemClock();
    let cancelledRan = false;
    let controlRan = false;
    const handle = clock.scheduleIn(20, () => {
      cancelledRan = true;
    });
    clock.scheduleIn(60, () => {
      controlRan = true;
    });
    clock.cancel(handle);
    await waitFor(() => controlRan);
    expect(cancelledRan).toBe(false);
  });

  it('when read twice then the monotonic time does not go back', () => {
    const clock = new SystemClock();
    const a = clock.monotonicNs();
    const b = clock.monotonicNs();
    expect(b >= a).toBe(true);
  });
});
