import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import {
  type AuditCheckpoint,
  type AuditRowColumns,
  auditRowHash,
  GENESIS_HASH,
  readCheckpoint,
} from './audit-chain.mjs';
import { auditCheckpointPath } from './storage-paths.js';

/** What kind of integrity problem {@link verifyAudit} found. */
export type AuditProblemKind =
  | 'database-missing'
  /** A row's content does not match its stored hash: the row was edited. */
  | 'row-edited'
  /** A row's prevHash is not the previous row's hash: a row was deleted or the chain rewritten. */
  | 'chain-broken'
  /** The trail ends before the checkpoint: rows were deleted from the tail. */
  | 'truncated'
  /** The row the checkpoint names has another hash: the tail was rewritten. */
  | 'checkpoint-mismatch'
  | 'checkpoint-missing'
  | 'checkpoint-unreadable';

export interface AuditProblem {
  readonly kind: AuditProblemKind;
  /** The row concerned, when there is one. */
  readonly seq?: number;
  readonly message: string;
}

/** Result of {@link verifyAudit}. */
export interface AuditVerifyResult {
  /** True when no problem was found. */
  readonly ok: boolean;
  /** Rows in the trail. */
  readonly rows: number;
  /** Seq and hash of the last row (0 and the genesis hash for an empty trail). */
  readonly headSeq: number;
  readonly headHash: string;
  readonly checkpoint: AuditCheckpoint | null;
  /** At most {@link MAX_REPORTED_PROBLEMS} problems, in row order, then checkpoint problems. */
  readonly problems: readonly AuditProblem[];
  /**
   * Breaks the writer found and recorded in the trail itself (system rows with code
   * `AUDIT_CHECKPOINT_MISMATCH`, `_MISSING` or `_UNREADABLE`), as "seq N: reason".
   */
  readonly notices: readonly string[];
}

export const MAX_REPORTED_PROBLEMS = 100;

const CHECKPOINT_CODES = new Set([
  'AUDIT_CHECKPOINT_MISMATCH',
  'AUDIT_CHECKPOINT_MISSING',
  'AUDIT_CHECKPOINT_UNREADABLE',
]);

/**
 * Verifies the audit trail of the SQLite file at `dbPath` against its checkpoint file (default:
 * beside the database): recomputes every row's hash, follows the chain, and compares the trail's
 * length and head with the checkpoint. Read-only; safe while the daemon runs (the checkpoint is
 * read before the database snapshot, and it never runs ahead of committed rows).
 */
export function verifyAudit(
  dbPath: string,
  checkpointPath: string = auditCheckpointPath(dbPath),
): AuditVerifyResult {
  const problems: AuditProblem[] = [];
  const notices: string[] = [];
  let checkpoint: AuditCheckpoint | null = null;
  let checkpointReadable = true;
  try {
    checkpoint = readCheckpoint(checkpointPath);
  } catch (err) {
    checkpointReadable = false;
    problems.push({
      kind: 'checkpoint-unreadable',
      message: `cannot read ${checkpointPath}: ${String(err)}`,
    });
  }
  if (!existsSync(dbPath)) {
    problems.push({ kind: 'database-missing', message: `no database at ${dbPath}` });
    return { ok: false, rows: 0, headSeq: 0, headHash: GENESIS_HASH, checkpoint, problems, notices };
  }

  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  let rows = 0;
  let headSeq = 0;
  let headHash = GENESIS_HASH;
  let checkpointRowHash: string | undefined;
  let rowProblems = 0;
  const report = (problem: AuditProblem): void => {
    rowProblems += 1;
    if (rowProblems <= MAX_REPORTED_PROBLEMS) problems.push(problem);
  };
  try {
    // One read transaction: a consistent snapshot while the writer keeps appending.
    db.exec('BEGIN');
    const select = db.prepare(
      'SELECT "seq", "at", "kind", "accountId", "contractId", "ruleId", "instanceId", "code", "reason", "mode", ' +
        '"idempotencyKey", "event", "timings", "data", "prevHash", "hash", "createdAt" FROM "AuditEntry" ORDER BY "seq"',
    );
    for (const raw of select.iterate() as IterableIterator<AuditRowColumns & { hash: string }>) {
      rows += 1;
      if (raw.prevHash !== headHash) {
        const gap = raw.seq !== headSeq + 1 ? ` (rows ${headSeq + 1}..${raw.seq - 1} are missing)` : '';
        report({
          kind: 'chain-broken',
          seq: raw.seq,
          message: `row ${raw.seq}: prevHash does not match the hash of row ${headSeq}${gap}`,
        });
      }
      if (auditRowHash(raw) !== raw.hash) {
        report({
          kind: 'row-edited',
          seq: raw.seq,
          message: `row ${raw.seq}: content does not match its hash (edited)`,
        });
      }
      if (raw.kind === 'system' && raw.code !== null && CHECKPOINT_CODES.has(raw.code)) {
        notices.push(`seq ${raw.seq}: ${raw.reason ?? raw.code}`);
      }
      if (checkpoint && raw.seq === checkpoint.headSeq) checkpointRowHash = raw.hash;
      headSeq = raw.seq;
      headHash = raw.hash;
    }
    db.exec('COMMIT');
  } finally {
    db.close();
  }

  if (checkpoint === null && checkpointReadable && rows > 0) {
    problems.push({
      kind: 'checkpoint-missing',
      message: `no checkpoint at ${checkpointPath} for a trail of ${rows} rows`,
    });
  }
  if (checkpoint !== null && checkpoint.rows > 0) {
    if (rows < checkpoint.rows || headSeq < checkpoint.headSeq) {
      problems.push({
        kind: 'truncated',
        seq: checkpoint.headSeq,
        message:
          `the trail has ${rows} rows up to seq ${headSeq}; the checkpoint recorded ${checkpoint.rows} rows ` +
          `up to seq ${checkpoint.headSeq} (rows deleted from the tail)`,
      });
    } else if (checkpointRowHash !== checkpoint.headHash) {
      problems.push({
        kind: 'checkpoint-mismatch',
        seq: checkpoint.headSeq,
        message: `row ${checkpoint.headSeq} does not have the hash the checkpoint recorded (the tail was rewritten)`,
      });
    }
  }
  return { ok: problems.length === 0, rows, headSeq, headHash, checkpoint, problems, notices };
}
