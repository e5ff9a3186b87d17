import {
  OrderStatus,
  OrderType,
  type Account,
  type BrokerPosition,
  type Fill,
  type Order,
} from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { AccountLedger, diffSnapshot, type AccountSnapshot, type StreamTouches } from './account-ledger.js';

const C = 'CON.F.US.MNQ.H26';
const account: Account = {
  id: 7,
  name: 'PRAC-7',
  balance: 50_000_000_000,
  canTrade: true,
  isVisible: true,
  simulated: true,
};
const long2: BrokerPosition = {
  id: 1,
  accountId: 7,
  contractId: C,
  side: 'long',
  size: 2,
  averagePrice: 21000,
  openedAt: 1000,
};
const stop: Order = {
  id: 11,
  accountId: 7,
  contractId: C,
  type: OrderType.Stop,
  side: 'sell',
  size: 2,
  status: OrderStatus.Open,
  limitPrice: null,
  stopPrice: 20990,
  fillVolume: 0,
  filledPrice: null,
  customTag: null,
  createdAt: 1000,
  updatedAt: 1000,
};
const fill = (id: number, extra: Partial<Fill> = {}): Fill => ({
  id,
  accountId: 7,
  contractId: C,
  orderId: 5,
  side: 'buy',
  size: 1,
  price: 21000,
  profitAndLoss: null,
  fees: 370_000,
  voided: false,
  time: 1000 + id,
  ...extra,
});

const noTouches = (): StreamTouches => ({ account: false, positions: new Set(), orders: new Set() });
const snap = (s: Partial<AccountSnapshot>): AccountSnapshot => ({
  account,
  positions: [],
  orders: [],
  fills: [],
  ...s,
});

function ledgerWith(setup: (l: AccountLedger) => void): AccountLedger {
  const ledger = new AccountLedger(7);
  ledger.acceptAccount(account);
  setup(ledger);
  return ledger;
}

describe('AccountLedger stream acceptance', () => {
  it('when the same fill arrives twice then it is delivered once', () => {
    const ledger = new AccountLedger(7);
    expect(ledger.acceptFill(fill(1))).toBe(true);
    expect(ledger.acceptFill(fill(1))).toBe(false);
  });

  it('when a voided fill was never delivered then it is excluded', () => {
    const ledger = new AccountLedger(7);
    expect(ledger.acceptFill(fill(1, { voided: true }))).toBe(false);
    expect(ledger.fills.size).toBe(0);
  });

  it('when a delivered fill comes back voided then it is delivered again so it can be taken out', () => {
    const ledger = new AccountLedger(7);
    ledger.acceptFill(fill(1));
    expect(ledger.acceptFill(fill(1, { voided: true }))).toBe(true);
    expect(ledger.acceptFill(fill(1, { voided: true }))).toBe(false);
  });

  it('when an older order snapshot arrives after a newer one then it is dropped', () => {
    const ledger = new AccountLedger(7);
    ledger.acceptOrder({ ...stop, status: OrderStatus.Filled, updatedAt: 2000 });
    expect(ledger.acceptOrder({ ...stop, status: OrderStatus.Open, updatedAt: 1500 })).toBe(false);
  });

  it('when a working snapshot with the same time follows a final one then it is dropped', () => {
    const ledger = new AccountLedger(7);
    ledger.acceptOrder({ ...stop, status: OrderStatus.Cancelled, updatedAt: 2000 });
    expect(ledger.acceptOrder({ ...stop, status: OrderStatus.Open, updatedAt: 2000 })).toBe(false);
    expect(ledger.workingOrders()).toEqual([]);
  });

  it('when a close arrives for a position never delivered then it is dropped', () => {
    const ledger = new AccountLedger(7);
    expect(ledger.acceptPosition({ ...long2, size: 0 })).toBe(false);
  });

  it('when a position closes then the contract has no exposure left unless an order works there', () => {
    const ledger = new AccountLedger(7);
    ledger.acceptPosition(long2);
    ledger.acceptOrder(stop);
    ledger.acceptPosition({ ...long2, size: 0 });
    expect(ledger.hasExposure(C)).toBe(true);
    ledger.acceptOrder({ ...stop, status: OrderStatus.Cancelled, updatedAt: 3000 });
    expect(ledger.hasExposure(C)).toBe(false);
  });
});

describe('diffSnapshot (the reconciliation matrix)', () => {
  it('when an opening fill was missed then the fill and the new position are in the diff', () => {
    const ledger = ledgerWith(() => undefined);
    const diff = diffSnapshot(ledger, snap({ positions: [long2], fills: [fill(1)] }), noTouches());
    expect(diff.fills).toEqual([fill(1)]);
    expect(diff.positions).toEqual([long2]);
  });

  it('when a close was missed then the position closes (size 0) and the closing fill is recovered', () => {
    const ledger = ledgerWith((l) => l.acceptPosition(long2));
    const closing = fill(2, { side: 'sell', size: 2, profitAndLoss: 10_000_000 });
    const diff = diffSnapshot(ledger, snap({ fills: [closing] }), noTouches());
    expect(diff.positions).toEqual([{ ...long2, size: 0 }]);
    expect(diff.fills).toEqual([closing]);
  });

  it('when an order appeared then it is in the diff', () => {
    const diff = diffSnapshot(
      ledgerWith(() => undefined),
      snap({ orders: [stop] }),
      noTouches(),
    );
    expect(diff.orders).toEqual([stop]);
    expect(diff.vanishedOrders).toEqual([]);
  });

  it('when a working order disappeared then it is listed as vanished', () => {
    const ledger = ledgerWith((l) => l.acceptOrder(stop));
    expect(diffSnapshot(ledger, snap({}), noTouches()).vanishedOrders).toEqual([stop]);
  });

  it('when the position flipped then the old side closes before the new side opens', () => {
    const ledger = ledgerWith((l) => l.acceptPosition(long2));
    const short1: BrokerPosition = { ...long2, id: 2, side: 'short', size: 1, averagePrice: 21010 };
    expect(diffSnapshot(ledger, snap({ positions: [short1] }), noTouches()).positions).toEqual([
      { ...long2, size: 0 },
      short1,
    ]);
  });

  it('when canTrade changed then the account is in the diff', () => {
    const ledger = ledgerWith(() => undefined);
    const locked = { ...account, canTrade: false };
    expect(diffSnapshot(ledger, snap({ account: locked }), noTouches()).account).toEqual(locked);
  });

  it('when nothing changed then the diff is empty', () => {
    const ledger = ledgerWith((l) => {
      l.acceptPosition(long2);
      l.acceptOrder(stop);
      l.acceptFill(fill(1));
    });
    const diff = diffSnapshot(
      ledger,
      snap({ positions: [long2], orders: [stop], fills: [fill(1)] }),
      noTouches(),
    );
    expect(diff).toEqual({ account: null, fills: [], orders: [], vanishedOrders: [], positions: [] });
  });

  it('when the stream touched a key during the fetch then the snapshot does not override it', () => {
    const ledger = ledgerWith((l) => l.acceptPosition(long2));
    const touches: StreamTouches = { account: true, positions: new Set([C]), orders: new Set([11]) };
    const diff = diffSnapshot(
      ledger,
      snap({ account: { ...account, canTrade: false }, orders: [stop] }),
      touches,
    );
    expect(diff.positions).toEqual([]);
    expect(diff.orders).toEqual([]);
    expect(diff.account).toBeNull();
  });

  it('when only timestamps differ between REST and the hub then the order is not re-emitted', () => {
    const ledger = ledgerWith((l) => l.acceptOrder(stop));
    expect(
      diffSnapshot(ledger, snap({ orders: [{ ...stop, updatedAt: 1001 }] }), noTouches()).orders,
    ).toEqual([]);
  });

  it('when fills are recovered then they come oldest first', () => {
    const diff = diffSnapshot(
      ledgerWith(() => undefined),
      snap({ fills: [fill(3), fill(1), fill(2)] }),
      noTouches(),
    );
    expect(diff.fills.map((f) => f.id)).toEqual([1, 2, 3]);
  });
});
