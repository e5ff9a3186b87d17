import { describe, expect, it } from 'vitest';
import { addLockoutHold, primaryHold } from '../domain/lockout.js';
import { OrderStatus, OrderType } from '../domain/types.js';
import { FAKE_CONTRACTS } from '../testing/fake-contracts.js';
import {
  LOCKOUT_ENTRY_CANCELLED,
  LOCKOUT_FILL_CLOSED,
  lockoutGuard,
  lockoutInForce,
  lockoutsClearedBy,
  type LockoutGuardInput,
  type StartingLockout,
} from './lockout-guard.js';
import type { RiskStateUpdate } from './risk-inputs.js';
import { type FakeAccountView, FakeRiskState, PLAIN_UPDATE, testEvents } from './risk-state.fake.js';

const MNQ = FAKE_CONTRACTS.MNQ;
const NQ = FAKE_CONTRACTS.NQ;
const T_LOCK = Date.UTC(2026, 0, 6, 15, 0);
const NOW = T_LOCK + 10 * 60_000;
const RESET = Date.UTC(2026, 0, 6, 23, 0);

function setup(): { state: FakeRiskState; account: FakeAccountView } {
  const state = new FakeRiskState();
  return { state, account: state.addAccount(1, 'ACC-1') };
}

function guard(
  state: FakeRiskState,
  account: FakeAccountView,
  event: LockoutGuardInput['event'],
  update: RiskStateUpdate = PLAIN_UPDATE,
  starting: StartingLockout[] = [],
) {
  return lockoutGuard({
    event,
    now: NOW,
    account,
    update,
    starting,
    memory: state.ruleState(1, '@lockout-guard'),
  });
}

function entryFill(
  contractId: string,
  orderId: number,
  size: number,
  before: number,
  after: number,
): RiskStateUpdate {
  return {
    duplicate: false,
    positionChanges: [
      {
        accountId: 1,
        contractId,
        before,
        after,
        flipped: before !== 0 && Math.sign(before) !== Math.sign(after),
      },
    ],
    entryFill: { accountId: 1, orderId, contractId, size },
  };
}

describe('lockoutGuard: working orders', () => {
  it('when no lockout is in force or starting then it decides nothing', () => {
    const { state, account } = setup();
    const order = account.addOrder(MNQ, 11, 'buy', 1);
    expect(guard(state, account, testEvents.order(order, NOW))).toEqual([]);
  });

  it('when an entry order arrives during an account lockout then it is cancelled with the lockout named', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK, 'DAILY_LOSS_LIMIT');
    const order = account.addOrder(MNQ, 11, 'buy', 2);
    expect(guard(state, account, testEvents.order(order, NOW))).toEqual([
      {
        action: 'cancel-orders',
        contractId: MNQ.id,
        orderIds: [11],
        code: LOCKOUT_ENTRY_CANCELLED,
        reason:
          'cancelling MNQZ5 order 11 (buy 2): would open or increase exposure while the account is locked out (DAILY_LOSS_LIMIT)',
        severity: 'warning',
        data: { orderIds: [11], position: 0 },
      },
    ]);
  });

  it('when a position has a protective stop and an entry order then only the entry order is cancelled', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'long', 2);
    account.addOrder(MNQ, 11, 'sell', 2, { type: OrderType.Stop, stopPrice: 95, limitPrice: null });
    const entry = account.addOrder(MNQ, 12, 'buy', 1);
    const [decision] = guard(state, account, testEvents.order(entry, NOW));
    expect(decision?.orderIds).toEqual([12]);
  });

  it('when a bracket stop and target together exceed the position then the target goes and the stop stays', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'long', 2);
    const stop = account.addOrder(MNQ, 11, 'sell', 2, {
      type: OrderType.Stop,
      stopPrice: 95,
      limitPrice: null,
    });
    account.addOrder(MNQ, 10, 'sell', 2, { type: OrderType.Limit, limitPrice: 110 });
    const [decision] = guard(state, account, testEvents.order(stop, NOW));
    expect(decision?.orderIds).toEqual([10]);
  });

  it('when protective orders fit the position then nothing is cancelled (closing orders are never blocked)', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'short', 3);
    account.addOrder(MNQ, 11, 'buy', 1, { type: OrderType.Stop, stopPrice: 105, limitPrice: null });
    const closing = account.addOrder(MNQ, 12, 'buy', 2, { type: OrderType.Market, limitPrice: null });
    expect(guard(state, account, testEvents.order(closing, NOW))).toEqual([]);
  });

  it('when a closing-side order is larger than the position then it is cancelled (it would flip the position)', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'long', 1);
    const order = account.addOrder(MNQ, 11, 'sell', 3, {
      type: OrderType.Stop,
      stopPrice: 95,
      limitPrice: null,
    });
    expect(guard(state, account, testEvents.order(order, NOW))[0]?.orderIds).toEqual([11]);
  });

  it('when a partly filled order remains then only its remaining size counts', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'long', 1);
    const order = account.addOrder(MNQ, 11, 'sell', 3, { fillVolume: 2 });
    expect(guard(state, account, testEvents.order(order, NOW))).toEqual([]);
  });

  it('when a symbol is locked then orders of other symbols are untouched', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'symbol', symbol: 'MNQ' }, { kind: 'at', at: RESET }, T_LOCK);
    const nq = account.addOrder(NQ, 11, 'buy', 1);
    const mnq = account.addOrder(MNQ, 12, 'buy', 1);
    expect(guard(state, account, testEvents.order(nq, NOW))).toEqual([]);
    const [decision] = guard(state, account, testEvents.order(mnq, NOW));
    expect(decision?.orderIds).toEqual([12]);
    expect(decision?.reason).toContain('while MNQ is locked out');
  });

  it('when an order is already pending cancellation then it is not cancelled again', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK);
    const order = account.addOrder(MNQ, 11, 'buy', 1, { status: OrderStatus.PendingCancellation });
    expect(guard(state, account, testEvents.order(order, NOW))).toEqual([]);
  });

  it('when a lockout has already passed its end then it no longer blocks', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: NOW }, T_LOCK);
    const order = account.addOrder(MNQ, 11, 'buy', 1);
    expect(guard(state, account, testEvents.order(order, NOW))).toEqual([]);
  });

  it('when a lockout starts then working entry orders of every contract in its scope are cancelled', () => {
    const { state, account } = setup();
    account.setPosition(NQ, 'short', 1);
    account.addOrder(NQ, 21, 'buy', 1, { type: OrderType.Stop, stopPrice: 105, limitPrice: null });
    account.addOrder(NQ, 22, 'sell', 1);
    account.addOrder(MNQ, 23, 'buy', 4);
    const decisions = guard(state, account, testEvents.quote(NQ.id, NOW), PLAIN_UPDATE, [
      { scope: { kind: 'account' }, ruleId: 'daily-loss-limit', code: 'DAILY_LOSS_LIMIT' },
    ]);
    expect(decisions.map((d) => [d.contractId, d.orderIds, d.code])).toEqual([
      [NQ.id, [22], LOCKOUT_ENTRY_CANCELLED],
      [MNQ.id, [23], LOCKOUT_ENTRY_CANCELLED],
    ]);
  });

  it('when a symbol lockout starts then only that symbol is swept', () => {
    const { state, account } = setup();
    account.addOrder(NQ, 21, 'buy', 1);
    account.addOrder(MNQ, 22, 'buy', 1);
    const decisions = guard(state, account, testEvents.connection(NOW), PLAIN_UPDATE, [
      { scope: { kind: 'symbol', symbol: 'NQ' }, ruleId: 'symbol-block', code: 'SYMBOL_BLOCKED' },
    ]);
    expect(decisions.map((d) => d.orderIds)).toEqual([[21]]);
  });
});

describe('lockoutGuard: fills', () => {
  it('when a fill opens a position during a lockout then the position is closed', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK, 'TRADE_FREQUENCY');
    account.setPosition(MNQ, 'long', 2, { openedAt: NOW, epoch: 3 });
    const decisions = guard(
      state,
      account,
      testEvents.fill(1, MNQ.id, 31, 'buy', 2, NOW),
      entryFill(MNQ.id, 31, 2, 0, 2),
    );
    expect(decisions).toEqual([
      {
        action: 'close-position',
        contractId: MNQ.id,
        code: LOCKOUT_FILL_CLOSED,
        reason:
          'fill of order 31 added 2 MNQZ5 while the account is locked out (TRADE_FREQUENCY): closing the long 2',
        severity: 'warning',
        data: { orderId: 31, fillSize: 2, size: 2, allowed: 0, lockoutId: '1:account' },
      },
    ]);
  });

  it('when a fill adds to a position held from before the lockout then it is reduced back, and stays there', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'long', 3, { openedAt: T_LOCK - 60_000, epoch: 5 });
    const first = guard(
      state,
      account,
      testEvents.fill(1, MNQ.id, 31, 'buy', 1, NOW),
      entryFill(MNQ.id, 31, 1, 2, 3),
    );
    expect(first.map((d) => [d.action, d.reduceTo, d.code])).toEqual([
      ['reduce-position', 2, LOCKOUT_FILL_CLOSED],
    ]);
    expect(first[0]?.reason).toContain('reducing the long 3 to 2 (the size held before the lockout)');
    // A second entry before the reduce went through: still back to 2, not to 3.
    account.setPosition(MNQ, 'long', 4, { openedAt: T_LOCK - 60_000, epoch: 5 });
    const second = guard(
      state,
      account,
      testEvents.fill(1, MNQ.id, 32, 'buy', 1, NOW),
      entryFill(MNQ.id, 32, 1, 3, 4),
    );
    expect(second.map((d) => [d.action, d.reduceTo])).toEqual([['reduce-position', 2]]);
  });

  it('when the position event came before the fill then the fill size is taken back out of the position', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'symbol', symbol: 'MNQ' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'short', 5, { openedAt: T_LOCK - 60_000 });
    const update: RiskStateUpdate = {
      duplicate: false,
      positionChanges: [],
      entryFill: { accountId: 1, orderId: 31, contractId: MNQ.id, size: 2 },
    };
    const decisions = guard(state, account, testEvents.fill(1, MNQ.id, 31, 'sell', 2, NOW), update);
    expect(decisions.map((d) => [d.action, d.reduceTo])).toEqual([['reduce-position', 3]]);
  });

  it('when a fill flips a position during a lockout then the new side is closed', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'short', 3, { openedAt: T_LOCK - 60_000 });
    const decisions = guard(
      state,
      account,
      testEvents.fill(1, MNQ.id, 31, 'sell', 5, NOW),
      entryFill(MNQ.id, 31, 3, 2, -3),
    );
    expect(decisions.map((d) => d.action)).toEqual(['close-position']);
  });

  it('when a fill is in another symbol than the locked one then it stands', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'symbol', symbol: 'NQ' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'long', 1, { openedAt: NOW });
    expect(
      guard(state, account, testEvents.fill(1, MNQ.id, 31, 'buy', 1, NOW), entryFill(MNQ.id, 31, 1, 0, 1)),
    ).toEqual([]);
  });

  it('when a fill closes exposure (no entry) during a lockout then nothing is done', () => {
    const { state, account } = setup();
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T_LOCK);
    account.setPosition(MNQ, 'long', 1, { openedAt: NOW });
    const update: RiskStateUpdate = {
      duplicate: false,
      positionChanges: [{ accountId: 1, contractId: MNQ.id, before: 2, after: 1, flipped: false }],
    };
    expect(guard(state, account, testEvents.fill(1, MNQ.id, 31, 'sell', 1, NOW), update)).toEqual([]);
  });

  it('when the lockout only starts with this event then the triggering fill is left to the rules', () => {
    const { state, account } = setup();
    account.setPosition(MNQ, 'long', 2, { openedAt: NOW });
    const decisions = guard(
      state,
      account,
      testEvents.fill(1, MNQ.id, 31, 'buy', 2, NOW),
      entryFill(MNQ.id, 31, 2, 0, 2),
      [{ scope: { kind: 'account' }, ruleId: 'trade-frequency', code: 'TRADE_FREQUENCY' }],
    );
    expect(decisions).toEqual([]);
  });
});

describe('lockoutGuard: lockouts with several holds', () => {
  it('when a condition lockout joins one until the reset then a fill stamped after the first start is closed, though the condition started later', () => {
    const { state, account } = setup();
    const daily = account.addLockout(
      { kind: 'account' },
      { kind: 'at', at: RESET },
      T_LOCK,
      'DAILY_LOSS_LIMIT',
    );
    const failsafe = {
      ...primaryHold(daily),
      code: 'CONFIG_FAILSAFE',
      startedAt: NOW - 60_000,
      end: { kind: 'condition' as const, condition: 'config-valid' as const },
    };
    const combined = addLockoutHold(daily, failsafe, NOW - 60_000);
    account.lockouts.set(combined.id, combined);
    expect(combined.code).toBe('CONFIG_FAILSAFE');
    account.setPosition(MNQ, 'long', 1, { openedAt: T_LOCK + 60_000, epoch: 2 });
    // A late report of a fill from 09:05, while only the daily loss held.
    const decisions = guard(
      state,
      account,
      testEvents.fill(1, MNQ.id, 31, 'buy', 1, T_LOCK + 5 * 60_000),
      entryFill(MNQ.id, 31, 1, 0, 1),
    );
    expect(decisions.map((d) => [d.action, d.code])).toEqual([['close-position', LOCKOUT_FILL_CLOSED]]);
  });

  it('when the primary end has passed but another hold has not then the lockout is in force', () => {
    const { account } = setup();
    const passed = account.addLockout({ kind: 'account' }, { kind: 'at', at: NOW }, T_LOCK);
    expect(lockoutInForce(passed, NOW)).toBe(false);
    const held = { ...passed, holds: [{ ...primaryHold(passed), end: { kind: 'at' as const, at: RESET } }] };
    expect(lockoutInForce(held, NOW)).toBe(true);
    expect(lockoutInForce(held, RESET)).toBe(false);
    account.lockouts.set(held.id, held);
    const order = account.addOrder(MNQ, 11, 'buy', 1);
    expect(guard(new FakeRiskState(), account, testEvents.order(order, NOW)).map((d) => d.orderIds)).toEqual([
      [11],
    ]);
  });
});

describe('lockoutsClearedBy', () => {
  it('when the broker says canTrade true then the can-trade lockouts of that account clear, nothing else', () => {
    const { account } = setup();
    const other = new FakeRiskState().addAccount(2);
    const canTrade = account.addLockout(
      { kind: 'account' },
      { kind: 'condition', condition: 'can-trade' },
      T_LOCK,
    );
    account.addLockout(
      { kind: 'symbol', symbol: 'MNQ' },
      { kind: 'condition', condition: 'symbol-unblocked' },
      T_LOCK,
    );
    account.addLockout({ kind: 'symbol', symbol: 'NQ' }, { kind: 'at', at: RESET }, T_LOCK);
    const elsewhere = other.addLockout(
      { kind: 'account' },
      { kind: 'condition', condition: 'can-trade' },
      T_LOCK,
    );
    const all = [...account.lockouts.values(), elsewhere];
    expect(lockoutsClearedBy(testEvents.account(1, true, NOW), all)).toEqual([canTrade.id]);
    // A can-trade hold under another primary is found too.
    const underConfig = {
      ...canTrade,
      end: { kind: 'condition' as const, condition: 'config-valid' as const },
      holds: [primaryHold(canTrade)],
    };
    expect(lockoutsClearedBy(testEvents.account(1, true, NOW), [underConfig])).toEqual([canTrade.id]);
    expect(lockoutsClearedBy(testEvents.account(1, false, NOW), all)).toEqual([]);
    expect(lockoutsClearedBy(testEvents.quote(MNQ.id, NOW), all)).toEqual([]);
  });
});
