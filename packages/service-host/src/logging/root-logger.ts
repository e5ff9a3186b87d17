import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock, Logger, LogLevel } from '@riskd/core-engine';
import { pino, type DestinationStream, type StreamEntry } from 'pino';
import pinoPretty from 'pino-pretty';
import pinoRoll from 'pino-roll';
import { LogRing } from './log-ring.js';
import { PinoLoggerAdapter } from './pino-logger-adapter.js';
import { REDACTED, REDACT_PATHS } from './redaction.js';

/** Where console lines go and how they look. */
export type ConsoleFormat = 'pretty' | 'json' | 'none';

/** Options of {@link createRootLogger}. */
export interface RootLoggerOptions {
  /** Level in normal operation. Default `info`. */
  readonly level?: LogLevel;
  /** Level while the admin has verbose logging on. Default `debug`. */
  readonly verboseLevel?: LogLevel;
  /**
   * Directory of the rotating JSON log files (`riskd.<n>.log`, daily or at 50 MB, 14 kept, mode
   * 0600). None: no file.
   */
  readonly logDir?: string;
  /**
   * Console output on stderr (stdout carries only the machine-readable ready line). Default:
   * `pretty` when stderr is a TTY, else `json`.
   */
  readonly console?: ConsoleFormat;
  /** Extra destinations, each receiving every serialized line (tests capture logs in memory). */
  readonly streams?: readonly DestinationStream[];
  /** How many recent lines the admin's log view keeps. Default 1000. */
  readonly ringSize?: number;
  /** Time source of the `time` field. Default: the system clock. */
  readonly clock?: Clock;
  /** Bindings on every line. Default `{ name: 'riskd' }`. */
  readonly base?: Record<string, unknown>;
}

/** The one root logger of a daemon process, with its runtime controls. */
export interface RootLogger {
  /** The pino logger (Fastify may take it as its logger instance). */
  readonly pino: pino.Logger;
  /** The same logger as core-engine's `Logger` port. */
  readonly logger: Logger;
  /** Recent lines for the admin's log view. */
  readonly ring: LogRing;
  /** Whether verbose logging is on. */
  readonly verbose: boolean;
  /** Switches the verbose level on or off at runtime (children follow the root's level). */
  setVerbose(on: boolean): void;
  /** Resolves when buffered lines are written. */
  flush(): Promise<void>;
  /** Flushes and closes the file destination. */
  close(): Promise<void>;
}

/** Rotation of the log files: daily or at this size, whichever comes first. */
export const LOG_FILE_ROTATION = { frequency: 'daily', size: '50m', keep: 14 } as const;

/**
 * Builds the root logger: JSON lines to a rotating file in the data directory (pino-roll),
 * pretty on a TTY (pino-pretty) or JSON on stderr otherwise, secrets redacted by path, and a
 * level the admin can raise to verbose at runtime.
 */
export async function createRootLogger(options: RootLoggerOptions = {}): Promise<RootLogger> {
  const level = options.level ?? 'info';
  const verboseLevel = options.verboseLevel ?? 'debug';
  const ring = new LogRing(options.ringSize ?? 1000);
  const entries: StreamEntry[] = [{ level: 'trace', stream: ring }];

  let fileStream: Awaited<ReturnType<typeof pinoRoll>> | undefined;
  if (options.logDir !== undefined) {
    mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
    fileStream = await pinoRoll({
      file: path.join(options.logDir, 'riskd'),
      extension: '.log',
      frequency: LOG_FILE_ROTATION.frequency,
      size: LOG_FILE_ROTATION.size,
      limit: { count: LOG_FILE_ROTATION.keep },
      mkdir: true,
      mode: 0o600,
      symlink: false,
    });
    entries.push({ level: 'trace', stream: fileStream });
    try {
      chmodSync(options.logDir, 0o700);
    } catch {
      // Not the owner (a shared directory): the files themselves are still 0600.
    }
  }

  const consoleFormat = options.console ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (consoleFormat === 'pretty') {
    entries.push({
      level: 'trace',
      stream: pinoPretty({ colorize: true, destination: 2, sync: true, translateTime: 'SYS:standard' }),
    });
  } else if (consoleFormat === 'json') {
    entries.push({ level: 'trace', stream: pino.destination({ dest: 2, sync: true }) });
  }
  for (const stream of options.streams ?? []) entries.push({ level: 'trace', stream });

  const clock = options.clock;
  const multi = pino.multistream(entries);
  const root = pino(
    {
      level,
      base: options.base ?? { name: 'riskd' },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      ...(clock ? { timestamp: () => `,"time":${clock.now()}` } : {}),
    },
    multi,
  );

  let verbose = false;
  return {
    pino: root,
    logger: new PinoLoggerAdapter(root),
    ring,
    get verbose() {
      return verbose;
    },
    setVerbose(on: boolean): void {
      verbose = on;
      root.level = on ? verboseLevel : level;
      root.info({ verbose: on, level: root.level }, on ? 'verbose logging on' : 'verbose logging off');
    },
    flush: () =>
      new Promise<void>((resolve) => {
        if (!fileStream) return resolve();
        fileStream.flush(() => resolve());
      }),
    close: async () => {
      if (!fileStream) return;
      const stream = fileStream;
      fileStream = undefined;
      // Detach first: a line logged after close must not hit an ended file stream.
      const entry = (multi.streams as (StreamEntry & { id?: number })[]).find((e) => e.stream === stream);
      if (entry?.id !== undefined) multi.remove(entry.id);
      await new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.once('error', () => resolve());
        stream.end();
      });
    },
  };
}
