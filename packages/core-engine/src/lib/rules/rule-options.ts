import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { AccountId } from '../domain/types.js';
import type {
  AccountConfig,
  PresetDefinition,
  RuleDefinition,
  RuleEntryConfig,
  RuleMode,
} from './rule-api.js';
import { RuleConfigError, type RuleConfigProblem } from './rule-errors.js';

/** Modes a rule entry may take (RULES.md section 2). */
export const RULE_MODES: readonly RuleMode[] = Object.freeze(['enforce', 'alert-only', 'dry-run']);

/**
 * Instance keys: a letter or digit, then letters, digits, `.`, `_` or `-` (at most 64). Colons and
 * `@` are kept out because the engine uses them in its own keys (`@lockout-guard`, lockout ids).
 */
export const INSTANCE_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

/** JSON Schema of one rule entry without its rule-specific options (shared by validation and the published schema). */
export const RULE_ENTRY_SCHEMA: Readonly<Record<string, unknown>> = deepFreeze({
  type: 'object',
  additionalProperties: false,
  required: ['rule'],
  properties: {
    rule: { type: 'string', minLength: 1, description: 'Id of the rule, e.g. "daily-loss-limit".' },
    id: {
      type: 'string',
      pattern: INSTANCE_KEY_PATTERN,
      description:
        'Instance key; defaults to the rule id. A per-account entry with the same key replaces the universal one for that account.',
    },
    options: { type: 'object', description: "The rule's options (see the rule's own schema)." },
    mode: {
      enum: [...RULE_MODES],
      default: 'enforce',
      description: '`enforce` acts; `alert-only` and `dry-run` only record what they would have done.',
    },
    enabled: {
      type: 'boolean',
      default: true,
      description: '`false` switches the rule off (for one account: switches a universal entry off).',
    },
    warnAt: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      description:
        'Fraction of the limit (e.g. 0.8) at which to warn once per trading day before the breach.',
    },
  },
});

/** JSON Schema of one `accounts[]` entry without its rules (shared by validation and the published schema). */
export const ACCOUNT_ENTRY_SCHEMA: Readonly<Record<string, unknown>> = deepFreeze({
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'integer', description: 'ProjectX account id. Give an `id` or a `name`.' },
    name: {
      type: 'string',
      minLength: 1,
      description: 'Account name as the broker shows it (case-insensitive).',
    },
    enabled: {
      type: 'boolean',
      default: true,
      description: '`false`: Riskd does not protect this account (no rules, no lockout enforcement).',
    },
    preset: {
      type: 'string',
      description: "A preset (e.g. `topstep-50k`) expanded under the account's own rules.",
    },
    rules: {
      type: 'array',
      description: 'Rules of this account (replace universal entries by instance key).',
    },
  },
});

/** One rule entry after validation: defaults applied, options cloned and deep-frozen. */
export interface ValidatedRuleEntry {
  readonly ruleId: string;
  /** The instance key (`id`, defaulting to the rule id). */
  readonly instanceId: string;
  /** The rule's options with the schema's defaults applied, deep-frozen. Empty for disabled entries. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly mode: RuleMode;
  readonly enabled: boolean;
  readonly warnAt: number | undefined;
  /** Where the entry came from, e.g. `accounts[1].rules[0]` or `preset topstep-50k rules[2]`. */
  readonly source: string;
}

/** One `accounts[]` entry after validation. */
export interface ValidatedAccountConfig {
  readonly id: AccountId | undefined;
  readonly name: string | undefined;
  readonly enabled: boolean;
  readonly preset: string | undefined;
  readonly rules: readonly ValidatedRuleEntry[];
  /** E.g. `accounts[1]`. */
  readonly source: string;
}

/** The `rules` and `accounts` sections of the config, as written (validated as untrusted JSON). */
export interface RulesConfig {
  readonly rules?: readonly RuleEntryConfig[];
  readonly accounts?: readonly AccountConfig[];
}

/** The `rules` and `accounts` sections after validation. */
export interface ValidatedRulesConfig {
  readonly rules: readonly ValidatedRuleEntry[];
  readonly accounts: readonly ValidatedAccountConfig[];
}

/** What config validation needs to know about the available rules and presets (a `RuleRegistry`). */
export interface RuleCatalog {
  rule(id: string): RuleDefinition<never> | undefined;
  ruleIds(): readonly string[];
  preset(id: string): PresetDefinition | undefined;
  presetIds(): readonly string[];
  /** The compiled options validators of the catalog's rules. */
  readonly optionsValidator: RuleOptionsValidator;
}

/** Creates the ajv instance used for rule options and config entries. */
export function createRuleAjv(): Ajv {
  return new Ajv({
    allErrors: true,
    // Defaults are part of each rule's contract (RULES.md section 2): options reach `create()` complete.
    useDefaults: true,
    // Unknown keywords, ignored defaults and unknown formats are mistakes in a pack's schema: refuse
    // them when the pack loads. Type and `required` strictness are style, not correctness, so off.
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    coerceTypes: false,
  });
}

/**
 * Compiles each rule's options schema once (when the registry is built) and validates option sets
 * against it: the options are cloned, the schema's defaults applied, and the result deep-frozen.
 */
export class RuleOptionsValidator {
  private readonly ajv = createRuleAjv();
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly entryValidator: ValidateFunction;
  private readonly accountValidator: ValidateFunction;

  constructor() {
    this.entryValidator = this.ajv.compile(structuredClone(RULE_ENTRY_SCHEMA) as Record<string, unknown>);
    this.accountValidator = this.ajv.compile(
      structuredClone(ACCOUNT_ENTRY_SCHEMA) as Record<string, unknown>,
    );
  }

  /**
   * Compiles a rule's options schema. Throws ajv's error when the schema is invalid (the registry
   * turns it into a `RulePackError` naming the pack and the rule).
   */
  add(ruleId: string, optionsSchema: Readonly<Record<string, unknown>>): void {
    // ajv keeps references to the schema object; give it a private copy so a pack cannot change it later.
    this.validators.set(ruleId, this.ajv.compile(structuredClone(optionsSchema) as Record<string, unknown>));
  }

  has(ruleId: string): boolean {
    return this.validators.has(ruleId);
  }

  /**
   * Validates `options` of rule `ruleId`. Returns the cloned options with defaults applied,
   * deep-frozen, or undefined after pushing every problem (paths under `path`) onto `problems`.
   */
  validate(
    ruleId: string,
    options: unknown,
    path: string,
    problems: RuleConfigProblem[],
  ): Readonly<Record<string, unknown>> | undefined {
    const validate = this.validators.get(ruleId);
    if (!validate) {
      problems.push({ path, message: `no options schema for rule "${ruleId}"` });
      return undefined;
    }
    const copy: unknown = options === undefined ? {} : cloneJson(options);
    if (!validate(copy)) {
      for (const error of validate.errors ?? []) problems.push(formatAjvError(path, error));
      return undefined;
    }
    return deepFreeze(copy as Record<string, unknown>);
  }

  /** Checks the shape of one rule entry (not its options); returns false after pushing problems. */
  checkEntryShape(entry: unknown, path: string, problems: RuleConfigProblem[]): boolean {
    return this.check(this.entryValidator, entry, path, problems);
  }

  /** Checks the shape of one account entry (not its rules); returns false after pushing problems. */
  checkAccountShape(account: unknown, path: string, problems: RuleConfigProblem[]): boolean {
    return this.check(this.accountValidator, account, path, problems);
  }

  private check(
    validate: ValidateFunction,
    value: unknown,
    path: string,
    problems: RuleConfigProblem[],
  ): boolean {
    // Validate a copy: useDefaults must not write into the caller's config.
    if (validate(cloneJson(value))) return true;
    for (const error of validate.errors ?? []) problems.push(formatAjvError(path, error));
    return false;
  }
}

/**
 * Validates the `rules` and `accounts` sections against the catalog. Throws one
 * {@link RuleConfigError} listing every problem with its JSON path: entry shape, unknown rule ids,
 * duplicate instance keys within one list, bad `mode` or `warnAt`, options failing the rule's
 * schema, accounts without `id`/`name` or configured twice, unknown presets. Options of disabled
 * entries are not validated (an entry that switches a rule off needs none).
 */
export function validateRulesConfig(catalog: RuleCatalog, config: RulesConfig): ValidatedRulesConfig {
  const problems: RuleConfigProblem[] = [];
  const raw = config as { rules?: unknown; accounts?: unknown };
  const rules = validateRuleEntries(catalog, raw.rules ?? [], 'rules', problems);
  const accounts: ValidatedAccountConfig[] = [];
  const accountList = raw.accounts ?? [];
  if (!Array.isArray(accountList)) {
    problems.push({ path: 'accounts', message: 'must be array' });
  } else {
    const seenIds = new Map<number, string>();
    const seenNames = new Map<string, string>();
    accountList.forEach((account: unknown, index) => {
      const path = `accounts[${index}]`;
      const validated = validateAccount(catalog, account, path, problems);
      if (!validated) return;
      if (validated.id !== undefined) {
        const other = seenIds.get(validated.id);
        if (other !== undefined) {
          problems.push({
            path: `${path}.id`,
            message: `account ${validated.id} is already configured at ${other}`,
          });
        } else {
          seenIds.set(validated.id, path);
        }
      }
      if (validated.name !== undefined) {
        const key = normalizeAccountName(validated.name);
        const other = seenNames.get(key);
        if (other !== undefined) {
          problems.push({
            path: `${path}.name`,
            message: `account name ${JSON.stringify(validated.name)} is already configured at ${other}`,
          });
        } else {
          seenNames.set(key, path);
        }
      }
      accounts.push(validated);
    });
  }
  if (problems.length > 0) throw new RuleConfigError(problems);
  return Object.freeze({ rules: Object.freeze(rules), accounts: Object.freeze(accounts) });
}

/**
 * Validates one list of rule entries (`rules`, `accounts[i].rules` or a preset's rules), pushing
 * problems with paths under `path`. Returns the entries that are valid.
 */
export function validateRuleEntries(
  catalog: RuleCatalog,
  entries: unknown,
  path: string,
  problems: RuleConfigProblem[],
): ValidatedRuleEntry[] {
  if (!Array.isArray(entries)) {
    problems.push({ path, message: 'must be array' });
    return [];
  }
  const result: ValidatedRuleEntry[] = [];
  const seenKeys = new Map<string, string>();
  entries.forEach((entry: unknown, index) => {
    const entryPath = `${path}[${index}]`;
    const validated = validateRuleEntry(catalog, entry, entryPath, problems);
    const key = instanceKeyOf(entry);
    if (key !== undefined) {
      const other = seenKeys.get(key);
      if (other !== undefined) {
        problems.push({
          path: isRecord(entry) && entry['id'] !== undefined ? `${entryPath}.id` : entryPath,
          message: `duplicate instance key "${key}" (also at ${other}); give one of them another "id"`,
        });
        return;
      }
      seenKeys.set(key, entryPath);
    }
    if (validated) result.push(validated);
  });
  return result;
}

function validateRuleEntry(
  catalog: RuleCatalog,
  entry: unknown,
  path: string,
  problems: RuleConfigProblem[],
): ValidatedRuleEntry | undefined {
  const before = problems.length;
  catalog.optionsValidator.checkEntryShape(entry, path, problems);
  if (!isRecord(entry)) return undefined;
  const ruleId = entry['rule'];
  if (typeof ruleId !== 'string') return undefined;
  const definition = catalog.rule(ruleId);
  if (!definition) {
    problems.push({
      path: `${path}.rule`,
      message: `unknown rule "${ruleId}" (known: ${list(catalog.ruleIds())})`,
    });
    return undefined;
  }
  const enabled = entry['enabled'] !== false;
  let options: Readonly<Record<string, unknown>> = EMPTY_OPTIONS;
  if (enabled && (entry['options'] === undefined || isRecord(entry['options']))) {
    options =
      catalog.optionsValidator.validate(ruleId, entry['options'], `${path}.options`, problems) ??
      EMPTY_OPTIONS;
  }
  if (problems.length > before) return undefined;
  const id = entry['id'];
  const warnAt = entry['warnAt'];
  return Object.freeze({
    ruleId,
    instanceId: typeof id === 'string' ? id : ruleId,
    options,
    mode: (entry['mode'] as RuleMode | undefined) ?? 'enforce',
    enabled,
    warnAt: typeof warnAt === 'number' ? warnAt : undefined,
    source: path,
  });
}

function validateAccount(
  catalog: RuleCatalog,
  account: unknown,
  path: string,
  problems: RuleConfigProblem[],
): ValidatedAccountConfig | undefined {
  const before = problems.length;
  catalog.optionsValidator.checkAccountShape(account, path, problems);
  if (!isRecord(account)) return undefined;
  const id = account['id'];
  const name = account['name'];
  if (id === undefined && name === undefined) {
    problems.push({ path, message: 'must have an "id" or a "name" to match the broker account' });
  }
  const preset = account['preset'];
  if (typeof preset === 'string' && !catalog.preset(preset)) {
    problems.push({
      path: `${path}.preset`,
      message: `unknown preset "${preset}" (known: ${list(catalog.presetIds())})`,
    });
  }
  // A `rules` that is not an array was reported by the shape check already.
  const rules = Array.isArray(account['rules'])
    ? validateRuleEntries(catalog, account['rules'], `${path}.rules`, problems)
    : [];
  if (problems.length > before) return undefined;
  return Object.freeze({
    id: typeof id === 'number' ? id : undefined,
    name: typeof name === 'string' ? name : undefined,
    enabled: account['enabled'] !== false,
    preset: typeof preset === 'string' ? preset : undefined,
    rules: Object.freeze(rules),
    source: path,
  });
}

/** Account names match case-insensitively, ignoring surrounding blanks. */
export function normalizeAccountName(name: string): string {
  return name.trim().toLowerCase();
}

function instanceKeyOf(entry: unknown): string | undefined {
  if (!isRecord(entry)) return undefined;
  const id = entry['id'];
  if (typeof id === 'string') return id;
  const rule = entry['rule'];
  return typeof rule === 'string' ? rule : undefined;
}

const EMPTY_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze({});

function list(ids: readonly string[]): string {
  return ids.length === 0 ? 'none' : ids.join(', ');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Copies a JSON value (config comes from JSON; anything else is cloned structurally). */
function cloneJson(value: unknown): unknown {
  return value === undefined ? undefined : structuredClone(value);
}

/** Freezes a value and everything reachable from it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends one key to a JSON path: `.name`, `[3]`, or `["odd key"]`. */
export function appendPath(path: string, key: string | number): string {
  if (typeof key === 'number' || /^\d+$/.test(key)) return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Turns ajv's JSON Pointer (`/limits/MNQ`) into a path under `base` (`base.limits.MNQ`). */
function pointerToPath(base: string, pointer: string): string {
  if (pointer === '') return base;
  let path = base;
  for (const segment of pointer.slice(1).split('/')) {
    path = appendPath(path, segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return path;
}

/** One ajv error as a config problem: required and unknown properties point at the property itself. */
function formatAjvError(base: string, error: ErrorObject): RuleConfigProblem {
  const path = pointerToPath(base, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: appendPath(path, String(params['missingProperty'])), message: 'is required' };
    case 'additionalProperties':
      return {
        path: appendPath(path, String(params['additionalProperty'])),
        message: 'is not a known property',
      };
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[] | undefined) ?? [];
      return { path, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    default:
      return { path, message: error.message ?? `fails "${error.keyword}"` };
  }
}
