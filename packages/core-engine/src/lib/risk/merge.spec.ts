import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  lockoutId,
  primaryHold,
  type Lockout,
  type LockoutEnd,
  type LockoutEndSpec,
} from '../domain/lockout.js';
import type { Decision, DecisionAction, RuleMode } from '../rules/rule-api.js';
import { compareLockoutEnds, mergeDecisions, type MergeEnv } from './merge.js';
import type { Outcome } from './outcome.js';
import { testEvents } from './risk-state.fake.js';

const T0 = Date.UTC(2026, 0, 6, 15, 0);
const RESET = Date.UTC(2026, 0, 6, 23, 0);
const SESSION = Date.UTC(2026, 0, 6, 23, 0);
const WEEK = Date.UTC(2026, 0, 11, 23, 0);
const MIN = 60_000;
const EVENT = testEvents.connection(T0);

/** Resolves ends like the engine would at T0, with fixed calendar answers. */
function resolveEnd(spec: LockoutEndSpec): LockoutEnd {
  switch (spec.kind) {
    case 'at':
      return { kind: 'at', at: spec.at };
    case 'duration':
      return { kind: 'at', at: T0 + spec.ms };
    case 'reset':
      return { kind: 'at', at: RESET };
    case 'session-start':
      return { kind: 'at', at: SESSION };
    case 'week-reset':
      return { kind: 'at', at: WEEK };
    case 'condition':
      return { kind: 'condition', condition: spec.condition };
  }
}

function envWith(existing: Lockout[] = []): MergeEnv {
  return { resolveEnd, existingLockout: (_accountId, id) => existing.find((l) => l.id === id) };
}

let seq = 0;
/** A stamped decision; the instance id defaults to a fresh one so each decision is its own rule. */
function d(action: DecisionAction, more: Partial<Decision> = {}): Decision {
  const instanceId = more.instanceId ?? `r${++seq}`;
  return {
    action,
    accountId: 1,
    ruleId: instanceId,
    instanceId,
    mode: 'enforce',
    severity: 'info',
    decidedAt: T0,
    code: `CODE_${instanceId}`,
    reason: `reason of ${instanceId}`,
    ...more,
  };
}

const close = (contractId: string, more: Partial<Decision> = {}): Decision =>
  d('close-position', { contractId, ...more });
const reduce = (contractId: string, reduceTo: number, more: Partial<Decision> = {}): Decision =>
  d('reduce-position', { contractId, reduceTo, ...more });
const cancel = (contractId: string, orderIds: number[], more: Partial<Decision> = {}): Decision =>
  d('cancel-orders', { contractId, orderIds, ...more });
const flatten = (more: Partial<Decision> = {}): Decision => d('flatten', more);
const alert = (more: Partial<Decision> = {}): Decision => d('alert', more);
const lock = (
  scope: 'account' | string,
  end: LockoutEndSpec,
  more: Partial<Decision> = {},
  action: DecisionAction = 'none',
): Decision =>
  d(action, {
    lockout: { scope: scope === 'account' ? { kind: 'account' } : { kind: 'symbol', symbol: scope }, end },
    ...more,
  });
const shadowOf = (decision: Decision, mode: RuleMode = 'dry-run'): Decision => ({ ...decision, mode });

/** A compact, readable picture of an outcome for the truth table. */
function picture(outcome: Outcome): Record<string, unknown> {
  const accounts: Record<string, unknown> = {};
  for (const [accountId, a] of outcome.accounts) {
    const entry: Record<string, unknown> = {};
    if (a.flatten.length > 0) entry['flatten'] = a.flatten.map((x) => x.instanceId);
    if (a.contracts.size > 0) {
      entry['contracts'] = Object.fromEntries(
        [...a.contracts].map(([c, action]) => [
          c,
          `${action.kind}${action.kind === 'reduce' ? ` to ${action.reduceTo}` : ''}` +
            (action.cancelOrderIds.length > 0 ? ` +cancel ${action.cancelOrderIds.join(',')}` : '') +
            ` [${action.decisions.map((x) => x.instanceId).join(',')}]`,
        ]),
      );
    }
    if (a.lockouts.length > 0) {
      // One string per scope, or the list (in outcome order) when a scope gets several ends.
      const byScope = new Map<string, string[]>();
      for (const l of a.lockouts) {
        const scope = l.scope.kind === 'account' ? 'account' : `symbol ${l.scope.symbol}`;
        const text = `${l.end.kind === 'at' ? `at +${(l.end.at - T0) / MIN}m` : l.end.condition} by ${l.decision.instanceId}`;
        byScope.set(scope, [...(byScope.get(scope) ?? []), text]);
      }
      entry['lockouts'] = Object.fromEntries(
        [...byScope].map(([scope, texts]) => [scope, texts.length === 1 ? texts[0] : texts]),
      );
    }
    if (a.alerts.length > 0) entry['alerts'] = a.alerts.map((x) => x.instanceId);
    if (a.shadow.length > 0) entry['shadow'] = a.shadow.map((x) => x.instanceId);
    accounts[accountId] = entry;
  }
  return accounts;
}

interface Case {
  readonly name: string;
  readonly decisions: readonly Decision[];
  readonly existing?: Lockout[];
  readonly expected: Record<string, unknown>;
}

const C1 = 'CON.F.US.MNQ.Z25';
const C2 = 'CON.F.US.ENQ.Z25';
const H = 60 * MIN;
const existingLockout = (end: LockoutEnd, scope: Lockout['scope'] = { kind: 'account' }): Lockout => ({
  id: lockoutId(1, scope),
  accountId: 1,
  scope,
  ruleId: 'old',
  instanceId: 'old',
  code: 'OLD',
  reason: 'old',
  startedAt: T0 - H,
  end,
});

/**
 * The merge truth table (RULES.md section 2). Instance ids name the decisions: `a`, `b`, ... are
 * sorted before each other, which decides ties.
 */
const TRUTH_TABLE: Case[] = [
  // Actions on one contract, every pair.
  {
    name: 'close + close',
    decisions: [close(C1, { instanceId: 'a' }), close(C1, { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'close [a,b]' } } },
  },
  {
    name: 'close + reduce',
    decisions: [close(C1, { instanceId: 'a' }), reduce(C1, 1, { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'close [a,b]' } } },
  },
  {
    name: 'reduce + close (order reversed)',
    decisions: [reduce(C1, 1, { instanceId: 'a' }), close(C1, { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'close [a,b]' } } },
  },
  {
    name: 'close + cancel',
    decisions: [close(C1, { instanceId: 'a' }), cancel(C1, [7], { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'close +cancel 7 [a,b]' } } },
  },
  {
    name: 'reduce + reduce: smallest resulting size wins',
    decisions: [reduce(C1, 3, { instanceId: 'a' }), reduce(C1, 1, { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'reduce to 1 [a,b]' } } },
  },
  {
    name: 'reduce + cancel',
    decisions: [reduce(C1, 2, { instanceId: 'a' }), cancel(C1, [9, 8], { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'reduce to 2 +cancel 8,9 [a,b]' } } },
  },
  {
    name: 'cancel + cancel: order ids are united',
    decisions: [cancel(C1, [5, 3], { instanceId: 'a' }), cancel(C1, [3, 4], { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'cancel +cancel 3,4,5 [a,b]' } } },
  },
  {
    name: 'reduce to 0 is a close',
    decisions: [reduce(C1, 0, { instanceId: 'a' }), reduce(C1, 2, { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'close [a,b]' } } },
  },
  {
    name: 'cancel alone',
    decisions: [cancel(C1, [1], { instanceId: 'a' })],
    expected: { 1: { contracts: { [C1]: 'cancel +cancel 1 [a]' } } },
  },
  // Flatten covers everything.
  {
    name: 'flatten + close',
    decisions: [flatten({ instanceId: 'a' }), close(C1, { instanceId: 'b' })],
    expected: { 1: { flatten: ['a'] } },
  },
  {
    name: 'flatten + reduce + cancel on other contracts',
    decisions: [
      reduce(C2, 1, { instanceId: 'b' }),
      cancel(C1, [1], { instanceId: 'c' }),
      flatten({ instanceId: 'a' }),
    ],
    expected: { 1: { flatten: ['a'] } },
  },
  {
    name: 'flatten + flatten',
    decisions: [flatten({ instanceId: 'b' }), flatten({ instanceId: 'a' })],
    expected: { 1: { flatten: ['a', 'b'] } },
  },
  {
    name: 'flatten + alert: the alert stays',
    decisions: [flatten({ instanceId: 'a' }), alert({ instanceId: 'b' })],
    expected: { 1: { flatten: ['a'], alerts: ['b'] } },
  },
  // Different contracts all happen.
  {
    name: 'close C1 + reduce C2',
    decisions: [close(C1, { instanceId: 'a' }), reduce(C2, 2, { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'close [a]', [C2]: 'reduce to 2 [b]' } } },
  },
  {
    name: 'alert + close',
    decisions: [alert({ instanceId: 'a' }), close(C1, { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'close [b]' }, alerts: ['a'] } },
  },
  { name: 'none without lockout: nothing', decisions: [d('none', { instanceId: 'a' })], expected: {} },
  // Modes: shadow decisions never act or outrank.
  {
    name: 'enforce reduce + dry-run close',
    decisions: [reduce(C1, 3, { instanceId: 'a' }), shadowOf(close(C1, { instanceId: 'b' }))],
    expected: { 1: { contracts: { [C1]: 'reduce to 3 [a]' }, shadow: ['b'] } },
  },
  {
    name: 'enforce close + alert-only flatten',
    decisions: [close(C1, { instanceId: 'a' }), shadowOf(flatten({ instanceId: 'b' }), 'alert-only')],
    expected: { 1: { contracts: { [C1]: 'close [a]' }, shadow: ['b'] } },
  },
  {
    name: 'dry-run reduce to 0 + enforce reduce to 3',
    decisions: [shadowOf(reduce(C1, 0, { instanceId: 'a' })), reduce(C1, 3, { instanceId: 'b' })],
    expected: { 1: { contracts: { [C1]: 'reduce to 3 [b]' }, shadow: ['a'] } },
  },
  {
    name: 'alert-only alert goes to shadow, not alerts',
    decisions: [shadowOf(alert({ instanceId: 'a' }), 'alert-only')],
    expected: { 1: { shadow: ['a'] } },
  },
  {
    name: 'dry-run lockout starts nothing',
    decisions: [shadowOf(lock('account', { kind: 'reset' }, { instanceId: 'a' }), 'dry-run')],
    expected: { 1: { shadow: ['a'] } },
  },
  {
    name: 'alert-only longer lockout does not outrank enforce shorter one',
    decisions: [
      lock('account', { kind: 'duration', ms: 5 * MIN }, { instanceId: 'a' }),
      shadowOf(lock('account', { kind: 'week-reset' }, { instanceId: 'b' }), 'alert-only'),
    ],
    expected: { 1: { lockouts: { account: 'at +5m by a' }, shadow: ['b'] } },
  },
  // Lockouts: per scope, latest end wins.
  {
    name: 'account 5m + account 15m',
    decisions: [
      lock('account', { kind: 'duration', ms: 15 * MIN }, { instanceId: 'a' }),
      lock('account', { kind: 'duration', ms: 5 * MIN }, { instanceId: 'b' }),
    ],
    expected: { 1: { lockouts: { account: 'at +15m by a' } } },
  },
  {
    name: 'account until-reset + account 1h',
    decisions: [
      lock('account', { kind: 'duration', ms: H }, { instanceId: 'a' }),
      lock('account', { kind: 'reset' }, { instanceId: 'b' }),
    ],
    expected: { 1: { lockouts: { account: 'at +480m by b' } } },
  },
  {
    name: 'account week-reset + account until-reset',
    decisions: [
      lock('account', { kind: 'reset' }, { instanceId: 'a' }),
      lock('account', { kind: 'week-reset' }, { instanceId: 'b' }),
    ],
    expected: { 1: { lockouts: { account: `at +${(WEEK - T0) / MIN}m by b` } } },
  },
  {
    name: 'account session-start + account at instant later',
    decisions: [
      lock('account', { kind: 'session-start' }, { instanceId: 'a' }),
      lock('account', { kind: 'at', at: T0 + 9 * H }, { instanceId: 'b' }),
    ],
    expected: { 1: { lockouts: { account: 'at +540m by b' } } },
  },
  {
    name: 'condition + instant: both are asked for, the condition first',
    decisions: [
      lock('account', { kind: 'week-reset' }, { instanceId: 'a' }),
      lock('account', { kind: 'condition', condition: 'can-trade' }, { instanceId: 'b' }),
    ],
    expected: {
      1: { lockouts: { account: ['can-trade by b', `at +${(WEEK - T0) / MIN}m by a`] } },
    },
  },
  {
    name: 'condition + two instants: the condition and the latest instant',
    decisions: [
      lock('account', { kind: 'duration', ms: H }, { instanceId: 'a' }),
      lock('account', { kind: 'condition', condition: 'can-trade' }, { instanceId: 'b' }),
      lock('account', { kind: 'reset' }, { instanceId: 'c' }),
    ],
    expected: { 1: { lockouts: { account: ['can-trade by b', 'at +480m by c'] } } },
  },
  {
    name: 'two conditions: both, config-valid ranks above can-trade',
    decisions: [
      lock('account', { kind: 'condition', condition: 'config-valid' }, { instanceId: 'b' }),
      lock('account', { kind: 'condition', condition: 'can-trade' }, { instanceId: 'a' }),
    ],
    expected: { 1: { lockouts: { account: ['config-valid by b', 'can-trade by a'] } } },
  },
  {
    name: 'symbol-unblocked + config-valid: both, symbol-unblocked ranks first',
    decisions: [
      lock('MNQ', { kind: 'condition', condition: 'config-valid' }, { instanceId: 'a' }),
      lock('MNQ', { kind: 'condition', condition: 'symbol-unblocked' }, { instanceId: 'b' }),
    ],
    expected: { 1: { lockouts: { 'symbol MNQ': ['symbol-unblocked by b', 'config-valid by a'] } } },
  },
  {
    name: 'one condition asked twice: the canonically first decision carries it',
    decisions: [
      lock('account', { kind: 'condition', condition: 'can-trade' }, { instanceId: 'b' }),
      lock('account', { kind: 'condition', condition: 'can-trade' }, { instanceId: 'a' }),
    ],
    expected: { 1: { lockouts: { account: 'can-trade by a' } } },
  },
  {
    name: 'equal ends: the canonically first decision carries it',
    decisions: [
      lock('account', { kind: 'reset' }, { instanceId: 'b' }),
      lock('account', { kind: 'duration', ms: RESET - T0 }, { instanceId: 'a' }),
    ],
    expected: { 1: { lockouts: { account: 'at +480m by a' } } },
  },
  {
    name: 'symbol + account: both, the symbol never widens',
    decisions: [
      lock('MNQ', { kind: 'week-reset' }, { instanceId: 'a' }),
      lock('account', { kind: 'duration', ms: 5 * MIN }, { instanceId: 'b' }),
    ],
    expected: { 1: { lockouts: { account: 'at +5m by b', 'symbol MNQ': `at +${(WEEK - T0) / MIN}m by a` } } },
  },
  {
    name: 'symbol MNQ + symbol NQ: separate scopes',
    decisions: [
      lock('MNQ', { kind: 'duration', ms: H }, { instanceId: 'a' }),
      lock('NQ', { kind: 'duration', ms: 5 * MIN }, { instanceId: 'b' }),
    ],
    expected: { 1: { lockouts: { 'symbol MNQ': 'at +60m by a', 'symbol NQ': 'at +5m by b' } } },
  },
  {
    name: 'symbol 1h + same symbol 5m',
    decisions: [
      lock('MNQ', { kind: 'duration', ms: 5 * MIN }, { instanceId: 'a' }),
      lock('MNQ', { kind: 'duration', ms: H }, { instanceId: 'b' }),
    ],
    expected: { 1: { lockouts: { 'symbol MNQ': 'at +60m by b' } } },
  },
  {
    name: 'flatten with lockout',
    decisions: [
      lock('account', { kind: 'reset' }, { instanceId: 'a' }, 'flatten'),
      close(C1, { instanceId: 'b' }),
    ],
    expected: { 1: { flatten: ['a'], lockouts: { account: 'at +480m by a' } } },
  },
  {
    name: 'close with a symbol lockout',
    decisions: [
      lock('MNQ', { kind: 'session-start' }, { instanceId: 'a', contractId: C1 }, 'close-position'),
    ],
    expected: { 1: { contracts: { [C1]: 'close [a]' }, lockouts: { 'symbol MNQ': 'at +480m by a' } } },
  },
  {
    name: 'a lockout ending at or before the decision locks nothing',
    decisions: [
      lock('account', { kind: 'at', at: T0 }, { instanceId: 'a' }),
      lock('MNQ', { kind: 'at', at: T0 - 1 }, { instanceId: 'b' }, 'alert'),
    ],
    expected: { 1: { alerts: ['b'] } },
  },
  // Lockouts in force.
  {
    name: 'a lockout in force ending later is kept (new one dropped)',
    existing: [existingLockout({ kind: 'at', at: RESET })],
    decisions: [lock('account', { kind: 'duration', ms: 5 * MIN }, { instanceId: 'a' })],
    expected: {},
  },
  {
    name: 'a lockout in force ending at the same instant is kept',
    existing: [existingLockout({ kind: 'at', at: T0 + 5 * MIN })],
    decisions: [lock('account', { kind: 'duration', ms: 5 * MIN }, { instanceId: 'a' })],
    expected: {},
  },
  {
    name: 'a lockout in force ending sooner is extended',
    existing: [existingLockout({ kind: 'at', at: T0 + MIN })],
    decisions: [lock('account', { kind: 'duration', ms: 5 * MIN }, { instanceId: 'a' })],
    expected: { 1: { lockouts: { account: 'at +5m by a' } } },
  },
  {
    name: 'an instant under a condition lockout in force is asked for (it holds once the condition clears)',
    existing: [existingLockout({ kind: 'condition', condition: 'can-trade' })],
    decisions: [lock('account', { kind: 'reset' }, { instanceId: 'a' })],
    expected: { 1: { lockouts: { account: 'at +480m by a' } } },
  },
  {
    name: 'a condition over an instant lockout in force is asked for',
    existing: [existingLockout({ kind: 'at', at: RESET })],
    decisions: [lock('account', { kind: 'condition', condition: 'config-valid' }, { instanceId: 'a' })],
    expected: { 1: { lockouts: { account: 'config-valid by a' } } },
  },
  {
    name: 'a condition already held in force is not asked for again',
    existing: [existingLockout({ kind: 'condition', condition: 'can-trade' })],
    decisions: [lock('account', { kind: 'condition', condition: 'can-trade' }, { instanceId: 'a' })],
    expected: {},
  },
  {
    name: 'another condition than the one in force is asked for',
    existing: [existingLockout({ kind: 'condition', condition: 'can-trade' })],
    decisions: [lock('account', { kind: 'condition', condition: 'config-valid' }, { instanceId: 'a' })],
    expected: { 1: { lockouts: { account: 'config-valid by a' } } },
  },
  {
    name: 'an instant held under a condition primary subsumes a shorter one, not a longer one',
    existing: [
      {
        ...existingLockout({ kind: 'condition', condition: 'config-valid' }),
        holds: [primaryHold(existingLockout({ kind: 'at', at: RESET }))],
      },
    ],
    decisions: [
      lock('account', { kind: 'duration', ms: H }, { instanceId: 'a' }),
      lock('MNQ', { kind: 'duration', ms: H }, { instanceId: 'b' }),
    ],
    expected: { 1: { lockouts: { 'symbol MNQ': 'at +60m by b' } } },
  },
  {
    name: 'an instant later than the one held under a condition primary is asked for',
    existing: [
      {
        ...existingLockout({ kind: 'condition', condition: 'config-valid' }),
        holds: [primaryHold(existingLockout({ kind: 'at', at: RESET }))],
      },
    ],
    decisions: [lock('account', { kind: 'week-reset' }, { instanceId: 'a' })],
    expected: { 1: { lockouts: { account: `at +${(WEEK - T0) / MIN}m by a` } } },
  },
  {
    name: 'an account lockout in force does not absorb a new symbol lockout',
    existing: [existingLockout({ kind: 'at', at: WEEK })],
    decisions: [lock('MNQ', { kind: 'duration', ms: 5 * MIN }, { instanceId: 'a' })],
    expected: { 1: { lockouts: { 'symbol MNQ': 'at +5m by a' } } },
  },
  {
    name: 'a dropped lockout still lets its action through',
    existing: [existingLockout({ kind: 'at', at: WEEK })],
    decisions: [lock('account', { kind: 'reset' }, { instanceId: 'a' }, 'flatten')],
    expected: { 1: { flatten: ['a'] } },
  },
  // Accounts are independent.
  {
    name: 'two accounts',
    decisions: [close(C1, { instanceId: 'a', accountId: 2 }), flatten({ instanceId: 'b', accountId: 1 })],
    expected: { 1: { flatten: ['b'] }, 2: { contracts: { [C1]: 'close [a]' } } },
  },
];

describe('mergeDecisions truth table', () => {
  it.each(TRUTH_TABLE)(
    'when $name then the outcome is as in the table',
    ({ decisions, existing, expected }) => {
      const outcome = mergeDecisions(EVENT, T0, decisions, envWith(existing));
      expect(picture(outcome)).toEqual(expected);
      // Every decision is kept for the audit trail, in canonical order.
      expect(outcome.decisions).toHaveLength(decisions.length);
    },
  );

  it('when no decisions are given then the outcome is empty and shares nothing mutable', () => {
    const outcome = mergeDecisions(EVENT, T0, [], envWith());
    expect(outcome.accounts.size).toBe(0);
    expect(outcome.decisions).toEqual([]);
    expect(outcome.event).toBe(EVENT);
    expect(outcome.decidedAt).toBe(T0);
  });

  it('when a reduce has no reduceTo or a close no contract then the merge refuses the input', () => {
    expect(() => mergeDecisions(EVENT, T0, [d('reduce-position', { contractId: C1 })], envWith())).toThrow(
      /no reduceTo/,
    );
    expect(() => mergeDecisions(EVENT, T0, [d('close-position')], envWith())).toThrow(/no contractId/);
  });
});

describe('compareLockoutEnds', () => {
  it('when ends are compared then instants order by time and conditions come after instants', () => {
    const at = (x: number): LockoutEnd => ({ kind: 'at', at: x });
    expect(compareLockoutEnds(at(2), at(1))).toBeGreaterThan(0);
    expect(compareLockoutEnds(at(1), at(1))).toBe(0);
    expect(
      compareLockoutEnds({ kind: 'condition', condition: 'can-trade' }, at(Number.MAX_SAFE_INTEGER)),
    ).toBeGreaterThan(0);
    expect(
      compareLockoutEnds(at(Number.MAX_SAFE_INTEGER), { kind: 'condition', condition: 'can-trade' }),
    ).toBeLessThan(0);
  });
});

const decisionArb: fc.Arbitrary<Decision> = fc
  .record({
    accountId: fc.constantFrom(1, 2),
    instanceId: fc.constantFrom('a', 'b', 'c', 'd'),
    action: fc.constantFrom<DecisionAction>(
      'alert',
      'cancel-orders',
      'reduce-position',
      'close-position',
      'flatten',
      'none',
    ),
    contractId: fc.constantFrom(C1, C2),
    reduceTo: fc.integer({ min: 0, max: 4 }),
    orderIds: fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { maxLength: 3 }),
    mode: fc.constantFrom<RuleMode>('enforce', 'enforce', 'alert-only', 'dry-run'),
    code: fc.constantFrom('X', 'Y'),
    lockout: fc.option(
      fc.record({
        scope: fc.constantFrom(
          { kind: 'account' as const },
          { kind: 'symbol' as const, symbol: 'MNQ' },
          { kind: 'symbol' as const, symbol: 'NQ' },
        ),
        end: fc.constantFrom<LockoutEndSpec>(
          { kind: 'duration', ms: 5 * MIN },
          { kind: 'duration', ms: RESET - T0 },
          { kind: 'reset' },
          { kind: 'week-reset' },
          { kind: 'session-start' },
          { kind: 'condition', condition: 'can-trade' },
          { kind: 'condition', condition: 'config-valid' },
        ),
      }),
      { nil: undefined },
    ),
  })
  .map((r) => ({
    action: r.action,
    accountId: r.accountId,
    ruleId: r.instanceId,
    instanceId: r.instanceId,
    mode: r.mode,
    severity: 'info' as const,
    decidedAt: T0,
    code: r.code,
    reason: `${r.code} by ${r.instanceId}`,
    ...(r.action === 'alert' || r.action === 'flatten' || r.action === 'none'
      ? {}
      : { contractId: r.contractId }),
    ...(r.action === 'reduce-position' ? { reduceTo: r.reduceTo } : {}),
    ...(r.action === 'cancel-orders' ? { orderIds: r.orderIds } : {}),
    ...(r.lockout ? { lockout: r.lockout } : {}),
  }));

describe('mergeDecisions properties', () => {
  const existing = [existingLockout({ kind: 'at', at: T0 + 2 * H })];

  it('when the decisions of an event come in any order then the outcome is deep-equal', () => {
    fc.assert(
      fc.property(
        fc
          .array(decisionArb, { maxLength: 14 })
          .chain((ds) =>
            fc.tuple(
              fc.constant(ds),
              fc.shuffledSubarray(ds, { minLength: ds.length, maxLength: ds.length }),
            ),
          ),
        ([decisions, shuffled]) => {
          const a = mergeDecisions(EVENT, T0, decisions, envWith(existing));
          const b = mergeDecisions(EVENT, T0, shuffled, envWith(existing));
          expect(b).toEqual(a);
          expect(picture(b)).toEqual(picture(a));
        },
      ),
    );
  });

  it('when shadow decisions are added then the enforce part of the outcome does not change', () => {
    fc.assert(
      fc.property(fc.array(decisionArb, { maxLength: 14 }), (decisions) => {
        const enforce = decisions.filter((x) => x.mode === 'enforce');
        const withShadow = mergeDecisions(EVENT, T0, decisions, envWith(existing));
        const without = mergeDecisions(EVENT, T0, enforce, envWith(existing));
        const acting = (o: Outcome) =>
          [...o.accounts]
            .map(([id, a]) => [id, a.flatten, [...a.contracts], a.lockouts, a.alerts])
            .filter(
              ([, f, c, l, al]) =>
                (f as unknown[]).length +
                  (c as unknown[]).length +
                  (l as unknown[]).length +
                  (al as unknown[]).length >
                0,
            );
        expect(acting(withShadow)).toEqual(acting(without));
        const shadowCount = [...withShadow.accounts.values()].reduce((n, a) => n + a.shadow.length, 0);
        expect(shadowCount).toBe(decisions.length - enforce.length);
      }),
    );
  });

  it('when an account is flattened then it has no per-contract actions, and reduce targets never exceed a request', () => {
    fc.assert(
      fc.property(fc.array(decisionArb, { maxLength: 14 }), (decisions) => {
        const outcome = mergeDecisions(EVENT, T0, decisions, envWith());
        for (const a of outcome.accounts.values()) {
          if (a.flatten.length > 0) expect(a.contracts.size).toBe(0);
          for (const action of a.contracts.values()) {
            if (action.kind !== 'reduce') continue;
            const asked = action.decisions
              .filter((x) => x.action === 'reduce-position')
              .map((x) => x.reduceTo ?? 0);
            expect(action.reduceTo).toBe(Math.min(...asked));
          }
        }
      }),
    );
  });
});
