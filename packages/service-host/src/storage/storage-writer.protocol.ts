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

export type WriterOp = StateOp | AuditOp;

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
    }
  | {
      readonly t: 'failed';
      readonly upTo: number;
      readonly ops: number;
      readonly error: { readonly message: string; readonly code: string | null };
    }
  | { readonly t: 'log'; readonly level: LogLevel; readonly obj: object; readonly msg: string }
  | { readonly t: 'stopped' };
