import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { TEST_RULE_PACK, testDailyLossRule } from '../risk/test-rules.fake.js';
import { RULE_API_VERSION, type RuleDefinition, type RulePack } from './rule-api.js';
import { RulePackError } from './rule-errors.js';
import { loadRulePacks } from './rule-pack-loader.js';
import { RuleRegistry } from './rule-registry.js';

function packWith(rule: Partial<RuleDefinition<never>>, extra: Partial<RulePack> = {}): RulePack {
  return {
    name: 'inline-pack',
    version: '1.0.0',
    apiVersion: RULE_API_VERSION,
    rules: [
      {
        id: 'inline-rule',
        title: 'Inline',
        description: '',
        optionsSchema: { type: 'object', properties: {} },
        events: ['fill'],
        create: () => ({ evaluate: () => [] }),
        ...rule,
      },
    ],
    ...extra,
  };
}

function registryError(packs: RulePack[]): RulePackError {
  try {
    new RuleRegistry(packs);
  } catch (err) {
    expect(err).toBeInstanceOf(RulePackError);
    return err as RulePackError;
  }
  throw new Error('expected a RulePackError');
}

describe('RuleRegistry', () => {
  it('when built from built-in and loaded packs then rules and presets are looked up by id', async () => {
    const loaded = await loadRulePacks(['./good-pack.fixture.ts'], {
      resolveFrom: path.join(import.meta.dirname, 'fixtures'),
    });
    const registry = new RuleRegistry([TEST_RULE_PACK, ...loaded]);
    expect(registry.ruleIds()).toEqual(['fixture-max-loss', 'test-contracts-limit', 'test-daily-loss']);
    expect(registry.rule('test-daily-loss')).toBe(testDailyLossRule);
    expect(registry.rule('nope')).toBeUndefined();
    expect(registry.packOf('fixture-max-loss')?.name).toBe('fixture-good-pack');
    expect(registry.presetIds()).toEqual(['fixture-preset', 'test-small']);
    expect(registry.presetEntries('fixture-preset')).toEqual([
      {
        ruleId: 'fixture-max-loss',
        instanceId: 'fixture-max-loss',
        options: { limit: 1000, basis: 'combined' },
        mode: 'enforce',
        enabled: true,
        warnAt: undefined,
        source: 'presets "fixture-preset" rules[0]',
      },
    ]);
    expect(registry.packs.map((p) => p.name)).toEqual(['@riskd/test-rules', 'fixture-good-pack']);
  });

  it('when a loaded pack clashes with a built-in one then the registry names both', () => {
    const clash = packWith({ id: 'test-daily-loss' }, { name: 'clashing-pack' });
    const error = registryError([TEST_RULE_PACK, clash]);
    expect(error.code).toBe('RULE_PACK_CONFLICT');
    expect(error.message).toBe(
      'rule pack "clashing-pack@1.0.0": rule id "test-daily-loss" is already defined by rule pack "@riskd/test-rules@0.0.0"',
    );
  });

  it('when two packs define the same preset id then the registry names both', () => {
    const other = packWith(
      {},
      { name: 'preset-pack', presets: [{ id: 'test-small', description: '', rules: [] }] },
    );
    const error = registryError([TEST_RULE_PACK, other]);
    expect(error.code).toBe('RULE_PACK_CONFLICT');
    expect(error.message).toContain(
      'preset id "test-small" is already defined by rule pack "@riskd/test-rules@0.0.0"',
    );
  });

  it('when an options schema uses an unknown keyword then the pack is refused naming the rule', () => {
    const error = registryError([
      packWith({
        optionsSchema: {
          type: 'object',
          properties: { x: { type: 'number', minimun: 0, description: 'x' } },
        },
      }),
    ]);
    expect(error.code).toBe('RULE_PACK_INVALID');
    expect(error.message).toContain(
      'rule "inline-rule": options schema does not compile: strict mode: unknown keyword: "minimun"',
    );
  });

  it('when an options schema is not an object schema then the pack is refused', () => {
    const error = registryError([packWith({ optionsSchema: { type: 'array' } })]);
    expect(error.problems).toEqual(['rules[0] ("inline-rule"): "optionsSchema" must have type "object"']);
  });

  it('when a preset names an unknown rule or bad options then the pack is refused with the preset path', () => {
    const pack = packWith(
      {},
      {
        presets: [
          {
            id: 'broken-preset',
            description: '',
            rules: [{ rule: 'missing-rule' }, { rule: 'test-daily-loss', options: { limit: -5 } }],
          },
        ],
      },
    );
    const error = registryError([TEST_RULE_PACK, pack]);
    expect(error.code).toBe('RULE_PACK_INVALID');
    expect(error.problems).toEqual([
      'presets "broken-preset" rules[0].rule: unknown rule "missing-rule" (known: inline-rule, test-contracts-limit, test-daily-loss)',
      'presets "broken-preset" rules[1].options.limit: must be > 0',
    ]);
  });

  it('when an object that is not a pack is given then the registry refuses it', () => {
    const error = registryError([42 as unknown as RulePack]);
    expect(error.code).toBe('RULE_PACK_INVALID');
    expect(error.message).toContain('is not a rule pack object (got 42)');
  });
});

describe('RuleRegistry.rulesConfigJsonSchema', () => {
  const registry = new RuleRegistry([TEST_RULE_PACK]);
  const schema = registry.rulesConfigJsonSchema();
  const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

  it('when a valid config is checked against the published schema then it passes', () => {
    const ok = validate({
      rules: [
        { rule: 'test-daily-loss', options: { limit: 500 }, warnAt: 0.8 },
        { rule: 'test-contracts-limit', id: 'contracts', options: { limit: 3 }, mode: 'alert-only' },
      ],
      accounts: [
        { id: 1, preset: 'test-small', rules: [{ rule: 'test-daily-loss', enabled: false }] },
        { name: 'Combine', enabled: false },
      ],
    });
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("when options break a rule's own schema then the published schema rejects them at that path", () => {
    expect(validate({ rules: [{ rule: 'test-daily-loss', options: { limit: -1 } }] })).toBe(false);
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toContain(
      '/rules/0/options/limit must be > 0',
    );
  });

  it('when a rule id, preset or account key is unknown then the published schema rejects it', () => {
    expect(validate({ rules: [{ rule: 'nope' }] })).toBe(false);
    expect(validate({ accounts: [{ id: 1, preset: 'nope' }] })).toBe(false);
    expect(validate({ accounts: [{ enabled: true }] })).toBe(false);
  });

  it('when the schema is generated then every rule has its options schema and the entry keys are described', () => {
    const items = (schema['properties'] as Record<string, Record<string, unknown>>)['rules']?.[
      'items'
    ] as Record<string, unknown>;
    const allOf = items['allOf'] as { then: { properties: { options: unknown } } }[];
    expect(allOf.map((a) => a.then.properties.options)).toEqual([
      TEST_RULE_PACK.rules[0]?.optionsSchema,
      TEST_RULE_PACK.rules[1]?.optionsSchema,
    ]);
    const properties = items['properties'] as Record<string, { description?: string }>;
    for (const key of ['rule', 'id', 'options', 'mode', 'enabled', 'warnAt']) {
      expect(properties[key]?.description, key).toBeTypeOf('string');
    }
  });
});
