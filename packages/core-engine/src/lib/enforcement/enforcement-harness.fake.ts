import { DEFAULT_TRADING_DAY_CONFIG } from '../calendar/default-trading-day-config.js';
import { MarketCalendar } from '../calendar/market-calendar.js';
import { FakeClock } from '../clock/clock.js';
import type { Lockout, LockoutEnd, LockoutScope } from '../domain/lockout.js';
import { addLockoutHold, lockoutId } from '../domain/lockout.js';
import type { AccountId, ContractId, OrderId } from '../domain/types.js';
import type { EngineEvent } from '../events/events.js';
import { MemoryLogger } from '../ports/logger.js';
import type { AccountOutcome, ContractAction, LockoutRequest, Outcome } from '../risk/outcome.js';
import type { Decision, DecisionAction, RuleMode } from '../rules/rule-api.js';
import { InMemoryStateStore } from '../state/in-memory-state-store.js';
import { StateManager } from '../state/state-manager.js';
import type { AlertSeverity } from '../ports/notifier.js';
import { FakeBroker } from '../testing/fake-broker.js';
import { FAKE_CONTRACTS } from '../testing/fake-contracts.js';
import { MemoryAuditLog } from '../testing/memory-audit-log.js';
import { MemoryNotifier } from '../testing/memory-notifier.js';
import { EnforcementEngine, type EnforcementOptions } from './enforcement-engine.js';

export const MNQ = FAKE_CONTRACTS.MNQ.id;
export const NQ = FAKE_CONTRACTS.NQ.id;
export const ES = FAKE_CONTRACTS.ES.id;
export const MES = FAKE_CONTRACTS.MES.id;

type EngineTuning = Partial<
  Pick<
    EnforcementOptions,
    'maxAttempts' | 'attemptWindowMs' | 'confirmTimeoutMs' | 'backoffMs' | 'retryFailedAfterMs'
  >
>;

export interface HarnessOptions {
  readonly accounts?: readonly AccountId[];
  readonly engine?: EngineTuning;
  /** Share a broker and store with a previous harness (a restart). */
  readonly broker?: FakeBroker;
  readonly store?: InMemoryStateStore;
  readonly clock?: FakeClock;
}

/**
 * The enforcement engine wired the way the engine facade wires it: broker events go through the
 * real StateManager, then to `observe()`; state changes are drained to the store after each event.
 * Outcomes are built by hand (the risk engine is not involved).
 */
export class EnforcementHarness {
  readonly clock: FakeClock;
  readonly broker: FakeBroker;
  readonly store: InMemoryStateStore;
  readonly state: StateManager;
  readonly audit = new MemoryAuditLog();
  readonly notifier = new MemoryNotifier();
  readonly logger = new MemoryLogger();
  readonly engine: EnforcementEngine;
  private readonly unsubscribe: () => void;
  private nextDecision = 1;

  private constructor(options: HarnessOptions) {
    this.clock = options.clock ?? new FakeClock('2026-01-06T15:00:00Z');
    this.broker =
      options.broker ??
      new FakeBroker({ clock: this.clock, accounts: (options.accounts ?? [1, 2]).map((id) => ({ id })) });
    this.store = options.store ?? new InMemoryStateStore();
    this.state = new StateManager({
      clock: this.clock,
      calendar: new MarketCalendar(DEFAULT_TRADING_DAY_CONFIG),
      includeFees: true,
      logger: this.logger,
    });
    for (const contract of Object.values(FAKE_CONTRACTS)) this.state.upsertContract(contract);
    this.engine = new EnforcementEngine({
      broker: this.broker,
      accounts: this.state.accounts,
      store: this.store,
      audit: this.audit,
      notifier: this.notifier,
      clock: this.clock,
      logger: this.logger,
      ...options.engine,
    });
    this.unsubscribe = this.broker.onEvent((event) => this.feed(event));
  }

  /** A fresh broker with quotes on the four contracts, connected, and an engine on it. */
  static async create(options: HarnessOptions = {}): Promise<EnforcementHarness> {
    const harness = new EnforcementHarness(options);
    if (!options.broker) {
      await harness.broker.connect();
      harness.broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25, last: 21_000 });
      harness.broker.setQuote(NQ, { bid: 21_000, ask: 21_000.25, last: 21_000 });
      harness.broker.setQuote(ES, { bid: 6_000, ask: 6_000.25, last: 6_000 });
      harness.broker.setQuote(MES, { bid: 6_000, ask: 6_000.25, last: 6_000 });
    }
    return harness;
  }

  /**
   * The daemon after a crash: a new state manager and engine on the same broker and store. Records
   * are restored, the broker's snapshot is applied, then open intents are reconciled.
   */
  async restart(engine: EngineTuning = {}): Promise<EnforcementHarness> {
    this.unsubscribe();
    const next = new EnforcementHarness({
      broker: this.broker,
      store: this.store,
      clock: this.clock,
      engine,
    });
    const records = await this.store.load();
    next.state.restore(records);
    next.engine.restore(records);
    for (const account of await this.broker.listAccounts()) {
      next.feed(this.snapshotEvent({ kind: 'account', accountId: account.id, account }));
      for (const position of await this.broker.openPositions(account.id)) {
        next.feed(this.snapshotEvent({ kind: 'position', accountId: account.id, position }));
      }
      for (const order of await this.broker.openOrders(account.id)) {
        next.feed(this.snapshotEvent({ kind: 'order', accountId: account.id, order }));
      }
    }
    await next.engine.reconcileOpenIntents();
    return next;
  }

  /** Stops listening to the broker (the process died). */
  crash(): void {
    this.unsubscribe();
  }

  feed(event: EngineEvent): void {
    const update = this.state.apply(event);
    this.engine.observe(event, update);
    const dirty = this.state.drainDirty();
    if (dirty.length > 0) void this.store.write(dirty, { durable: false });
  }

  // ------------------------------------------------------------------------- outcome builders

  decision(
    accountId: AccountId,
    action: DecisionAction,
    extra: Partial<Omit<Decision, 'accountId' | 'action'>> = {},
  ): Decision {
    const n = this.nextDecision++;
    const severity: AlertSeverity = action === 'flatten' ? 'critical' : 'info';
    const mode: RuleMode = 'enforce';
    return {
      accountId,
      action,
      ruleId: 'test-rule',
      instanceId: `test-rule-${n}`,
      code: 'TEST_BREACH',
      reason: `test breach #${n}`,
      mode,
      severity,
      decidedAt: this.clock.now(),
      ...extra,
    };
  }

  close(
    accountId: AccountId,
    contractId: ContractId,
    cancelOrderIds: readonly OrderId[] = [],
  ): ContractAction {
    return {
      accountId,
      contractId,
      kind: 'close',
      cancelOrderIds,
      decisions: [this.decision(accountId, 'close-position', { contractId })],
    };
  }

  reduce(accountId: AccountId, contractId: ContractId, reduceTo: number): ContractAction {
    return {
      accountId,
      contractId,
      kind: 'reduce',
      reduceTo,
      cancelOrderIds: [],
      decisions: [this.decision(accountId, 'reduce-position', { contractId, reduceTo })],
    };
  }

  cancel(accountId: AccountId, contractId: ContractId, orderIds: readonly OrderId[]): ContractAction {
    return {
      accountId,
      contractId,
      kind: 'cancel',
      cancelOrderIds: orderIds,
      decisions: [this.decision(accountId, 'cancel-orders', { contractId, orderIds })],
    };
  }

  lockout(
    accountId: AccountId,
    scope: LockoutScope,
    end: LockoutEnd,
    extra: Partial<Omit<Decision, 'accountId' | 'action'>> = {},
  ): LockoutRequest {
    const decision = this.decision(accountId, 'none', {
      lockout: { scope, end: { kind: 'reset' } },
      severity: 'warning',
      ...extra,
    });
    // The facade combines the request with the lockout in force on its scope and sets the record
    // in state before enforcement runs.
    const id = lockoutId(accountId, scope);
    const hold = {
      ruleId: decision.ruleId,
      instanceId: decision.instanceId,
      code: decision.code,
      reason: decision.reason,
      startedAt: decision.decidedAt,
      end,
    };
    const existing = this.state.account(accountId)?.lockouts.get(id);
    const lockout: Lockout = existing
      ? addLockoutHold(existing, hold, decision.decidedAt)
      : { id, accountId, scope, ...hold };
    this.state.setLockout(lockout);
    return { accountId, scope, end, decision };
  }

  account(
    accountId: AccountId,
    parts: {
      readonly contracts?: readonly ContractAction[];
      readonly flatten?: readonly Decision[];
      readonly lockouts?: readonly LockoutRequest[];
      readonly alerts?: readonly Decision[];
      readonly shadow?: readonly Decision[];
    },
  ): AccountOutcome {
    return {
      accountId,
      flatten: parts.flatten ?? [],
      contracts: new Map((parts.contracts ?? []).map((c) => [c.contractId, c])),
      lockouts: parts.lockouts ?? [],
      alerts: parts.alerts ?? [],
      shadow: parts.shadow ?? [],
    };
  }

  /** An outcome triggered by the last event the broker delivered (a quote by default). */
  outcome(...accounts: AccountOutcome[]): Outcome {
    const event = this.broker.events[this.broker.events.length - 1] ?? {
      kind: 'connection' as const,
      channel: 'user-hub' as const,
      state: 'connected' as const,
      brokerTime: null,
      origin: 'stream' as const,
      receivedAt: this.clock.now(),
      receivedNs: this.clock.monotonicNs(),
    };
    return { event, decidedAt: this.clock.now(), accounts: new Map(accounts.map((a) => [a.accountId, a])) };
  }

  /** Builds the outcome and executes it. */
  execute(...accounts: AccountOutcome[]): Outcome {
    const outcome = this.outcome(...accounts);
    this.engine.execute(outcome);
    return outcome;
  }

  /** Moves time forward, running due timers and letting promises settle. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }

  /** Advances in steps until the engine is idle; fails after `maxMs`. */
  async settle(maxMs = 30_000, stepMs = 100): Promise<void> {
    await this.clock.advance(0);
    for (let waited = 0; this.engine.inFlight() > 0; waited += stepMs) {
      if (waited >= maxMs)
        throw new Error(`engine not idle after ${maxMs} ms: ${JSON.stringify(this.engine.pendingActions())}`);
      await this.clock.advance(stepMs);
    }
    await this.engine.idle();
  }

  private snapshotEvent<E extends Pick<EngineEvent, 'kind'>>(event: E): EngineEvent {
    return {
      ...event,
      brokerTime: this.clock.now(),
      receivedAt: this.clock.now(),
      receivedNs: this.clock.monotonicNs(),
      origin: 'snapshot',
    } as unknown as EngineEvent;
  }
}
