import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The `riskd` bin of this package. */
export const RISKD_BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'riskd.mjs');

/** The ready line `riskd run` prints. */
export interface ReadyLine {
  readonly msg: 'riskd ready';
  readonly apiUrl: string;
  readonly accounts: number;
  readonly bootId: string;
  readonly uncleanShutdown: boolean;
}

/** `riskd ...` as a child process, with its output collected. */
export class RiskdProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.stdout.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.stderr.push(d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static spawn(args: readonly string[], env: NodeJS.ProcessEnv = {}): RiskdProcess {
    const child = spawn(process.execPath, [RISKD_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    return new RiskdProcess(child);
  }

  /** Waits for the ready line (or fails with the process's stderr when it exits first). */
  async ready(timeoutMs = 60_000): Promise<ReadyLine> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const line = this.stdout
        .join('')
        .split('\n')
        .find((l) => l.includes('"msg":"riskd ready"'));
      if (line) return JSON.parse(line) as ReadyLine;
      if (exited) throw new Error(`riskd exited before it was ready:\n${this.stderr.join('').slice(-3000)}`);
      if (Date.now() > deadline)
        throw new Error(`riskd not ready after ${timeoutMs} ms:\n${this.stderr.join('').slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** kill -9: no chance to clean up. */
  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and the exit code. */
  async terminate(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return (await this.exited).code;
  }
}
