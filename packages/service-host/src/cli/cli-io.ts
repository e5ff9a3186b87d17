import type { Readable } from 'node:stream';

/** What a command reads and writes: the process's streams, or buffers in tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Standard input; `isTTY`/`setRawMode` are present on a terminal. */
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** The environment (only the config loader and the CLI entry read it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * Resolves when the process is asked to stop (SIGINT/SIGTERM). Long-running verbs (`run`,
   * `demo`) wait on it; tests pass their own.
   */
  readonly shutdownSignal?: Promise<string>;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Buffers for tests: what was printed, and a given stdin. */
export interface CapturedIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  stdoutText(): string;
  stderrText(): string;
}

export function captureIo(
  stdin: Readable,
  options: Partial<Pick<CliIo, 'env' | 'cwd' | 'shutdownSignal'>> = {},
): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    stdin,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    ...(options.shutdownSignal ? { shutdownSignal: options.shutdownSignal } : {}),
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}
