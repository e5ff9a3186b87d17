import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SimulatorError } from './lib/errors.js';
import { startSimulator, type SimulatorOptions } from './lib/simulator.js';

const USAGE = `Usage: projectx-sim [options]

A ProjectX Gateway simulator on 127.0.0.1. Prints one JSON line when ready:
{"event":"listening","apiUrl":...,"userHubUrl":...,"marketHubUrl":...,"controlUrl":...}

Options:
  --port N               TCP port (0, the default, picks a free one)
  --seed N               seed of the price walk (default 1)
  --fixture FILE         fixture JSON file (default: built-in demo fixture)
  --no-rate-limit        switch the documented rate limits off
  --replay FILE          replay recorded prices (JSON array or JSON Lines)
  --clock ISO            start the simulator clock at this instant
  --no-walk              no random walk (prices move only by control, path or replay)
  --walk-interval MS     random-walk step interval (default 250)
  --wrapped-events       send user events as {action, data}
  --split-fills N        split fills into lots of at most N contracts
  --record-all           keep every recorder entry (default: a ring of 10000)
  --recorder-capacity N  recorder ring size
  --ping-interval MS     SignalR server ping interval (default 10000)
  --help                 this text
`;

/** Parses the command line into simulator options; throws a SimulatorError on bad usage. */
export function parseArgs(argv: readonly string[]): SimulatorOptions | 'help' {
  const options: SimulatorOptions = {};
  const variants: NonNullable<SimulatorOptions['variants']> = {};
  const args = [...argv];
  const value = (flag: string): string => {
    const v = args.shift();
    if (v === undefined || v.startsWith('--')) throw new SimulatorError('CLI_USAGE', `${flag} needs a value`);
    return v;
  };
  const integer = (flag: string): number => {
    const v = Number(value(flag));
    if (!Number.isInteger(v) || v < 0)
      throw new SimulatorError('CLI_USAGE', `${flag} needs a non-negative integer`);
    return v;
  };
  while (args.length > 0) {
    const raw = args.shift() as string;
    const [flag, inline] = raw.includes('=')
      ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)]
      : [raw, undefined];
    if (inline !== undefined) args.unshift(inline);
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
        options.port = integer(flag);
        break;
      case '--seed':
        options.seed = integer(flag);
        break;
      case '--fixture':
        options.fixture = path.resolve(value(flag));
        break;
      case '--no-rate-limit':
        options.rateLimit = false;
        break;
      case '--replay':
        options.replay = { file: path.resolve(value(flag)) };
        break;
      case '--clock':
        options.clock = { start: value(flag) };
        break;
      case '--no-walk':
        options.walk = { ...options.walk, enabled: false };
        break;
      case '--walk-interval':
        options.walk = { ...options.walk, intervalMs: Math.max(1, integer(flag)) };
        break;
      case '--wrapped-events':
        variants.wrappedUserEvents = true;
        break;
      case '--split-fills':
        variants.splitFills = Math.max(1, integer(flag));
        break;
      case '--record-all':
        options.recorder = { ...options.recorder, full: true };
        break;
      case '--recorder-capacity':
        options.recorder = { ...options.recorder, capacity: Math.max(1, integer(flag)) };
        break;
      case '--ping-interval':
        options.hub = { ...options.hub, pingIntervalMs: Math.max(1, integer(flag)) };
        break;
      default:
        throw new SimulatorError('CLI_USAGE', `unknown option ${raw}`);
    }
  }
  if (Object.keys(variants).length > 0) options.variants = variants;
  return options;
}

/** Runs the simulator until SIGINT/SIGTERM; the ready line is the only thing written to stdout. */
export async function main(argv: readonly string[]): Promise<void> {
  let options: SimulatorOptions | 'help';
  try {
    options = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`projectx-sim: ${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stderr.write(USAGE);
    return;
  }
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  try {
    sim = await startSimulator(options);
  } catch (err) {
    process.stderr.write(`projectx-sim: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `${JSON.stringify({
      event: 'listening',
      apiUrl: sim.apiUrl,
      userHubUrl: sim.userHubUrl,
      marketHubUrl: sim.marketHubUrl,
      controlUrl: sim.controlUrl,
    })}\n`,
  );
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(
      `projectx-sim: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
