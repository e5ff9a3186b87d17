import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RuleRegistry } from '@riskd/core-engine';
import { rulePack as standardRulePack } from '@riskd/rule-pack-standard';
import { renderConfigJsonSchema } from './config-schema.js';

/**
 * Regenerates the committed `riskd.config.schema.json` (the published config schema with the
 * default rule packs' option schemas):
 *
 *     npx tsx --conditions=@riskd/source packages/service-host/src/config/generate-config-schema.ts
 *
 * A test fails when the committed file differs from what this writes.
 */

/** The committed schema file. */
export const CONFIG_SCHEMA_FILE = fileURLToPath(new URL('../../riskd.config.schema.json', import.meta.url));

/** The registry of the committed schema: the default `rulePacks` (the standard pack). */
export function defaultSchemaRegistry(): RuleRegistry {
  return new RuleRegistry([standardRulePack]);
}

/** The committed file's text: the schema formatted as the repository's prettier config formats JSON. */
export async function renderCommittedSchema(
  registry: RuleRegistry = defaultSchemaRegistry(),
): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(CONFIG_SCHEMA_FILE)) ?? {};
  return prettier.format(renderConfigJsonSchema(registry), { ...options, filepath: CONFIG_SCHEMA_FILE });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(CONFIG_SCHEMA_FILE, await renderCommittedSchema());
  process.stdout.write(`wrote ${CONFIG_SCHEMA_FILE}\n`);
}
