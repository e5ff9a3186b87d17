import { beforeEach, describe, expect, it } from 'vitest';
import { MarketCalendar } from '../calendar/market-calendar.js';
import { FakeClock } from '../clock/clock.js';
import { lockoutId, type Lockout } from '../domain/lockout.js';
import { OrderStatus, OrderType, type Contract, type Order, type Side } from '../domain/types.js';
import type { EngineEvent } from '../events/events.js';
import { toMicros } from '../money/money.js';
import { MemoryLogger } from '../ports/logger.js';
import type { RuleEntryConfig } from '../rules/rule-api.js';
import { RuleRegistry } from '../rules/rule-registry.js';
import { resolveRuleSet } from '../rules/rule-set.js';
import { StateManager } from '../state/state-manager.js';
import { FAKE_CONTRACTS } from '../testing/fake-contracts.js';
import { LOCKOUT_ENTRY_CANCELLED, LOCKOUT_FILL_CLOSED } from './lockout-guard.js';
import type { Outcome } from './outcome.js';
import { RiskEngine } from './risk-engine.js';
import {
  TEST_CONTRACTS_LIMIT,
  TEST_DAILY_LOSS,
  TEST_DAILY_LOSS_WARNING,
  TEST_RULE_PACK,
} from './test-rules.fake.js';

/**
 * The risk engine on the real StateManager and MarketCalendar: events are applied to state, then
 * evaluated, as the engine facade does it.
 */

const MNQ = FAKE_CONTRACTS.MNQ;
const NQ = FAKE_CONTRACTS.NQ;
/** Tuesday 2026-01-06 09:00 Chicago. */
const T0 = Date.UTC(2026, 0, 6, 15, 0);
const RESET = Date.UTC(2026, 0, 6, 23, 0);
const registry = new RuleRegistry([TEST_RULE_PACK]);
const calendar = new MarketCalendar();

class Desk {
  readonly clock = new FakeClock(T0);
  readonly logger = new MemoryLogger();
  readonly state = new StateManager({ clock: this.clock, calendar, includeFees: true, logger: this.logger });
  readonly engine = new RiskEngine({
    state: this.state,
    calendar,
    clock: this.clock,
    includeFees: true,
    logger: this.logger,
  });
  private nextFillId = 1;

  constructor(rules: RuleEntryConfig[]) {
    this.engine.configure(resolveRuleSet(registry, { rules }));
    this.state.upsertContract(MNQ);
    this.state.upsertContract(NQ);
    this.feed({ ...this.meta(), kind: 'account', accountId: 1, account: this.accountRecord(true) });
  }

  private meta() {
    return {
      brokerTime: null,
      receivedAt: this.clock.now(),
      receivedNs: this.clock.monotonicNs(),
      origin: 'stream' as const,
    };
  }

  private accountRecord(canTrade: boolean) {
    return { id: 1, name: 'ACC-1', balance: toMicros(50_000), canTrade, isVisible: true, simulated: true };
  }

  /** Applies an event to state, then evaluates it: the facade's order. */
  feed(event: EngineEvent): Outcome {
    return this.engine.evaluate(event, this.state.apply(event));
  }

  fill(
    contract: Contract,
    orderId: number,
    side: Side,
    size: number,
    price: number,
    pnl: number | null = null,
  ): Outcome {
    return this.feed({
      ...this.meta(),
      kind: 'fill',
      accountId: 1,
      fill: {
        id: this.nextFillId++,
        accountId: 1,
        contractId: contract.id,
        orderId,
        side,
        size,
        price,
        profitAndLoss: pnl === null ? null : toMicros(pnl),
        fees: 0,
        voided: false,
        time: this.clock.now(),
      },
    });
  }

  quote(contract: Contract, bid: number, ask: number): Outcome {
    return this.feed({
      ...this.meta(),
      kind: 'quote',
      quote: { contractId: contract.id, bid, ask, last: bid, time: this.clock.now() },
    });
  }

  order(
    contract: Contract,
    id: number,
    side: Side,
    size: number,
    type = OrderType.Limit,
    status = OrderStatus.Open,
  ): Outcome {
    const order: Order = {
      id,
      accountId: 1,
      contractId: contract.id,
      type,
      side,
      size,
      status,
      limitPrice: type === OrderType.Limit ? 100 : null,
      stopPrice: type === OrderType.Stop ? 100 : null,
      fillVolume: 0,
      filledPrice: null,
      customTag: null,
      createdAt: this.clock.now(),
      updatedAt: null,
    };
    return this.feed({ ...this.meta(), kind: 'order', accountId: 1, order });
  }

  /** What the facade does with an outcome's lockout requests. */
  applyLockouts(outcome: Outcome): Lockout[] {
    const started: Lockout[] = [];
    for (const account of outcome.accounts.values()) {
      for (const request of account.lockouts) {
        const lockout: Lockout = {
          id: lockoutId(request.accountId, request.scope),
          accountId: request.accountId,
          scope: request.scope,
          ruleId: request.decision.ruleId,
          instanceId: request.decision.instanceId,
          code: request.decision.code,
          reason: request.decision.reason,
          startedAt: outcome.decidedAt,
          end: request.end,
        };
        this.state.setLockout(lockout);
        started.push(lockout);
      }
    }
    return started;
  }
}

let desk: Desk;

describe('RiskEngine on the StateManager: daily loss on combined P&L', () => {
  beforeEach(() => {
    desk = new Desk([{ rule: 'test-daily-loss', options: { limit: 500 }, warnAt: 0.8 }]);
  });

  it('when a quote alone moves the open position to the limit then the account is flattened and locked until the reset', async () => {
    expect(desk.fill(MNQ, 101, 'buy', 10, 20_000).accounts.size).toBe(0);
    await desk.clock.advance(1_000);
    // 10 MNQ long, bid 19975.25: -99 ticks x 0.50 x 10 = -495.00, not yet.
    const near = desk.quote(MNQ, 19_975.25, 19_975.5);
    expect(near.accounts.get(1)?.flatten ?? []).toEqual([]);
    // Bid 19975: -100 ticks x 0.50 x 10 = -500.00: exactly at the limit is a breach.
    const breach = desk.quote(MNQ, 19_975, 19_975.25);
    const account = breach.accounts.get(1);
    expect(account?.flatten.map((d) => [d.code, d.reason])).toEqual([
      [TEST_DAILY_LOSS, 'combined P&L -500.00 breached daily loss limit 500.00'],
    ]);
    expect(account?.lockouts.map((l) => l.end)).toEqual([{ kind: 'at', at: RESET }]);
  });

  it('when the warning level is crossed then one warning per trading day is persisted through the state manager', async () => {
    desk.fill(MNQ, 101, 'buy', 10, 20_000);
    // -80 ticks x 0.50 x 10 = -400.00 = 80% of 500.
    const first = desk.quote(MNQ, 19_980, 19_980.25);
    expect(first.accounts.get(1)?.alerts.map((a) => a.code)).toEqual([TEST_DAILY_LOSS_WARNING]);
    expect(desk.quote(MNQ, 19_979, 19_979.25).accounts.size).toBe(0);
    const persisted = desk.state.drainDirty().filter((r) => r.ns === 'rule-state');
    expect(JSON.stringify(persisted)).toContain('2026-01-06');
    await desk.clock.set(RESET);
    desk.feed({
      brokerTime: null,
      receivedAt: RESET,
      receivedNs: 0n,
      origin: 'engine',
      kind: 'reset',
      at: RESET,
      weekStart: false,
    });
    await desk.clock.advance(1_000);
    // The carried position's basis is now the reset mark (19979): combined P&L starts at 0 again.
    expect(desk.quote(MNQ, 19_979, 19_979.25).accounts.size).toBe(0);
    const again = desk.quote(MNQ, 19_959, 19_959.25);
    expect(again.accounts.get(1)?.alerts.map((a) => a.reason)).toEqual([
      'combined P&L -400.00 reached 80% of daily loss limit 500.00',
    ]);
  });
});

describe('RiskEngine on the StateManager: lockouts catch in-flight fills', () => {
  beforeEach(() => {
    desk = new Desk([{ rule: 'test-contracts-limit', options: { limit: 5 } }]);
    desk.state.setLockout({
      id: lockoutId(1, { kind: 'account' }),
      accountId: 1,
      scope: { kind: 'account' },
      ruleId: 'cooldown',
      instanceId: 'cooldown',
      code: 'COOLDOWN',
      reason: 'cooling down',
      startedAt: T0 - 1_000,
      end: { kind: 'at', at: T0 + 15 * 60_000 },
    });
  });

  it('when an order fills after the lockout started then the new position is closed at once', () => {
    const outcome = desk.fill(MNQ, 201, 'buy', 2, 20_000);
    const action = outcome.accounts.get(1)?.contracts.get(MNQ.id);
    expect(action?.kind).toBe('close');
    expect(action?.decisions.map((d) => [d.ruleId, d.code])).toEqual([
      ['lockout-guard', LOCKOUT_FILL_CLOSED],
    ]);
  });

  it('when a protective stop is placed during the lockout then it is kept, and an entry order is cancelled', () => {
    desk.state.removeLockout(lockoutId(1, { kind: 'account' }));
    desk.fill(MNQ, 201, 'buy', 2, 20_000);
    desk.state.setLockout({
      id: lockoutId(1, { kind: 'account' }),
      accountId: 1,
      scope: { kind: 'account' },
      ruleId: 'cooldown',
      instanceId: 'cooldown',
      code: 'COOLDOWN',
      reason: 'cooling down',
      startedAt: desk.clock.now(),
      end: { kind: 'at', at: T0 + 15 * 60_000 },
    });
    expect(desk.order(MNQ, 301, 'sell', 2, OrderType.Stop).accounts.size).toBe(0);
    const entry = desk.order(MNQ, 302, 'buy', 1);
    const action = entry.accounts.get(1)?.contracts.get(MNQ.id);
    expect(action).toMatchObject({ kind: 'cancel', cancelOrderIds: [302] });
    expect(action?.decisions[0]?.code).toBe(LOCKOUT_ENTRY_CANCELLED);
  });
});

describe('RiskEngine on the StateManager: contracts limit', () => {
  it('when fills take gross contracts over the limit then the most recent position is reduced', async () => {
    desk = new Desk([{ rule: 'test-contracts-limit', options: { limit: 4 } }]);
    expect(desk.fill(MNQ, 401, 'buy', 3, 20_000).accounts.size).toBe(0);
    await desk.clock.advance(1_000);
    const outcome = desk.fill(NQ, 402, 'sell', 2, 20_000);
    const action = outcome.accounts.get(1)?.contracts.get(NQ.id);
    expect(action).toMatchObject({ kind: 'reduce', reduceTo: 1 });
    expect(action?.decisions[0]).toMatchObject({
      code: TEST_CONTRACTS_LIMIT,
      reason: 'gross open contracts 5 over limit 4: NQZ5 2 -> 1',
    });
  });

  it('when the daily loss lockout starts then working entry orders are swept in the same outcome', () => {
    desk = new Desk([
      { rule: 'test-daily-loss', options: { limit: 500 } },
      { rule: 'test-contracts-limit', options: { limit: 10 } },
    ]);
    desk.order(NQ, 501, 'buy', 1);
    desk.fill(MNQ, 502, 'buy', 10, 20_000);
    const breach = desk.quote(MNQ, 19_970, 19_970.25);
    const account = breach.accounts.get(1);
    expect(account?.flatten).toHaveLength(1);
    // Flatten covers the sweep: the guard's cancel is part of the decisions, not a separate action.
    expect(breach.decisions?.map((d) => `${d.ruleId}:${d.code}`).sort()).toEqual([
      `lockout-guard:${LOCKOUT_ENTRY_CANCELLED}`,
      `test-daily-loss:${TEST_DAILY_LOSS}`,
    ]);
    const [lockout] = desk.applyLockouts(breach);
    expect(lockout).toMatchObject({ code: TEST_DAILY_LOSS, end: { kind: 'at', at: RESET } });
  });
});
