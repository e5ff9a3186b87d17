/**
 * The logging port, a subset of pino's API: object first, message second; errors under `err`.
 */
export interface Logger {
  trace(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  fatal(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogLine {
  readonly level: LogLevel;
  readonly bindings: Readonly<Record<string, unknown>>;
  readonly obj: object;
  readonly msg: string | undefined;
}

/** A logger that keeps lines in memory, so tests can assert on them and fail on unexpected errors. */
export class MemoryLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  trace(obj: object, msg?: string): void {
    this.push('trace', obj, msg);
  }
  debug(obj: object, msg?: string): void {
    this.push('debug', obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.push('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.push('warn', obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.push('error', obj, msg);
  }
  fatal(obj: object, msg?: string): void {
    this.push('fatal', obj, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new MemoryLogger(this.lines, { ...this.bindings, ...bindings });
  }
  /** Lines at `warn` or above. */
  problems(): LogLine[] {
    return this.lines.filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal');
  }
  private push(level: LogLevel, obj: object, msg: string | undefined): void {
    this.lines.push({ level, bindings: this.bindings, obj, msg });
  }
}

/** A logger that drops everything (benchmarks). */
export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
  child: () => silentLogger,
};
