import {
  compareLockoutEnds,
  lockoutScopeKey,
  lockoutSubsumes,
  type Lockout,
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
   * The lockout already in force for a scope, if any. A requested lockout that it subsumes (an
   * instant not later than an instant it holds, or a condition it already holds) is dropped, so a
   * shorter lockout never replaces a longer one; any other request goes into the outcome and is
   * added to it as a hold.
   */
  existingLockout?(accountId: AccountId, lockoutId: string): Lockout | undefined;
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

/** Per scope, the candidates kept apart: one instant and one per condition (the minimal set of holds). */
function endKey(end: LockoutEnd): string {
  return end.kind === 'at' ? 'at' : `condition:${end.condition}`;
}

class AccountBuilder {
  readonly flatten: Decision[] = [];
  readonly alerts: Decision[] = [];
  readonly shadow: Decision[] = [];
  readonly contracts = new Map<ContractId, ContractBuilder>();
  /** Scope key -> end key -> candidate. */
  readonly lockouts = new Map<string, Map<string, LockoutCandidate>>();

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
      let scope = this.lockouts.get(key);
      if (!scope) this.lockouts.set(key, (scope = new Map()));
      // Every end asked for must hold, so an instant and each condition are kept apart; only a
      // later instant replaces an earlier one. Decisions arrive in canonical order, so on equal
      // ends (and for one condition asked twice) the first one stays: order-independent.
      const current = scope.get(endKey(end));
      if (!current || compareLockoutEnds(end, current.end) > 0) scope.set(endKey(end), { end, decision });
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
      const candidates = [...(this.lockouts.get(key) as Map<string, LockoutCandidate>).values()].sort(
        (a, b) => compareLockoutEnds(b.end, a.end),
      );
      const existing = env.existingLockout?.(this.accountId, `${this.accountId}:${key}`);
      for (const candidate of candidates) {
        if (existing && lockoutSubsumes(existing, candidate.end)) continue;
        const scope = candidate.decision.lockout?.scope ?? { kind: 'account' };
        lockouts.push(
          Object.freeze({
            accountId: this.accountId,
            scope,
            end: candidate.end,
            decision: candidate.decision,
          }),
        );
      }
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
 * - lockouts: a set keyed by scope (account, or account + symbol) where the latest end wins: the
 *   scope stays locked until every end asked for has passed. Per scope the requests are the
 *   minimal set of ends: the latest instant and each condition asked for (an earlier instant is
 *   subsumed by a later one); a request subsumed by the lockout in force (an instant not later than
 *   one it holds, a condition it holds), or ending at or before the decision, is dropped; a symbol
 *   lockout never widens into an account lockout;
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

// The order of lockout ends lives with the lockout model; it is re-exported here, where the merge uses it.
export { compareLockoutEnds } from '../domain/lockout.js';
