import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RuleRegistry } from '@riskd/core-engine';
import { rulePack as standardRulePack } from '@riskd/rule-pack-standard';
import { ConfigError, type ConfigProblem } from './config-errors.js';
import { loadConfigText, type LoadConfigOptions, type LoadedConfig } from './config-loader.js';

/** Shared by the config module's tests: the real standard rule pack and small config documents. */

export const standardRegistry = new RuleRegistry([standardRulePack]);

/** Where test documents pretend to live (nothing is read from there). */
export const TEST_CONFIG_PATH = path.resolve(os.tmpdir(), 'riskd-config-test', 'riskd.config.json');

/** The smallest valid document (an inline key, so no environment is needed). */
export function minimalDocument(): Record<string, unknown> {
  return { broker: { userName: 'demo', apiKey: 'demo-api-key' } };
}

/** A document with rules, accounts and a preset, for the discipline's tests. */
export function rulesDocument(
  rules: readonly unknown[],
  accounts: readonly unknown[] = [],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...minimalDocument(), rules, accounts, ...extra };
}

/** Loads a document as if it were the file at {@link TEST_CONFIG_PATH}. */
export function loadDocument(
  document: unknown,
  options: Partial<LoadConfigOptions> = {},
): Promise<LoadedConfig> {
  return loadConfigText(JSON.stringify(document, null, 2), {
    registry: standardRegistry,
    env: {},
    ...options,
    path: TEST_CONFIG_PATH,
  });
}

/** The problems a document is refused with (fails the test if it loads). */
export async function problemsOf(
  document: unknown,
  options: Partial<LoadConfigOptions> = {},
): Promise<readonly ConfigProblem[]> {
  try {
    await loadDocument(document, options);
  } catch (err) {
    if (err instanceof ConfigError && err.code === 'CONFIG_INVALID') return err.problems;
    throw err;
  }
  throw new Error('expected the document to be refused, but it loaded');
}

/** A fresh temporary folder and its removal. */
export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'riskd-config-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
