import { RULE_API_VERSION, type RuleDefinition, type RulePack } from '@riskd/core-engine';
import { topstepPresets } from './presets.js';
import { accountUnrealizedLossRule } from './rules/account-unrealized-loss.js';
import { blackoutWindowsRule } from './rules/blackout-windows.js';
import { brokerTradingDisabledRule } from './rules/broker-trading-disabled.js';
import { consecutiveLossesRule } from './rules/consecutive-losses.js';
import { cooldownAfterLossRule } from './rules/cooldown-after-loss.js';
import { dailyLossLimitRule } from './rules/daily-loss-limit.js';
import { dailyProfitTargetRule } from './rules/daily-profit-target.js';
import { maxContractsPerSymbolRule } from './rules/max-contracts-per-symbol.js';
import { maxContractsRule } from './rules/max-contracts.js';
import { maxLossLimitRule } from './rules/max-loss-limit.js';
import { noCrossAccountHedgeRule } from './rules/no-cross-account-hedge.js';
import { positionLossLimitRule } from './rules/position-loss-limit.js';
import { positionProfitTargetRule } from './rules/position-profit-target.js';
import { staleMarketDataRule } from './rules/stale-market-data.js';
import { stopLossRequiredRule } from './rules/stop-loss-required.js';
import { symbolBlockRule } from './rules/symbol-block.js';
import { tradeFrequencyRule } from './rules/trade-frequency.js';
import { tradingSessionRule } from './rules/trading-session.js';

export * from './rules/account-unrealized-loss.js';
export * from './rules/blackout-windows.js';
export * from './rules/broker-trading-disabled.js';
export * from './rules/consecutive-losses.js';
export * from './rules/cooldown-after-loss.js';
export * from './rules/daily-loss-limit.js';
export * from './rules/daily-profit-target.js';
export * from './rules/max-contracts-per-symbol.js';
export * from './rules/max-contracts.js';
export * from './rules/max-loss-limit.js';
export * from './rules/no-cross-account-hedge.js';
export * from './rules/position-loss-limit.js';
export * from './rules/position-profit-target.js';
export * from './rules/stale-market-data.js';
export * from './rules/stop-loss-required.js';
export * from './rules/symbol-block.js';
export * from './rules/trade-frequency.js';
export * from './rules/trading-session.js';
export { TOPSTEP_MICRO_SYMBOLS, TOPSTEP_SIZES, topstepPresets, type TopstepSize } from './presets.js';
export { RuleOptionsError, StandardRulesError } from './lib/errors.js';

/** The package name and version, as the rule-pack loader reports them. */
export const RULE_PACK_NAME = '@riskd/rule-pack-standard';
export const RULE_PACK_VERSION = '0.1.0';

/** Every rule of the standard pack, in the order of the specification's table. */
export const standardRules: readonly RuleDefinition<never>[] = [
  maxContractsRule,
  maxContractsPerSymbolRule,
  dailyLossLimitRule,
  dailyProfitTargetRule,
  positionLossLimitRule,
  positionProfitTargetRule,
  accountUnrealizedLossRule,
  maxLossLimitRule,
  tradeFrequencyRule,
  cooldownAfterLossRule,
  consecutiveLossesRule,
  stopLossRequiredRule,
  tradingSessionRule,
  blackoutWindowsRule,
  symbolBlockRule,
  noCrossAccountHedgeRule,
  brokerTradingDisabledRule,
  staleMarketDataRule,
];

/** The standard rule pack: list it in the config's `rulePacks` as `@riskd/rule-pack-standard`. */
export const rulePack: RulePack = {
  name: RULE_PACK_NAME,
  version: RULE_PACK_VERSION,
  apiVersion: RULE_API_VERSION,
  rules: standardRules,
  presets: topstepPresets,
};

export default rulePack;
