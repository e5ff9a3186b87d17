import { describe, expect, it } from 'vitest';
import { MAX_CONTRACTS_PER_SYMBOL_CODES, maxContractsPerSymbolRule } from '../src/index.js';
import { build, CONTRACTS, ct, FakeAccount, FakeContext, fillEvent, opts } from './context.fake.js';

const NOW = ct('2026-01-06', '10:00');
const T = (min: number) => ct('2026-01-06', `09:${String(min).padStart(2, '0')}`);

function setup(options: Record<string, unknown> = {}, warnAt?: number) {
  const account = new FakeAccount(1, NOW);
  const ctx = new FakeContext(account, NOW, 'max-contracts-per-symbol', warnAt);
  const evaluator = build(maxContractsPerSymbolRule, { limits: { MNQ: 4, ES: 1 }, ...options });
  return { account, ctx, run: () => evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 1, NOW), ctx) };
}

describe('max-contracts-per-symbol', () => {
  it('when a symbol is exactly at its limit then it allows, and unlisted symbols are unlimited by default', () => {
    const s = setup();
    s.account.open('MNQ', { size: 4 });
    s.account.open('NQ', { size: 30 });
    expect(s.run()).toEqual([]);
  });

  it('when a symbol is over its limit then only that symbol is reduced', () => {
    const s = setup();
    s.account.open('MNQ', { size: 6 });
    s.account.open('ES', { size: 1 });
    expect(s.run()).toEqual([
      {
        action: 'reduce-position',
        contractId: CONTRACTS.MNQ.id,
        reduceTo: 4,
        code: MAX_CONTRACTS_PER_SYMBOL_CODES.positions,
        reason: 'MNQ open size 6 over limit 4: reducing MNQH6 long 6 to 4',
        data: expect.any(Object),
      },
    ]);
  });

  it('when a symbol is held in two contract months then the sizes add up and the newest month goes first', () => {
    const s = setup();
    s.account.open('ES', { size: 1, lastIncreaseAt: T(0) });
    s.account.open('ESM', { size: 1, side: 'short', lastIncreaseAt: T(4) });
    const [d, ...rest] = s.run();
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ action: 'close-position', contractId: CONTRACTS.ESM.id });
    expect(d?.reason).toBe('ES open size 2 over limit 1: closing ESM6 short 1');
  });

  it('when action is close then the whole symbol is closed', () => {
    const s = setup({ action: 'close' });
    s.account.open('MNQ', { size: 5 });
    expect(s.run().map((d) => d.action)).toEqual(['close-position']);
  });

  it('when defaultLimit is set then it covers symbols not listed', () => {
    const s = setup({ defaultLimit: 2 });
    s.account.open('NQ', { size: 3 });
    expect(s.run()[0]?.reason).toBe('NQ open size 3 over limit 2: reducing NQH6 long 3 to 2');
  });

  it('when unknownSymbol is block then an unlisted symbol is closed and its entry orders cancelled', () => {
    const s = setup({ unknownSymbol: 'block' });
    s.account.open('CL', { size: 1 });
    const order = s.account.order('NQ', 'buy', 1);
    expect(s.run().map((d) => [d.action, d.code, d.reason])).toEqual([
      [
        'close-position',
        MAX_CONTRACTS_PER_SYMBOL_CODES.unknown,
        'CL is not listed and unknown symbols are blocked: closing CLH6 long 1',
      ],
      [
        'cancel-orders',
        MAX_CONTRACTS_PER_SYMBOL_CODES.unknown,
        `NQ is not listed and unknown symbols are blocked: cancelling order ${order.id} (buy 1)`,
      ],
    ]);
  });

  it('when the contract record of a position is not known yet then unknown-symbol blocking leaves it alone until it is', () => {
    const s = setup({ unknownSymbol: 'block' });
    s.account.openUnknown('CON.F.US.MNQ.Z26', { size: 1 });
    expect(s.run()).toEqual([]);
  });

  it('when working entry orders would take a symbol over its limit then they are cancelled newest first', () => {
    const s = setup();
    s.account.open('MNQ', { size: 3 });
    const a = s.account.order('MNQ', 'buy', 1, { createdAt: T(1) });
    const b = s.account.order('MNQ', 'buy', 1, { createdAt: T(2) });
    s.account.order('MNQ', 'sell', 3, { type: 4 });
    const decisions = s.run();
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      action: 'cancel-orders',
      orderIds: [b.id],
      code: MAX_CONTRACTS_PER_SYMBOL_CODES.orders,
    });
    expect(decisions[0]?.reason).toBe(
      `working entry orders could take MNQ to 5 over limit 4: cancelling order ${b.id} (buy 1)`,
    );
    expect(decisions[0]?.orderIds).not.toContain(a.id);
  });

  it('when warnAt 0.75 and MNQ reaches 3 of 4 then it warns once', () => {
    const s = setup({}, 0.75);
    s.account.open('MNQ', { size: 3 });
    expect(s.run()[0]?.reason).toBe('MNQ open size 3 reached 75% of limit 4');
    expect(s.run()).toEqual([]);
  });

  it('when limits change then compare looks at every symbol and at unlisted ones', () => {
    const base = opts(maxContractsPerSymbolRule, { limits: { MNQ: 4 } });
    expect(maxContractsPerSymbolRule.compare?.(base, { ...base, limits: { MNQ: 3 } })).toBe('tighter');
    expect(maxContractsPerSymbolRule.compare?.(base, { ...base, limits: {} })).toBe('looser');
    expect(maxContractsPerSymbolRule.compare?.(base, { ...base, defaultLimit: 10 })).toBe('tighter');
    expect(maxContractsPerSymbolRule.compare?.(base, { ...base, unknownSymbol: 'block' })).toBe('tighter');
    expect(maxContractsPerSymbolRule.compare?.({ ...base, unknownSymbol: 'block' }, base)).toBe('looser');
  });
});
