import {
  type AccountView,
  type Order,
  OrderStatus,
  type PositionView,
  STOP_ORDER_TYPES,
} from '@riskd/core-engine';

/** Contracts an order can still fill. */
export function remainingSize(order: Order): number {
  return Math.max(0, order.size - order.fillVolume);
}

/** Signed position size: + long, - short. */
export function signedSize(position: PositionView | undefined): number {
  if (!position) return 0;
  return position.side === 'long' ? position.size : -position.size;
}

/**
 * The contracts by which an order would take its contract's position further from flat if it
 * filled alone: its whole remaining size on the position's side (or from flat), the part beyond
 * the position when it is on the opposite side (a flip), else 0 (a protective or closing order).
 */
export function orderExposure(order: Order, signedPositionSize: number): number {
  const remaining = remainingSize(order);
  const signed = signedPositionSize;
  if (signed === 0) return remaining;
  const sameSide = signed > 0 === (order.side === 'buy');
  return sameSide ? remaining : Math.max(0, remaining - Math.abs(signed));
}

/** Statuses in which a stop order covers a position (RULES.md stop-loss-required). */
const COVERING_STATUSES: ReadonlySet<OrderStatus> = new Set([OrderStatus.Open, OrderStatus.Pending]);

/**
 * Summed remaining size of the protective stop orders of a position: stop types, opposite side,
 * same contract, status Open or Pending.
 */
export function stopCover(account: AccountView, position: PositionView): number {
  const protectiveSide = position.side === 'long' ? 'sell' : 'buy';
  let cover = 0;
  for (const order of account.workingOrders.values()) {
    if (
      order.contractId === position.contractId &&
      order.side === protectiveSide &&
      STOP_ORDER_TYPES.has(order.type) &&
      COVERING_STATUSES.has(order.status)
    ) {
      cover += remainingSize(order);
    }
  }
  return cover;
}
