import type { PresetDefinition, RuleDefinition, RulePack } from './rule-api.js';
import { RulePackError, type RuleConfigProblem } from './rule-errors.js';
import type { LoadedRulePack } from './rule-pack-loader.js';
import { assertNoPackConflicts, assertRulePack, describePack } from './rule-pack.js';
import {
  ACCOUNT_ENTRY_SCHEMA,
  RULE_ENTRY_SCHEMA,
  RuleOptionsValidator,
  validateRuleEntries,
  validateRulesConfig,
  type RuleCatalog,
  type RulesConfig,
  type ValidatedRuleEntry,
  type ValidatedRulesConfig,
} from './rule-options.js';

interface RegisteredRule {
  readonly definition: RuleDefinition<never>;
  readonly pack: RulePack;
}

interface RegisteredPreset {
  readonly definition: PresetDefinition;
  readonly pack: RulePack;
  readonly entries: readonly ValidatedRuleEntry[];
}

/**
 * The rules and presets Riskd can configure: built-in packs (imported by the host) plus the packs
 * loaded from `rulePacks`. Building it checks every pack (shape, API version, no conflicting ids),
 * compiles every options schema once and validates every preset's entries, so a broken pack fails
 * at start with a message naming it, never in the middle of trading.
 */
export class RuleRegistry implements RuleCatalog {
  readonly optionsValidator = new RuleOptionsValidator();
  private readonly packList: readonly RulePack[];
  private readonly rules = new Map<string, RegisteredRule>();
  private readonly presets = new Map<string, RegisteredPreset>();

  /** `packs`: rule packs as objects, or as {@link loadRulePacks} returned them. */
  constructor(packs: readonly (RulePack | LoadedRulePack)[]) {
    const sourced = packs.map((p) =>
      isLoaded(p) ? { pack: p.pack, source: p.specifier } : { pack: p, source: undefined },
    );
    const checked = sourced.map(({ pack, source }) => ({ pack: assertRulePack(pack, source), source }));
    assertNoPackConflicts(checked);
    this.packList = Object.freeze(checked.map((c) => c.pack));

    for (const { pack, source } of checked) {
      for (const definition of pack.rules) {
        try {
          this.optionsValidator.add(definition.id, definition.optionsSchema);
        } catch (err) {
          throw new RulePackError(
            'RULE_PACK_INVALID',
            describePack(pack, source),
            [`rule "${definition.id}": options schema does not compile: ${(err as Error).message}`],
            { cause: err },
          );
        }
        this.rules.set(definition.id, { definition, pack });
      }
    }
    // Presets may use rules of other packs: validate them once every rule is known.
    for (const { pack, source } of checked) {
      for (const definition of pack.presets ?? []) {
        const problems: RuleConfigProblem[] = [];
        const entries = validateRuleEntries(
          this,
          definition.rules,
          `presets "${definition.id}" rules`,
          problems,
        );
        if (problems.length > 0) {
          throw new RulePackError(
            'RULE_PACK_INVALID',
            describePack(pack, source),
            problems.map((p) => `${p.path}: ${p.message}`),
          );
        }
        this.presets.set(definition.id, { definition, pack, entries: Object.freeze(entries) });
      }
    }
  }

  /** The packs, in the order given. */
  get packs(): readonly RulePack[] {
    return this.packList;
  }

  rule(id: string): RuleDefinition<never> | undefined {
    return this.rules.get(id)?.definition;
  }

  /** Rule ids, sorted. */
  ruleIds(): readonly string[] {
    return [...this.rules.keys()].sort();
  }

  /** The pack that defines rule `id`. */
  packOf(ruleId: string): RulePack | undefined {
    return this.rules.get(ruleId)?.pack;
  }

  preset(id: string): PresetDefinition | undefined {
    return this.presets.get(id)?.definition;
  }

  /** Preset ids, sorted. */
  presetIds(): readonly string[] {
    return [...this.presets.keys()].sort();
  }

  /** A preset's entries, validated when the registry was built (defaults applied, frozen). */
  presetEntries(id: string): readonly ValidatedRuleEntry[] | undefined {
    return this.presets.get(id)?.entries;
  }

  /**
   * Validates the `rules` and `accounts` config sections; throws one `RuleConfigError` listing
   * every problem with its JSON path.
   */
  validateConfig(config: RulesConfig): ValidatedRulesConfig {
    return validateRulesConfig(this, config);
  }

  /**
   * A JSON Schema (draft-07) for the `rules` and `accounts` config sections, with each rule's
   * options schema attached to entries naming that rule (`if rule = id then options: schema`), so
   * editors complete and check options. Self-contained (no `$ref`): take `properties.rules` and
   * `properties.accounts` into the whole config's schema as they are.
   */
  rulesConfigJsonSchema(): Record<string, unknown> {
    const ids = this.ruleIds();
    const entryProperties = structuredClone(RULE_ENTRY_SCHEMA['properties']) as Record<
      string,
      Record<string, unknown>
    >;
    entryProperties['rule'] = { ...entryProperties['rule'], enum: [...ids] };
    const ruleEntry: Record<string, unknown> = {
      ...structuredClone(RULE_ENTRY_SCHEMA),
      properties: entryProperties,
      allOf: ids.map((id) => {
        const definition = this.rules.get(id)?.definition;
        return {
          if: {
            properties: { rule: { const: id } },
            required: ['rule'],
            // Entries that switch a rule off need no options.
            not: { properties: { enabled: { const: false } }, required: ['enabled'] },
          },
          then: {
            description: definition?.title,
            properties: { options: structuredClone(definition?.optionsSchema ?? {}) },
          },
        };
      }),
    };
    const accountProperties = structuredClone(ACCOUNT_ENTRY_SCHEMA['properties']) as Record<
      string,
      Record<string, unknown>
    >;
    accountProperties['preset'] = { ...accountProperties['preset'], enum: [...this.presetIds()] };
    accountProperties['rules'] = { ...accountProperties['rules'], items: ruleEntry };
    const accountEntry = {
      ...structuredClone(ACCOUNT_ENTRY_SCHEMA),
      properties: accountProperties,
      // `properties` repeated so that strict ajv (strictRequired) accepts the schema.
      anyOf: [
        { properties: { id: true }, required: ['id'] },
        { properties: { name: true }, required: ['name'] },
      ],
    };
    return {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        rules: {
          type: 'array',
          description: 'Universal rules: every protected account gets them.',
          items: ruleEntry,
        },
        accounts: { type: 'array', description: 'Per-account settings and rules.', items: accountEntry },
      },
    };
  }
}

function isLoaded(value: RulePack | LoadedRulePack): value is LoadedRulePack {
  return (
    typeof value === 'object' && value !== null && 'specifier' in value && 'url' in value && 'pack' in value
  );
}
