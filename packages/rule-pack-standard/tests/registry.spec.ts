import { RuleConfigError, RuleRegistry, resolveRuleSet } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { rulePack } from '../src/index.js';
import { REGISTRY } from './harness.js';

describe('the pack in the real registry', () => {
  it('when the registry loads the pack then every options schema compiles under strict ajv and every preset validates', () => {
    expect(REGISTRY.ruleIds()).toHaveLength(18);
    expect(REGISTRY.presetIds()).toEqual(['topstep-100k', 'topstep-150k', 'topstep-50k']);
    expect(() => new RuleRegistry([rulePack])).not.toThrow();
  });

  it('when every rule is configured with no options then the defaults validate and every rule is created', () => {
    const set = resolveRuleSet(REGISTRY, { rules: rulePack.rules.map((r) => ({ rule: r.id })) });
    expect(set.forAccount(1).instances.map((i) => i.ruleId)).toEqual(rulePack.rules.map((r) => r.id));
    const dll = set.forAccount(1).instance('daily-loss-limit');
    expect(dll?.options).toEqual({ limit: 1000, basis: 'combined', trailing: 'none' });
  });

  it('when a preset account adds its own stricter entry then it replaces the preset entry (same instance key)', () => {
    const set = resolveRuleSet(REGISTRY, {
      rules: [],
      accounts: [{ id: 1, preset: 'topstep-50k', rules: [{ rule: 'max-contracts', options: { limit: 3 } }] }],
    });
    const instances = set.forAccount(1).instances;
    expect(instances.map((i) => i.instanceId)).toEqual([
      'max-loss-limit',
      'max-contracts',
      'trading-session',
    ]);
    expect(set.forAccount(1).instance('max-contracts')?.options['limit']).toBe(3);
    expect(set.forAccount(1).instance('max-loss-limit')?.options).toMatchObject({
      drawdown: 2000,
      highWaterMark: 50000,
      stopAt: 50000,
    });
  });

  it('when options are wrong then the registry lists every problem with its path', () => {
    let error: unknown;
    try {
      resolveRuleSet(REGISTRY, {
        rules: [
          { rule: 'daily-loss-limit', options: { limit: -5, basis: 'net' } },
          { rule: 'trade-frequency', options: { perMinute: { limit: 3, cooldown: '5 minutes' } } },
          { rule: 'symbol-block', options: { symbols: ['mnq'] } },
          { rule: 'blackout-windows', options: { windows: [{ start: '8:30', end: '08:35' }] } },
        ],
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RuleConfigError);
    expect((error as RuleConfigError).problems).toEqual([
      { path: 'rules[0].options.limit', message: 'must be > 0' },
      { path: 'rules[0].options.basis', message: 'must be one of "combined", "realized"' },
      { path: 'rules[1].options.perMinute.cooldown', message: expect.stringContaining('must match pattern') },
      { path: 'rules[2].options.symbols[0]', message: 'must match pattern "^[A-Z0-9*?]{1,12}$"' },
      { path: 'rules[3].options.windows[0].start', message: expect.stringContaining('must match pattern') },
    ]);
  });

  it('when options pass the schema but cannot work then create() refuses them and the registry reports it', () => {
    expect(() =>
      resolveRuleSet(REGISTRY, {
        rules: [
          {
            rule: 'blackout-windows',
            options: { windows: [{ start: '08:30', end: '08:35', days: ['mon'], date: '2026-01-05' }] },
          },
          { rule: 'trading-session', options: { perSymbol: { ES: {} } } },
          {
            rule: 'blackout-windows',
            id: 'fomc',
            options: { windows: [{ start: '08:30', end: '08:35', date: '2026-02-31' }] },
          },
        ],
      }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          {
            path: 'rules[0].options',
            message:
              'rule "blackout-windows" refused these options: blackout-windows: /windows/0: give either days (weekly) or date (one day), not both',
          },
          {
            path: 'rules[1].options',
            message:
              'rule "trading-session" refused these options: trading-session: /perSymbol/ES: has no window; use symbol-block to block a symbol',
          },
          {
            path: 'rules[2].options',
            message:
              'rule "blackout-windows" refused these options: blackout-windows: /windows/0/date: 2026-02-31 is not a calendar date',
          },
        ],
      }),
    );
  });
});
