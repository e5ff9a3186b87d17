import type { CliIo } from './cli-io.js';

/** One option of a verb. */
export interface VerbOption {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** Shown after the name in the help, e.g. `FILE`. */
  readonly value?: string;
  readonly short?: string;
  readonly description: string;
}

/** Parsed arguments of a verb. */
export interface VerbArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** A command of `riskd`: its words, help text and handler (which returns the exit code). */
export interface Verb {
  /** The words after `riskd`, e.g. `['config', 'validate']`. */
  readonly words: readonly string[];
  /** One line for the verb list. */
  readonly summary: string;
  /** Positional arguments as shown in the usage line, e.g. `FILE`. */
  readonly positionals?: { readonly names: string; readonly min: number; readonly max: number };
  readonly options: readonly VerbOption[];
  /** Paragraphs after the usage line. */
  readonly description: string;
  /** What each exit code means for this verb. */
  readonly exitCodes: string;
  run(args: VerbArgs, io: CliIo): Promise<number>;
}

const HELP_OPTION: VerbOption = { name: 'help', short: 'h', type: 'boolean', description: 'show this help' };

/** The options of a verb, `--help` included. */
export function verbOptions(verb: Verb): VerbOption[] {
  return [...verb.options, HELP_OPTION];
}

/** `riskd config validate FILE [--json]`. */
export function usageLine(verb: Verb): string {
  const parts = ['riskd', ...verb.words];
  if (verb.positionals) parts.push(verb.positionals.names);
  for (const o of verb.options) parts.push(`[--${o.name}${o.value ? ` ${o.value}` : ''}]`);
  return parts.join(' ');
}

/** The full `--help` text of a verb. */
export function renderVerbHelp(verb: Verb): string {
  const options = verbOptions(verb);
  const labels = options.map(
    (o) => `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.value ? ` ${o.value}` : ''}`,
  );
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  return [
    `Usage: ${usageLine(verb)}`,
    '',
    verb.description.trim(),
    '',
    'Options:',
    ...options.map((o, i) => `  ${(labels[i] as string).padEnd(width)}${o.description}`),
    '',
    `Exit codes: ${verb.exitCodes}`,
    '',
  ].join('\n');
}
