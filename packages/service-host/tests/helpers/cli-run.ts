import { Readable } from 'node:stream';
import { captureIo, type CapturedIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import type { Verb } from '../../src/cli/verb.js';

/** Runs `riskd` in-process with captured output. */
export async function runCli(
  argv: readonly string[],
  options: { stdin?: string; env?: Record<string, string>; cwd?: string; verbs?: readonly Verb[] } = {},
): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo(Readable.from([options.stdin ?? '']), {
    env: options.env ?? {},
    // Never a process signal handler inside the test runner.
    shutdownSignal: new Promise<string>(() => undefined),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const code = await main(argv, io, options.verbs);
  return { code, io };
}
