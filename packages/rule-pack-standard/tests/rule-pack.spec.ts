import { readFileSync } from 'node:fs';
import { RULE_API_VERSION } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import defaultPack, { rulePack, RULE_PACK_VERSION, standardRules, topstepPresets } from '../src/index.js';

const SPEC_RULE_IDS = [
  'max-contracts',
  'max-contracts-per-symbol',
  'daily-loss-limit',
  'daily-profit-target',
  'position-loss-limit',
  'position-profit-target',
  'account-unrealized-loss',
  'max-loss-limit',
  'trade-frequency',
  'cooldown-after-loss',
  'consecutive-losses',
  'stop-loss-required',
  'trading-session',
  'blackout-windows',
  'symbol-block',
  'no-cross-account-hedge',
  'broker-trading-disabled',
  'stale-market-data',
];

/** Every property schema below `schema`, with its JSON path. */
function properties(schema: Record<string, unknown>, path = ''): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  const props = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
  for (const [key, sub] of Object.entries(props ?? {})) {
    out.push([`${path}/${key}`, sub]);
    out.push(...properties(sub, `${path}/${key}`));
    if (sub['items'] && typeof sub['items'] === 'object')
      out.push(...properties(sub['items'] as Record<string, unknown>, `${path}/${key}[]`));
    if (sub['additionalProperties'] && typeof sub['additionalProperties'] === 'object') {
      out.push(...properties(sub['additionalProperties'] as Record<string, unknown>, `${path}/${key}{}`));
    }
  }
  return out;
}

describe('the standard rule pack', () => {
  it('when loaded then it exports one pack (named and default) with the 18 rules of RULES.md section 3 in order', () => {
    expect(defaultPack).toBe(rulePack);
    expect(rulePack.name).toBe('@riskd/rule-pack-standard');
    expect(rulePack.apiVersion).toBe(RULE_API_VERSION);
    expect(rulePack.rules.map((r) => r.id)).toEqual(SPEC_RULE_IDS);
    expect(rulePack.rules).toBe(standardRules);
  });

  it('when compared with package.json then the pack version is the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(RULE_PACK_VERSION).toBe(pkg.version);
  });

  it('when the admin editor reads a schema then every top-level option has a default and every option a description', () => {
    for (const rule of rulePack.rules) {
      const schema = rule.optionsSchema as Record<string, unknown>;
      expect(schema['type'], rule.id).toBe('object');
      expect(schema['additionalProperties'], rule.id).toBe(false);
      const top = Object.entries((schema['properties'] ?? {}) as Record<string, Record<string, unknown>>);
      for (const [key, sub] of top) expect('default' in sub, `${rule.id}/${key} default`).toBe(true);
      for (const [path, sub] of properties(schema)) {
        expect(typeof sub['description'], `${rule.id}${path} description`).toBe('string');
      }
      expect(rule.title.length, rule.id).toBeGreaterThan(0);
      expect(rule.description.length, rule.id).toBeGreaterThan(0);
      expect(rule.events.length, rule.id).toBeGreaterThan(0);
      expect(typeof rule.compare, rule.id).toBe('function');
    }
  });

  it('when defaults alone are used then every rule can be created', () => {
    for (const rule of rulePack.rules) {
      const defaults = Object.fromEntries(
        Object.entries(
          ((rule.optionsSchema as Record<string, unknown>)['properties'] ?? {}) as Record<
            string,
            Record<string, unknown>
          >,
        ).map(([k, v]) => [k, v['default']]),
      );
      const evaluator = rule.create(defaults as never);
      expect(typeof evaluator.evaluate, rule.id).toBe('function');
      expect(rule.compare?.(defaults as never, structuredClone(defaults) as never), rule.id).toBe('same');
    }
  });

  it('when the Topstep presets expand then they hold the firm limits of RULES.md section 3', () => {
    const byId = Object.fromEntries(topstepPresets.map((p) => [p.id, p]));
    expect(Object.keys(byId)).toEqual(['topstep-50k', 'topstep-100k', 'topstep-150k']);
    const summary = (id: string) => {
      const rules = byId[id]?.rules ?? [];
      const option = (rule: string, key: string) => rules.find((r) => r.rule === rule)?.options?.[key];
      return {
        drawdown: option('max-loss-limit', 'drawdown'),
        stopAt: option('max-loss-limit', 'stopAt'),
        maxContracts: option('max-contracts', 'limit'),
        mnqWeight: (option('max-contracts', 'weights') as Record<string, number>)['MNQ'],
        flatBefore: option('trading-session', 'flatBeforeCloseSeconds'),
      };
    };
    expect(summary('topstep-50k')).toEqual({
      drawdown: 2000,
      stopAt: 50000,
      maxContracts: 5,
      mnqWeight: 0.1,
      flatBefore: 120,
    });
    expect(summary('topstep-100k')).toEqual({
      drawdown: 3000,
      stopAt: 100000,
      maxContracts: 10,
      mnqWeight: 0.1,
      flatBefore: 120,
    });
    expect(summary('topstep-150k')).toEqual({
      drawdown: 4500,
      stopAt: 150000,
      maxContracts: 15,
      mnqWeight: 0.1,
      flatBefore: 120,
    });
    for (const preset of topstepPresets)
      for (const entry of preset.rules) expect(SPEC_RULE_IDS).toContain(entry.rule);
  });
});
