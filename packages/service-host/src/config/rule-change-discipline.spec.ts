import {
  FakeClock,
  lockoutId,
  resolveRuleSet,
  type AccountId,
  type Lockout,
  type LockoutScope,
  type ValidatedRuleEntry,
} from '@riskd/core-engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-errors.js';
import type { RiskdConfig } from './config-schema.js';
import { loadDocument, rulesDocument, standardRegistry } from './config-test-fixtures.js';
import {
  lockoutsLiftedByConfig,
  parsePendingChanges,
  planConfigChange,
  RuleChangeDiscipline,
  serializePendingChanges,
  type ConfigChangePlan,
  type PlanOptions,
  type ProtectionChange,
} from './rule-change-discipline.js';

const T0 = Date.parse('2026-03-02T15:00:00Z');
const UNLISTED = 99_999;

async function configOf(
  rules: readonly unknown[],
  accounts: readonly unknown[] = [],
  extra: Record<string, unknown> = {},
): Promise<RiskdConfig> {
  return (await loadDocument(rulesDocument(rules, accounts, extra))).config;
}

function plan(
  previous: RiskdConfig,
  next: RiskdConfig,
  options: Partial<PlanOptions> = {},
): ConfigChangePlan {
  return planConfigChange(previous, next, standardRegistry, { at: T0, ...options });
}

/** The entry in force for an account under the plan's `applyNow`. */
function inForce(
  rules: Pick<ConfigChangePlan, 'applyNow'>,
  accountId: AccountId,
  instanceId: string,
  name?: string,
): ValidatedRuleEntry | undefined {
  return resolveRuleSet(standardRegistry, rules.applyNow)
    .entriesFor(accountId, name)
    .find((e) => e.instanceId === instanceId);
}

function summary(changes: readonly ProtectionChange[]): string[] {
  return changes.map((c) =>
    c.type === 'rule'
      ? `${c.subjectLabel} ${c.instanceId} ${c.aspect}`
      : c.type === 'account'
        ? `${c.subjectLabel} ${c.aspect}`
        : c.section,
  );
}

const dll = (limit: number, extra: Record<string, unknown> = {}) => ({
  rule: 'daily-loss-limit',
  options: { limit },
  ...extra,
});

describe('planConfigChange: the rule-change discipline', () => {
  it('when a limit is lowered then it is tighter and applies at once, with the file as written', async () => {
    const previous = await configOf([dll(500)]);
    const next = await configOf([dll(400)]);
    const result = plan(previous, next);
    expect(summary(result.tightened)).toEqual(['universal rules daily-loss-limit options']);
    expect(result.loosened).toEqual([]);
    expect(result.pending).toEqual([]);
    expect(result.pendingState).toBeUndefined();
    expect(result.applyNow).toEqual({ rules: next.rules, accounts: next.accounts });
    expect(result.rulesChanged).toBe(true);
    expect(inForce(result, UNLISTED, 'daily-loss-limit')?.options['limit']).toBe(400);
  });

  it('when a limit is raised then it is looser and waits for the reset, the old limit staying in force', async () => {
    const previous = await configOf([dll(500)]);
    const next = await configOf([dll(1000)]);
    const result = plan(previous, next);
    expect(result.tightened).toEqual([]);
    expect(result.pending).toEqual([
      {
        type: 'rule',
        subject: { kind: 'universal' },
        subjectLabel: 'universal rules',
        instanceId: 'daily-loss-limit',
        ruleId: 'daily-loss-limit',
        aspect: 'options',
        effect: 'looser',
        why: 'universal rules: daily-loss-limit options looser: limit 500 -> 1000',
        since: T0,
      },
    ]);
    expect(inForce(result, UNLISTED, 'daily-loss-limit')?.options['limit']).toBe(500);
    expect(result.rulesChanged).toBe(false);
    expect(result.pendingState?.inForce.rules).toEqual(result.effective.rules);
  });

  it('when a loosening is forced with a reason then it applies at once and is returned for the audit', async () => {
    const previous = await configOf([dll(500)]);
    const next = await configOf([dll(1000)]);
    const result = plan(previous, next, { force: { reason: 'funded account, new plan', actor: 'admin' } });
    expect(result.pending).toEqual([]);
    expect(result.forced).toMatchObject({ reason: 'funded account, new plan', actor: 'admin', at: T0 });
    expect(summary(result.forced?.changes ?? [])).toEqual(['universal rules daily-loss-limit options']);
    expect(inForce(result, UNLISTED, 'daily-loss-limit')?.options['limit']).toBe(1000);
    const noReason = (() => {
      try {
        plan(previous, next, { force: { reason: '  ', actor: 'admin' } });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(noReason).toBeInstanceOf(ConfigError);
    expect((noReason as ConfigError).code).toBe('CONFIG_FORCE_REASON_REQUIRED');
  });

  it('when rules are added, removed or switched off then adding is tighter and the others wait', async () => {
    const previous = await configOf([
      dll(500),
      { rule: 'consecutive-losses' },
      { rule: 'stale-market-data' },
    ]);
    const next = await configOf([
      dll(500),
      { rule: 'consecutive-losses', enabled: false },
      { rule: 'max-contracts', options: { limit: 4 } },
    ]);
    const result = plan(previous, next);
    expect(summary(result.tightened)).toEqual(['universal rules max-contracts added']);
    expect(summary(result.loosened)).toEqual([
      'universal rules consecutive-losses removed',
      'universal rules stale-market-data removed',
    ]);
    const ids = resolveRuleSet(standardRegistry, result.applyNow)
      .entriesFor(UNLISTED)
      .map((e) => e.instanceId);
    expect(ids.sort()).toEqual([
      'consecutive-losses',
      'daily-loss-limit',
      'max-contracts',
      'stale-market-data',
    ]);
  });

  it.each([
    ['enforce', 'alert-only', 'looser'],
    ['enforce', 'dry-run', 'looser'],
    ['alert-only', 'dry-run', 'looser'],
    ['alert-only', 'enforce', 'tighter'],
    ['dry-run', 'alert-only', 'tighter'],
  ] as const)('when the mode goes from %s to %s then it is %s', async (from, to, effect) => {
    const result = plan(await configOf([dll(500, { mode: from })]), await configOf([dll(500, { mode: to })]));
    const list = effect === 'tighter' ? result.tightened : result.loosened;
    expect(summary(list)).toEqual(['universal rules daily-loss-limit mode']);
    expect(inForce(result, UNLISTED, 'daily-loss-limit')?.mode).toBe(effect === 'tighter' ? to : from);
  });

  it('when one instance gets a stricter mode and looser options then the mode applies now and the options wait', async () => {
    const previous = await configOf([dll(500, { mode: 'alert-only' })]);
    const next = await configOf([dll(1000, { mode: 'enforce' })]);
    const result = plan(previous, next);
    expect(summary(result.tightened)).toEqual(['universal rules daily-loss-limit mode']);
    expect(summary(result.pending)).toEqual(['universal rules daily-loss-limit options']);
    const entry = inForce(result, UNLISTED, 'daily-loss-limit');
    expect(entry?.mode).toBe('enforce');
    expect(entry?.options['limit']).toBe(500);
  });

  it('when one instance tightens and another loosens then the tightening applies now and the loosening waits', async () => {
    const previous = await configOf([dll(500), { rule: 'max-contracts', options: { limit: 3 } }]);
    const next = await configOf([dll(400), { rule: 'max-contracts', options: { limit: 6 } }]);
    const result = plan(previous, next);
    expect(inForce(result, UNLISTED, 'daily-loss-limit')?.options['limit']).toBe(400);
    expect(inForce(result, UNLISTED, 'max-contracts')?.options['limit']).toBe(3);
    expect(summary(result.pending)).toEqual(['universal rules max-contracts options']);
  });

  it("when one rule's options are tighter in one key and looser in another then the options wait whole", async () => {
    const previous = await configOf([dll(500, { options: { limit: 500, basis: 'combined' } })]);
    const next = await configOf([dll(400, { options: { limit: 400, basis: 'realized' } })]);
    const result = plan(previous, next);
    expect(result.pending).toHaveLength(1);
    expect(result.pending[0]?.why).toBe(
      'universal rules: daily-loss-limit options looser: limit 500 -> 400, basis "combined" -> "realized"',
    );
    expect(inForce(result, UNLISTED, 'daily-loss-limit')?.options).toMatchObject({
      limit: 500,
      basis: 'combined',
    });
  });

  it('when a symbol is unblocked then it waits, and blocking one more applies at once', async () => {
    const block = (symbols: string[]) => ({ rule: 'symbol-block', options: { symbols } });
    const unblock = plan(await configOf([block(['CL', 'GC'])]), await configOf([block(['CL'])]));
    expect(summary(unblock.pending)).toEqual(['universal rules symbol-block options']);
    expect(inForce(unblock, UNLISTED, 'symbol-block')?.options['symbols']).toEqual(['CL', 'GC']);
    const more = plan(await configOf([block(['CL'])]), await configOf([block(['CL', 'M*'])]));
    expect(summary(more.tightened)).toEqual(['universal rules symbol-block options']);
    expect(more.pending).toEqual([]);
  });

  it('when an account is switched off then it stays protected until the reset; switched on applies at once', async () => {
    const on = await configOf(
      [dll(500)],
      [{ id: 70001, rules: [{ rule: 'max-contracts', options: { limit: 2 } }] }],
    );
    const off = await configOf(
      [dll(500)],
      [{ id: 70001, enabled: false, rules: [{ rule: 'max-contracts', options: { limit: 2 } }] }],
    );
    const switchingOff = plan(on, off);
    expect(summary(switchingOff.pending)).toEqual(['account 70001 unprotected']);
    expect(resolveRuleSet(standardRegistry, switchingOff.applyNow).forAccount(70001).protected).toBe(true);
    expect(inForce(switchingOff, 70001, 'max-contracts')?.options['limit']).toBe(2);
    const switchingOn = plan(off, on);
    expect(summary(switchingOn.tightened)).toEqual(['account 70001 protected']);
    expect(switchingOn.pending).toEqual([]);
  });

  it('when an account is switched off and one of its limits lowered then the lower limit applies now on the still-protected account', async () => {
    const before = await configOf([], [{ id: 70001, rules: [dll(500)] }]);
    const after = await configOf([], [{ id: 70001, enabled: false, rules: [dll(300)] }]);
    const result = plan(before, after);
    expect(summary(result.pending)).toEqual(['account 70001 unprotected']);
    expect(summary(result.tightened)).toEqual(['account 70001 daily-loss-limit options']);
    expect(inForce(result, 70001, 'daily-loss-limit')?.options['limit']).toBe(300);
  });

  it('when a preset is removed or swapped for a bigger one then its looser entries wait; adding one applies at once', async () => {
    const none = await configOf([], [{ name: 'PRAC-1' }]);
    const fifty = await configOf([], [{ name: 'PRAC-1', preset: 'topstep-50k' }]);
    const big = await configOf([], [{ name: 'PRAC-1', preset: 'topstep-150k' }]);
    const adding = plan(none, fifty);
    expect(summary(adding.tightened).sort()).toEqual([
      'account "PRAC-1" max-contracts added',
      'account "PRAC-1" max-loss-limit added',
      'account "PRAC-1" trading-session added',
    ]);
    const removing = plan(fifty, none);
    expect(removing.pending).toHaveLength(3);
    expect(inForce(removing, 1, 'max-contracts', 'PRAC-1')?.options['limit']).toBe(5);
    const swapping = plan(fifty, big);
    expect(summary(swapping.pending).sort()).toEqual([
      'account "PRAC-1" max-contracts options',
      'account "PRAC-1" max-loss-limit options',
    ]);
    expect(inForce(swapping, 1, 'max-contracts', 'PRAC-1')?.options['limit']).toBe(5);
    expect(inForce(swapping, 1, 'max-loss-limit', 'PRAC-1')?.options['drawdown']).toBe(2000);
  });

  it('when one account overrides a universal rule with a looser one then only that account waits', async () => {
    const previous = await configOf([dll(500)], [{ id: 70001 }, { id: 70002 }]);
    const next = await configOf([dll(400)], [{ id: 70001, rules: [dll(800)] }, { id: 70002 }]);
    const result = plan(previous, next);
    expect(summary(result.pending)).toEqual(['account 70001 daily-loss-limit options']);
    expect(inForce(result, 70001, 'daily-loss-limit')?.options['limit']).toBe(500);
    expect(inForce(result, 70002, 'daily-loss-limit')?.options['limit']).toBe(400);
    expect(inForce(result, UNLISTED, 'daily-loss-limit')?.options['limit']).toBe(400);
  });

  it('when the broker account is known then an entry by name and one by id are the same account', async () => {
    const previous = await configOf([], [{ name: 'PRAC-1', rules: [dll(300)] }]);
    const next = await configOf([], [{ id: 70001, rules: [dll(900)] }]);
    const result = plan(previous, next, { accounts: [{ id: 70001, name: 'PRAC-1' }] });
    expect(summary(result.pending)).toEqual(['account 70001 (PRAC-1) daily-loss-limit options']);
    expect(inForce(result, 70001, 'daily-loss-limit', 'PRAC-1')?.options['limit']).toBe(300);
  });

  it('when warnAt changes then it is neutral and applies at once', async () => {
    const result = plan(
      await configOf([dll(500, { warnAt: 0.8 })]),
      await configOf([dll(500, { warnAt: 0.9 })]),
    );
    expect(summary(result.neutral)).toEqual(['universal rules daily-loss-limit warnAt']);
    expect(result.pending).toEqual([]);
    expect(inForce(result, UNLISTED, 'daily-loss-limit')?.warnAt).toBe(0.9);
  });

  it('when other sections change then includeFees off and calendar edits wait, added holidays apply, broker needs a restart', async () => {
    const previous = await configOf([]);
    const mourning = { date: '2026-05-04', name: 'National Day of Mourning', kind: 'closed' };
    const holiday = plan(previous, await configOf([], [], { tradingDay: { extraHolidays: [mourning] } }));
    expect(summary(holiday.tightened)).toEqual(['tradingDay']);
    expect(holiday.effective.tradingDay.holidays).toContainEqual(mourning);
    expect(holiday.calendarChanged).toBe(true);

    const next = await configOf([], [], {
      includeFees: false,
      tradingDay: { resetTime: '16:00' },
      broker: { userName: 'demo', apiKey: 'another-key', apiUrl: 'http://127.0.0.1:9000' },
      logging: { level: 'debug' },
    });
    const result = plan(previous, next);
    expect(summary(result.pending)).toEqual(['tradingDay', 'includeFees']);
    expect(result.effective.includeFees).toBe(true);
    expect(result.effective.tradingDay.resetTime).toBe('17:00');
    expect(result.restartRequired).toEqual([
      {
        type: 'section',
        section: 'broker',
        effect: 'neutral',
        appliesAt: 'restart',
        why: 'broker changed (apiKey, apiUrl); takes effect on restart',
      },
    ]);
    expect(JSON.stringify([result.tightened, result.loosened, result.neutral, result.pending])).not.toContain(
      'another-key',
    );
    expect(summary(result.neutral)).toEqual(['broker', 'logging']);
  });

  it('property: without force the limit in force is never looser than before, and it is the new one when tighter', async () => {
    const base = await configOf([dll(500)]);
    const withLimit = (limit: number): RiskdConfig => ({ ...base, rules: [dll(limit)] });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (before, after) => {
        const result = plan(withLimit(before), withLimit(after));
        const limit = inForce(result, UNLISTED, 'daily-loss-limit')?.options['limit'];
        expect(limit).toBe(Math.min(before, after));
        expect(result.pending.length).toBe(after > before ? 1 : 0);
      }),
    );
  });
});

describe('RuleChangeDiscipline', () => {
  it('when the reset comes then the waiting loosenings apply and nothing waits any more', async () => {
    const clock = new FakeClock(T0);
    const start = await configOf([dll(500)]);
    const discipline = new RuleChangeDiscipline({ registry: standardRegistry, clock, config: start });
    expect(discipline.startPlan.pending).toEqual([]);
    const looser = await configOf([dll(1000)]);
    discipline.propose(looser);
    expect(inForce({ applyNow: discipline.inForce }, UNLISTED, 'daily-loss-limit')?.options['limit']).toBe(
      500,
    );
    expect(discipline.pending).toHaveLength(1);

    await clock.advance(60_000);
    const applied = discipline.applyPendingAtReset();
    expect(summary(applied.applied)).toEqual(['universal rules daily-loss-limit options']);
    expect(applied.rulesChanged).toBe(true);
    expect(discipline.inForce).toBe(looser);
    expect(discipline.pendingState).toBeUndefined();
    expect(inForce(applied, UNLISTED, 'daily-loss-limit')?.options['limit']).toBe(1000);
  });

  it('when the file is changed back before the reset then nothing waits any more', async () => {
    const clock = new FakeClock(T0);
    const start = await configOf([dll(500)]);
    const discipline = new RuleChangeDiscipline({ registry: standardRegistry, clock, config: start });
    discipline.propose(await configOf([dll(1000)]));
    const plan2 = discipline.propose(await configOf([dll(500)]));
    expect(plan2.pending).toEqual([]);
    expect(discipline.pendingState).toBeUndefined();
  });

  it('when a waiting change is planned again then it keeps the time it was first seen', async () => {
    const clock = new FakeClock(T0);
    const discipline = new RuleChangeDiscipline({
      registry: standardRegistry,
      clock,
      config: await configOf([dll(500)]),
    });
    discipline.propose(await configOf([dll(1000)]));
    await clock.advance(3_600_000);
    const again = discipline.propose(
      await configOf([dll(1000), { rule: 'max-contracts', options: { limit: 3 } }]),
    );
    expect(again.pending.map((p) => p.since)).toEqual([T0]);
    expect(summary(again.tightened)).toEqual(['universal rules max-contracts added']);
  });

  it('when the daemon restarts with persisted pending changes then the old limit stays in force until the reset', async () => {
    const clock = new FakeClock(T0);
    const looser = await configOf([dll(1000)]);
    const first = new RuleChangeDiscipline({
      registry: standardRegistry,
      clock,
      config: await configOf([dll(500)]),
    });
    first.propose(looser);
    const stored = serializePendingChanges(first.pendingState ?? fail('nothing pending'));

    await clock.advance(5 * 60_000);
    const restarted = new RuleChangeDiscipline({
      registry: standardRegistry,
      clock,
      config: looser,
      persisted: parsePendingChanges(stored),
    });
    expect(restarted.restoreProblems).toEqual([]);
    expect(inForce(restarted.startPlan, UNLISTED, 'daily-loss-limit')?.options['limit']).toBe(500);
    expect(restarted.pending.map((p) => p.since)).toEqual([T0]);
    expect(restarted.applyPendingAtReset().applied).toHaveLength(1);
  });

  it('when the persisted state cannot be restored then the problem is reported and the file applies', async () => {
    const clock = new FakeClock(T0);
    const config = await configOf([dll(1000)]);
    const persisted = parsePendingChanges({
      version: 1,
      recordedAt: T0,
      inForce: {
        rules: [{ rule: 'gone-rule' }],
        accounts: [],
        tradingDay: config.tradingDay,
        includeFees: true,
      },
      changes: [],
    });
    const discipline = new RuleChangeDiscipline({ registry: standardRegistry, clock, config, persisted });
    expect(discipline.restoreProblems).toHaveLength(1);
    expect(discipline.restoreProblems[0]?.message).toContain('unknown rule "gone-rule"');
    expect(discipline.inForce).toEqual(config);
    expect(discipline.pending).toEqual([]);
    expect(() => parsePendingChanges('{"version":2}')).toThrow(ConfigError);
  });
});

describe('lockoutsLiftedByConfig', () => {
  function lockout(
    accountId: AccountId,
    scope: LockoutScope,
    end: Lockout['end'],
    instanceId = 'symbol-block',
  ): Lockout {
    return {
      id: lockoutId(accountId, scope),
      accountId,
      scope,
      ruleId: instanceId === 'daily-loss-limit' ? 'daily-loss-limit' : 'symbol-block',
      instanceId,
      code: 'X',
      reason: 'test',
      startedAt: T0,
      end,
    };
  }
  const unblocked = { kind: 'condition', condition: 'symbol-unblocked' } as const;

  it('when a symbol is unblocked in the rule set in force then only its symbol lockout lifts', async () => {
    const config = await configOf([{ rule: 'symbol-block', options: { symbols: ['CL'] } }, dll(500)]);
    const ruleSet = resolveRuleSet(standardRegistry, config);
    const cl = lockout(1, { kind: 'symbol', symbol: 'CL' }, unblocked);
    const gc = lockout(1, { kind: 'symbol', symbol: 'GC' }, unblocked);
    const daily = lockout(1, { kind: 'account' }, { kind: 'at', at: T0 + 3_600_000 }, 'daily-loss-limit');
    const failSafe = lockout(
      1,
      { kind: 'account' },
      { kind: 'condition', condition: 'config-valid' },
      'daily-loss-limit',
    );
    expect(lockoutsLiftedByConfig([cl, gc, daily, failSafe], ruleSet)).toEqual([gc]);
  });

  it('when the symbol-unblocked end is a hold under another primary then the lockout is still released', async () => {
    const ruleSet = resolveRuleSet(standardRegistry, await configOf([dll(500)]));
    const cl = lockout(1, { kind: 'symbol', symbol: 'CL' }, unblocked);
    const session = lockout(1, { kind: 'symbol', symbol: 'CL' }, { kind: 'at', at: T0 + 3_600_000 });
    // The hold is what is asked about: a lockout whose primary is some other end still lifts it.
    const { id: _id, accountId: _accountId, scope: _scope, ...hold } = cl;
    const combined: Lockout = { ...session, instanceId: 'trading-session', holds: [hold] };
    expect(lockoutsLiftedByConfig([combined], ruleSet)).toEqual([combined]);
  });

  it('when the symbol-block instance is gone then its lockouts lift', async () => {
    const ruleSet = resolveRuleSet(standardRegistry, await configOf([dll(500)]));
    const cl = lockout(1, { kind: 'symbol', symbol: 'CL' }, unblocked);
    expect(lockoutsLiftedByConfig([cl], ruleSet)).toEqual([cl]);
  });
});

function fail(message: string): never {
  throw new Error(message);
}
