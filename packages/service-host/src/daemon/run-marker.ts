import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock, Instant, TimerHandle } from '@riskd/core-engine';

/** The marker's content. */
export interface RunMarkerRecord {
  readonly pid: number;
  readonly bootId: string;
  readonly startedAt: Instant;
  /** Last heartbeat: the daemon was alive at least until then. */
  readonly aliveAt: Instant;
}

/** What the marker found at start. */
export type PreviousRun =
  { readonly clean: true } | { readonly clean: false; readonly previous: RunMarkerRecord | null };

/** The marker's file name in the data directory. */
export const RUN_MARKER_FILE = 'riskd.run';

/**
 * Detects an unclean shutdown: a file in the data directory that exists while the daemon runs
 * (rewritten with a heartbeat, so its last `aliveAt` tells when a crashed daemon went down) and is
 * removed by a clean stop. Finding it at start means the previous run did not stop cleanly.
 */
export class RunMarker {
  readonly file: string;
  private timer: TimerHandle | undefined;
  private record: RunMarkerRecord | undefined;

  constructor(
    dataDir: string,
    private readonly clock: Clock,
    private readonly heartbeatMs = 5_000,
  ) {
    this.file = path.join(dataDir, RUN_MARKER_FILE);
  }

  /** Reads what the previous run left. */
  previousRun(): PreviousRun {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { clean: true };
      return { clean: false, previous: null };
    }
    try {
      const parsed = JSON.parse(text) as RunMarkerRecord;
      if (typeof parsed.aliveAt !== 'number' || typeof parsed.startedAt !== 'number')
        throw new Error('bad marker');
      return { clean: false, previous: parsed };
    } catch {
      return { clean: false, previous: null };
    }
  }

  /** Writes the marker for this run and keeps its heartbeat going. */
  begin(bootId: string): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.record = { pid: process.pid, bootId, startedAt: this.clock.now(), aliveAt: this.clock.now() };
    this.write();
    const beat = (): void => {
      this.timer = this.clock.scheduleIn(this.heartbeatMs, () => {
        if (!this.record) return;
        this.record = { ...this.record, aliveAt: this.clock.now() };
        try {
          this.write();
        } catch {
          // A full disk must not stop the daemon; the marker is only a diagnostic.
        }
        beat();
      });
    };
    beat();
  }

  /** A clean stop: the marker is removed. */
  end(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = undefined;
    this.record = undefined;
    rmSync(this.file, { force: true });
  }

  /** Stops the heartbeat but leaves the marker (a test simulating a crash). */
  abandon(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = undefined;
    this.record = undefined;
  }

  private write(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.record), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
