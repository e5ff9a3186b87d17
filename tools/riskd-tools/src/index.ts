// Public entry of @riskd/tools. Nx itself loads the generator through generators.json; this entry
// is for code that drives it programmatically (tests, other generators).
export {
  GENERATED_RULE_API_VERSION,
  INITIAL_PACK_VERSION,
  RULE_PACK_NAME_PATTERN,
  normalizeRulePackOptions,
  rulePackGenerator,
  workspaceGlobCovers,
  type NormalizedRulePackOptions,
  type RulePackGeneratorOptions,
} from './generators/rule-pack/rule-pack.generator.js';
export { RiskdToolsError, type RiskdToolsErrorCode } from './lib/riskd-tools.errors.js';
