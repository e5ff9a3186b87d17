import { describe, expect, it } from 'vitest';
import {
  BROKER_TRADING_DISABLED_CODES,
  brokerTradingDisabledRule,
  CROSS_ACCOUNT_HEDGE_CODES,
  noCrossAccountHedgeRule,
  STALE_MARKET_DATA_CODES,
  staleMarketDataRule,
} from '../src/index.js';
import {
  accountEvent,
  build,
  CONTRACTS,
  ct,
  FakeAccount,
  FakeContext,
  fillEvent,
  quoteEvent,
  timerEvent,
} from './context.fake.js';

const NOW = ct('2026-01-06', '10:00');

describe('no-cross-account-hedge', () => {
  const setup = () => {
    const a = new FakeAccount(1, NOW, 'TS-50K-1');
    const b = new FakeAccount(2, NOW, 'TS-50K-2');
    const ctx = new FakeContext(b, NOW, 'no-cross-account-hedge');
    ctx.addAccount(a);
    const evaluator = build(noCrossAccountHedgeRule);
    return { a, b, ctx, run: () => evaluator.evaluate(fillEvent(2, 'MNQ', 'sell', 1, NOW), ctx) };
  };

  it('when two accounts hold the same symbol on the same side then it allows', () => {
    const s = setup();
    s.a.open('MNQ');
    s.b.open('MNQM');
    expect(s.run()).toEqual([]);
  });

  it('when accounts hold opposite sides of one symbol (other contract months too) then the newer is closed', () => {
    const s = setup();
    s.a.open('MNQ', { side: 'long', openedAt: ct('2026-01-06', '09:00') });
    s.b.open('MNQM', { side: 'short', size: 2, openedAt: ct('2026-01-06', '09:30') });
    expect(s.run()).toEqual([
      {
        action: 'close-position',
        accountId: 2,
        contractId: CONTRACTS.MNQM.id,
        code: CROSS_ACCOUNT_HEDGE_CODES.hedge,
        reason:
          'MNQ short 2 on account TS-50K-2 (2) (opened 2026-01-06 09:30 America/Chicago) hedges MNQ long 1 on account TS-50K-1 (1) (opened 2026-01-06 09:00 America/Chicago): closing the newer',
        data: expect.any(Object),
      },
    ]);
  });

  it('when the other account holds the newer position then the decision targets that account', () => {
    const s = setup();
    s.a.open('MNQ', { side: 'long', openedAt: ct('2026-01-06', '09:45') });
    s.b.open('MNQ', { side: 'short', openedAt: ct('2026-01-06', '09:30') });
    expect(s.run().map((d) => [d.accountId, d.contractId])).toEqual([[1, CONTRACTS.MNQ.id]]);
  });

  it('when both opened at the same instant then the higher account id is closed (deterministic)', () => {
    const s = setup();
    s.a.open('MNQ', { side: 'long', openedAt: NOW });
    s.b.open('MNQ', { side: 'short', openedAt: NOW });
    expect(s.run().map((d) => d.accountId)).toEqual([2]);
  });
});

describe('broker-trading-disabled', () => {
  it('when canTrade is true then it allows', () => {
    const account = new FakeAccount(1, NOW);
    const ctx = new FakeContext(account, NOW);
    expect(build(brokerTradingDisabledRule).evaluate(accountEvent(account, NOW), ctx)).toEqual([]);
  });

  it('when the broker reports canTrade false then it flattens, alerts critical and locks until canTrade', () => {
    const account = new FakeAccount(7, NOW, 'TS-50K-7').setCanTrade(false);
    account.open('ES');
    const ctx = new FakeContext(account, NOW);
    const evaluator = build(brokerTradingDisabledRule);
    expect(evaluator.evaluate(accountEvent(account, NOW), ctx)).toEqual([
      {
        action: 'flatten',
        lockout: { scope: { kind: 'account' }, end: { kind: 'condition', condition: 'can-trade' } },
        code: BROKER_TRADING_DISABLED_CODES.disabled,
        reason:
          'the broker reports canTrade false for account TS-50K-7 (7): flatten what can still be closed, locked until trading is allowed again',
        severity: 'critical',
        data: expect.any(Object),
      },
    ]);
    account.close('ES');
    account.lock({ kind: 'account' }, { kind: 'condition', condition: 'can-trade' });
    expect(evaluator.evaluate(accountEvent(account, NOW), ctx)).toEqual([]);
  });
});

describe('stale-market-data', () => {
  const setup = (action: 'alert' | 'flatten' = 'alert', at = NOW) => {
    const account = new FakeAccount(1, at);
    const ctx = new FakeContext(account, at, 'stale-market-data');
    const evaluator = build(staleMarketDataRule, { maxQuoteAgeSeconds: 15, action });
    const fire = () => {
      const event = timerEvent(ctx, 'check');
      ctx.now = (event as { dueAt: number }).dueAt;
      return evaluator.evaluate(event, ctx);
    };
    return { account, ctx, evaluator, fire };
  };

  it('when quotes keep coming then the check finds nothing and re-arms', () => {
    const s = setup();
    s.account.open('MNQ', { lastQuoteAt: NOW });
    expect(s.evaluator.evaluate(quoteEvent('MNQ', NOW), s.ctx)).toEqual([]);
    expect(s.ctx.timers.get('check')?.at).toBe(NOW + 15_000);
    s.account.open('MNQ', { lastQuoteAt: NOW + 14_000 });
    expect(s.fire()).toEqual([]);
    expect(s.ctx.timers.get('check')?.at).toBe(NOW + 29_000);
  });

  it('when the market is open and a held contract had no quote for 15s then it alerts once per stale spell', () => {
    const s = setup();
    s.account.open('MNQ', { lastQuoteAt: NOW });
    s.evaluator.evaluate(quoteEvent('MNQ', NOW), s.ctx);
    expect(s.fire()).toEqual([
      {
        action: 'alert',
        code: STALE_MARKET_DATA_CODES.stale,
        reason:
          'no quote MNQH6 for 15s (last quote 2026-01-06 10:00 America/Chicago) while the market is open (limit 15s)',
        severity: 'warning',
        data: { contracts: [CONTRACTS.MNQ.id], maxQuoteAgeSeconds: 15 },
      },
    ]);
    expect(s.fire()).toEqual([]);
  });

  it('when action is flatten then the account is flattened (fail-safe)', () => {
    const s = setup('flatten');
    s.account.open('MNQ', { lastQuoteAt: null, openedAt: NOW });
    s.evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 1, NOW), s.ctx);
    expect(s.fire()[0]).toMatchObject({
      action: 'flatten',
      code: STALE_MARKET_DATA_CODES.flatten,
      reason:
        'no quote MNQH6 for 15s (last quote never) while the market is open (limit 15s): flatten (fail-safe)',
    });
  });

  it('when the market is closed then silence is not stale; the age counts from the session start', () => {
    const s = setup('alert', ct('2026-01-06', '16:00'));
    s.account.open('MNQ', { lastQuoteAt: ct('2026-01-06', '15:05') });
    expect(s.evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 1, s.ctx.now), s.ctx)).toEqual([]);
    expect(s.ctx.timers.get('check')?.at).toBe(ct('2026-01-06', '17:00') + 15_000);
    expect(s.fire()[0]?.reason).toBe(
      'no quote MNQH6 for 15s (last quote 2026-01-06 15:05 America/Chicago) while the market is open (limit 15s)',
    );
  });

  it('when the account goes flat then the check timer is dropped', () => {
    const s = setup();
    s.account.open('MNQ');
    s.evaluator.evaluate(quoteEvent('MNQ', NOW), s.ctx);
    s.account.close('MNQ');
    s.evaluator.evaluate(fillEvent(1, 'MNQ', 'sell', 1, NOW), s.ctx);
    expect(s.ctx.timers.get('check')).toBeUndefined();
  });
});
