import {
  sameAccount,
  sameOrder,
  WORKING_ORDER_STATUSES,
  type Account,
  type AccountId,
  type BrokerPosition,
  type ContractId,
  type Fill,
  type Instant,
  type Order,
  type OrderId,
} from '@riskd/core-engine';
import { isTerminalStatus } from './normalize.js';

/** Orders kept for ordering checks after they reached a final state. */
const MAX_REMEMBERED_ORDERS = 2000;

/** Keys the live stream changed while a snapshot was being fetched: the stream is newer there. */
export interface StreamTouches {
  account: boolean;
  readonly positions: Set<ContractId>;
  readonly orders: Set<OrderId>;
}

/** Broker state read over REST for one account. */
export interface AccountSnapshot {
  readonly account: Account | null;
  /** Open positions (size > 0). */
  readonly positions: readonly BrokerPosition[];
  /** Working orders (Order/searchOpen). */
  readonly orders: readonly Order[];
  /** Fills of the searched period, voided ones included. */
  readonly fills: readonly Fill[];
}

/** What a snapshot says that was not delivered yet, in the order it is emitted. */
export interface SnapshotDiff {
  readonly account: Account | null;
  readonly fills: readonly Fill[];
  readonly orders: readonly Order[];
  /** Delivered working orders no longer open at the broker: their final state must be looked up. */
  readonly vanishedOrders: readonly Order[];
  readonly positions: readonly BrokerPosition[];
}

function samePosition(a: BrokerPosition, b: BrokerPosition): boolean {
  return a.id === b.id && a.side === b.side && a.size === b.size && a.averagePrice === b.averagePrice;
}

/** Same order in every field the engine acts on (timestamps aside): REST and hub disagree on those. */
function sameOrderState(a: Order, b: Order): boolean {
  return (
    a.status === b.status &&
    a.size === b.size &&
    a.fillVolume === b.fillVolume &&
    a.limitPrice === b.limitPrice &&
    a.stopPrice === b.stopPrice &&
    a.type === b.type &&
    a.side === b.side
  );
}

export function isWorking(order: Order): boolean {
  return WORKING_ORDER_STATUSES.has(order.status);
}

/**
 * What the adapter has delivered for one account: the last account record, open positions, every
 * order snapshot (bounded), and delivered fill ids. Stream events and reconciliation diffs both
 * pass through the `accept*` methods, which say whether the event is new (to be emitted) or a
 * duplicate / stale snapshot (to be dropped).
 */
export class AccountLedger {
  account: Account | null = null;
  readonly positions = new Map<ContractId, BrokerPosition>();
  readonly orders = new Map<OrderId, Order>();
  readonly fills = new Map<number, Fill>();
  /** Broker time of the latest fill seen. */
  lastFillTime: Instant | null = null;
  /** Counts account records the stream delivered: a poll that raced one of them is discarded. */
  accountStreamSeq = 0;
  private touches: StreamTouches | null = null;
  /** Working orders per contract (exposure checks run on every order and position event). */
  private readonly workingByContract = new Map<ContractId, number>();

  constructor(readonly accountId: AccountId) {}

  /** Starts recording stream touches (a snapshot is being fetched). */
  beginSync(): void {
    this.touches = { account: false, positions: new Set(), orders: new Set() };
  }

  /** Stops recording and returns what the stream touched meanwhile. */
  endSync(): StreamTouches {
    const touches = this.touches ?? {
      account: false,
      positions: new Set<ContractId>(),
      orders: new Set<OrderId>(),
    };
    this.touches = null;
    return touches;
  }

  /** Marks a stream-delivered key (only recorded while a sync runs). */
  touchAccount(): void {
    this.accountStreamSeq++;
    if (this.touches) this.touches.account = true;
  }
  touchPosition(contractId: ContractId): void {
    this.touches?.positions.add(contractId);
  }
  touchOrder(orderId: OrderId): void {
    this.touches?.orders.add(orderId);
  }

  acceptAccount(account: Account): boolean {
    if (this.account && sameAccount(this.account, account)) return false;
    this.account = account;
    return true;
  }

  /**
   * Open positions are replaced; a close (size 0) removes the position. A close for a position
   * that was never delivered, and an identical snapshot, are dropped.
   */
  acceptPosition(position: BrokerPosition): boolean {
    const previous = this.positions.get(position.contractId);
    if (position.size === 0) return this.positions.delete(position.contractId);
    if (previous && samePosition(previous, position)) return false;
    this.positions.set(position.contractId, position);
    return true;
  }

  /**
   * Order snapshots are dropped when identical to the last one, older than it (`updatedAt`), or a
   * working state arriving after a final state of the same or an unknown time (a reordered frame).
   */
  acceptOrder(order: Order): boolean {
    const previous = this.orders.get(order.id);
    if (previous) {
      if (sameOrder(previous, order)) return false;
      if (order.updatedAt !== null && previous.updatedAt !== null && order.updatedAt < previous.updatedAt)
        return false;
      if (
        isTerminalStatus(previous.status) &&
        !isTerminalStatus(order.status) &&
        (order.updatedAt === null || previous.updatedAt === null || order.updatedAt <= previous.updatedAt)
      ) {
        return false;
      }
      this.orders.delete(order.id); // re-insert: Map order becomes recency order
      if (isWorking(previous)) this.countWorking(previous.contractId, -1);
    }
    this.orders.set(order.id, order);
    if (isWorking(order)) this.countWorking(order.contractId, 1);
    if (this.orders.size > MAX_REMEMBERED_ORDERS) this.forgetOldOrders();
    return true;
  }

  /**
   * A fill is new once. A voided fill that was never delivered is excluded; a delivered fill that
   * comes back voided is delivered again (voided) so that its P&L and fees are taken back out.
   */
  acceptFill(fill: Fill): boolean {
    const previous = this.fills.get(fill.id);
    if (previous) {
      if (!previous.voided && fill.voided) {
        this.fills.set(fill.id, fill);
        return true;
      }
      return false;
    }
    if (fill.voided) return false;
    this.fills.set(fill.id, fill);
    if (this.lastFillTime === null || fill.time > this.lastFillTime) this.lastFillTime = fill.time;
    return true;
  }

  workingOrders(): Order[] {
    const out: Order[] = [];
    for (const order of this.orders.values()) if (isWorking(order)) out.push(order);
    return out;
  }

  /** True while the account holds a position or a working order on the contract. */
  hasExposure(contractId: ContractId): boolean {
    return this.positions.has(contractId) || (this.workingByContract.get(contractId) ?? 0) > 0;
  }

  private countWorking(contractId: ContractId, delta: number): void {
    const next = (this.workingByContract.get(contractId) ?? 0) + delta;
    if (next > 0) this.workingByContract.set(contractId, next);
    else this.workingByContract.delete(contractId);
  }

  private forgetOldOrders(): void {
    for (const [id, order] of this.orders) {
      if (this.orders.size <= MAX_REMEMBERED_ORDERS * 0.9) break;
      if (!isWorking(order)) this.orders.delete(id);
    }
  }
}

/**
 * Compares a REST snapshot with what was delivered. Keys the stream touched during the fetch are
 * left alone (the stream is newer). A flip (long -> short) is a close of the old side followed by
 * the new position, so the engine sees the position go flat and open again. Pure: nothing is
 * recorded until the caller emits the diff through the ledger's `accept*` methods.
 */
export function diffSnapshot(
  ledger: AccountLedger,
  snapshot: AccountSnapshot,
  touches: StreamTouches,
): SnapshotDiff {
  const account =
    snapshot.account &&
    !touches.account &&
    (!ledger.account || !sameAccount(ledger.account, snapshot.account))
      ? snapshot.account
      : null;

  const fills = [...snapshot.fills]
    .sort((a, b) => a.time - b.time || a.id - b.id)
    .filter((fill) => {
      const previous = ledger.fills.get(fill.id);
      if (!previous) return !fill.voided;
      return !previous.voided && fill.voided;
    });

  const openIds = new Set<OrderId>();
  const orders: Order[] = [];
  for (const order of snapshot.orders) {
    openIds.add(order.id);
    if (touches.orders.has(order.id)) continue;
    const previous = ledger.orders.get(order.id);
    if (!previous || !sameOrderState(previous, order)) orders.push(order);
  }
  const vanishedOrders = ledger
    .workingOrders()
    .filter((order) => !openIds.has(order.id) && !touches.orders.has(order.id));

  const positions: BrokerPosition[] = [];
  const openContracts = new Set<ContractId>();
  for (const position of snapshot.positions) {
    if (position.size === 0) continue;
    openContracts.add(position.contractId);
    if (touches.positions.has(position.contractId)) continue;
    const previous = ledger.positions.get(position.contractId);
    if (!previous) positions.push(position);
    else if (previous.side !== position.side) positions.push({ ...previous, size: 0 }, position);
    else if (!samePosition(previous, position)) positions.push(position);
  }
  for (const [contractId, previous] of ledger.positions) {
    if (!openContracts.has(contractId) && !touches.positions.has(contractId))
      positions.push({ ...previous, size: 0 });
  }
  return { account, fills, orders, vanishedOrders, positions };
}
