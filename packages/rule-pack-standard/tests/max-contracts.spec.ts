import { describe, expect, it } from 'vitest';
import { MAX_CONTRACTS_CODES, maxContractsRule, TOPSTEP_MICRO_SYMBOLS } from '../src/index.js';
import { build, CONTRACTS, ct, FakeAccount, FakeContext, fillEvent, opts } from './context.fake.js';

const NOW = ct('2026-01-06', '10:00');
const T = (min: number) => ct('2026-01-06', `09:${String(min).padStart(2, '0')}`);
const MICROS = Object.fromEntries(TOPSTEP_MICRO_SYMBOLS.map((s) => [s, 0.1]));

function setup(options: Record<string, unknown> = {}, warnAt?: number) {
  const account = new FakeAccount(1, NOW);
  const ctx = new FakeContext(account, NOW, 'max-contracts', warnAt);
  const evaluator = build(maxContractsRule, { limit: 5, weights: MICROS, ...options });
  return { account, ctx, run: () => evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 1, NOW), ctx) };
}

describe('max-contracts', () => {
  it('when 50 micros weighted 0.1 are open (exactly the limit 5) then it allows', () => {
    const s = setup();
    s.account.open('MNQ', { size: 50 });
    expect(s.run()).toEqual([]);
  });

  it('when a 51st micro fills then that micro position is reduced by one', () => {
    const s = setup();
    s.account.open('MNQ', { size: 51 });
    expect(s.run()).toEqual([
      {
        action: 'reduce-position',
        contractId: CONTRACTS.MNQ.id,
        reduceTo: 50,
        code: MAX_CONTRACTS_CODES.positions,
        reason: 'weighted open contracts 5.1 (gross) over limit 5: reducing MNQ long 51 to 50',
        data: expect.any(Object),
      },
    ]);
  });

  it('when over the limit then the most recently increased position is reduced first (LIFO)', () => {
    const s = setup();
    s.account.open('ES', { size: 3, lastIncreaseAt: T(0) });
    s.account.open('NQ', { size: 3, side: 'short', lastIncreaseAt: T(5) });
    const [d, ...rest] = s.run();
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ action: 'reduce-position', contractId: CONTRACTS.NQ.id, reduceTo: 2 });
    expect(d?.reason).toBe('weighted open contracts 6 (gross) over limit 5: reducing NQ short 3 to 2');
  });

  it('when the excess is larger than the newest position then it is closed and the next newest reduced', () => {
    const s = setup({ limit: 3 });
    s.account.open('ES', { size: 4, lastIncreaseAt: T(0) });
    s.account.open('NQ', { size: 1, lastIncreaseAt: T(9) });
    const decisions = s.run();
    expect(decisions.map((d) => [d.action, d.contractId, d.reduceTo])).toEqual([
      ['close-position', CONTRACTS.NQ.id, undefined],
      ['reduce-position', CONTRACTS.ES.id, 3],
    ]);
    expect(decisions[0]?.reason).toBe('weighted open contracts 5 (gross) over limit 3: closing NQ long 1');
  });

  it('when a mini is the newest and the excess is a micro weight then ceil(excess / weight) closes one whole mini', () => {
    const s = setup();
    s.account.open('MNQ', { size: 1, lastIncreaseAt: T(0) });
    s.account.open('ES', { size: 5, lastIncreaseAt: T(3) });
    expect(s.run().map((d) => [d.contractId, d.reduceTo])).toEqual([[CONTRACTS.ES.id, 4]]);
  });

  it('when micros are the newest then ceil(excess / 0.1) micros go: 6.2 over 5 closes 12 micros', () => {
    const s = setup();
    s.account.open('ES', { size: 5, lastIncreaseAt: T(0) });
    s.account.open('MNQ', { size: 12, lastIncreaseAt: T(3) });
    const [d] = s.run();
    expect(d).toMatchObject({ action: 'close-position', contractId: CONTRACTS.MNQ.id });
    expect(d?.reason).toBe('weighted open contracts 6.2 (gross) over limit 5: closing MNQ long 12');
  });

  it('when counting net then opposite positions offset and only the dominant side is reduced', () => {
    const s = setup({ count: 'net' });
    s.account.open('ES', { size: 4, lastIncreaseAt: T(0) });
    s.account.open('NQ', { size: 3, side: 'short', lastIncreaseAt: T(5) });
    expect(s.run()).toEqual([]);
    s.account.open('MES', { size: 1, lastIncreaseAt: T(7) });
    s.account.open('NQ', { size: 3, side: 'long', lastIncreaseAt: T(8) });
    // Net 7.1 over 5: the newest (NQ 3) goes whole, ceil(2.1 / 1) = 3.
    const decisions = s.run();
    expect(decisions.map((d) => [d.action, d.contractId])).toEqual([['close-position', CONTRACTS.NQ.id]]);
    expect(decisions[0]?.reason).toBe('weighted open contracts 7.1 (net) over limit 5: closing NQ long 3');
  });

  it('when counting net and the newest position is on the minority side then the dominant side is reduced', () => {
    const s = setup({ count: 'net' });
    s.account.open('ES', { size: 7, lastIncreaseAt: T(0) });
    s.account.open('MES', { size: 2, side: 'short', lastIncreaseAt: T(9) });
    expect(s.run().map((d) => [d.contractId, d.reduceTo])).toEqual([[CONTRACTS.ES.id, 5]]);
  });

  it('when a flip from long to short leaves the short over the limit then the short is reduced', () => {
    const s = setup();
    s.account.open('ES', { size: 7, side: 'short', lastIncreaseAt: NOW, epoch: 2 });
    expect(s.run()[0]).toMatchObject({ action: 'reduce-position', contractId: CONTRACTS.ES.id, reduceTo: 5 });
  });

  it('when the contract record of a position is not known yet then it waits for it (weights are by symbol)', () => {
    const s = setup();
    s.account.openUnknown('CON.F.US.MNQ.Z26', { size: 55 });
    expect(s.run()).toEqual([]);
    expect(maxContractsRule.events).toContain('contract');
  });

  it('when action is close-all then the account is flattened', () => {
    const s = setup({ action: 'close-all' });
    s.account.open('ES', { size: 6 });
    expect(s.run()).toEqual([
      {
        action: 'flatten',
        code: MAX_CONTRACTS_CODES.positions,
        reason: 'weighted open contracts 6 (gross) over limit 5: closing all positions',
        data: expect.any(Object),
      },
    ]);
  });

  it('when working entry orders could take the account over then they are cancelled newest first until within', () => {
    const s = setup();
    s.account.open('ES', { size: 2 });
    const older = s.account.order('ES', 'buy', 2, { createdAt: T(1) });
    const newer = s.account.order('NQ', 'buy', 2, { createdAt: T(2) });
    const decisions = s.run();
    expect(decisions).toEqual([
      {
        action: 'cancel-orders',
        contractId: CONTRACTS.NQ.id,
        orderIds: [newer.id],
        code: MAX_CONTRACTS_CODES.orders,
        reason: `working entry orders could take weighted contracts to 6 (gross) over limit 5: cancelling order ${newer.id} (NQ buy 2)`,
        data: expect.any(Object),
      },
    ]);
    expect(decisions.flatMap((d) => d.orderIds ?? [])).not.toContain(older.id);
  });

  it('when an order is protective (opposite side, not above the position) then it is never cancelled', () => {
    const s = setup();
    s.account.open('ES', { size: 5 });
    s.account.order('ES', 'sell', 5, { type: 4 });
    expect(s.run()).toEqual([]);
    const flip = s.account.order('ES', 'sell', 8);
    expect(s.run().map((d) => d.orderIds)).toEqual([[flip.id]]);
  });

  it('when the closing order of a reduction is working then it is not taken for an entry order', () => {
    const s = setup();
    s.account.open('ES', { size: 6 });
    s.account.order('ES', 'sell', 1, { type: 2 });
    expect(s.run().map((d) => d.action)).toEqual(['reduce-position']);
  });

  it('when countWorkingOrders is false then working orders are ignored', () => {
    const s = setup({ countWorkingOrders: false });
    s.account.order('ES', 'buy', 9);
    expect(s.run()).toEqual([]);
  });

  it('when warnAt 0.8 and 4 of 5 are open then it warns once', () => {
    const s = setup({}, 0.8);
    s.account.open('ES', { size: 4 });
    expect(s.run()[0]?.reason).toBe('weighted open contracts 4 (gross) reached 80% of limit 5');
    expect(s.run()).toEqual([]);
  });

  it('when options change then compare orders them by protection', () => {
    const base = opts(maxContractsRule, { limit: 5 });
    expect(maxContractsRule.compare?.(base, { ...base, limit: 4 })).toBe('tighter');
    expect(maxContractsRule.compare?.(base, { ...base, limit: 6 })).toBe('looser');
    expect(maxContractsRule.compare?.(base, { ...base, count: 'net' })).toBe('looser');
    expect(maxContractsRule.compare?.(base, { ...base, weights: { MNQ: 0.1 } })).toBe('looser');
    expect(maxContractsRule.compare?.({ ...base, weights: { MNQ: 0.1 } }, base)).toBe('tighter');
    expect(maxContractsRule.compare?.(base, { ...base, action: 'close-all' })).toBe('tighter');
    expect(maxContractsRule.compare?.(base, { ...base })).toBe('same');
  });
});
