import type { Micros } from '../domain/types.js';

/**
 * Exact P&L arithmetic. Prices become integer ticks of their contract; an average price is kept as
 * a reduced fraction of ticks (`num / den`), because an average of prices on the tick grid is
 * usually not on the grid itself (two contracts at 100.00 and 100.25 average 400.5 ticks). Money is
 * integer micro-dollars; a result is rounded to whole micro-dollars once, half away from zero.
 */

/** A reduced fraction of ticks; `den` is a positive integer. */
export interface TickRatio {
  readonly num: number;
  readonly den: number;
}

/**
 * Largest denominator kept. Averages whose denominator would grow beyond it (long chains of adds
 * and partial closes) are rounded to a millionth of a tick: at most a few micro-dollars per contract.
 */
export const MAX_TICK_DENOMINATOR = 1_000_000;

/** Denominators tried when turning a broker's decimal average back into a fraction. */
const MAX_SEARCHED_DENOMINATOR = 1_000;

export function roundHalfAway(x: number): number {
  // `|| 0` turns -0 into 0, so a flat result compares equal to 0 everywhere.
  return (x < 0 ? -Math.round(-x) : Math.round(x)) || 0;
}

export function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

function reduce(num: number, den: number): TickRatio {
  if (num === 0) return { num: 0, den: 1 };
  const g = gcd(num, den);
  let n = num / g;
  let d = den / g;
  if (d > MAX_TICK_DENOMINATOR) {
    n = Math.round((n * MAX_TICK_DENOMINATOR) / d);
    d = MAX_TICK_DENOMINATOR;
    const g2 = gcd(n, d);
    n /= g2;
    d /= g2;
  }
  return { num: n, den: d };
}

/**
 * The fraction of ticks a decimal number of ticks stands for (e.g. a broker average price divided
 * by the tick size). `hint` is a likely denominator (the position size). Falls back to millionths.
 */
export function ticksToRatio(ticks: number, hint = 1): TickRatio {
  if (!Number.isFinite(ticks)) return { num: 0, den: 1 };
  const fits = (den: number): boolean => Math.abs(Math.round(ticks * den) - ticks * den) <= 1e-7 * den;
  if (fits(1)) return { num: Math.round(ticks), den: 1 };
  if (hint > 1 && Number.isSafeInteger(hint) && fits(hint)) return reduce(Math.round(ticks * hint), hint);
  for (let den = 2; den <= MAX_SEARCHED_DENOMINATOR; den++) {
    if (fits(den)) return reduce(Math.round(ticks * den), den);
  }
  return reduce(Math.round(ticks * MAX_TICK_DENOMINATOR), MAX_TICK_DENOMINATOR);
}

/** The average after adding `qty` contracts at `price` ticks to `size` contracts averaging `avg`. */
export function addToAverage(avg: TickRatio, size: number, price: TickRatio, qty: number): TickRatio {
  if (size <= 0) return reduce(price.num, price.den);
  return reduce(avg.num * size * price.den + price.num * qty * avg.den, avg.den * price.den * (size + qty));
}

/**
 * P&L in micro-dollars of `size` contracts held on side `dir` (+1 long, -1 short) from a basis of
 * `basisNum / basisDen` ticks to `markTicks`: `(mark - basis) * tickValue * size * dir`.
 * Takes plain numbers so the per-quote path allocates nothing.
 */
export function pnlMicros(
  dir: number,
  size: number,
  tickValue: Micros,
  markTicks: number,
  basisNum: number,
  basisDen: number,
): Micros {
  const perTick = dir * size * tickValue;
  if (basisDen === 1) return perTick * (markTicks - basisNum) || 0;
  // Split the basis into whole ticks and a remainder so the large product stays an exact integer.
  const whole = Math.floor(basisNum / basisDen);
  const rest = basisNum - whole * basisDen;
  return roundHalfAway(perTick * (markTicks - whole) - (perTick * rest) / basisDen);
}

/** A fraction of ticks as a price (for views). */
export function ratioToPrice(ratio: TickRatio, tickSize: number): number {
  return Number(((ratio.num / ratio.den) * tickSize).toPrecision(15));
}
