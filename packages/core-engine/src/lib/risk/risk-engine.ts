import type { MarketCalendarView } from '../calendar/market-calendar-view.js';
import type { Clock } from '../clock/clock.js';
import type { LockoutEnd, LockoutEndSpec, LockoutScope } from '../domain/lockout.js';
import type { AccountId, ContractId, Instant, OrderId } from '../domain/types.js';
import { eventContractId, type EngineEvent } from '../events/events.js';
import type { Logger } from '../ports/logger.js';
import type { AlertSeverity } from '../ports/notifier.js';
import type {
  Decision,
  DecisionAction,
  RuleContext,
  RuleDecision,
  RuleInstanceInfo,
  RuleInstanceState,
  RuleTimers,
} from '../rules/rule-api.js';
import type { AccountRuleSet, ResolvedRuleSet, RuleInstance } from '../rules/rule-set.js';
import type { AccountsView, AccountView } from '../state/account-view.js';
import {
  entryOrders,
  LOCKOUT_GUARD_INSTANCE_ID,
  LOCKOUT_GUARD_RULE_ID,
  lockoutGuard,
  lockoutInForce,
  type StartingLockout,
} from './lockout-guard.js';
import { mergeDecisions, type MergeEnv } from './merge.js';
import type { Outcome } from './outcome.js';
import type { RiskStateSource, RiskStateUpdate } from './risk-inputs.js';

/** Code of the critical alert raised when a rule throws or returns an invalid decision. */
export const RULE_ERROR = 'RULE_ERROR';

/** Options of {@link RiskEngine}. */
export interface RiskEngineOptions {
  /** The state manager (or anything offering the same reads). */
  readonly state: RiskStateSource;
  readonly calendar: MarketCalendarView;
  readonly clock: Clock;
  /** Whether fees count in realized P&L (`includeFees`, default true); passed on to rules. */
  readonly includeFees: boolean;
  readonly logger: Logger;
  /**
   * Least time between two `RULE_ERROR` alerts of one rule instance (default 60 s). A rule that
   * throws on every quote would otherwise raise hundreds of critical alerts a second; failures in
   * between are counted and reported with the next alert.
   */
  readonly ruleErrorIntervalMs?: number;
}

const ACTIONS: ReadonlySet<DecisionAction> = new Set([
  'alert',
  'cancel-orders',
  'reduce-position',
  'close-position',
  'flatten',
  'none',
]);

/**
 * The default severity of a decision that does not state one: flatten is critical; an alert, or
 * any decision that starts a lockout, is a warning; everything else (close, reduce, cancel) is info.
 */
export function defaultSeverity(decision: RuleDecision): AlertSeverity {
  if (decision.action === 'flatten') return 'critical';
  if (decision.action === 'alert' || decision.lockout) return 'warning';
  return 'info';
}

/** The context one rule instance sees; one object per instance, reused for every evaluation. */
class InstanceContext implements RuleContext {
  now: Instant = 0;
  account!: AccountView;
  /** RULE_ERROR throttling. */
  lastErrorAlertAt = Number.NEGATIVE_INFINITY;
  failuresSinceAlert = 0;
  private stateHandle: RuleInstanceState | undefined;
  private timersHandle: RuleTimers | undefined;

  constructor(
    readonly instance: RuleInstanceInfo,
    readonly accounts: AccountsView,
    readonly calendar: MarketCalendarView,
    readonly includeFees: boolean,
    private readonly source: RiskStateSource,
  ) {}

  get state(): RuleInstanceState {
    return (this.stateHandle ??= this.source.ruleState(this.instance.accountId, this.instance.instanceId));
  }

  get timers(): RuleTimers {
    return (this.timersHandle ??= this.source.ruleTimers(this.instance.accountId, this.instance.instanceId));
  }

  warnOnce(code: string, reason: string, data?: Readonly<Record<string, unknown>>): RuleDecision | undefined {
    // One warning per instance, code and trading day, remembered in the instance's persisted state
    // so a restart does not repeat it. The day is the state manager's, which turns at reset events.
    const key = `warnOnce:${code}`;
    const day = this.account.tradingDay.id;
    if (this.state.get<string>(key) === day) return undefined;
    this.state.set(key, day);
    return { action: 'alert', code, reason, severity: 'warning', ...(data ? { data } : {}) };
  }
}

/**
 * The risk engine: routes each event to the rule instances that want it, stamps and checks their
 * decisions, adds the built-in lockout guard's, resolves lockout ends through the calendar and
 * merges everything into one {@link Outcome} (RULES.md section 2). Synchronous, no I/O.
 *
 * Routing: account events (fill, order, position, account) go to that account; quotes and
 * contract events to the accounts holding the contract; reset and connection events to every
 * known account; a timer event only to the instance that set it. Accounts configured with
 * `enabled: false` are not evaluated and never acted on. Duplicate events are not evaluated.
 */
export class RiskEngine {
  private ruleSet: ResolvedRuleSet | undefined;
  private readonly contexts = new WeakMap<RuleInstance, InstanceContext>();
  private readonly logger: Logger;
  private readonly state: RiskStateSource;
  private readonly calendar: MarketCalendarView;
  private readonly clock: Clock;
  private readonly includeFees: boolean;
  private readonly ruleErrorIntervalMs: number;
  /** Rule evaluations run so far (for metrics and benchmarks). */
  evaluations = 0;
  /** Reused for every event: rule decisions land here before the merge copies them. */
  private readonly scratch: Decision[] = [];
  private now: Instant = 0;
  private readonly mergeEnv: MergeEnv = {
    resolveEnd: (spec) => this.resolveEnd(spec),
    existingLockout: (accountId, lockoutId) => {
      const lockout = this.state.account(accountId)?.lockouts.get(lockoutId);
      return lockout && lockoutInForce(lockout, this.now) ? lockout : undefined;
    },
  };

  constructor(options: RiskEngineOptions) {
    this.state = options.state;
    this.calendar = options.calendar;
    this.clock = options.clock;
    this.includeFees = options.includeFees;
    this.logger = options.logger.child({ component: 'risk-engine' });
    this.ruleErrorIntervalMs = options.ruleErrorIntervalMs ?? 60_000;
  }

  /** Installs the resolved rule instances; replaces the previous set (per-account instances are rebuilt lazily). */
  configure(ruleSet: ResolvedRuleSet): void {
    this.ruleSet = ruleSet;
  }

  /** The rule set in force, if configured. */
  get rules(): ResolvedRuleSet | undefined {
    return this.ruleSet;
  }

  /** The rule instances of an account (undefined before `configure`). */
  accountRules(accountId: AccountId): AccountRuleSet | undefined {
    return this.ruleSet?.forAccount(accountId, this.state.account(accountId)?.account?.name);
  }

  /** Evaluates one event (already applied to state) and returns the merged outcome. */
  evaluate(event: EngineEvent, update: RiskStateUpdate): Outcome {
    const now = (this.now = this.clock.now());
    const decisions = this.scratch;
    decisions.length = 0;
    if (update.duplicate) return mergeDecisions(event, now, decisions, this.mergeEnv);

    switch (event.kind) {
      case 'fill':
      case 'order':
      case 'position':
      case 'account':
        this.evaluateAccount(event.accountId, event, now, decisions);
        break;
      case 'timer':
        this.evaluateTimer(event, now, decisions);
        break;
      case 'quote':
      case 'contract': {
        const contractId = eventContractId(event) as ContractId;
        for (const accountId of this.state.accountsHolding(contractId)) {
          this.evaluateAccount(accountId, event, now, decisions);
        }
        break;
      }
      case 'reset':
      case 'connection':
        for (const view of this.state.accounts.all())
          this.evaluateAccount(view.accountId, event, now, decisions);
        break;
    }
    this.runGuard(event, update, now, decisions);
    return mergeDecisions(event, now, decisions, this.mergeEnv);
  }

  private evaluateAccount(accountId: AccountId, event: EngineEvent, now: Instant, out: Decision[]): void {
    const view = this.state.account(accountId);
    if (!view || !this.ruleSet) return;
    const set = this.ruleSet.forAccount(accountId, view.account?.name);
    if (!set.protected) return;
    for (const instance of set.instancesFor(event.kind)) this.runInstance(instance, view, event, now, out);
  }

  private evaluateTimer(event: EngineEvent & { kind: 'timer' }, now: Instant, out: Decision[]): void {
    const view = this.state.account(event.accountId);
    if (!view || !this.ruleSet) return;
    const set = this.ruleSet.forAccount(event.accountId, view.account?.name);
    const instance = set.protected ? set.instance(event.instanceId) : undefined;
    if (!instance) {
      // The instance was removed or switched off since it set the timer: nobody to tell.
      this.logger.debug(
        { accountId: event.accountId, instanceId: event.instanceId, key: event.key },
        'timer for an instance that is not in force',
      );
      return;
    }
    this.runInstance(instance, view, event, now, out);
  }

  private contextOf(instance: RuleInstance): InstanceContext {
    let ctx = this.contexts.get(instance);
    if (!ctx) {
      ctx = new InstanceContext(
        instance.info,
        this.state.accounts,
        this.calendar,
        this.includeFees,
        this.state,
      );
      this.contexts.set(instance, ctx);
    }
    return ctx;
  }

  private runInstance(
    instance: RuleInstance,
    view: AccountView,
    event: EngineEvent,
    now: Instant,
    out: Decision[],
  ): void {
    const ctx = this.contextOf(instance);
    this.evaluations++;
    ctx.now = now;
    ctx.account = view;
    let result: readonly RuleDecision[];
    try {
      result = instance.evaluator.evaluate(event, ctx);
      if (!Array.isArray(result)) throw new TypeError(`evaluate() returned ${typeof result}, not an array`);
    } catch (err) {
      this.ruleFailed(instance, ctx, event, now, err, out);
      return;
    }
    for (const decision of result) {
      const problem = checkDecision(decision);
      if (problem !== undefined) {
        this.ruleFailed(
          instance,
          ctx,
          event,
          now,
          new TypeError(`returned an invalid decision: ${problem}`),
          out,
        );
        continue;
      }
      const accountId = decision.accountId ?? instance.accountId;
      if (accountId !== instance.accountId && !this.isProtected(accountId)) {
        this.logger.info(
          { ruleId: instance.ruleId, instanceId: instance.instanceId, accountId, code: decision.code },
          'decision for an account Riskd does not protect: ignored',
        );
        continue;
      }
      const stamped: Decision = Object.freeze({
        ...decision,
        accountId,
        ruleId: instance.ruleId,
        instanceId: instance.instanceId,
        mode: instance.mode,
        severity: decision.severity ?? defaultSeverity(decision),
        decidedAt: now,
      });
      this.pushNormalized(stamped, out);
    }
  }

  private isProtected(accountId: AccountId): boolean {
    if (!this.ruleSet) return true;
    return this.ruleSet.forAccount(accountId, this.state.account(accountId)?.account?.name).protected;
  }

  /**
   * `cancel-orders` decisions become one decision per contract with explicit order ids: absent
   * `orderIds` mean every working entry order of the target (one contract, or all of them); listed
   * orders are grouped by the contract they are on. A cancel with nothing left to cancel keeps its
   * lockout as a `none` decision.
   */
  private pushNormalized(decision: Decision, out: Decision[]): void {
    if (decision.action !== 'cancel-orders') {
      out.push(decision);
      return;
    }
    const view = this.state.account(decision.accountId);
    const groups = new Map<ContractId, OrderId[]>();
    const add = (contractId: ContractId, id: OrderId): void => {
      let ids = groups.get(contractId);
      if (!ids) groups.set(contractId, (ids = []));
      ids.push(id);
    };
    if (decision.orderIds) {
      for (const id of decision.orderIds) {
        const contractId = view?.workingOrders.get(id)?.contractId ?? decision.contractId;
        // An order that is not working (anymore) and names no contract has nothing left to cancel.
        if (contractId !== undefined) add(contractId, id);
      }
    } else if (view) {
      const contracts =
        decision.contractId !== undefined
          ? [decision.contractId]
          : [...new Set([...view.workingOrders.values()].map((o) => o.contractId))];
      for (const contractId of contracts)
        for (const order of entryOrders(view, contractId)) add(contractId, order.id);
    }
    if (groups.size === 0) {
      if (decision.contractId !== undefined) out.push(Object.freeze({ ...decision, orderIds: [] }));
      else if (decision.lockout) out.push(Object.freeze({ ...decision, action: 'none' as const }));
      return;
    }
    for (const [contractId, orderIds] of groups) {
      out.push(
        Object.freeze({ ...decision, contractId, orderIds: Object.freeze(orderIds.sort((a, b) => a - b)) }),
      );
    }
  }

  private ruleFailed(
    instance: RuleInstance,
    ctx: InstanceContext,
    event: EngineEvent,
    now: Instant,
    err: unknown,
    out: Decision[],
  ): void {
    ctx.failuresSinceAlert++;
    if (now - ctx.lastErrorAlertAt < this.ruleErrorIntervalMs) return;
    const failures = ctx.failuresSinceAlert;
    ctx.failuresSinceAlert = 0;
    ctx.lastErrorAlertAt = now;
    const message = err instanceof Error ? err.message : String(err);
    this.logger.error(
      {
        err,
        ruleId: instance.ruleId,
        instanceId: instance.instanceId,
        accountId: instance.accountId,
        event: summarizeEvent(event),
        failures,
      },
      'rule evaluation failed',
    );
    out.push(
      Object.freeze({
        action: 'alert',
        accountId: instance.accountId,
        ruleId: instance.ruleId,
        instanceId: instance.instanceId,
        // The engine's own alert, not the rule's decision: it is delivered whatever the rule's mode.
        mode: 'enforce',
        severity: 'critical',
        decidedAt: now,
        code: RULE_ERROR,
        reason:
          `rule ${instance.ruleId} (${instance.instanceId}) failed on a ${event.kind} event: ${message}` +
          (failures > 1 ? ` (${failures} failures since the last alert)` : '') +
          '; the other rules keep running',
        data: { error: message, eventKind: event.kind, failures, instanceMode: instance.mode },
      }),
    );
  }

  /** Adds the lockout guard's decisions for the accounts this event can concern. */
  private runGuard(event: EngineEvent, update: RiskStateUpdate, now: Instant, out: Decision[]): void {
    let starting: Map<AccountId, StartingLockout[]> | undefined;
    for (const decision of out) {
      if (decision.mode !== 'enforce' || !decision.lockout) continue;
      const end = decision.lockout.end;
      if (end.kind === 'at' && end.at <= now) continue;
      starting ??= new Map();
      let list = starting.get(decision.accountId);
      if (!list) starting.set(decision.accountId, (list = []));
      list.push({ scope: decision.lockout.scope, ruleId: decision.ruleId, code: decision.code });
    }
    const eventAccount = event.kind === 'fill' || event.kind === 'order' ? event.accountId : undefined;
    if (eventAccount !== undefined && !starting?.has(eventAccount))
      this.guardAccount(eventAccount, [], event, update, now, out);
    if (starting) {
      for (const [accountId, list] of starting) this.guardAccount(accountId, list, event, update, now, out);
    }
  }

  private guardAccount(
    accountId: AccountId,
    starting: readonly StartingLockout[],
    event: EngineEvent,
    update: RiskStateUpdate,
    now: Instant,
    out: Decision[],
  ): void {
    const view = this.state.account(accountId);
    if (!view || (view.lockouts.size === 0 && starting.length === 0)) return;
    if (!this.isProtected(accountId)) return;
    const decisions = lockoutGuard({
      event,
      now,
      account: view,
      update,
      starting,
      memory: this.state.ruleState(accountId, LOCKOUT_GUARD_INSTANCE_ID),
    });
    for (const decision of decisions) {
      out.push(
        Object.freeze({
          ...decision,
          accountId,
          ruleId: LOCKOUT_GUARD_RULE_ID,
          instanceId: LOCKOUT_GUARD_INSTANCE_ID,
          mode: 'enforce',
          severity: decision.severity ?? defaultSeverity(decision),
          decidedAt: now,
        }),
      );
    }
  }

  /** The engine's end resolution: the calendar's answer, or the next reset should the calendar fail. */
  private resolveEnd(spec: LockoutEndSpec): LockoutEnd {
    try {
      return resolveLockoutEnd(this.calendar, spec, this.now);
    } catch (err) {
      // A calendar without sessions cannot name a session start; a lockout must still end somewhere.
      this.logger.error({ err, spec }, 'cannot resolve a lockout end; using the next reset');
      return { kind: 'at', at: this.calendar.nextReset(this.now) };
    }
  }
}

/**
 * Resolves a lockout end at the moment `now` the lockout starts: a duration counts from now;
 * reset, session start and week reset are the calendar's next ones; instants and conditions stay.
 * The calendar has no per-symbol sessions, so `session-start` with a symbol is the market's next
 * session start (rules with their own sessions state an instant). Throws what the calendar throws.
 */
export function resolveLockoutEnd(
  calendar: MarketCalendarView,
  spec: LockoutEndSpec,
  now: Instant,
): LockoutEnd {
  switch (spec.kind) {
    case 'at':
      return { kind: 'at', at: spec.at };
    case 'condition':
      return { kind: 'condition', condition: spec.condition };
    case 'duration':
      return { kind: 'at', at: now + spec.ms };
    case 'reset':
      return { kind: 'at', at: calendar.nextReset(now) };
    case 'session-start':
      return { kind: 'at', at: calendar.nextSessionStart(now) };
    case 'week-reset':
      return { kind: 'at', at: calendar.nextWeekReset(now) };
  }
}

/**
 * Checks a decision as a rule returned it; returns what is wrong, or undefined. Bad output is a
 * rule error (reported as RULE_ERROR), never a crash of the engine.
 */
export function checkDecision(decision: RuleDecision): string | undefined {
  if (typeof decision !== 'object' || decision === null) return 'not an object';
  if (!ACTIONS.has(decision.action)) return `unknown action ${JSON.stringify(decision.action)}`;
  if (typeof decision.code !== 'string' || decision.code === '') return 'missing code';
  if (typeof decision.reason !== 'string' || decision.reason === '')
    return `${decision.code}: missing reason`;
  if (decision.accountId !== undefined && !Number.isInteger(decision.accountId))
    return `${decision.code}: bad accountId`;
  if (
    (decision.action === 'close-position' || decision.action === 'reduce-position') &&
    typeof decision.contractId !== 'string'
  ) {
    return `${decision.code}: ${decision.action} needs a contractId`;
  }
  if (decision.action === 'reduce-position') {
    const to = decision.reduceTo;
    if (typeof to !== 'number' || !Number.isInteger(to) || to < 0) {
      return `${decision.code}: reduce-position needs reduceTo, a whole number >= 0`;
    }
  }
  if (decision.orderIds !== undefined && !Array.isArray(decision.orderIds))
    return `${decision.code}: orderIds must be an array`;
  if (decision.lockout !== undefined)
    return checkLockout(decision.code, decision.lockout.scope, decision.lockout.end);
  return undefined;
}

function checkLockout(
  code: string,
  scope: LockoutScope | undefined,
  end: LockoutEndSpec | undefined,
): string | undefined {
  if (!scope || (scope.kind !== 'account' && (scope.kind !== 'symbol' || typeof scope.symbol !== 'string'))) {
    return `${code}: bad lockout scope`;
  }
  if (!end) return `${code}: lockout without an end`;
  switch (end.kind) {
    case 'at':
      return Number.isFinite(end.at) ? undefined : `${code}: lockout end instant is not a number`;
    case 'duration':
      return Number.isFinite(end.ms) && end.ms > 0 ? undefined : `${code}: lockout duration must be positive`;
    case 'reset':
    case 'session-start':
    case 'week-reset':
      return undefined;
    case 'condition':
      return ['can-trade', 'config-valid', 'symbol-unblocked'].includes(end.condition)
        ? undefined
        : `${code}: unknown lockout condition`;
    default:
      return `${code}: unknown lockout end`;
  }
}

/** A compact description of an event for logs (no payload dumps). */
export function summarizeEvent(event: EngineEvent): Record<string, unknown> {
  switch (event.kind) {
    case 'fill':
      return {
        kind: 'fill',
        accountId: event.accountId,
        fillId: event.fill.id,
        contractId: event.fill.contractId,
      };
    case 'order':
      return {
        kind: 'order',
        accountId: event.accountId,
        orderId: event.order.id,
        status: event.order.status,
      };
    case 'position':
      return {
        kind: 'position',
        accountId: event.accountId,
        contractId: event.position.contractId,
        size: event.position.size,
      };
    case 'account':
      return { kind: 'account', accountId: event.accountId, canTrade: event.account.canTrade };
    case 'quote':
      return { kind: 'quote', contractId: event.quote.contractId };
    case 'contract':
      return { kind: 'contract', contractId: event.contract.id };
    case 'connection':
      return { kind: 'connection', channel: event.channel, state: event.state };
    case 'timer':
      return { kind: 'timer', accountId: event.accountId, instanceId: event.instanceId, key: event.key };
    case 'reset':
      return { kind: 'reset', at: event.at, weekStart: event.weekStart };
  }
}
