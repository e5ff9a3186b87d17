import { describe, expect, it } from 'vitest';
import { MarketCalendar } from '../calendar/market-calendar.js';
import { FakeClock } from '../clock/clock.js';
import { OrderType } from '../domain/types.js';
import { MemoryLogger } from '../ports/logger.js';
import type { EngineEvent, ResetEvent } from '../events/events.js';
import { defineRule, RULE_API_VERSION, type RuleEntryConfig, type RulePack } from '../rules/rule-api.js';
import { RuleRegistry } from '../rules/rule-registry.js';
import { resolveRuleSet } from '../rules/rule-set.js';
import { TEST_CONTRACTS_LIMIT, TEST_DAILY_LOSS, TEST_RULE_PACK } from '../risk/test-rules.fake.js';
import { InMemoryStateStore } from '../state/in-memory-state-store.js';
import { FakeBroker } from '../testing/fake-broker.js';
import { FAKE_CONTRACTS } from '../testing/fake-contracts.js';
import { MemoryAuditLog } from '../testing/memory-audit-log.js';
import { MemoryNotifier } from '../testing/memory-notifier.js';
import { RiskdEngine, type StartReport } from './riskd-engine.js';

const MNQ = FAKE_CONTRACTS.MNQ.id;
const ES = FAKE_CONTRACTS.ES.id;
const MES = FAKE_CONTRACTS.MES.id;
/** Tuesday 2026-01-06 09:00 Chicago (15:00Z); the day's reset is 17:00 Chicago = 23:00Z. */
const T0 = Date.UTC(2026, 0, 6, 15, 0);
const calendar = new MarketCalendar();

const TEST_TIMER = 'TEST_TIMER';
const TEST_CAN_TRADE = 'TEST_CAN_TRADE';

/** Two rules for the facade's own paths: a rule timer, and a lockout that ends on a condition. */
const FACADE_TEST_PACK: RulePack = {
  name: '@riskd/facade-test-rules',
  version: '0.0.0',
  apiVersion: RULE_API_VERSION,
  rules: [
    defineRule<{ readonly delayMs: number }>({
      id: 'test-timer',
      title: 'Timer after each fill (test rule)',
      description: 'Sets a timer delayMs after each fill and alerts when it comes due.',
      optionsSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['delayMs'],
        properties: { delayMs: { type: 'integer', minimum: 1, description: 'Delay after the fill, ms.' } },
      },
      events: ['fill', 'timer'],
      create(options) {
        return {
          evaluate(event, ctx) {
            if (event.kind === 'fill') {
              ctx.timers.set(`after-fill-${event.fill.id}`, event.fill.time + options.delayMs, {
                fillId: event.fill.id,
              });
              return [];
            }
            if (event.kind !== 'timer') return [];
            return [
              {
                action: 'alert',
                code: TEST_TIMER,
                severity: 'info',
                reason: `timer ${event.key} due ${new Date(event.dueAt).toISOString()} ran ${new Date(ctx.now).toISOString()}`,
                data: { payload: event.payload as Record<string, unknown> },
              },
            ];
          },
        };
      },
    }),
    defineRule<Record<string, never>>({
      id: 'test-can-trade',
      title: 'Locked while the broker disables trading (test rule)',
      description: 'Locks the account until the broker reports canTrade true again.',
      optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
      events: ['account'],
      create() {
        return {
          evaluate(event) {
            if (event.kind !== 'account' || event.account.canTrade) return [];
            return [
              {
                action: 'alert',
                code: TEST_CAN_TRADE,
                reason: 'the broker reports canTrade false',
                lockout: { scope: { kind: 'account' }, end: { kind: 'condition', condition: 'can-trade' } },
              },
            ];
          },
        };
      },
    }),
  ],
};
const registry = new RuleRegistry([TEST_RULE_PACK, FACADE_TEST_PACK]);

const RULES: RuleEntryConfig[] = [
  { rule: 'test-contracts-limit', options: { limit: 3 } },
  { rule: 'test-daily-loss', options: { limit: 500 } },
];

class Desk {
  readonly clock: FakeClock;
  readonly broker: FakeBroker;
  readonly logger = new MemoryLogger();
  readonly audit = new MemoryAuditLog();
  readonly notifier = new MemoryNotifier();
  /** Every event the engine handled, in order (start-up catch-up and snapshots included). */
  readonly handled: EngineEvent[] = [];
  engine!: RiskdEngine;

  constructor(
    readonly store = new InMemoryStateStore(),
    start = T0,
    clock?: FakeClock,
    broker?: FakeBroker,
  ) {
    this.clock = clock ?? new FakeClock(start);
    this.broker = broker ?? new FakeBroker({ clock: this.clock, accounts: [{ id: 1 }, { id: 2 }] });
  }

  start(rules: RuleEntryConfig[] = RULES): Promise<StartReport> {
    this.engine = new RiskdEngine({
      clock: this.clock,
      logger: this.logger,
      broker: this.broker,
      store: this.store,
      audit: this.audit,
      notifier: this.notifier,
      calendar,
      ruleSet: resolveRuleSet(registry, { rules }),
    });
    const handle = this.engine.handle.bind(this.engine);
    this.engine.handle = (event) => {
      this.handled.push(event);
      return handle(event);
    };
    return this.engine.start();
  }

  /** The reset events handled so far, as ISO instants with their week-start flag. */
  resets(): string[] {
    return this.handled
      .filter((e): e is ResetEvent => e.kind === 'reset')
      .map((e) => `${new Date(e.at).toISOString()}${e.weekStart ? ' week' : ''}`);
  }
}

describe('RiskdEngine', () => {
  it('when a fill takes the account over the contracts limit then the excess is reduced at the broker', async () => {
    const desk = new Desk();
    await desk.start();
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(1, MNQ, 'buy', 5);
    await desk.clock.advance(100);
    await desk.engine.enforcement.idle();
    expect(desk.broker.netSize(1, MNQ)).toBe(3);
    const reduces = desk.broker.requestsOf('partial-close', 1, MNQ);
    expect(reduces).toHaveLength(1);
    expect(reduces[0]?.size).toBe(2);
    const decision = desk.audit.entries.find(
      (e) =>
        e.code === TEST_CONTRACTS_LIMIT &&
        e.kind === 'decision' &&
        String(e.reason).includes('over limit 3:'),
    );
    // The contract record is fetched on first sight; the decision does not wait for it (sizes need
    // no tick values), so the reason names the contract by its id.
    expect(decision?.reason).toBe('gross open contracts 5 over limit 3: CON.F.US.MNQ.Z25 5 -> 3');
    expect(decision?.timings?.receivedAt).toBeDefined();
  });

  it('when a quote alone moves combined P&L through the loss limit then the account is flattened and locked until the reset', async () => {
    const desk = new Desk();
    await desk.start();
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.trade(1, ES, 'buy', 2); // 2 ES at 6000.25
    await desk.clock.advance(10);
    // 2 ES, $25/point each... 5.25 points down on the bid = -525.00 + fees
    desk.broker.setQuote(ES, { bid: 5995, ask: 5995.25, last: 5995 });
    await desk.clock.advance(10);
    await desk.engine.enforcement.idle();
    expect(desk.broker.netSize(1, ES)).toBe(0);
    const lockout = desk.engine.state.account(1)?.lockouts.get('1:account');
    expect(lockout?.code).toBe(TEST_DAILY_LOSS);
    expect(lockout?.end).toEqual({ kind: 'at', at: Date.UTC(2026, 0, 6, 23, 0) });
    expect(desk.engine.state.account(2)?.lockouts.size).toBe(0);

    // The lockout ends at the reset, exactly.
    await desk.clock.set(Date.UTC(2026, 0, 6, 23, 0) - 1);
    expect(desk.engine.state.account(1)?.lockouts.size).toBe(1);
    await desk.clock.advance(1);
    expect(desk.engine.state.account(1)?.lockouts.size).toBe(0);
    expect(desk.audit.entries.some((e) => e.kind === 'lockout-ended' && e.code === TEST_DAILY_LOSS)).toBe(
      true,
    );
    await desk.engine.stop();
  });

  it('when the daemon restarts during a lockout then the lockout is in force at once and missed resets are caught up once each', async () => {
    const store = new InMemoryStateStore();
    const first = new Desk(store);
    await first.start();
    first.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    first.broker.trade(1, ES, 'buy', 2);
    await first.clock.advance(10);
    first.broker.setQuote(ES, { bid: 5990, ask: 5990.25, last: 5990 });
    await first.clock.advance(10);
    await first.engine.enforcement.idle();
    await first.engine.persistNow();
    expect(store.get('lockout', '1:account')).toBeDefined();

    // Back up one hour later, same day: the lockout holds.
    const second = new Desk(store, undefined, new FakeClock(T0 + 3_600_000), undefined);
    await second.start();
    expect(second.engine.state.account(1)?.isLocked()).toBe(true);
    await second.engine.stop();

    // Back up three days later (Friday): three resets caught up; the lockout has ended.
    const third = new Desk(store, undefined, new FakeClock(Date.UTC(2026, 0, 9, 15, 0)));
    await third.start();
    expect(third.engine.state.lastResetAt).toBe(Date.UTC(2026, 0, 8, 23, 0));
    expect(third.engine.state.tradingDay.id).toBe('2026-01-09');
    await third.clock.advance(1);
    expect(third.engine.state.account(1)?.isLocked()).toBe(false);
    const caughtUp = third.audit.entries.filter((e) => e.kind === 'reset').map((e) => e.reason);
    expect(caughtUp).toEqual([
      'trading day 2026-01-07 started (reset of 2026-01-06T23:00:00.000Z applied on start)',
      'trading day 2026-01-08 started (reset of 2026-01-07T23:00:00.000Z applied on start)',
      'trading day 2026-01-09 started (reset of 2026-01-08T23:00:00.000Z applied on start)',
    ]);
  });
});

describe('RiskdEngine: enforcement through the facade', () => {
  it('when a market order fills before its order update then the filled order no longer counts as working', async () => {
    const desk = new Desk();
    await desk.start();
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    // 2 of 3 allowed: the fill arrives before the order's Filled update (ProjectX's order); the
    // order must not still count as a working entry of 2 more.
    desk.broker.trade(1, MNQ, 'buy', 2);
    await desk.clock.advance(10);
    await desk.engine.enforcement.idle();
    expect(desk.audit.entries.filter((e) => e.kind === 'decision')).toEqual([]);
    expect(desk.notifier.ofKind('enforcement')).toEqual([]);
    await desk.engine.stop();
  });

  it('when the flatten of a daily loss breach fills then it is announced once and its own close order is never cancelled', async () => {
    const desk = new Desk();
    await desk.start();
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.trade(1, ES, 'buy', 2);
    await desk.clock.advance(10);
    desk.broker.setQuote(ES, { bid: 5995, ask: 5995.25, last: 5995 });
    await desk.clock.advance(10);
    await desk.engine.enforcement.idle();
    expect(desk.broker.netSize(1, ES)).toBe(0);
    expect(desk.notifier.ofKind('enforcement').map((a) => [a.severity, a.code])).toEqual([
      ['critical', TEST_DAILY_LOSS],
    ]);
    expect(desk.audit.entries.filter((e) => e.kind === 'decision').map((e) => e.code)).toEqual([
      TEST_DAILY_LOSS,
    ]);
    await desk.engine.stop();
  });

  it('when a contract record arrives after its first fill then the daily loss is evaluated with its tick values', async () => {
    const desk = new Desk();
    await desk.start();
    desk.broker.setQuote(MES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.trade(1, MES, 'buy', 2); // 2 MES at 6000.25
    desk.broker.setQuote(MES, { bid: 5951, ask: 5951.25, last: 5951 }); // -492.50 - 0.74 fees
    await desk.clock.advance(10);
    expect(desk.engine.state.account(1)?.pnl.combined).toBe(-493_240_000);
    // The first ES fill: its P&L is stale until the contract record arrives (one tick under water,
    // -12.50, and 1.40 fees: -507.14); no quote follows.
    desk.broker.trade(1, ES, 'buy', 1);
    await desk.clock.advance(10);
    await desk.engine.enforcement.idle();
    expect(desk.broker.requestsOf('partial-close')).toEqual([]);
    expect(desk.broker.netSize(1, ES)).toBe(0);
    expect(desk.broker.netSize(1, MES)).toBe(0);
    expect(desk.engine.state.account(1)?.lockouts.get('1:account')?.code).toBe(TEST_DAILY_LOSS);
    await desk.engine.stop();
  });

  it('when the position grows again right after a reduce was confirmed then it is reduced again', async () => {
    const desk = new Desk();
    await desk.start();
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(1, MNQ, 'buy', 5);
    await desk.clock.advance(0);
    expect(desk.broker.netSize(1, MNQ)).toBe(3);
    // The trader adds within the confirmation window of the first reduce: a new breach.
    desk.broker.trade(1, MNQ, 'buy', 2);
    await desk.clock.advance(100);
    await desk.engine.enforcement.idle();
    expect(desk.broker.netSize(1, MNQ)).toBe(3);
    expect(desk.broker.requestsOf('partial-close', 1, MNQ).map((r) => r.size)).toEqual([2, 2]);
    await desk.engine.stop();
  });
});

describe('RiskdEngine: time (rule timers, condition lockouts, resets)', () => {
  const TIMER_RULES: RuleEntryConfig[] = [{ rule: 'test-timer', options: { delayMs: 10_000 } }];

  it('when a rule sets a timer then it arrives as a timer event at its instant, not before', async () => {
    const desk = new Desk();
    await desk.start(TIMER_RULES);
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    await desk.clock.advance(1_000);
    const { fills } = desk.broker.trade(1, MNQ, 'buy', 1);
    const fillId = fills[0]?.id;
    const due = T0 + 11_000;
    await desk.engine.persistNow();
    expect(desk.store.get('rule-timer', `1:test-timer:after-fill-${fillId}`)).toMatchObject({ at: due });

    await desk.clock.set(due - 1);
    expect(desk.handled.filter((e) => e.kind === 'timer')).toEqual([]);
    await desk.clock.advance(1);
    const timers = desk.handled.filter((e) => e.kind === 'timer');
    expect(timers).toHaveLength(1);
    expect(timers[0]).toMatchObject({
      kind: 'timer',
      accountId: 1,
      instanceId: 'test-timer',
      key: `after-fill-${fillId}`,
      dueAt: due,
      receivedAt: due,
      payload: { fillId },
    });
    const alert = desk.audit.entries.find((e) => e.code === TEST_TIMER);
    expect(alert?.at).toBe(due);
    expect(alert?.reason).toBe(
      `timer after-fill-${fillId} due ${new Date(due).toISOString()} ran ${new Date(due).toISOString()}`,
    );
    // Consumed: the record is gone and the timer does not come again.
    await desk.engine.persistNow();
    expect(desk.store.get('rule-timer', `1:test-timer:after-fill-${fillId}`)).toBeUndefined();
    await desk.clock.advance(60_000);
    expect(desk.handled.filter((e) => e.kind === 'timer')).toHaveLength(1);
    await desk.engine.stop();
  });

  it('when the daemon restarts before a rule timer is due then the timer still arrives at its instant', async () => {
    const first = new Desk();
    await first.start(TIMER_RULES);
    first.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    first.broker.trade(1, MNQ, 'buy', 1);
    await first.clock.advance(3_000);
    await first.engine.stop();

    const second = new Desk(first.store, undefined, first.clock, first.broker);
    await second.start(TIMER_RULES);
    await second.clock.set(T0 + 10_000 - 1);
    expect(second.handled.filter((e) => e.kind === 'timer')).toEqual([]);
    await second.clock.advance(1);
    expect(second.handled.filter((e) => e.kind === 'timer').map((e) => e.receivedAt)).toEqual([T0 + 10_000]);
    expect(first.handled.filter((e) => e.kind === 'timer')).toEqual([]);
    await second.engine.stop();
  });

  it('when the broker disables trading then a can-trade lockout holds until an account event says canTrade true', async () => {
    const desk = new Desk();
    await desk.start([{ rule: 'test-can-trade' }]);
    desk.broker.setCanTrade(1, false);
    await desk.clock.advance(10);
    const lockout = desk.engine.state.account(1)?.lockouts.get('1:account');
    expect(lockout).toMatchObject({
      code: TEST_CAN_TRADE,
      end: { kind: 'condition', condition: 'can-trade' },
    });
    expect(desk.store.get('lockout', '1:account')).toMatchObject({ code: TEST_CAN_TRADE });

    // Other account events (a balance change) and another account's canTrade do not lift it.
    desk.broker.setBalance(1, 49_000_000_000);
    desk.broker.setCanTrade(2, false);
    desk.broker.setCanTrade(2, true);
    await desk.clock.advance(60 * 60_000);
    expect(desk.engine.state.account(1)?.isLocked()).toBe(true);
    expect(desk.engine.state.account(2)?.isLocked()).toBe(false);

    desk.broker.setCanTrade(1, true);
    await desk.clock.advance(10);
    expect(desk.engine.state.account(1)?.lockouts.size).toBe(0);
    expect(desk.store.get('lockout', '1:account')).toBeUndefined();
    // Account 2 had its own lockout, lifted by its own canTrade true.
    const ended = desk.audit.entries.filter((e) => e.kind === 'lockout-ended');
    expect(ended.map((e) => [e.accountId, e.code, e.reason])).toEqual([
      [2, TEST_CAN_TRADE, 'lockout of account (TEST_CAN_TRADE) its condition cleared'],
      [1, TEST_CAN_TRADE, 'lockout of account (TEST_CAN_TRADE) its condition cleared'],
    ]);
    expect(desk.notifier.ofKind('lockout-ended').map((a) => [a.accountId, a.severity])).toEqual([
      [2, 'info'],
      [1, 'info'],
    ]);
    await desk.engine.stop();
  });

  it('when the daemon was down over a weekend then exactly the resets in between are applied on start, once each, before any event', async () => {
    const store = new InMemoryStateStore();
    // Friday 2026-01-09 09:00 Chicago; stopped before the Friday reset.
    const first = new Desk(store, Date.UTC(2026, 0, 9, 15, 0));
    await first.start();
    await first.clock.advance(60 * 60_000);
    await first.engine.stop();
    expect(first.engine.state.lastResetAt).toBe(Date.UTC(2026, 0, 8, 23, 0));

    // Back on Monday 2026-01-12 09:00 Chicago.
    const monday = Date.UTC(2026, 0, 12, 15, 0);
    const second = new Desk(store, monday);
    const report = await second.start();
    const missed = calendar.resetsBetween(Date.UTC(2026, 0, 8, 23, 0), monday);
    expect(missed.map((at) => new Date(at).toISOString())).toEqual([
      '2026-01-09T23:00:00.000Z',
      '2026-01-10T23:00:00.000Z',
      '2026-01-11T23:00:00.000Z',
    ]);
    expect(second.resets()).toEqual([
      '2026-01-09T23:00:00.000Z',
      '2026-01-10T23:00:00.000Z',
      '2026-01-11T23:00:00.000Z week',
    ]);
    expect(report).toMatchObject({ lastResetBefore: Date.UTC(2026, 0, 8, 23, 0), resetsCaughtUp: 3 });
    // Right after restore, before the broker's first event.
    expect(second.handled.slice(0, 3).map((e) => e.kind)).toEqual(['reset', 'reset', 'reset']);
    expect(second.engine.state.tradingDay.id).toBe('2026-01-12');
    expect(second.engine.state.weekStart).toBe(Date.UTC(2026, 0, 11, 23, 0));
    await second.engine.stop();

    // Started again the same morning: nothing to catch up.
    const third = new Desk(store, monday + 60 * 60_000);
    expect(await third.start()).toMatchObject({ resetsCaughtUp: 0 });
    expect(third.resets()).toEqual([]);
    await third.engine.stop();
  });

  it('when the daemon was down over Christmas 2026 then every calendar day has its reset, the holiday included, once each', async () => {
    const store = new InMemoryStateStore();
    const first = new Desk(store, Date.UTC(2026, 11, 23, 15, 0));
    await first.start();
    await first.engine.stop();
    expect(calendar.holidayOn('2026-12-25')?.kind).toBe('closed');

    const monday = Date.UTC(2026, 11, 28, 15, 0);
    const second = new Desk(store, monday);
    const report = await second.start();
    const expected = calendar
      .resetsBetween(Date.UTC(2026, 11, 22, 23, 0), monday)
      .map((at) => new Date(at).toISOString());
    expect(expected).toEqual([
      '2026-12-23T23:00:00.000Z',
      '2026-12-24T23:00:00.000Z',
      '2026-12-25T23:00:00.000Z',
      '2026-12-26T23:00:00.000Z',
      '2026-12-27T23:00:00.000Z',
    ]);
    expect(second.resets()).toEqual([...expected.slice(0, 4), `${expected[4]} week`]);
    expect(report.resetsCaughtUp).toBe(5);
    expect(second.engine.state.tradingDay.id).toBe('2026-12-28');
    await second.engine.stop();
  });

  it('when DST starts (2026-03-08) then the reset and a lockout until it come at 17:00 CDT = 22:00Z, after a 23 h trading day', async () => {
    const desk = new Desk(undefined, Date.UTC(2026, 2, 8, 15, 0));
    await desk.start();
    expect(desk.engine.state.tradingDay).toMatchObject({
      id: '2026-03-08',
      start: Date.UTC(2026, 2, 7, 23, 0),
      end: Date.UTC(2026, 2, 8, 22, 0),
    });
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.trade(1, ES, 'buy', 2);
    desk.broker.setQuote(ES, { bid: 5990, ask: 5990.25, last: 5990 });
    await desk.clock.advance(10);
    expect(desk.engine.state.account(1)?.lockouts.get('1:account')?.end).toEqual({
      kind: 'at',
      at: Date.UTC(2026, 2, 8, 22, 0),
    });

    await desk.clock.set(Date.UTC(2026, 2, 8, 22, 0) - 1);
    expect(desk.resets()).toEqual(['2026-03-07T23:00:00.000Z']);
    expect(desk.engine.state.account(1)?.isLocked()).toBe(true);
    await desk.clock.advance(1);
    // 2026-03-08 is a Sunday: this reset also starts the trading week.
    expect(desk.resets()).toEqual(['2026-03-07T23:00:00.000Z', '2026-03-08T22:00:00.000Z week']);
    expect(desk.engine.state.account(1)?.lockouts.size).toBe(0);
    expect(desk.audit.ofKind('reset').map((e) => [new Date(e.at).toISOString(), e.reason])).toEqual([
      ['2026-03-08T22:00:00.000Z', 'trading day 2026-03-09 started'],
    ]);
    // The next one is 17:00 CDT again.
    await desk.clock.set(Date.UTC(2026, 2, 9, 22, 0));
    expect(desk.resets().slice(-1)).toEqual(['2026-03-09T22:00:00.000Z']);
    await desk.engine.stop();
  });

  it('when DST ends (2026-11-01) then the reset comes at 17:00 CST = 23:00Z, after a 25 h trading day, not at 22:00Z', async () => {
    const desk = new Desk(undefined, Date.UTC(2026, 10, 1, 15, 0));
    await desk.start();
    expect(desk.engine.state.tradingDay).toMatchObject({
      id: '2026-11-01',
      start: Date.UTC(2026, 9, 31, 22, 0),
      end: Date.UTC(2026, 10, 1, 23, 0),
    });
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.trade(1, ES, 'buy', 2);
    desk.broker.setQuote(ES, { bid: 5990, ask: 5990.25, last: 5990 });
    await desk.clock.advance(10);
    expect(desk.engine.state.account(1)?.lockouts.get('1:account')?.end).toEqual({
      kind: 'at',
      at: Date.UTC(2026, 10, 1, 23, 0),
    });

    await desk.clock.set(Date.UTC(2026, 10, 1, 22, 0));
    expect(desk.audit.ofKind('reset')).toEqual([]);
    expect(desk.engine.state.account(1)?.isLocked()).toBe(true);
    await desk.clock.set(Date.UTC(2026, 10, 1, 23, 0) - 1);
    expect(desk.engine.state.account(1)?.isLocked()).toBe(true);
    await desk.clock.advance(1);
    expect(desk.audit.ofKind('reset').map((e) => [new Date(e.at).toISOString(), e.reason])).toEqual([
      ['2026-11-01T23:00:00.000Z', 'trading day 2026-11-02 started'],
    ]);
    expect(desk.engine.state.account(1)?.lockouts.size).toBe(0);
    expect(desk.engine.state.tradingDay.id).toBe('2026-11-02');
    await desk.engine.stop();
  });
});

describe('RiskdEngine: lockout holds (the latest end wins, every end holds)', () => {
  const RESET = Date.UTC(2026, 0, 6, 23, 0);
  const HOLD_RULES: RuleEntryConfig[] = [
    { rule: 'test-daily-loss', options: { limit: 500 } },
    { rule: 'test-can-trade' },
  ];

  /** Opens 2 ES and moves the quote through the daily loss limit: flatten + lockout until the reset. */
  async function breachDailyLoss(desk: Desk): Promise<void> {
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.trade(1, ES, 'buy', 2);
    await desk.clock.advance(10);
    desk.broker.setQuote(ES, { bid: 5990, ask: 5990.25, last: 5990 });
    await desk.clock.advance(10);
    await desk.engine.enforcement.idle();
  }

  const holdsOf = (desk: Desk): string[] => {
    const lockout = desk.engine.state.account(1)?.lockouts.get('1:account');
    return lockout ? [lockout, ...(lockout.holds ?? [])].map((h) => h.code) : [];
  };

  it('when a lockout until the reset is followed by a can-trade lockout and trading comes back before the reset then the account stays locked until the reset', async () => {
    const desk = new Desk();
    await desk.start(HOLD_RULES);
    await breachDailyLoss(desk);
    expect(desk.broker.netSize(1, ES)).toBe(0);
    expect(holdsOf(desk)).toEqual([TEST_DAILY_LOSS]);

    desk.broker.setCanTrade(1, false);
    await desk.clock.advance(10);
    await desk.engine.enforcement.idle();
    // The condition shows (it ranks above an instant); the reset still holds under it, durably.
    expect(holdsOf(desk)).toEqual([TEST_CAN_TRADE, TEST_DAILY_LOSS]);
    expect(desk.store.get('lockout', '1:account')).toMatchObject({
      code: TEST_CAN_TRADE,
      holds: [{ code: TEST_DAILY_LOSS, end: { kind: 'at', at: RESET } }],
    });
    const started = desk.audit.entries.filter((e) => e.kind === 'lockout-started').map((e) => e.reason);
    expect(started[1]).toBe(
      'account locked until can-trade: the broker reports canTrade false; also locked until 2026-01-06T23:00:00.000Z (TEST_DAILY_LOSS)',
    );

    desk.broker.setCanTrade(1, true);
    await desk.clock.advance(10);
    expect(holdsOf(desk)).toEqual([TEST_DAILY_LOSS]);
    expect(desk.engine.state.account(1)?.isLocked()).toBe(true);
    expect(desk.store.get('lockout', '1:account')).toMatchObject({ code: TEST_DAILY_LOSS });
    expect(desk.store.get('lockout', '1:account')).not.toHaveProperty('holds');
    const ended = desk.audit.entries.filter((e) => e.kind === 'lockout-ended');
    expect(ended.map((e) => [e.code, e.reason])).toEqual([
      [
        TEST_CAN_TRADE,
        'lockout of account (TEST_CAN_TRADE) its condition cleared; the account stays locked until 2026-01-06T23:00:00.000Z by TEST_DAILY_LOSS',
      ],
    ]);
    expect(ended[0]?.data).toMatchObject({
      lockout: { code: TEST_CAN_TRADE },
      continuesAs: { code: TEST_DAILY_LOSS, end: { kind: 'at', at: RESET } },
    });
    expect(desk.notifier.ofKind('lockout-ended').map((a) => a.title)).toEqual([
      'Still locked until 2026-01-06T23:00:00.000Z by TEST_DAILY_LOSS',
    ]);

    // A fill in between is closed at once.
    desk.broker.trade(1, ES, 'buy', 1);
    await desk.clock.advance(10);
    await desk.engine.enforcement.idle();
    expect(desk.broker.netSize(1, ES)).toBe(0);

    // At the reset the last hold ends and the lockout is gone.
    await desk.clock.set(RESET - 1);
    expect(desk.engine.state.account(1)?.isLocked()).toBe(true);
    await desk.clock.advance(1);
    expect(desk.engine.state.account(1)?.lockouts.size).toBe(0);
    expect(desk.store.get('lockout', '1:account')).toBeUndefined();
    await desk.engine.stop();
  });

  it('when a can-trade lockout is in force and a lockout until the reset follows then the reset still holds after trading comes back', async () => {
    const desk = new Desk();
    await desk.start(HOLD_RULES);
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.trade(1, ES, 'buy', 2);
    await desk.clock.advance(10);
    desk.broker.setCanTrade(1, false);
    await desk.clock.advance(10);
    expect(holdsOf(desk)).toEqual([TEST_CAN_TRADE]);

    // The loss breach asks for an instant under the condition: it is no longer dropped.
    desk.broker.setQuote(ES, { bid: 5990, ask: 5990.25, last: 5990 });
    await desk.clock.advance(10);
    await desk.engine.enforcement.idle();
    expect(desk.broker.netSize(1, ES)).toBe(0);
    expect(holdsOf(desk)).toEqual([TEST_CAN_TRADE, TEST_DAILY_LOSS]);

    desk.broker.setCanTrade(1, true);
    await desk.clock.advance(10);
    expect(holdsOf(desk)).toEqual([TEST_DAILY_LOSS]);
    desk.broker.trade(1, ES, 'sell', 1);
    await desk.clock.advance(10);
    await desk.engine.enforcement.idle();
    expect(desk.broker.netSize(1, ES)).toBe(0);
    await desk.clock.set(RESET);
    expect(desk.engine.state.account(1)?.lockouts.size).toBe(0);
    await desk.engine.stop();
  });

  it('when the reset passes while the broker still disables trading then the can-trade hold keeps the account locked', async () => {
    const desk = new Desk();
    await desk.start(HOLD_RULES);
    await breachDailyLoss(desk);
    desk.broker.setCanTrade(1, false);
    await desk.clock.advance(10);
    expect(holdsOf(desk)).toEqual([TEST_CAN_TRADE, TEST_DAILY_LOSS]);

    await desk.clock.set(RESET);
    expect(holdsOf(desk)).toEqual([TEST_CAN_TRADE]);
    expect(desk.engine.state.account(1)?.isLocked()).toBe(true);
    expect(desk.store.get('lockout', '1:account')).toMatchObject({ code: TEST_CAN_TRADE });
    const ended = desk.audit.entries.filter((e) => e.kind === 'lockout-ended');
    expect(ended.map((e) => e.reason)).toEqual([
      'lockout of account (TEST_DAILY_LOSS) ended at 2026-01-06T23:00:00.000Z; the account stays locked until can-trade by TEST_CAN_TRADE',
    ]);

    desk.broker.setCanTrade(1, true);
    await desk.clock.advance(10);
    expect(desk.engine.state.account(1)?.lockouts.size).toBe(0);
    await desk.engine.stop();
  });

  it('when the daemon restarts with a lockout of two holds then both come back and each still ends on its own', async () => {
    const store = new InMemoryStateStore();
    const first = new Desk(store);
    await first.start(HOLD_RULES);
    await breachDailyLoss(first);
    first.broker.setCanTrade(1, false);
    await first.clock.advance(10);
    await first.engine.stop();

    // Same broker (still refusing trades) and clock: a restart one minute later.
    await first.clock.advance(60_000);
    const second = new Desk(store, undefined, first.clock, first.broker);
    await second.start(HOLD_RULES);
    expect(holdsOf(second)).toEqual([TEST_CAN_TRADE, TEST_DAILY_LOSS]);
    second.broker.setCanTrade(1, true);
    await second.clock.advance(10);
    expect(holdsOf(second)).toEqual([TEST_DAILY_LOSS]);
    expect(second.engine.state.account(1)?.isLocked()).toBe(true);
    // The restored instant has its timer.
    await second.clock.set(RESET);
    expect(second.engine.state.account(1)?.lockouts.size).toBe(0);
    await second.engine.stop();
  });

  it('when trading came back while the daemon was down then the restored can-trade hold ends at start and the daily lock stays', async () => {
    const store = new InMemoryStateStore();
    const first = new Desk(store);
    await first.start(HOLD_RULES);
    await breachDailyLoss(first);
    first.broker.setCanTrade(1, false);
    await first.clock.advance(10);
    await first.engine.stop();

    // While the daemon is down the broker lets the account trade again.
    first.broker.setCanTrade(1, true);
    await first.clock.advance(60_000);
    const second = new Desk(store, undefined, first.clock, first.broker);
    await second.start(HOLD_RULES);
    expect(holdsOf(second)).toEqual([TEST_DAILY_LOSS]);
    expect(second.engine.state.account(1)?.isLocked()).toBe(true);
    expect(second.audit.entries.filter((e) => e.kind === 'lockout-ended').map((e) => e.code)).toEqual([
      TEST_CAN_TRADE,
    ]);
    await second.engine.stop();
  });

  it('when the whole lockout is lifted through the facade then every hold goes with it', async () => {
    const desk = new Desk();
    await desk.start(HOLD_RULES);
    await breachDailyLoss(desk);
    desk.broker.setCanTrade(1, false);
    await desk.clock.advance(10);
    const lifted = desk.engine.liftLockout('1:account', 'cleared by the admin: test');
    expect(lifted?.holds?.map((h) => h.code)).toEqual([TEST_DAILY_LOSS]);
    expect(desk.engine.state.account(1)?.lockouts.size).toBe(0);
    expect(desk.store.get('lockout', '1:account')).toBeUndefined();
    // One row per hold; the instant had not passed, so it says why it ended.
    expect(desk.audit.entries.filter((e) => e.kind === 'lockout-ended').map((e) => e.reason)).toEqual([
      'lockout of account (TEST_CAN_TRADE) cleared by the admin: test',
      'lockout of account (TEST_DAILY_LOSS) cleared by the admin: test',
    ]);
    // No timer of the lifted lockout is left to end anything at the reset.
    await desk.clock.set(RESET);
    expect(desk.audit.entries.filter((e) => e.kind === 'lockout-ended')).toHaveLength(2);
    // The config path ends only the condition it names.
    expect(desk.engine.releaseLockout('1:account', { cleared: 'config-valid' })).toBeUndefined();
    await desk.engine.stop();
  });
});

describe('RiskdEngine: stop', () => {
  it('when stopped with an action in flight then it waits for the confirmation, persists, flushes the audit and disconnects', async () => {
    const desk = new Desk();
    await desk.start();
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    // Riskd's partial close is confirmed by events that come 400 ms late.
    const unsubscribe = desk.broker.onRequest(() => {
      const late = desk.broker.delayEvents(400, { accountId: 1, times: Number.POSITIVE_INFINITY });
      queueMicrotask(() => late.remove());
    });
    desk.broker.trade(1, MNQ, 'buy', 5);
    await desk.clock.advance(0);
    unsubscribe();
    expect(desk.engine.enforcement.inFlight()).toBeGreaterThan(0);
    const writesBefore = desk.store.writeLog.length;

    let stopped = false;
    const stopping = desk.engine.stop().then(() => {
      stopped = true;
    });
    for (let waited = 0; !stopped && waited < 10_000; waited += 100) await desk.clock.advance(100);
    await stopping;
    // The drain sees the confirmation arrive (it keeps following the broker until done), so the
    // reduce is neither resent nor reduced twice.
    expect(desk.broker.requestsOf('partial-close').map((r) => [r.at - T0, r.size])).toEqual([[0, 2]]);
    expect(desk.broker.netSize(1, MNQ)).toBe(3);
    expect(desk.clock.now()).toBe(T0 + 400);
    expect(desk.engine.enforcement.inFlight()).toBe(0);
    expect(
      desk.audit.entries.some(
        (e) => e.kind === 'action-confirmed' && e.idempotencyKey?.includes('reduce-to-3'),
      ),
    ).toBe(true);
    // Persisted: the position's epoch; the finished intent is gone.
    expect(desk.store.writeLog.length).toBeGreaterThan(writesBefore);
    expect(desk.store.get('epoch', `1:${MNQ}`)).toMatchObject({ epoch: 1 });
    expect(desk.store.get('intent', `1:${MNQ}:1`)).toBeUndefined();
    expect(desk.audit.flushes).toBe(1);
    expect(desk.broker.connectionState()).toBe('disconnected');

    // Nothing is handled after the stop.
    const events = desk.engine.counters.events;
    await desk.broker.connect();
    desk.broker.trade(1, MNQ, 'buy', 5);
    await desk.clock.advance(10_000);
    expect(desk.engine.counters.events).toBe(events);
  });

  it('when an action never completes then stop gives up after drainMs and still persists its intent', async () => {
    const desk = new Desk();
    await desk.start();
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.acceptWithoutExecuting('partial-close', Number.POSITIVE_INFINITY);
    desk.broker.acceptWithoutExecuting('close', Number.POSITIVE_INFINITY);
    desk.broker.trade(1, MNQ, 'buy', 5);
    await desk.clock.advance(0);

    let stopped = false;
    const stopping = desk.engine.stop({ drainMs: 1_500 }).then(() => {
      stopped = true;
    });
    await desk.clock.advance(1_499);
    expect(stopped).toBe(false);
    await desk.clock.advance(1);
    await stopping;
    expect(stopped).toBe(true);
    expect(desk.engine.enforcement.inFlight()).toBeGreaterThan(0);
    // The reduce is unfinished: its intent stays for the next start to reconcile.
    expect(desk.store.get('intent', `1:${MNQ}:1`)).toMatchObject({ target: 3, fromSize: 5 });
    expect(desk.store.get('epoch', `1:${MNQ}`)).toMatchObject({ epoch: 1 });
    expect(desk.audit.flushes).toBe(1);
  });
});

describe('RiskdEngine: quote subscriptions', () => {
  it('when positions open and close and orders work and end then exactly their contracts are quoted', async () => {
    const desk = new Desk();
    await desk.start();
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    expect([...desk.broker.quoteSubscriptions()]).toEqual([]);

    desk.broker.trade(1, MNQ, 'buy', 1);
    await desk.clock.advance(10);
    expect([...desk.broker.quoteSubscriptions()]).toEqual([MNQ]);

    const order = desk.broker.placeOrder(2, ES, {
      type: OrderType.Limit,
      side: 'buy',
      size: 1,
      limitPrice: 5990,
    });
    await desk.clock.advance(10);
    expect([...desk.broker.quoteSubscriptions()].sort()).toEqual([ES, MNQ].sort());

    desk.broker.traderCancel(order.id);
    desk.broker.trade(1, MNQ, 'sell', 1);
    await desk.clock.advance(10);
    expect([...desk.broker.quoteSubscriptions()]).toEqual([]);
    await desk.engine.stop();
  });
});
