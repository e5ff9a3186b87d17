/** One audit row as stored: DateTime columns as epoch ms, JSON columns as canonical JSON text. */
export interface AuditRowColumns {
  readonly seq: number;
  readonly at: number;
  readonly kind: string;
  readonly accountId: number | null;
  readonly contractId: string | null;
  readonly ruleId: string | null;
  readonly instanceId: string | null;
  readonly code: string | null;
  readonly reason: string | null;
  readonly mode: string | null;
  readonly idempotencyKey: string | null;
  readonly event: string | null;
  readonly timings: string | null;
  readonly data: string | null;
  readonly prevHash: string;
  readonly createdAt: number;
}

/**
 * What the writer records outside the database after every committed batch that added audit
 * rows: the row count and the last row's seq and hash.
 */
export interface AuditCheckpoint {
  readonly rows: number;
  readonly headSeq: number;
  readonly headHash: string;
  /** When it was written, epoch ms. */
  readonly at: number;
}

/** prevHash of the first row (64 zeros). */
export declare const GENESIS_HASH: string;
/** Columns of an audit row that its hash covers (every column but `hash`). */
export declare const AUDIT_HASHED_COLUMNS: readonly (keyof AuditRowColumns)[];
/**
 * JSON with object keys sorted at every level (JSON.stringify's rules otherwise); bigints as
 * decimal strings; undefined for undefined. Throws a TypeError on cycles.
 */
export declare function canonicalJson(value: unknown): string | undefined;
/** sha256 (hex) of `prevHash` followed by the canonical JSON of the hashed columns. */
export declare function auditRowHash(row: AuditRowColumns): string;
/** Reads a checkpoint file: null when it does not exist; throws when it is not a checkpoint. */
export declare function readCheckpoint(file: string): AuditCheckpoint | null;
/** Writes a checkpoint atomically (temporary file, then rename); `sync` fsyncs it first. */
export declare function writeCheckpoint(file: string, checkpoint: AuditCheckpoint, sync?: boolean): void;
