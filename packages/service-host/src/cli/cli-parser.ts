import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../daemon/host-errors.js';
import { verbOptions, type Verb, type VerbArgs } from './verb.js';

/** The verb named by the leading words of `argv`, and the rest of the arguments. */
export function findVerb(
  verbs: readonly Verb[],
  argv: readonly string[],
): { verb: Verb; rest: string[] } | { group: string; candidates: Verb[] } | undefined {
  let best: Verb | undefined;
  for (const verb of verbs) {
    if (verb.words.every((w, i) => argv[i] === w) && (!best || verb.words.length > best.words.length))
      best = verb;
  }
  if (best) return { verb: best, rest: argv.slice(best.words.length) };
  const first = argv[0];
  const candidates = verbs.filter((v) => v.words.length > 1 && v.words[0] === first);
  if (first !== undefined && candidates.length > 0) return { group: first, candidates };
  return undefined;
}

/** Parses a verb's arguments; unknown options and wrong positional counts are a {@link UsageError}. */
export function parseVerbArgs(verb: Verb, rest: readonly string[]): VerbArgs {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const o of verbOptions(verb))
    options[o.name] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values['help']) return { values, positionals: parsed.positionals };
  const min = verb.positionals?.min ?? 0;
  const max = verb.positionals?.max ?? 0;
  if (parsed.positionals.length < min) {
    throw new UsageError(`missing argument ${verb.positionals?.names ?? ''}`.trim());
  }
  if (parsed.positionals.length > max) {
    throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
  }
  return { values, positionals: parsed.positionals };
}
