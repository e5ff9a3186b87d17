import type { AuditEntry, LogLevel } from '@riskd/core-engine';

/** `workerData` of the storage writer's worker thread. */
export interface WriterConfig {
  readonly dbPath: string;
  readonly checkpointPath: string;
  /** Identifies this writer's operations in WriterMark (one per StorageWriter instance). */
  readonly session: string;
  readonly synchronous: 'normal' | 'full';
  readonly batchMs: number;
  readonly batchMaxOps: number;
  /** Clock time at start, epoch ms (for rows the worker writes on its own). */
  readonly startedAt: number;
  readonly fault?: WriterFault;
}

/** Fault injection for tests. */
export interface WriterFault {
  /** The worker exits, its transaction open, after inserting this many audit rows in total. */
  readonly exitMidBatchAfterAuditRows?: number;
  /** The worker exits right after the commit that reaches this many audit rows, before acknowledging it. */
  readonly exitAfterCommitAtAuditRows?: number;
}

/** A state write: records as [ns, key, JSON text or null to delete]. */
export interface StateOp {
  readonly id: number;
  readonly k: 's';
  readonly r: readonly (readonly [string, string, string | null])[];
  /** Clock time of the call, epoch ms. */
  readonly at: number;
}

/** An audit append. */
export interface AuditOp {
  readonly id: number;
  readonly k: 'a';
  readonly e: AuditEntry;
  /** Clock time of the call, epoch ms (the row's createdAt). */
  readonly at: number;
}

/** A notification outbox row as the writer inserts it (validated and serialized by the caller). */
export interface OutboxRow {
  /** `${alertId}|${channel}` */
  readonly id: string;
  readonly alertId: string;
  readonly channel: string;
  readonly accountId: number | null;
  readonly kind: string;
  readonly severity: string;
  /** JSON text of the alert. */
  readonly alert: string;
  readonly attempts: number;
  /** Epoch ms. */
  readonly nextAttemptAt: number;
  /** Epoch ms. */
  readonly createdAt: number;
}

/**
 * A change to the notification tables. The `delivered`, `retry` and `failed` changes only touch a
 * pending item; `enqueue` ignores ids already stored; `prune` deletes delivered and failed items
 * created before `before`.
 */
export type NotifyCommand =
  | { readonly c: 'enqueue'; readonly items: readonly OutboxRow[] }
  | { readonly c: 'delivered'; readonly itemId: string; readonly at: number }
  | { readonly c: 'retry'; readonly itemId: string; readonly nextAttemptAt: number; readonly error: string }
  | { readonly c: 'failed'; readonly itemId: string; readonly at: number; readonly error: string }
  | {
      readonly c: 'preferences';
      /** JSON text of each field; `quietHours` null for none. */
      readonly kinds: string;
      readonly channels: string;
      readonly quietHours: string | null;
    }
  | { readonly c: 'prune'; readonly before: number };

/** A notification write; its committed result is the number of rows it changed. */
export interface NotifyOp {
  readonly id: number;
  readonly k: 'n';
  readonly n: NotifyCommand;
  /** Clock time of the call, epoch ms (the rows' updatedAt). */
  readonly at: number;
}

export type WriterOp = StateOp | AuditOp | NotifyOp;

/** Chain head as committed. */
export interface WriterHead {
  readonly seq: number;
  readonly hash: string;
  readonly rows: number;
}

export type ToWorker =
  | { readonly t: 'ops'; readonly ops: readonly WriterOp[]; readonly commit: boolean }
  | { readonly t: 'commit' }
  | { readonly t: 'stop' };

export type FromWorker =
  | {
      readonly t: 'ready';
      readonly head: WriterHead;
      readonly mark: { readonly session: string; readonly lastOp: number } | null;
    }
  | {
      readonly t: 'committed';
      readonly upTo: number;
      readonly ops: number;
      readonly auditRows: number;
      readonly head: WriterHead;
      readonly ms: number;
      readonly checkpointError?: string;
      /** Rows changed by each notification op of the batch: [op id, rows]. */
      readonly results?: readonly (readonly [number, number])[];
    }
  | {
      readonly t: 'failed';
      readonly upTo: number;
      readonly ops: number;
      readonly error: { readonly message: string; readonly code: string | null };
    }
  | { readonly t: 'log'; readonly level: LogLevel; readonly obj: object; readonly msg: string }
  | { readonly t: 'stopped' };
