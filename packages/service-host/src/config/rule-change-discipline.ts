import {
  normalizeAccountName,
  type AccountConfig,
  type AccountId,
  type Clock,
  type Holiday,
  type Instant,
  type Lockout,
  lockoutHolds,
  lockoutOfHold,
  type ResolvedRuleSet,
  type RuleEntryConfig,
  type RuleMode,
  type RuleRegistry,
  type RulesConfig,
  type Strictness,
  type TradingDayConfig,
  type ValidatedAccountConfig,
  type ValidatedRuleEntry,
  type ValidatedRulesConfig,
} from '@riskd/core-engine';
import { ConfigError, type ConfigProblem } from './config-errors.js';
import type { ConfigSection, RiskdConfig } from './config-schema.js';
import { deepFreeze, isRecord, jsonEqual } from './config-util.js';

/**
 * The rule-change discipline of RULES.md section 2, like TopstepX's personal limits: a change that
 * tightens protection applies at once; a change that loosens it waits for the next trading-day
 * reset, unless the admin forces it with a reason (audited and alerted by the daemon).
 *
 * The unit of comparison is one rule instance (instance key) of one account, as the account
 * resolves it (universal entries, then its preset's, then its own). Subjects are: the universal
 * rules (what unlisted accounts get), every broker account the daemon knows that a config lists,
 * and every `accounts[]` entry of either version (by id, else by name). Per subject and instance:
 *
 * | change | effect |
 * |---|---|
 * | instance added, or `enabled: false` -> true | tighter: now |
 * | instance removed, or switched off | looser: at the reset |
 * | same key, another rule | looser (the old instance stays until the reset) |
 * | mode `dry-run` < `alert-only` < `enforce` | towards `enforce` tighter, away looser |
 * | options | the rule's `compare()`; without one, any change is looser |
 * | `warnAt` | neutral (a warning protects nothing): now |
 * | account `enabled` true -> false / false -> true | looser / tighter |
 * | preset change | compared by its expanded entries, like any other entries |
 *
 * A change with a tighter part and a looser part is split: mode and options are separate parts,
 * so a mode made stricter applies now while looser options wait. One rule's options are one part
 * (options interact: a limit and its basis), so options that are tighter in one key and looser in
 * another count as looser as a whole and wait.
 *
 * Other sections: `tradingDay` changes apply at the next reset (a calendar that moves the reset
 * cannot change the day in progress), except holidays added on new dates, which only remove
 * trading time and apply at once; edits of a row's `note`/`status` are neutral. `includeFees`
 * true -> false is looser (reset), false -> true tighter (now). `broker`, `api`, `storage` and
 * `rulePacks` apply on restart; `logging` and `notifications` at once.
 *
 * Lockouts are not touched: a lockout in force is never lifted by a config change, except one
 * whose stated end is a config condition: `symbol-unblocked` ({@link lockoutsLiftedByConfig},
 * asked after a new rule set is in force) and `config-valid` (the config fail-safe, lifted when a
 * valid file loads).
 */

/** A broker account the daemon knows, so a config entry naming it by id or by name matches it. */
export interface KnownAccount {
  readonly id: AccountId;
  readonly name?: string | undefined;
}

/** Whose protection a change is about. */
export type ChangeSubject =
  | { readonly kind: 'universal' }
  | { readonly kind: 'account'; readonly id: AccountId; readonly name?: string }
  | { readonly kind: 'account-name'; readonly name: string };

/** How a change affects protection. `neutral` changes apply at once or on restart, never wait. */
export type ProtectionEffect = 'tighter' | 'looser' | 'neutral';

/** A rule instance of one subject changed. */
export interface RuleChange {
  readonly type: 'rule';
  readonly subject: ChangeSubject;
  /** `universal rules`, `account 70001 (PRAC-V2-…)`, `account "PRAC-V2-…"`. */
  readonly subjectLabel: string;
  readonly instanceId: string;
  readonly ruleId: string;
  readonly aspect: 'added' | 'removed' | 'replaced' | 'mode' | 'options' | 'warnAt';
  readonly effect: ProtectionEffect;
  readonly why: string;
}

/** An account's protection as a whole switched (`accounts[].enabled`). */
export interface AccountChange {
  readonly type: 'account';
  readonly subject: ChangeSubject;
  readonly subjectLabel: string;
  readonly aspect: 'protected' | 'unprotected';
  readonly effect: ProtectionEffect;
  readonly why: string;
}

/** A section other than the rules changed. */
export interface SectionChange {
  readonly type: 'section';
  readonly section: Exclude<ConfigSection, 'rules' | 'accounts'>;
  readonly effect: ProtectionEffect;
  /** When it takes effect (before any force). */
  readonly appliesAt: 'now' | 'reset' | 'restart';
  readonly why: string;
}

export type ProtectionChange = RuleChange | AccountChange | SectionChange;

/** A loosening that waits for the next trading-day reset. */
export type PendingChange = ProtectionChange & {
  /** When it was first seen waiting (kept across re-plans of the same change). */
  readonly since: Instant;
};

/** The admin's reason to apply loosenings now; audited and alerted by the daemon. */
export interface ForceOptions {
  readonly reason: string;
  readonly actor: string;
}

/** Loosenings applied at once by force: what the daemon audits and alerts. */
export interface ForcedChanges {
  readonly reason: string;
  readonly actor: string;
  readonly at: Instant;
  readonly changes: readonly ProtectionChange[];
}

/**
 * The pending state the daemon persists so a restart cannot skip the wait: the sections held in
 * force and the loosenings waiting. Pure JSON; {@link parsePendingChanges} reads it back.
 */
export interface PendingChanges {
  readonly version: 1;
  /** When this state was planned. If a trading-day reset has passed since (daemon down), apply it. */
  readonly recordedAt: Instant;
  /** Hash of the file version the loosenings come from, when known. */
  readonly targetHash?: string;
  /** The held sections: what is in force instead of the file's. */
  readonly inForce: {
    readonly rules: readonly RuleEntryConfig[];
    readonly accounts: readonly AccountConfig[];
    readonly tradingDay: TradingDayConfig;
    readonly includeFees: boolean;
  };
  readonly changes: readonly PendingChange[];
}

/** Options of {@link planConfigChange}. */
export interface PlanOptions {
  /** Now (from the Clock). */
  readonly at: Instant;
  /** Apply the loosenings now too; requires a reason. */
  readonly force?: ForceOptions | undefined;
  /** The broker's accounts, so entries by id and by name match the same account. */
  readonly accounts?: readonly KnownAccount[];
  /** The loosenings waiting so far, so a change keeps its `since`. */
  readonly previousPending?: readonly PendingChange[];
  /** Hash of the file version `next` came from. */
  readonly targetHash?: string;
}

/** What to do with a new config. */
export interface ConfigChangePlan {
  /** The config in force from now on: the file's, with the waiting loosenings held back. */
  readonly effective: RiskdConfig;
  /** `effective`'s rules: give them to `resolveRuleSet` and `RiskdEngine.configure`. */
  readonly applyNow: RulesConfig;
  /** The file's config, in force entirely after the next reset. */
  readonly target: RiskdConfig;
  readonly tightened: readonly ProtectionChange[];
  /** Every loosening against what was in force (waiting, or applied now when forced). */
  readonly loosened: readonly ProtectionChange[];
  readonly neutral: readonly ProtectionChange[];
  /** Loosenings waiting for the next reset (empty when forced). */
  readonly pending: readonly PendingChange[];
  /** Changes that take effect on restart (`broker`, `api`, `storage`, `rulePacks`). */
  readonly restartRequired: readonly SectionChange[];
  /** Set when forced and something loosened: audit and alert these. */
  readonly forced: ForcedChanges | undefined;
  /** What to persist (undefined: nothing waits, delete the persisted state). */
  readonly pendingState: PendingChanges | undefined;
  /** Whether the rules in force changed in substance (reconfigure the engine). */
  readonly rulesChanged: boolean;
  /** Whether the market calendar in force changed. */
  readonly calendarChanged: boolean;
  /** Whether `includeFees` in force changed. */
  readonly includeFeesChanged: boolean;
}

const MODE_RANK: Readonly<Record<RuleMode, number>> = { 'dry-run': 0, 'alert-only': 1, enforce: 2 };

interface SubjectState {
  readonly protected: boolean;
  readonly entries: ReadonlyMap<string, ValidatedRuleEntry>;
}

interface Subject {
  readonly key: string;
  readonly subject: ChangeSubject;
  readonly label: string;
  readonly emit: { readonly id?: AccountId; readonly name?: string };
  readonly previous: ValidatedAccountConfig | undefined;
  readonly next: ValidatedAccountConfig | undefined;
}

interface SubjectOutcome {
  readonly subject: Subject | undefined;
  readonly protected: boolean;
  readonly entries: Map<string, ValidatedRuleEntry>;
  readonly matchesNext: boolean;
}

/**
 * Plans a config change under the discipline (see the module comment): which changes tighten
 * (apply now), which loosen (wait for the next reset, unless forced), and the config to put in
 * force now. `previous` is the config in force (possibly itself holding loosenings back), `next`
 * the file's new version; both must be valid against `registry`.
 */
export function planConfigChange(
  previous: RiskdConfig,
  next: RiskdConfig,
  registry: RuleRegistry,
  options: PlanOptions,
): ConfigChangePlan {
  const force = options.force;
  if (force !== undefined && (force.reason.trim() === '' || force.actor.trim() === '')) {
    throw new ConfigError(
      'CONFIG_FORCE_REASON_REQUIRED',
      'forcing a loosening now needs a reason and an actor (it is audited and alerted)',
    );
  }
  const previousRules = registry.validateConfig({ rules: previous.rules, accounts: previous.accounts });
  const nextRules = registry.validateConfig({ rules: next.rules, accounts: next.accounts });

  const tightened: ProtectionChange[] = [];
  const loosened: ProtectionChange[] = [];
  const neutral: ProtectionChange[] = [];
  const record = (change: ProtectionChange): void => {
    (change.effect === 'tighter' ? tightened : change.effect === 'looser' ? loosened : neutral).push(change);
  };

  const forced = force !== undefined;
  const universal = compareSubject(
    registry,
    undefined,
    resolveSubject(registry, previousRules, undefined),
    resolveSubject(registry, nextRules, undefined),
    forced,
    record,
  );
  const accountOutcomes = subjectsOf(previousRules, nextRules, options.accounts ?? []).map((subject) =>
    compareSubject(
      registry,
      subject,
      resolveSubject(registry, previousRules, subject.previous),
      resolveSubject(registry, nextRules, subject.next),
      forced,
      record,
    ),
  );
  const rulesHeld = !universal.matchesNext || accountOutcomes.some((o) => !o.matchesNext);
  const applyNow: RulesConfig = rulesHeld
    ? synthesizeRules(universal, accountOutcomes)
    : { rules: next.rules, accounts: next.accounts };

  // Sections other than the rules.
  let tradingDay = next.tradingDay;
  const calendar = compareTradingDay(previous.tradingDay, next.tradingDay);
  if (calendar) {
    const held = calendar.effect === 'looser' && !forced;
    if (held) tradingDay = previous.tradingDay;
    record(
      section('tradingDay', calendar.effect, calendar.effect === 'looser' ? 'reset' : 'now', calendar.why),
    );
  }
  let includeFees = next.includeFees;
  if (previous.includeFees !== next.includeFees) {
    const effect: ProtectionEffect = next.includeFees ? 'tighter' : 'looser';
    if (effect === 'looser' && !forced) includeFees = previous.includeFees;
    record(
      section(
        'includeFees',
        effect,
        effect === 'looser' ? 'reset' : 'now',
        `includeFees ${String(previous.includeFees)} -> ${String(next.includeFees)}`,
      ),
    );
  }
  const restartRequired: SectionChange[] = [];
  for (const name of ['broker', 'api', 'storage', 'rulePacks'] as const) {
    const keys = changedKeys(previous[name], next[name]);
    if (keys === undefined) continue;
    const change = section(name, 'neutral', 'restart', `${name} changed (${keys}); takes effect on restart`);
    restartRequired.push(change);
    record(change);
  }
  for (const name of ['logging', 'notifications'] as const) {
    const keys = changedKeys(previous[name], next[name]);
    if (keys !== undefined) record(section(name, 'neutral', 'now', `${name} changed (${keys})`));
  }

  const effective: RiskdConfig = deepFreeze({
    ...next,
    rules: applyNow.rules ?? [],
    accounts: applyNow.accounts ?? [],
    tradingDay,
    includeFees,
  });
  const since = new Map((options.previousPending ?? []).map((p) => [changeKey(p), p.since]));
  const pending: PendingChange[] = forced
    ? []
    : loosened.map((change) => ({ ...change, since: since.get(changeKey(change)) ?? options.at }));
  const pendingState: PendingChanges | undefined =
    pending.length === 0
      ? undefined
      : deepFreeze({
          version: 1,
          recordedAt: options.at,
          ...(options.targetHash === undefined ? {} : { targetHash: options.targetHash }),
          inForce: {
            rules: effective.rules,
            accounts: effective.accounts,
            tradingDay: effective.tradingDay,
            includeFees: effective.includeFees,
          },
          changes: pending,
        });
  return deepFreeze({
    effective,
    applyNow: { rules: effective.rules, accounts: effective.accounts },
    target: next,
    tightened,
    loosened,
    neutral,
    pending,
    restartRequired,
    forced:
      force !== undefined && loosened.length > 0
        ? { reason: force.reason, actor: force.actor, at: options.at, changes: loosened }
        : undefined,
    pendingState,
    // Held changes keep what was in force, so the rules in force changed exactly when a rule or
    // account change was applied (the synthesized config may differ from the previous one in form only).
    rulesChanged: [...tightened, ...neutral, ...(forced ? loosened : [])].some((c) => c.type !== 'section'),
    calendarChanged: !jsonEqual(previous.tradingDay, effective.tradingDay),
    includeFeesChanged: previous.includeFees !== effective.includeFees,
  });
}

/** What {@link RuleChangeDiscipline.applyPendingAtReset} did. */
export interface ResetApplication {
  /** The config in force from this reset on (the file's, whole). */
  readonly effective: RiskdConfig;
  readonly applyNow: RulesConfig;
  /** The loosenings that took effect. */
  readonly applied: readonly PendingChange[];
  readonly rulesChanged: boolean;
  readonly calendarChanged: boolean;
  readonly includeFeesChanged: boolean;
}

/** Options of {@link RuleChangeDiscipline}. */
export interface RuleChangeDisciplineOptions {
  readonly registry: RuleRegistry;
  readonly clock: Clock;
  /** The file's config at start. */
  readonly config: RiskdConfig;
  /** Its hash (`LoadedConfig.hash`). */
  readonly hash?: string;
  /** The pending state persisted before a restart, if any. */
  readonly persisted?: PendingChanges | undefined;
  /** The broker's accounts, asked at every plan. */
  readonly accounts?: () => readonly KnownAccount[];
}

/**
 * The discipline with its state: the config in force, the file's config (the target) and the
 * loosenings waiting between them. The daemon proposes every new valid file version (hot reload,
 * admin API writes), applies `plan.applyNow`, persists `pendingState` through its storage (so a
 * restart cannot skip the wait), and calls {@link applyPendingAtReset} at every trading-day reset
 * (including resets caught up on start).
 */
export class RuleChangeDiscipline {
  private readonly registry: RuleRegistry;
  private readonly clock: Clock;
  private readonly accounts: () => readonly KnownAccount[];
  private inForceConfig: RiskdConfig;
  private targetConfig: RiskdConfig;
  private state: PendingChanges | undefined;
  /** The plan made at start: the persisted state re-planned against the file as it is now. */
  readonly startPlan: ConfigChangePlan;
  /**
   * Why the persisted state could not be restored (e.g. it names rules of a pack no longer
   * loaded); empty when it was restored or there was none. The daemon alerts on these.
   */
  readonly restoreProblems: readonly ConfigProblem[];

  constructor(options: RuleChangeDisciplineOptions) {
    this.registry = options.registry;
    this.clock = options.clock;
    this.accounts = options.accounts ?? (() => []);
    this.targetConfig = options.config;
    this.inForceConfig = options.config;
    const problems: ConfigProblem[] = [];
    let previousPending: readonly PendingChange[] = [];
    if (options.persisted) {
      const held: RiskdConfig = deepFreeze({
        ...options.config,
        ...structuredClone(options.persisted.inForce),
      });
      try {
        this.registry.validateConfig({ rules: held.rules, accounts: held.accounts });
        this.inForceConfig = held;
        previousPending = options.persisted.changes;
      } catch (err) {
        problems.push({
          path: '',
          message: `the pending rule changes persisted before the restart cannot be restored, the file's config applies whole: ${(err as Error).message}`,
        });
      }
    }
    this.restoreProblems = Object.freeze(problems);
    this.startPlan = planConfigChange(this.inForceConfig, options.config, this.registry, {
      at: this.clock.now(),
      accounts: this.accounts(),
      previousPending,
      ...(options.hash === undefined ? {} : { targetHash: options.hash }),
    });
    this.commit(this.startPlan);
  }

  /** The config in force. */
  get inForce(): RiskdConfig {
    return this.inForceConfig;
  }

  /** The file's config (in force entirely after the next reset). */
  get target(): RiskdConfig {
    return this.targetConfig;
  }

  /** The state to persist, or undefined when nothing waits. */
  get pendingState(): PendingChanges | undefined {
    return this.state;
  }

  /** The loosenings waiting for the next reset. */
  get pending(): readonly PendingChange[] {
    return this.state?.changes ?? [];
  }

  /** Plans a new file version against the config in force and makes the plan's `effective` the config in force. */
  propose(next: RiskdConfig, options: { force?: ForceOptions; hash?: string } = {}): ConfigChangePlan {
    const plan = planConfigChange(this.inForceConfig, next, this.registry, {
      at: this.clock.now(),
      accounts: this.accounts(),
      previousPending: this.pending,
      ...(options.force === undefined ? {} : { force: options.force }),
      ...(options.hash === undefined ? {} : { targetHash: options.hash }),
    });
    this.commit(plan);
    return plan;
  }

  /**
   * Applies every waiting loosening (the trading-day reset has come): the file's config is in
   * force entirely from now on. Call at every reset, including resets caught up on start.
   */
  applyPendingAtReset(): ResetApplication {
    const previous = this.inForceConfig;
    const applied = this.pending;
    this.inForceConfig = this.targetConfig;
    this.state = undefined;
    const effective = this.targetConfig;
    return deepFreeze({
      effective,
      applyNow: { rules: effective.rules, accounts: effective.accounts },
      applied,
      rulesChanged: applied.some((c) => c.type !== 'section'),
      calendarChanged: !jsonEqual(previous.tradingDay, effective.tradingDay),
      includeFeesChanged: previous.includeFees !== effective.includeFees,
    });
  }

  private commit(plan: ConfigChangePlan): void {
    this.inForceConfig = plan.effective;
    this.targetConfig = plan.target;
    this.state = plan.pendingState;
  }
}

/**
 * The lockouts a new rule set in force releases: those with a hold whose stated end is
 * `symbol-unblocked` and whose rule instance is gone from the account, or whose instance says the
 * condition no longer holds (`RuleEvaluator.conditionHolds`, asked with that hold as a lockout).
 * Only that hold is to end (release with `cleared: 'symbol-unblocked'`): another hold on the
 * symbol (e.g. a session lockout until an instant) keeps it locked. Every other lockout stays,
 * whatever the config says. Ask it after installing a rule set (a tightening now, the loosenings
 * at the reset or forced).
 */
export function lockoutsLiftedByConfig(
  lockouts: Iterable<Lockout>,
  ruleSet: ResolvedRuleSet,
  nameOf: (accountId: AccountId) => string | undefined = () => undefined,
): Lockout[] {
  const lifted: Lockout[] = [];
  for (const lockout of lockouts) {
    const hold = lockoutHolds(lockout).find(
      (h) => h.end.kind === 'condition' && h.end.condition === 'symbol-unblocked',
    );
    if (!hold) continue;
    const rules = ruleSet.forAccount(lockout.accountId, nameOf(lockout.accountId));
    const instance = rules.protected ? rules.instance(hold.instanceId) : undefined;
    if (!instance || instance.ruleId !== hold.ruleId) {
      lifted.push(lockout);
      continue;
    }
    const holds = instance.evaluator.conditionHolds;
    if (holds !== undefined && !holds.call(instance.evaluator, lockoutOfHold(lockout, hold)))
      lifted.push(lockout);
  }
  return lifted;
}

/** The persisted state as JSON text. */
export function serializePendingChanges(state: PendingChanges): string {
  return JSON.stringify(state);
}

/**
 * Reads persisted pending changes back (JSON text or an already parsed value). Throws a
 * `PENDING_CHANGES_INVALID` {@link ConfigError} when it is not a state this version wrote.
 */
export function parsePendingChanges(value: unknown): PendingChanges {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new ConfigError('PENDING_CHANGES_INVALID', 'persisted pending changes are not JSON', {
        cause: err,
      });
    }
  }
  const problems: string[] = [];
  if (!isRecord(parsed)) {
    problems.push('not an object');
  } else {
    if (parsed['version'] !== 1) problems.push(`unknown version ${JSON.stringify(parsed['version'])}`);
    if (typeof parsed['recordedAt'] !== 'number' || !Number.isFinite(parsed['recordedAt']))
      problems.push('recordedAt must be an instant');
    const inForce = parsed['inForce'];
    if (!isRecord(inForce)) {
      problems.push('inForce must be an object');
    } else {
      if (!Array.isArray(inForce['rules'])) problems.push('inForce.rules must be an array');
      if (!Array.isArray(inForce['accounts'])) problems.push('inForce.accounts must be an array');
      if (!isRecord(inForce['tradingDay'])) problems.push('inForce.tradingDay must be an object');
      if (typeof inForce['includeFees'] !== 'boolean') problems.push('inForce.includeFees must be a boolean');
    }
    const changes = parsed['changes'];
    if (!Array.isArray(changes)) problems.push('changes must be an array');
    else if (
      changes.some((c) => !isRecord(c) || typeof c['type'] !== 'string' || typeof c['since'] !== 'number')
    )
      problems.push('changes must be change records');
  }
  if (problems.length > 0) {
    throw new ConfigError(
      'PENDING_CHANGES_INVALID',
      `persisted pending changes are invalid: ${problems.join('; ')}`,
    );
  }
  return deepFreeze(parsed as unknown as PendingChanges);
}

// ---------------------------------------------------------------------------------------------

function section(
  name: SectionChange['section'],
  effect: ProtectionEffect,
  appliesAt: SectionChange['appliesAt'],
  why: string,
): SectionChange {
  return { type: 'section', section: name, effect, appliesAt, why };
}

/** A stable identity of a change, so a re-planned waiting change keeps its `since`. */
function changeKey(change: ProtectionChange): string {
  switch (change.type) {
    case 'section':
      return `section:${change.section}`;
    case 'account':
      return `account:${subjectKey(change.subject)}:${change.aspect}`;
    case 'rule':
      return `rule:${subjectKey(change.subject)}:${change.instanceId}:${change.aspect}`;
  }
}

function subjectKey(subject: ChangeSubject): string {
  switch (subject.kind) {
    case 'universal':
      return '*';
    case 'account':
      return `id:${subject.id}`;
    case 'account-name':
      return `name:${normalizeAccountName(subject.name)}`;
  }
}

/** The `accounts[]` entry an account matches: by id first, else by name (as `ResolvedRuleSet` does). */
function matchAccount(
  rules: ValidatedRulesConfig,
  id: AccountId | undefined,
  name: string | undefined,
): ValidatedAccountConfig | undefined {
  if (id !== undefined) {
    const byId = rules.accounts.find((a) => a.id === id);
    if (byId) return byId;
  }
  if (name === undefined) return undefined;
  const key = normalizeAccountName(name);
  return rules.accounts.find((a) => a.name !== undefined && normalizeAccountName(a.name) === key);
}

/**
 * The subjects besides the universal rules: known broker accounts that either version lists, then
 * `accounts[]` entries that match no known account (by id, else by name).
 */
function subjectsOf(
  previous: ValidatedRulesConfig,
  next: ValidatedRulesConfig,
  known: readonly KnownAccount[],
): Subject[] {
  const subjects = new Map<string, Subject>();
  const matched = new Set<ValidatedAccountConfig>();
  for (const account of known) {
    const before = matchAccount(previous, account.id, account.name);
    const after = matchAccount(next, account.id, account.name);
    if (!before && !after) continue;
    if (before) matched.add(before);
    if (after) matched.add(after);
    const key = `id:${account.id}`;
    if (subjects.has(key)) continue;
    subjects.set(key, {
      key,
      subject: {
        kind: 'account',
        id: account.id,
        ...(account.name === undefined ? {} : { name: account.name }),
      },
      label: account.name === undefined ? `account ${account.id}` : `account ${account.id} (${account.name})`,
      emit: { id: account.id },
      previous: before,
      next: after,
    });
  }
  for (const entry of [...previous.accounts, ...next.accounts]) {
    if (matched.has(entry)) continue;
    const key = entry.id !== undefined ? `id:${entry.id}` : `name:${normalizeAccountName(entry.name ?? '')}`;
    if (subjects.has(key)) continue;
    const before = matchAccount(previous, entry.id, entry.name);
    const after = matchAccount(next, entry.id, entry.name);
    subjects.set(key, {
      key,
      subject:
        entry.id !== undefined
          ? { kind: 'account', id: entry.id, ...(entry.name === undefined ? {} : { name: entry.name }) }
          : { kind: 'account-name', name: entry.name ?? '' },
      label: entry.id !== undefined ? `account ${entry.id}` : `account ${JSON.stringify(entry.name)}`,
      emit: entry.id !== undefined ? { id: entry.id } : { name: entry.name ?? '' },
      previous: before,
      next: after,
    });
  }
  return [...subjects.values()];
}

/** An account's resolution: universal entries, then its preset's, then its own (same key replaces). */
function resolveSubject(
  registry: RuleRegistry,
  rules: ValidatedRulesConfig,
  account: ValidatedAccountConfig | undefined,
): SubjectState {
  const entries = new Map<string, ValidatedRuleEntry>();
  for (const entry of rules.rules) entries.set(entry.instanceId, entry);
  if (account?.preset !== undefined) {
    for (const entry of registry.presetEntries(account.preset) ?? []) entries.set(entry.instanceId, entry);
  }
  for (const entry of account?.rules ?? []) entries.set(entry.instanceId, entry);
  return { protected: account?.enabled ?? true, entries };
}

function subjectLabelOf(subject: Subject | undefined): string {
  return subject?.label ?? 'universal rules';
}

function compareSubject(
  registry: RuleRegistry,
  subject: Subject | undefined,
  previous: SubjectState,
  next: SubjectState,
  forced: boolean,
  record: (change: ProtectionChange) => void,
): SubjectOutcome {
  const who: ChangeSubject = subject?.subject ?? { kind: 'universal' };
  const label = subjectLabelOf(subject);
  const nextOutcome: SubjectOutcome = {
    subject,
    protected: next.protected,
    entries: new Map(next.entries),
    matchesNext: true,
  };
  if (!previous.protected && !next.protected) return nextOutcome;
  if (!previous.protected && next.protected) {
    record({
      type: 'account',
      subject: who,
      subjectLabel: label,
      aspect: 'protected',
      effect: 'tighter',
      why: `${label}: protection switched on (enabled: true)`,
    });
    return nextOutcome;
  }
  if (!next.protected) {
    record({
      type: 'account',
      subject: who,
      subjectLabel: label,
      aspect: 'unprotected',
      effect: 'looser',
      why: `${label}: protection switched off (enabled: false)`,
    });
    if (forced) return nextOutcome;
    // Held: the account stays protected until the reset; its instances are compared below so the
    // tightenings among them still apply now.
  }

  const chosen = new Map<string, ValidatedRuleEntry>();
  let matchesNext = next.protected;
  const keys = [...new Set([...previous.entries.keys(), ...next.entries.keys()])];
  for (const key of keys) {
    const before = previous.entries.get(key);
    const after = next.entries.get(key);
    const was = before !== undefined && before.enabled;
    const is = after !== undefined && after.enabled;
    const change = (
      aspect: RuleChange['aspect'],
      effect: ProtectionEffect,
      ruleId: string,
      why: string,
    ): void =>
      record({
        type: 'rule',
        subject: who,
        subjectLabel: label,
        instanceId: key,
        ruleId,
        aspect,
        effect,
        why: `${label}: ${ruleId}${key === ruleId ? '' : ` "${key}"`} ${why}`,
      });
    const hold = (entry: ValidatedRuleEntry): void => {
      chosen.set(key, entry);
      matchesNext = false;
    };
    if (!was && !is) {
      const keep = after ?? before;
      if (keep) chosen.set(key, keep);
      continue;
    }
    if (!was && after && is) {
      change('added', 'tighter', after.ruleId, before ? 'switched on' : 'added');
      chosen.set(key, after);
      continue;
    }
    if (was && before && !is) {
      change('removed', 'looser', before.ruleId, after ? 'switched off (enabled: false)' : 'removed');
      if (forced) {
        if (after) chosen.set(key, after);
      } else {
        hold(before);
      }
      continue;
    }
    if (!before || !after) continue;
    if (before.ruleId !== after.ruleId) {
      change(
        'replaced',
        'looser',
        before.ruleId,
        `replaced by rule ${after.ruleId} under the same instance key`,
      );
      if (forced) chosen.set(key, after);
      else hold(before);
      continue;
    }
    const modeEffect = compareMode(before.mode, after.mode);
    if (modeEffect !== 'same')
      change('mode', modeEffect, after.ruleId, `mode ${before.mode} -> ${after.mode}`);
    let optionsEffect: Strictness = 'same';
    if (!jsonEqual(before.options, after.options)) {
      optionsEffect = compareOptions(registry, after.ruleId, before.options, after.options);
      // `same` from compare() for different options: nothing protects less, so it applies now.
      change(
        'options',
        optionsEffect === 'same' ? 'neutral' : optionsEffect,
        after.ruleId,
        `options ${optionsEffect === 'same' ? 'changed' : optionsEffect}: ${describeOptionsChange(before.options, after.options)}`,
      );
    }
    if (before.warnAt !== after.warnAt) {
      change(
        'warnAt',
        'neutral',
        after.ruleId,
        `warnAt ${String(before.warnAt ?? 'none')} -> ${String(after.warnAt ?? 'none')}`,
      );
    }
    if (forced || (modeEffect !== 'looser' && optionsEffect !== 'looser')) {
      chosen.set(key, after);
      continue;
    }
    // Split: the tighter (or neutral) parts apply now, the looser parts wait.
    hold(
      Object.freeze({
        ...after,
        mode: modeEffect === 'looser' ? before.mode : after.mode,
        options: optionsEffect === 'looser' ? before.options : after.options,
      }),
    );
  }
  return { subject, protected: true, entries: chosen, matchesNext };
}

function compareMode(previous: RuleMode, next: RuleMode): Strictness {
  if (previous === next) return 'same';
  return MODE_RANK[next] > MODE_RANK[previous] ? 'tighter' : 'looser';
}

/** The rule's own comparison; without one (or if it fails) any change counts as looser. */
function compareOptions(
  registry: RuleRegistry,
  ruleId: string,
  previous: Readonly<Record<string, unknown>>,
  next: Readonly<Record<string, unknown>>,
): Strictness {
  const compare = registry.rule(ruleId)?.compare;
  if (!compare) return 'looser';
  try {
    const verdict = compare(previous as never, next as never);
    return verdict === 'tighter' || verdict === 'same' ? verdict : 'looser';
  } catch {
    return 'looser';
  }
}

/** `limit 500 -> 750, basis "combined" -> "realized"` (top-level options that differ). */
function describeOptionsChange(
  previous: Readonly<Record<string, unknown>>,
  next: Readonly<Record<string, unknown>>,
): string {
  const keys = [...new Set([...Object.keys(previous), ...Object.keys(next)])].filter(
    (k) => !jsonEqual(previous[k], next[k]),
  );
  return keys.map((k) => `${k} ${short(previous[k])} -> ${short(next[k])}`).join(', ');
}

function short(value: unknown): string {
  if (value === undefined) return 'unset';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The held rules as a config `resolveRuleSet` accepts: every listed subject spelled out whole. */
function synthesizeRules(universal: SubjectOutcome, accounts: readonly SubjectOutcome[]): RulesConfig {
  const universalEnabled = [...universal.entries.values()].filter((e) => e.enabled);
  const accountEntries: AccountConfig[] = accounts.map((outcome) => {
    const emit = outcome.subject?.emit ?? {};
    if (!outcome.protected) return { ...emit, enabled: false };
    const own = [...outcome.entries.values()].filter((e) => e.enabled);
    const ownKeys = new Set(own.map((e) => e.instanceId));
    // A universal instance this account does not have in force must be switched off explicitly.
    const off: RuleEntryConfig[] = universalEnabled
      .filter((e) => !ownKeys.has(e.instanceId))
      .map((e) => ({ rule: e.ruleId, id: e.instanceId, enabled: false }));
    return { ...emit, enabled: true, rules: [...own.map(toEntryConfig), ...off] };
  });
  return { rules: universalEnabled.map(toEntryConfig), accounts: accountEntries };
}

function toEntryConfig(entry: ValidatedRuleEntry): RuleEntryConfig {
  return {
    rule: entry.ruleId,
    id: entry.instanceId,
    options: structuredClone(entry.options) as Record<string, unknown>,
    mode: entry.mode,
    ...(entry.warnAt === undefined ? {} : { warnAt: entry.warnAt }),
  };
}

/** Keys of two sections that differ (`apiKey, apiUrl`), or undefined when equal. Values are not shown (secrets). */
function changedKeys(previous: unknown, next: unknown): string | undefined {
  if (jsonEqual(previous, next)) return undefined;
  if (!isRecord(previous) || !isRecord(next)) return 'value';
  const keys = [...new Set([...Object.keys(previous), ...Object.keys(next)])].filter(
    (k) => !jsonEqual(previous[k], next[k]),
  );
  return keys.join(', ');
}

/** Holiday rows as they affect trading (notes and statuses are documentation). */
function tradingShape(holiday: Holiday): string {
  return JSON.stringify([
    holiday.kind,
    holiday.close ?? null,
    holiday.reopen ?? null,
    holiday.noEveningSession ?? false,
  ]);
}

/** How a calendar change affects protection (see the module comment); undefined when equal. */
function compareTradingDay(
  previous: TradingDayConfig,
  next: TradingDayConfig,
): { effect: ProtectionEffect; why: string } | undefined {
  if (jsonEqual(previous, next)) return undefined;
  const parts: string[] = [];
  if (previous.timezone !== next.timezone) parts.push(`timezone ${previous.timezone} -> ${next.timezone}`);
  if (previous.resetTime !== next.resetTime)
    parts.push(`resetTime ${previous.resetTime} -> ${next.resetTime}`);
  if (!jsonEqual(previous.sessions, next.sessions)) parts.push('weekly sessions changed');
  const before = new Map(previous.holidays.map((h) => [h.date, h]));
  const after = new Map(next.holidays.map((h) => [h.date, h]));
  const removed = [...before.keys()].filter((d) => !after.has(d));
  const changed = [...before.keys()].filter((d) => {
    const a = before.get(d);
    const b = after.get(d);
    return a !== undefined && b !== undefined && tradingShape(a) !== tradingShape(b);
  });
  const added = [...after.keys()].filter((d) => !before.has(d));
  if (removed.length > 0) parts.push(`holidays removed: ${removed.join(', ')}`);
  if (changed.length > 0) parts.push(`holidays changed: ${changed.join(', ')}`);
  const addedText = `holidays added: ${added.map((d) => `${d} (${after.get(d)?.kind ?? ''})`).join(', ')}`;
  if (parts.length === 0) {
    if (added.length > 0) return { effect: 'tighter', why: `tradingDay ${addedText}` };
    return { effect: 'neutral', why: 'tradingDay holiday notes changed' };
  }
  if (added.length > 0) parts.push(addedText);
  return { effect: 'looser', why: `tradingDay ${parts.join('; ')} (applies at the next reset)` };
}
