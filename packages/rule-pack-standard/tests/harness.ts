import {
  type AccountConfig,
  type AccountId,
  type Contract,
  type ContractId,
  type Decision,
  type EngineEvent,
  FakeClock,
  InMemoryStateStore,
  type Lockout,
  lockoutId,
  type LockoutScope,
  MarketCalendar,
  type MarketCalendarView,
  MemoryLogger,
  type Outcome,
  RiskdEngine,
  type RiskdEngineOptions,
  type RuleEntryConfig,
  resolveRuleSet,
  RuleRegistry,
} from '@riskd/core-engine';
import {
  FAKE_CONTRACTS,
  type FakeAccountInit,
  FakeBroker,
  MemoryAuditLog,
  MemoryNotifier,
} from '@riskd/core-engine/testing';
import { rulePack } from '../src/index.js';

export const MNQ = FAKE_CONTRACTS.MNQ;
export const NQ = FAKE_CONTRACTS.NQ;
export const ES = FAKE_CONTRACTS.ES;
export const MES = FAKE_CONTRACTS.MES;

/** The registry of the standard pack, built once (it compiles every options schema with ajv). */
export const REGISTRY = new RuleRegistry([rulePack]);

/** Options of {@link Harness}. */
export interface HarnessOptions {
  /** Start instant of the fake clock (ISO or epoch ms). */
  readonly start: string | number;
  /** Universal rule entries. */
  readonly rules?: readonly RuleEntryConfig[];
  readonly accounts?: readonly AccountConfig[];
  /** Broker accounts (default one account, id 1, named TS-50K-1). */
  readonly brokerAccounts?: readonly FakeAccountInit[];
  readonly includeFees?: boolean;
  /** Initial quotes (bid = ask = last) by contract id. */
  readonly quotes?: Readonly<Record<ContractId, number>>;
  readonly calendar?: MarketCalendarView;
  readonly contracts?: readonly Contract[];
  /** Fees per contract per side by symbol, micro-dollars (default: the fake broker's). */
  readonly feesPerSide?: Readonly<Record<string, number>>;
  /** Batched state writes every this many ms (the engine's default is 250; longer keeps long clock jumps fast). */
  readonly persistIntervalMs?: number;
}

/**
 * The real engine facade with two test hooks: every outcome is kept, and `kill()` makes the
 * process dead (kill -9): it handles nothing more and writes nothing more.
 */
class RecordingEngine extends RiskdEngine {
  killed = false;
  constructor(
    options: RiskdEngineOptions,
    private readonly record: (outcome: Outcome) => void,
  ) {
    super(options);
  }

  override handle(event: EngineEvent): Outcome {
    if (this.killed) return { event, decidedAt: event.receivedAt, accounts: new Map() };
    const outcome = super.handle(event);
    if (outcome.accounts.size > 0 || (outcome.decisions?.length ?? 0) > 0) this.record(outcome);
    return outcome;
  }

  override persistNow(): Promise<void> {
    return this.killed ? Promise.resolve() : super.persistNow();
  }
}

/**
 * A daemon for tests: broker events run through the real engine (StateManager, RiskEngine with
 * this pack's rules validated by the real RuleRegistry, EnforcementEngine) against the FakeBroker,
 * on a FakeClock with the real MarketCalendar. It can crash (kill -9) and start again from what
 * the store holds.
 */
export class Harness {
  readonly clock: FakeClock;
  readonly calendar: MarketCalendarView;
  readonly broker: FakeBroker;
  readonly store = new InMemoryStateStore();
  readonly audit = new MemoryAuditLog();
  readonly notifier = new MemoryNotifier();
  readonly logger = new MemoryLogger();
  readonly outcomes: Outcome[] = [];
  engine!: RecordingEngine;

  private constructor(private readonly options: HarnessOptions) {
    this.clock = new FakeClock(options.start);
    this.calendar = options.calendar ?? new MarketCalendar();
    this.broker = new FakeBroker({
      clock: this.clock,
      contracts: [...Object.values(FAKE_CONTRACTS), ...(options.contracts ?? [])],
      accounts: options.brokerAccounts ?? [{ id: 1, name: 'TS-50K-1' }],
      ...(options.feesPerSide ? { feesPerSide: options.feesPerSide } : {}),
    });
  }

  /** Harnesses started since the last {@link Harness.takeErrors}. */
  private static live: Harness[] = [];

  /** Error and fatal log lines of every harness started since the last call (tests fail on them). */
  static takeErrors(): string[] {
    const lines = Harness.live.flatMap((h) =>
      h.logger.lines
        .filter((l) => l.level === 'error' || l.level === 'fatal')
        .map((l) => `${l.msg ?? ''} ${JSON.stringify(l.obj)}`),
    );
    Harness.live = [];
    return lines;
  }

  static async start(options: HarnessOptions): Promise<Harness> {
    const harness = new Harness(options);
    Harness.live.push(harness);
    await harness.boot();
    for (const [contractId, price] of Object.entries(options.quotes ?? {})) harness.quote(contractId, price);
    await harness.settle();
    return harness;
  }

  get state() {
    return this.engine.state;
  }

  /** Every decision so far (stamped; enforce and shadow; in each event's canonical order). */
  decisions(): Decision[] {
    return this.outcomes.flatMap((o) => o.decisions ?? []);
  }

  decisionsWith(code: string): Decision[] {
    return this.decisions().filter((d) => d.code === code);
  }

  lockout(accountId: AccountId, scope: LockoutScope = { kind: 'account' }): Lockout | undefined {
    return this.state.account(accountId)?.lockouts.get(lockoutId(accountId, scope));
  }

  /** Signed broker position: + long, - short, 0 flat. */
  net(accountId: AccountId, contractId: ContractId): number {
    return this.broker.netSize(accountId, contractId);
  }

  /** Sets bid = ask = last (working limits and stops it reaches fill). */
  quote(contractId: ContractId, price: number): void {
    this.broker.setQuote(contractId, { bid: price, ask: price, last: price });
  }

  /** Lets `ms` pass on the clock, then waits until nothing is in flight. */
  async advance(ms = 0): Promise<void> {
    await this.clock.advance(ms);
    await this.settle();
  }

  /** Waits until enforcement is idle, moving the clock to due retries (an enforcement round is at most 5 s). */
  async settle(): Promise<void> {
    const deadline = this.clock.now() + 10_000;
    for (let i = 0; i < 50; i++) {
      await this.clock.runDue();
      if (this.engine.enforcement.inFlight() === 0) {
        await this.engine.enforcement.idle();
        return;
      }
      const next = this.clock.nextDueAt();
      if (next === undefined || next > deadline) break;
      await this.clock.set(Math.max(next, this.clock.now()));
    }
    await this.engine.enforcement.idle();
  }

  /** Writes the batched state now (the engine otherwise does so every 250 ms). */
  persist(): Promise<void> {
    return this.engine.persistNow();
  }

  /**
   * kill -9, `downMs` of downtime, start again: only what the store holds survives (durable
   * lockouts and intents, state batched up to the last persist); missed resets are caught up and
   * the broker's snapshot is loaded before anything is evaluated.
   */
  async crashAndRestart(downMs = 0): Promise<void> {
    this.engine.killed = true;
    await this.clock.advance(downMs);
    await this.boot();
  }

  private async boot(): Promise<void> {
    this.engine = new RecordingEngine(
      {
        clock: this.clock,
        logger: this.logger,
        broker: this.broker,
        store: this.store,
        audit: this.audit,
        notifier: this.notifier,
        calendar: this.calendar,
        includeFees: this.options.includeFees ?? true,
        persistIntervalMs: this.options.persistIntervalMs ?? 5_000,
        ruleSet: resolveRuleSet(REGISTRY, {
          rules: this.options.rules ?? [],
          accounts: this.options.accounts ?? [],
        }),
      },
      (outcome) => this.outcomes.push(outcome),
    );
    await this.engine.start();
    await this.settle();
  }
}
