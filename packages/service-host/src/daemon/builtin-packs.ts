import { rulePack as standardRulePack } from '@riskd/rule-pack-standard';

/** The rule packs built into the daemon (listed in the config's `rulePacks` by name). */
export const BUILTIN_RULE_PACKS = [standardRulePack] as const;
