import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RulePack } from './rule-api.js';
import { RulePackError } from './rule-errors.js';
import { assertNoPackConflicts, assertRulePack } from './rule-pack.js';

/** Options of {@link loadRulePacks}. */
export interface LoadRulePacksOptions {
  /**
   * Directory that package names and relative paths are resolved from: the daemon's installation
   * directory for package names, the config file's directory for paths. Defaults to `process.cwd()`.
   */
  readonly resolveFrom?: string;
}

/** A rule pack and where it came from. */
export interface LoadedRulePack {
  /** The specifier as configured (`@acme/riskd-rules`, `./packs/my-pack.js`). */
  readonly specifier: string;
  /** The module URL it was imported from. */
  readonly url: string;
  readonly pack: RulePack;
}

/**
 * Loads the configured rule packs (`rulePacks` in the config) by npm package name or by path
 * (relative paths against `resolveFrom`, absolute paths, `file:` URLs) with a dynamic `import()`.
 * A pack module exports its {@link RulePack} as a named export `rulePack` or as the default export.
 *
 * Refuses, with a {@link RulePackError} naming the pack: a module that cannot be found or
 * imported (`RULE_PACK_NOT_FOUND` / `RULE_PACK_INVALID`), one without a pack export or with a
 * malformed pack (`RULE_PACK_INVALID`, every problem listed), a pack written for another rule API
 * version (`RULE_PACK_API_VERSION`), and packs that collide with each other (`RULE_PACK_CONFLICT`:
 * the same pack twice, a rule or preset id defined by two packs, naming both).
 */
export async function loadRulePacks(
  specifiers: readonly string[],
  options: LoadRulePacksOptions = {},
): Promise<LoadedRulePack[]> {
  const resolveFrom = path.resolve(options.resolveFrom ?? process.cwd());
  const loaded: LoadedRulePack[] = [];
  for (const specifier of specifiers) loaded.push(await loadRulePack(specifier, resolveFrom));
  assertNoPackConflicts(loaded.map((l) => ({ pack: l.pack, source: l.specifier })));
  return loaded;
}

async function loadRulePack(specifier: string, resolveFrom: string): Promise<LoadedRulePack> {
  const url = resolveSpecifier(specifier, resolveFrom);
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch (err) {
    throw new RulePackError(
      'RULE_PACK_NOT_FOUND',
      specifier,
      [`not a usable file URL: ${errorMessage(err)}`],
      {
        cause: err,
      },
    );
  }
  if (!existsSync(file)) throw new RulePackError('RULE_PACK_NOT_FOUND', specifier, [`no module at ${file}`]);
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new RulePackError('RULE_PACK_INVALID', specifier, [`failed to load: ${errorMessage(err)}`], {
      cause: err,
    });
  }
  const exported = module['rulePack'] ?? module['default'];
  if (exported === undefined) {
    throw new RulePackError('RULE_PACK_INVALID', specifier, [
      'exports no rule pack (expected a named export "rulePack" or a default export)',
    ]);
  }
  return Object.freeze({ specifier, url, pack: assertRulePack(exported, specifier) });
}

/** True for specifiers that name a file rather than an npm package. */
export function isPathSpecifier(specifier: string): boolean {
  return (
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    specifier === '.' ||
    specifier === '..' ||
    specifier.startsWith('file:') ||
    path.isAbsolute(specifier) ||
    /^[A-Za-z]:[\\/]/.test(specifier)
  );
}

function resolveSpecifier(specifier: string, resolveFrom: string): string {
  if (specifier.startsWith('file:')) return specifier;
  if (isPathSpecifier(specifier)) return pathToFileURL(path.resolve(resolveFrom, specifier)).href;
  try {
    // Resolve the package as the daemon's installation sees it (its node_modules), not as this file does.
    const require = createRequire(path.join(resolveFrom, '__riskd_resolve__.js'));
    return pathToFileURL(require.resolve(specifier)).href;
  } catch (err) {
    throw new RulePackError(
      'RULE_PACK_NOT_FOUND',
      specifier,
      [`cannot find package "${specifier}" from ${resolveFrom} (${errorMessage(err).split('\n')[0]})`],
      { cause: err },
    );
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
