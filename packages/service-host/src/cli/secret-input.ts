import { UsageError } from '../daemon/host-errors.js';
import type { CliIo } from './cli-io.js';

/** Reads all of standard input (a piped password, `--stdin`): the first line, without its end. */
export async function readStdinLine(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const text = Buffer.concat(chunks).toString('utf8');
  return (text.split(/\r?\n/)[0] ?? '').trimEnd();
}

/**
 * Reads a line from the terminal without echoing it (raw mode; Backspace edits, Ctrl-C aborts).
 * Only on a TTY: otherwise the caller must use `--stdin`.
 */
export function readHiddenLine(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    return Promise.reject(
      new UsageError('standard input is not a terminal: pipe the password and pass --stdin'),
    );
  }
  io.stderr(prompt);
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const done = (result: string | Error): void => {
      stdin.setRawMode?.(false);
      stdin.pause();
      stdin.off('data', onData);
      io.stderr('\n');
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (data: Buffer | string): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\u0003') return done(new UsageError('aborted'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** The minimum length of an admin or trader password. */
export const MIN_PASSWORD_LENGTH = 8;

/** Reads a new password: twice on a terminal (must match), once from stdin with `--stdin`. */
export async function readNewPassword(io: CliIo, who: string, fromStdin: boolean): Promise<string> {
  const password = fromStdin ? await readStdinLine(io) : await readHiddenLine(io, `New ${who} password: `);
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UsageError(`the ${who} password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (!fromStdin) {
    const again = await readHiddenLine(io, `Repeat the ${who} password: `);
    if (again !== password) throw new UsageError('the two passwords differ');
  }
  return password;
}
