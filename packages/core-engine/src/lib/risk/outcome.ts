import type { LockoutEnd, LockoutScope } from '../domain/lockout.js';
import type { AccountId, ContractId, Instant, OrderId } from '../domain/types.js';
import type { EngineEvent } from '../events/events.js';
import type { Decision } from '../rules/rule-api.js';

/**
 * What must happen to one contract of one account after merging an event's decisions
 * (RULES.md section 2): close > reduce (the smallest resulting size wins) > cancel.
 */
export interface ContractAction {
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  readonly kind: 'close' | 'reduce' | 'cancel';
  /** For `reduce`: the size the position must end at. */
  readonly reduceTo?: number;
  /** Working orders of this contract to cancel (with any kind). */
  readonly cancelOrderIds: readonly OrderId[];
  /** The enforce-mode decisions behind this action. */
  readonly decisions: readonly Decision[];
}

/**
 * A lockout to start, or a hold to add to the lockout in force on its scope, its end already
 * resolved through the calendar.
 */
export interface LockoutRequest {
  readonly accountId: AccountId;
  readonly scope: LockoutScope;
  readonly end: LockoutEnd;
  /** The decision that asked for this end (the canonically first one for equal ends). */
  readonly decision: Decision;
}

/** The merged outcome for one account. */
export interface AccountOutcome {
  readonly accountId: AccountId;
  /** Non-empty when the account must be flattened (cancel every working order, close every position). */
  readonly flatten: readonly Decision[];
  /** Per-contract actions; when `flatten` is set these are already covered by it and left empty. */
  readonly contracts: ReadonlyMap<ContractId, ContractAction>;
  /**
   * Per scope, the minimal set of ends asked for (the latest instant, each condition) that the
   * lockout in force does not already hold; a symbol lockout never widens to the account.
   */
  readonly lockouts: readonly LockoutRequest[];
  /** Enforce-mode `alert` decisions (including warnings). */
  readonly alerts: readonly Decision[];
  /** Decisions of `alert-only` and `dry-run` instances: recorded as "would have ...", never acted on. */
  readonly shadow: readonly Decision[];
}

/** Everything one event led to, across accounts. */
export interface Outcome {
  readonly event: EngineEvent;
  readonly decidedAt: Instant;
  readonly accounts: ReadonlyMap<AccountId, AccountOutcome>;
  /**
   * Every stamped decision of this event (enforce and shadow, including those a flatten covers or
   * whose lockout was subsumed), in canonical order, for the audit trail. Set by the risk engine;
   * absent in outcomes built elsewhere.
   */
  readonly decisions?: readonly Decision[];
}

/** True when the outcome asks for nothing at all. */
export function isEmptyOutcome(outcome: Outcome): boolean {
  for (const a of outcome.accounts.values()) {
    if (
      a.flatten.length > 0 ||
      a.contracts.size > 0 ||
      a.lockouts.length > 0 ||
      a.alerts.length > 0 ||
      a.shadow.length > 0
    ) {
      return false;
    }
  }
  return true;
}
