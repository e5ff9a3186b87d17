import { describe, expect, it } from 'vitest';
import { dailyLossLimitRule, DAILY_LOSS_CODES } from '../src/index.js';
import { build, ct, FakeAccount, FakeContext, quoteEvent } from './context.fake.js';

const NOW = ct('2026-01-06', '10:00');

function setup(
  pnl: Parameters<FakeAccount['setPnl']>[0],
  options: Record<string, unknown> = {},
  warnAt?: number,
) {
  const account = new FakeAccount(1, NOW).setPnl(pnl);
  account.open('MNQ', { unrealized: pnl.unrealized ?? 0 });
  const ctx = new FakeContext(account, NOW, 'daily-loss-limit', warnAt);
  const evaluator = build(dailyLossLimitRule, { limit: 500, ...options });
  return { account, ctx, run: () => evaluator.evaluate(quoteEvent('MNQ', NOW), ctx) };
}

describe('daily-loss-limit', () => {
  it('when combined P&L is 0.01 above the limit then it allows', () => {
    expect(setup({ realized: -300, unrealized: -199.99 }).run()).toEqual([]);
  });

  it('when combined P&L is exactly at -limit then it flattens and locks until the reset', () => {
    const [d, ...rest] = setup({ realized: -300, unrealized: -200 }).run();
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      action: 'flatten',
      code: DAILY_LOSS_CODES.limit,
      lockout: { scope: { kind: 'account' }, end: { kind: 'reset' } },
      reason: 'combined P&L -500.00 breached daily loss limit 500.00',
    });
  });

  it('when a quote moves the open position below the limit with no fill then it breaches (guarantee 2)', () => {
    const [d] = setup({ realized: 0, unrealized: -512.5 }).run();
    expect(d?.reason).toBe('combined P&L -512.50 breached daily loss limit 500.00');
  });

  it('when the loss is half a cent short of the limit then cents rounding (half away from zero) makes it a breach', () => {
    const [d] = setup({ realized: -499.995 }).run();
    expect(d?.code).toBe(DAILY_LOSS_CODES.limit);
    expect(setup({ realized: -499.994 }).run()).toEqual([]);
  });

  it('when the basis is realized then unrealized losses are ignored', () => {
    expect(setup({ realized: -100, unrealized: -900 }, { basis: 'realized' }).run()).toEqual([]);
    const [d] = setup({ realized: -500.01, unrealized: 900 }, { basis: 'realized' }).run();
    expect(d?.reason).toBe('realized P&L -500.01 breached daily loss limit 500.00');
  });

  it('when trailing combined then the floor is the peak minus the limit', () => {
    expect(
      setup({ realized: 300, unrealized: 0.01, peakCombined: 800 }, { trailing: 'combined' }).run(),
    ).toEqual([]);
    const [d] = setup({ realized: 300, unrealized: 0, peakCombined: 800 }, { trailing: 'combined' }).run();
    expect(d).toMatchObject({
      code: DAILY_LOSS_CODES.trailing,
      reason:
        'combined P&L 300.00 breached trailing daily loss floor 300.00 (combined peak 800.00, limit 500.00)',
    });
  });

  it('when trailing but the day never went positive then the floor stays at -limit', () => {
    expect(setup({ realized: -499, peakCombined: 0 }, { trailing: 'realized' }).run()).toEqual([]);
  });

  it('when marks are stale then the reason says so', () => {
    const [d] = setup({ unrealized: -600, stale: true }).run();
    expect(d?.reason).toBe('combined P&L -600.00 breached daily loss limit 500.00 (marks stale)');
  });

  it('when warnAt 0.8 and the loss reaches 400 then it warns once per trading day', () => {
    const s = setup({ realized: -400 }, {}, 0.8);
    expect(s.run()).toEqual([
      {
        action: 'alert',
        code: DAILY_LOSS_CODES.warning,
        severity: 'warning',
        reason: 'combined P&L -400.00 is within 100.00 of the daily loss limit 500.00 (warning at 80%)',
        data: expect.any(Object),
      },
    ]);
    expect(s.run()).toEqual([]);
  });

  it('when the account is flat and already locked until the reset then it stays silent', () => {
    const s = setup({ realized: -600 });
    s.account.positions.clear();
    s.account.lock({ kind: 'account' }, { kind: 'at', at: ct('2026-01-06', '17:00') });
    expect(s.run()).toEqual([]);
  });

  it('when the account is flat but only locked by a shorter cooldown then it still sets its lockout', () => {
    const s = setup({ realized: -600 });
    s.account.positions.clear();
    s.account.lock({ kind: 'account' }, { kind: 'at', at: NOW + 300_000 });
    expect(s.run()[0]?.code).toBe(DAILY_LOSS_CODES.limit);
  });

  it('when the limit is raised then the change is looser; lowered, tighter; trailing added, tighter', () => {
    const base = { limit: 500, basis: 'combined', trailing: 'none' } as const;
    expect(dailyLossLimitRule.compare?.(base, { ...base, limit: 600 })).toBe('looser');
    expect(dailyLossLimitRule.compare?.(base, { ...base, limit: 400 })).toBe('tighter');
    expect(dailyLossLimitRule.compare?.(base, { ...base })).toBe('same');
    expect(dailyLossLimitRule.compare?.(base, { ...base, trailing: 'combined' })).toBe('tighter');
    expect(dailyLossLimitRule.compare?.({ ...base, trailing: 'combined' }, base)).toBe('looser');
    expect(dailyLossLimitRule.compare?.(base, { ...base, limit: 400, basis: 'realized' })).toBe('looser');
  });
});
