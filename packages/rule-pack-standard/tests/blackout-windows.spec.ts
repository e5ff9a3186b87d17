import { describe, expect, it } from 'vitest';
import { BLACKOUT_CODES, blackoutWindowsRule } from '../src/index.js';
import {
  build,
  CONTRACTS,
  ct,
  FakeAccount,
  FakeContext,
  fillEvent,
  opts,
  timerEvent,
} from './context.fake.js';

const CPI = { name: 'CPI', start: '07:25', end: '07:35', date: '2026-01-13' };

function setup(at: number, windows: Record<string, unknown>[]) {
  const account = new FakeAccount(1, at);
  const ctx = new FakeContext(account, at, 'blackout-windows');
  const evaluator = build(blackoutWindowsRule, { windows });
  const onFill = (key: 'MNQ' | 'ES' = 'MNQ', side: 'buy' | 'sell' = 'buy', size = 1) =>
    evaluator.evaluate(fillEvent(1, key, side, size, ctx.now), ctx);
  const fire = (key: string) => {
    const event = timerEvent(ctx, key);
    ctx.now = (event as { dueAt: number }).dueAt;
    return evaluator.evaluate(event, ctx);
  };
  return { account, ctx, evaluator, onFill, fire };
}

describe('blackout-windows', () => {
  it('when outside every window then it allows and arms a timer at the next window start', () => {
    const s = setup(ct('2026-01-13', '07:00'), [CPI]);
    s.account.open('MNQ');
    expect(s.onFill()).toEqual([]);
    expect(s.ctx.timers.get('window:0')?.at).toBe(ct('2026-01-13', '07:25'));
  });

  it('when a flatten window for all symbols starts then the account is flattened and locked to its end', () => {
    const s = setup(ct('2026-01-13', '07:00'), [CPI]);
    s.account.open('MNQ');
    s.onFill();
    expect(s.fire('window:0')).toEqual([
      {
        action: 'flatten',
        lockout: { scope: { kind: 'account' }, end: { kind: 'at', at: ct('2026-01-13', '07:35') } },
        code: BLACKOUT_CODES.flatten,
        reason:
          'CPI blackout 07:25-07:35 on 2026-01-13: flatten the account, locked until 2026-01-13 07:35 America/Chicago',
        data: expect.any(Object),
      },
    ]);
    expect(s.ctx.timers.get('window:0')).toBeUndefined();
  });

  it('when a window lists symbols then only their positions and orders are closed and those symbols locked', () => {
    const s = setup(ct('2026-01-13', '07:30'), [{ ...CPI, symbols: ['ES'] }]);
    s.account.open('ES', { size: 2 });
    s.account.open('MNQ');
    const order = s.account.order('ES', 'sell', 2);
    const decisions = s.onFill('ES');
    expect(decisions.map((d) => [d.action, d.contractId, d.lockout?.scope])).toEqual([
      ['close-position', CONTRACTS.ES.id, { kind: 'symbol', symbol: 'ES' }],
      ['cancel-orders', CONTRACTS.ES.id, { kind: 'symbol', symbol: 'ES' }],
    ]);
    expect(decisions[1]?.orderIds).toEqual([order.id]);
    expect(decisions[0]?.reason).toBe(
      'CPI blackout 07:25-07:35 on 2026-01-13: closing ESH6 long 2, ES locked until 2026-01-13 07:35 America/Chicago',
    );
  });

  it('when a block-entries window starts then it only locks (positions stay)', () => {
    const s = setup(ct('2026-01-13', '07:00'), [{ ...CPI, action: 'block-entries' }]);
    s.account.open('MNQ');
    s.onFill();
    expect(s.fire('window:0')).toEqual([
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'at', at: ct('2026-01-13', '07:35') } },
        code: BLACKOUT_CODES.blockEntries,
        reason:
          'CPI blackout 07:25-07:35 on 2026-01-13: new entries in the account blocked until 2026-01-13 07:35 America/Chicago (open positions stay)',
        data: expect.any(Object),
      },
    ]);
  });

  it('when an entry fill comes inside a block-entries window before its lockout is in force then it is taken back out', () => {
    const s = setup(ct('2026-01-13', '07:30'), [{ ...CPI, action: 'block-entries' }]);
    s.account.open('MNQ', { size: 3 });
    const decisions = s.onFill('MNQ', 'buy', 2);
    expect(decisions[1]).toMatchObject({
      action: 'reduce-position',
      contractId: CONTRACTS.MNQ.id,
      reduceTo: 1,
    });
    s.account.lock({ kind: 'account' }, { kind: 'at', at: ct('2026-01-13', '07:35') });
    expect(s.onFill()).toEqual([]);
  });

  it('when a weekly window crosses midnight then it covers the next morning', () => {
    const s = setup(ct('2026-01-07', '00:30'), [{ start: '23:00', end: '01:00', days: ['tue'] }]);
    s.account.open('MNQ');
    expect(s.onFill()[0]?.lockout?.end).toEqual({ kind: 'at', at: ct('2026-01-07', '01:00') });
    s.ctx.now = ct('2026-01-08', '00:30');
    expect(s.onFill()).toEqual([]);
  });

  it('when a weekly window spans the spring DST change then its end is the local wall-clock time', () => {
    const s = setup(ct('2026-03-08', '01:30'), [{ start: '01:00', end: '04:00', days: ['sun'] }]);
    s.account.open('MNQ');
    expect(s.onFill()[0]?.lockout?.end).toEqual({ kind: 'at', at: Date.parse('2026-03-08T09:00:00Z') });
  });

  it('when windows change then removing or weakening one is looser, adding one tighter', () => {
    const base = opts(blackoutWindowsRule, { windows: [CPI] });
    expect(blackoutWindowsRule.compare?.(base, opts(blackoutWindowsRule, { windows: [] }))).toBe('looser');
    expect(
      blackoutWindowsRule.compare?.(
        base,
        opts(blackoutWindowsRule, { windows: [CPI, { start: '08:25', end: '08:35' }] }),
      ),
    ).toBe('tighter');
    expect(
      blackoutWindowsRule.compare?.(
        base,
        opts(blackoutWindowsRule, { windows: [{ ...CPI, action: 'block-entries' }] }),
      ),
    ).toBe('looser');
    expect(blackoutWindowsRule.compare?.(base, opts(blackoutWindowsRule, { windows: [CPI] }))).toBe('same');
  });
});
