import { randomBytes } from 'node:crypto';
import type { DaemonEvent } from '@riskd/api-client';

/** A daemon event with the id the live stream gives it. */
export interface NumberedEvent {
  /** `<bootId>-<seq>`: the SSE `id`, sent back as `Last-Event-ID` on a reconnection. */
  readonly id: string;
  readonly seq: number;
  readonly event: DaemonEvent;
}

/** What a (re)connecting client gets before the live events. */
export interface ReplayPlan {
  /** Events after the client's `Last-Event-ID`, oldest first. */
  readonly events: readonly NumberedEvent[];
  /** True when the client resumed from an id this hub cannot continue from (events were lost). */
  readonly resync: boolean;
}

/** Nothing to replay: the client fetches fresh snapshots instead. */
const RESYNC: ReplayPlan = Object.freeze({ events: [], resync: true });

/**
 * Fans the control plane's events out to the live-stream connections and keeps the newest
 * `capacity` of them, so a client that reconnects with `Last-Event-ID` gets what it missed. Ids
 * carry a per-process boot id: an id from before a restart, or older than the buffer, cannot be
 * continued, and the client is told to resync (fetch snapshots) instead of getting a partial replay.
 */
export class LiveHub {
  readonly bootId = randomBytes(4).toString('hex');
  private readonly buffer: NumberedEvent[] = [];
  private readonly listeners = new Set<(event: NumberedEvent) => void>();
  private seq = 0;

  constructor(private readonly capacity = 1_000) {}

  /** Numbers, keeps and fans out one event (synchronously, in order). */
  publish(event: DaemonEvent): NumberedEvent {
    this.seq += 1;
    const numbered: NumberedEvent = { id: `${this.bootId}-${this.seq}`, seq: this.seq, event };
    this.buffer.push(numbered);
    if (this.buffer.length > this.capacity) this.buffer.shift();
    for (const listener of [...this.listeners]) listener(numbered);
    return numbered;
  }

  /** Listens to every event published from now on; returns the unsubscribe function. */
  subscribe(listener: (event: NumberedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** The events to replay for a client that last saw `lastEventId` (none for a fresh client). */
  replayAfter(lastEventId: string | undefined): ReplayPlan {
    if (lastEventId === undefined || lastEventId === '') return { events: [], resync: false };
    const match = /^([0-9a-f]+)-(\d+)$/.exec(lastEventId);
    if (!match || match[1] !== this.bootId) return RESYNC;
    const seen = Number(match[2]);
    if (seen > this.seq) return RESYNC;
    const oldest = this.buffer[0]?.seq ?? this.seq + 1;
    // Events seen+1 .. oldest-1 fell out of the buffer: the client missed them and must refetch.
    if (seen + 1 < oldest) return RESYNC;
    return { events: this.buffer.filter((e) => e.seq > seen), resync: false };
  }
}
