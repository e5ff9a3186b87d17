import path from 'node:path';
import { RuleRegistry } from '@riskd/core-engine';
import { ConfigError, formatProblems } from '../config/config-errors.js';
import { loadConfigFile, type LoadedConfig } from '../config/config-loader.js';
import { resolveConfigPath } from '../config/config-paths.js';
import { renderConfigJsonSchema } from '../config/config-schema.js';
import { BUILTIN_RULE_PACKS } from '../daemon/builtin-packs.js';
import { EXIT_CODES } from '../daemon/exit-codes.js';
import type { CliIo } from './cli-io.js';
import type { Verb, VerbOption } from './verb.js';

/** `--config FILE`, shared by the verbs that read the config. */
export const CONFIG_OPTION: VerbOption = {
  name: 'config',
  type: 'string',
  value: 'FILE',
  description: 'the config file (default: $RISKD_CONFIG, else ~/.riskd/riskd.config.json)',
};

/** The config file a verb uses: `--config`, `RISKD_CONFIG`, or the default in the data directory. */
export function configPathOf(flag: unknown, io: CliIo): string {
  return resolveConfigPath({ ...(typeof flag === 'string' ? { flag } : {}), env: io.env, cwd: io.cwd }).path;
}

/** Loads a config the way the daemon does (built-in packs by name, secrets from the environment). */
export function loadForCli(file: string, io: CliIo): Promise<LoadedConfig> {
  return loadConfigFile(file, { env: io.env, builtinPacks: [...BUILTIN_RULE_PACKS] });
}

/** Prints a config error with every problem; returns the exit code (1). */
export function reportConfigError(err: unknown, io: CliIo, prefix: string): number {
  if (err instanceof ConfigError) {
    const problems = err.problems.length > 0 ? `\n${formatProblems(err.problems)}` : '';
    io.stderr(`${prefix}: ${err.message}${problems}\n`);
    return EXIT_CODES.FAILURE;
  }
  throw err;
}

export function configVerbs(): Verb[] {
  const validate: Verb = {
    words: ['config', 'validate'],
    summary: 'check a config file and list every problem with its path',
    positionals: { names: 'FILE', min: 1, max: 1 },
    options: [],
    description: `Reads FILE as the daemon would at start (rule packs, presets, secrets from the environment)
and lists every problem with its JSON path, or says it is valid. Warnings (such as a file holding
secrets that others can read) are printed too.`,
    exitCodes: '0 valid, 1 invalid or unreadable, 2 bad usage',
    async run(args, io) {
      const file = path.resolve(io.cwd, args.positionals[0] as string);
      try {
        const loaded = await loadForCli(file, io);
        for (const w of loaded.warnings)
          io.stderr(`warning: ${w.path === '' ? '' : `${w.path}: `}${w.message}\n`);
        const accounts = loaded.config.accounts.length;
        io.stdout(
          `${file} is valid: ${loaded.config.rules.length} universal rule(s), ${accounts} account entr${accounts === 1 ? 'y' : 'ies'}, rule packs ${loaded.config.rulePacks.join(', ')}\n`,
        );
        return EXIT_CODES.OK;
      } catch (err) {
        return reportConfigError(err, io, `riskd config validate`);
      }
    },
  };
  const schema: Verb = {
    words: ['config', 'schema'],
    summary: "print the config file's JSON Schema (with the rule packs' option schemas)",
    options: [
      {
        name: 'config',
        type: 'string',
        value: 'FILE',
        description: "include the option schemas of this config's rule packs (default: the built-in packs)",
      },
    ],
    description: `Prints the JSON Schema of the config file, with the option schema of every rule of the
loaded rule packs, so editors complete and check the config ("$schema" in the file). Without
--config it covers the built-in packs (the committed riskd.config.schema.json).`,
    exitCodes: '0 printed, 1 the config given could not be loaded, 2 bad usage',
    async run(args, io) {
      let registry = new RuleRegistry([...BUILTIN_RULE_PACKS]);
      const config = args.values['config'];
      if (typeof config === 'string') {
        try {
          registry = (await loadForCli(path.resolve(io.cwd, config), io)).registry;
        } catch (err) {
          return reportConfigError(err, io, 'riskd config schema');
        }
      }
      io.stdout(renderConfigJsonSchema(registry));
      return EXIT_CODES.OK;
    },
  };
  return [validate, schema];
}
