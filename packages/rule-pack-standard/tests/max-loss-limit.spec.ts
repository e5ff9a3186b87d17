import { describe, expect, it } from 'vitest';
import { dollarsToMicros } from '@riskd/core-engine';
import { MAX_LOSS_CODES, maxLossLimitRule } from '../src/index.js';
import { build, ct, FakeAccount, FakeContext, opts, quoteEvent, resetEvent } from './context.fake.js';

const NOW = ct('2026-01-06', '10:00');

function setup(options: Record<string, unknown> = {}, warnAt?: number) {
  const account = new FakeAccount(1, NOW);
  const ctx = new FakeContext(account, NOW, 'max-loss-limit', warnAt);
  const evaluator = build(maxLossLimitRule, {
    drawdown: 2000,
    highWaterMark: 50_000,
    stopAt: 50_000,
    ...options,
  });
  return { account, ctx, evaluator, run: () => evaluator.evaluate(quoteEvent('MNQ', NOW), ctx) };
}

describe('max-loss-limit', () => {
  it('when equity is one cent above the floor then it allows', () => {
    const s = setup();
    s.account.setBalance(48_500, -499.99);
    expect(s.run()).toEqual([]);
  });

  it('when equity (balance + unrealized) reaches the floor then it flattens, locks until the reset, critical', () => {
    const s = setup();
    s.account.setBalance(48_500, -500);
    expect(s.run()).toEqual([
      {
        action: 'flatten',
        lockout: { scope: { kind: 'account' }, end: { kind: 'reset' } },
        code: MAX_LOSS_CODES.limit,
        reason:
          'equity 48000.00 breached max loss floor 48000.00 + buffer 0.00 = 48000.00 (high-water mark 50000.00, drawdown 2000.00, buffer 0.00)',
        severity: 'critical',
        data: expect.any(Object),
      },
    ]);
  });

  it('when a buffer is set then it acts that far above the floor', () => {
    const s = setup({ buffer: 100 });
    s.account.setBalance(48_100);
    expect(s.run()[0]?.reason).toBe(
      'equity 48100.00 breached max loss floor 48000.00 + buffer 100.00 = 48100.00 (high-water mark 50000.00, drawdown 2000.00, buffer 100.00)',
    );
  });

  it('when a higher end-of-day balance is recorded at a reset then the floor trails it (end-of-day)', () => {
    const s = setup({ stopAt: null });
    s.account.balanceAtReset = dollarsToMicros(51_000);
    s.account.setBalance(51_000);
    expect(s.evaluator.evaluate(resetEvent(ct('2026-01-05', '17:00')), s.ctx)).toEqual([]);
    s.account.balanceAtReset = dollarsToMicros(50_500);
    s.account.setBalance(49_000);
    expect(s.run()[0]?.reason).toContain('breached max loss floor 49000.00');
    expect(s.ctx.state.get('highWaterMark')).toEqual({ base: 50_000_000_000, value: 51_000_000_000 });
  });

  it('when the trailing floor reaches stopAt then it stops rising', () => {
    const s = setup();
    s.account.balanceAtReset = dollarsToMicros(53_000);
    s.account.setBalance(50_000.01);
    expect(s.run()).toEqual([]);
    s.account.setBalance(50_000);
    expect(s.run()[0]?.reason).toContain('breached max loss floor 50000.00');
  });

  it('when trail is end-of-day then intraday equity highs do not raise the floor; intraday they do', () => {
    const eod = setup({ stopAt: null });
    eod.account.setBalance(50_000, 1500);
    eod.run();
    eod.account.setBalance(50_000, -1000);
    expect(eod.run()).toEqual([]);
    const intraday = setup({ stopAt: null, trail: 'intraday' });
    intraday.account.setBalance(50_000, 1500);
    intraday.run();
    intraday.account.setBalance(50_000, -500);
    expect(intraday.run()[0]?.reason).toContain('breached max loss floor 49500.00');
  });

  it('when the admin sets floor then it wins and does not trail', () => {
    const s = setup({ floor: 50_000 });
    s.account.balanceAtReset = dollarsToMicros(60_000);
    s.account.setBalance(50_000.01);
    expect(s.run()).toEqual([]);
    s.account.setBalance(50_000);
    expect(s.run()[0]?.reason).toBe(
      'equity 50000.00 breached max loss floor 50000.00 + buffer 0.00 = 50000.00 (floor set at 50000.00, buffer 0.00)',
    );
  });

  it('when the configured high-water mark changes then the recorded one starts over from it', () => {
    const s = setup({ stopAt: null });
    s.ctx.state.set('highWaterMark', { base: dollarsToMicros(49_000), value: dollarsToMicros(55_000) });
    s.account.setBalance(48_000.01);
    expect(s.run()).toEqual([]);
  });

  it('when warnAt 0.75 then it warns once equity is within a quarter of the drawdown of the floor', () => {
    const s = setup({}, 0.75);
    s.account.setBalance(48_500);
    expect(s.run()[0]).toMatchObject({
      action: 'alert',
      code: MAX_LOSS_CODES.warning,
      reason:
        'equity 48500.00 is within 500.00 of the max loss floor 48000.00 + buffer 0.00 (high-water mark 50000.00, drawdown 2000.00, buffer 0.00)',
    });
    expect(s.run()).toEqual([]);
  });

  it('when the balance is unknown then it waits', () => {
    const s = setup();
    expect(s.run()).toEqual([]);
  });

  it('when options change then compare orders them by protection', () => {
    const base = opts(maxLossLimitRule, { drawdown: 2000, highWaterMark: 50_000, stopAt: 50_000 });
    expect(maxLossLimitRule.compare?.(base, { ...base, drawdown: 2500 })).toBe('looser');
    expect(maxLossLimitRule.compare?.(base, { ...base, buffer: 100 })).toBe('tighter');
    expect(maxLossLimitRule.compare?.(base, { ...base, trail: 'intraday' })).toBe('tighter');
    expect(maxLossLimitRule.compare?.(base, { ...base, stopAt: null })).toBe('tighter');
    expect(maxLossLimitRule.compare?.(base, { ...base, floor: 49_000 })).toBe('looser');
    expect(maxLossLimitRule.compare?.({ ...base, floor: 49_000 }, { ...base, floor: 49_500 })).toBe(
      'tighter',
    );
  });
});
