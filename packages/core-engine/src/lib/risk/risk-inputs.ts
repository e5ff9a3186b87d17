import type { AccountId, ContractId, OrderId } from '../domain/types.js';
import type { RuleInstanceState, RuleTimers } from '../rules/rule-api.js';
import type { AccountsView, AccountView } from '../state/account-view.js';

/**
 * The parts of the state manager's `PositionChange` the risk engine reads (sizes are signed:
 * + long, - short, 0 flat).
 */
export interface RiskPositionChange {
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  readonly before: number;
  readonly after: number;
  readonly flipped: boolean;
}

/** The parts of the state manager's `StateUpdate` (what one event changed) the risk engine reads. */
export interface RiskStateUpdate {
  /** The event was already applied (same fill id, etc.): it is not evaluated again. */
  readonly duplicate: boolean;
  readonly positionChanges: readonly RiskPositionChange[];
  /** For fills that opened or increased exposure (never for Riskd's own orders). */
  readonly entryFill?: {
    readonly accountId: AccountId;
    readonly orderId: OrderId;
    readonly contractId: ContractId;
    readonly size: number;
  };
}

/**
 * What the risk engine reads from the state manager (`StateManager` satisfies it). Kept to the
 * minimum so the engine can be tested against a small fake.
 */
export interface RiskStateSource {
  account(accountId: AccountId): AccountView | undefined;
  readonly accounts: AccountsView;
  /** Accounts with an open position in the contract (quote routing). */
  accountsHolding(contractId: ContractId): readonly AccountId[];
  /** A rule instance's persisted state. */
  ruleState(accountId: AccountId, instanceId: string): RuleInstanceState;
  /** A rule instance's persisted timers. */
  ruleTimers(accountId: AccountId, instanceId: string): RuleTimers;
}
