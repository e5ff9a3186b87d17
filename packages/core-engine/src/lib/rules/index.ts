export * from './rule-api.js';
export * from './duration.js';
export * from './rule-errors.js';
export {
  ACCOUNT_ENTRY_SCHEMA,
  INSTANCE_KEY_PATTERN,
  normalizeAccountName,
  RULE_ENTRY_SCHEMA,
  RULE_MODES,
  RuleOptionsValidator,
  validateRuleEntries,
  validateRulesConfig,
  type RuleCatalog,
  type RulesConfig,
  type ValidatedAccountConfig,
  type ValidatedRuleEntry,
  type ValidatedRulesConfig,
} from './rule-options.js';
export { assertRulePack, ENGINE_EVENT_KINDS } from './rule-pack.js';
export * from './rule-pack-loader.js';
export * from './rule-registry.js';
export * from './rule-set.js';
