// The storage writer's worker thread: the only writer of engine state records, audit rows and
// the notification outbox and preferences.
// Plain JavaScript on purpose: a worker is started by Node itself, outside vitest's and tsx's
// transforms, so this file (and audit-chain.mjs) must run as is. The protocol is typed in
// storage-writer.protocol.ts; the main-thread side is storage-writer.ts.
//
// Operations arrive in call order and are applied in that order, in transactions: a commit is
// made when a durable write or a flush asks for it, when `batchMaxOps` operations are waiting, or
// `batchMs` after the first waiting operation. Each transaction also records the last operation it
// contains (WriterMark), so a restarted worker tells the main thread exactly what is committed.
import { renameSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  auditRowHash,
  canonicalJson,
  GENESIS_HASH,
  readCheckpoint,
  writeCheckpoint,
} from './audit-chain.mjs';

/** @type {import('./storage-writer.protocol.js').WriterConfig} */
const cfg = workerData;
const port = parentPort;
if (!port) throw new Error('storage-writer.worker.mjs must run in a worker thread');

const RETRY_DELAYS_MS = [50, 200, 1000];

const db = new Database(cfg.dbPath, { timeout: 5000 });
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${cfg.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);

const upsertState = db.prepare(
  'INSERT INTO "StateRecord" ("ns", "key", "value", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?) ' +
    'ON CONFLICT ("ns", "key") DO UPDATE SET "value" = excluded."value", "updatedAt" = excluded."updatedAt"',
);
const deleteState = db.prepare('DELETE FROM "StateRecord" WHERE "ns" = ? AND "key" = ?');
const insertAudit = db.prepare(
  'INSERT INTO "AuditEntry" ("seq", "at", "kind", "accountId", "contractId", "ruleId", "instanceId", "code", ' +
    '"reason", "mode", "idempotencyKey", "event", "timings", "data", "prevHash", "hash", "createdAt") ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
);

// Positional parameters: binding by name costs about half again as much per row.
function insertRow(r) {
  insertAudit.run(
    r.seq,
    r.at,
    r.kind,
    r.accountId,
    r.contractId,
    r.ruleId,
    r.instanceId,
    r.code,
    r.reason,
    r.mode,
    r.idempotencyKey,
    r.event,
    r.timings,
    r.data,
    r.prevHash,
    r.hash,
    r.createdAt,
  );
}
const upsertMark = db.prepare(
  'INSERT INTO "WriterMark" ("id", "session", "lastOp", "createdAt", "updatedAt") VALUES (1, ?, ?, ?, ?) ' +
    'ON CONFLICT ("id") DO UPDATE SET "session" = excluded."session", "lastOp" = excluded."lastOp", ' +
    '"updatedAt" = excluded."updatedAt"',
);

// The notification tables' statements are prepared on first use, so a writer over a database
// without them (an older schema in a test) still starts.
const notifySql = {
  enqueue:
    'INSERT INTO "NotificationOutbox" ("id", "alertId", "channel", "accountId", "kind", "severity", "alert", ' +
    '"attempts", "nextAttemptAt", "createdAt", "state", "updatedAt") ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \'pending\', ?) ON CONFLICT ("id") DO NOTHING',
  delivered:
    'UPDATE "NotificationOutbox" SET "state" = \'delivered\', "deliveredAt" = ?, "updatedAt" = ? ' +
    'WHERE "id" = ? AND "state" = \'pending\'',
  retry:
    'UPDATE "NotificationOutbox" SET "attempts" = "attempts" + 1, "nextAttemptAt" = ?, "lastError" = ?, ' +
    '"updatedAt" = ? WHERE "id" = ? AND "state" = \'pending\'',
  failed:
    'UPDATE "NotificationOutbox" SET "state" = \'failed\', "failedAt" = ?, "lastError" = ?, "updatedAt" = ? ' +
    'WHERE "id" = ? AND "state" = \'pending\'',
  preferences:
    'INSERT INTO "NotificationPreference" ("id", "kinds", "channels", "quietHours", "createdAt", "updatedAt") ' +
    'VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT ("id") DO UPDATE SET "kinds" = excluded."kinds", ' +
    '"channels" = excluded."channels", "quietHours" = excluded."quietHours", "updatedAt" = excluded."updatedAt"',
  prune: 'DELETE FROM "NotificationOutbox" WHERE "state" IN (\'delivered\', \'failed\') AND "createdAt" < ?',
};
const notifyStatements = new Map();

function notifyStatement(name) {
  let statement = notifyStatements.get(name);
  if (statement === undefined) {
    statement = db.prepare(notifySql[name]);
    notifyStatements.set(name, statement);
  }
  return statement;
}

/** Applies one notification change; returns the number of rows it changed. */
function applyNotify(op) {
  const n = op.n;
  switch (n.c) {
    case 'enqueue': {
      const insert = notifyStatement('enqueue');
      let changed = 0;
      for (const r of n.items) {
        changed += insert.run(
          r.id,
          r.alertId,
          r.channel,
          r.accountId,
          r.kind,
          r.severity,
          r.alert,
          r.attempts,
          r.nextAttemptAt,
          r.createdAt,
          op.at,
        ).changes;
      }
      return changed;
    }
    case 'delivered':
      return notifyStatement('delivered').run(n.at, op.at, n.itemId).changes;
    case 'retry':
      return notifyStatement('retry').run(n.nextAttemptAt, n.error, op.at, n.itemId).changes;
    case 'failed':
      return notifyStatement('failed').run(n.at, n.error, op.at, n.itemId).changes;
    case 'preferences':
      return notifyStatement('preferences').run(n.kinds, n.channels, n.quietHours, op.at, op.at).changes;
    case 'prune':
      return notifyStatement('prune').run(n.before).changes;
    default:
      throw new Error(`unknown notification change ${String(n.c)}`);
  }
}

/** Head of the chain as committed. */
let head = readHead();
/** @type {import('./storage-writer.protocol.js').WriterOp[]} */
let pending = [];
let timer;
let retryTimer;
let attempt = 0;
let auditRowsWritten = 0;
let stopping = false;

function readHead() {
  const last = db.prepare('SELECT "seq", "hash" FROM "AuditEntry" ORDER BY "seq" DESC LIMIT 1').get();
  const count = db.prepare('SELECT COUNT(*) AS n FROM "AuditEntry"').get();
  return last ? { seq: last.seq, hash: last.hash, rows: count.n } : { seq: 0, hash: GENESIS_HASH, rows: 0 };
}

function log(level, obj, msg) {
  port.postMessage({ t: 'log', level, obj, msg });
}

function str(v) {
  return typeof v === 'string' ? v : null;
}

function int(v) {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
}

function json(v) {
  if (v === undefined || v === null) return null;
  try {
    return canonicalJson(v) ?? null;
  } catch (err) {
    return canonicalJson({ unserializable: String(err) });
  }
}

/** The stored row of an entry; absent fields are null, JSON fields canonical JSON text. */
function auditRow(entry, seq, prevHash, createdAt) {
  const row = {
    seq,
    at: int(entry.at) ?? createdAt,
    kind: str(entry.kind) ?? 'system',
    accountId: int(entry.accountId),
    contractId: str(entry.contractId),
    ruleId: str(entry.ruleId),
    instanceId: str(entry.instanceId),
    code: str(entry.code),
    reason: str(entry.reason),
    mode: str(entry.mode),
    idempotencyKey: str(entry.idempotencyKey),
    event: json(entry.event),
    timings: json(entry.timings),
    data: json(entry.data),
    prevHash,
    createdAt,
  };
  return { ...row, hash: auditRowHash(row) };
}

/** Applies ops in one transaction; returns the new head. Throws (and rolls back) on failure. */
const applyBatch = db.transaction((ops) => {
  let seq = head.seq;
  let hash = head.hash;
  let auditRows = 0;
  const results = [];
  for (const op of ops) {
    if (op.k === 's') {
      for (const [ns, key, value] of op.r) {
        if (value === null) deleteState.run(ns, key);
        else upsertState.run(ns, key, value, op.at, op.at);
      }
    } else if (op.k === 'n') {
      results.push([op.id, applyNotify(op)]);
    } else {
      const row = auditRow(op.e, seq + 1, hash, op.at);
      insertRow(row);
      seq = row.seq;
      hash = row.hash;
      auditRows += 1;
      auditRowsWritten += 1;
      if (cfg.fault?.exitMidBatchAfterAuditRows === auditRowsWritten) {
        // Fault injection for tests: die with the transaction open.
        process.exit(70);
      }
    }
  }
  const last = ops[ops.length - 1];
  upsertMark.run(cfg.session, last.id, last.at, last.at);
  return { seq, hash, rows: head.rows + auditRows, auditRows, results };
});

function scheduleCommit() {
  if (pending.length >= cfg.batchMaxOps) {
    commit();
    return;
  }
  if (timer === undefined && retryTimer === undefined) timer = setTimeout(commit, cfg.batchMs);
}

function commit() {
  if (timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (retryTimer !== undefined || pending.length === 0) return;
  const batch = pending;
  const started = performance.now();
  let result;
  try {
    result = applyBatch(batch);
  } catch (err) {
    onBatchFailure(batch, err);
    return;
  }
  pending = [];
  attempt = 0;
  head = { seq: result.seq, hash: result.hash, rows: result.rows };
  const last = batch[batch.length - 1];
  let checkpointError;
  if (result.auditRows > 0) {
    try {
      writeCheckpoint(
        cfg.checkpointPath,
        { rows: head.rows, headSeq: head.seq, headHash: head.hash, at: last.at },
        cfg.synchronous === 'full',
      );
    } catch (err) {
      checkpointError = String(err);
    }
  }
  if (
    cfg.fault?.exitAfterCommitAtAuditRows !== undefined &&
    auditRowsWritten >= cfg.fault.exitAfterCommitAtAuditRows
  ) {
    // Fault injection for tests: die after the commit, before the main thread hears of it.
    process.exit(71);
  }
  port.postMessage({
    t: 'committed',
    upTo: last.id,
    ops: batch.length,
    auditRows: result.auditRows,
    head,
    ms: performance.now() - started,
    ...(checkpointError ? { checkpointError } : {}),
    ...(result.results.length > 0 ? { results: result.results } : {}),
  });
}

function onBatchFailure(batch, err) {
  const error = { message: err instanceof Error ? err.message : String(err), code: err?.code ?? null };
  if (attempt < RETRY_DELAYS_MS.length && !stopping) {
    const delay = RETRY_DELAYS_MS[attempt];
    attempt += 1;
    log(
      'warn',
      { err: error, ops: batch.length, attempt, retryInMs: delay },
      'storage batch failed, retrying',
    );
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      commit();
    }, delay);
    return;
  }
  // Give the batch up so later writes are not blocked forever; the main thread rejects its
  // durable writes and flushes and logs what was lost.
  pending = pending.slice(batch.length);
  attempt = 0;
  port.postMessage({ t: 'failed', upTo: batch[batch.length - 1].id, ops: batch.length, error });
  if (pending.length > 0) scheduleCommit();
}

/**
 * Compares the trail with the checkpoint left by the last run. A checkpoint behind the database
 * (a crash between commit and checkpoint) is caught up. A missing checkpoint for a non-empty
 * trail, or one the database no longer contains (rows deleted or edited while stopped), is set
 * aside and recorded as a system row, so the break stays visible in the trail itself.
 */
function checkCheckpoint() {
  let checkpoint = null;
  let problem = null;
  try {
    checkpoint = readCheckpoint(cfg.checkpointPath);
  } catch (err) {
    problem = { code: 'AUDIT_CHECKPOINT_UNREADABLE', reason: `audit checkpoint unreadable: ${String(err)}` };
  }
  if (!problem && checkpoint === null && head.rows > 0) {
    problem = {
      code: 'AUDIT_CHECKPOINT_MISSING',
      reason: `audit checkpoint missing with ${head.rows} rows in the trail`,
    };
  }
  if (!problem && checkpoint !== null && checkpoint.rows > 0) {
    const row = db.prepare('SELECT "hash" FROM "AuditEntry" WHERE "seq" = ?').get(checkpoint.headSeq);
    if (head.rows < checkpoint.rows || row?.hash !== checkpoint.headHash) {
      problem = {
        code: 'AUDIT_CHECKPOINT_MISMATCH',
        reason:
          `audit checkpoint (${checkpoint.rows} rows, seq ${checkpoint.headSeq}) does not match the trail ` +
          `(${head.rows} rows, seq ${head.seq})`,
      };
    }
  }
  if (!problem) {
    if (checkpoint === null || checkpoint.headSeq !== head.seq) writeHeadCheckpoint();
    return;
  }
  let setAside = null;
  if (problem.code !== 'AUDIT_CHECKPOINT_MISSING') {
    setAside = `${cfg.checkpointPath}.${problem.code === 'AUDIT_CHECKPOINT_MISMATCH' ? 'mismatch' : 'unreadable'}-${cfg.startedAt}`;
    renameSync(cfg.checkpointPath, setAside);
  }
  const entry = {
    at: cfg.startedAt,
    kind: 'system',
    code: problem.code,
    reason: problem.reason,
    data: { checkpoint, trail: { rows: head.rows, headSeq: head.seq, headHash: head.hash }, setAside },
  };
  const record = db.transaction(() => {
    const row = auditRow(entry, head.seq + 1, head.hash, cfg.startedAt);
    insertRow(row);
    return row;
  });
  const row = record();
  head = { seq: row.seq, hash: row.hash, rows: head.rows + 1 };
  writeHeadCheckpoint();
  log('error', { code: problem.code, checkpoint, trail: head, setAside }, problem.reason);
}

function writeHeadCheckpoint() {
  writeCheckpoint(
    cfg.checkpointPath,
    { rows: head.rows, headSeq: head.seq, headHash: head.hash, at: cfg.startedAt },
    cfg.synchronous === 'full',
  );
}

function stop() {
  stopping = true;
  if (retryTimer !== undefined) {
    clearTimeout(retryTimer);
    retryTimer = undefined;
  }
  commit();
  if (pending.length > 0) {
    port.postMessage({
      t: 'failed',
      upTo: pending[pending.length - 1].id,
      ops: pending.length,
      error: { message: 'storage writer stopped with uncommitted writes', code: null },
    });
    pending = [];
  }
  db.close();
  port.postMessage({ t: 'stopped' });
  port.close();
}

port.on('message', (msg) => {
  switch (msg.t) {
    case 'ops':
      for (const op of msg.ops) pending.push(op);
      if (msg.commit) commit();
      else scheduleCommit();
      break;
    case 'commit':
      commit();
      break;
    case 'stop':
      stop();
      break;
    default:
      log('error', { message: msg }, 'storage writer got an unknown message');
  }
});

checkCheckpoint();
const mark = db.prepare('SELECT "session", "lastOp" FROM "WriterMark" WHERE "id" = 1').get() ?? null;
port.postMessage({ t: 'ready', head, mark });
