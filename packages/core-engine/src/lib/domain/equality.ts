import type { Account, Order } from './types.js';

/**
 * Whether two broker account records say the same thing. Replayed and duplicated account events
 * (reconnects, snapshots) are recognised with it, by the adapter and by the state manager alike.
 */
export function sameAccount(a: Account, b: Account): boolean {
  return (
    a.balance === b.balance &&
    a.canTrade === b.canTrade &&
    a.name === b.name &&
    a.isVisible === b.isVisible &&
    a.simulated === b.simulated
  );
}

/** Whether two snapshots of one order are identical in every field the broker reports. */
export function sameOrder(a: Order, b: Order): boolean {
  return (
    a.status === b.status &&
    a.size === b.size &&
    a.fillVolume === b.fillVolume &&
    a.limitPrice === b.limitPrice &&
    a.stopPrice === b.stopPrice &&
    a.filledPrice === b.filledPrice &&
    a.type === b.type &&
    a.side === b.side &&
    a.updatedAt === b.updatedAt &&
    a.customTag === b.customTag
  );
}
