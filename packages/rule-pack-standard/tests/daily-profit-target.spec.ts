import { describe, expect, it } from 'vitest';
import { DAILY_PROFIT_CODES, dailyProfitTargetRule } from '../src/index.js';
import { build, ct, FakeAccount, FakeContext, fillEvent } from './context.fake.js';

const NOW = ct('2026-01-06', '10:00');

function setup(
  pnl: Parameters<FakeAccount['setPnl']>[0],
  options: Record<string, unknown> = {},
  warnAt?: number,
) {
  const account = new FakeAccount(1, NOW).setPnl(pnl);
  const ctx = new FakeContext(account, NOW, 'daily-profit-target', warnAt);
  const evaluator = build(dailyProfitTargetRule, { target: 1000, ...options });
  return { account, ctx, run: () => evaluator.evaluate(fillEvent(1, 'MNQ', 'sell', 1, NOW), ctx) };
}

describe('daily-profit-target', () => {
  it('when realized P&L is one cent below the target then it allows', () => {
    expect(setup({ realized: 999.99 }).run()).toEqual([]);
  });

  it('when realized P&L is exactly at the target then it flattens and locks until the reset', () => {
    expect(setup({ realized: 1000 }).run()).toEqual([
      {
        action: 'flatten',
        lockout: { scope: { kind: 'account' }, end: { kind: 'reset' } },
        code: DAILY_PROFIT_CODES.target,
        reason: 'realized P&L 1000.00 reached daily profit target 1000.00',
        severity: 'warning',
        data: expect.any(Object),
      },
    ]);
  });

  it('when the basis is realized then open profit does not count; combined counts it', () => {
    expect(setup({ realized: 600, unrealized: 500 }).run()).toEqual([]);
    const [d] = setup({ realized: 600, unrealized: 500 }, { basis: 'combined' }).run();
    expect(d?.reason).toBe('combined P&L 1100.00 reached daily profit target 1000.00');
  });

  it('when warnAt 0.9 and realized is 900 then it warns once', () => {
    const s = setup({ realized: 900 }, {}, 0.9);
    expect(s.run()[0]).toMatchObject({
      action: 'alert',
      code: DAILY_PROFIT_CODES.warning,
      reason: 'realized P&L 900.00 is within 100.00 of the daily profit target 1000.00 (warning at 90%)',
    });
    expect(s.run()).toEqual([]);
  });

  it('when the target is lowered then the change is tighter, raised looser', () => {
    const base = { target: 1000, basis: 'realized' } as const;
    expect(dailyProfitTargetRule.compare?.(base, { ...base, target: 800 })).toBe('tighter');
    expect(dailyProfitTargetRule.compare?.(base, { ...base, target: 1200 })).toBe('looser');
    expect(dailyProfitTargetRule.compare?.(base, { ...base, basis: 'combined' })).toBe('looser');
  });
});
