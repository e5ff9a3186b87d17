import { compareCents, type Micros } from '@riskd/core-engine';

/** A loss limit is breached when P&L is at or below `-limit`, compared in cents. */
export function lossBreached(pnl: Micros, limit: Micros): boolean {
  return compareCents(pnl, -limit) <= 0;
}

/** A profit target is hit when P&L is at or above `target`, compared in cents. */
export function targetHit(pnl: Micros, target: Micros): boolean {
  return compareCents(pnl, target) >= 0;
}

/** `warnAt` of `amount`, in whole micro-dollars. */
export function fractionOf(amount: Micros, fraction: number): Micros {
  return Math.round(amount * fraction);
}

/** A `warnAt` that can raise a warning (0 < warnAt < 1), else undefined. */
export function usableWarnAt(warnAt: number | undefined): number | undefined {
  return warnAt !== undefined && warnAt > 0 && warnAt < 1 ? warnAt : undefined;
}
