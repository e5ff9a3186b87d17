import { roundCents, roundPrice } from './format.js';
import { PositionType } from './wire.js';

/** The arithmetic state of a position: direction (1 long, 2 short), positive size, average price. */
export interface PositionBook {
  type: 1 | 2;
  size: number;
  averagePrice: number;
}

/** What one fill did to a position. */
export interface FillOutcome {
  /** Contracts of the fill that reduced the previous position. */
  closedQty: number;
  /** Contracts of the fill that opened or added (after a flip: the new side's size). */
  openedQty: number;
  /** Gross realized dollars of `closedQty` (null when nothing closed). */
  realized: number | null;
  /** The position after the fill (null when flat). */
  after: PositionBook | null;
  /** True when the fill closed the previous position completely (flat or flipped). */
  closedPrevious: boolean;
}

/**
 * Gross dollar P&L of closing `qty` contracts of a position at `exitPrice`:
 * (exit − average) / tickSize × tickValue × qty, negated for shorts, rounded to cents
 * (PROJECTX-GATEWAY.md §8).
 */
export function realizedPnl(
  type: 1 | 2,
  averagePrice: number,
  exitPrice: number,
  qty: number,
  tickSize: number,
  tickValue: number,
): number {
  const direction = type === PositionType.Long ? 1 : -1;
  return roundCents(((exitPrice - averagePrice) / tickSize) * tickValue * qty * direction);
}

/** Fees of a fill: per-side fee × contracts, rounded to cents. */
export function fillFees(feePerSide: number, qty: number): number {
  return roundCents(feePerSide * qty);
}

/**
 * Applies one fill (side 0 buy / 1 sell) to a position: open, add (weighted average price),
 * reduce, close, or flip (close everything, open the rest on the other side at the fill price).
 */
export function applyFill(
  position: PositionBook | null,
  side: 0 | 1,
  qty: number,
  price: number,
  tickSize: number,
  tickValue: number,
): FillOutcome {
  const fillType: 1 | 2 = side === 0 ? PositionType.Long : PositionType.Short;
  if (!position || position.size === 0) {
    return {
      closedQty: 0,
      openedQty: qty,
      realized: null,
      after: { type: fillType, size: qty, averagePrice: price },
      closedPrevious: false,
    };
  }
  if (position.type === fillType) {
    const size = position.size + qty;
    return {
      closedQty: 0,
      openedQty: qty,
      realized: null,
      after: {
        type: fillType,
        size,
        averagePrice: roundPrice((position.averagePrice * position.size + price * qty) / size),
      },
      closedPrevious: false,
    };
  }
  const closedQty = Math.min(qty, position.size);
  const realized = realizedPnl(position.type, position.averagePrice, price, closedQty, tickSize, tickValue);
  const remaining = position.size - closedQty;
  const openedQty = qty - closedQty;
  let after: PositionBook | null = null;
  if (remaining > 0) after = { type: position.type, size: remaining, averagePrice: position.averagePrice };
  else if (openedQty > 0) after = { type: fillType, size: openedQty, averagePrice: price };
  return { closedQty, openedQty, realized, after, closedPrevious: remaining === 0 };
}
