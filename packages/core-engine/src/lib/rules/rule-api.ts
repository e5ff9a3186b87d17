import type { MarketCalendarView } from '../calendar/market-calendar-view.js';
import type { Lockout, LockoutEndSpec, LockoutScope } from '../domain/lockout.js';
import type { AccountId, ContractId, Instant, OrderId } from '../domain/types.js';
import type { EngineEvent, EngineEventKind } from '../events/events.js';
import type { AlertSeverity } from '../ports/notifier.js';
import type { AccountsView, AccountView } from '../state/account-view.js';

/**
 * The rule plugin API version. A rule pack declares the major it was written for; the loader
 * refuses a pack whose `apiVersion` differs.
 */
export const RULE_API_VERSION = 1;

/** How a rule instance's decisions are treated (RULES.md section 2). */
export type RuleMode = 'enforce' | 'alert-only' | 'dry-run';

/** What a decision asks for. `none` carries only a lockout (or nothing but an audit row). */
export type DecisionAction =
  'alert' | 'cancel-orders' | 'reduce-position' | 'close-position' | 'flatten' | 'none';

/** A decision as a rule returns it. The engine adds the rule, instance, mode and timing. */
export interface RuleDecision {
  readonly action: DecisionAction;
  /** Defaults to the evaluated account; set it to act on another protected account. */
  readonly accountId?: AccountId;
  /** Target contract of `cancel-orders`, `reduce-position` and `close-position`. */
  readonly contractId?: ContractId;
  /** `reduce-position`: the size the position must be reduced to (>= 0). */
  readonly reduceTo?: number;
  /** `cancel-orders`: the orders to cancel; when absent, every working entry order of the target. */
  readonly orderIds?: readonly OrderId[];
  /** A lockout to start with this decision. */
  readonly lockout?: { readonly scope: LockoutScope; readonly end: LockoutEndSpec };
  /** Machine code listed in the rule's README, e.g. `DAILY_LOSS_LIMIT`. */
  readonly code: string;
  /** Human reason with the numbers: "combined P&L -512.50 breached daily loss limit 500.00". */
  readonly reason: string;
  /** Alert severity; the engine defaults it (critical for flatten, warning for alerts, info otherwise). */
  readonly severity?: AlertSeverity;
  /** Numbers behind the reason, for the audit trail. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A rule decision after the engine stamped it. */
export interface Decision extends RuleDecision {
  readonly accountId: AccountId;
  readonly ruleId: string;
  readonly instanceId: string;
  readonly mode: RuleMode;
  readonly severity: AlertSeverity;
  readonly decidedAt: Instant;
}

/** A rule instance's own persisted key/value state (counters, flags, peaks). Values must be JSON. */
export interface RuleInstanceState {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/** A rule instance's persisted timers. A timer that comes due arrives as a `timer` event. */
export interface RuleTimers {
  /** Sets (or moves) the timer `key` to fire at `at` with `payload`. */
  set(key: string, at: Instant, payload?: unknown): void;
  cancel(key: string): void;
  get(key: string): { readonly at: Instant; readonly payload: unknown } | undefined;
}

export interface RuleInstanceInfo {
  readonly accountId: AccountId;
  readonly ruleId: string;
  /** The instance key from the config (defaults to the rule id). */
  readonly instanceId: string;
  readonly mode: RuleMode;
  /** Fraction of the limit at which to warn once per trading day (e.g. 0.8), when configured. */
  readonly warnAt: number | undefined;
}

/** Everything an evaluator may read, plus its own state and timers. Rules never call the broker. */
export interface RuleContext {
  readonly now: Instant;
  readonly instance: RuleInstanceInfo;
  readonly account: AccountView;
  readonly accounts: AccountsView;
  readonly calendar: MarketCalendarView;
  readonly state: RuleInstanceState;
  readonly timers: RuleTimers;
  /** Whether fees count in realized P&L (`includeFees`, default true). */
  readonly includeFees: boolean;
  /**
   * A warning decision (action `alert`, severity warning) the first time it is asked for in the
   * current trading day for this instance and `code`; undefined after that.
   */
  warnOnce(code: string, reason: string, data?: Readonly<Record<string, unknown>>): RuleDecision | undefined;
}

/** A configured rule instance's evaluator. It must be deterministic given the event and context. */
export interface RuleEvaluator {
  evaluate(event: EngineEvent, ctx: RuleContext): readonly RuleDecision[];
  /**
   * Optional. For a lockout this instance set whose end is a condition that only a config change
   * can clear (`symbol-unblocked`): whether the condition still holds under this instance's
   * options. Asked after a config change is applied (with the new instance); a lockout whose
   * instance is gone, or answers false, is lifted. Absent: the lockout holds while the instance exists.
   */
  conditionHolds?(lockout: Lockout): boolean;
}

/** Result of comparing two option sets of one rule, for the rule-change discipline. */
export type Strictness = 'tighter' | 'looser' | 'same';

/** A rule: what the rule pack exports for each rule id. */
export interface RuleDefinition<O = Record<string, unknown>> {
  /** Kebab-case id used in config, e.g. `daily-loss-limit`. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** JSON Schema of the options, with a default and a description for every option. */
  readonly optionsSchema: Readonly<Record<string, unknown>>;
  /** Event kinds the evaluator wants; the engine routes only these to it. */
  readonly events: readonly EngineEventKind[];
  /** Builds an evaluator from validated options (defaults applied, frozen). */
  create(options: O): RuleEvaluator;
  /**
   * Whether `next` protects more (tighter), less (looser) or the same as `previous`. When absent,
   * any change counts as looser (it waits for the next reset unless forced).
   */
  compare?(previous: O, next: O): Strictness;
}

/** A preset (e.g. `topstep-50k`): rule entries placed under an account's own rules. */
export interface PresetDefinition {
  readonly id: string;
  readonly description: string;
  readonly rules: readonly RuleEntryConfig[];
}

/** A rule pack: a named, versioned set of rules (and presets). */
export interface RulePack {
  readonly name: string;
  readonly version: string;
  /** The rule API major it was written for; must equal {@link RULE_API_VERSION}. */
  readonly apiVersion: number;
  readonly rules: readonly RuleDefinition<never>[];
  readonly presets?: readonly PresetDefinition[];
}

/** One entry of `rules` or `accounts[].rules` (RULES.md section 2). */
export interface RuleEntryConfig {
  readonly rule: string;
  /** Instance key; defaults to the rule id. */
  readonly id?: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly mode?: RuleMode;
  readonly enabled?: boolean;
  /** Fraction of the limit (0 < warnAt < 1) at which to warn once per trading day. */
  readonly warnAt?: number;
}

/** One entry of `accounts`. */
export interface AccountConfig {
  readonly id?: AccountId;
  readonly name?: string;
  readonly enabled?: boolean;
  readonly preset?: string;
  readonly rules?: readonly RuleEntryConfig[];
}

/** Helper for pack authors: gives a definition its option type while exporting it untyped. */
export function defineRule<O>(definition: RuleDefinition<O>): RuleDefinition<O> {
  return definition;
}
