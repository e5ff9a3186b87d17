import type { Clock, TimerHandle } from '../clock/clock.js';
import { lockoutHolds, lockoutId, type Lockout, type LockoutHold } from '../domain/lockout.js';
import type {
  AccountId,
  BrokerPosition,
  ContractId,
  Instant,
  OrderId,
  PositionSide,
} from '../domain/types.js';
import type { EngineEvent } from '../events/events.js';
import type { AuditEntry, AuditKind } from '../ports/audit-log.js';
import type { ActionOptions, ActionResult, BrokerGateway } from '../ports/broker-gateway.js';
import type { Logger } from '../ports/logger.js';
import type { AlertSeverity, Notifier } from '../ports/notifier.js';
import type { StateRecord, StateStore } from '../ports/state-store.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { AccountOutcome, LockoutRequest, Outcome } from '../risk/outcome.js';
import type { Decision } from '../rules/rule-api.js';
import type { AccountsView } from '../state/account-view.js';
import type { StateUpdate } from '../state/state-update.js';
import { formatMoney } from '../money/money.js';
import { EnforcementConfigError } from './enforcement-errors.js';
import {
  compactEvent,
  describeDecision,
  formatLockoutEnd,
  formatScope,
  maxSeverity,
} from './enforcement-format.js';

/** Default number of attempts per enforcement round (RULES.md guarantee 1). */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Default length of an enforcement round: every attempt starts within it. */
export const DEFAULT_ATTEMPT_WINDOW_MS = 5_000;
/** Default wait for the broker's own events to confirm an accepted action. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 1_000;
/** Default delay before attempt 1, 2, 3 (the last value repeats for later attempts). */
export const DEFAULT_BACKOFF_MS: readonly number[] = [0, 500, 1_500];
/** Default pause after a failed (escalated-to-alert) action before the same breach may start a new round. */
export const DEFAULT_RETRY_FAILED_AFTER_MS = 30_000;
/** Identical "would have" rows (shadow decisions, alert-only accounts) are repeated at most this often. */
export const SHADOW_REPEAT_MS = 10 * 60_000;

/** How long finished actions are remembered for de-duplication. */
const HISTORY_MS = 10 * 60_000;

export interface EnforcementOptions {
  readonly broker: BrokerGateway;
  /** Live account state (the state manager's view): positions, epochs, working orders, lockouts. */
  readonly accounts: AccountsView;
  /** Where lockouts and reduce intents are written durably before any order goes out. */
  readonly store: StateStore;
  readonly audit: AuditLog;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Attempts per round before escalating (default 3). */
  readonly maxAttempts?: number;
  /** Every attempt of a round starts within this many ms of the first (default 5000). */
  readonly attemptWindowMs?: number;
  /** How long an accepted action may wait for the broker's confirming events (default 1000). */
  readonly confirmTimeoutMs?: number;
  /** Delay before attempt n (index n-1); the last value repeats (default [0, 500, 1500]). */
  readonly backoffMs?: readonly number[];
  /**
   * After an action failed for good (critical alert raised), the same breach decided again starts a
   * new round only after this many ms, so a broker that keeps refusing is not hammered (default 30000).
   */
  readonly retryFailedAfterMs?: number;
}

/** A read-only description of one action the engine is working on. */
export interface EnforcementTaskInfo {
  readonly key: string;
  readonly kind: EnforcementActionKind;
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  readonly orderId: OrderId | null;
  readonly level: EnforcementLevel;
  readonly state: EnforcementTaskState;
  readonly attempts: number;
}

/** What an action does at the broker. */
export type EnforcementActionKind = 'cancel' | 'close' | 'reduce';
/** The escalation ladder: reduce -> close -> flatten -> critical alert; a cancel ends in an alert. */
export type EnforcementLevel = 'cancel' | 'reduce' | 'close' | 'flatten';
/** Where an action is: waiting to be issued, at the broker, waiting for confirmation, or finished. */
export type EnforcementTaskState =
  | 'restored'
  | 'queued'
  | 'reconciling'
  | 'sending'
  | 'confirming'
  | 'waiting'
  | 'done'
  | 'failed'
  | 'superseded'
  | 'aborted';

const ACTIVE_STATES: ReadonlySet<EnforcementTaskState> = new Set([
  'restored',
  'queued',
  'reconciling',
  'sending',
  'confirming',
  'waiting',
]);

const LEVEL_RANK: Readonly<Record<EnforcementLevel, number>> = { cancel: 0, reduce: 1, close: 2, flatten: 3 };

/** Who asked for an action and on what evidence (carried into every audit row of the action). */
interface Cause {
  readonly decisions: readonly Decision[];
  readonly event: Record<string, unknown>;
  readonly receivedAt: Instant | undefined;
  readonly decidedAt: Instant;
  readonly rule: RuleRef | undefined;
}

interface RuleRef {
  readonly ruleId: string;
  readonly instanceId: string;
  readonly code: string;
  readonly reason: string;
}

interface Task {
  readonly id: number;
  readonly kind: EnforcementActionKind;
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  readonly orderId: OrderId | null;
  readonly epoch: number | null;
  readonly side: PositionSide | null;
  /** Reduce: the size the position must end at (durably recorded); 0 for a close. */
  target: number;
  /** Reduce: a lower target whose intent is being written. */
  pendingTarget: number | null;
  /** Reduce: the target of the attempt in flight. */
  attemptTarget: number;
  level: EnforcementLevel;
  key: string;
  state: EnforcementTaskState;
  attempts: number;
  roundStartedAt: Instant;
  needsReconcile: boolean;
  timer: TimerHandle | null;
  cause: Cause;
  sentAt: Instant | null;
  confirmedAt: Instant | null;
  finishedAt: Instant | null;
  /** Reduce: the position's size when the task was done (a larger size later is a new breach). */
  doneSize: number | null;
  /** Store key of the reduce intent. */
  readonly intentKey: string | null;
  /** After a restart: the size the broker reported, used for the first attempt. */
  sizeHint: number | null;
}

interface Lane {
  readonly accountId: AccountId;
  alertOnly: boolean;
  /** Issue order of the account's actions: each batch waits for the previous batch's durable write. */
  tail: Promise<void>;
  readonly tasks: Set<Task>;
}

/** What admitting an outcome's steps produced: actions to start, in issue order. */
interface Admission {
  readonly cancels: (() => void)[];
  readonly positions: (() => void)[];
  readonly keys: string[];
}

interface PlannedStep {
  readonly kind: EnforcementActionKind;
  readonly contractId: ContractId;
  readonly orderId: OrderId | null;
  readonly target: number;
  readonly level: EnforcementLevel;
}

interface PlannedGroup {
  readonly flatten: boolean;
  readonly contractId: ContractId | null;
  readonly decisions: readonly Decision[];
  readonly steps: readonly PlannedStep[];
}

/** The persisted form of a reduce intent (ns 'intent'). */
interface ReduceIntent {
  readonly v: 1;
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  readonly epoch: number;
  readonly side: PositionSide;
  readonly target: number;
  readonly fromSize: number;
  readonly createdAt: Instant;
  readonly rule: RuleRef | null;
}

function isReduceIntent(value: unknown): value is ReduceIntent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v['v'] === 1 &&
    typeof v['accountId'] === 'number' &&
    typeof v['contractId'] === 'string' &&
    typeof v['epoch'] === 'number' &&
    (v['side'] === 'long' || v['side'] === 'short') &&
    typeof v['target'] === 'number' &&
    typeof v['createdAt'] === 'number'
  );
}

export function closeKey(accountId: AccountId, contractId: ContractId, epoch: number): string {
  return `${accountId}:${contractId}:close:e${epoch}`;
}

export function reduceKey(
  accountId: AccountId,
  contractId: ContractId,
  target: number,
  epoch: number,
): string {
  return `${accountId}:${contractId}:reduce-to-${target}:e${epoch}`;
}

export function cancelKey(accountId: AccountId, contractId: ContractId, orderId: OrderId): string {
  return `${accountId}:${contractId}:cancel-${orderId}`;
}

function slotKey(accountId: AccountId, contractId: ContractId, epoch: number): string {
  return `${accountId}:${contractId}:${epoch}`;
}

function ruleRefOf(decisions: readonly Decision[]): RuleRef | undefined {
  const d = decisions[0];
  return d ? { ruleId: d.ruleId, instanceId: d.instanceId, code: d.code, reason: d.reason } : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Turns merged outcomes into broker actions, exactly once per breach, and sees them through
 * (RULES.md guarantee 4, ARCHITECTURE.md "Data flow").
 *
 * - Idempotency: an action's key is (account, contract, action, position epoch), e.g.
 *   `7:CON.F.US.MNQ.Z25:close:e3`; a reduce names its target (`reduce-to-2`), a cancel its order
 *   (orders are unique, so no epoch). An outcome whose action is already in flight is merged into
 *   it, never sent twice; one whose action finished moments ago (while state catches up) is dropped.
 * - Durability: an outcome's lockouts and reduce intents are written in one durable write, awaited
 *   before any of its orders go out. After a crash, `restore()` + `reconcileOpenIntents()` compare
 *   each open intent with the broker's positions before anything is resent.
 * - Ordering: per account, actions are issued in outcome order, cancels before closes and
 *   reduces; accounts never wait for each other, and nothing waits for a confirmation.
 * - Retries: up to `maxAttempts` attempts within `attemptWindowMs` with `backoffMs`; an uncertain
 *   answer or a missing confirmation reconciles with the broker before the next attempt (which is
 *   skipped if the goal is met). Completion is the broker's own events (via `observe`), never the
 *   answer alone. Escalation: reduce -> close -> flatten -> critical alert.
 * - `account-rejected` switches the account to alert-only: later outcomes are "would have" rows.
 */
export class EnforcementEngine {
  private readonly broker: BrokerGateway;
  private readonly accounts: AccountsView;
  private readonly store: StateStore;
  private readonly audit: AuditLog;
  private readonly notifier: Notifier;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly attemptWindowMs: number;
  private readonly confirmTimeoutMs: number;
  private readonly backoffMs: readonly number[];
  private readonly retryFailedAfterMs: number;

  private readonly lanes = new Map<AccountId, Lane>();
  private readonly active = new Set<Task>();
  /** The current position task per (account, contract, epoch), active or recently finished. */
  private readonly positionTasks = new Map<string, Task>();
  /** The cancel task per (account, order), active or recently finished. */
  private readonly cancelTasks = new Map<string, Task>();
  /** Lockouts written so far: id -> the JSON written, so an identical record is not written twice. */
  private readonly persistedLockouts = new Map<string, string>();
  /** Holds announced per lockout id (their keys), so one hold is announced once. */
  private readonly announcedHolds = new Map<string, Set<string>>();
  /** "Would have" rows recorded recently: dedupe key -> time. */
  private readonly shadowSeen = new Map<string, Instant>();
  private readonly idleWaiters: (() => void)[] = [];
  private pendingOps = 0;
  private nextTaskId = 1;
  private lastPruneAt = 0;
  private alertStamp = { at: -1, n: 0 };

  constructor(options: EnforcementOptions) {
    this.broker = options.broker;
    this.accounts = options.accounts;
    this.store = options.store;
    this.audit = options.audit;
    this.notifier = options.notifier;
    this.clock = options.clock;
    this.logger = options.logger.child({ component: 'enforcement' });
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.attemptWindowMs = options.attemptWindowMs ?? DEFAULT_ATTEMPT_WINDOW_MS;
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
    this.backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.retryFailedAfterMs = options.retryFailedAfterMs ?? DEFAULT_RETRY_FAILED_AFTER_MS;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new EnforcementConfigError(`maxAttempts must be an integer >= 1, got ${this.maxAttempts}`);
    }
    for (const [name, value] of [
      ['attemptWindowMs', this.attemptWindowMs],
      ['confirmTimeoutMs', this.confirmTimeoutMs],
      ['retryFailedAfterMs', this.retryFailedAfterMs],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) {
        throw new EnforcementConfigError(`${name} must be a positive number of ms, got ${value}`);
      }
    }
    if (this.backoffMs.length === 0 || this.backoffMs.some((ms) => !Number.isFinite(ms) || ms < 0)) {
      throw new EnforcementConfigError('backoffMs must list at least one delay, each >= 0');
    }
  }

  // ------------------------------------------------------------------------------------ public API

  /**
   * Acts on an outcome. Returns at once: alerts, shadow rows and lockout rows are recorded now;
   * the durable write and the broker actions continue on promises and clock timers.
   */
  execute(outcome: Outcome): void {
    this.prune();
    const event = compactEvent(outcome.event);
    const base = { event, receivedAt: outcome.event.receivedAt, decidedAt: outcome.decidedAt };
    const records: StateRecord[] = [];
    const batches: { lane: Lane; steps: (() => void)[]; waits: boolean }[] = [];
    for (const ao of outcome.accounts.values()) {
      const recordsBefore = records.length;
      const lane = this.laneOf(ao.accountId);
      for (const d of ao.alerts) this.recordAlert(d, base.event, base.receivedAt);
      for (const d of ao.shadow) this.recordShadow(d, base.event, base.receivedAt);
      for (const l of ao.lockouts) this.recordLockout(l, base.event, base.receivedAt, records);
      const groups = this.plan(ao);
      if (groups.length === 0) continue;
      if (lane.alertOnly) {
        this.recordWouldHave(lane, groups, base.event, base.receivedAt);
        continue;
      }
      const cancels: (() => void)[] = [];
      const positions: (() => void)[] = [];
      for (const group of groups) {
        const cause: Cause = { ...base, decisions: group.decisions, rule: ruleRefOf(group.decisions) };
        const admission: Admission = { cancels: [], positions: [], keys: [] };
        for (const step of group.steps) this.admit(lane, step, cause, records, admission);
        if (admission.keys.length > 0) this.recordDecisions(lane, group, cause, admission.keys);
        cancels.push(...admission.cancels);
        positions.push(...admission.positions);
      }
      // Cancels of the whole outcome first, then closes and reduces. Only an account that has
      // lockouts or intents in the write waits for it; the others are not held up by it.
      if (cancels.length + positions.length > 0) {
        batches.push({ lane, steps: [...cancels, ...positions], waits: records.length > recordsBefore });
      }
    }
    const write = records.length > 0 ? this.persist(records) : undefined;
    for (const batch of batches) this.enqueue(batch.lane, batch.steps, batch.waits ? write : undefined);
  }

  /**
   * Feeds the engine the broker's events after the state manager applied them: a close is done
   * when the position reports flat (or a new epoch), a reduce when the size is at or below its
   * target, a cancel when the order no longer works.
   */
  observe(event: EngineEvent, update: StateUpdate): void {
    if (this.active.size === 0) return;
    const at = event.receivedAt;
    const seen = new Set<AccountId>();
    const check = (accountId: AccountId): void => {
      if (seen.has(accountId)) return;
      seen.add(accountId);
      const lane = this.lanes.get(accountId);
      if (!lane || lane.tasks.size === 0) return;
      for (const task of [...lane.tasks]) this.checkTask(task, 'event', at);
    };
    for (const accountId of update.accountIds) check(accountId);
    for (const change of update.positionChanges) check(change.accountId);
    if ('accountId' in event) check(event.accountId);
  }

  /**
   * Takes persisted records at start (before any event): open reduce intents become actions that
   * wait for {@link reconcileOpenIntents}; persisted lockouts are remembered so they are not
   * announced again.
   */
  restore(records: readonly StateRecord[]): void {
    for (const record of records) {
      if (record.value === null) continue;
      if (record.ns === 'lockout') {
        const lockout = record.value as Lockout;
        this.persistedLockouts.set(record.key, this.lockoutSignature(lockout));
        this.announcedHolds.set(record.key, new Set(lockoutHolds(lockout).map(holdKey)));
      } else if (record.ns === 'intent') {
        if (!isReduceIntent(record.value)) {
          this.logger.warn({ key: record.key }, 'ignoring a malformed enforcement intent');
          continue;
        }
        this.restoreIntent(record.key, record.value);
      }
    }
  }

  /**
   * Reconciles every restored intent with the broker's open positions before anything is resent:
   * an intent whose position is already at or below its target (or gone) completes; the others are
   * sent again for the remaining difference. Call it after the account state holds the broker's
   * snapshot and before events are processed.
   */
  async reconcileOpenIntents(): Promise<void> {
    const restored = [...this.active].filter((t) => t.state === 'restored');
    if (restored.length === 0) return;
    this.pendingOps++;
    try {
      const byAccount = new Map<AccountId, Task[]>();
      for (const task of restored) {
        const list = byAccount.get(task.accountId) ?? [];
        list.push(task);
        byAccount.set(task.accountId, list);
      }
      await Promise.all(
        [...byAccount].map(([accountId, tasks]) => this.reconcileAccountIntents(accountId, tasks)),
      );
    } finally {
      this.pendingOps--;
      this.maybeIdle();
    }
  }

  /** Resolves when no action, durable write or reconciliation is in flight (tests, shutdown drain). */
  idle(): Promise<void> {
    if (this.inFlight() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Number of actions and operations in flight. */
  inFlight(): number {
    return this.active.size + this.pendingOps;
  }

  /** True once the broker refused to let Riskd act on the account (`account-rejected`). */
  isAlertOnly(accountId: AccountId): boolean {
    return this.lanes.get(accountId)?.alertOnly ?? false;
  }

  /** The actions in flight, for status pages. */
  pendingActions(): EnforcementTaskInfo[] {
    return [...this.active].map((t) => ({
      key: t.key,
      kind: t.kind,
      accountId: t.accountId,
      contractId: t.contractId,
      orderId: t.orderId,
      level: t.level,
      state: t.state,
      attempts: t.attempts,
    }));
  }

  // ------------------------------------------------------------------------------------ planning

  private plan(ao: AccountOutcome): PlannedGroup[] {
    if (ao.flatten.length > 0) return [this.flattenGroup(ao.accountId, ao.flatten, 'flatten')];
    const groups: PlannedGroup[] = [];
    for (const action of ao.contracts.values()) {
      const steps: PlannedStep[] = action.cancelOrderIds.map((orderId) => ({
        kind: 'cancel' as const,
        contractId: action.contractId,
        orderId,
        target: 0,
        level: 'cancel' as const,
      }));
      if (action.kind === 'close' || action.kind === 'reduce') {
        steps.push({
          kind: action.kind,
          contractId: action.contractId,
          orderId: null,
          target: action.kind === 'reduce' ? Math.max(0, action.reduceTo ?? 0) : 0,
          level: action.kind,
        });
      }
      if (steps.length > 0) {
        groups.push({ flatten: false, contractId: action.contractId, decisions: action.decisions, steps });
      }
    }
    return groups;
  }

  /** Flatten = cancel every working order of the account, then close every position (RULES.md). */
  private flattenGroup(
    accountId: AccountId,
    decisions: readonly Decision[],
    level: EnforcementLevel,
  ): PlannedGroup {
    const view = this.accounts.get(accountId);
    const steps: PlannedStep[] = [];
    for (const order of view?.workingOrders.values() ?? []) {
      steps.push({ kind: 'cancel', contractId: order.contractId, orderId: order.id, target: 0, level });
    }
    for (const position of view?.positions.values() ?? []) {
      steps.push({ kind: 'close', contractId: position.contractId, orderId: null, target: 0, level });
    }
    return { flatten: true, contractId: null, decisions, steps };
  }

  // ------------------------------------------------------------------------------------ admission

  private admit(lane: Lane, step: PlannedStep, cause: Cause, records: StateRecord[], out: Admission): void {
    if (step.kind === 'cancel') this.admitCancel(lane, step, cause, out);
    else this.admitPosition(lane, step, cause, records, out);
  }

  private admitCancel(lane: Lane, step: PlannedStep, cause: Cause, out: Admission): void {
    const orderId = step.orderId as OrderId;
    const view = this.accounts.get(lane.accountId);
    if (!view?.workingOrders.has(orderId)) return; // already gone
    const index = `${lane.accountId}:${orderId}`;
    const current = this.cancelTasks.get(index);
    if (current && this.isActive(current)) {
      this.raiseLevel(current, step.level);
      return;
    }
    if (current && this.recentlyFinished(current, step)) return;
    const task = this.newTask(lane, {
      kind: 'cancel',
      contractId: step.contractId,
      orderId,
      epoch: null,
      side: null,
      target: 0,
      level: step.level,
      key: cancelKey(lane.accountId, step.contractId, orderId),
      intentKey: null,
      cause,
    });
    this.cancelTasks.set(index, task);
    out.cancels.push(() => this.startRound(task));
    out.keys.push(task.key);
  }

  private admitPosition(
    lane: Lane,
    step: PlannedStep,
    cause: Cause,
    records: StateRecord[],
    out: Admission,
  ): void {
    const accountId = lane.accountId;
    const position = this.accounts.get(accountId)?.positions.get(step.contractId);
    if (!position) return; // already flat
    if (step.kind === 'reduce' && position.size <= step.target) return; // already within
    const slot = slotKey(accountId, step.contractId, position.epoch);
    const current = this.positionTasks.get(slot);
    if (current && this.isActive(current)) {
      if (current.kind === 'close') {
        this.raiseLevel(current, step.level);
        return;
      }
      if (step.kind === 'reduce') {
        const floor = Math.min(current.target, current.pendingTarget ?? Number.POSITIVE_INFINITY);
        if (step.target >= floor) return;
        // A lower target while a reduce is in flight: record it durably, then send the difference
        // once the first reduce is confirmed (never two partial closes at once).
        current.pendingTarget = step.target;
        records.push(this.intentRecord(current, step.target, position.size));
        const target = step.target;
        out.positions.push(() => this.applyLowerTarget(current, target));
        out.keys.push(reduceKey(accountId, step.contractId, target, position.epoch));
        return;
      }
      // close outranks reduce: the reduce stops here (its intent goes), the close takes over.
      this.supersede(current);
    } else if (current && this.recentlyFinished(current, step)) {
      return;
    }
    const isReduce = step.kind === 'reduce';
    const task = this.newTask(lane, {
      kind: step.kind,
      contractId: step.contractId,
      orderId: null,
      epoch: position.epoch,
      side: position.side,
      target: isReduce ? step.target : 0,
      level: isReduce ? 'reduce' : LEVEL_RANK[step.level] >= LEVEL_RANK.close ? step.level : 'close',
      key: isReduce
        ? reduceKey(accountId, step.contractId, step.target, position.epoch)
        : closeKey(accountId, step.contractId, position.epoch),
      intentKey: isReduce ? slot : null,
      cause,
    });
    if (isReduce) records.push(this.intentRecord(task, step.target, position.size));
    this.positionTasks.set(slot, task);
    out.positions.push(() => this.startRound(task));
    out.keys.push(task.key);
  }

  /** Whether a finished task still covers a new request for the same thing (state catching up, or a failure cooling off). */
  private recentlyFinished(task: Task, step: PlannedStep): boolean {
    const since = this.clock.now() - (task.finishedAt ?? 0);
    if (task.state === 'failed') return since < this.retryFailedAfterMs;
    if (task.state === 'aborted') return true;
    // A reduce done moments ago covers a repeat of its decision while the view catches up, but not
    // a position that grew again since it was done (a new fill: a new breach in the same epoch).
    if (task.kind === 'reduce' && task.doneSize !== null) {
      const position = this.accounts.get(task.accountId)?.positions.get(task.contractId);
      if (position && position.epoch === task.epoch && position.size > task.doneSize) return false;
    }
    const covers =
      task.kind === 'cancel' ||
      task.kind === 'close' ||
      (step.kind === 'reduce' && task.target <= step.target);
    return covers && since < this.confirmTimeoutMs;
  }

  private newTask(
    lane: Lane,
    spec: {
      kind: EnforcementActionKind;
      contractId: ContractId;
      orderId: OrderId | null;
      epoch: number | null;
      side: PositionSide | null;
      target: number;
      level: EnforcementLevel;
      key: string;
      intentKey: string | null;
      cause: Cause;
    },
  ): Task {
    const task: Task = {
      id: this.nextTaskId++,
      kind: spec.kind,
      accountId: lane.accountId,
      contractId: spec.contractId,
      orderId: spec.orderId,
      epoch: spec.epoch,
      side: spec.side,
      target: spec.target,
      pendingTarget: null,
      attemptTarget: spec.target,
      level: spec.level,
      key: spec.key,
      state: 'queued',
      attempts: 0,
      roundStartedAt: this.clock.now(),
      needsReconcile: false,
      timer: null,
      cause: spec.cause,
      sentAt: null,
      confirmedAt: null,
      finishedAt: null,
      doneSize: null,
      intentKey: spec.intentKey,
      sizeHint: null,
    };
    this.active.add(task);
    lane.tasks.add(task);
    return task;
  }

  private raiseLevel(task: Task, level: EnforcementLevel): void {
    if (LEVEL_RANK[level] > LEVEL_RANK[task.level] && task.kind !== 'reduce') task.level = level;
  }

  private intentRecord(task: Task, target: number, fromSize: number): StateRecord {
    const value: ReduceIntent = {
      v: 1,
      accountId: task.accountId,
      contractId: task.contractId,
      epoch: task.epoch ?? 0,
      side: task.side ?? 'long',
      target,
      fromSize,
      createdAt: this.clock.now(),
      rule: task.cause.rule ?? null,
    };
    return {
      ns: 'intent',
      key: task.intentKey ?? slotKey(task.accountId, task.contractId, task.epoch ?? 0),
      value,
    };
  }

  // ------------------------------------------------------------------------------------ issuing

  /** Persists records durably; never rejects (a failed write is alerted, and enforcement goes on). */
  private persist(records: StateRecord[]): Promise<void> {
    this.pendingOps++;
    return this.store
      .write(records, { durable: true })
      .catch((err: unknown) => {
        // Protecting the account comes first: the orders still go out, and a person is told that
        // the lockouts or intents may not survive a crash.
        this.logger.error({ err, records: records.length }, 'durable write of lockouts/intents failed');
        this.alert('critical', 'state-write-failed', 'state', undefined, {
          title: 'Riskd could not persist enforcement state',
          message: `Lockouts/intents were not written durably (${errorText(err)}); enforcement continues.`,
        });
      })
      .finally(() => {
        this.pendingOps--;
        this.maybeIdle();
      });
  }

  private enqueue(lane: Lane, steps: (() => void)[], write?: Promise<void>): void {
    this.pendingOps++;
    lane.tail = lane.tail
      .then(() => write)
      .then(() => {
        for (const step of steps) step();
      })
      .catch((err: unknown) =>
        this.logger.error({ err, accountId: lane.accountId }, 'issuing actions failed'),
      )
      .finally(() => {
        this.pendingOps--;
        this.maybeIdle();
      });
  }

  private startRound(task: Task): void {
    if (!this.isActive(task)) return;
    task.attempts = 0;
    task.roundStartedAt = this.clock.now();
    task.state = 'queued';
    this.run(task);
  }

  private run(task: Task): void {
    this.attempt(task).catch((err: unknown) => this.internalError(task, err));
  }

  private async attempt(task: Task): Promise<void> {
    if (!this.isActive(task)) return;
    const lane = this.laneOf(task.accountId);
    if (lane.alertOnly) {
      this.finish(task, 'aborted');
      return;
    }
    const fromRestart = task.sizeHint !== null;
    if (task.needsReconcile) {
      task.needsReconcile = false;
      task.state = 'reconciling';
      await this.reconcileAccount(task.accountId);
      if (!this.isActive(task)) return;
      if (this.goalMet(task)) {
        this.complete(task, 'reconcile');
        return;
      }
    } else if (!fromRestart && this.goalMet(task)) {
      this.complete(task, task.sentAt === null ? 'already-met' : 'event');
      return;
    }

    let size: number | null = null;
    if (task.kind === 'reduce') {
      const current =
        task.sizeHint ?? this.accounts.get(task.accountId)?.positions.get(task.contractId)?.size ?? 0;
      task.sizeHint = null;
      size = current - task.target;
      if (size <= 0) {
        this.complete(task, 'already-met');
        return;
      }
    }

    task.attempts += 1;
    task.attemptTarget = task.target;
    task.state = 'sending';
    task.sentAt = this.clock.now();
    const attempt = task.attempts;
    this.auditTask(
      task,
      'action-sent',
      `${this.describe(task, size)} (attempt ${attempt}/${this.maxAttempts})`,
      {
        attempt,
        size,
        level: task.level,
      },
    );
    const result = await this.send(task, size);
    this.auditTask(task, 'action-result', `${this.describe(task, size)}: ${this.describeResult(result)}`, {
      attempt,
      result,
      latencyMs: this.clock.now() - (task.sentAt ?? this.clock.now()),
    });
    if (!this.isActive(task) || task.state !== 'sending' || task.attempts !== attempt) return;
    this.handleResult(task, result);
  }

  private async send(task: Task, size: number | null): Promise<ActionResult> {
    const options: ActionOptions = { priority: 'enforcement', idempotencyKey: task.key };
    try {
      switch (task.kind) {
        case 'cancel':
          return await this.broker.cancelOrder(task.accountId, task.orderId as OrderId, options);
        case 'close':
          return await this.broker.closePosition(task.accountId, task.contractId, options);
        case 'reduce':
          return await this.broker.partialClosePosition(task.accountId, task.contractId, size ?? 0, options);
      }
    } catch (err) {
      // The gateway should answer `uncertain` itself; a throw means the same: we do not know.
      return { status: 'uncertain', reason: errorText(err) };
    }
  }

  private handleResult(task: Task, result: ActionResult): void {
    switch (result.status) {
      case 'ok':
        task.state = 'confirming';
        task.timer = this.clock.scheduleIn(this.confirmTimeoutMs, () => this.onConfirmTimeout(task));
        // The confirming events may have arrived before the answer.
        this.checkTask(task, 'event', this.clock.now());
        return;
      case 'rejected':
        if (result.code === 'account-rejected') {
          this.switchToAlertOnly(this.laneOf(task.accountId), task, result);
          return;
        }
        if (
          (result.code === 'position-not-found' && task.kind !== 'cancel') ||
          (result.code === 'order-not-found' && task.kind === 'cancel')
        ) {
          this.complete(task, 'not-found');
          return;
        }
        // The position changed under a partial close: look again before the next attempt.
        if (result.code === 'invalid-size') task.needsReconcile = true;
        this.afterFailure(task);
        return;
      case 'uncertain':
        task.needsReconcile = true;
        this.afterFailure(task);
        return;
    }
  }

  private onConfirmTimeout(task: Task): void {
    task.timer = null;
    if (!this.isActive(task) || task.state !== 'confirming') return;
    this.auditTask(
      task,
      'action-result',
      `${this.describe(task, null)}: no confirmation within ${this.confirmTimeoutMs} ms`,
      {
        attempt: task.attempts,
        timeout: true,
      },
    );
    task.needsReconcile = true;
    this.afterFailure(task);
  }

  /** Schedules the next attempt, or escalates when the round's attempts or time are used up. */
  private afterFailure(task: Task): void {
    const delay = this.backoffMs[Math.min(task.attempts, this.backoffMs.length - 1)] ?? 0;
    const now = this.clock.now();
    if (task.attempts < this.maxAttempts && now + delay - task.roundStartedAt <= this.attemptWindowMs) {
      task.state = 'waiting';
      task.timer = this.clock.scheduleIn(delay, () => {
        task.timer = null;
        this.run(task);
      });
      return;
    }
    task.state = 'reconciling';
    this.escalateAfterCheck(task).catch((err: unknown) => this.internalError(task, err));
  }

  private async escalateAfterCheck(task: Task): Promise<void> {
    if (task.needsReconcile) {
      task.needsReconcile = false;
      await this.reconcileAccount(task.accountId);
      if (!this.isActive(task)) return;
    }
    if (this.goalMet(task)) {
      this.complete(task, 'reconcile');
      return;
    }
    this.escalate(task);
  }

  private escalate(task: Task): void {
    const lane = this.laneOf(task.accountId);
    const attempts = `${task.attempts} attempt${task.attempts === 1 ? '' : 's'}`;
    switch (task.level) {
      case 'reduce': {
        this.supersede(task);
        const close = this.newTask(lane, {
          kind: 'close',
          contractId: task.contractId,
          orderId: null,
          epoch: task.epoch,
          side: task.side,
          target: 0,
          level: 'close',
          key: closeKey(task.accountId, task.contractId, task.epoch ?? 0),
          intentKey: null,
          cause: task.cause,
        });
        this.positionTasks.set(slotKey(task.accountId, task.contractId, task.epoch ?? 0), close);
        this.recordEscalation(task, 'close', `reduce failed after ${attempts}; closing the position`, [
          close.key,
        ]);
        this.enqueue(lane, [() => this.startRound(close)]);
        return;
      }
      case 'close': {
        task.level = 'flatten';
        task.state = 'queued';
        const admission: Admission = { cancels: [], positions: [], keys: [task.key] };
        const group = this.flattenGroup(task.accountId, task.cause.decisions, 'flatten');
        for (const step of group.steps) this.admit(lane, step, task.cause, [], admission);
        this.recordEscalation(
          task,
          'flatten',
          `close failed after ${attempts}; flattening the account`,
          admission.keys,
        );
        this.enqueue(lane, [...admission.cancels, () => this.startRound(task), ...admission.positions]);
        return;
      }
      case 'flatten':
      case 'cancel': {
        this.finish(task, 'failed');
        this.recordEscalation(
          task,
          'alert',
          `${this.describe(task, null)} failed after ${attempts}; manual action needed`,
          [],
        );
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------------ confirmation

  private checkTask(task: Task, via: string, at: Instant): void {
    if (!this.isActive(task) || task.state === 'restored') return;
    if (this.goalMet(task)) {
      // Events emitted by a reconciliation this task asked for confirm it "by reconcile".
      const how = task.sentAt === null ? 'already-met' : task.state === 'reconciling' ? 'reconcile' : via;
      this.complete(task, how, at);
      return;
    }
    if (task.kind === 'reduce' && task.state === 'confirming' && task.attemptTarget > task.target) {
      const size = this.accounts.get(task.accountId)?.positions.get(task.contractId)?.size;
      if (size !== undefined && size <= task.attemptTarget) {
        // The first reduce is done; the lower target that arrived meanwhile is a new round.
        this.clearTimer(task);
        this.auditTask(task, 'action-confirmed', `reduced to ${size}; continuing to ${task.target}`, {
          via,
          partial: true,
        });
        task.state = 'queued';
        this.startRound(task);
      }
    }
  }

  private goalMet(task: Task): boolean {
    const view = this.accounts.get(task.accountId);
    if (task.kind === 'cancel') return !view?.workingOrders.has(task.orderId as OrderId);
    const position = view?.positions.get(task.contractId);
    if (!position) return true;
    // The position the action was about is gone (closed and reopened, or flipped).
    if (position.epoch !== task.epoch || position.side !== task.side) return true;
    return task.kind === 'reduce' ? position.size <= task.target : false;
  }

  private applyLowerTarget(task: Task, target: number): void {
    // pendingTarget holds the lowest target still being written; this one is now durable.
    if (task.pendingTarget !== null && task.pendingTarget >= target) task.pendingTarget = null;
    if (target < task.target) {
      task.target = target;
      task.key = reduceKey(task.accountId, task.contractId, target, task.epoch ?? 0);
    }
    if (this.isActive(task)) {
      this.checkTask(task, 'event', this.clock.now());
      return;
    }
    if (task.state !== 'done') return; // superseded, failed or aborted: handled there
    if (this.goalMet(task)) {
      if (task.pendingTarget === null) this.deleteIntent(task);
      return;
    }
    // The first reduce finished before the lower target was recorded: start again for the rest.
    const lane = this.laneOf(task.accountId);
    task.state = 'queued';
    task.finishedAt = null;
    task.confirmedAt = null;
    this.active.add(task);
    lane.tasks.add(task);
    this.startRound(task);
  }

  private complete(task: Task, via: string, at?: Instant): void {
    task.confirmedAt = at ?? this.clock.now();
    if (task.kind === 'reduce') {
      const position = this.accounts.get(task.accountId)?.positions.get(task.contractId);
      task.doneSize = position && position.epoch === task.epoch ? position.size : 0;
    }
    this.finish(task, 'done');
    // A lower target still being written keeps the intent: it is the next goal.
    if (task.pendingTarget === null) this.deleteIntent(task);
    this.auditTask(task, 'action-confirmed', `${this.describe(task, null)}: confirmed (${via})`, {
      via,
      attempts: task.attempts,
    });
  }

  private supersede(task: Task): void {
    this.finish(task, 'superseded');
    this.deleteIntent(task);
  }

  private finish(task: Task, state: 'done' | 'failed' | 'superseded' | 'aborted'): void {
    this.clearTimer(task);
    task.state = state;
    task.finishedAt = this.clock.now();
    this.active.delete(task);
    this.lanes.get(task.accountId)?.tasks.delete(task);
    this.maybeIdle();
  }

  private clearTimer(task: Task): void {
    if (task.timer) {
      this.clock.cancel(task.timer);
      task.timer = null;
    }
  }

  private deleteIntent(task: Task): void {
    if (!task.intentKey || task.kind !== 'reduce') return;
    // Losing this delete in a crash is harmless: the restart reconciles the intent and finds it met.
    this.store
      .write([{ ns: 'intent', key: task.intentKey, value: null }], { durable: false })
      .catch((err: unknown) => {
        this.logger.warn({ err, key: task.intentKey }, 'could not delete a finished intent');
      });
  }

  private async reconcileAccount(accountId: AccountId): Promise<void> {
    try {
      await this.broker.reconcile(accountId);
    } catch (err) {
      this.logger.warn({ err, accountId }, 'reconciliation failed; deciding from the state we have');
    }
  }

  // ------------------------------------------------------------------------------------ alert-only

  private switchToAlertOnly(lane: Lane, task: Task, result: ActionResult & { status: 'rejected' }): void {
    if (lane.alertOnly) return;
    lane.alertOnly = true;
    const aborted: string[] = [];
    for (const t of [...lane.tasks]) {
      aborted.push(t.key);
      this.deleteIntent(t);
      this.finish(t, 'aborted');
    }
    const reason =
      `the broker refused to act on account ${lane.accountId} (${result.code}: ${result.message}); ` +
      'Riskd switched it to alert-only: breaches are alerted, never acted on';
    this.appendAudit({
      kind: 'alert-only',
      accountId: lane.accountId,
      contractId: task.contractId,
      ...this.ruleFields(task.cause),
      reason,
      mode: 'enforce',
      idempotencyKey: task.key,
      event: task.cause.event,
      timings: this.timings(task),
      data: { brokerCode: result.brokerCode, abortedKeys: aborted },
    });
    this.alert('critical', 'account-alert-only', `account:${lane.accountId}`, lane.accountId, {
      title: `Account ${this.accountName(lane.accountId)} is alert-only`,
      message: reason,
      ruleId: task.cause.rule?.ruleId,
      code: task.cause.rule?.code,
    });
  }

  private recordWouldHave(
    lane: Lane,
    groups: readonly PlannedGroup[],
    event: Record<string, unknown>,
    receivedAt: Instant | undefined,
  ): void {
    const now = this.clock.now();
    for (const group of groups) {
      const reasons: string[] = [];
      const rule = ruleRefOf(group.decisions);
      for (const step of group.steps) {
        const key = this.stepKey(lane.accountId, step);
        const seenAt = this.shadowSeen.get(key);
        if (seenAt !== undefined && now - seenAt < SHADOW_REPEAT_MS) continue;
        this.shadowSeen.set(key, now);
        const what = this.describeStep(lane.accountId, step);
        reasons.push(what);
        this.appendAudit({
          kind: 'alert-only',
          accountId: lane.accountId,
          contractId: step.contractId,
          ...(rule ? { ruleId: rule.ruleId, instanceId: rule.instanceId, code: rule.code } : {}),
          reason: `would have ${what} (account is alert-only): ${rule?.reason ?? ''}`.trimEnd(),
          mode: 'enforce',
          idempotencyKey: key,
          event,
          timings: { receivedAt, decidedAt: group.decisions[0]?.decidedAt ?? now },
        });
      }
      if (reasons.length === 0) continue;
      this.alert(maxSeverity(group.decisions), 'alert-only', `would-have:${lane.accountId}`, lane.accountId, {
        title: `Riskd would have acted on ${this.accountName(lane.accountId)} (alert-only)`,
        message: `would have ${reasons.join(', ')}: ${group.decisions.map((d) => d.reason).join('; ')}`,
        ruleId: rule?.ruleId,
        code: rule?.code,
      });
    }
  }

  // ------------------------------------------------------------------------------------ restart

  private restoreIntent(key: string, intent: ReduceIntent): void {
    const lane = this.laneOf(intent.accountId);
    const cause: Cause = {
      decisions: [],
      event: { kind: 'restart', intentKey: key },
      receivedAt: intent.createdAt,
      decidedAt: intent.createdAt,
      rule: intent.rule ?? undefined,
    };
    const task = this.newTask(lane, {
      kind: 'reduce',
      contractId: intent.contractId,
      orderId: null,
      epoch: intent.epoch,
      side: intent.side,
      target: intent.target,
      level: 'reduce',
      key: reduceKey(intent.accountId, intent.contractId, intent.target, intent.epoch),
      intentKey: key,
      cause,
    });
    task.state = 'restored';
    this.positionTasks.set(slotKey(intent.accountId, intent.contractId, intent.epoch), task);
  }

  private async reconcileAccountIntents(accountId: AccountId, tasks: Task[]): Promise<void> {
    let positions: readonly BrokerPosition[] | null = null;
    try {
      positions = await this.broker.openPositions(accountId);
    } catch (err) {
      this.logger.error({ err, accountId }, 'could not read positions to reconcile intents');
    }
    const lane = this.laneOf(accountId);
    const steps: (() => void)[] = [];
    for (const task of tasks) {
      if (task.state !== 'restored') continue;
      if (positions === null) {
        // Without a snapshot, the attempt reconciles through the gateway before deciding.
        task.state = 'queued';
        task.needsReconcile = true;
        steps.push(() => this.startRound(task));
        continue;
      }
      const position = positions.find((p) => p.contractId === task.contractId && p.size > 0);
      if (!position || position.side !== task.side || position.size <= task.target) {
        this.complete(task, 'restart-reconcile');
        continue;
      }
      task.state = 'queued';
      task.sizeHint = position.size;
      this.auditTask(
        task,
        'decision',
        `open intent after restart: position at ${position.size}, target ${task.target}`,
        {
          via: 'restart-reconcile',
          brokerSize: position.size,
        },
      );
      steps.push(() => this.startRound(task));
    }
    if (steps.length > 0) this.enqueue(lane, steps);
  }

  // ------------------------------------------------------------------------------------ audit and alerts

  private recordAlert(d: Decision, event: Record<string, unknown>, receivedAt: Instant | undefined): void {
    const kind: AuditKind = d.severity === 'warning' ? 'warning' : 'decision';
    this.appendAudit({
      kind,
      accountId: d.accountId,
      contractId: d.contractId,
      ruleId: d.ruleId,
      instanceId: d.instanceId,
      code: d.code,
      reason: d.reason,
      mode: d.mode,
      event,
      timings: { receivedAt, decidedAt: d.decidedAt },
      data: d.data,
    });
    this.alert(
      d.severity,
      d.severity === 'warning' ? 'warning' : 'rule-alert',
      `${d.instanceId}:${d.code}`,
      d.accountId,
      {
        title: `${d.ruleId}: ${d.code}`,
        message: d.reason,
        ruleId: d.ruleId,
        code: d.code,
      },
    );
  }

  private recordShadow(d: Decision, event: Record<string, unknown>, receivedAt: Instant | undefined): void {
    const view = this.accounts.get(d.accountId);
    const now = this.clock.now();
    if (d.action !== 'alert') {
      // The same shadow breach seen again (every quote) is one row per position epoch.
      const epoch = d.contractId ? (view?.positions.get(d.contractId)?.epoch ?? 'flat') : '';
      const flattenSig =
        d.action === 'flatten'
          ? [...(view?.positions.values() ?? [])].map((p) => `${p.contractId}@${p.epoch}`).join(',')
          : '';
      const key = [
        d.accountId,
        d.instanceId,
        d.code,
        d.action,
        d.contractId ?? '',
        epoch,
        d.reduceTo ?? '',
        flattenSig,
        JSON.stringify(d.lockout ?? null),
      ].join('|');
      const seenAt = this.shadowSeen.get(key);
      if (seenAt !== undefined && now - seenAt < SHADOW_REPEAT_MS) return;
      this.shadowSeen.set(key, now);
    }
    const contractName = d.contractId ? (view?.contract(d.contractId)?.name ?? d.contractId) : undefined;
    const what = describeDecision(d, contractName);
    this.appendAudit({
      kind: 'alert-only',
      accountId: d.accountId,
      contractId: d.contractId,
      ruleId: d.ruleId,
      instanceId: d.instanceId,
      code: d.code,
      reason: `would have ${what} (${d.mode}): ${d.reason}`,
      mode: d.mode,
      event,
      timings: { receivedAt, decidedAt: d.decidedAt },
      data: d.data,
    });
    this.alert(d.severity, 'alert-only', `${d.instanceId}:${d.code}`, d.accountId, {
      title: `${d.ruleId} (${d.mode}) would have ${what}`,
      message: d.reason,
      ruleId: d.ruleId,
      code: d.code,
    });
  }

  /**
   * Writes the lockout record of a request's scope (the state manager's, which the facade already
   * combined with the holds in force) and announces the request's hold: a `lockout-started` row
   * and a warning alert naming this hold, and what else keeps the scope locked. An identical record
   * is not written twice and a hold is not announced twice (the same outcome executed again, a
   * restored record).
   */
  private recordLockout(
    request: LockoutRequest,
    event: Record<string, unknown>,
    receivedAt: Instant | undefined,
    records: StateRecord[],
  ): void {
    const d = request.decision;
    const id = lockoutId(request.accountId, request.scope);
    const hold: LockoutHold = {
      ruleId: d.ruleId,
      instanceId: d.instanceId,
      code: d.code,
      reason: d.reason,
      startedAt: d.decidedAt,
      end: request.end,
    };
    const lockout: Lockout = this.accounts.get(request.accountId)?.lockouts.get(id) ?? {
      id,
      accountId: request.accountId,
      scope: request.scope,
      ...hold,
    };
    const signature = this.lockoutSignature(lockout);
    const extended = this.persistedLockouts.has(id);
    if (this.persistedLockouts.get(id) !== signature) {
      this.persistedLockouts.set(id, signature);
      records.push({ ns: 'lockout', key: id, value: lockout });
    }
    const key = holdKey(hold);
    const holds = lockoutHolds(lockout);
    const announced = this.announcedHolds.get(id);
    const inRecord = new Set(holds.map(holdKey));
    // A hold the record does not carry (subsumed by one in force) started nothing.
    if (announced?.has(key) || !inRecord.has(key)) return;
    // Only holds still in the record are remembered: they are what can be executed again.
    this.announcedHolds.set(
      id,
      new Set([...(announced ?? []), key].filter((k) => k === key || inRecord.has(k))),
    );
    const others = holds.filter((h) => holdKey(h) !== key);
    const also =
      others.length === 0
        ? ''
        : `; also locked ${others.map((h) => `${formatLockoutEnd(h.end)} (${h.code})`).join(', ')}`;
    const text = `${formatScope(lockout.scope)} locked ${formatLockoutEnd(hold.end)}: ${hold.reason}${also}`;
    this.appendAudit({
      kind: 'lockout-started',
      accountId: request.accountId,
      ruleId: hold.ruleId,
      instanceId: hold.instanceId,
      code: hold.code,
      reason: text,
      mode: 'enforce',
      event,
      timings: { receivedAt, decidedAt: d.decidedAt },
      data: { lockout, extended, hold },
    });
    // A lockout is intended behaviour the trader must know about, but not an emergency: warning.
    this.alert('warning', 'lockout-started', `${id}:${hold.startedAt}`, request.accountId, {
      title: `${this.accountName(request.accountId)}: ${formatScope(lockout.scope)} locked`,
      message: text,
      ruleId: hold.ruleId,
      code: hold.code,
    });
  }

  private recordDecisions(lane: Lane, group: PlannedGroup, cause: Cause, keys: readonly string[]): void {
    for (const d of group.decisions) {
      this.appendAudit({
        kind: 'decision',
        accountId: lane.accountId,
        contractId: group.contractId ?? undefined,
        ruleId: d.ruleId,
        instanceId: d.instanceId,
        code: d.code,
        reason: d.reason,
        mode: d.mode,
        idempotencyKey: keys[0],
        event: cause.event,
        timings: { receivedAt: cause.receivedAt, decidedAt: cause.decidedAt },
        data: { action: d.action, keys, ...(d.data ? { rule: d.data } : {}) },
      });
    }
    const name = this.accountName(lane.accountId);
    const what = group.flatten
      ? `Flattening account ${name}`
      : `${name}: ${this.describeGroup(lane.accountId, group)}`;
    this.alert(maxSeverity(group.decisions), 'enforcement', keys[0] ?? 'none', lane.accountId, {
      title: what,
      message: group.decisions.map((d) => d.reason).join('; '),
      ruleId: cause.rule?.ruleId,
      code: cause.rule?.code,
      fields: this.enforcementFields(lane.accountId, group),
    });
  }

  private recordEscalation(task: Task, to: string, reason: string, keys: readonly string[]): void {
    this.appendAudit({
      kind: 'escalation',
      accountId: task.accountId,
      contractId: task.contractId,
      ...this.ruleFields(task.cause),
      reason,
      mode: 'enforce',
      idempotencyKey: task.key,
      event: task.cause.event,
      timings: this.timings(task),
      data: { to, attempts: task.attempts, keys },
    });
    this.alert(
      'critical',
      to === 'alert' ? 'enforcement-failed' : 'escalation',
      `${task.key}:${to}`,
      task.accountId,
      {
        title:
          to === 'alert'
            ? `Enforcement failed on ${this.accountName(task.accountId)}`
            : `Escalating to ${to} on ${this.accountName(task.accountId)}`,
        message: task.cause.rule ? `${reason} (${task.cause.rule.reason})` : reason,
        ruleId: task.cause.rule?.ruleId,
        code: task.cause.rule?.code,
      },
    );
  }

  private auditTask(task: Task, kind: AuditKind, reason: string, data: Record<string, unknown>): void {
    this.appendAudit({
      kind,
      accountId: task.accountId,
      contractId: task.contractId,
      ...this.ruleFields(task.cause),
      reason: task.cause.rule ? `${reason} [${task.cause.rule.reason}]` : reason,
      mode: 'enforce',
      idempotencyKey: task.key,
      event: task.cause.event,
      timings: this.timings(task),
      data: { ...data, level: task.level },
    });
  }

  private ruleFields(cause: Cause): Pick<AuditEntry, 'ruleId' | 'instanceId' | 'code'> {
    const rule = cause.rule;
    if (!rule) return {};
    return { ruleId: rule.ruleId, instanceId: rule.instanceId, code: rule.code };
  }

  private timings(task: Task): AuditEntry['timings'] {
    return {
      ...(task.cause.receivedAt !== undefined ? { receivedAt: task.cause.receivedAt } : {}),
      decidedAt: task.cause.decidedAt,
      ...(task.sentAt !== null ? { sentAt: task.sentAt } : {}),
      ...(task.confirmedAt !== null ? { confirmedAt: task.confirmedAt } : {}),
    };
  }

  private appendAudit(entry: Omit<AuditEntry, 'at'>): void {
    try {
      this.audit.append({ at: this.clock.now(), ...entry });
    } catch (err) {
      this.logger.error({ err, kind: entry.kind }, 'audit append failed');
    }
  }

  private alert(
    severity: AlertSeverity,
    kind: string,
    subject: string,
    accountId: AccountId | undefined,
    content: {
      title: string;
      message: string;
      ruleId?: string | undefined;
      code?: string | undefined;
      fields?: Readonly<Record<string, string>>;
    },
  ): void {
    const now = this.clock.now();
    if (this.alertStamp.at === now) this.alertStamp.n += 1;
    else this.alertStamp = { at: now, n: 0 };
    try {
      this.notifier.notify({
        // Time-based, so ids stay unique across restarts (delivery is exactly once per id).
        id: `enf:${kind}:${subject}:${now}.${this.alertStamp.n}`,
        at: now,
        severity,
        kind,
        ...(accountId !== undefined ? { accountId } : {}),
        ...(content.ruleId !== undefined ? { ruleId: content.ruleId } : {}),
        ...(content.code !== undefined ? { code: content.code } : {}),
        title: content.title,
        message: content.message,
        ...(content.fields !== undefined ? { fields: content.fields } : {}),
      });
    } catch (err) {
      this.logger.error({ err, kind }, 'notifier threw');
    }
  }

  private internalError(task: Task, err: unknown): void {
    this.logger.error({ err, key: task.key }, 'enforcement action failed unexpectedly');
    if (!this.isActive(task)) return;
    this.finish(task, 'failed');
    this.recordEscalation(task, 'alert', `internal error while enforcing: ${errorText(err)}`, []);
  }

  // ------------------------------------------------------------------------------------ helpers

  private describe(task: Task, size: number | null): string {
    const name = this.contractName(task.accountId, task.contractId);
    switch (task.kind) {
      case 'cancel':
        return `cancel order ${task.orderId} on ${name}`;
      case 'close':
        return `close ${name}`;
      case 'reduce':
        return size === null
          ? `reduce ${name} to ${task.target}`
          : `reduce ${name} to ${task.target} (close ${size})`;
    }
  }

  private describeStep(accountId: AccountId, step: PlannedStep): string {
    const name = this.contractName(accountId, step.contractId);
    switch (step.kind) {
      case 'cancel':
        return `cancelled order ${step.orderId} on ${name}`;
      case 'close':
        return `closed ${name}`;
      case 'reduce':
        return `reduced ${name} to ${step.target}`;
    }
  }

  private describeGroup(accountId: AccountId, group: PlannedGroup): string {
    const position = group.steps.find((s) => s.kind !== 'cancel');
    const name = this.contractName(accountId, group.contractId ?? '');
    if (!position) return `cancelling orders on ${name}`;
    return position.kind === 'close' ? `closing ${name}` : `reducing ${name} to ${position.target}`;
  }

  /**
   * The numbers a person acting on an enforcement alert wants at a glance: what was done, to which
   * account and contract, and the account's P&L of the day at that moment (formatted, exact).
   */
  private enforcementFields(accountId: AccountId, group: PlannedGroup): Record<string, string> {
    const view = this.accounts.get(accountId);
    const position = group.steps.find((s) => s.kind !== 'cancel');
    const action = group.flatten
      ? 'flatten'
      : !position
        ? 'cancel'
        : position.kind === 'close'
          ? 'close'
          : 'reduce';
    const fields: Record<string, string> = { action, account: this.accountName(accountId) };
    if (!group.flatten && group.contractId !== null) {
      fields['contract'] = this.contractName(accountId, group.contractId);
      const held = view?.positions.get(group.contractId);
      if (held) fields['position'] = `${held.side} ${held.size}`;
      if (position?.kind === 'reduce') fields['reduceTo'] = String(position.target);
    }
    if (view) {
      fields['realizedPnl'] = formatMoney(view.pnl.realized);
      fields['unrealizedPnl'] = formatMoney(view.pnl.unrealized);
      fields['dayPnl'] = formatMoney(view.pnl.combined);
    }
    return fields;
  }

  private describeResult(result: ActionResult): string {
    switch (result.status) {
      case 'ok':
        return 'accepted';
      case 'rejected':
        return `rejected (${result.code}, broker code ${result.brokerCode}: ${result.message})`;
      case 'uncertain':
        return `uncertain (${result.reason})`;
    }
  }

  private stepKey(accountId: AccountId, step: PlannedStep): string {
    if (step.kind === 'cancel') return cancelKey(accountId, step.contractId, step.orderId as OrderId);
    const epoch = this.accounts.get(accountId)?.positions.get(step.contractId)?.epoch ?? 0;
    return step.kind === 'close'
      ? closeKey(accountId, step.contractId, epoch)
      : reduceKey(accountId, step.contractId, step.target, epoch);
  }

  private contractName(accountId: AccountId, contractId: ContractId): string {
    return this.accounts.get(accountId)?.contract(contractId)?.name ?? contractId;
  }

  private accountName(accountId: AccountId): string {
    return this.accounts.get(accountId)?.account?.name ?? String(accountId);
  }

  private lockoutSignature(lockout: Lockout): string {
    // The facade only changes a record when a hold is added or released, so anything but an exact
    // repeat (the same outcome executed twice, a restored record) is written.
    return JSON.stringify(lockout);
  }

  private isActive(task: Task): boolean {
    return ACTIVE_STATES.has(task.state);
  }

  private laneOf(accountId: AccountId): Lane {
    let lane = this.lanes.get(accountId);
    if (!lane) {
      lane = { accountId, alertOnly: false, tail: Promise.resolve(), tasks: new Set() };
      this.lanes.set(accountId, lane);
    }
    return lane;
  }

  private maybeIdle(): void {
    if (this.inFlight() !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }

  /** Forgets finished actions and old "would have" rows (at most once a minute). */
  private prune(): void {
    const now = this.clock.now();
    if (now - this.lastPruneAt < 60_000) return;
    this.lastPruneAt = now;
    const horizon = now - Math.max(HISTORY_MS, this.retryFailedAfterMs);
    for (const map of [this.positionTasks, this.cancelTasks]) {
      for (const [key, task] of map) {
        if (!this.isActive(task) && (task.finishedAt ?? now) < horizon) map.delete(key);
      }
    }
    for (const [key, at] of this.shadowSeen) if (now - at >= SHADOW_REPEAT_MS) this.shadowSeen.delete(key);
  }
}

/** Identifies one hold of a lockout: who asked, when, and for which end. */
function holdKey(hold: LockoutHold): string {
  const end = hold.end.kind === 'at' ? `at:${hold.end.at}` : `condition:${hold.end.condition}`;
  return `${hold.instanceId}|${hold.code}|${hold.startedAt}|${end}`;
}
