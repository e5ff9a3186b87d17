import {
  addLockoutHold,
  lockoutHolds,
  lockoutId,
  releaseLockout,
  type AccountId,
  type Instant,
  type Lockout,
  type LockoutHold,
} from '@riskd/core-engine';
import type { ConfigProblem } from './config-errors.js';

/**
 * The config fail-safe (ARCHITECTURE.md "Configuration"): when the file becomes unreadable or
 * invalid while Riskd runs, the last good config stays in force and every account is put under a
 * block-entries lockout (no flatten: existing positions and protective orders stay) whose end is
 * the condition `config-valid`; a valid file lifts it. A lockout is one record per scope with
 * holds (`@riskd/core-engine` `addLockoutHold`), so the fail-safe joins a lockout in force instead
 * of replacing it, and lifting it ends only its own hold. These helpers build and lift those
 * lockouts as data; the daemon sets them in state, persists, audits and alerts.
 */

/** The rule id, instance id and code the fail-safe's lockouts carry (no rule can take `@` ids). */
export const CONFIG_FAIL_SAFE = Object.freeze({
  ruleId: '@config',
  instanceId: '@config',
  code: 'CONFIG_INVALID',
});

/** The fail-safe's state, persisted by the daemon while it lasts. */
export interface ConfigFailSafeState {
  readonly startedAt: Instant;
  readonly problems: readonly ConfigProblem[];
}

/** Whether a lockout is held by the config fail-safe (one of its holds ends with `config-valid`). */
export function isConfigFailSafeLockout(lockout: Lockout): boolean {
  return lockoutHolds(lockout).some((h) => h.end.kind === 'condition' && h.end.condition === 'config-valid');
}

/**
 * The lockouts to set when the file is found broken: on every account, the fail-safe's hold
 * (block entries until a valid config loads) joins the account lockout in force, if any, so the
 * lockout already there (e.g. a daily loss until the reset) keeps holding after the fail-safe
 * lifts. Accounts already held by the fail-safe are left as they are. `inForce` are the lockouts
 * in force now; the records returned replace them.
 */
export function startConfigFailSafe(
  accountIds: readonly AccountId[],
  inForce: readonly Lockout[],
  at: Instant,
  problems: readonly ConfigProblem[],
  previous?: ConfigFailSafeState,
): { readonly lockouts: readonly Lockout[]; readonly state: ConfigFailSafeState } {
  const byId = new Map(inForce.map((l) => [l.id, l]));
  const lockouts: Lockout[] = [];
  const first = problems[0];
  const summary =
    first === undefined ? '' : `: ${first.path === '' ? '' : `${first.path}: `}${first.message}`;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const hold: LockoutHold = Object.freeze({
    ruleId: CONFIG_FAIL_SAFE.ruleId,
    instanceId: CONFIG_FAIL_SAFE.instanceId,
    code: CONFIG_FAIL_SAFE.code,
    reason: `the config file is invalid (${count}${summary}); new entries are blocked until a valid config is loaded`,
    startedAt: at,
    end: Object.freeze({ kind: 'condition' as const, condition: 'config-valid' as const }),
  });
  for (const accountId of accountIds) {
    const id = lockoutId(accountId, { kind: 'account' });
    const existing = byId.get(id);
    if (existing && isConfigFailSafeLockout(existing)) continue;
    lockouts.push(
      Object.freeze(
        existing
          ? addLockoutHold(existing, hold, at)
          : { id, accountId, scope: Object.freeze({ kind: 'account' as const }), ...hold },
      ),
    );
  }
  return Object.freeze({
    lockouts: Object.freeze(lockouts),
    state: Object.freeze({
      startedAt: previous?.startedAt ?? at,
      problems: Object.freeze([...problems]),
    }),
  });
}

/**
 * What to do when a valid config loads again: the fail-safe's hold ends on every lockout it holds.
 * `lift` are the lockouts nothing else holds (to remove); `keep` are the records that still hold
 * by another end, rewritten without the fail-safe (to set), so lifting the fail-safe never lifts
 * anything else.
 */
export function endConfigFailSafe(
  inForce: readonly Lockout[],
  at: Instant,
): { readonly lift: readonly Lockout[]; readonly keep: readonly Lockout[] } {
  const lift: Lockout[] = [];
  const keep: Lockout[] = [];
  for (const lockout of inForce) {
    if (!isConfigFailSafeLockout(lockout)) continue;
    const remaining = releaseLockout(lockout, { now: at, cleared: 'config-valid' });
    if (remaining) keep.push(remaining);
    else lift.push(lockout);
  }
  return Object.freeze({ lift: Object.freeze(lift), keep: Object.freeze(keep) });
}
