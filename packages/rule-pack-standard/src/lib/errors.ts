/** Base error of the standard rule pack. Every error carries a stable `code`. */
export class StandardRulesError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Options that passed the JSON Schema but cannot work (e.g. a session window that is empty).
 * Thrown by a rule's `create()`, so the config loader reports it like a schema error.
 */
export class RuleOptionsError extends StandardRulesError {
  constructor(
    readonly ruleId: string,
    readonly path: string,
    message: string,
  ) {
    super('RULE_OPTIONS_INVALID', `${ruleId}: ${path}: ${message}`);
  }
}
