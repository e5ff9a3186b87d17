import { describeError, UsageError } from '../daemon/host-errors.js';
import { EXIT_CODES } from '../daemon/exit-codes.js';
import { processIo, type CliIo } from './cli-io.js';
import { findVerb, parseVerbArgs } from './cli-parser.js';
import { riskdVerbs } from './verbs.js';
import { renderVerbHelp, type Verb } from './verb.js';

/** The top-level help: every verb with its summary. */
export function renderMainHelp(verbs: readonly Verb[]): string {
  const names = verbs.map((v) => v.words.join(' '));
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    'Usage: riskd <command> [options]',
    '',
    'Riskd: an always-on risk guardian for TopstepX (ProjectX Gateway) accounts.',
    '',
    'Commands:',
    ...verbs.map((v, i) => `  ${(names[i] as string).padEnd(width)}${v.summary}`),
    '',
    'Run `riskd <command> --help` for the options of a command.',
    '',
    'Exit codes: 0 success, 1 failure, 2 bad usage; `riskd run` exits 78 after an admin stop.',
    '',
  ].join('\n');
}

function renderGroupHelp(group: string, candidates: readonly Verb[]): string {
  return [
    `Usage: riskd ${group} <${candidates.map((v) => v.words.slice(1).join(' ')).join('|')}> [options]`,
    '',
    ...candidates.map((v) => `  riskd ${v.words.join(' ')}: ${v.summary}`),
    '',
    `Run \`riskd ${group} <command> --help\` for its options.`,
    '',
  ].join('\n');
}

/**
 * Runs `riskd` with `argv` (without node and the script) and returns the exit code: 0 success,
 * 1 failure, 2 bad usage (78 after an admin stop of `riskd run`).
 */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo(),
  verbs: readonly Verb[] = riskdVerbs(),
): Promise<number> {
  if (argv.length === 0) {
    io.stderr(renderMainHelp(verbs));
    return EXIT_CODES.USAGE;
  }
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(renderMainHelp(verbs));
    return EXIT_CODES.OK;
  }
  const found = findVerb(verbs, argv);
  if (!found) {
    io.stderr(`riskd: unknown command "${argv[0]}"\n\n${renderMainHelp(verbs)}`);
    return EXIT_CODES.USAGE;
  }
  if ('group' in found) {
    const asked = argv[1] === '--help' || argv[1] === '-h';
    const text = renderGroupHelp(found.group, found.candidates);
    if (asked) {
      io.stdout(text);
      return EXIT_CODES.OK;
    }
    io.stderr(
      `riskd: ${argv[1] === undefined ? 'missing' : `unknown`} ${found.group} command${argv[1] === undefined ? '' : ` "${argv[1]}"`}\n\n${text}`,
    );
    return EXIT_CODES.USAGE;
  }
  const { verb, rest } = found;
  try {
    const args = parseVerbArgs(verb, rest);
    if (args.values['help']) {
      io.stdout(renderVerbHelp(verb));
      return EXIT_CODES.OK;
    }
    return await verb.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`riskd ${verb.words.join(' ')}: ${err.message}\n\n${renderVerbHelp(verb)}`);
      return EXIT_CODES.USAGE;
    }
    io.stderr(`riskd ${verb.words.join(' ')}: ${describeError(err)}\n`);
    return EXIT_CODES.FAILURE;
  }
}
