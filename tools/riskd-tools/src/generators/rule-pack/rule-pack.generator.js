// @ts-check
// Plain ESM JavaScript on purpose: Nx loads generators with Node itself, and on Node 20 without
// a TypeScript loader (swc-node or ts-node, neither is a dependency of Riskd) it cannot load a
// `.ts` generator. JSDoc types keep it type-checked (`allowJs` + `checkJs` in tsconfig.json).
import path from 'node:path';
import {
  formatFiles,
  generateFiles,
  getProjects,
  logger,
  normalizePath,
  offsetFromRoot,
  OverwriteStrategy,
  readJson,
  writeJson,
} from '@nx/devkit';
import { RiskdToolsError } from '../../lib/riskd-tools.errors.js';

/**
 * The rule API major that generated packs are written for. It must equal core-engine's
 * `RULE_API_VERSION` (a test pins it): this file runs in plain Node, which cannot import
 * core-engine's TypeScript sources, so the value is repeated here.
 */
export const GENERATED_RULE_API_VERSION = 1;

/** Version a new pack starts at. */
export const INITIAL_PACK_VERSION = '0.1.0';

/** Kebab-case: lowercase words of letters and digits, separated by single hyphens, starting with a letter. */
export const RULE_PACK_NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** npm package names, optionally scoped (lowercase, at most 214 characters). */
const PACKAGE_NAME_PATTERN = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/**
 * Options of the `rule-pack` generator (schema.json).
 * @typedef {object} RulePackGeneratorOptions
 * @property {string} name Kebab-case name: the Nx project name, the folder name and, by default, `@riskd/<name>`.
 * @property {string} [directory] Folder of the package relative to the workspace root (default `packages/<name>`).
 * @property {string} [importPath] npm package name (default `@riskd/<name>`).
 * @property {boolean} [skipFormat] Do not run Prettier over the generated files.
 */

/**
 * Options after defaults and validation.
 * @typedef {object} NormalizedRulePackOptions
 * @property {string} name
 * @property {string} directory
 * @property {string} importPath
 * @property {boolean} skipFormat
 */

/**
 * `nx g @riskd/tools:rule-pack <name>`: scaffolds a publishable rule pack (package.json, tsconfig,
 * vitest config, `src/index.ts` exporting the `RulePack`, the example rule `max-open-positions`
 * with its tests, a README). Throws a {@link RiskdToolsError} (`INVALID_OPTIONS`,
 * `TARGET_EXISTS`) before writing anything when the options cannot work.
 *
 * @param {import('@nx/devkit').Tree} tree
 * @param {RulePackGeneratorOptions} options
 * @returns {Promise<() => void>} prints the next steps once the files are written
 */
export async function rulePackGenerator(tree, options) {
  const normalized = normalizeRulePackOptions(tree, options);
  warnIfOutsideWorkspaces(tree, normalized.directory);

  generateFiles(
    tree,
    path.join(import.meta.dirname, 'files'),
    normalized.directory,
    {
      tmpl: '',
      name: normalized.name,
      importPath: normalized.importPath,
      packVersion: INITIAL_PACK_VERSION,
      ruleApiVersion: GENERATED_RULE_API_VERSION,
      offsetFromRoot: offsetFromRoot(normalized.directory),
    },
    { overwriteStrategy: OverwriteStrategy.ThrowIfExisting },
  );
  writeJson(tree, path.posix.join(normalized.directory, 'package.json'), packageJsonOf(normalized));

  if (!normalized.skipFormat) await formatFiles(tree);

  return () => {
    logger.info(
      [
        `Rule pack ${normalized.importPath} created in ${normalized.directory}.`,
        `  npm install                          links it into the workspace`,
        `  npx nx run ${normalized.name}:test   runs its tests (also :lint, :typecheck)`,
        `List "${normalized.importPath}" under "rulePacks" in the Riskd config to load it.`,
      ].join('\n'),
    );
  };
}

/**
 * Applies defaults and checks the options against the workspace.
 *
 * @param {import('@nx/devkit').Tree} tree
 * @param {RulePackGeneratorOptions} options
 * @returns {NormalizedRulePackOptions}
 */
export function normalizeRulePackOptions(tree, options) {
  const name = typeof options.name === 'string' ? options.name.trim() : '';
  if (!RULE_PACK_NAME_PATTERN.test(name)) {
    throw new RiskdToolsError(
      'INVALID_OPTIONS',
      `rule pack name ${JSON.stringify(options.name ?? '')} is not kebab-case: use lowercase letters and digits in ` +
        `words separated by single hyphens, starting with a letter (e.g. "acme-limits")`,
    );
  }

  const directory = normalizeDirectory(options.directory ?? `packages/${name}`);
  const importPath = options.importPath ?? `@riskd/${name}`;
  if (!PACKAGE_NAME_PATTERN.test(importPath) || importPath.length > 214) {
    throw new RiskdToolsError(
      'INVALID_OPTIONS',
      `import path ${JSON.stringify(importPath)} is not a valid npm package name (e.g. "@acme/riskd-rules")`,
    );
  }

  if (tree.exists(directory) && (tree.isFile(directory) || tree.children(directory).length > 0)) {
    throw new RiskdToolsError(
      'TARGET_EXISTS',
      `${directory} already exists; choose another name or --directory`,
    );
  }
  for (const [projectName, project] of getProjects(tree)) {
    if (projectName === name) {
      throw new RiskdToolsError(
        'TARGET_EXISTS',
        `an Nx project named "${name}" already exists in ${project.root}`,
      );
    }
    const manifest = path.posix.join(project.root, 'package.json');
    if (tree.exists(manifest) && readJson(tree, manifest).name === importPath) {
      throw new RiskdToolsError('TARGET_EXISTS', `package ${importPath} already exists in ${project.root}`);
    }
  }

  return { name, directory, importPath, skipFormat: options.skipFormat === true };
}

/**
 * A workspace-relative folder: forward slashes, no leading `./` or trailing `/`, never outside
 * the workspace.
 *
 * @param {string} directory
 * @returns {string}
 */
function normalizeDirectory(directory) {
  const posix = normalizePath(directory.trim());
  const normalized = path.posix
    .normalize(posix)
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
  if (
    normalized === '' ||
    normalized === '.' ||
    path.posix.isAbsolute(normalized) ||
    /^[A-Za-z]:/.test(normalized)
  ) {
    throw new RiskdToolsError(
      'INVALID_OPTIONS',
      `directory ${JSON.stringify(directory)} must be a folder relative to the workspace root (e.g. "packages/acme-limits")`,
    );
  }
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new RiskdToolsError(
      'INVALID_OPTIONS',
      `directory ${JSON.stringify(directory)} is outside the workspace`,
    );
  }
  return normalized;
}

/**
 * npm links, and Nx sees as projects, only the folders the root `workspaces` globs cover. A pack
 * elsewhere still generates (some keep packs in a separate folder on purpose) but says so.
 *
 * @param {import('@nx/devkit').Tree} tree
 * @param {string} directory
 */
function warnIfOutsideWorkspaces(tree, directory) {
  if (!tree.exists('package.json')) return;
  /** @type {{ workspaces?: string[] | { packages?: string[] } }} */
  const root = readJson(tree, 'package.json');
  const globs = Array.isArray(root.workspaces) ? root.workspaces : (root.workspaces?.packages ?? []);
  if (globs.some((glob) => workspaceGlobCovers(glob, directory))) return;
  logger.warn(
    `${directory} is not covered by the root package.json "workspaces" (${globs.join(', ') || 'none'}): ` +
      'npm will not link the pack and Nx will not see it as a project until you add it there.',
  );
}

/**
 * The workspace globs npm understands in practice: `dir/*`, `dir/**` and exact folders.
 *
 * @param {string} glob
 * @param {string} directory
 * @returns {boolean}
 */
export function workspaceGlobCovers(glob, directory) {
  const pattern = path.posix
    .normalize(glob)
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
  if (pattern.endsWith('/**')) return directory.startsWith(pattern.slice(0, -2));
  if (pattern.endsWith('/*')) return path.posix.dirname(directory) === pattern.slice(0, -2);
  return pattern === directory;
}

/**
 * The generated package.json. Written as JSON rather than from a template so that it is always
 * valid JSON whatever the names are.
 *
 * @param {NormalizedRulePackOptions} options
 */
function packageJsonOf(options) {
  return {
    name: options.importPath,
    version: INITIAL_PACK_VERSION,
    description: `Riskd rule pack ${options.name}: risk rules written against Riskd's rule API version ${GENERATED_RULE_API_VERSION}.`,
    type: 'module',
    exports: {
      '.': {
        '@riskd/source': './src/index.ts',
        types: './dist/index.d.ts',
        default: './dist/index.js',
      },
    },
    files: ['dist', 'README.md'],
    scripts: {
      lint: 'eslint .',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      test: 'vitest run',
    },
    nx: {
      name: options.name,
      tags: ['type:lib', 'scope:rules'],
    },
    // Read by people and tools before the pack is imported; the loader checks `rulePack.apiVersion`.
    riskd: {
      ruleApiVersion: GENERATED_RULE_API_VERSION,
    },
    dependencies: {
      '@riskd/core-engine': '*',
    },
    peerDependencies: {
      '@riskd/core-engine': '*',
    },
  };
}
