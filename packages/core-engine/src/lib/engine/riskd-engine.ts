import type { MarketCalendarView } from '../calendar/market-calendar-view.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import {
  addLockoutHold,
  lockoutId,
  lockoutOfHold,
  nextLockoutInstant,
  splitLockout,
  type Lockout,
  type LockoutCondition,
  type LockoutHold,
} from '../domain/lockout.js';
import { WORKING_ORDER_STATUSES, type AccountId, type ContractId, type Instant } from '../domain/types.js';
import { EnforcementEngine, type EnforcementOptions } from '../enforcement/index.js';
import { formatLockoutEnd, formatScope } from '../enforcement/enforcement-format.js';
import type { BrokerEvent, EngineEvent, EventMeta, ResetEvent, TimerEvent } from '../events/events.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { BrokerGateway, Unsubscribe } from '../ports/broker-gateway.js';
import type { Logger } from '../ports/logger.js';
import type { Notifier } from '../ports/notifier.js';
import type { StateRecord, StateStore } from '../ports/state-store.js';
import { lockoutsClearedBy } from '../risk/lockout-guard.js';
import type { Outcome } from '../risk/outcome.js';
import { RiskEngine } from '../risk/risk-engine.js';
import type { ResolvedRuleSet } from '../rules/rule-set.js';
import { StateManager } from '../state/state-manager.js';
import type { RuleTimerRecord, StateUpdate } from '../state/state-update.js';

/** Tuning of the enforcement engine that the facade passes through. */
export type EnforcementTuning = Pick<
  EnforcementOptions,
  'maxAttempts' | 'attemptWindowMs' | 'confirmTimeoutMs' | 'backoffMs' | 'retryFailedAfterMs'
>;

export interface RiskdEngineOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly broker: BrokerGateway;
  readonly store: StateStore;
  readonly audit: AuditLog;
  readonly notifier: Notifier;
  readonly calendar: MarketCalendarView;
  readonly ruleSet: ResolvedRuleSet;
  /** Whether fees count in realized P&L (RULES.md section 1; default true). */
  readonly includeFees?: boolean;
  readonly enforcement?: EnforcementTuning;
  /** How often state changes are written to the StateStore, batched (default 250 ms). */
  readonly persistIntervalMs?: number;
}

/** Counters of the hot path, for metrics and benchmarks. */
export interface EngineCounters {
  events: number;
  decisions: number;
  outcomes: number;
}

/** What releasing a lockout did (see {@link RiskdEngine.releaseLockout}). */
export interface LockoutReleaseResult {
  /** The lockout as it was before. */
  readonly lockout: Lockout;
  /** The holds that ended, latest end first; empty when nothing ended (nothing was changed). */
  readonly ended: readonly LockoutHold[];
  /** What still locks the scope (rewritten with its next primary), or undefined when it was removed. */
  readonly remaining: Lockout | undefined;
}

/** What {@link RiskdEngine.releaseLockout} ends besides the holds whose instant has passed. */
export interface LockoutReleaseRequest {
  /** The condition that cleared (`config-valid`, `symbol-unblocked`): only its hold ends. */
  readonly cleared?: LockoutCondition;
  /** Every hold ends: an audited admin clear. */
  readonly all?: boolean;
}

/** What `start()` did, for the restart report. */
export interface StartReport {
  /** The last reset applied before this start (null on a first start). */
  readonly lastResetBefore: Instant | null;
  readonly resetsCaughtUp: number;
  readonly accounts: number;
  readonly fillsReplayed: number;
  readonly intentsRestored: number;
}

/**
 * The engine as one unit: the pipeline of ARCHITECTURE.md "Data flow".
 *
 * broker event -> StateManager.apply -> RiskEngine.evaluate -> lockouts set in state ->
 * EnforcementEngine.execute (durable lockouts and intents first, then broker actions; never
 * blocks the next event) -> EnforcementEngine.observe (confirmations).
 *
 * The facade also owns time: trading-day resets (and the catch-up of resets missed while down),
 * rule timers, lockout expiry and the lift of condition lockouts; and the batched persistence of
 * state changes through the StateStore, off the hot path.
 */
export class RiskdEngine {
  readonly state: StateManager;
  readonly risk: RiskEngine;
  readonly enforcement: EnforcementEngine;
  readonly counters: EngineCounters = { events: 0, decisions: 0, outcomes: 0 };

  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly broker: BrokerGateway;
  private readonly store: StateStore;
  private readonly audit: AuditLog;
  private readonly notifier: Notifier;
  private readonly calendar: MarketCalendarView;
  private readonly persistIntervalMs: number;
  private readonly ruleTimers = new Map<string, TimerHandle>();
  private readonly lockoutTimers = new Map<string, { handle: TimerHandle; at: Instant }>();
  private resetTimer: TimerHandle | undefined;
  private persistTimer: TimerHandle | undefined;
  private persistChain: Promise<void> = Promise.resolve();
  private unsubscribe: Unsubscribe | undefined;
  private readonly subscribedQuotes = new Set<ContractId>();
  private readonly contractFetches = new Set<ContractId>();
  private running = false;
  private alertSeq = 0;

  constructor(options: RiskdEngineOptions) {
    this.clock = options.clock;
    this.logger = options.logger.child({ component: 'riskd-engine' });
    this.broker = options.broker;
    this.store = options.store;
    this.audit = options.audit;
    this.notifier = options.notifier;
    this.calendar = options.calendar;
    this.persistIntervalMs = options.persistIntervalMs ?? 250;
    const includeFees = options.includeFees ?? true;
    this.state = new StateManager({
      clock: this.clock,
      calendar: this.calendar,
      includeFees,
      logger: options.logger,
      onRuleTimerSet: (timer) => this.scheduleRuleTimer(timer),
      onRuleTimerCancelled: (accountId, instanceId, key) =>
        this.cancelRuleTimer(ruleTimerKey(accountId, instanceId, key)),
    });
    this.risk = new RiskEngine({
      state: this.state,
      calendar: this.calendar,
      clock: this.clock,
      includeFees,
      logger: options.logger,
    });
    this.risk.configure(options.ruleSet);
    this.enforcement = new EnforcementEngine({
      broker: this.broker,
      accounts: this.state.accounts,
      store: this.store,
      audit: this.audit,
      notifier: this.notifier,
      clock: this.clock,
      logger: options.logger,
      ...options.enforcement,
    });
  }

  /**
   * Restores persisted state, applies the resets missed while down (each once), loads the
   * broker's snapshot (accounts, the week's fills, positions, orders), reconciles open enforcement
   * intents, then follows the live stream. Resolves once the accounts are protected.
   */
  async start(): Promise<StartReport> {
    const records = await this.store.load();
    this.state.restore(records);
    this.enforcement.restore(records);
    const lastResetBefore = this.state.lastResetAt;

    // Missed resets are applied right after restore and before any event is evaluated.
    const now = this.clock.now();
    const missed = lastResetBefore === null ? [] : this.calendar.resetsBetween(lastResetBefore, now);
    for (const at of missed) {
      this.handle(this.resetEvent(at));
      this.audit.append({
        at: this.clock.now(),
        kind: 'reset',
        reason: `trading day ${this.calendar.tradingDayAt(at).id} started (reset of ${new Date(at).toISOString()} applied on start)`,
      });
    }
    if (lastResetBefore === null) this.handle(this.resetEvent(this.calendar.tradingDayAt(now).start));

    for (const timer of this.state.allRuleTimers()) this.scheduleRuleTimer(timer);
    for (const lockout of this.state.allLockouts()) this.scheduleLockoutEnd(lockout);

    // Live events that arrive while the snapshot loads wait for it, in order.
    const buffered: EngineEvent[] = [];
    let buffering = true;
    this.unsubscribe = this.broker.onEvent((event) => {
      if (buffering) buffered.push(event);
      else this.handle(event);
    });
    await this.broker.connect();
    const accounts = await this.broker.listAccounts();
    let fillsReplayed = 0;
    const weekStart = this.calendar.weekStartAt(this.clock.now());
    for (const account of accounts) {
      this.applySnapshot(this.meta({ kind: 'account', accountId: account.id, account }, 'snapshot'));
      const fills = [...(await this.broker.fillsSince(account.id, weekStart))].sort(
        (a, b) => a.time - b.time,
      );
      const contracts = new Set<ContractId>();
      const positions = await this.broker.openPositions(account.id);
      const orders = await this.broker.openOrders(account.id);
      for (const f of fills) contracts.add(f.contractId);
      for (const p of positions) contracts.add(p.contractId);
      for (const o of orders) contracts.add(o.contractId);
      for (const contractId of contracts) {
        if (!this.state.contract(contractId)) {
          const contract = await this.broker.contract(contractId);
          this.applySnapshot(this.meta({ kind: 'contract', contract }, 'snapshot'));
        }
      }
      for (const fill of fills) {
        this.applySnapshot(this.meta({ kind: 'fill', accountId: account.id, fill }, 'snapshot', fill.time));
        fillsReplayed++;
      }
      const open = new Set(positions.map((p) => p.contractId));
      for (const position of positions) {
        this.applySnapshot(this.meta({ kind: 'position', accountId: account.id, position }, 'snapshot'));
      }
      // A position open in restored state but absent from the broker closed while we were down.
      const view = this.state.account(account.id);
      for (const held of view ? [...view.positions.values()] : []) {
        if (open.has(held.contractId)) continue;
        this.applySnapshot(
          this.meta(
            {
              kind: 'position',
              accountId: account.id,
              position: {
                id: 0,
                accountId: account.id,
                contractId: held.contractId,
                side: held.side,
                size: 0,
                averagePrice: held.averagePrice,
                openedAt: held.openedAt,
              },
            },
            'snapshot',
          ),
        );
      }
      for (const order of orders) {
        this.applySnapshot(this.meta({ kind: 'order', accountId: account.id, order }, 'snapshot'));
      }
    }
    // The rules see the broker's state once it is whole: replayed history is applied, not
    // re-decided (a decision on half-replayed state would act on positions that no longer exist).
    for (const account of accounts) this.evaluateSnapshot(account.id);
    const intentsRestored = records.filter((r) => r.ns === 'intent' && r.value !== null).length;
    await this.enforcement.reconcileOpenIntents();
    buffering = false;
    for (const event of buffered) this.handle(event);
    this.running = true;
    this.scheduleNextReset();
    this.syncQuoteSubscriptions();
    this.schedulePersist();
    return {
      lastResetBefore,
      resetsCaughtUp: missed.length,
      accounts: accounts.length,
      fillsReplayed,
      intentsRestored,
    };
  }

  /**
   * Lifts a whole lockout in force before its end, every hold included (an audited admin clear with
   * a reason). Writes the removal durably, appends a `lockout-ended` audit row and raises an info
   * alert. Returns the lifted lockout, or undefined when no lockout with that id is in force.
   */
  liftLockout(lockoutId: string, why: string): Lockout | undefined {
    const result = this.releaseLockout(lockoutId, { all: true });
    if (!result) return undefined;
    this.reportRelease(result, why);
    return result.lockout;
  }

  /**
   * Releases what ended of a lockout outside the engine's own paths (a config condition that
   * cleared, an admin clear): the holds of `request.cleared` (or all of them with `all`) and any
   * whose instant has passed. When another hold remains, the lockout is rewritten with the next one
   * as its primary, written durably and its end timer scheduled; when none does, it is removed as
   * when it ends. Nothing is audited or alerted: the caller does that with its own words. Returns
   * undefined when no lockout has that id.
   */
  releaseLockout(lockoutId: string, request: LockoutReleaseRequest): LockoutReleaseResult | undefined {
    const lockout = this.state.allLockouts().find((l) => l.id === lockoutId);
    if (!lockout) return undefined;
    return this.applyRelease(lockout, {
      now: this.clock.now(),
      ...(request.cleared ? { cleared: request.cleared } : {}),
      ...(request.all ? { all: true } : {}),
    });
  }

  /** Replaces the rule set in force (config reload). Lockouts in force are not lifted by it. */
  configure(ruleSet: ResolvedRuleSet): void {
    this.risk.configure(ruleSet);
  }

  /**
   * The hot path: applies one event to state, evaluates the rules, sets the lockouts and hands
   * the outcome to enforcement. Synchronous; broker confirmations are awaited elsewhere.
   */
  handle(event: EngineEvent): Outcome {
    this.counters.events++;
    if (event.kind === 'fill' || event.kind === 'position' || event.kind === 'order')
      this.ensureContract(event);
    const update = this.state.apply(event);
    const outcome = this.decide(event, update);
    this.enforcement.observe(event, update);
    if (event.kind === 'account') this.liftClearedLockouts(event);
    if (this.running && this.mayChangeQuoteSet(event, update)) this.syncQuoteSubscriptions();
    return outcome;
  }

  /** Evaluates the rules on an event already applied to state, sets lockouts, hands the outcome to enforcement. */
  private decide(event: EngineEvent, update: StateUpdate): Outcome {
    const outcome = this.risk.evaluate(event, update);
    let acted = false;
    for (const accountOutcome of outcome.accounts.values()) {
      acted = true;
      for (const request of accountOutcome.lockouts) {
        const d = request.decision;
        const hold: LockoutHold = {
          ruleId: d.ruleId,
          instanceId: d.instanceId,
          code: d.code,
          reason: d.reason,
          startedAt: outcome.decidedAt,
          end: request.end,
        };
        const id = lockoutId(request.accountId, request.scope);
        // One record per scope: the new end joins the ends already asked for, so the scope stays
        // locked until all of them have passed (the enforcement engine writes the combined record).
        const existing = this.state.account(request.accountId)?.lockouts.get(id);
        const lockout = existing
          ? addLockoutHold(existing, hold, outcome.decidedAt)
          : { id, accountId: request.accountId, scope: request.scope, ...hold };
        if (lockout === existing) continue;
        this.state.setLockout(lockout);
        this.scheduleLockoutEnd(lockout);
      }
    }
    if (acted) {
      this.counters.outcomes++;
      this.counters.decisions += outcome.decisions?.length ?? 0;
      this.enforcement.execute(outcome);
    }
    return outcome;
  }

  /** Applies a start-up snapshot event to state without evaluating rules on it. */
  private applySnapshot(event: EngineEvent): void {
    this.counters.events++;
    const update = this.state.apply(event);
    this.enforcement.observe(event, update);
  }

  /**
   * After the snapshot is applied: the account's rules evaluate its broker record, every open
   * position and every working order once, on the whole state.
   */
  private evaluateSnapshot(accountId: AccountId): void {
    const view = this.state.account(accountId);
    if (!view) return;
    const update: StateUpdate = { accountIds: [accountId], positionChanges: [], duplicate: false };
    if (view.account) {
      const event = this.meta({ kind: 'account' as const, accountId, account: view.account }, 'snapshot');
      this.decide(event, update);
      // A `can-trade` lock restored from before a restart ends if trading came back meanwhile.
      this.liftClearedLockouts(event);
    }
    for (const p of [...view.positions.values()]) {
      const position = {
        id: 0,
        accountId,
        contractId: p.contractId,
        side: p.side,
        size: p.size,
        averagePrice: p.averagePrice,
        openedAt: p.openedAt,
      };
      this.decide(this.meta({ kind: 'position', accountId, position }, 'snapshot'), update);
    }
    for (const order of [...view.workingOrders.values()]) {
      this.decide(this.meta({ kind: 'order', accountId, order }, 'snapshot'), update);
    }
  }

  /**
   * Fetches the record of a contract first seen in an event (tick size and value come from the
   * broker, never from a table). Until it arrives, the state manager flags the P&L as stale.
   */
  private ensureContract(event: BrokerEvent): void {
    const contractId =
      event.kind === 'fill'
        ? event.fill.contractId
        : event.kind === 'position'
          ? event.position.contractId
          : event.kind === 'order'
            ? event.order.contractId
            : undefined;
    if (contractId === undefined || this.state.contract(contractId) || this.contractFetches.has(contractId))
      return;
    this.contractFetches.add(contractId);
    this.broker.contract(contractId).then(
      (contract) => {
        this.contractFetches.delete(contractId);
        if (!this.state.contract(contractId))
          this.handle(this.meta({ kind: 'contract', contract }, 'engine'));
      },
      (err: unknown) => {
        this.contractFetches.delete(contractId);
        this.logger.error({ err, contractId }, 'contract record could not be fetched; its P&L stays stale');
        this.raise(
          'critical',
          'contract-unknown',
          'Contract unknown',
          `contract ${contractId} could not be fetched: P&L of its positions is stale`,
        );
      },
    );
  }

  /**
   * Drains in-flight enforcement (bounded), then stops following the broker, persists and flushes.
   * The broker's events are still handled while draining: they are what confirms an action in
   * flight (without them it would time out, reconcile blind and be sent again).
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    this.running = false;
    if (this.resetTimer) this.clock.cancel(this.resetTimer);
    if (this.persistTimer) this.clock.cancel(this.persistTimer);
    for (const handle of this.ruleTimers.values()) this.clock.cancel(handle);
    for (const { handle } of this.lockoutTimers.values()) this.clock.cancel(handle);
    this.ruleTimers.clear();
    this.lockoutTimers.clear();
    const drainMs = options.drainMs ?? 5_000;
    let drainTimer: TimerHandle | undefined;
    await Promise.race([
      this.enforcement.idle(),
      new Promise<void>((resolve) => {
        drainTimer = this.clock.scheduleIn(drainMs, resolve);
      }),
    ]);
    if (drainTimer) this.clock.cancel(drainTimer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.persistNow();
    await this.audit.flush();
    await this.broker.disconnect();
  }

  /** Writes pending state changes now (batched writes otherwise run every `persistIntervalMs`). */
  persistNow(): Promise<void> {
    const records = this.state.drainDirty();
    if (records.length > 0) this.persistChain = this.persistChain.then(() => this.writeRecords(records));
    return this.persistChain;
  }

  private async writeRecords(records: StateRecord[]): Promise<void> {
    try {
      await this.store.write(records, { durable: false });
    } catch (err) {
      this.logger.error({ err, records: records.length }, 'state write failed');
      this.raise(
        'critical',
        'state-write-failed',
        'State write failed',
        `${records.length} state records were not written: ${String(err)}`,
      );
    }
  }

  private schedulePersist(): void {
    this.persistTimer = this.clock.scheduleIn(this.persistIntervalMs, () => {
      void this.persistNow();
      if (this.running) this.schedulePersist();
    });
  }

  private scheduleNextReset(): void {
    const at = this.calendar.nextReset(this.clock.now());
    this.resetTimer = this.clock.scheduleAt(at, () => {
      this.handle(this.resetEvent(at));
      this.audit.append({
        at,
        kind: 'reset',
        reason: `trading day ${this.calendar.tradingDayAt(at).id} started`,
      });
      if (this.running) this.scheduleNextReset();
    });
  }

  private resetEvent(at: Instant): ResetEvent {
    const weekStart = this.calendar.weekStartAt(at) === at;
    return {
      kind: 'reset',
      at,
      weekStart,
      brokerTime: null,
      receivedAt: this.clock.now(),
      receivedNs: this.clock.monotonicNs(),
      origin: 'engine',
    };
  }

  private scheduleRuleTimer(timer: RuleTimerRecord): void {
    const key = ruleTimerKey(timer.accountId, timer.instanceId, timer.key);
    this.cancelRuleTimer(key);
    const handle = this.clock.scheduleAt(timer.at, () => {
      this.ruleTimers.delete(key);
      const event: TimerEvent = {
        kind: 'timer',
        accountId: timer.accountId,
        instanceId: timer.instanceId,
        key: timer.key,
        dueAt: timer.at,
        payload: timer.payload,
        brokerTime: null,
        receivedAt: this.clock.now(),
        receivedNs: this.clock.monotonicNs(),
        origin: 'engine',
      };
      this.handle(event);
    });
    this.ruleTimers.set(key, handle);
  }

  private cancelRuleTimer(key: string): void {
    const handle = this.ruleTimers.get(key);
    if (handle) this.clock.cancel(handle);
    this.ruleTimers.delete(key);
  }

  /** Keeps one Clock timer per lockout, at the instant of its hold with an `at` end (if any). */
  private scheduleLockoutEnd(lockout: Lockout): void {
    const at = nextLockoutInstant(lockout);
    const existing = this.lockoutTimers.get(lockout.id);
    if (existing?.at === at) return;
    if (existing) this.clock.cancel(existing.handle);
    this.lockoutTimers.delete(lockout.id);
    if (at === undefined) return;
    const handle = this.clock.scheduleAt(at, () => {
      this.lockoutTimers.delete(lockout.id);
      const current = this.state.allLockouts().find((l) => l.id === lockout.id);
      if (!current) return;
      const result = this.applyRelease(current, { now: this.clock.now() });
      // Only holds with an instant end here; each row states its instant.
      if (result.ended.length > 0) this.reportRelease(result, 'its end passed');
      else this.scheduleLockoutEnd(current);
    });
    this.lockoutTimers.set(lockout.id, { handle, at });
  }

  private liftClearedLockouts(event: EngineEvent): void {
    const view = this.state.account((event as { accountId: AccountId }).accountId);
    if (!view || view.lockouts.size === 0) return;
    for (const id of lockoutsClearedBy(event, view.lockouts.values())) {
      const lockout = view.lockouts.get(id);
      if (!lockout) continue;
      const result = this.applyRelease(lockout, { now: this.clock.now(), cleared: 'can-trade' });
      if (result.ended.length > 0) this.reportRelease(result, 'its condition cleared');
    }
  }

  /**
   * Ends the holds of `lockout` that `release` names. Nothing left: the lockout is removed (in
   * state, durably, its timer cancelled). Otherwise the remaining record replaces it (in state,
   * durably) with its end timer scheduled, so the scope stays locked by what still holds.
   */
  private applyRelease(
    lockout: Lockout,
    release: { now: Instant; cleared?: LockoutCondition; all?: boolean },
  ): LockoutReleaseResult {
    const { ended, remaining } = splitLockout(lockout, release);
    if (ended.length === 0) return { lockout, ended, remaining: lockout };
    if (remaining) {
      this.state.setLockout(remaining);
      this.scheduleLockoutEnd(remaining);
    } else {
      this.state.removeLockout(lockout.id);
      const timer = this.lockoutTimers.get(lockout.id);
      if (timer) this.clock.cancel(timer.handle);
      this.lockoutTimers.delete(lockout.id);
    }
    void this.store
      .write([{ ns: 'lockout', key: lockout.id, value: remaining ?? null }], { durable: true })
      .catch((err: unknown) => {
        this.logger.error({ err, lockoutId: lockout.id }, 'lockout change was not written');
      });
    return { lockout, ended, remaining };
  }

  /**
   * The audit rows and alerts of a release: one `lockout-ended` row and info alert per ended hold.
   * While another hold remains, the row carries `continuesAs` (the record that still holds) and
   * the alert says until when and by what the scope stays locked. `why` explains the end of a
   * hold that did not simply pass (a condition cleared, an admin clear); a passed instant is its
   * time.
   */
  private reportRelease(result: LockoutReleaseResult, why: string): void {
    const { lockout, ended, remaining } = result;
    const scope = formatScope(lockout.scope);
    for (const hold of ended) {
      const passed = hold.end.kind === 'at' && hold.end.at <= this.clock.now();
      const how = passed ? `ended at ${new Date(hold.end.at).toISOString()}` : why;
      const still = remaining
        ? `; the ${scope} stays locked ${formatLockoutEnd(remaining.end)} by ${remaining.code}`
        : '';
      const reason = `lockout of ${scope} (${hold.code}) ${how}${still}`;
      this.audit.append({
        at: this.clock.now(),
        kind: 'lockout-ended',
        accountId: lockout.accountId,
        ruleId: hold.ruleId,
        instanceId: hold.instanceId,
        code: hold.code,
        reason,
        data: remaining
          ? { lockout: lockoutOfHold(lockout, hold), continuesAs: remaining }
          : { lockout: ended.length === 1 ? lockout : lockoutOfHold(lockout, hold) },
      });
      this.raise(
        'info',
        'lockout-ended',
        remaining ? `Still locked ${formatLockoutEnd(remaining.end)} by ${remaining.code}` : 'Lockout ended',
        reason,
        lockout.accountId,
        hold.ruleId,
        hold.code,
      );
    }
  }

  /**
   * Whether an event can change the set of contracts to quote: a position opened or closed, an
   * order on a contract not subscribed yet, or an order that stopped working. Everything else
   * (adds, partial closes, order updates that keep it working) leaves the set alone and costs the
   * hot path nothing.
   */
  private mayChangeQuoteSet(event: EngineEvent, update: StateUpdate): boolean {
    for (const change of update.positionChanges) if (change.opened || change.closed) return true;
    if (event.kind !== 'order') return false;
    return (
      !this.subscribedQuotes.has(event.order.contractId) || !WORKING_ORDER_STATUSES.has(event.order.status)
    );
  }

  /** Keeps quote subscriptions on every contract with an open position or a working order. */
  private syncQuoteSubscriptions(): void {
    const wanted = new Set<ContractId>();
    for (const view of this.state.accounts.all()) {
      for (const contractId of view.positions.keys()) wanted.add(contractId);
      for (const order of view.workingOrders.values()) wanted.add(order.contractId);
    }
    const add = [...wanted].filter((c) => !this.subscribedQuotes.has(c));
    const remove = [...this.subscribedQuotes].filter((c) => !wanted.has(c));
    if (add.length > 0) this.broker.subscribeQuotes(add);
    if (remove.length > 0) this.broker.unsubscribeQuotes(remove);
    for (const c of add) this.subscribedQuotes.add(c);
    for (const c of remove) this.subscribedQuotes.delete(c);
  }

  private raise(
    severity: 'info' | 'warning' | 'critical',
    kind: string,
    title: string,
    message: string,
    accountId?: AccountId,
    ruleId?: string,
    code?: string,
  ): void {
    this.notifier.notify({
      id: `engine:${kind}:${this.clock.now()}:${this.alertSeq++}`,
      at: this.clock.now(),
      severity,
      kind,
      title,
      message,
      ...(accountId === undefined ? {} : { accountId }),
      ...(ruleId === undefined ? {} : { ruleId }),
      ...(code === undefined ? {} : { code }),
    });
  }

  private meta<E extends Omit<BrokerEvent, keyof EventMeta>>(
    event: E,
    origin: EventMeta['origin'],
    brokerTime: Instant | null = null,
  ): E & EventMeta {
    return {
      ...event,
      brokerTime,
      receivedAt: this.clock.now(),
      receivedNs: this.clock.monotonicNs(),
      origin,
    };
  }
}

function ruleTimerKey(accountId: AccountId, instanceId: string, key: string): string {
  return `${accountId}\u0000${instanceId}\u0000${key}`;
}
