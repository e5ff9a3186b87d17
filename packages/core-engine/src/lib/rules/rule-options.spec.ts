import { describe, expect, it } from 'vitest';
import { TEST_RULE_PACK } from '../risk/test-rules.fake.js';
import { RULE_API_VERSION, type RulePack } from './rule-api.js';
import { RuleConfigError } from './rule-errors.js';
import { RuleRegistry } from './rule-registry.js';
import type { RulesConfig } from './rule-options.js';

const registry = new RuleRegistry([TEST_RULE_PACK]);

function configError(config: unknown): RuleConfigError {
  try {
    registry.validateConfig(config as RulesConfig);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleConfigError);
    return err as RuleConfigError;
  }
  throw new Error('expected a RuleConfigError');
}

describe('validateRulesConfig', () => {
  it('when entries are valid then defaults are applied and options are deep-frozen copies', () => {
    const options = { limit: 3 };
    const config = registry.validateConfig({ rules: [{ rule: 'test-contracts-limit', options }] });
    const entry = config.rules[0];
    expect(entry).toEqual({
      ruleId: 'test-contracts-limit',
      instanceId: 'test-contracts-limit',
      options: { limit: 3, countWorkingOrders: true },
      mode: 'enforce',
      enabled: true,
      warnAt: undefined,
      source: 'rules[0]',
    });
    expect(Object.isFrozen(entry?.options)).toBe(true);
    // The caller's object is neither changed nor shared.
    expect(options).toEqual({ limit: 3 });
    expect(entry?.options).not.toBe(options);
  });

  it('when nested options are validated then nested values are frozen too', () => {
    const pack: RulePack = {
      name: 'nested',
      version: '1.0.0',
      apiVersion: RULE_API_VERSION,
      rules: [
        {
          id: 'nested-rule',
          title: 'Nested',
          description: '',
          optionsSchema: {
            type: 'object',
            properties: {
              tiers: {
                type: 'array',
                description: 'Tiers.',
                default: [{ loss: 100 }],
                items: { type: 'object', properties: { loss: { type: 'number' } } },
              },
            },
          },
          events: ['fill'],
          create: () => ({ evaluate: () => [] }),
        },
      ],
    };
    const config = new RuleRegistry([pack]).validateConfig({ rules: [{ rule: 'nested-rule' }] });
    const tiers = config.rules[0]?.options['tiers'] as { loss: number }[];
    expect(tiers).toEqual([{ loss: 100 }]);
    expect(Object.isFrozen(tiers)).toBe(true);
    expect(Object.isFrozen(tiers[0])).toBe(true);
  });

  it('when a config has many problems then one RuleConfigError lists each with its JSON path', () => {
    const error = configError({
      rules: [
        { rule: 'test-daily-loss', options: { limit: 500 }, mode: 'shout' },
        { rule: 'test-contract-limit', options: { limit: 1 } },
        { rule: 'test-daily-loss', id: 'second-loss', warnAt: 1.2, options: { limit: 0 } },
        { rule: 'test-daily-loss', id: 'second-loss', options: { limit: 100 } },
      ],
      accounts: [
        { id: 1, preset: 'test-small' },
        {
          name: 'Combine 50K',
          preset: 'topstep-75k',
          rules: [
            { rule: 'test-contracts-limit', options: { limit: -1, extra: true } },
            { rule: 'test-contracts-limit' },
            { rule: 'test-daily-loss', warnAt: 0 },
          ],
        },
        { enabled: false },
        { id: 1, name: 'combine 50k ' },
      ],
    });
    expect(error.code).toBe('RULE_CONFIG_INVALID');
    expect(error.problems).toEqual([
      { path: 'rules[0].mode', message: 'must be one of "enforce", "alert-only", "dry-run"' },
      {
        path: 'rules[1].rule',
        message: 'unknown rule "test-contract-limit" (known: test-contracts-limit, test-daily-loss)',
      },
      { path: 'rules[2].warnAt', message: 'must be < 1' },
      { path: 'rules[2].options.limit', message: 'must be > 0' },
      {
        path: 'rules[3].id',
        message: 'duplicate instance key "second-loss" (also at rules[2]); give one of them another "id"',
      },
      { path: 'accounts[1].preset', message: 'unknown preset "topstep-75k" (known: test-small)' },
      { path: 'accounts[1].rules[0].options.extra', message: 'is not a known property' },
      { path: 'accounts[1].rules[0].options.limit', message: 'must be >= 0' },
      { path: 'accounts[1].rules[1].options.limit', message: 'is required' },
      {
        path: 'accounts[1].rules[1]',
        message:
          'duplicate instance key "test-contracts-limit" (also at accounts[1].rules[0]); give one of them another "id"',
      },
      { path: 'accounts[1].rules[2].warnAt', message: 'must be > 0' },
      { path: 'accounts[1].rules[2].options.limit', message: 'is required' },
      { path: 'accounts[2]', message: 'must have an "id" or a "name" to match the broker account' },
      { path: 'accounts[3].id', message: 'account 1 is already configured at accounts[0]' },
    ]);
    expect(error.message).toContain('invalid rules config (14 problems):\n  rules[0].mode: must be one of');
    expect(error.message).toContain('\n  accounts[1].rules[0].options.limit: must be >= 0');
  });

  it('when two accounts have the same name in different case then the second is refused', () => {
    const error = configError({ accounts: [{ name: 'Combine 50K' }, { name: ' combine 50k' }] });
    expect(error.problems).toEqual([
      {
        path: 'accounts[1].name',
        message: 'account name " combine 50k" is already configured at accounts[0]',
      },
    ]);
  });

  it('when an entry switches a rule off then its options are not required', () => {
    const config = registry.validateConfig({
      rules: [{ rule: 'test-daily-loss', options: { limit: 500 } }],
      accounts: [{ id: 7, rules: [{ rule: 'test-daily-loss', enabled: false }] }],
    });
    expect(config.accounts[0]?.rules[0]).toMatchObject({
      ruleId: 'test-daily-loss',
      enabled: false,
      options: {},
    });
  });

  it('when an entry has unknown keys or wrong types then they are reported, not ignored', () => {
    const error = configError({
      rules: [{ rule: 'test-daily-loss', options: { limit: '500' }, enable: false, id: 'has space' }],
      accounts: [{ id: 'x', rules: {} }],
    });
    expect(error.problems).toEqual([
      { path: 'rules[0].enable', message: 'is not a known property' },
      { path: 'rules[0].id', message: 'must match pattern "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"' },
      { path: 'rules[0].options.limit', message: 'must be number' },
      { path: 'accounts[0].id', message: 'must be integer' },
      { path: 'accounts[0].rules', message: 'must be array' },
    ]);
  });

  it('when rules or accounts are not arrays then that is the problem reported', () => {
    expect(configError({ rules: {}, accounts: 3 }).problems).toEqual([
      { path: 'rules', message: 'must be array' },
      { path: 'accounts', message: 'must be array' },
    ]);
  });

  it('when the config is empty then it validates to no rules and no accounts', () => {
    expect(registry.validateConfig({})).toEqual({ rules: [], accounts: [] });
  });

  it('when warnAt and mode are valid then they are kept', () => {
    const config = registry.validateConfig({
      rules: [
        { rule: 'test-daily-loss', id: 'loss-shadow', options: { limit: 500 }, mode: 'dry-run', warnAt: 0.8 },
      ],
    });
    expect(config.rules[0]).toMatchObject({ instanceId: 'loss-shadow', mode: 'dry-run', warnAt: 0.8 });
  });
});
