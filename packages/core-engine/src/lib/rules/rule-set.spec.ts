import { describe, expect, it } from 'vitest';
import { TEST_RULE_PACK } from '../risk/test-rules.fake.js';
import { RULE_API_VERSION, type RulePack } from './rule-api.js';
import { RuleConfigError } from './rule-errors.js';
import { RuleRegistry } from './rule-registry.js';
import { resolveRuleSet, type AccountRuleSet } from './rule-set.js';

const registry = new RuleRegistry([TEST_RULE_PACK]);

function summary(set: AccountRuleSet): string[] {
  return set.instances.map((i) => `${i.instanceId}:${i.ruleId}:${JSON.stringify(i.options)}:${i.mode}`);
}

describe('resolveRuleSet', () => {
  const ruleSet = resolveRuleSet(registry, {
    rules: [
      { rule: 'test-daily-loss', options: { limit: 1000 } },
      { rule: 'test-contracts-limit', id: 'contracts', options: { limit: 10 }, warnAt: 0.8 },
    ],
    accounts: [
      { id: 1, preset: 'test-small' },
      {
        id: 2,
        preset: 'test-small',
        rules: [
          { rule: 'test-contracts-limit', options: { limit: 1, countWorkingOrders: false } },
          { rule: 'test-daily-loss', options: { limit: 300 }, mode: 'alert-only' },
        ],
      },
      { id: 3, rules: [{ rule: 'test-daily-loss', enabled: false }] },
      { id: 4, enabled: false },
      { name: 'Combine-50K-77', rules: [{ rule: 'test-daily-loss', options: { limit: 250 } }] },
    ],
  });

  it('when an account is not listed then it gets the universal rules', () => {
    expect(summary(ruleSet.forAccount(99))).toEqual([
      'test-daily-loss:test-daily-loss:{"limit":1000}:enforce',
      'contracts:test-contracts-limit:{"limit":10,"countWorkingOrders":true}:enforce',
    ]);
    expect(ruleSet.forAccount(99).source).toBeUndefined();
  });

  it('when an account has a preset then the preset entries come after the universal ones and replace same keys', () => {
    // The preset's daily loss (key test-daily-loss) replaces the universal one in place; its
    // contracts limit has the key test-contracts-limit, different from the universal "contracts".
    expect(summary(ruleSet.forAccount(1))).toEqual([
      'test-daily-loss:test-daily-loss:{"limit":500}:enforce',
      'contracts:test-contracts-limit:{"limit":10,"countWorkingOrders":true}:enforce',
      'test-contracts-limit:test-contracts-limit:{"limit":2,"countWorkingOrders":true}:enforce',
    ]);
    expect(ruleSet.forAccount(1).source).toBe('accounts[0]');
  });

  it("when an account's own entry has the preset's key then it replaces it whole (no deep merge)", () => {
    expect(summary(ruleSet.forAccount(2))).toEqual([
      'test-daily-loss:test-daily-loss:{"limit":300}:alert-only',
      'contracts:test-contracts-limit:{"limit":10,"countWorkingOrders":true}:enforce',
      'test-contracts-limit:test-contracts-limit:{"limit":1,"countWorkingOrders":false}:enforce',
    ]);
  });

  it('when an account entry says enabled false then that universal instance is off for that account only', () => {
    expect(summary(ruleSet.forAccount(3))).toEqual([
      'contracts:test-contracts-limit:{"limit":10,"countWorkingOrders":true}:enforce',
    ]);
    expect(ruleSet.forAccount(3).protected).toBe(true);
  });

  it('when an account is configured enabled false then it is not protected and has no instances', () => {
    const set = ruleSet.forAccount(4);
    expect(set.protected).toBe(false);
    expect(set.instances).toEqual([]);
  });

  it('when an account is matched by name then case and blanks do not matter', () => {
    expect(summary(ruleSet.forAccount(5, ' combine-50k-77 '))[0]).toBe(
      'test-daily-loss:test-daily-loss:{"limit":250}:enforce',
    );
  });

  it("when an account's name becomes known later then its instances are rebuilt for the matching entry", () => {
    const before = ruleSet.forAccount(6);
    expect(before.source).toBeUndefined();
    expect(ruleSet.forAccount(6)).toBe(before);
    const after = ruleSet.forAccount(6, 'COMBINE-50K-77');
    expect(after).not.toBe(before);
    expect(after.source).toBe('accounts[4]');
    // Same name again: cached.
    expect(ruleSet.forAccount(6, 'COMBINE-50K-77')).toBe(after);
    // A name that matches nothing new keeps the same set.
    expect(ruleSet.forAccount(7, 'other')).toBe(ruleSet.forAccount(7, 'another'));
  });

  it('when an account matches by id then a name for another entry does not move it', () => {
    expect(ruleSet.forAccount(1, 'Combine-50K-77').source).toBe('accounts[0]');
  });

  it('when two accounts have the same rule then each gets its own evaluator', () => {
    const a = ruleSet.forAccount(1).instance('test-daily-loss');
    const b = ruleSet.forAccount(99).instance('test-daily-loss');
    expect(a?.evaluator).toBeDefined();
    expect(a?.evaluator).not.toBe(b?.evaluator);
    expect(a?.info).toEqual({
      accountId: 1,
      ruleId: 'test-daily-loss',
      instanceId: 'test-daily-loss',
      mode: 'enforce',
      warnAt: undefined,
    });
  });

  it('when instances are asked for by event kind then only those wanting it are returned', () => {
    const set = ruleSet.forAccount(99);
    expect(set.instancesFor('quote').map((i) => i.instanceId)).toEqual(['test-daily-loss']);
    expect(set.instancesFor('order').map((i) => i.instanceId)).toEqual(['contracts']);
    expect(set.instancesFor('fill').map((i) => i.instanceId)).toEqual(['test-daily-loss', 'contracts']);
    expect(set.instancesFor('connection')).toEqual([]);
  });

  it('when entries are listed for an account then they match its instances without creating evaluators', () => {
    expect(ruleSet.entriesFor(2).map((e) => `${e.instanceId}:${e.mode}`)).toEqual([
      'test-daily-loss:alert-only',
      'contracts:enforce',
      'test-contracts-limit:enforce',
    ]);
    expect(ruleSet.entriesFor(4)).toEqual([]);
  });

  it("when a rule's create() refuses its options then resolution fails with the entry's path", () => {
    const picky: RulePack = {
      name: 'picky',
      version: '1.0.0',
      apiVersion: RULE_API_VERSION,
      rules: [
        {
          id: 'picky-rule',
          title: 'Picky',
          description: '',
          optionsSchema: { type: 'object', properties: { n: { type: 'number', description: 'n' } } },
          events: ['fill'],
          create: (options: { n?: number }) => {
            if (options.n === 13) throw new Error('13 is unlucky');
            return { evaluate: () => [] };
          },
        },
      ],
    };
    let error: unknown;
    try {
      resolveRuleSet(new RuleRegistry([picky]), {
        accounts: [{ id: 1, rules: [{ rule: 'picky-rule', options: { n: 13 } }] }],
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RuleConfigError);
    expect((error as RuleConfigError).problems).toEqual([
      {
        path: 'accounts[0].rules[0].options',
        message: 'rule "picky-rule" refused these options: 13 is unlucky',
      },
    ]);
  });

  it('when create() fails later for one account then that instance throws on evaluation instead of breaking resolution', () => {
    let created = 0;
    const flaky: RulePack = {
      name: 'flaky',
      version: '1.0.0',
      apiVersion: RULE_API_VERSION,
      rules: [
        {
          id: 'flaky-rule',
          title: 'Flaky',
          description: '',
          optionsSchema: { type: 'object', properties: {} },
          events: ['fill'],
          create: () => {
            if (++created > 1) throw new Error('out of luck');
            return { evaluate: () => [] };
          },
        },
      ],
    };
    const set = resolveRuleSet(new RuleRegistry([flaky]), { rules: [{ rule: 'flaky-rule' }] }).forAccount(1);
    const instance = set.instance('flaky-rule');
    expect(instance).toBeDefined();
    expect(() => instance?.evaluator.evaluate(undefined as never, undefined as never)).toThrow('out of luck');
  });

  it('when the config is invalid then resolveRuleSet throws the RuleConfigError of validation', () => {
    expect(() => resolveRuleSet(registry, { rules: [{ rule: 'nope' }] })).toThrow(RuleConfigError);
  });
});
