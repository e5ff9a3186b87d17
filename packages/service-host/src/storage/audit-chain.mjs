// The audit trail's hash chain and checkpoint file, shared by the storage writer's worker thread
// (plain JavaScript, so it runs the same under vitest, tsx and from dist) and `verifyAudit`.
// Types: audit-chain.d.mts.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';

/** prevHash of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** Columns of an audit row that its hash covers, in table order (every column but `hash`). */
export const AUDIT_HASHED_COLUMNS = Object.freeze([
  'seq',
  'at',
  'kind',
  'accountId',
  'contractId',
  'ruleId',
  'instanceId',
  'code',
  'reason',
  'mode',
  'idempotencyKey',
  'event',
  'timings',
  'data',
  'prevHash',
  'createdAt',
]);

const MAX_DEPTH = 200;

function canon(value, depth) {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      if (depth > MAX_DEPTH) throw new TypeError('value is cyclic or nested too deeply for JSON');
      if (typeof value.toJSON === 'function') return canon(value.toJSON(), depth + 1);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i += 1) {
          const item = canon(value[i], depth + 1);
          out += (i > 0 ? ',' : '') + (item === undefined ? 'null' : item);
        }
        return `${out}]`;
      }
      if (value instanceof Number || value instanceof String || value instanceof Boolean) {
        return canon(value.valueOf(), depth + 1);
      }
      let out = '{';
      let first = true;
      for (const key of Object.keys(value).sort()) {
        const item = canon(value[key], depth + 1);
        if (item === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${item}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      // undefined, functions and symbols: left out of objects, null in arrays (as JSON.stringify).
      return undefined;
  }
}

/**
 * JSON with object keys sorted at every level; otherwise JSON.stringify's rules (`toJSON` is
 * honoured, undefined members are dropped, non-finite numbers become null), and bigints are
 * written as decimal strings. Returns undefined for undefined. Throws a TypeError on cycles.
 */
export function canonicalJson(value) {
  return canon(value, 0);
}

// The hashed columns in key order, with the JSON text that precedes each value: the row's
// canonical JSON is built by concatenation (the values are strings, numbers or null).
const SORTED_COLUMNS = [...AUDIT_HASHED_COLUMNS].sort();
const COLUMN_PREFIX = SORTED_COLUMNS.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c)}:`);

/** sha256 (hex) of the previous row's hash followed by the canonical JSON of the row's columns. */
export function auditRowHash(row) {
  let text = '';
  for (let i = 0; i < SORTED_COLUMNS.length; i += 1) {
    const v = row[SORTED_COLUMNS[i]];
    text += COLUMN_PREFIX[i] + scalarJson(v);
  }
  text += '}';
  return createHash('sha256').update(row.prevHash).update(text).digest('hex');
}

function scalarJson(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return JSON.stringify(Number(v));
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  return JSON.stringify(String(v));
}

/** Reads a checkpoint file: null when it does not exist; throws when it is not a checkpoint. */
export function readCheckpoint(file) {
  if (!existsSync(file)) return null;
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    !Number.isSafeInteger(parsed.rows) ||
    !Number.isSafeInteger(parsed.headSeq) ||
    typeof parsed.headHash !== 'string'
  ) {
    throw new Error(`${file} is not an audit checkpoint`);
  }
  return {
    rows: parsed.rows,
    headSeq: parsed.headSeq,
    headHash: parsed.headHash,
    at: typeof parsed.at === 'number' ? parsed.at : 0,
  };
}

/** Writes a checkpoint atomically (temporary file, then rename); `sync` fsyncs it first. */
export function writeCheckpoint(file, checkpoint, sync = false) {
  const tmp = `${file}.tmp`;
  const body = `${JSON.stringify({
    rows: checkpoint.rows,
    headSeq: checkpoint.headSeq,
    headHash: checkpoint.headHash,
    at: checkpoint.at,
  })}\n`;
  writeFileSync(tmp, body, { mode: 0o600 });
  if (sync) {
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  renameSync(tmp, file);
}
