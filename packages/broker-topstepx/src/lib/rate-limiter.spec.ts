import { FakeClock } from '@riskd/core-engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopstepXClosedError, TopstepXConfigError } from './errors.js';
import { RateLimiter, type Permit, type RateLimitConfig } from './rate-limiter.js';

const config: RateLimitConfig = {
  limit: 200,
  windowMs: 60_000,
  snapshotReserve: 40,
  maxSnapshotConcurrency: 1000,
};

/** Acquires without awaiting and records when each grant happened. */
function track(
  limiter: RateLimiter,
  priority: 'enforcement' | 'snapshot',
  clock: FakeClock,
  log: { at: number; priority: string }[],
): Promise<Permit> {
  return limiter.acquire(priority).then((permit) => {
    log.push({ at: clock.now(), priority });
    return permit;
  });
}

describe('RateLimiter', () => {
  it('when snapshots fill the window then they stop 40 requests short of the limit', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(config, clock);
    const granted: { at: number; priority: string }[] = [];
    for (let i = 0; i < 170; i++) void track(limiter, 'snapshot', clock, granted).then((p) => p.release());
    await clock.advance(0);
    expect(granted).toHaveLength(160);
    expect(limiter.queued('snapshot')).toBe(10);
  });

  it('when the snapshot share is used up then enforcement still gets the last 40 requests', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(config, clock);
    const granted: { at: number; priority: string }[] = [];
    for (let i = 0; i < 160; i++) void track(limiter, 'snapshot', clock, granted);
    for (let i = 0; i < 41; i++) void track(limiter, 'enforcement', clock, granted);
    await clock.advance(0);
    expect(granted.filter((g) => g.priority === 'enforcement')).toHaveLength(40);
    expect(limiter.inWindow()).toBe(200);
    expect(limiter.queued('enforcement')).toBe(1);
  });

  it('when 150 snapshots are queued then an enforcement request is granted first, at once', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter({ ...config, maxSnapshotConcurrency: 4 }, clock);
    const granted: { at: number; priority: string }[] = [];
    const held: Permit[] = [];
    for (let i = 0; i < 154; i++) void track(limiter, 'snapshot', clock, granted).then((p) => held.push(p));
    await clock.advance(0);
    expect(limiter.queued('snapshot')).toBe(150);
    void track(limiter, 'enforcement', clock, granted);
    await clock.advance(0);
    expect(granted.at(-1)).toEqual({ at: 0, priority: 'enforcement' });
    expect(limiter.queued('snapshot')).toBe(150);
  });

  it('when an enforcement request waits then no snapshot is granted before it', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(
      { limit: 3, windowMs: 1000, snapshotReserve: 0, maxSnapshotConcurrency: 10 },
      clock,
    );
    const granted: { at: number; priority: string }[] = [];
    for (let i = 0; i < 3; i++) void track(limiter, 'snapshot', clock, granted);
    void track(limiter, 'snapshot', clock, granted);
    void track(limiter, 'enforcement', clock, granted);
    await clock.advance(0);
    expect(granted.map((g) => g.priority)).toEqual(['snapshot', 'snapshot', 'snapshot']);
    await clock.advance(1000);
    expect(granted.map((g) => g.priority)).toEqual([
      'snapshot',
      'snapshot',
      'snapshot',
      'enforcement',
      'snapshot',
    ]);
    expect(granted[3]?.at).toBe(1000);
  });

  it('when the window slides then waiting requests are granted as old ones expire', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(
      { limit: 2, windowMs: 1000, snapshotReserve: 0, maxSnapshotConcurrency: 10 },
      clock,
    );
    const granted: { at: number; priority: string }[] = [];
    void track(limiter, 'enforcement', clock, granted);
    await clock.advance(400);
    void track(limiter, 'enforcement', clock, granted);
    void track(limiter, 'enforcement', clock, granted);
    void track(limiter, 'enforcement', clock, granted);
    await clock.advance(2000);
    expect(granted.map((g) => g.at)).toEqual([0, 400, 1000, 1400]);
  });

  it('when snapshot concurrency is reached then the next snapshot waits for a release', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter({ ...config, maxSnapshotConcurrency: 2 }, clock);
    const granted: { at: number; priority: string }[] = [];
    const permits: Permit[] = [];
    for (let i = 0; i < 3; i++) void track(limiter, 'snapshot', clock, granted).then((p) => permits.push(p));
    await clock.advance(0);
    expect(granted).toHaveLength(2);
    permits[0]?.release();
    permits[0]?.release(); // idempotent
    await clock.advance(0);
    expect(granted).toHaveLength(3);
    expect(limiter.inFlightSnapshots()).toBe(2);
  });

  it('when a 429 back-off is set then snapshots wait for it and enforcement does not', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(config, clock);
    const granted: { at: number; priority: string }[] = [];
    limiter.backoff(5000);
    void track(limiter, 'snapshot', clock, granted);
    void track(limiter, 'enforcement', clock, granted);
    await clock.advance(4999);
    expect(granted).toEqual([{ at: 0, priority: 'enforcement' }]);
    await clock.advance(1);
    expect(granted).toEqual([
      { at: 0, priority: 'enforcement' },
      { at: 5000, priority: 'snapshot' },
    ]);
  });

  it('when the limit is Infinity then nothing is ever held by the window', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(
      { limit: Number.POSITIVE_INFINITY, windowMs: 1, snapshotReserve: 0, maxSnapshotConcurrency: 1e9 },
      clock,
    );
    const granted: { at: number; priority: string }[] = [];
    for (let i = 0; i < 5000; i++) void track(limiter, 'snapshot', clock, granted);
    await clock.advance(0);
    expect(granted).toHaveLength(5000);
  });

  it('when closed then waiting and new requests are rejected with a coded error', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(
      { limit: 1, windowMs: 1000, snapshotReserve: 0, maxSnapshotConcurrency: 1 },
      clock,
    );
    await limiter.acquire('enforcement');
    const waiting = limiter.acquire('enforcement');
    limiter.close();
    await expect(waiting).rejects.toBeInstanceOf(TopstepXClosedError);
    await expect(limiter.acquire('snapshot')).rejects.toMatchObject({ code: 'TOPSTEPX_CLOSED' });
  });

  it('when the reserve is not below the limit then the config is refused', () => {
    expect(() => new RateLimiter({ ...config, snapshotReserve: 200 }, new FakeClock(0))).toThrow(
      TopstepXConfigError,
    );
  });

  it('when requests arrive at random times then no window ever holds more than the limit and snapshots stay under the reserve', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 300 }), enforcement: fc.boolean() }), {
          minLength: 1,
          maxLength: 60,
        }),
        async (requests) => {
          const clock = new FakeClock(0);
          const cfg: RateLimitConfig = {
            limit: 10,
            windowMs: 1000,
            snapshotReserve: 3,
            maxSnapshotConcurrency: 100,
          };
          const limiter = new RateLimiter(cfg, clock);
          const granted: { at: number; priority: string }[] = [];
          for (const r of requests) {
            await clock.advance(r.gap);
            void track(limiter, r.enforcement ? 'enforcement' : 'snapshot', clock, granted);
          }
          await clock.advance(100_000);
          expect(granted).toHaveLength(requests.length);
          for (const g of granted) {
            const inWindow = granted.filter((o) => o.at > g.at - cfg.windowMs && o.at <= g.at);
            expect(inWindow.length).toBeLessThanOrEqual(cfg.limit);
            if (g.priority === 'snapshot') {
              const before = granted.filter(
                (o) => o !== g && o.at > g.at - cfg.windowMs && granted.indexOf(o) < granted.indexOf(g),
              );
              expect(before.length).toBeLessThan(cfg.limit - cfg.snapshotReserve);
            }
          }
        },
      ),
    );
  });
});
