import type { AccountId, ContractId, Instant, OrderId } from '../domain/types.js';
import type { RoundTrip } from './account-view.js';

/** What one event did to one position (effective size: broker position events and fills combined). */
export interface PositionChange {
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  /** Signed sizes: + long, - short, 0 flat. */
  readonly before: number;
  readonly after: number;
  /** The position's epoch after the change. */
  readonly epoch: number;
  /** Flat -> non-flat (the epoch was incremented). */
  readonly opened: boolean;
  /** |after| > |before| on the same side, or opened, or flipped. */
  readonly increased: boolean;
  /** Non-flat -> flat. */
  readonly closed: boolean;
  /** Long -> short or short -> long in one step (the epoch was incremented too). */
  readonly flipped: boolean;
}

/** A fill that opened or increased exposure (never a fill of an order Riskd sent itself). */
export interface EntryFill {
  readonly accountId: AccountId;
  readonly orderId: OrderId;
  readonly contractId: ContractId;
  /** Contracts this fill added. */
  readonly size: number;
}

/** A round trip that a fill completed. */
export interface ClosedRoundTrip extends RoundTrip {
  readonly accountId: AccountId;
}

/**
 * What one event changed, for the risk engine (routing) and the enforcement engine (confirmations).
 * The arrays may be shared between updates and must not be modified.
 */
export interface StateUpdate {
  /** Accounts whose state changed (for a quote: the accounts holding the contract). */
  readonly accountIds: readonly AccountId[];
  readonly positionChanges: readonly PositionChange[];
  /** For fills: the fill opened or increased exposure. */
  readonly entryFill?: EntryFill;
  /** For fills: the fill completed a round trip of the current trading day. */
  readonly roundTripClosed?: ClosedRoundTrip;
  /**
   * The event was already applied and changed nothing: the same fill id again, a replayed order or
   * position snapshot, a reset already applied, a rule timer that was moved or cancelled since.
   */
  readonly duplicate: boolean;
}

/** A rule instance's timer, as persisted and as handed to the facade for scheduling. */
export interface RuleTimerRecord {
  readonly accountId: AccountId;
  readonly instanceId: string;
  readonly key: string;
  readonly at: Instant;
  readonly payload: unknown;
}

export const NO_CHANGES: readonly PositionChange[] = Object.freeze([]);
export const NO_ACCOUNTS: readonly AccountId[] = Object.freeze([]);

/** The update of an event that was already applied. */
export const DUPLICATE_UPDATE: StateUpdate = Object.freeze({
  accountIds: NO_ACCOUNTS,
  positionChanges: NO_CHANGES,
  duplicate: true,
});

/** The update of an event that changes no state (connection events, a fill first seen voided). */
export const EMPTY_UPDATE: StateUpdate = Object.freeze({
  accountIds: NO_ACCOUNTS,
  positionChanges: NO_CHANGES,
  duplicate: false,
});
