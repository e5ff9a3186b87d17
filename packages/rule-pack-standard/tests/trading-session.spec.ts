import { describe, expect, it } from 'vitest';
import { RuleOptionsError, TRADING_SESSION_CODES, tradingSessionRule } from '../src/index.js';
import {
  build,
  CONTRACTS,
  ct,
  FakeAccount,
  FakeContext,
  fillEvent,
  opts,
  resetEvent,
  timerEvent,
} from './context.fake.js';

const RTH = { start: '08:30', end: '15:00' };
const WEEKDAYS_RTH = { mon: [RTH], tue: [RTH], wed: [RTH], thu: [RTH], fri: [RTH] };

function setup(at: number, options: Record<string, unknown> = {}) {
  const account = new FakeAccount(1, at);
  const ctx = new FakeContext(account, at, 'trading-session');
  const evaluator = build(tradingSessionRule, options);
  const onFill = (when = ctx.now) => {
    ctx.now = when;
    return evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 1, when), ctx);
  };
  const fire = (key = 'flat') => {
    const event = timerEvent(ctx, key);
    ctx.now = (event as { dueAt: number }).dueAt;
    return evaluator.evaluate(event, ctx);
  };
  return { account, ctx, evaluator, onFill, fire };
}

describe('trading-session (market calendar)', () => {
  it('when a fill comes inside the session then it allows and arms the flat timer 120s before 15:10 CT', () => {
    const s = setup(ct('2026-01-06', '10:00'));
    s.account.open('MNQ');
    expect(s.onFill()).toEqual([]);
    expect(s.ctx.timers.get('flat')?.at).toBe(ct('2026-01-06', '15:08'));
  });

  it('when the flat deadline comes with a position open then it flattens and locks until 17:00 CT', () => {
    const s = setup(ct('2026-01-06', '10:00'));
    s.account.open('MNQ', { size: 2 });
    s.onFill();
    expect(s.fire()).toEqual([
      {
        action: 'flatten',
        lockout: { scope: { kind: 'account' }, end: { kind: 'at', at: ct('2026-01-06', '17:00') } },
        code: TRADING_SESSION_CODES.closing,
        reason:
          'session flat deadline 2026-01-06 15:08 America/Chicago (120s before the close): flatten MNQ long 2, locked until 2026-01-06 17:00 America/Chicago',
        severity: 'warning',
        data: expect.any(Object),
      },
    ]);
    // The next deadline is armed for the next trading day.
    expect(s.ctx.timers.get('flat')?.at).toBe(ct('2026-01-07', '15:08'));
  });

  it('when the flat deadline comes and the account is flat with no orders then nothing happens', () => {
    const s = setup(ct('2026-01-06', '10:00'));
    s.onFill();
    expect(s.fire()).toEqual([]);
  });

  it('when the flat deadline comes with only working orders then they are flattened (cancelled) too', () => {
    const s = setup(ct('2026-01-06', '10:00'));
    s.account.order('ES', 'buy', 1);
    s.onFill();
    expect(s.fire()[0]?.reason).toContain('flatten working orders, locked until 2026-01-06 17:00');
  });

  it('when a fill opens a position in the daily break then it flattens and locks until the session start', () => {
    const s = setup(ct('2026-01-06', '15:30'));
    s.account.open('MNQ');
    const [d] = s.onFill();
    expect(d).toMatchObject({ action: 'flatten', code: TRADING_SESSION_CODES.outside });
    expect(d?.reason).toBe(
      'MNQ long 1 open outside the trading session: flatten, locked until 2026-01-06 17:00 America/Chicago',
    );
  });

  it('when a fill comes between the flat deadline and the close then it counts as outside', () => {
    const s = setup(ct('2026-01-06', '15:09'));
    s.account.open('MNQ');
    expect(s.onFill()[0]?.reason).toBe(
      'MNQ long 1 open outside the trading session (flat deadline 2026-01-06 15:08 America/Chicago): flatten, locked until 2026-01-06 17:00 America/Chicago',
    );
  });

  it('when the Friday deadline comes then the lockout lasts until Sunday 17:00', () => {
    const s = setup(ct('2026-01-09', '10:00'));
    s.account.open('MNQ');
    s.onFill();
    expect(s.fire()[0]?.lockout?.end).toEqual({ kind: 'at', at: ct('2026-01-11', '17:00') });
  });

  it('when the Friday before the spring DST change closes then the lockout ends Sunday 17:00 CDT (22:00Z)', () => {
    const s = setup(ct('2026-03-06', '10:00'));
    s.account.open('MNQ');
    s.onFill();
    expect(s.ctx.timers.get('flat')?.at).toBe(Date.parse('2026-03-06T21:08:00Z'));
    expect(s.fire()[0]?.lockout?.end).toEqual({ kind: 'at', at: Date.parse('2026-03-08T22:00:00Z') });
  });

  it('when the Friday before the autumn DST change closes then the lockout ends Sunday 17:00 CST (23:00Z)', () => {
    const s = setup(ct('2026-10-30', '10:00'));
    s.account.open('MNQ');
    s.onFill();
    expect(s.ctx.timers.get('flat')?.at).toBe(Date.parse('2026-10-30T20:08:00Z'));
    expect(s.fire()[0]?.lockout?.end).toEqual({ kind: 'at', at: Date.parse('2026-11-01T23:00:00Z') });
  });

  it('when a holiday has an early close (MLK 2026, flat 11:45) then it flattens at 11:43 and locks until 17:00', () => {
    const s = setup(ct('2026-01-19', '09:00'));
    s.account.open('MNQ');
    s.onFill();
    expect(s.ctx.timers.get('flat')?.at).toBe(ct('2026-01-19', '11:43'));
    expect(s.fire()[0]?.lockout?.end).toEqual({ kind: 'at', at: ct('2026-01-19', '17:00') });
  });

  it('when Christmas Eve closes early before a closed Christmas then the lockout lasts until Sunday 12-27 17:00', () => {
    const s = setup(ct('2026-12-24', '09:00'));
    s.account.open('MNQ');
    s.onFill();
    expect(s.ctx.timers.get('flat')?.at).toBe(ct('2026-12-24', '11:58'));
    expect(s.fire()[0]?.lockout?.end).toEqual({ kind: 'at', at: ct('2026-12-27', '17:00') });
  });

  it('when a reset event comes then the timer for the new day is armed', () => {
    const s = setup(ct('2026-01-06', '17:00'));
    s.evaluator.evaluate(resetEvent(ct('2026-01-06', '17:00')), s.ctx);
    expect(s.ctx.timers.get('flat')?.at).toBe(ct('2026-01-07', '15:08'));
  });
});

describe('trading-session (own sessions)', () => {
  it('when sessions are RTH only then it flattens at 14:58 and locks until 08:30 the next day', () => {
    const s = setup(ct('2026-01-06', '10:00'), { sessions: WEEKDAYS_RTH });
    s.account.open('MNQ');
    s.onFill();
    expect(s.ctx.timers.get('flat')?.at).toBe(ct('2026-01-06', '14:58'));
    expect(s.fire()[0]?.lockout?.end).toEqual({ kind: 'at', at: ct('2026-01-07', '08:30') });
  });

  it('when a fill comes before the RTH window although the market is open then it is outside', () => {
    const s = setup(ct('2026-01-06', '07:00'), { sessions: WEEKDAYS_RTH });
    s.account.open('MNQ');
    expect(s.onFill()[0]?.lockout?.end).toEqual({ kind: 'at', at: ct('2026-01-06', '08:30') });
  });

  it('when own sessions include a holiday the calendar closes then the calendar still wins (MLK early close)', () => {
    const s = setup(ct('2026-01-19', '09:00'), { sessions: WEEKDAYS_RTH });
    s.account.open('MNQ');
    s.onFill();
    expect(s.ctx.timers.get('flat')?.at).toBe(ct('2026-01-19', '11:43'));
  });

  it('when a symbol has RTH-only sessions then outside them that symbol alone is closed and locked', () => {
    const s = setup(ct('2026-01-06', '07:00'), { perSymbol: { ES: WEEKDAYS_RTH } });
    s.account.open('ES', { size: 2 });
    s.account.open('MNQ');
    expect(s.onFill()).toEqual([
      {
        action: 'close-position',
        contractId: CONTRACTS.ES.id,
        lockout: {
          scope: { kind: 'symbol', symbol: 'ES' },
          end: { kind: 'at', at: ct('2026-01-06', '08:30') },
        },
        code: TRADING_SESSION_CODES.symbolOutside,
        reason:
          'ES open outside its trading session: closing ESH6 long 2, ES locked until 2026-01-06 08:30 America/Chicago',
        data: expect.any(Object),
      },
    ]);
    expect(s.ctx.timers.get('flat:ES')?.at).toBe(ct('2026-01-06', '14:58'));
  });

  it('when the symbol deadline comes then its orders are cancelled too', () => {
    const s = setup(ct('2026-01-06', '10:00'), { perSymbol: { ES: WEEKDAYS_RTH } });
    const order = s.account.order('ES', 'buy', 1);
    s.onFill();
    expect(s.fire('flat:ES')).toEqual([
      expect.objectContaining({
        action: 'cancel-orders',
        contractId: CONTRACTS.ES.id,
        orderIds: [order.id],
        code: TRADING_SESSION_CODES.symbolClosing,
      }),
    ]);
  });

  it('when a per-symbol entry has no window then create() refuses it', () => {
    expect(() => build(tradingSessionRule, { perSymbol: { ES: {} } })).toThrow(RuleOptionsError);
  });

  it('when sessions narrow then the change is tighter; widening or a shorter flat lead is looser', () => {
    const base = opts(tradingSessionRule, {});
    expect(tradingSessionRule.compare?.(base, { ...base, sessions: WEEKDAYS_RTH })).toBe('tighter');
    expect(tradingSessionRule.compare?.({ ...base, sessions: WEEKDAYS_RTH }, base)).toBe('looser');
    expect(tradingSessionRule.compare?.(base, { ...base, flatBeforeCloseSeconds: 60 })).toBe('looser');
    expect(tradingSessionRule.compare?.(base, { ...base, perSymbol: { ES: WEEKDAYS_RTH } })).toBe('tighter');
  });
});
