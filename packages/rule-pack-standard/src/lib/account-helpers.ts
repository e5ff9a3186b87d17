import {
  type AccountView,
  type Instant,
  type LockoutCondition,
  lockoutId,
  lockoutSubsumes,
  type LockoutScope,
  type RoundTrip,
  type RuleContext,
} from '@riskd/core-engine';

export const ACCOUNT_SCOPE: LockoutScope = { kind: 'account' };

export function symbolScope(symbol: string): LockoutScope {
  return { kind: 'symbol', symbol };
}

/** True when the account has an open position or a working order. */
export function hasExposure(account: AccountView): boolean {
  return account.positions.size > 0 || account.workingOrders.size > 0;
}

/**
 * True when the lockout of `scope` already holds the scope until `at` or later (any of its holds:
 * a condition shown on top does not hide a daily lock underneath).
 */
export function lockedAtLeastUntil(account: AccountView, scope: LockoutScope, at: Instant): boolean {
  const lockout = account.lockouts.get(lockoutId(account.accountId, scope));
  return lockout !== undefined && lockoutSubsumes(lockout, { kind: 'at', at });
}

/** True when the lockout of `scope` has a hold ending on `condition` (primary or not). */
export function lockedUntilCondition(
  account: AccountView,
  scope: LockoutScope,
  condition: LockoutCondition,
): boolean {
  const lockout = account.lockouts.get(lockoutId(account.accountId, scope));
  return lockout !== undefined && lockoutSubsumes(lockout, { kind: 'condition', condition });
}

interface RoundTripCursor {
  readonly day: string;
  readonly seen: number;
}

/**
 * The round trips of the trading day that this rule instance has not looked at yet. The cursor
 * (trading day id and how many it has seen) lives in the instance's persisted state and never
 * moves back within a day: after a restart the engine replays the day's fills, rebuilding the
 * list from empty, and the round trips seen before the crash must not count as new again.
 */
export function takeNewRoundTrips(ctx: RuleContext, key = 'roundTrips'): readonly RoundTrip[] {
  const day = ctx.account.tradingDay.id;
  const trips = ctx.account.roundTrips;
  const cursor = ctx.state.get<RoundTripCursor>(key);
  const seen = cursor && cursor.day === day ? cursor.seen : 0;
  if (trips.length <= seen) {
    if (!cursor || cursor.day !== day) ctx.state.set(key, { day, seen });
    return [];
  }
  ctx.state.set(key, { day, seen: trips.length });
  return trips.slice(seen);
}

/** The symbol of a round trip, from the contract record when the round trip was recorded before it was known. */
export function roundTripSymbol(account: AccountView, trip: RoundTrip): string {
  return account.contract(trip.contractId)?.symbol ?? trip.symbol;
}
