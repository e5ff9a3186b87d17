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

/** A persisted lockout of an account or of one of its symbols. */
export interface Lockout {
  /** Stable id: `<accountId>:<scopeKey>`. One lockout per scope; the latest end wins. */
  readonly id: string;
  readonly accountId: AccountId;
  readonly scope: LockoutScope;
  readonly ruleId: string;
  readonly instanceId: string;
  readonly code: string;
  readonly reason: string;
  readonly startedAt: Instant;
  readonly end: LockoutEnd;
}

export function lockoutScopeKey(scope: LockoutScope): string {
  return scope.kind === 'account' ? 'account' : `symbol:${scope.symbol}`;
}

export function lockoutId(accountId: AccountId, scope: LockoutScope): string {
  return `${accountId}:${lockoutScopeKey(scope)}`;
}
