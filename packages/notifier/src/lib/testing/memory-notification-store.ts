import type {
  Instant,
  NotificationPreferences,
  NotificationStore,
  OutboxCounts,
  OutboxItem,
} from '@riskd/core-engine';
import { NotifierError } from '../notifier-errors.js';

/** An outbox item as the store holds it. */
export interface StoredOutboxItem extends OutboxItem {
  readonly state: 'pending' | 'delivered' | 'failed';
  readonly lastError?: string;
  readonly deliveredAt?: Instant;
  readonly failedAt?: Instant;
}

/** The store's operations (for scripted faults and pauses). */
export type StoreOperation =
  | 'enqueue'
  | 'due'
  | 'nextDueAt'
  | 'markDelivered'
  | 'markRetry'
  | 'markFailed'
  | 'counts'
  | 'getPreferences'
  | 'setPreferences';

/** One `markRetry` call, in order. */
export interface RetryRecord {
  readonly id: string;
  readonly nextAttemptAt: Instant;
  readonly error: string;
}

interface Row {
  item: OutboxItem;
  state: StoredOutboxItem['state'];
  seq: number;
  lastError?: string;
  deliveredAt?: Instant;
  failedAt?: Instant;
}

interface Fault {
  remaining: number;
  error: Error;
  /** Thrown synchronously instead of rejecting (a broken implementation). */
  sync: boolean;
}

/**
 * A real in-memory {@link NotificationStore} that obeys every doc comment of the port: a duplicate
 * id is ignored in any state, `due` orders by `nextAttemptAt` then `createdAt`, delivered and failed
 * are final. Items are stored as JSON copies (what a database keeps). For tests: scripted faults
 * ({@link fail}), pauses ({@link pause}), the `markRetry` history, and {@link crash}, which hands
 * over what was durable to a new store and closes this one, as a process crash would.
 */
export class MemoryNotificationStore implements NotificationStore {
  /** Every `markRetry` call, in order. */
  readonly retries: RetryRecord[] = [];
  /** How many times each operation was called. */
  readonly calls: Record<StoreOperation, number> = {
    enqueue: 0,
    due: 0,
    nextDueAt: 0,
    markDelivered: 0,
    markRetry: 0,
    markFailed: 0,
    counts: 0,
    getPreferences: 0,
    setPreferences: 0,
  };
  private readonly rows = new Map<string, Row>();
  private preferences: NotificationPreferences | null = null;
  private seq = 0;
  private closed = false;
  private readonly faults = new Map<StoreOperation, Fault>();
  private readonly pauses = new Map<StoreOperation, { promise: Promise<void>; release: () => void }>();

  enqueue(items: readonly OutboxItem[]): Promise<void> {
    return this.run('enqueue', () => {
      for (const item of items) {
        if (this.rows.has(item.id)) continue;
        this.rows.set(item.id, { item: copy(item), state: 'pending', seq: this.seq++ });
      }
    });
  }

  due(now: Instant, limit: number): Promise<readonly OutboxItem[]> {
    return this.run('due', () => {
      return this.pending()
        .filter((r) => r.item.nextAttemptAt <= now)
        .sort(
          (a, b) =>
            a.item.nextAttemptAt - b.item.nextAttemptAt ||
            a.item.createdAt - b.item.createdAt ||
            a.seq - b.seq,
        )
        .slice(0, Math.max(0, limit))
        .map((r) => copy(r.item));
    });
  }

  nextDueAt(): Promise<Instant | null> {
    return this.run('nextDueAt', () => {
      let best: Instant | null = null;
      for (const r of this.pending())
        if (best === null || r.item.nextAttemptAt < best) best = r.item.nextAttemptAt;
      return best;
    });
  }

  markDelivered(id: string, at: Instant): Promise<void> {
    return this.run('markDelivered', () => {
      const row = this.row(id);
      if (row.state !== 'pending') return;
      row.state = 'delivered';
      row.deliveredAt = at;
    });
  }

  markRetry(id: string, nextAttemptAt: Instant, error: string): Promise<void> {
    return this.run('markRetry', () => {
      const row = this.row(id);
      if (row.state !== 'pending') return;
      row.item = { ...row.item, attempts: row.item.attempts + 1, nextAttemptAt };
      row.lastError = error;
      this.retries.push({ id, nextAttemptAt, error });
    });
  }

  markFailed(id: string, at: Instant, error: string): Promise<void> {
    return this.run('markFailed', () => {
      const row = this.row(id);
      if (row.state !== 'pending') return;
      row.state = 'failed';
      row.failedAt = at;
      row.lastError = error;
    });
  }

  counts(): Promise<OutboxCounts> {
    return this.run('counts', () => {
      let pending = 0;
      let delivered = 0;
      let failed = 0;
      for (const r of this.rows.values()) {
        if (r.state === 'pending') pending++;
        else if (r.state === 'delivered') delivered++;
        else failed++;
      }
      return { pending, delivered, failed };
    });
  }

  getPreferences(): Promise<NotificationPreferences | null> {
    return this.run('getPreferences', () => {
      return this.preferences === null ? null : copy(this.preferences);
    });
  }

  setPreferences(preferences: NotificationPreferences): Promise<void> {
    return this.run('setPreferences', () => {
      this.preferences = copy(preferences);
    });
  }

  // ------------------------------------------------------------------------------------ test helpers

  /** Every item with its state, in the order they were stored. */
  items(): StoredOutboxItem[] {
    return [...this.rows.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((r) => ({
        ...copy(r.item),
        state: r.state,
        ...(r.lastError !== undefined ? { lastError: r.lastError } : {}),
        ...(r.deliveredAt !== undefined ? { deliveredAt: r.deliveredAt } : {}),
        ...(r.failedAt !== undefined ? { failedAt: r.failedAt } : {}),
      }));
  }

  /** One item with its state, or undefined. */
  item(id: string): StoredOutboxItem | undefined {
    return this.items().find((i) => i.id === id);
  }

  /**
   * The next `times` calls of `operation` fail with `error` (default a `STORE_UNAVAILABLE`
   * NotifierError); `times: Infinity` until {@link heal}. `sync: true` throws instead of rejecting.
   */
  fail(operation: StoreOperation, options: { times?: number; error?: Error; sync?: boolean } = {}): void {
    this.faults.set(operation, {
      remaining: options.times ?? 1,
      error: options.error ?? new NotifierError('STORE_UNAVAILABLE', `scripted ${operation} failure`),
      sync: options.sync ?? false,
    });
  }

  /** Removes every scripted fault. */
  heal(): void {
    this.faults.clear();
  }

  /** Calls of `operation` wait until {@link resume} (a slow disk). */
  pause(operation: StoreOperation): void {
    if (this.pauses.has(operation)) return;
    let release: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.pauses.set(operation, { promise, release });
  }

  /** Lets paused calls of `operation` go on. */
  resume(operation: StoreOperation): void {
    const pause = this.pauses.get(operation);
    this.pauses.delete(operation);
    pause?.release();
  }

  /**
   * A crash: returns a new store holding exactly what this one had stored (and the preferences),
   * and closes this one, so whatever the old notifier still does fails (`STORE_UNAVAILABLE`).
   */
  crash(): MemoryNotificationStore {
    const next = new MemoryNotificationStore();
    for (const [id, row] of this.rows) next.rows.set(id, { ...row, item: copy(row.item) });
    next.seq = this.seq;
    next.preferences = this.preferences === null ? null : copy(this.preferences);
    this.closed = true;
    for (const op of [...this.pauses.keys()]) this.resume(op);
    return next;
  }

  /** Counts the call, applies a scripted fault or pause, then runs `body` a microtask later (like real I/O). */
  private run<T>(operation: StoreOperation, body: () => T): Promise<T> {
    this.calls[operation]++;
    const fault = this.faults.get(operation);
    if (fault && fault.remaining > 0) {
      fault.remaining--;
      if (fault.remaining <= 0) this.faults.delete(operation);
      if (fault.sync) throw fault.error;
      return Promise.resolve().then(() => {
        throw fault.error;
      });
    }
    return (async () => {
      await Promise.resolve();
      const pause = this.pauses.get(operation);
      if (pause) await pause.promise;
      if (this.closed) throw new NotifierError('STORE_UNAVAILABLE', 'the store is closed (simulated crash)');
      return body();
    })();
  }

  private pending(): Row[] {
    return [...this.rows.values()].filter((r) => r.state === 'pending');
  }

  private row(id: string): Row {
    const row = this.rows.get(id);
    if (!row) throw new NotifierError('OUTBOX_ITEM_UNKNOWN', `no outbox item ${id}`);
    return row;
  }
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
