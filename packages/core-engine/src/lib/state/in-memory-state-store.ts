import type { StateNamespace, StateRecord, StateStore } from '../ports/state-store.js';
import { StateStoreError } from './state.errors.js';

/** One `write` call as the store received it. */
export interface StateWriteLogEntry {
  readonly records: readonly StateRecord[];
  readonly durable: boolean;
  /** Whether the write was applied (false when an injected failure rejected it). */
  readonly applied: boolean;
}

/** A failure to inject into the next matching call. */
export interface StateStoreFailure {
  readonly op: 'load' | 'write';
  /** Only writes for which this returns true fail (default: any). */
  readonly match?: (records: readonly StateRecord[], options: { readonly durable: boolean }) => boolean;
  /** How many matching calls fail (default 1). */
  readonly times?: number;
  /** The error to reject with (default a {@link StateStoreError}). */
  readonly error?: Error;
}

export interface InMemoryStateStoreOptions {
  /** Records present before the first call, as if written earlier. */
  readonly initial?: readonly StateRecord[];
}

interface PendingWrite {
  readonly records: readonly StateRecord[];
  readonly durable: boolean;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

function storeKey(ns: StateNamespace, key: string): string {
  return `${ns}\u0000${key}`;
}

/**
 * A {@link StateStore} in memory, for tests and benchmarks. Records are kept as JSON text, so
 * values that the real store could not keep (functions, `undefined`, class instances) do not
 * survive here either. Writes are applied in call order, all records of one write or none; a null
 * value deletes. Failures can be injected, writes can be held back (`pause`/`resume`) to observe
 * what happens before a durable write commits, and every call is in `writeLog`.
 */
export class InMemoryStateStore implements StateStore {
  /** Every write call in order. */
  readonly writeLog: StateWriteLogEntry[] = [];
  private readonly data = new Map<
    string,
    { readonly ns: StateNamespace; readonly key: string; readonly json: string }
  >();
  private failures: { failure: StateStoreFailure; remaining: number }[] = [];
  private paused = false;
  private readonly queue: PendingWrite[] = [];

  constructor(options: InMemoryStateStoreOptions = {}) {
    if (options.initial) this.applyRecords(options.initial);
  }

  load(): Promise<readonly StateRecord[]> {
    const error = this.takeFailure('load', [], { durable: false });
    if (error) return Promise.reject(error);
    return Promise.resolve(this.records());
  }

  write(records: readonly StateRecord[], options: { readonly durable: boolean }): Promise<void> {
    const copy = records.map((r) => ({ ns: r.ns, key: r.key, value: r.value }));
    return new Promise<void>((resolve, reject) => {
      const pending: PendingWrite = { records: copy, durable: options.durable, resolve, reject };
      if (this.paused) this.queue.push(pending);
      else this.commit(pending);
    });
  }

  /** Current records (values parsed afresh, so callers cannot change what is stored). */
  records(): StateRecord[] {
    return Array.from(this.data.values(), (r) => ({
      ns: r.ns,
      key: r.key,
      value: JSON.parse(r.json) as unknown,
    }));
  }

  /** The value stored under `ns`/`key`, or undefined. */
  get(ns: StateNamespace, key: string): unknown {
    const stored = this.data.get(storeKey(ns, key));
    return stored ? (JSON.parse(stored.json) as unknown) : undefined;
  }

  /** Number of stored records. */
  get size(): number {
    return this.data.size;
  }

  /** Makes the next matching call(s) fail. */
  injectFailure(failure: StateStoreFailure): void {
    this.failures.push({ failure, remaining: failure.times ?? 1 });
  }

  /** Holds back writes (they stay pending, unapplied) until `resume()`. */
  pause(): void {
    this.paused = true;
  }

  /** Applies held-back writes in call order and resolves them. */
  resume(): void {
    this.paused = false;
    while (this.queue.length > 0 && !this.paused) this.commit(this.queue.shift() as PendingWrite);
  }

  /** Writes held back by `pause()`. */
  get pendingWrites(): number {
    return this.queue.length;
  }

  private commit(pending: PendingWrite): void {
    const error = this.takeFailure('write', pending.records, { durable: pending.durable });
    this.writeLog.push({ records: pending.records, durable: pending.durable, applied: !error });
    if (error) {
      pending.reject(error);
      return;
    }
    try {
      this.applyRecords(pending.records);
    } catch (err) {
      pending.reject(err instanceof Error ? err : new StateStoreError(String(err)));
      return;
    }
    pending.resolve();
  }

  /** All or nothing: every value is serialized before any is stored. */
  private applyRecords(records: readonly StateRecord[]): void {
    const serialized = records.map((r) => {
      if (r.value === null) return { r, json: null };
      let json: string | undefined;
      try {
        json = JSON.stringify(r.value);
      } catch (err) {
        throw new StateStoreError(`record ${r.ns}/${r.key} is not JSON`, { cause: err });
      }
      if (json === undefined) throw new StateStoreError(`record ${r.ns}/${r.key} is not JSON`);
      return { r, json };
    });
    for (const { r, json } of serialized) {
      const key = storeKey(r.ns, r.key);
      if (json === null) this.data.delete(key);
      else this.data.set(key, { ns: r.ns, key: r.key, json });
    }
  }

  private takeFailure(
    op: 'load' | 'write',
    records: readonly StateRecord[],
    options: { readonly durable: boolean },
  ): Error | undefined {
    const index = this.failures.findIndex(
      (f) => f.failure.op === op && (!f.failure.match || f.failure.match(records, options)),
    );
    if (index < 0) return undefined;
    const slot = this.failures[index] as { failure: StateStoreFailure; remaining: number };
    slot.remaining -= 1;
    if (slot.remaining <= 0) this.failures.splice(index, 1);
    return slot.failure.error ?? new StateStoreError(`injected ${op} failure`);
  }
}
