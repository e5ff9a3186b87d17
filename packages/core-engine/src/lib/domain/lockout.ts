import type { AccountId, Instant } from './types.js';

/** The scope of a lockout: a whole account, or one symbol on it. */
export type LockoutScope =
  { readonly kind: 'account' } | { readonly kind: 'symbol'; readonly symbol: string };

/** Conditions that can end a lockout. */
export type LockoutCondition = 'can-trade' | 'config-valid' | 'symbol-unblocked';

/**
 * When a lockout ends, as a rule states it. Relative ends are resolved to an instant by the
 * engine at the moment the lockout starts (through the market calendar).
 */
export type LockoutEndSpec =
  | { readonly kind: 'at'; readonly at: Instant }
  | { readonly kind: 'duration'; readonly ms: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'session-start'; readonly symbol?: string }
  | { readonly kind: 'week-reset' }
  | { readonly kind: 'condition'; readonly condition: LockoutCondition };

/** A resolved end: an instant, or a condition that must clear. */
export type LockoutEnd =
  | { readonly kind: 'at'; readonly at: Instant }
  | { readonly kind: 'condition'; readonly condition: LockoutCondition };

/**
 * One reason a scope is locked: the rule that asked for it, why, since when and until when. A
 * scope stays locked while any of its holds has not ended.
 */
export interface LockoutHold {
  readonly ruleId: string;
  readonly instanceId: string;
  readonly code: string;
  readonly reason: string;
  readonly startedAt: Instant;
  readonly end: LockoutEnd;
}

/**
 * A persisted lockout of an account or of one of its symbols: one record per scope. Its own
 * fields are the primary hold, the one that ends last by {@link compareLockoutEnds} (a condition
 * ranks above any instant, so a condition in force is what the record shows); `holds` are the other
 * lockouts asked for on the same scope that keep it locked after the primary's end passes. The
 * set is minimal: at most one instant (the latest; an earlier one is subsumed by it) and at most
 * one hold per condition, and a hold whose instant has passed is dropped when the record changes.
 */
export interface Lockout extends LockoutHold {
  /** Stable id: `<accountId>:<scopeKey>`. One record per scope; it is in force until every hold ended. */
  readonly id: string;
  readonly accountId: AccountId;
  readonly scope: LockoutScope;
  /** The other holds on this scope (the primary excluded), latest end first; absent when there are none. */
  readonly holds?: readonly LockoutHold[];
}

/** What ends when a lockout is released: holds whose instant passed by `now`, and those of `cleared`. */
export interface LockoutRelease {
  readonly now: Instant;
  /** A condition that cleared (broker `canTrade` true, a valid config loaded, a symbol unblocked). */
  readonly cleared?: LockoutCondition;
  /** Every hold ends (an audited admin clear). */
  readonly all?: boolean;
}

/** The result of {@link splitLockout}. */
export interface LockoutSplit {
  /** The holds that ended, latest end first; empty when nothing ended. */
  readonly ended: readonly LockoutHold[];
  /** What still locks the scope (its primary re-chosen), or undefined when nothing holds any more. */
  readonly remaining: Lockout | undefined;
}

export function lockoutScopeKey(scope: LockoutScope): string {
  return scope.kind === 'account' ? 'account' : `symbol:${scope.symbol}`;
}

export function lockoutId(accountId: AccountId, scope: LockoutScope): string {
  return `${accountId}:${lockoutScopeKey(scope)}`;
}

/**
 * Ranks conditions when two conditional holds meet on one scope. Nothing says which clears later;
 * the rank only has to be fixed so the primary is deterministic. The ones that need an admin (a
 * config change) rank above the broker's `canTrade`.
 */
const CONDITION_RANK: Readonly<Record<LockoutCondition, number>> = {
  'can-trade': 0,
  'config-valid': 1,
  'symbol-unblocked': 2,
};

/**
 * Orders lockout ends: positive when `a` ends later than `b`. A condition counts as later than any
 * instant (nobody knows when it clears, so it is the one to show while it holds); two conditions
 * compare by a fixed rank.
 */
export function compareLockoutEnds(a: LockoutEnd, b: LockoutEnd): number {
  if (a.kind === 'at' && b.kind === 'at') return a.at - b.at;
  if (a.kind === 'condition' && b.kind === 'condition')
    return CONDITION_RANK[a.condition] - CONDITION_RANK[b.condition];
  return a.kind === 'condition' ? 1 : -1;
}

/** An end as text for reasons and alerts: `until 2026-01-06T23:00:00.000Z`, `until can-trade`. */
export function formatLockoutEnd(end: LockoutEnd): string {
  return end.kind === 'at' ? `until ${new Date(end.at).toISOString()}` : `until ${end.condition}`;
}

/** True when the hold has not ended at `now` (a condition holds until it is cleared). */
export function holdInForce(hold: LockoutHold, now: Instant): boolean {
  return hold.end.kind !== 'at' || hold.end.at > now;
}

/**
 * True when the lockout is in force at `now`: any of its holds has not ended (the primary's
 * instant may have passed while another hold remains). A lockout whose every end instant has
 * passed is treated as lifted even before the facade removes it (expiry may lag by a timer tick).
 * Allocates nothing: it runs on the hot path.
 */
export function lockoutInForce(lockout: Lockout, now: Instant): boolean {
  if (holdInForce(lockout, now)) return true;
  const holds = lockout.holds;
  if (!holds) return false;
  for (const hold of holds) if (holdInForce(hold, now)) return true;
  return false;
}

/** The primary hold of a lockout (its own fields), without the record's id, scope and holds. */
export function primaryHold(lockout: Lockout): LockoutHold {
  return toHold(lockout);
}

/** Every hold of a lockout: the primary first, then the others. */
export function lockoutHolds(lockout: Lockout): readonly LockoutHold[] {
  const primary = toHold(lockout);
  return lockout.holds && lockout.holds.length > 0 ? [primary, ...lockout.holds] : [primary];
}

/**
 * True when the lockout already holds `end`: the same condition, or an instant at or after it.
 * Such a request adds nothing (it is subsumed).
 */
export function lockoutSubsumes(lockout: Lockout, end: LockoutEnd): boolean {
  for (const hold of lockoutHolds(lockout)) {
    if (end.kind === 'condition') {
      if (hold.end.kind === 'condition' && hold.end.condition === end.condition) return true;
    } else if (hold.end.kind === 'at' && hold.end.at >= end.at) return true;
  }
  return false;
}

/** The earliest instant among the lockout's holds (when its end timer is due), if it has one. */
export function nextLockoutInstant(lockout: Lockout): Instant | undefined {
  let next: Instant | undefined;
  for (const hold of lockoutHolds(lockout))
    if (hold.end.kind === 'at' && (next === undefined || hold.end.at < next)) next = hold.end.at;
  return next;
}

/**
 * Since when the scope has been locked without a break, as far as the holds in force at `now`
 * tell: the earliest start among them. Undefined when no hold is in force.
 */
export function lockedSince(lockout: Lockout, now: Instant): Instant | undefined {
  let since: Instant | undefined;
  for (const hold of lockoutHolds(lockout)) {
    if (!holdInForce(hold, now)) continue;
    if (since === undefined || hold.startedAt < since) since = hold.startedAt;
  }
  return since;
}

/** A one-hold record of `hold` on the lockout's scope (for audit rows and per-hold questions). */
export function lockoutOfHold(lockout: Lockout, hold: LockoutHold): Lockout {
  return { id: lockout.id, accountId: lockout.accountId, scope: lockout.scope, ...toHold(hold) };
}

/**
 * Adds a hold to the lockout of its scope ("per scope the latest end wins": the scope stays locked
 * until every end asked for has passed). The result keeps the set minimal: holds whose instant
 * passed by `now` are dropped, an instant not later than one already held is subsumed (and an
 * earlier one is replaced by a later one), a condition already held is subsumed; the primary is
 * the hold that ends last. Returns `existing` itself when the hold adds nothing and nothing was
 * dropped.
 */
export function addLockoutHold(existing: Lockout, hold: LockoutHold, now: Instant): Lockout {
  const next = buildLockout(existing, minimalHolds([...lockoutHolds(existing), toHold(hold)], now));
  if (next === undefined) return existing;
  return sameHolds(existing, next) ? existing : next;
}

/**
 * Releases what ended of a lockout: every hold whose instant passed by `release.now`, the holds of
 * the condition that cleared, or everything (`all`). Returns the record that still holds, its
 * primary re-chosen, or undefined when nothing holds any more. Returns `lockout` itself when
 * nothing ended.
 */
export function releaseLockout(lockout: Lockout, release: LockoutRelease): Lockout | undefined {
  return splitLockout(lockout, release).remaining;
}

/** Like {@link releaseLockout}, and also tells which holds ended. */
export function splitLockout(lockout: Lockout, release: LockoutRelease): LockoutSplit {
  const ended: LockoutHold[] = [];
  const kept: LockoutHold[] = [];
  for (const hold of lockoutHolds(lockout)) {
    const ends =
      release.all === true ||
      !holdInForce(hold, release.now) ||
      (release.cleared !== undefined &&
        hold.end.kind === 'condition' &&
        hold.end.condition === release.cleared);
    (ends ? ended : kept).push(hold);
  }
  if (ended.length === 0) return { ended, remaining: lockout };
  return { ended, remaining: buildLockout(lockout, minimalHolds(kept, release.now)) };
}

/** True when `value` has the shape of a {@link LockoutHold} (for records restored from storage). */
export function isLockoutHold(value: unknown): value is LockoutHold {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const end = v['end'] as Record<string, unknown> | null | undefined;
  return (
    typeof v['ruleId'] === 'string' &&
    typeof v['instanceId'] === 'string' &&
    typeof v['code'] === 'string' &&
    typeof v['reason'] === 'string' &&
    typeof v['startedAt'] === 'number' &&
    typeof end === 'object' &&
    end !== null &&
    ((end['kind'] === 'at' && typeof end['at'] === 'number') ||
      (end['kind'] === 'condition' &&
        typeof end['condition'] === 'string' &&
        end['condition'] in CONDITION_RANK))
  );
}

function toHold(hold: LockoutHold): LockoutHold {
  return {
    ruleId: hold.ruleId,
    instanceId: hold.instanceId,
    code: hold.code,
    reason: hold.reason,
    startedAt: hold.startedAt,
    end: hold.end,
  };
}

/**
 * The minimal set of `holds` at `now`, latest end first: passed instants dropped, one instant
 * (the latest; on a tie the first given), one hold per condition (the first given, so a hold
 * already in force keeps its start and reason).
 */
function minimalHolds(holds: readonly LockoutHold[], now: Instant): LockoutHold[] {
  let at: LockoutHold | undefined;
  const conditions = new Map<LockoutCondition, LockoutHold>();
  for (const hold of holds) {
    if (!holdInForce(hold, now)) continue;
    if (hold.end.kind === 'condition') {
      if (!conditions.has(hold.end.condition)) conditions.set(hold.end.condition, hold);
    } else if (at === undefined || compareLockoutEnds(hold.end, at.end) > 0) {
      at = hold;
    }
  }
  const kept = [...conditions.values()];
  if (at) kept.push(at);
  return kept.sort((a, b) => compareLockoutEnds(b.end, a.end));
}

/** The record of `base`'s scope holding `holds` (latest end first), or undefined when there are none. */
function buildLockout(base: Lockout, holds: readonly LockoutHold[]): Lockout | undefined {
  const [primary, ...rest] = holds;
  if (!primary) return undefined;
  return {
    id: base.id,
    accountId: base.accountId,
    scope: base.scope,
    ...toHold(primary),
    ...(rest.length > 0 ? { holds: rest.map(toHold) } : {}),
  };
}

function sameHolds(a: Lockout, b: Lockout): boolean {
  const x = lockoutHolds(a);
  const y = lockoutHolds(b);
  return x.length === y.length && x.every((h, i) => JSON.stringify(h) === JSON.stringify(y[i]));
}
