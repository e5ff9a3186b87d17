import { describe, expect, it } from 'vitest';
import { MarketCalendar } from '../calendar/market-calendar.js';
import { FakeClock } from '../clock/clock.js';
import { toMicros } from '../money/money.js';
import { MemoryLogger } from '../ports/logger.js';
import type { RuleEntryConfig } from '../rules/rule-api.js';
import { RuleRegistry } from '../rules/rule-registry.js';
import { resolveRuleSet } from '../rules/rule-set.js';
import { TEST_CONTRACTS_LIMIT, TEST_DAILY_LOSS, TEST_RULE_PACK } from '../risk/test-rules.fake.js';
import { InMemoryStateStore } from '../state/in-memory-state-store.js';
import { FakeBroker } from '../testing/fake-broker.js';
import { FAKE_CONTRACTS } from '../testing/fake-contracts.js';
import { MemoryAuditLog } from '../testing/memory-audit-log.js';
import { MemoryNotifier } from '../testing/memory-notifier.js';
import { RiskdEngine } from './riskd-engine.js';

const MNQ = FAKE_CONTRACTS.MNQ.id;
const ES = FAKE_CONTRACTS.ES.id;
/** Tuesday 2026-01-06 09:00 Chicago (15:00Z); the day's reset is 17:00 Chicago = 23:00Z. */
const T0 = Date.UTC(2026, 0, 6, 15, 0);
const calendar = new MarketCalendar();
const registry = new RuleRegistry([TEST_RULE_PACK]);

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

  async start(rules: RuleEntryConfig[] = RULES): Promise<void> {
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
    await this.engine.start();
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
    expect(toMicros(0)).toBe(0);
  });
});
