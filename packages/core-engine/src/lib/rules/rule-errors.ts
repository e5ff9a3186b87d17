/** Stable machine codes of the rule plumbing's errors. */
export type RulesErrorCode =
  | 'RULE_CONFIG_INVALID'
  | 'RULE_PACK_NOT_FOUND'
  | 'RULE_PACK_INVALID'
  | 'RULE_PACK_API_VERSION'
  | 'RULE_PACK_CONFLICT';

/** Base class of every error the rule plumbing throws; catch it with `instanceof`. */
export class RulesError extends Error {
  readonly code: RulesErrorCode;

  constructor(code: RulesErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem of a rules config, with the JSON path of the offending value. */
export interface RuleConfigProblem {
  /** E.g. `accounts[1].rules[0].options.limit`. */
  readonly path: string;
  readonly message: string;
}

/**
 * The `rules` / `accounts` config is invalid. One error carries every problem found (unknown rule
 * ids and presets, duplicate instance keys, bad modes and `warnAt`, options that fail the rule's
 * schema), each with its JSON path, so the admin fixes them all in one pass.
 */
export class RuleConfigError extends RulesError {
  readonly problems: readonly RuleConfigProblem[];

  constructor(problems: readonly RuleConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      'RULE_CONFIG_INVALID',
      `invalid rules config (${count}):\n` + problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
    this.problems = Object.freeze([...problems]);
  }
}

/**
 * A rule pack cannot be used: not found, not a rule pack, malformed, written for another rule API
 * version, or in conflict with another pack (a rule or preset id defined twice). The message names
 * the pack (and the other pack for conflicts).
 */
export class RulePackError extends RulesError {
  /** The specifier the pack was loaded from, or its name when it was passed in as an object. */
  readonly pack: string;
  /** Every problem found in the pack (malformed packs list them all). */
  readonly problems: readonly string[];

  constructor(
    code: Exclude<RulesErrorCode, 'RULE_CONFIG_INVALID'>,
    pack: string,
    problems: readonly string[],
    options?: ErrorOptions,
  ) {
    const detail =
      problems.length === 1 ? ` ${problems[0]}` : `\n${problems.map((p) => `  ${p}`).join('\n')}`;
    super(code, `rule pack ${pack}:${detail}`, options);
    this.pack = pack;
    this.problems = Object.freeze([...problems]);
  }
}
