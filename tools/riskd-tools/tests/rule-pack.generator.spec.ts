import { logger, readJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { RULE_API_VERSION } from '@riskd/core-engine';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  GENERATED_RULE_API_VERSION,
  RiskdToolsError,
  rulePackGenerator,
  workspaceGlobCovers,
  type RulePackGeneratorOptions,
} from '../src/index.js';

/** Runs the generator and returns the error it threw (failing the test when it did not throw). */
async function generatorError(tree: Tree, options: RulePackGeneratorOptions): Promise<RiskdToolsError> {
  const error: unknown = await rulePackGenerator(tree, options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(RiskdToolsError);
  return error as RiskdToolsError;
}

function text(tree: Tree, file: string): string {
  const content = tree.read(file, 'utf-8');
  if (content === null) throw new Error(`${file} was not generated`);
  return content;
}

describe('rule-pack generator', () => {
  let tree: Tree;

  afterEach(() => {
    vi.restoreAllMocks();
  });

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace({ formatter: 'prettier' });
    tree.write('.prettierrc', JSON.stringify({ singleQuote: true, printWidth: 110, trailingComma: 'all' }));
    tree.write(
      'package.json',
      JSON.stringify({ name: 'riskd', private: true, workspaces: ['packages/*', 'tools/*', 'e2e'] }),
    );
  });

  it('when given a kebab-case name then it creates the pack under packages/<name> with every file', async () => {
    await rulePackGenerator(tree, { name: 'acme-limits' });

    const created = tree
      .listChanges()
      .filter((change) => change.type === 'CREATE' && change.path.startsWith('packages/'))
      .map((change) => change.path)
      .sort();
    expect(created).toEqual([
      'packages/acme-limits/README.md',
      'packages/acme-limits/package.json',
      'packages/acme-limits/src/index.ts',
      'packages/acme-limits/src/rules/max-open-positions.ts',
      'packages/acme-limits/tests/max-open-positions.spec.ts',
      'packages/acme-limits/tests/rule-context.fake.ts',
      'packages/acme-limits/tests/rule-pack.spec.ts',
      'packages/acme-limits/tsconfig.json',
      'packages/acme-limits/vitest.config.ts',
    ]);
  });

  it('when generated then package.json names the package, its exports, tags, scripts and rule API version', async () => {
    await rulePackGenerator(tree, { name: 'acme-limits' });

    expect(readJson(tree, 'packages/acme-limits/package.json')).toEqual({
      name: '@riskd/acme-limits',
      version: '0.1.0',
      description: "Riskd rule pack acme-limits: risk rules written against Riskd's rule API version 1.",
      type: 'module',
      exports: {
        '.': { '@riskd/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
      },
      files: ['dist', 'README.md'],
      scripts: { lint: 'eslint .', typecheck: 'tsc -p tsconfig.json --noEmit', test: 'vitest run' },
      nx: { name: 'acme-limits', tags: ['type:lib', 'scope:rules'] },
      riskd: { ruleApiVersion: 1 },
      dependencies: { '@riskd/core-engine': '*' },
      peerDependencies: { '@riskd/core-engine': '*' },
    });
  });

  it('when generated then the pack exports a RulePack with its name, version and a literal API version', async () => {
    await rulePackGenerator(tree, { name: 'acme-limits' });

    const index = text(tree, 'packages/acme-limits/src/index.ts');
    expect(index).toContain(`export const RULE_PACK_API_VERSION = ${GENERATED_RULE_API_VERSION};`);
    expect(index).toContain("name: '@riskd/acme-limits',");
    expect(index).toContain("version: '0.1.0',");
    expect(index).toContain('apiVersion: RULE_PACK_API_VERSION,');
    expect(index).toContain('rules: [maxOpenPositionsRule],');
    expect(text(tree, 'packages/acme-limits/src/rules/max-open-positions.ts')).toContain(
      'export const maxOpenPositionsRule = defineRule<MaxOpenPositionsOptions>({',
    );
    expect(text(tree, 'packages/acme-limits/README.md')).toContain('# @riskd/acme-limits');
  });

  it('when the generator repeats the rule API version then it equals core-engine RULE_API_VERSION', () => {
    expect(GENERATED_RULE_API_VERSION).toBe(RULE_API_VERSION);
  });

  it('when generated under packages then tsconfig and vitest config reach the workspace root two levels up', async () => {
    await rulePackGenerator(tree, { name: 'acme-limits' });

    expect(readJson(tree, 'packages/acme-limits/tsconfig.json')).toEqual({
      extends: '../../tsconfig.base.json',
      include: ['src', 'tests', '*.ts'],
    });
    expect(text(tree, 'packages/acme-limits/vitest.config.ts')).toBe(
      "import { defineProjectConfig } from '../../vitest.shared.js';\n\n" +
        'export default defineProjectConfig(import.meta.dirname);\n',
    );
  });

  it('when given --directory and --importPath then it uses them, with root paths at the right depth', async () => {
    await rulePackGenerator(tree, {
      name: 'acme-limits',
      directory: './packages/vendors/acme/',
      importPath: '@acme/riskd-limits',
    });

    expect(tree.exists('packages/acme-limits')).toBe(false);
    const manifest = readJson<{ name: string; nx: { name: string } }>(
      tree,
      'packages/vendors/acme/package.json',
    );
    expect(manifest.name).toBe('@acme/riskd-limits');
    expect(manifest.nx.name).toBe('acme-limits');
    expect(readJson(tree, 'packages/vendors/acme/tsconfig.json')).toMatchObject({
      extends: '../../../tsconfig.base.json',
    });
    expect(text(tree, 'packages/vendors/acme/vitest.config.ts')).toContain(
      "from '../../../vitest.shared.js'",
    );
    expect(text(tree, 'packages/vendors/acme/src/index.ts')).toContain("name: '@acme/riskd-limits',");
  });

  it('when formatted then Prettier has run over the files, and skipFormat leaves the templates as written', async () => {
    const unformatted = createTreeWithEmptyWorkspace({ formatter: 'prettier' });
    await rulePackGenerator(tree, { name: 'acme-limits' });
    await rulePackGenerator(unformatted, { name: 'acme-limits', skipFormat: true });

    // Prettier pads the README's table separator row; the template writes it compactly.
    expect(text(unformatted, 'packages/acme-limits/README.md')).toContain('|---|---|');
    expect(text(tree, 'packages/acme-limits/README.md')).not.toContain('|---|---|');
    expect(text(tree, 'packages/acme-limits/README.md')).toMatch(/\| -{3,} \| -{3,} \|/);
  });

  it.each([
    ['AcmeLimits', 'is not kebab-case'],
    ['acme_limits', 'is not kebab-case'],
    ['acme--limits', 'is not kebab-case'],
    ['-acme', 'is not kebab-case'],
    ['acme-', 'is not kebab-case'],
    ['1acme', 'is not kebab-case'],
    ['', 'is not kebab-case'],
  ])('when the name is %j then it is rejected before anything is written', async (name, message) => {
    const error = await generatorError(tree, { name });

    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toBe(
      `rule pack name ${JSON.stringify(name)} ${message}: use lowercase letters and digits in words separated ` +
        'by single hyphens, starting with a letter (e.g. "acme-limits")',
    );
    expect(tree.listChanges().filter((change) => change.path.startsWith('packages/'))).toEqual([]);
  });

  it('when the import path is not an npm package name then it is rejected', async () => {
    const error = await generatorError(tree, { name: 'acme-limits', importPath: '@Acme/Limits' });

    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toBe(
      'import path "@Acme/Limits" is not a valid npm package name (e.g. "@acme/riskd-rules")',
    );
  });

  it.each([['../outside'], ['/abs/pack'], ['.']])(
    'when the directory is %j then it is rejected as not inside the workspace',
    async (directory) => {
      const error = await generatorError(tree, { name: 'acme-limits', directory });

      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.message).toMatch(
        /^directory ".*" (must be a folder relative to the workspace root|is outside the workspace)/,
      );
    },
  );

  it('when the target folder already has files then it refuses to overwrite them', async () => {
    tree.write('packages/acme-limits/notes.md', '# mine');

    const error = await generatorError(tree, { name: 'acme-limits' });

    expect(error.code).toBe('TARGET_EXISTS');
    expect(error.message).toBe('packages/acme-limits already exists; choose another name or --directory');
    expect(text(tree, 'packages/acme-limits/notes.md')).toBe('# mine');
  });

  it('when a project already has the name or the package name then it is rejected', async () => {
    tree.write(
      'packages/core/package.json',
      JSON.stringify({ name: '@riskd/core-engine', nx: { name: 'core-engine', tags: [] } }),
    );
    tree.write('packages/core/project.json', JSON.stringify({ name: 'core-engine', root: 'packages/core' }));

    const byName = await generatorError(tree, { name: 'core-engine', directory: 'packages/other' });
    const byPackage = await generatorError(tree, { name: 'other', importPath: '@riskd/core-engine' });

    expect([byName.code, byName.message]).toEqual([
      'TARGET_EXISTS',
      'an Nx project named "core-engine" already exists in packages/core',
    ]);
    expect([byPackage.code, byPackage.message]).toEqual([
      'TARGET_EXISTS',
      'package @riskd/core-engine already exists in packages/core',
    ]);
  });

  it('when the folder is outside the root workspaces then it still generates, warning that npm and Nx will not see it', async () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);

    await rulePackGenerator(tree, { name: 'acme-limits', directory: 'rule-packs/acme-limits' });

    expect(tree.exists('rule-packs/acme-limits/package.json')).toBe(true);
    expect(warn.mock.calls).toEqual([
      [
        'rule-packs/acme-limits is not covered by the root package.json "workspaces" (packages/*, tools/*, e2e): ' +
          'npm will not link the pack and Nx will not see it as a project until you add it there.',
      ],
    ]);
  });

  it('when the folder is inside the root workspaces then nothing is warned', async () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);

    await rulePackGenerator(tree, { name: 'acme-limits' });

    expect(warn).not.toHaveBeenCalled();
  });

  it('when matching workspace globs then dir/* covers direct children only, dir/** any depth, others exactly', () => {
    expect(workspaceGlobCovers('packages/*', 'packages/acme')).toBe(true);
    expect(workspaceGlobCovers('packages/*', 'packages/vendors/acme')).toBe(false);
    expect(workspaceGlobCovers('./packages/**', 'packages/vendors/acme')).toBe(true);
    expect(workspaceGlobCovers('e2e', 'e2e')).toBe(true);
    expect(workspaceGlobCovers('e2e', 'tools/acme')).toBe(false);
  });
});
