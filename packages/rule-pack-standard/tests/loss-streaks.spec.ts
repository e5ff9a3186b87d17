import { describe, expect, it } from 'vitest';
import {
  CONSECUTIVE_LOSSES_CODES,
  consecutiveLossesRule,
  COOLDOWN_AFTER_LOSS_CODES,
  cooldownAfterLossRule,
} from '../src/index.js';
import { build, ct, FakeAccount, FakeContext, fillEvent, opts } from './context.fake.js';

const START = ct('2026-01-06', '10:00');

function setup(
  rule: typeof cooldownAfterLossRule | typeof consecutiveLossesRule,
  options: Record<string, unknown> = {},
  warnAt?: number,
) {
  const account = new FakeAccount(1, START);
  const ctx = new FakeContext(account, START, rule.id, warnAt);
  const evaluator = build(rule as never, options);
  /** A round trip closing at `at` with `pnl` dollars, then the closing fill evaluated. */
  const close = (pnl: number, at: number, fees = 0) => {
    ctx.now = at;
    account.roundTrip('MNQ', pnl, at, 'long', fees);
    return evaluator.evaluate(fillEvent(1, 'MNQ', 'sell', 1, at), ctx);
  };
  return { account, ctx, evaluator, close };
}

describe('cooldown-after-loss', () => {
  it('when a round trip loses one cent less than the first tier then it allows', () => {
    expect(setup(cooldownAfterLossRule).close(-99.99, START)).toEqual([]);
  });

  it('when a round trip loses exactly a tier then the account is locked for that tier, counted from the close', () => {
    expect(setup(cooldownAfterLossRule).close(-100, START)).toEqual([
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'at', at: START + 5 * 60_000 } },
        code: COOLDOWN_AFTER_LOSS_CODES.cooldown,
        reason: 'round trip MNQ long lost -100.00, at or beyond tier 100.00: cooldown 5m',
        data: expect.any(Object),
      },
    ]);
  });

  it('when the loss reaches several tiers then the largest matching tier wins', () => {
    const [d] = setup(cooldownAfterLossRule).close(-250, START);
    expect(d?.reason).toBe('round trip MNQ long lost -250.00, at or beyond tier 200.00: cooldown 15m');
    expect(d?.lockout?.end).toEqual({ kind: 'at', at: START + 15 * 60_000 });
  });

  it('when flatten is set then it flattens first', () => {
    const [d] = setup(cooldownAfterLossRule, { flatten: true }).close(-300, START);
    expect(d).toMatchObject({
      action: 'flatten',
      reason: 'round trip MNQ long lost -300.00, at or beyond tier 300.00: flatten and cooldown 30m',
    });
  });

  it('when the same round trip is seen again (a restart, another event) then it does not fire twice', () => {
    const s = setup(cooldownAfterLossRule);
    expect(s.close(-150, START)).toHaveLength(1);
    expect(s.evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 1, START + 1000), s.ctx)).toEqual([]);
  });

  it('when the rule first sees a loss whose cooldown has already run out then it does nothing', () => {
    const s = setup(cooldownAfterLossRule);
    s.account.roundTrip('MNQ', -150, START - 6 * 60_000);
    expect(s.evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 1, START), s.ctx)).toEqual([]);
  });

  it('when a winning round trip closes then nothing happens', () => {
    expect(setup(cooldownAfterLossRule).close(500, START)).toEqual([]);
  });

  it('when tiers change then compare looks at each loss amount', () => {
    const base = opts(cooldownAfterLossRule, {});
    const longer = opts(cooldownAfterLossRule, {
      tiers: [
        { loss: 100, cooldown: '10m' },
        { loss: 200, cooldown: '15m' },
        { loss: 300, cooldown: '30m' },
      ],
    });
    expect(cooldownAfterLossRule.compare?.(base, longer)).toBe('tighter');
    expect(cooldownAfterLossRule.compare?.(longer, base)).toBe('looser');
    expect(
      cooldownAfterLossRule.compare?.(
        base,
        opts(cooldownAfterLossRule, { tiers: [{ loss: 50, cooldown: '5m' }, ...base.tiers] }),
      ),
    ).toBe('tighter');
    expect(
      cooldownAfterLossRule.compare?.(
        base,
        opts(cooldownAfterLossRule, { tiers: [{ loss: 200, cooldown: '15m' }] }),
      ),
    ).toBe('looser');
  });
});

describe('consecutive-losses', () => {
  it('when two losses in a row then it allows; the third locks until the reset', () => {
    const s = setup(consecutiveLossesRule);
    expect(s.close(-20, START)).toEqual([]);
    expect(s.close(-30, START + 60_000)).toEqual([]);
    expect(s.close(-45.2, START + 120_000)).toEqual([
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'reset' } },
        code: CONSECUTIVE_LOSSES_CODES.streak,
        reason: '3 losing round trips in a row (last MNQ long -45.20), limit 3: cooldown until-reset',
        data: expect.any(Object),
      },
    ]);
  });

  it('when a winning round trip comes between then the streak starts over', () => {
    const s = setup(consecutiveLossesRule);
    s.close(-20, START);
    s.close(-20, START + 1);
    s.close(5, START + 2);
    s.close(-20, START + 3);
    expect(s.close(-20, START + 4)).toEqual([]);
    expect(s.close(-20, START + 5)[0]?.code).toBe(CONSECUTIVE_LOSSES_CODES.streak);
  });

  it('when a round trip loses only its fees then it counts as a loss', () => {
    const s = setup(consecutiveLossesRule, { count: 2 });
    s.close(-1.48, START, 1.48);
    expect(s.close(-0.74, START + 1, 0.74)[0]?.code).toBe(CONSECUTIVE_LOSSES_CODES.streak);
  });

  it('when a round trip ends at exactly 0.00 then it neither counts nor resets the streak', () => {
    const s = setup(consecutiveLossesRule, { count: 2 });
    s.close(-10, START);
    expect(s.close(0, START + 1)).toEqual([]);
    expect(s.close(-10, START + 2)[0]?.code).toBe(CONSECUTIVE_LOSSES_CODES.streak);
  });

  it('when the lockout has been set then the streak starts over', () => {
    const s = setup(consecutiveLossesRule, { count: 2, cooldown: '30m' });
    s.close(-10, START);
    const [d] = s.close(-10, START + 1);
    expect(d?.lockout?.end).toEqual({ kind: 'at', at: START + 1 + 30 * 60_000 });
    expect(s.close(-10, START + 40 * 60_000)).toEqual([]);
    expect(s.close(-10, START + 41 * 60_000)).toHaveLength(1);
  });

  it('when the trading day changes then the streak starts over', () => {
    const s = setup(consecutiveLossesRule, { count: 2 });
    s.close(-10, START);
    const nextDay = ct('2026-01-06', '18:00');
    s.account.tradingDay = s.ctx.calendar.tradingDayAt(nextDay);
    s.account.roundTrips = [];
    expect(s.close(-10, nextDay)).toEqual([]);
  });

  it('when warnAt 0.6 and 2 of 3 losses happened then it warns once', () => {
    const s = setup(consecutiveLossesRule, {}, 0.6);
    expect(s.close(-10, START)).toEqual([]);
    expect(s.close(-12.5, START + 1)[0]?.reason).toBe(
      '2 losing round trips in a row (last MNQ -12.50); the rule locks at 3',
    );
  });

  it('when count is raised then the change is looser', () => {
    const base = opts(consecutiveLossesRule, {});
    expect(consecutiveLossesRule.compare?.(base, { ...base, count: 4 })).toBe('looser');
    expect(consecutiveLossesRule.compare?.(base, { ...base, count: 2 })).toBe('tighter');
    expect(consecutiveLossesRule.compare?.(base, { ...base, cooldown: 'until-week-reset' })).toBe('tighter');
    expect(consecutiveLossesRule.compare?.(base, { ...base, cooldown: '1h' })).toBe('looser');
  });
});
