import type { LogRecord } from './log-ring.js';

/** pino's numeric levels. */
export const LEVEL_VALUES = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/**
 * A pino destination that keeps every line in memory, parsed, so tests can assert on what was
 * logged (after redaction) and fail on unexpected error lines.
 */
export class MemoryLogSink {
  readonly records: LogRecord[] = [];
  /** The raw serialized lines, as a file would hold them. */
  readonly raw: string[] = [];

  write(line: string): void {
    this.raw.push(line);
    for (const part of line.split('\n')) {
      if (part.trim() !== '') this.records.push(JSON.parse(part) as LogRecord);
    }
  }

  /** Lines whose message equals `msg`. */
  withMessage(msg: string): LogRecord[] {
    return this.records.filter((r) => r.msg === msg);
  }

  /** Lines at error or fatal level. */
  errors(): LogRecord[] {
    return this.records.filter((r) => r.level >= LEVEL_VALUES.error);
  }

  clear(): void {
    this.records.length = 0;
    this.raw.length = 0;
  }
}
