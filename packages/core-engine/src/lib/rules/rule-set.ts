import type { AccountId } from '../domain/types.js';
import type { EngineEvent, EngineEventKind } from '../events/events.js';
import type { RuleDecision, RuleEvaluator, RuleInstanceInfo, RuleMode } from './rule-api.js';
import { RuleConfigError, type RuleConfigProblem } from './rule-errors.js';
import {
  normalizeAccountName,
  type RulesConfig,
  type ValidatedAccountConfig,
  type ValidatedRuleEntry,
  type ValidatedRulesConfig,
} from './rule-options.js';
import type { RuleRegistry } from './rule-registry.js';

/** One configured rule instance of one account, ready to evaluate. */
export interface RuleInstance {
  readonly accountId: AccountId;
  readonly ruleId: string;
  /** The instance key (timers, counters and warnings are kept per instance). */
  readonly instanceId: string;
  readonly mode: RuleMode;
  readonly warnAt: number | undefined;
  /** Validated options: defaults applied, deep-frozen. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Created for this account alone, so instances share no mutable state across accounts. */
  readonly evaluator: RuleEvaluator;
  /** Event kinds routed to it (timer events for its own timers always are). */
  readonly events: ReadonlySet<EngineEventKind>;
  /** What the evaluator sees as `ctx.instance`. */
  readonly info: RuleInstanceInfo;
  /** Where the entry came from: `rules[0]`, `accounts[1].rules[2]`, `presets "topstep-50k" rules[0]`. */
  readonly source: string;
}

/** The rule instances in force for one account. */
export interface AccountRuleSet {
  readonly accountId: AccountId;
  /** False for accounts configured with `enabled: false`: no rules, no lockout enforcement. */
  readonly protected: boolean;
  /** The matching `accounts[]` entry (`accounts[2]`), or undefined for an unlisted account. */
  readonly source: string | undefined;
  readonly instances: readonly RuleInstance[];
  /** Instances that want `kind`, in resolution order; an empty array when none. */
  instancesFor(kind: EngineEventKind): readonly RuleInstance[];
  instance(instanceId: string): RuleInstance | undefined;
}

const NO_INSTANCES: readonly RuleInstance[] = Object.freeze([]);

/**
 * The rules config resolved against a registry (RULES.md section 2). An account's instances are
 * built when the account becomes known (the first `forAccount` call): universal entries, then its
 * preset's entries, then its own entries; an entry with the same instance key replaces the earlier
 * one whole (no deep merge); `enabled: false` switches the instance off. Accounts match their
 * `accounts[]` entry by `id`, else by `name` (case-insensitive); unlisted accounts get the
 * universal rules.
 */
export class ResolvedRuleSet {
  private readonly byId = new Map<AccountId, ValidatedAccountConfig>();
  private readonly byName = new Map<string, ValidatedAccountConfig>();
  private readonly cache = new Map<
    AccountId,
    { set: AccountRuleSet; config: ValidatedAccountConfig | undefined; name: string | undefined }
  >();

  constructor(
    readonly registry: RuleRegistry,
    readonly config: ValidatedRulesConfig,
  ) {
    for (const account of config.accounts) {
      if (account.id !== undefined) this.byId.set(account.id, account);
      if (account.name !== undefined) this.byName.set(normalizeAccountName(account.name), account);
    }
  }

  /**
   * The instances of an account. Cached per account; rebuilt only when the account's name becomes
   * known (or changes) and that changes which `accounts[]` entry it matches. Cheap enough per event.
   */
  forAccount(accountId: AccountId, name?: string): AccountRuleSet {
    const cached = this.cache.get(accountId);
    if (cached && (cached.name === name || (cached.config !== undefined && cached.config.id === accountId))) {
      return cached.set;
    }
    const config = this.accountConfig(accountId, name);
    if (cached && cached.config === config) {
      cached.name = name;
      return cached.set;
    }
    const set = this.build(accountId, config);
    this.cache.set(accountId, { set, config, name });
    return set;
  }

  /** The `accounts[]` entry an account matches: by id first, else by name. */
  accountConfig(accountId: AccountId, name?: string): ValidatedAccountConfig | undefined {
    return (
      this.byId.get(accountId) ??
      (name === undefined ? undefined : this.byName.get(normalizeAccountName(name)))
    );
  }

  /** The entries in force for an account (resolution without creating evaluators), e.g. for "rules in force". */
  entriesFor(accountId: AccountId, name?: string): readonly ValidatedRuleEntry[] {
    const config = this.accountConfig(accountId, name);
    if (config && !config.enabled) return [];
    return [...mergeEntries(this.registry, this.config, config).values()].filter((e) => e.enabled);
  }

  private build(accountId: AccountId, config: ValidatedAccountConfig | undefined): AccountRuleSet {
    if (config && !config.enabled) return new AccountRules(accountId, false, config.source, NO_INSTANCES);
    const instances: RuleInstance[] = [];
    for (const entry of mergeEntries(this.registry, this.config, config).values()) {
      if (entry.enabled) instances.push(this.instantiate(accountId, entry));
    }
    return new AccountRules(accountId, true, config?.source, Object.freeze(instances));
  }

  private instantiate(accountId: AccountId, entry: ValidatedRuleEntry): RuleInstance {
    const definition = this.registry.rule(entry.ruleId);
    let evaluator: RuleEvaluator;
    try {
      if (!definition) throw new Error(`rule "${entry.ruleId}" is not in the registry`);
      evaluator = definition.create(entry.options as never);
      if (typeof evaluator?.evaluate !== 'function') throw new Error('create() did not return an evaluator');
    } catch (err) {
      // resolveRuleSet() already tried every entry once, so this is a rule that fails only sometimes.
      // The instance stays, failing each evaluation: the engine reports RULE_ERROR and keeps going.
      evaluator = failingEvaluator(err);
    }
    const info: RuleInstanceInfo = Object.freeze({
      accountId,
      ruleId: entry.ruleId,
      instanceId: entry.instanceId,
      mode: entry.mode,
      warnAt: entry.warnAt,
    });
    return Object.freeze({
      accountId,
      ruleId: entry.ruleId,
      instanceId: entry.instanceId,
      mode: entry.mode,
      warnAt: entry.warnAt,
      options: entry.options,
      evaluator,
      events: new Set(definition?.events ?? []),
      info,
      source: entry.source,
    });
  }
}

class AccountRules implements AccountRuleSet {
  private readonly byKind = new Map<EngineEventKind, RuleInstance[]>();
  private readonly byInstance = new Map<string, RuleInstance>();

  constructor(
    readonly accountId: AccountId,
    readonly isProtected: boolean,
    readonly source: string | undefined,
    readonly instances: readonly RuleInstance[],
  ) {
    for (const instance of instances) {
      this.byInstance.set(instance.instanceId, instance);
      for (const kind of instance.events) {
        let list = this.byKind.get(kind);
        if (!list) this.byKind.set(kind, (list = []));
        list.push(instance);
      }
    }
  }

  get protected(): boolean {
    return this.isProtected;
  }

  instancesFor(kind: EngineEventKind): readonly RuleInstance[] {
    return this.byKind.get(kind) ?? NO_INSTANCES;
  }

  instance(instanceId: string): RuleInstance | undefined {
    return this.byInstance.get(instanceId);
  }
}

/** Universal entries, then the preset's, then the account's own; a same instance key replaces. */
function mergeEntries(
  registry: RuleRegistry,
  config: ValidatedRulesConfig,
  account: ValidatedAccountConfig | undefined,
): Map<string, ValidatedRuleEntry> {
  // Map.set on an existing key keeps the key's first position, so instances keep a stable order.
  const entries = new Map<string, ValidatedRuleEntry>();
  for (const entry of config.rules) entries.set(entry.instanceId, entry);
  if (account?.preset !== undefined) {
    for (const entry of registry.presetEntries(account.preset) ?? []) entries.set(entry.instanceId, entry);
  }
  for (const entry of account?.rules ?? []) entries.set(entry.instanceId, entry);
  return entries;
}

function failingEvaluator(err: unknown): RuleEvaluator {
  return {
    evaluate(_event: EngineEvent): readonly RuleDecision[] {
      throw err;
    },
  };
}

/**
 * Validates `{ rules, accounts }` against the registry and resolves it. Throws one
 * `RuleConfigError` listing every problem, including entries whose rule refuses its options in
 * `create()` (each enabled entry is instantiated once here, so that fails at load, not in trading).
 */
export function resolveRuleSet(registry: RuleRegistry, config: RulesConfig): ResolvedRuleSet {
  const validated = registry.validateConfig(config);
  const problems: RuleConfigProblem[] = [];
  const probe = (entry: ValidatedRuleEntry): void => {
    if (!entry.enabled) return;
    try {
      const evaluator = registry.rule(entry.ruleId)?.create(entry.options as never);
      if (typeof evaluator?.evaluate !== 'function') throw new Error('create() did not return an evaluator');
    } catch (err) {
      problems.push({
        path: `${entry.source}.options`,
        message: `rule "${entry.ruleId}" refused these options: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  };
  validated.rules.forEach(probe);
  validated.accounts.forEach((a) => a.rules.forEach(probe));
  for (const presetId of new Set(validated.accounts.map((a) => a.preset))) {
    if (presetId !== undefined) registry.presetEntries(presetId)?.forEach(probe);
  }
  if (problems.length > 0) throw new RuleConfigError(problems);
  return new ResolvedRuleSet(registry, validated);
}
