import { describe, expect, it } from 'vitest';
import { SYMBOL_BLOCK_CODES, symbolBlockRule } from '../src/index.js';
import {
  build,
  CONTRACTS,
  ct,
  FakeAccount,
  FakeContext,
  fillEvent,
  orderEvent,
  quoteEvent,
} from './context.fake.js';

const NOW = ct('2026-01-06', '10:00');
const UNBLOCKED = { kind: 'condition', condition: 'symbol-unblocked' };

function setup(symbols: string[]) {
  const account = new FakeAccount(1, NOW);
  const ctx = new FakeContext(account, NOW, 'symbol-block');
  const evaluator = build(symbolBlockRule, { symbols });
  return { account, ctx, evaluator };
}

describe('symbol-block', () => {
  it('when a symbol is not blocked then it allows', () => {
    const s = setup(['CL', 'M*']);
    s.account.open('ES');
    expect(s.evaluator.evaluate(fillEvent(1, 'ES', 'buy', 1, NOW), s.ctx)).toEqual([]);
  });

  it('when a fill opens a blocked symbol (wildcard M*) then it is closed and the symbol locked until unblocked', () => {
    const s = setup(['CL', 'M*']);
    s.account.open('MNQ', { size: 2 });
    s.account.open('ES');
    expect(s.evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 2, NOW), s.ctx)).toEqual([
      {
        action: 'close-position',
        contractId: CONTRACTS.MNQ.id,
        lockout: { scope: { kind: 'symbol', symbol: 'MNQ' }, end: UNBLOCKED },
        code: SYMBOL_BLOCK_CODES.blocked,
        reason: 'MNQ is blocked (M*): closing MNQH6 long 2, MNQ locked until unblocked',
        data: { symbol: 'MNQ', pattern: 'M*' },
      },
    ]);
  });

  it('when an order is placed in a blocked symbol then it is cancelled and the symbol locked', () => {
    const s = setup(['CL']);
    const order = s.account.order('CL', 'buy', 1);
    expect(s.evaluator.evaluate(orderEvent(s.account, order, NOW), s.ctx)).toEqual([
      expect.objectContaining({
        action: 'cancel-orders',
        contractId: CONTRACTS.CL.id,
        orderIds: [order.id],
        reason: `CL is blocked (CL): cancelling orders ${order.id}, CL locked until unblocked`,
      }),
    ]);
  });

  it('when the symbol is already locked and nothing is open then it stays silent', () => {
    const s = setup(['CL']);
    s.account.lock({ kind: 'symbol', symbol: 'CL' }, { kind: 'condition', condition: 'symbol-unblocked' });
    expect(s.evaluator.evaluate(fillEvent(1, 'CL', 'sell', 1, NOW), s.ctx)).toEqual([]);
  });

  it('when a fill closed a blocked position and no lockout exists yet then the lockout is still set', () => {
    const s = setup(['CL']);
    expect(s.evaluator.evaluate(fillEvent(1, 'CL', 'sell', 1, NOW), s.ctx)).toEqual([
      expect.objectContaining({
        action: 'none',
        lockout: { scope: { kind: 'symbol', symbol: 'CL' }, end: UNBLOCKED },
      }),
    ]);
  });

  it('when a quote arrives for a held blocked symbol (e.g. after the block was added) then it is closed', () => {
    const s = setup(['ES']);
    s.account.open('ES');
    expect(s.evaluator.evaluate(quoteEvent('ES', NOW), s.ctx)[0]?.action).toBe('close-position');
    expect(s.evaluator.evaluate(quoteEvent('MNQ', NOW), s.ctx)).toEqual([]);
  });

  it('when asked after a config change then a symbol lockout holds only while the symbol is still blocked', () => {
    const s = setup(['CL', 'M*']);
    const lockout = s.account.lock(
      { kind: 'symbol', symbol: 'MNQ' },
      { kind: 'condition', condition: 'symbol-unblocked' },
    );
    expect(build(symbolBlockRule, { symbols: ['CL', 'M*'] }).conditionHolds?.(lockout)).toBe(true);
    expect(build(symbolBlockRule, { symbols: ['CL'] }).conditionHolds?.(lockout)).toBe(false);
  });

  it('when a contract record is not known yet then its stand-in symbol (the id) never matches a pattern', () => {
    const s = setup(['C*']);
    s.account.openUnknown('CON.F.US.CLE.H26');
    expect(
      s.evaluator.evaluate(fillEvent(1, 'CL', 'buy', 1, NOW), s.ctx).filter((d) => d.action !== 'none'),
    ).toEqual([]);
  });

  it('when symbols are removed then the change is looser (it waits for the reset); added, tighter', () => {
    expect(symbolBlockRule.compare?.({ symbols: ['CL', 'NG'] }, { symbols: ['CL'] })).toBe('looser');
    expect(symbolBlockRule.compare?.({ symbols: ['CL'] }, { symbols: ['CL', 'NG'] })).toBe('tighter');
    expect(symbolBlockRule.compare?.({ symbols: ['MNQ'] }, { symbols: ['M*'] })).toBe('tighter');
    expect(symbolBlockRule.compare?.({ symbols: ['M*'] }, { symbols: ['MNQ'] })).toBe('looser');
  });
});
