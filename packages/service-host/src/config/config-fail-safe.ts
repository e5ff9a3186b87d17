import { lockoutId, type AccountId, type Instant, type Lockout } from '@riskd/core-engine';
import type { ConfigProblem } from './config-errors.js';

/**
 * The config fail-safe (ARCHITECTURE.md "Configuration"): when the file becomes unreadable or
 * invalid while Riskd runs, the last good config stays in force and every account is put under a
 * block-entries lockout (no flatten: existing positions and protective orders stay) whose end is
 * the condition `config-valid`; a valid file lifts it. These helpers build and lift those lockouts
 * as data; the daemon sets them in state, persists, audits and alerts.
 */

/** The rule id, instance id and code the fail-safe's lockouts carry (no rule can take `@` ids). */
export const CONFIG_FAIL_SAFE = Object.freeze({
  ruleId: '@config',
  instanceId: '@config',
  code: 'CONFIG_INVALID',
});

/**
 * The fail-safe's state, persisted by the daemon while it lasts. Lockouts are one per scope, so
 * the fail-safe's account lockout replaces an account lockout already in force (e.g. a daily loss
 * until the reset); that lockout is kept here and restored when the fail-safe lifts, if it has
 * not ended by then, so lifting the fail-safe never lifts anything else.
 */
export interface ConfigFailSafeState {
  readonly startedAt: Instant;
  readonly problems: readonly ConfigProblem[];
  readonly superseded: readonly Lockout[];
}

/** Whether a lockout is the config fail-safe's (its end is the `config-valid` condition). */
export function isConfigFailSafeLockout(lockout: Lockout): boolean {
  return lockout.end.kind === 'condition' && lockout.end.condition === 'config-valid';
}

/**
 * The lockouts to set when the file is found broken: one account lockout per account, ending
 * when a valid config loads. Accounts already under the fail-safe keep theirs. `inForce` are the
 * lockouts in force now (the superseded ones are returned in the state, to restore later).
 */
export function startConfigFailSafe(
  accountIds: readonly AccountId[],
  inForce: readonly Lockout[],
  at: Instant,
  problems: readonly ConfigProblem[],
  previous?: ConfigFailSafeState,
): { readonly lockouts: readonly Lockout[]; readonly state: ConfigFailSafeState } {
  const byId = new Map(inForce.map((l) => [l.id, l]));
  const superseded = [...(previous?.superseded ?? [])];
  const lockouts: Lockout[] = [];
  const first = problems[0];
  const summary =
    first === undefined ? '' : `: ${first.path === '' ? '' : `${first.path}: `}${first.message}`;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  for (const accountId of accountIds) {
    const id = lockoutId(accountId, { kind: 'account' });
    const existing = byId.get(id);
    if (existing && isConfigFailSafeLockout(existing)) continue;
    if (existing && !superseded.some((l) => l.id === id)) superseded.push(existing);
    lockouts.push(
      Object.freeze({
        id,
        accountId,
        scope: Object.freeze({ kind: 'account' as const }),
        ruleId: CONFIG_FAIL_SAFE.ruleId,
        instanceId: CONFIG_FAIL_SAFE.instanceId,
        code: CONFIG_FAIL_SAFE.code,
        reason: `the config file is invalid (${count}${summary}); new entries are blocked until a valid config is loaded`,
        startedAt: at,
        end: Object.freeze({ kind: 'condition' as const, condition: 'config-valid' as const }),
      }),
    );
  }
  return Object.freeze({
    lockouts: Object.freeze(lockouts),
    state: Object.freeze({
      startedAt: previous?.startedAt ?? at,
      problems: Object.freeze([...problems]),
      superseded: Object.freeze(superseded),
    }),
  });
}

/**
 * What to do when a valid config loads again: lift every fail-safe lockout in force, and put back
 * the lockouts they replaced that have not ended by `at` (condition ends, or instants after `at`).
 */
export function endConfigFailSafe(
  state: ConfigFailSafeState | undefined,
  inForce: readonly Lockout[],
  at: Instant,
): { readonly lift: readonly Lockout[]; readonly restore: readonly Lockout[] } {
  const lift = inForce.filter(isConfigFailSafeLockout);
  const lifted = new Set(lift.map((l) => l.id));
  const restore = (state?.superseded ?? []).filter(
    (l) => lifted.has(l.id) && (l.end.kind === 'condition' || l.end.at > at),
  );
  return Object.freeze({ lift: Object.freeze(lift), restore: Object.freeze(restore) });
}
