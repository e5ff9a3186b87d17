import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_UNREALIZED_CODES,
  accountUnrealizedLossRule,
  POSITION_LOSS_CODES,
  POSITION_PROFIT_CODES,
  positionLossLimitRule,
  positionProfitTargetRule,
} from '../src/index.js';
import { build, CONTRACTS, ct, FakeAccount, FakeContext, quoteEvent } from './context.fake.js';

const NOW = ct('2026-01-06', '10:00');

describe('position-loss-limit', () => {
  const setup = (warnAt?: number) => {
    const account = new FakeAccount(1, NOW);
    const ctx = new FakeContext(account, NOW, 'position-loss-limit', warnAt);
    const evaluator = build(positionLossLimitRule, { limit: 150, perSymbol: { ES: 400 } });
    return { account, ctx, run: () => evaluator.evaluate(quoteEvent('MNQ', NOW), ctx) };
  };

  it('when a position loses one cent less than its limit then it allows', () => {
    const s = setup();
    s.account.open('MNQ', { size: 3, unrealized: -149.99 });
    expect(s.run()).toEqual([]);
  });

  it('when one position reaches its loss limit then only that position is closed, no lockout', () => {
    const s = setup();
    s.account.open('MNQ', { size: 3, unrealized: -150 });
    s.account.open('ES', { size: 1, unrealized: -399.99 });
    expect(s.run()).toEqual([
      {
        action: 'close-position',
        contractId: CONTRACTS.MNQ.id,
        code: POSITION_LOSS_CODES.limit,
        reason: 'MNQ long 3 unrealized -150.00 breached position loss limit 150.00',
        data: expect.any(Object),
      },
    ]);
  });

  it('when a symbol has its own limit then that limit applies (short position)', () => {
    const s = setup();
    s.account.open('ES', { side: 'short', size: 2, unrealized: -400 });
    expect(s.run()[0]?.reason).toBe('ES short 2 unrealized -400.00 breached position loss limit 400.00');
  });

  it('when warnAt 0.5 then the first position past half its limit warns once per day', () => {
    const s = setup(0.5);
    s.account.open('MNQ', { unrealized: -80 });
    expect(s.run()[0]).toMatchObject({
      action: 'alert',
      code: POSITION_LOSS_CODES.warning,
      reason: 'MNQ long 1 unrealized -80.00 is within 70.00 of the position loss limit 150.00',
    });
    expect(s.run()).toEqual([]);
  });

  it('when a per-symbol limit is raised then the change is looser even if the default is lowered', () => {
    const base = { limit: 150, perSymbol: { ES: 400 } };
    expect(positionLossLimitRule.compare?.(base, { limit: 100, perSymbol: { ES: 500 } })).toBe('looser');
    expect(positionLossLimitRule.compare?.(base, { limit: 100, perSymbol: { ES: 400 } })).toBe('tighter');
    expect(positionLossLimitRule.compare?.(base, { limit: 150, perSymbol: {} })).toBe('tighter');
  });
});

describe('position-profit-target', () => {
  const setup = () => {
    const account = new FakeAccount(1, NOW);
    const ctx = new FakeContext(account, NOW, 'position-profit-target');
    const evaluator = build(positionProfitTargetRule, { target: 200, perSymbol: { NQ: 500 } });
    return { account, ctx, run: () => evaluator.evaluate(quoteEvent('MNQ', NOW), ctx) };
  };

  it('when a position is one cent short of its target then it allows', () => {
    const s = setup();
    s.account.open('MNQ', { unrealized: 199.99 });
    expect(s.run()).toEqual([]);
  });

  it('when a position reaches its target then it is closed (take profit)', () => {
    const s = setup();
    s.account.open('MNQ', { side: 'short', size: 4, unrealized: 200 });
    s.account.open('NQ', { unrealized: 450 });
    expect(s.run()).toEqual([
      {
        action: 'close-position',
        contractId: CONTRACTS.MNQ.id,
        code: POSITION_PROFIT_CODES.target,
        reason: 'MNQ short 4 unrealized 200.00 reached position profit target 200.00',
        data: expect.any(Object),
      },
    ]);
  });

  it('when the target is raised then the change is looser', () => {
    expect(
      positionProfitTargetRule.compare?.({ target: 200, perSymbol: {} }, { target: 300, perSymbol: {} }),
    ).toBe('looser');
  });
});

describe('account-unrealized-loss', () => {
  const setup = (warnAt?: number) => {
    const account = new FakeAccount(1, NOW);
    const ctx = new FakeContext(account, NOW, 'account-unrealized-loss', warnAt);
    const evaluator = build(accountUnrealizedLossRule, { limit: 300 });
    return { account, ctx, run: () => evaluator.evaluate(quoteEvent('MNQ', NOW), ctx) };
  };

  it('when the net unrealized of all positions is above -limit then it allows (a winner offsets a loser)', () => {
    const s = setup();
    s.account.open('MNQ', { unrealized: -400 });
    s.account.open('ES', { unrealized: 150 });
    s.account.setPnl({ realized: -1000, unrealized: -250 });
    expect(s.run()).toEqual([]);
  });

  it('when the net unrealized reaches -limit then it flattens with no lockout', () => {
    const s = setup();
    s.account.open('MNQ', { unrealized: -200 });
    s.account.open('ES', { unrealized: -100 });
    s.account.setPnl({ unrealized: -300 });
    expect(s.run()).toEqual([
      {
        action: 'flatten',
        code: ACCOUNT_UNREALIZED_CODES.limit,
        reason: 'net unrealized P&L -300.00 of 2 position(s) breached account unrealized loss limit 300.00',
        data: expect.any(Object),
      },
    ]);
  });

  it('when warnAt 0.8 then it warns at -240', () => {
    const s = setup(0.8);
    s.account.open('MNQ', { unrealized: -240 });
    s.account.setPnl({ unrealized: -240 });
    expect(s.run()[0]?.reason).toBe(
      'net unrealized P&L -240.00 is within 60.00 of the account unrealized loss limit 300.00',
    );
  });
});
