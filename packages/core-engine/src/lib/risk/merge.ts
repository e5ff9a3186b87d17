import {
  lockoutScopeKey,
  type Lockout,
  type LockoutCondition,
  type LockoutEnd,
  type LockoutEndSpec,
} from '../domain/lockout.js';
import type { AccountId, ContractId, Instant, OrderId } from '../domain/types.js';
import type { EngineEvent } from '../events/events.js';
import type { Decision } from '../rules/rule-api.js';
import type { AccountOutcome, ContractAction, LockoutRequest, Outcome } from './outcome.js';
import { RiskError } from './risk-errors.js';

/** What the merge needs from its caller. */
export interface MergeEnv {
  /** Resolves a decision's lockout end to an instant or a condition (the engine uses the calendar). */
  resolveEnd(spec: LockoutEndSpec, decision: Decision): LockoutEnd;
  /**
   * The lockout already in force for a scope, if any. A requested lockout that does not end later
   * than it is dropped, so a shorter lockout never replaces a longer one.
   */
  existingLockout?(accountId: AccountId, lockoutId: string): Lockout | undefined;
}

/**
 * Ranks conditions when two conditional lockouts meet on one scope. Nothing says which clears
 * later; the rank only has to be fixed so the merge is deterministic. The ones that need an admin
 * (a config change) rank above the broker's `canTrade`.
 */
const CONDITION_RANK: Readonly<Record<LockoutCondition, number>> = {
  'can-trade': 0,
  'config-valid': 1,
  'symbol-unblocked': 2,
};

/**
 * Orders lockout ends: positive when `a` ends later than `b`. A condition counts as later than any
 * instant (nobody knows when it clears, so it is the safer end to keep); two conditions compare by
 * a fixed rank.
 */
export function compareLockoutEnds(a: LockoutEnd, b: LockoutEnd): number {
  if (a.kind === 'at' && b.kind === 'at') return a.at - b.at;
  if (a.kind === 'condition' && b.kind === 'condition')
    return CONDITION_RANK[a.condition] - CONDITION_RANK[b.condition];
  return a.kind === 'condition' ? 1 : -1;
}

const EMPTY_DECISIONS: readonly Decision[] = Object.freeze([]);
const EMPTY_ACCOUNTS: ReadonlyMap<AccountId, AccountOutcome> = new Map();
const EMPTY_CONTRACTS: ReadonlyMap<ContractId, ContractAction> = new Map();

const KIND_RANK = { cancel: 0, reduce: 1, close: 2 } as const;

interface ContractBuilder {
  kind: ContractAction['kind'];
  reduceTo: number | undefined;
  readonly cancelOrderIds: Set<OrderId>;
  readonly decisions: Decision[];
}

interface LockoutCandidate {
  readonly end: LockoutEnd;
  readonly decision: Decision;
}

class AccountBuilder {
  readonly flatten: Decision[] = [];
  readonly alerts: Decision[] = [];
  readonly shadow: Decision[] = [];
  readonly contracts = new Map<ContractId, ContractBuilder>();
  readonly lockouts = new Map<string, LockoutCandidate>();

  constructor(readonly accountId: AccountId) {}

  add(decision: Decision, env: MergeEnv): void {
    // Alert-only and dry-run decisions are recorded as "would have ..." and never act or outrank.
    if (decision.mode !== 'enforce') {
      this.shadow.push(decision);
      return;
    }
    switch (decision.action) {
      case 'flatten':
        this.flatten.push(decision);
        break;
      case 'alert':
        this.alerts.push(decision);
        break;
      case 'close-position':
      case 'reduce-position':
      case 'cancel-orders':
        this.addContractAction(decision);
        break;
      case 'none':
        break;
    }
    if (decision.lockout) {
      const end = env.resolveEnd(decision.lockout.end, decision);
      // A lockout that is over before it starts locks nothing (and must not sweep orders).
      if (end.kind === 'at' && end.at <= decision.decidedAt) return;
      const key = lockoutScopeKey(decision.lockout.scope);
      const current = this.lockouts.get(key);
      // Decisions arrive in canonical order, so on equal ends the first one stays: order-independent.
      if (!current || compareLockoutEnds(end, current.end) > 0) this.lockouts.set(key, { end, decision });
    }
  }

  private addContractAction(decision: Decision): void {
    const contractId = decision.contractId;
    if (contractId === undefined) {
      throw new RiskError(
        'MERGE_INPUT_INVALID',
        `${decision.action} decision of ${decision.instanceId} has no contractId`,
      );
    }
    let target = this.contracts.get(contractId);
    if (!target) {
      target = { kind: 'cancel', reduceTo: undefined, cancelOrderIds: new Set(), decisions: [] };
      this.contracts.set(contractId, target);
    }
    target.decisions.push(decision);
    if (decision.action === 'cancel-orders') {
      for (const id of decision.orderIds ?? []) target.cancelOrderIds.add(id);
      return;
    }
    // A reduce to zero is a close: one kind of action for "no position left", whoever asked.
    const reduceTo = decision.action === 'reduce-position' ? (decision.reduceTo ?? -1) : 0;
    if (reduceTo < 0) {
      throw new RiskError(
        'MERGE_INPUT_INVALID',
        `reduce-position decision of ${decision.instanceId} has no reduceTo`,
      );
    }
    const kind = reduceTo === 0 ? 'close' : 'reduce';
    if (KIND_RANK[kind] > KIND_RANK[target.kind]) {
      target.kind = kind;
      target.reduceTo = kind === 'reduce' ? reduceTo : undefined;
    } else if (kind === 'reduce' && target.kind === 'reduce') {
      // The smallest resulting size wins.
      target.reduceTo = Math.min(target.reduceTo ?? reduceTo, reduceTo);
    }
  }

  build(env: MergeEnv): AccountOutcome | undefined {
    const lockouts: LockoutRequest[] = [];
    for (const key of [...this.lockouts.keys()].sort()) {
      const candidate = this.lockouts.get(key) as LockoutCandidate;
      const scope = candidate.decision.lockout?.scope ?? { kind: 'account' };
      const existing = env.existingLockout?.(this.accountId, `${this.accountId}:${key}`);
      if (existing && compareLockoutEnds(candidate.end, existing.end) <= 0) continue;
      lockouts.push(
        Object.freeze({ accountId: this.accountId, scope, end: candidate.end, decision: candidate.decision }),
      );
    }
    let contracts = EMPTY_CONTRACTS;
    // Flatten covers every contract of the account: per-contract actions would only duplicate it.
    if (this.flatten.length === 0 && this.contracts.size > 0) {
      const map = new Map<ContractId, ContractAction>();
      for (const contractId of [...this.contracts.keys()].sort()) {
        const c = this.contracts.get(contractId) as ContractBuilder;
        map.set(
          contractId,
          Object.freeze({
            accountId: this.accountId,
            contractId,
            kind: c.kind,
            ...(c.kind === 'reduce' ? { reduceTo: c.reduceTo } : {}),
            cancelOrderIds: Object.freeze([...c.cancelOrderIds].sort((a, b) => a - b)),
            decisions: Object.freeze(c.decisions),
          }),
        );
      }
      contracts = map;
    }
    if (
      this.flatten.length === 0 &&
      contracts.size === 0 &&
      lockouts.length === 0 &&
      this.alerts.length === 0 &&
      this.shadow.length === 0
    ) {
      return undefined;
    }
    return Object.freeze({
      accountId: this.accountId,
      flatten: Object.freeze(this.flatten),
      contracts,
      lockouts: Object.freeze(lockouts),
      alerts: Object.freeze(this.alerts),
      shadow: Object.freeze(this.shadow),
    });
  }
}

/**
 * Merges one event's stamped decisions into an {@link Outcome} (RULES.md section 2):
 * - actions merge per target contract: close > reduce (the smallest resulting size wins; a reduce
 *   to 0 is a close) > cancel; cancelled order ids are the union; contracts are independent;
 * - flatten covers everything: an account with a flatten has no per-contract actions;
 * - lockouts: one per scope (account, or account + symbol), the latest end wins (a condition is
 *   later than any instant); a symbol lockout never widens into an account lockout; a lockout
 *   that does not end later than the one in force, or ends at or before the decision, is dropped;
 * - decisions of `alert-only` and `dry-run` instances go to `shadow` and change nothing else;
 * - the order of `decisions` never changes the outcome: they are sorted canonically first.
 * `cancel-orders`, `reduce-position` and `close-position` decisions must carry a `contractId`
 * (the engine normalizes rule output before merging).
 */
export function mergeDecisions(
  event: EngineEvent,
  decidedAt: Instant,
  decisions: readonly Decision[],
  env: MergeEnv,
): Outcome {
  if (decisions.length === 0)
    return { event, decidedAt, accounts: EMPTY_ACCOUNTS, decisions: EMPTY_DECISIONS };
  const sorted = [...decisions].sort(compareDecisions);
  const builders = new Map<AccountId, AccountBuilder>();
  for (const decision of sorted) {
    let builder = builders.get(decision.accountId);
    if (!builder) builders.set(decision.accountId, (builder = new AccountBuilder(decision.accountId)));
    builder.add(decision, env);
  }
  const accounts = new Map<AccountId, AccountOutcome>();
  for (const accountId of [...builders.keys()].sort((a, b) => a - b)) {
    const outcome = (builders.get(accountId) as AccountBuilder).build(env);
    if (outcome) accounts.set(accountId, outcome);
  }
  return { event, decidedAt, accounts, decisions: Object.freeze(sorted) };
}

/** A total order of decisions, so that merging never depends on the order rules ran in. */
export function compareDecisions(a: Decision, b: Decision): number {
  return (
    a.accountId - b.accountId ||
    compareStrings(a.ruleId, b.ruleId) ||
    compareStrings(a.instanceId, b.instanceId) ||
    compareStrings(a.action, b.action) ||
    compareStrings(a.contractId ?? '', b.contractId ?? '') ||
    (a.reduceTo ?? -1) - (b.reduceTo ?? -1) ||
    compareStrings(a.code, b.code) ||
    compareStrings(a.reason, b.reason) ||
    compareStrings(a.mode, b.mode) ||
    compareStrings(a.severity, b.severity) ||
    a.decidedAt - b.decidedAt ||
    compareStrings(stableJson(a.orderIds), stableJson(b.orderIds)) ||
    compareStrings(stableJson(a.lockout), stableJson(b.lockout)) ||
    compareStrings(stableJson(a.data), stableJson(b.data))
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
function stableJson(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => compareStrings(x, y)),
        )
      : v,
  );
}
