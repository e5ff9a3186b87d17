/** One log line as the admin's log view shows it. */
export interface LogRecord {
  readonly level: number;
  readonly time: number;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/**
 * The most recent log lines in memory (already redacted JSON), for the admin's log view. A pino
 * destination: `write()` takes one serialized line.
 */
export class LogRing {
  private readonly lines: string[] = [];
  private next = 0;

  constructor(readonly capacity = 1000) {}

  write(line: string): void {
    if (this.lines.length < this.capacity) this.lines.push(line);
    else this.lines[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The kept lines, oldest first, parsed; at most `limit` of the newest, at or above `minLevel`. */
  recent(limit = this.capacity, minLevel = 0): LogRecord[] {
    const ordered =
      this.lines.length < this.capacity
        ? this.lines
        : [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
    const out: LogRecord[] = [];
    for (const line of ordered) {
      try {
        const record = JSON.parse(line) as LogRecord;
        if (record.level >= minLevel) out.push(record);
      } catch {
        // A partial or non-JSON line is not worth showing.
      }
    }
    return out.slice(Math.max(0, out.length - limit));
  }
}
