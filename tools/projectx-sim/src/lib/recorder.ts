/** What a recorder entry describes. */
export type RecordKind = 'request' | 'response' | 'event';

/** One recorded request received, response sent or hub event sent. */
export interface RecordEntry {
  /** Monotonic sequence number (never reused, also across `clear()`). */
  seq: number;
  /** `process.hrtime.bigint()` at record time, as a decimal string of nanoseconds. */
  hrTimeNs: string;
  /** Wall-clock time (ISO-8601). */
  wallTime: string;
  /** Simulator-clock time (ISO-8601); differs from wallTime once the clock was set or jumped. */
  simTime: string;
  kind: RecordKind;
  /** `POST`, `GET` for REST; `INVOKE` for hub invocations; `SEND` for hub events. */
  method: string;
  /** `/api/Order/place`, `/hubs/user`, … */
  path: string;
  /** Hub method or event name (`SubscribeOrders`, `GatewayUserTrade`); null for REST. */
  target: string | null;
  /** Hub connection id for hub traffic; null for REST. */
  connectionId: string | null;
  /** HTTP status of responses; null otherwise. */
  status: number | null;
  /** `Authorization` header of REST requests, or null. */
  authorization: string | null;
  /** Request body, response body, or hub arguments array. */
  body: unknown;
}

/** A query over the recorder (all fields optional; they combine with AND). */
export interface RecordFilter {
  kind?: RecordKind;
  /** Exact path, or a prefix when it ends with `*` (`/api/Order/*`). */
  path?: string;
  target?: string;
  connectionId?: string;
  /** Only entries with `seq` greater than this. */
  sinceSeq?: number;
  /** Only the last N matching entries. */
  limit?: number;
}

/** Recorder settings. */
export interface RecorderOptions {
  /** Ring size (entries kept). Default 10,000. */
  capacity?: number;
  /** Keep every entry (no ring). Default false. */
  full?: boolean;
  /** Record at all. Default true. */
  enabled?: boolean;
}

type RecordInput = Omit<RecordEntry, 'seq' | 'hrTimeNs' | 'wallTime' | 'simTime'>;

/** An entry as stored: times stay numbers until someone reads them (recording is on the hot path). */
interface StoredEntry {
  seq: number;
  hr: bigint;
  wall: number;
  sim: number;
  input: RecordInput;
}

function toEntry(e: StoredEntry): RecordEntry {
  return {
    seq: e.seq,
    hrTimeNs: e.hr.toString(),
    wallTime: new Date(e.wall).toISOString(),
    simTime: new Date(e.sim).toISOString(),
    ...e.input,
  };
}

/**
 * Keeps every request received and event sent with a high-resolution timestamp, in a bounded ring
 * by default, so tests can assert what a client sent and when.
 */
export class Recorder {
  private entries: StoredEntry[] = [];
  private start = 0; // index of the oldest entry when the ring is full
  private seq = 0;
  private capacity: number;
  private full: boolean;
  private enabled: boolean;

  constructor(
    options: RecorderOptions = {},
    private readonly simNow: () => number = Date.now,
  ) {
    this.capacity = Math.max(1, options.capacity ?? 10_000);
    this.full = options.full ?? false;
    this.enabled = options.enabled ?? true;
  }

  /** Current settings. */
  settings(): Required<RecorderOptions> & { size: number; lastSeq: number } {
    return {
      capacity: this.capacity,
      full: this.full,
      enabled: this.enabled,
      size: this.entries.length,
      lastSeq: this.seq,
    };
  }

  /** Changes settings; shrinking the ring keeps the newest entries. */
  configure(options: RecorderOptions): void {
    const all = this.ordered();
    if (options.capacity !== undefined) this.capacity = Math.max(1, options.capacity);
    if (options.full !== undefined) this.full = options.full;
    if (options.enabled !== undefined) this.enabled = options.enabled;
    this.entries = this.full ? all : all.slice(-this.capacity);
    this.start = 0;
  }

  record(input: RecordInput): void {
    if (!this.enabled) return;
    const stored: StoredEntry = {
      seq: ++this.seq,
      hr: process.hrtime.bigint(),
      wall: Date.now(),
      sim: this.simNow(),
      input,
    };
    if (this.full || this.entries.length < this.capacity) {
      this.entries.push(stored);
    } else {
      this.entries[this.start] = stored;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  private ordered(): StoredEntry[] {
    if (this.start === 0) return this.entries.slice();
    return this.entries.slice(this.start).concat(this.entries.slice(0, this.start));
  }

  /** Entries oldest first. */
  list(): RecordEntry[] {
    return this.ordered().map(toEntry);
  }

  query(filter: RecordFilter = {}): RecordEntry[] {
    const prefix = filter.path?.endsWith('*') ? filter.path.slice(0, -1) : undefined;
    const out = this.ordered().filter(
      ({ seq, input: e }) =>
        (filter.kind === undefined || e.kind === filter.kind) &&
        (filter.path === undefined ||
          (prefix !== undefined ? e.path.startsWith(prefix) : e.path === filter.path)) &&
        (filter.target === undefined || e.target === filter.target) &&
        (filter.connectionId === undefined || e.connectionId === filter.connectionId) &&
        (filter.sinceSeq === undefined || seq > filter.sinceSeq),
    );
    return (filter.limit !== undefined ? out.slice(-filter.limit) : out).map(toEntry);
  }

  clear(): void {
    this.entries = [];
    this.start = 0;
  }
}
