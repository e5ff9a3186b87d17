import { describe, expect, it } from 'vitest';
import { TRADE_FREQUENCY_CODES, tradeFrequencyRule } from '../src/index.js';
import { build, CONTRACTS, ct, FakeAccount, FakeContext, fillEvent, opts } from './context.fake.js';

const START = ct('2026-01-06', '10:00');

function setup(options: Record<string, unknown>, warnAt?: number) {
  const account = new FakeAccount(1, START);
  const ctx = new FakeContext(account, START, 'trade-frequency', warnAt);
  const evaluator = build(tradeFrequencyRule, options);
  /** An entry of `size` by a new order at `at`, its position grown accordingly. */
  const enter = (orderId: number, at: number, size = 1, fillSize = size) => {
    ctx.now = at;
    const existing = account.entries.find((e) => e.orderId === orderId);
    if (existing) (existing as { size: number }).size += fillSize;
    else account.entry('MNQ', orderId, at, fillSize);
    const p = account.positions.get(CONTRACTS.MNQ.id);
    account.open('MNQ', { size: (p?.size ?? 0) + fillSize, epoch: 1 });
    return evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', fillSize, at, { orderId }), ctx);
  };
  return { account, ctx, evaluator, enter };
}

describe('trade-frequency', () => {
  it('when the limit-th entry of a minute comes then it is allowed; the next one locks for 60s', () => {
    const s = setup({ perMinute: { limit: 3 } });
    expect(s.enter(1, START)).toEqual([]);
    expect(s.enter(2, START + 10_000)).toEqual([]);
    expect(s.enter(3, START + 20_000)).toEqual([]);
    expect(s.enter(4, START + 30_000)).toEqual([
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'at', at: START + 30_000 + 60_000 } },
        code: TRADE_FREQUENCY_CODES.perMinute,
        reason: 'entry 4 in the last minute exceeded the limit of 3: cooldown 60s',
        data: expect.any(Object),
      },
    ]);
  });

  it('when an entry is exactly 60s older than the new one then it has left the rolling minute', () => {
    const s = setup({ perMinute: { limit: 2 } });
    s.enter(1, START);
    s.enter(2, START + 30_000);
    expect(s.enter(3, START + 60_000)).toEqual([]);
    expect(s.enter(4, START + 60_001)[0]?.code).toBe(TRADE_FREQUENCY_CODES.perMinute);
  });

  it('when partial fills of one order arrive then they are one entry', () => {
    const s = setup({ perMinute: { limit: 1 } });
    expect(s.enter(1, START, 1)).toEqual([]);
    expect(s.enter(1, START + 1_000, 1)).toEqual([]);
    expect(s.enter(2, START + 2_000)[0]?.reason).toBe(
      'entry 2 in the last minute exceeded the limit of 1: cooldown 60s',
    );
  });

  it('when several windows are exceeded then each gives its lockout (the engine keeps the latest end)', () => {
    const s = setup({ perMinute: { limit: 1 }, perDay: { limit: 1 } });
    s.enter(1, START);
    const decisions = s.enter(2, START + 1_000);
    expect(decisions.map((d) => [d.code, d.lockout?.end])).toEqual([
      [TRADE_FREQUENCY_CODES.perMinute, { kind: 'at', at: START + 61_000 }],
      [TRADE_FREQUENCY_CODES.perDay, { kind: 'reset' }],
    ]);
  });

  it('when the day window counts then only entries since the trading day started count', () => {
    const s = setup({ perDay: { limit: 1, cooldown: '2h' } });
    s.account.entry('MNQ', 99, ct('2026-01-05', '16:00'));
    expect(s.enter(1, START)).toEqual([]);
    const [d] = s.enter(2, START + 1);
    expect(d?.reason).toBe('entry 2 in the trading day exceeded the limit of 1: cooldown 2h');
    expect(d?.lockout?.end).toEqual({ kind: 'at', at: START + 1 + 7_200_000 });
  });

  it('when the week window counts then every entry of the week counts and the cooldown ends at the week reset', () => {
    const s = setup({ perWeek: { limit: 2 } });
    s.account.entry('MNQ', 98, ct('2026-01-05', '09:00'));
    s.account.entry('MNQ', 99, ct('2026-01-05', '11:00'));
    const [d] = s.enter(1, START);
    expect(d).toMatchObject({
      code: TRADE_FREQUENCY_CODES.perWeek,
      lockout: { end: { kind: 'week-reset' } },
    });
  });

  it('when closeExcess then the excess entry is taken back out, also its later partial fills', () => {
    const s = setup({ perMinute: { limit: 1 }, closeExcess: true });
    s.enter(1, START, 2);
    const decisions = s.enter(2, START + 1_000, 3, 1);
    expect(decisions[1]).toEqual({
      action: 'reduce-position',
      contractId: CONTRACTS.MNQ.id,
      reduceTo: 2,
      code: TRADE_FREQUENCY_CODES.excess,
      reason: 'excess entry order 2 (1 contracts) taken back out: reducing MNQ long 3 to 2',
      data: expect.any(Object),
    });
    // The second partial fill of order 2 (2 more contracts) before the reduce executed.
    expect(s.enter(2, START + 1_500, 3, 2)).toEqual([
      expect.objectContaining({ action: 'reduce-position', reduceTo: 2, code: TRADE_FREQUENCY_CODES.excess }),
    ]);
  });

  it('when the engine replays the fills after a restart then entries already judged are not judged again', () => {
    const s = setup({ perMinute: { limit: 1 }, closeExcess: true });
    s.enter(1, START);
    expect(s.enter(2, START + 1_000)).toHaveLength(2);
    const replay = {
      ...fillEvent(1, 'MNQ', 'buy', 1, START + 1_000, { orderId: 2 }),
      origin: 'snapshot' as const,
    };
    s.ctx.now = START + 5_000;
    expect(s.evaluator.evaluate(replay, s.ctx)).toEqual([]);
  });

  it('when the rule first sees entries whose fixed cooldown has already run out then it does nothing', () => {
    const s = setup({ perMinute: { limit: 1 } });
    s.account.entry('MNQ', 1, START - 120_000);
    s.account.entry('MNQ', 2, START - 119_000);
    s.ctx.now = START;
    expect(
      s.evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 1, START - 119_000, { orderId: 2 }), s.ctx),
    ).toEqual([]);
  });

  it('when warnAt 0.8 then the 8th of 10 entries per hour warns once', () => {
    const s = setup({ perHour: { limit: 10 } }, 0.8);
    for (let i = 1; i <= 7; i++) expect(s.enter(i, START + i * 1000)).toEqual([]);
    expect(s.enter(8, START + 8000)[0]?.reason).toBe('entry 8 in the last hour of 10 allowed');
    expect(s.enter(9, START + 9000)).toEqual([]);
  });

  it('when a fill is not an entry (a closing fill) then nothing is counted', () => {
    const s = setup({ perMinute: { limit: 1 } });
    expect(s.evaluator.evaluate(fillEvent(1, 'MNQ', 'sell', 1, START, { orderId: 77 }), s.ctx)).toEqual([]);
  });

  it('when options change then compare orders them by protection', () => {
    const base = opts(tradeFrequencyRule, { perMinute: { limit: 3 } });
    expect(tradeFrequencyRule.compare?.(base, opts(tradeFrequencyRule, { perMinute: { limit: 2 } }))).toBe(
      'tighter',
    );
    expect(tradeFrequencyRule.compare?.(base, opts(tradeFrequencyRule, {}))).toBe('looser');
    expect(
      tradeFrequencyRule.compare?.(
        base,
        opts(tradeFrequencyRule, { perMinute: { limit: 3, cooldown: '30s' } }),
      ),
    ).toBe('looser');
    expect(
      tradeFrequencyRule.compare?.(
        base,
        opts(tradeFrequencyRule, { perMinute: { limit: 3 }, perDay: { limit: 20 } }),
      ),
    ).toBe('tighter');
  });
});
