import path from 'node:path';
import { loadRulePacks, RuleConfigError, RulePackError, RuleRegistry } from '@riskd/core-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScratchWorkspace } from './support/scratch-workspace.js';

/**
 * A generated pack is what the daemon's loader accepts: it loads by path through core-engine's
 * `loadRulePacks` (the way `rulePacks` in the config names a pack that is not installed from npm),
 * its options schema compiles under the engine's strict ajv and validates config entries, and a
 * second pack defining the same rule id is refused.
 */
describe('a generated rule pack and the loader', () => {
  const first = `loaded-pack-${process.pid}`;
  const second = `other-pack-${process.pid}`;
  let workspace: ScratchWorkspace;
  let firstEntry: string;
  let secondEntry: string;

  beforeAll(async () => {
    workspace = new ScratchWorkspace();
    firstEntry = path.join(await workspace.generate({ name: first }), 'src', 'index.ts');
    secondEntry = path.join(await workspace.generate({ name: second }), 'src', 'index.ts');
  });

  afterAll(() => {
    workspace?.remove();
  });

  it('when loaded by absolute path then the loader returns the pack with its name, version, API version and rules', async () => {
    const [loaded, ...rest] = await loadRulePacks([firstEntry]);

    expect(rest).toEqual([]);
    expect(loaded?.specifier).toBe(firstEntry);
    expect(loaded?.pack.name).toBe(`@riskd/${first}`);
    expect(loaded?.pack.version).toBe('0.1.0');
    expect(loaded?.pack.apiVersion).toBe(1);
    expect(loaded?.pack.rules.map((rule) => rule.id)).toEqual(['max-open-positions']);
  });

  it('when loaded by a path relative to the config folder then it resolves against resolveFrom', async () => {
    const loaded = await loadRulePacks([`./packages/${first}/src/index.ts`], { resolveFrom: workspace.root });

    expect(loaded.map((l) => l.pack.name)).toEqual([`@riskd/${first}`]);
  });

  it('when registered then config entries get the schema defaults and bad options are rejected with their path', async () => {
    const registry = new RuleRegistry(await loadRulePacks([firstEntry]));

    const valid = registry.validateConfig({ rules: [{ rule: 'max-open-positions' }] });
    expect(valid.rules.map((entry) => [entry.ruleId, entry.options])).toEqual([
      ['max-open-positions', { limit: 3 }],
    ]);

    const error: unknown = (() => {
      try {
        registry.validateConfig({ rules: [{ rule: 'max-open-positions', options: { limit: 0 } }] });
        return undefined;
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(RuleConfigError);
    expect((error as RuleConfigError).problems).toEqual([
      { path: 'rules[0].options.limit', message: 'must be >= 1' },
    ]);
  });

  it('when two generated packs define the same rule id then loading both is refused, naming both', async () => {
    const error: unknown = await loadRulePacks([firstEntry, secondEntry]).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(RulePackError);
    expect((error as RulePackError).code).toBe('RULE_PACK_CONFLICT');
    expect((error as RulePackError).message).toContain(`@riskd/${second}`);
    expect((error as RulePackError).message).toContain(
      `rule id "max-open-positions" is already defined by rule pack "@riskd/${first}@0.1.0"`,
    );
  });
});
