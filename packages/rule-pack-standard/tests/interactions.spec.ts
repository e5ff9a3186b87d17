import {
  MarketCalendar,
  OrderStatus,
  OrderType,
  type Outcome,
  type RuleEntryConfig,
} from '@riskd/core-engine';
import { afterEach, describe, expect, it } from 'vitest';
import {
  COOLDOWN_AFTER_LOSS_CODES,
  DAILY_LOSS_CODES,
  DAILY_PROFIT_CODES,
  MAX_CONTRACTS_CODES,
  POSITION_LOSS_CODES,
  POSITION_PROFIT_CODES,
  SYMBOL_BLOCK_CODES,
} from '../src/index.js';
import { ES, Harness, MES, MNQ, NQ } from './harness.js';

const calendar = new MarketCalendar();
const TUESDAY = calendar.instantOf('2026-01-06', '10:00');
const QUOTES = { [ES.id]: 6000, [MNQ.id]: 21000, [NQ.id]: 21000, [MES.id]: 6000 };

afterEach(() => {
  expect(Harness.takeErrors()).toEqual([]);
});

/** The merged outcome of one account in a comparable form (no timings). */
function summary(outcome: Outcome | undefined) {
  const account = outcome?.accounts.get(1);
  return {
    flatten: account?.flatten.map((d) => d.code) ?? [],
    contracts: [...(account?.contracts.values() ?? [])].map((c) => ({
      contractId: c.contractId,
      kind: c.kind,
      reduceTo: c.reduceTo,
      cancel: c.cancelOrderIds.length,
      codes: c.decisions.map((d) => d.code),
    })),
    lockouts: account?.lockouts.map((l) => ({ scope: l.scope, end: l.end, code: l.decision.code })) ?? [],
  };
}

describe('rule interactions (one merged, deterministic outcome)', () => {
  it('when position-loss-limit closes a loser then the realized loss trips daily-loss-limit: flatten and lock', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [
        { rule: 'position-loss-limit', options: { limit: 200 } },
        { rule: 'daily-loss-limit', options: { limit: 300, basis: 'realized' } },
      ],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    h.broker.trade(1, ES.id, 'sell', 1, 5997); // realized -150.00 - 2.80
    h.broker.trade(1, MNQ.id, 'buy', 2); // fees 0.74
    h.broker.trade(1, ES.id, 'buy', 1, 6000); // fees 1.40, closing 1.40 more
    await h.advance(10);
    h.quote(ES.id, 5996); // ES unrealized -200.00: closed by position-loss-limit
    await h.advance(10);
    expect([h.net(1, ES.id), h.net(1, MNQ.id)]).toEqual([0, 0]);
    const codes = h.decisions().map((d) => d.code);
    expect(codes.indexOf(POSITION_LOSS_CODES.limit)).toBeLessThan(codes.indexOf(DAILY_LOSS_CODES.limit));
    expect(h.decisionsWith(DAILY_LOSS_CODES.limit)[0]?.reason).toBe(
      'realized P&L -356.34 breached daily loss limit 300.00',
    );
    expect(h.lockout(1)?.code).toBe(DAILY_LOSS_CODES.limit);
  });

  it('when position-profit-target takes a profit then the realized P&L trips daily-profit-target: flatten and lock', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [
        { rule: 'position-profit-target', options: { target: 250 } },
        { rule: 'daily-profit-target', options: { target: 500 } },
      ],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    h.broker.trade(1, ES.id, 'sell', 1, 6006); // +300.00 - 2.80
    h.broker.trade(1, ES.id, 'buy', 1, 6000);
    h.broker.trade(1, NQ.id, 'buy', 1); // fees 1.40
    await h.advance(10);
    h.quote(ES.id, 6005); // +250.00 - 2.80: 297.20 + 247.20 - 1.40 = 543.00
    await h.advance(10);
    expect([h.net(1, ES.id), h.net(1, NQ.id)]).toEqual([0, 0]);
    expect(h.decisionsWith(POSITION_PROFIT_CODES.target)).not.toEqual([]);
    expect(h.decisionsWith(DAILY_PROFIT_CODES.target)[0]?.reason).toBe(
      'realized P&L 543.00 reached daily profit target 500.00',
    );
    expect(h.lockout(1)?.end).toEqual({ kind: 'at', at: calendar.instantOf('2026-01-06', '17:00') });
  });

  it('when a fill arrives during a cooldown then it is closed while the protective stop of another position stays', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'cooldown-after-loss' }],
      quotes: QUOTES,
    });
    h.broker.trade(1, NQ.id, 'buy', 2);
    const stop = h.broker.placeOrder(1, NQ.id, {
      type: OrderType.Stop,
      side: 'sell',
      size: 2,
      stopPrice: 20950,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    h.broker.trade(1, ES.id, 'sell', 1, 5997); // -152.80: cooldown 5m
    await h.advance(10);
    expect(h.lockout(1)?.code).toBe(COOLDOWN_AFTER_LOSS_CODES.cooldown);
    h.broker.trade(1, MNQ.id, 'buy', 3);
    await h.advance(10);
    expect(h.net(1, MNQ.id)).toBe(0);
    expect(h.net(1, NQ.id)).toBe(2);
    expect(h.broker.order(stop.id).status).toBe(OrderStatus.Open);
    expect(h.broker.requestsOf('cancel')).toEqual([]);
  });

  it('when symbol-block and max-contracts fire on the same fill then one close wins over the reduce, with the symbol lockout', async () => {
    const rules: RuleEntryConfig[] = [
      { rule: 'symbol-block', options: { symbols: ['MES'] } },
      { rule: 'max-contracts', options: { limit: 2 } },
    ];
    const h = await Harness.start({ start: TUESDAY, rules, quotes: QUOTES });
    h.broker.trade(1, MES.id, 'buy', 3);
    await h.advance(10);
    expect(h.net(1, MES.id)).toBe(0);
    expect(h.broker.requestsOf('partial-close')).toEqual([]);
    expect(h.broker.requestsOf('close', 1, MES.id)).toHaveLength(1);
    const merged = h.outcomes.find((o) =>
      o.accounts
        .get(1)
        ?.contracts.get(MES.id)
        ?.decisions.some((d) => d.code === MAX_CONTRACTS_CODES.positions),
    );
    expect(summary(merged)).toEqual({
      flatten: [],
      contracts: [
        {
          contractId: MES.id,
          kind: 'close',
          reduceTo: undefined,
          cancel: 0,
          codes: [MAX_CONTRACTS_CODES.positions, SYMBOL_BLOCK_CODES.blocked],
        },
      ],
      lockouts: [
        {
          scope: { kind: 'symbol', symbol: 'MES' },
          end: { kind: 'condition', condition: 'symbol-unblocked' },
          code: SYMBOL_BLOCK_CODES.blocked,
        },
      ],
    });
  });

  it('when the rules are configured in the opposite order then every outcome is the same', async () => {
    const rules: RuleEntryConfig[] = [
      { rule: 'symbol-block', options: { symbols: ['MES'] } },
      { rule: 'max-contracts', options: { limit: 2 } },
      { rule: 'position-loss-limit', options: { limit: 100 } },
      { rule: 'daily-loss-limit', options: { limit: 250 } },
      { rule: 'account-unrealized-loss', options: { limit: 150 } },
    ];
    const run = async (order: RuleEntryConfig[]) => {
      const h = await Harness.start({ start: TUESDAY, rules: order, quotes: QUOTES });
      h.broker.trade(1, MES.id, 'buy', 3);
      h.broker.trade(1, ES.id, 'buy', 2);
      h.broker.trade(1, NQ.id, 'buy', 1);
      await h.advance(10);
      h.quote(ES.id, 5998);
      h.quote(NQ.id, 20990);
      await h.advance(10);
      return h.outcomes.map(summary);
    };
    const forward = await run(rules);
    expect(forward.length).toBeGreaterThan(2);
    expect(await run([...rules].reverse())).toEqual(forward);
  });
});
