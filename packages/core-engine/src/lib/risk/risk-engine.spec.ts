import { beforeEach, describe, expect, it } from 'vitest';
import { MarketCalendar } from '../calendar/market-calendar.js';
import { FakeClock } from '../clock/clock.js';
import type { LockoutEndSpec } from '../domain/lockout.js';
import type { EngineEvent, EngineEventKind } from '../events/events.js';
import { MemoryLogger } from '../ports/logger.js';
import {
  RULE_API_VERSION,
  type RuleContext,
  type RuleDecision,
  type RuleEntryConfig,
  type RulePack,
} from '../rules/rule-api.js';
import { RuleRegistry } from '../rules/rule-registry.js';
import { resolveRuleSet } from '../rules/rule-set.js';
import { FAKE_CONTRACTS } from '../testing/fake-contracts.js';
import { LOCKOUT_ENTRY_CANCELLED } from './lockout-guard.js';
import type { AccountOutcome, Outcome } from './outcome.js';
import { checkDecision, RULE_ERROR, RiskEngine } from './risk-engine.js';
import { FakeRiskState, PLAIN_UPDATE, testEvents } from './risk-state.fake.js';
import {
  TEST_CONTRACTS_LIMIT,
  TEST_CONTRACTS_NEAR_LIMIT,
  TEST_DAILY_LOSS,
  TEST_DAILY_LOSS_WARNING,
  TEST_RULE_PACK,
} from './test-rules.fake.js';

const MNQ = FAKE_CONTRACTS.MNQ;
const NQ = FAKE_CONTRACTS.NQ;
/** Tuesday 2026-01-06 09:00 Chicago: the market is open. */
const T0 = Date.UTC(2026, 0, 6, 15, 0);
/** The next reset: 17:00 Chicago (CST) = 23:00Z. */
const RESET = Date.UTC(2026, 0, 6, 23, 0);
const WEEK_RESET = Date.UTC(2026, 0, 11, 23, 0);

type Script = (event: EngineEvent, ctx: RuleContext) => readonly RuleDecision[];

/** A rule whose behaviour each test scripts, per instance id; it records every call. */
const scripts = new Map<string, Script>();
const calls: { instanceId: string; accountId: number; kind: EngineEventKind; ctx: RuleContext }[] = [];

function scriptedRule(id: string, events: EngineEventKind[]) {
  return {
    id,
    title: `Scripted ${id}`,
    description: 'Does what the test says.',
    optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
    events,
    create: () => ({
      evaluate(event: EngineEvent, ctx: RuleContext): readonly RuleDecision[] {
        calls.push({
          instanceId: ctx.instance.instanceId,
          accountId: ctx.instance.accountId,
          kind: event.kind,
          ctx,
        });
        return scripts.get(ctx.instance.instanceId)?.(event, ctx) ?? [];
      },
    }),
  };
}

const SCRIPTED_PACK: RulePack = {
  name: 'scripted',
  version: '1.0.0',
  apiVersion: RULE_API_VERSION,
  rules: [
    scriptedRule('scripted', ['fill', 'order', 'position', 'quote', 'reset', 'account']),
    scriptedRule('scripted-quiet', ['connection']),
  ],
};

const registry = new RuleRegistry([TEST_RULE_PACK, SCRIPTED_PACK]);
const calendar = new MarketCalendar();

interface Harness {
  readonly state: FakeRiskState;
  readonly clock: FakeClock;
  readonly logger: MemoryLogger;
  readonly engine: RiskEngine;
}

function harness(
  rules: RuleEntryConfig[],
  accounts: Parameters<typeof resolveRuleSet>[1]['accounts'] = [],
): Harness {
  const state = new FakeRiskState();
  const clock = new FakeClock(T0);
  const logger = new MemoryLogger();
  const engine = new RiskEngine({ state, calendar, clock, includeFees: true, logger });
  engine.configure(resolveRuleSet(registry, { rules, accounts }));
  return { state, clock, logger, engine };
}

function only(outcome: Outcome, accountId = 1): AccountOutcome {
  const account = outcome.accounts.get(accountId);
  if (!account) throw new Error(`no outcome for account ${accountId}`);
  return account;
}

beforeEach(() => {
  scripts.clear();
  calls.length = 0;
});

describe('RiskEngine with the test contracts limit', () => {
  const rules: RuleEntryConfig[] = [{ rule: 'test-contracts-limit', options: { limit: 4 } }];

  it('when gross contracts are within the limit then nothing is decided', () => {
    const { state, engine } = harness(rules);
    const account = state.addAccount(1, 'ACC-1');
    account.setPosition(MNQ, 'long', 3).setPosition(NQ, 'short', 1);
    const outcome = engine.evaluate(testEvents.position(1, NQ.id, 'short', 1, T0), PLAIN_UPDATE);
    expect(outcome.accounts.size).toBe(0);
    expect(outcome.decisions).toEqual([]);
  });

  it('when gross contracts exceed the limit then the newest position is reduced with the numbers in the reason', () => {
    const { state, engine } = harness(rules);
    const account = state.addAccount(1, 'ACC-1');
    account.setPosition(MNQ, 'long', 3, { lastIncreaseAt: T0 - 60_000 });
    account.setPosition(NQ, 'short', 2, { lastIncreaseAt: T0 - 1_000 });
    const outcome = engine.evaluate(testEvents.position(1, NQ.id, 'short', 2, T0), PLAIN_UPDATE);
    const action = only(outcome).contracts.get(NQ.id);
    expect(action).toMatchObject({ kind: 'reduce', reduceTo: 1, cancelOrderIds: [] });
    expect(action?.decisions[0]).toMatchObject({
      code: TEST_CONTRACTS_LIMIT,
      reason: 'gross open contracts 5 over limit 4: NQZ5 2 -> 1',
      ruleId: 'test-contracts-limit',
      instanceId: 'test-contracts-limit',
      mode: 'enforce',
      severity: 'info',
      decidedAt: T0,
      accountId: 1,
    });
    expect(only(outcome).contracts.has(MNQ.id)).toBe(false);
  });

  it('when working entry orders would exceed the limit then the newest are cancelled', () => {
    const { state, engine } = harness(rules);
    const account = state.addAccount(1, 'ACC-1');
    account.setPosition(MNQ, 'long', 2);
    account.addOrder(MNQ, 5, 'buy', 1);
    const newest = account.addOrder(MNQ, 6, 'buy', 2);
    account.addOrder(MNQ, 7, 'sell', 2);
    const outcome = engine.evaluate(testEvents.order(newest, T0), PLAIN_UPDATE);
    expect(only(outcome).contracts.get(MNQ.id)).toMatchObject({ kind: 'cancel', cancelOrderIds: [6] });
    expect(only(outcome).contracts.get(MNQ.id)?.decisions[0]?.reason).toBe(
      'working entry orders 6 would take gross contracts over limit 4 (open 2)',
    );
  });
});

describe('RiskEngine with the test daily loss limit', () => {
  const rules: RuleEntryConfig[] = [{ rule: 'test-daily-loss', options: { limit: 500 } }];

  it('when combined P&L is a cent above the limit then nothing is decided', () => {
    const { state, engine } = harness(rules);
    state.addAccount(1, 'ACC-1').setPosition(MNQ, 'long', 1).setPnl(-100_000_000, -399_990_000);
    expect(engine.evaluate(testEvents.quote(MNQ.id, T0), PLAIN_UPDATE).accounts.size).toBe(0);
  });

  it('when a quote takes combined P&L exactly to the limit then flatten and lock until the reset', () => {
    const { state, engine } = harness(rules);
    state.addAccount(1, 'ACC-1').setPosition(MNQ, 'long', 1).setPnl(-100_000_000, -400_000_000);
    const outcome = engine.evaluate(testEvents.quote(MNQ.id, T0), PLAIN_UPDATE);
    const account = only(outcome);
    expect(account.flatten).toHaveLength(1);
    expect(account.flatten[0]).toMatchObject({
      code: TEST_DAILY_LOSS,
      reason: 'combined P&L -500.00 breached daily loss limit 500.00',
      severity: 'critical',
    });
    expect(account.lockouts).toHaveLength(1);
    expect(account.lockouts[0]).toMatchObject({
      accountId: 1,
      scope: { kind: 'account' },
      end: { kind: 'at', at: RESET },
    });
  });

  it('when a quote arrives then only accounts holding that contract are evaluated', () => {
    const { state, engine } = harness(rules);
    state.addAccount(1, 'ACC-1').setPosition(MNQ, 'long', 1).setPnl(0, -600_000_000);
    state.addAccount(2, 'ACC-2').setPosition(NQ, 'long', 1).setPnl(0, -600_000_000);
    const outcome = engine.evaluate(testEvents.quote(NQ.id, T0), PLAIN_UPDATE);
    expect([...outcome.accounts.keys()]).toEqual([2]);
  });
});

describe('RiskEngine routing and stamping', () => {
  it('when a timer comes due then only the instance that set it runs, even if it does not list timers', () => {
    const { state, engine } = harness([
      { rule: 'scripted', id: 'one' },
      { rule: 'scripted', id: 'two' },
    ]);
    state.addAccount(1, 'ACC-1');
    engine.evaluate(testEvents.timer(1, 'two', 'grace', T0), PLAIN_UPDATE);
    expect(calls.map((c) => `${c.instanceId}:${c.kind}`)).toEqual(['two:timer']);
  });

  it('when a timer names an instance that is gone then nothing runs and nothing fails', () => {
    const { state, engine, logger } = harness([{ rule: 'scripted', id: 'one' }]);
    state.addAccount(1, 'ACC-1');
    expect(engine.evaluate(testEvents.timer(1, 'removed', 'grace', T0), PLAIN_UPDATE).accounts.size).toBe(0);
    expect(calls).toEqual([]);
    expect(logger.problems()).toEqual([]);
  });

  it('when a reset happens then every account is evaluated by the instances wanting resets', () => {
    const { state, engine } = harness([
      { rule: 'scripted', id: 'one' },
      { rule: 'scripted-quiet', id: 'quiet' },
    ]);
    state.addAccount(1, 'ACC-1');
    state.addAccount(2, 'ACC-2');
    engine.evaluate(testEvents.reset(RESET), PLAIN_UPDATE);
    expect(calls.map((c) => `${c.accountId}:${c.instanceId}`)).toEqual(['1:one', '2:one']);
    calls.length = 0;
    engine.evaluate(testEvents.connection(T0), PLAIN_UPDATE);
    expect(calls.map((c) => `${c.accountId}:${c.instanceId}`)).toEqual(['1:quiet', '2:quiet']);
  });

  it('when an account event arrives then only that account is evaluated', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    state.addAccount(1, 'ACC-1');
    state.addAccount(2, 'ACC-2');
    engine.evaluate(testEvents.account(2, true, T0), PLAIN_UPDATE);
    expect(calls.map((c) => c.accountId)).toEqual([2]);
  });

  it('when the same instance is evaluated twice then it gets the same context object', async () => {
    const { state, engine, clock } = harness([{ rule: 'scripted', id: 'one' }]);
    state.addAccount(1, 'ACC-1');
    engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    await clock.advance(1_000);
    engine.evaluate(testEvents.account(1, true, T0 + 1_000), PLAIN_UPDATE);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.ctx).toBe(calls[0]?.ctx);
    expect(calls[1]?.ctx.now).toBe(T0 + 1_000);
    expect(calls[0]?.ctx.account).toBe(state.account(1));
  });

  it('when a duplicate event arrives then no rule runs and the outcome is empty', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    state.addAccount(1, 'ACC-1');
    const outcome = engine.evaluate(testEvents.account(1, true, T0), { ...PLAIN_UPDATE, duplicate: true });
    expect(calls).toEqual([]);
    expect(outcome.accounts.size).toBe(0);
  });

  it('when decisions state no severity then flatten is critical, alerts and lockouts warnings, the rest info', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    state.addAccount(1, 'ACC-1');
    scripts.set('one', () => [
      { action: 'flatten', code: 'F', reason: 'f' },
      { action: 'alert', code: 'A', reason: 'a' },
      { action: 'close-position', contractId: MNQ.id, code: 'C', reason: 'c' },
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'reset' } },
        code: 'L',
        reason: 'l',
      },
      { action: 'alert', code: 'I', reason: 'i', severity: 'info' },
    ]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect(outcome.decisions?.map((d) => `${d.code}:${d.severity}`).sort()).toEqual([
      'A:warning',
      'C:info',
      'F:critical',
      'I:info',
      'L:warning',
    ]);
  });

  it.each<[string, LockoutEndSpec, unknown]>([
    ['a duration counts from now', { kind: 'duration', ms: 90_000 }, { kind: 'at', at: T0 + 90_000 }],
    ['until-reset is the next reset', { kind: 'reset' }, { kind: 'at', at: RESET }],
    [
      'until-session-start is the next session start',
      { kind: 'session-start' },
      { kind: 'at', at: Date.UTC(2026, 0, 6, 23, 0) },
    ],
    ['until-week-reset is the Sunday reset', { kind: 'week-reset' }, { kind: 'at', at: WEEK_RESET }],
    ['an instant stays', { kind: 'at', at: T0 + 5 }, { kind: 'at', at: T0 + 5 }],
    [
      'a condition stays',
      { kind: 'condition', condition: 'can-trade' },
      { kind: 'condition', condition: 'can-trade' },
    ],
  ])('when a lockout end is given as a spec then %s', (_name, end, expected) => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    state.addAccount(1, 'ACC-1');
    scripts.set('one', () => [
      { action: 'none', lockout: { scope: { kind: 'account' }, end }, code: 'L', reason: 'l' },
    ]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect(only(outcome).lockouts[0]?.end).toEqual(expected);
  });

  it('when the calendar cannot name a session start then the lockout ends at the next reset and it is logged', () => {
    const state = new FakeRiskState();
    const logger = new MemoryLogger();
    const broken = Object.create(calendar) as MarketCalendar;
    broken.nextSessionStart = () => {
      throw new Error('no session within a year');
    };
    const engine = new RiskEngine({
      state,
      calendar: broken,
      clock: new FakeClock(T0),
      includeFees: true,
      logger,
    });
    engine.configure(resolveRuleSet(registry, { rules: [{ rule: 'scripted', id: 'one' }] }));
    state.addAccount(1, 'ACC-1');
    scripts.set('one', () => [
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'session-start' } },
        code: 'L',
        reason: 'l',
      },
    ]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect(only(outcome).lockouts[0]?.end).toEqual({ kind: 'at', at: RESET });
    expect(logger.problems().map((l) => l.msg)).toEqual([
      'cannot resolve a lockout end; using the next reset',
    ]);
  });

  it('when a longer lockout is already in force then the shorter new one is not requested', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    state.addAccount(1, 'ACC-1').addLockout({ kind: 'account' }, { kind: 'at', at: WEEK_RESET }, T0 - 1);
    scripts.set('one', () => [
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'reset' } },
        code: 'L',
        reason: 'l',
      },
    ]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect(outcome.accounts.size).toBe(0);
    expect(outcome.decisions).toHaveLength(1);
  });

  it('when an instance is alert-only then its decisions are shadow only', () => {
    const { state, engine } = harness([
      { rule: 'test-daily-loss', options: { limit: 500 }, mode: 'alert-only' },
    ]);
    state.addAccount(1, 'ACC-1').setPosition(MNQ, 'long', 1).setPnl(0, -600_000_000);
    const account = only(engine.evaluate(testEvents.quote(MNQ.id, T0), PLAIN_UPDATE));
    expect(account.flatten).toEqual([]);
    expect(account.lockouts).toEqual([]);
    expect(account.shadow.map((d) => [d.code, d.mode])).toEqual([[TEST_DAILY_LOSS, 'alert-only']]);
  });

  it('when rules are configured in another order then the outcome is the same', () => {
    const entries: RuleEntryConfig[] = [
      { rule: 'test-daily-loss', options: { limit: 500 } },
      { rule: 'test-contracts-limit', options: { limit: 1 } },
      { rule: 'test-contracts-limit', id: 'contracts-shadow', options: { limit: 0 }, mode: 'dry-run' },
    ];
    const run = (rules: RuleEntryConfig[]): Outcome => {
      const { state, engine } = harness(rules);
      const account = state.addAccount(1, 'ACC-1');
      account
        .setPosition(MNQ, 'long', 2)
        .setPosition(NQ, 'long', 1, { lastIncreaseAt: T0 })
        .setPnl(0, -700_000_000);
      account.addOrder(MNQ, 9, 'buy', 1);
      return engine.evaluate(testEvents.fill(1, NQ.id, 8, 'buy', 1, T0), PLAIN_UPDATE);
    };
    expect(run([...entries].reverse())).toEqual(run(entries));
  });
});

describe('RiskEngine order normalization', () => {
  it('when cancel-orders names no orders then the target contract’s working entry orders are cancelled', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    const account = state.addAccount(1, 'ACC-1');
    account.setPosition(MNQ, 'long', 1);
    account.addOrder(MNQ, 1, 'buy', 1);
    account.addOrder(MNQ, 2, 'sell', 1);
    account.addOrder(NQ, 3, 'buy', 1);
    scripts.set('one', () => [{ action: 'cancel-orders', contractId: MNQ.id, code: 'X', reason: 'x' }]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect([...only(outcome).contracts.values()].map((c) => [c.contractId, c.cancelOrderIds])).toEqual([
      [MNQ.id, [1]],
    ]);
  });

  it('when cancel-orders names neither contract nor orders then entry orders of every contract are cancelled', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    const account = state.addAccount(1, 'ACC-1');
    account.addOrder(MNQ, 1, 'buy', 1);
    account.addOrder(NQ, 3, 'sell', 1);
    scripts.set('one', () => [{ action: 'cancel-orders', code: 'X', reason: 'x' }]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect([...only(outcome).contracts.values()].map((c) => [c.contractId, c.cancelOrderIds])).toEqual([
      [NQ.id, [3]],
      [MNQ.id, [1]],
    ]);
  });

  it('when cancel-orders lists orders then they are grouped by the contract they are on', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    const account = state.addAccount(1, 'ACC-1');
    account.addOrder(MNQ, 1, 'buy', 1);
    account.addOrder(NQ, 3, 'sell', 1);
    scripts.set('one', () => [{ action: 'cancel-orders', orderIds: [3, 1, 99], code: 'X', reason: 'x' }]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect([...only(outcome).contracts.values()].map((c) => [c.contractId, c.cancelOrderIds])).toEqual([
      [NQ.id, [3]],
      [MNQ.id, [1]],
    ]);
  });
});

describe('RiskEngine resilience', () => {
  it('when a rule throws then a critical RULE_ERROR is raised, logged with the rule and event, and other rules still act', () => {
    const { state, engine, logger } = harness([
      { rule: 'scripted', id: 'broken' },
      { rule: 'test-daily-loss', options: { limit: 500 } },
    ]);
    state.addAccount(1, 'ACC-1').setPosition(MNQ, 'long', 1).setPnl(0, -600_000_000);
    scripts.set('broken', () => {
      throw new Error('boom');
    });
    const account = only(engine.evaluate(testEvents.quote(MNQ.id, T0), PLAIN_UPDATE));
    expect(account.flatten.map((d) => d.code)).toEqual([TEST_DAILY_LOSS]);
    expect(account.alerts).toHaveLength(1);
    expect(account.alerts[0]).toMatchObject({
      action: 'alert',
      code: RULE_ERROR,
      severity: 'critical',
      ruleId: 'scripted',
      instanceId: 'broken',
      mode: 'enforce',
      reason: 'rule scripted (broken) failed on a quote event: boom; the other rules keep running',
    });
    const errors = logger.problems();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      level: 'error',
      bindings: { component: 'risk-engine' },
      obj: {
        ruleId: 'scripted',
        instanceId: 'broken',
        accountId: 1,
        event: { kind: 'quote', contractId: MNQ.id },
      },
    });
  });

  it('when a rule keeps throwing then one RULE_ERROR per minute reports how many failures there were', async () => {
    const { state, engine, clock } = harness([{ rule: 'scripted', id: 'broken' }]);
    state.addAccount(1, 'ACC-1');
    scripts.set('broken', () => {
      throw new Error('boom');
    });
    const alertsAt = async (advanceMs: number): Promise<string[]> => {
      await clock.advance(advanceMs);
      const outcome = engine.evaluate(testEvents.account(1, true, clock.now()), PLAIN_UPDATE);
      return outcome.accounts.get(1)?.alerts.map((a) => a.reason) ?? [];
    };
    expect(await alertsAt(0)).toHaveLength(1);
    expect(await alertsAt(10_000)).toEqual([]);
    expect(await alertsAt(10_000)).toEqual([]);
    expect(await alertsAt(40_000)).toEqual([
      'rule scripted (broken) failed on a account event: boom (3 failures since the last alert); the other rules keep running',
    ]);
  });

  it('when a rule returns an invalid decision then that one is a RULE_ERROR and its valid ones stand', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'sloppy' }]);
    state.addAccount(1, 'ACC-1');
    scripts.set('sloppy', () => [
      { action: 'reduce-position', contractId: MNQ.id, reduceTo: -1, code: 'BAD', reason: 'bad' },
      { action: 'close-position', contractId: MNQ.id, code: 'GOOD', reason: 'good' },
    ]);
    const account = only(engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE));
    expect(account.contracts.get(MNQ.id)?.kind).toBe('close');
    expect(account.alerts.map((a) => a.reason)).toEqual([
      'rule scripted (sloppy) failed on a account event: returned an invalid decision: BAD: reduce-position needs reduceTo, a whole number >= 0; the other rules keep running',
    ]);
  });

  it('when a rule returns something that is not an array then it is a RULE_ERROR', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'sloppy' }]);
    state.addAccount(1, 'ACC-1');
    scripts.set('sloppy', () => 'not decisions' as unknown as RuleDecision[]);
    const account = only(engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE));
    expect(account.alerts[0]?.code).toBe(RULE_ERROR);
  });
});

describe('RiskEngine warnOnce', () => {
  it('when the warning level is reached again the same day then it warns once; after the reset it warns again', async () => {
    const { state, engine, clock } = harness([
      { rule: 'test-daily-loss', options: { limit: 500 }, warnAt: 0.8 },
    ]);
    const account = state.addAccount(1, 'ACC-1');
    account.setPosition(MNQ, 'long', 1).setPnl(0, -400_000_000);
    const warnings = (): string[] =>
      engine
        .evaluate(testEvents.quote(MNQ.id, clock.now()), PLAIN_UPDATE)
        .accounts.get(1)
        ?.alerts.map((a) => `${a.code}: ${a.reason}`) ?? [];
    expect(warnings()).toEqual([
      `${TEST_DAILY_LOSS_WARNING}: combined P&L -400.00 reached 80% of daily loss limit 500.00`,
    ]);
    await clock.advance(60_000);
    account.setPnl(0, -450_000_000);
    expect(warnings()).toEqual([]);
    expect(state.ruleState(1, 'test-daily-loss').get(`warnOnce:${TEST_DAILY_LOSS_WARNING}`)).toBe(
      '2026-01-06',
    );
    // The reset starts a new trading day.
    await clock.set(RESET + 60_000);
    account.tradingDay = calendar.tradingDayAt(clock.now());
    expect(warnings()).toEqual([
      `${TEST_DAILY_LOSS_WARNING}: combined P&L -450.00 reached 80% of daily loss limit 500.00`,
    ]);
    expect(warnings()).toEqual([]);
  });

  it('when two instances warn with the same code then each warns once', () => {
    const { state, engine } = harness([
      { rule: 'test-contracts-limit', id: 'a', options: { limit: 5 }, warnAt: 0.5 },
      { rule: 'test-contracts-limit', id: 'b', options: { limit: 6 }, warnAt: 0.5 },
    ]);
    state.addAccount(1, 'ACC-1').setPosition(MNQ, 'long', 3);
    const first = engine.evaluate(testEvents.position(1, MNQ.id, 'long', 3, T0), PLAIN_UPDATE);
    expect(only(first).alerts.map((a) => `${a.instanceId}:${a.code}`)).toEqual([
      `a:${TEST_CONTRACTS_NEAR_LIMIT}`,
      `b:${TEST_CONTRACTS_NEAR_LIMIT}`,
    ]);
    expect(engine.evaluate(testEvents.position(1, MNQ.id, 'long', 3, T0), PLAIN_UPDATE).accounts.size).toBe(
      0,
    );
  });
});

describe('RiskEngine protection scope', () => {
  it('when an account is configured enabled false then nothing is evaluated or guarded there', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }], [{ id: 1, enabled: false }]);
    const account = state.addAccount(1, 'ACC-1');
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T0 - 1);
    const order = account.addOrder(MNQ, 1, 'buy', 1);
    const outcome = engine.evaluate(testEvents.order(order, T0), PLAIN_UPDATE);
    expect(calls).toEqual([]);
    expect(outcome.accounts.size).toBe(0);
  });

  it('when a rule targets an account Riskd does not protect then that decision is dropped', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }], [{ id: 2, enabled: false }]);
    state.addAccount(1, 'ACC-1');
    state.addAccount(2, 'ACC-2');
    scripts.set('one', () => [
      { action: 'close-position', accountId: 2, contractId: MNQ.id, code: 'HEDGE', reason: 'x' },
      { action: 'close-position', contractId: MNQ.id, code: 'HEDGE', reason: 'y' },
    ]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect([...outcome.accounts.keys()]).toEqual([1]);
  });

  it('when a rule targets another protected account then the action lands on that account', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    state.addAccount(1, 'ACC-1');
    state.addAccount(2, 'ACC-2');
    scripts.set('one', () => [
      { action: 'close-position', accountId: 2, contractId: MNQ.id, code: 'HEDGE', reason: 'x' },
    ]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect(only(outcome, 2).contracts.get(MNQ.id)?.decisions[0]).toMatchObject({
      accountId: 2,
      ruleId: 'scripted',
      instanceId: 'one',
    });
  });
});

describe('RiskEngine lockout guard', () => {
  it('when an entry order arrives during a lockout then the guard cancels it, stamped as the built-in guard', () => {
    const { state, engine } = harness([]);
    const account = state.addAccount(1, 'ACC-1');
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T0 - 1);
    const order = account.addOrder(MNQ, 1, 'buy', 1);
    const action = only(engine.evaluate(testEvents.order(order, T0), PLAIN_UPDATE)).contracts.get(MNQ.id);
    expect(action).toMatchObject({ kind: 'cancel', cancelOrderIds: [1] });
    expect(action?.decisions[0]).toMatchObject({
      ruleId: 'lockout-guard',
      instanceId: '@lockout-guard',
      mode: 'enforce',
      code: LOCKOUT_ENTRY_CANCELLED,
      severity: 'warning',
    });
  });

  it('when a rule starts a symbol lockout then entry orders of that symbol are cancelled in the same outcome', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    const account = state.addAccount(1, 'ACC-1');
    account.addOrder(MNQ, 1, 'buy', 1);
    account.addOrder(NQ, 2, 'buy', 1);
    scripts.set('one', () => [
      {
        action: 'none',
        lockout: { scope: { kind: 'symbol', symbol: 'MNQ' }, end: { kind: 'reset' } },
        code: 'BLOCK',
        reason: 'b',
      },
    ]);
    const account1 = only(engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE));
    expect([...account1.contracts.keys()]).toEqual([MNQ.id]);
    expect(account1.lockouts.map((l) => l.scope)).toEqual([{ kind: 'symbol', symbol: 'MNQ' }]);
  });

  it('when a rule asks for a lockout that has already ended then nothing is swept or locked', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one' }]);
    state.addAccount(1, 'ACC-1').addOrder(MNQ, 1, 'buy', 1);
    scripts.set('one', () => [
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'at', at: T0 } },
        code: 'LATE',
        reason: 'l',
      },
    ]);
    const outcome = engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE);
    expect(outcome.accounts.size).toBe(0);
    expect(outcome.decisions?.map((d) => d.code)).toEqual(['LATE']);
  });

  it('when a dry-run rule would start a lockout then the guard does nothing', () => {
    const { state, engine } = harness([{ rule: 'scripted', id: 'one', mode: 'dry-run' }]);
    state.addAccount(1, 'ACC-1').addOrder(MNQ, 1, 'buy', 1);
    scripts.set('one', () => [
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'reset' } },
        code: 'BLOCK',
        reason: 'b',
      },
    ]);
    const account = only(engine.evaluate(testEvents.account(1, true, T0), PLAIN_UPDATE));
    expect(account.contracts.size).toBe(0);
    expect(account.shadow).toHaveLength(1);
  });

  it('when an in-flight order fills after the lockout started then the position is closed', () => {
    const { state, engine } = harness([]);
    const account = state.addAccount(1, 'ACC-1');
    account.addLockout({ kind: 'account' }, { kind: 'at', at: RESET }, T0 - 1_000);
    account.setPosition(MNQ, 'long', 1, { openedAt: T0 });
    const outcome = engine.evaluate(testEvents.fill(1, MNQ.id, 4, 'buy', 1, T0), {
      duplicate: false,
      positionChanges: [{ accountId: 1, contractId: MNQ.id, before: 0, after: 1, flipped: false }],
      entryFill: { accountId: 1, orderId: 4, contractId: MNQ.id, size: 1 },
    });
    expect(only(outcome).contracts.get(MNQ.id)?.kind).toBe('close');
  });
});

describe('checkDecision', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a valid close', { action: 'close-position', contractId: MNQ.id, code: 'C', reason: 'r' }, undefined],
    ['an unknown action', { action: 'explode', code: 'C', reason: 'r' }, 'unknown action "explode"'],
    ['no code', { action: 'alert', reason: 'r' }, 'missing code'],
    ['no reason', { action: 'alert', code: 'C' }, 'C: missing reason'],
    [
      'a close without contract',
      { action: 'close-position', code: 'C', reason: 'r' },
      'C: close-position needs a contractId',
    ],
    [
      'a fractional reduce',
      { action: 'reduce-position', contractId: MNQ.id, reduceTo: 1.5, code: 'C', reason: 'r' },
      'C: reduce-position needs reduceTo, a whole number >= 0',
    ],
    ['a bad account id', { action: 'alert', accountId: 'x', code: 'C', reason: 'r' }, 'C: bad accountId'],
    [
      'a zero duration',
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'duration', ms: 0 } },
        code: 'C',
        reason: 'r',
      },
      'C: lockout duration must be positive',
    ],
    [
      'a symbol scope without symbol',
      {
        action: 'none',
        lockout: { scope: { kind: 'symbol' }, end: { kind: 'reset' } },
        code: 'C',
        reason: 'r',
      },
      'C: bad lockout scope',
    ],
    [
      'an unknown condition',
      {
        action: 'none',
        lockout: { scope: { kind: 'account' }, end: { kind: 'condition', condition: 'moon' } },
        code: 'C',
        reason: 'r',
      },
      'C: unknown lockout condition',
    ],
  ])('when a rule returns %s then the check says so', (_name, decision, expected) => {
    expect(checkDecision(decision as RuleDecision)).toBe(expected);
  });
});
