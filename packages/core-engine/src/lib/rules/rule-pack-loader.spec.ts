import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RULE_API_VERSION } from './rule-api.js';
import { RulePackError } from './rule-errors.js';
import { isPathSpecifier, loadRulePacks } from './rule-pack-loader.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');

async function loadError(specifiers: string[], resolveFrom = fixtures): Promise<RulePackError> {
  const error: unknown = await loadRulePacks(specifiers, { resolveFrom }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(RulePackError);
  return error as RulePackError;
}

describe('loadRulePacks', () => {
  const temp = mkdtempSync(path.join(os.tmpdir(), 'riskd-packs-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('when packs are given by relative path then the default and the named export are both loaded', async () => {
    const loaded = await loadRulePacks(['./good-pack.fixture.ts', './named-pack.fixture.ts'], {
      resolveFrom: fixtures,
    });
    expect(loaded.map((l) => l.pack.name)).toEqual(['fixture-good-pack', 'fixture-named-pack']);
    expect(loaded[0]?.specifier).toBe('./good-pack.fixture.ts');
    expect(loaded[0]?.url).toMatch(/^file:.*good-pack\.fixture\.ts$/);
    expect(loaded[1]?.pack.rules.map((r) => r.id)).toEqual(['fixture-always-alert']);
  });

  it('when a pack is given by absolute path then it loads whatever resolveFrom is', async () => {
    const loaded = await loadRulePacks([path.join(fixtures, 'good-pack.fixture.ts')], { resolveFrom: temp });
    expect(loaded[0]?.pack.version).toBe('1.2.3');
  });

  it('when a pack is given by npm package name then it is resolved from resolveFrom', async () => {
    const dir = path.join(temp, 'node_modules', 'riskd-pack-fixture');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: 'riskd-pack-fixture',
        version: '3.0.0',
        type: 'module',
        exports: { '.': './index.js' },
      }),
    );
    writeFileSync(
      path.join(dir, 'index.js'),
      `export const rulePack = { name: 'riskd-pack-fixture', version: '3.0.0', apiVersion: ${RULE_API_VERSION}, rules: [
        { id: 'npm-rule', title: 'From npm', description: '', optionsSchema: { type: 'object', properties: {} },
          events: ['fill'], create: () => ({ evaluate: () => [] }) } ] };\n`,
    );
    const loaded = await loadRulePacks(['riskd-pack-fixture'], { resolveFrom: temp });
    expect(loaded[0]?.pack.name).toBe('riskd-pack-fixture');
    expect(loaded[0]?.pack.rules[0]?.id).toBe('npm-rule');
  });

  it('when a package cannot be found then the error is RULE_PACK_NOT_FOUND naming it and the directory', async () => {
    const error = await loadError(['riskd-no-such-pack'], temp);
    expect(error.code).toBe('RULE_PACK_NOT_FOUND');
    expect(error.message).toContain('riskd-no-such-pack');
    expect(error.message).toContain(temp);
  });

  it('when a path does not exist then the error is RULE_PACK_NOT_FOUND with the full path', async () => {
    const error = await loadError(['./missing-pack.js']);
    expect(error.code).toBe('RULE_PACK_NOT_FOUND');
    expect(error.message).toContain(path.join(fixtures, 'missing-pack.js'));
  });

  it('when a pack declares another apiVersion then the error names the pack, its version and the supported one', async () => {
    const error = await loadError(['./bad-api-version.fixture.ts']);
    expect(error.code).toBe('RULE_PACK_API_VERSION');
    expect(error.message).toBe(
      `rule pack "fixture-future-pack@9.0.0" (./bad-api-version.fixture.ts): was written for rule API version 2; this Riskd supports rule API version ${RULE_API_VERSION}`,
    );
  });

  it('when two packs define the same rule id then the error names both packs', async () => {
    const error = await loadError(['./good-pack.fixture.ts', './duplicate-rule.fixture.ts']);
    expect(error.code).toBe('RULE_PACK_CONFLICT');
    expect(error.message).toBe(
      'rule pack "fixture-duplicate-pack@2.0.0" (./duplicate-rule.fixture.ts): rule id "fixture-max-loss" is already defined by rule pack "fixture-good-pack@1.2.3" (./good-pack.fixture.ts)',
    );
  });

  it('when the same pack is listed twice then it is refused as a conflict', async () => {
    const error = await loadError(['./good-pack.fixture.ts', path.join(fixtures, 'good-pack.fixture.ts')]);
    expect(error.code).toBe('RULE_PACK_CONFLICT');
    expect(error.message).toContain('is loaded twice');
  });

  it('when a pack is malformed then every problem is listed', async () => {
    const error = await loadError(['./malformed-pack.fixture.ts']);
    expect(error.code).toBe('RULE_PACK_INVALID');
    expect(error.problems).toEqual([
      '"version" must be a non-empty string',
      'rules[0]: "id" must be a kebab-case string such as "daily-loss-limit"',
      'rules[1] ("no-schema"): "optionsSchema" must be a JSON Schema object',
      'rules[2] ("no-create"): "create" must be a function returning an evaluator',
      'rules[2] ("no-create"): unknown event kind "tick" (known: fill, order, position, account, quote, contract, connection, timer, reset)',
      'rules[2] ("no-create"): option "limit" has no "description"',
    ]);
    expect(error.message).toContain('rule pack "fixture-malformed-pack" (./malformed-pack.fixture.ts):');
  });

  it('when a module exports no pack then the error says what to export', async () => {
    const error = await loadError(['./no-export.fixture.ts']);
    expect(error.code).toBe('RULE_PACK_INVALID');
    expect(error.message).toContain('expected a named export "rulePack" or a default export');
  });

  it('when a module throws while loading then the error carries its message and cause', async () => {
    const error = await loadError(['./throws-on-import.fixture.ts']);
    expect(error.code).toBe('RULE_PACK_INVALID');
    expect(error.message).toContain('fixture pack exploded while loading');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('when a specifier starts with ./, ../, / or file: then it is a path, else a package name', () => {
    expect(
      ['./a.js', '../a.js', '/abs/a.js', 'file:///a.js', 'C:\\packs\\a.js'].map(isPathSpecifier),
    ).toEqual([true, true, true, true, true]);
    expect(['@acme/riskd-rules', 'riskd-rules', 'riskd-rules/sub'].map(isPathSpecifier)).toEqual([
      false,
      false,
      false,
    ]);
  });
});
