import {
  FakeClock,
  MarketCalendar,
  MemoryLogger,
  resolveRuleSet,
  RiskdEngine,
  RuleRegistry,
  type AccountId,
  type ContractId,
  type EnforcementTuning,
  type Instant,
  type MarketCalendarView,
  type RuleEntryConfig,
  type RulePack,
  type StartReport,
} from '../../src/index.js';
import {
  FAKE_CONTRACTS,
  FakeBroker,
  InMemoryStateStore,
  MemoryAuditLog,
  MemoryNotifier,
  TEST_RULE_PACK,
} from '../../src/testing.js';
import { ProcessBoundary } from './process.fake.js';

export const MNQ = FAKE_CONTRACTS.MNQ.id;
export const NQ = FAKE_CONTRACTS.NQ.id;
export const ES = FAKE_CONTRACTS.ES.id;
export const MES = FAKE_CONTRACTS.MES.id;

/** Tuesday 2026-01-06 09:00 Chicago (15:00Z): the market is open; the day's reset is 23:00Z. */
export const TUESDAY_0900_CT = Date.UTC(2026, 0, 6, 15, 0);

/** The shipped calendar (America/Chicago, 17:00 reset, CME equity holidays). */
export const CALENDAR = new MarketCalendar();

export interface DeskOptions {
  readonly start?: Instant;
  readonly accounts?: readonly AccountId[];
  readonly rules?: readonly RuleEntryConfig[];
  /** Packs besides the test rules (rules written for one test). */
  readonly packs?: readonly RulePack[];
  readonly enforcement?: EnforcementTuning;
  readonly calendar?: MarketCalendarView;
  /** Share these with an earlier desk (a restart on the same broker, clock and store). */
  readonly clock?: FakeClock;
  readonly broker?: FakeBroker;
  readonly store?: InMemoryStateStore;
  readonly audit?: MemoryAuditLog;
  readonly notifier?: MemoryNotifier;
}

/**
 * The real RiskdEngine on the in-memory ports (FakeBroker, FakeClock, InMemoryStateStore,
 * MemoryAuditLog, MemoryNotifier, the real MarketCalendar), inside a {@link ProcessBoundary} so a
 * test can kill it and start another engine on the same broker, clock and store.
 */
export class EngineDesk {
  readonly clock: FakeClock;
  readonly broker: FakeBroker;
  readonly store: InMemoryStateStore;
  readonly audit: MemoryAuditLog;
  readonly notifier: MemoryNotifier;
  readonly logger = new MemoryLogger();
  readonly process: ProcessBoundary;
  readonly engine: RiskdEngine;
  report: StartReport | undefined;

  constructor(private readonly options: DeskOptions = {}) {
    this.clock = options.clock ?? new FakeClock(options.start ?? TUESDAY_0900_CT);
    this.broker =
      options.broker ??
      new FakeBroker({ clock: this.clock, accounts: (options.accounts ?? [1, 2]).map((id) => ({ id })) });
    this.store = options.store ?? new InMemoryStateStore();
    this.audit = options.audit ?? new MemoryAuditLog();
    this.notifier = options.notifier ?? new MemoryNotifier();
    this.process = new ProcessBoundary(this.broker, this.clock, this.store);
    const registry = new RuleRegistry([TEST_RULE_PACK, ...(options.packs ?? [])]);
    this.engine = new RiskdEngine({
      clock: this.process.clock,
      logger: this.logger,
      broker: this.process.broker,
      store: this.process.store,
      audit: this.audit,
      notifier: this.notifier,
      calendar: options.calendar ?? CALENDAR,
      ruleSet: resolveRuleSet(registry, { rules: options.rules ?? [] }),
      ...(options.enforcement ? { enforcement: options.enforcement } : {}),
    });
  }

  /** Builds a desk and starts its engine. */
  static async open(options: DeskOptions = {}): Promise<EngineDesk> {
    const desk = new EngineDesk(options);
    await desk.start();
    return desk;
  }

  async start(): Promise<StartReport> {
    this.report = await this.engine.start();
    return this.report;
  }

  /** Kills this process (kill -9): nothing it does reaches the broker, the clock or the store any more. */
  crash(): void {
    this.process.kill();
  }

  /** Kills this process and starts a new engine on the same broker, clock, store, audit and notifier. */
  async restart(overrides: Partial<DeskOptions> = {}): Promise<EngineDesk> {
    this.crash();
    return EngineDesk.open({
      ...this.options,
      clock: this.clock,
      broker: this.broker,
      store: this.store,
      audit: this.audit,
      notifier: this.notifier,
      ...overrides,
    });
  }

  /** Moves time forward, running due timers and letting promises settle. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }

  /** Advances in steps until enforcement has nothing in flight; fails after `maxMs`. */
  async settle(maxMs = 60_000, stepMs = 250): Promise<number> {
    await this.clock.advance(0);
    let waited = 0;
    while (this.engine.enforcement.inFlight() > 0) {
      if (waited >= maxMs) {
        throw new Error(
          `enforcement not idle after ${maxMs} ms: ${JSON.stringify(this.engine.enforcement.pendingActions())}`,
        );
      }
      await this.clock.advance(stepMs);
      waited += stepMs;
    }
    await this.engine.enforcement.idle();
    return waited;
  }

  /** Signed sizes of every open position of an account at the broker. */
  positionsAtBroker(accountId: AccountId): Map<ContractId, number> {
    const out = new Map<ContractId, number>();
    for (const c of Object.values(FAKE_CONTRACTS)) {
      const size = this.broker.netSize(accountId, c.id);
      if (size !== 0) out.set(c.id, size);
    }
    return out;
  }

  /** Signed sizes of every open position of an account in the engine's state. */
  positionsInEngine(accountId: AccountId): Map<ContractId, number> {
    const out = new Map<ContractId, number>();
    for (const p of this.engine.state.account(accountId)?.positions.values() ?? [])
      out.set(p.contractId, p.side === 'long' ? p.size : -p.size);
    return out;
  }
}
