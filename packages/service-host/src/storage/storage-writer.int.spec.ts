import { FakeClock, MemoryLogger } from '@riskd/core-engine';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from './audit-verify.js';
import { StorageWriterError } from './storage.errors.js';
import { auditCheckpointPath } from './storage-paths.js';
import { StorageWriter, type StorageWriterOptions } from './storage-writer.js';
import { TempStorage, waitUntil } from './temp-storage.fixture.js';

let temp: TempStorage;
const writers: StorageWriter[] = [];

beforeAll(async () => {
  temp = await TempStorage.create();
});
afterEach(async () => {
  for (const w of writers.splice(0)) await w.stop().catch(() => undefined);
});
afterAll(() => temp.remove());

function writer(options: Partial<StorageWriterOptions> = {}) {
  const dbPath = options.dbPath ?? temp.newDbPath();
  const logger = (options.logger as MemoryLogger | undefined) ?? new MemoryLogger();
  const w = new StorageWriter({ dbPath, logger, clock: new FakeClock(), ...options });
  writers.push(w);
  return { w, dbPath, logger };
}

function auditRows(dbPath: string): { seq: number; code: string | null }[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT "seq", "code" FROM "AuditEntry" ORDER BY "seq"').all() as {
      seq: number;
      code: string | null;
    }[];
  } finally {
    db.close();
  }
}

function stateKeys(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT "key" FROM "StateRecord" ORDER BY "key"').all() as { key: string }[]).map(
      (r) => r.key,
    );
  } finally {
    db.close();
  }
}

const codes = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `C${from + i}`);

describe('StorageWriter', () => {
  it('when many appends arrive in one tick then they are committed in one batch, in call order', async () => {
    const { w, dbPath, logger } = writer({ batchMs: 10_000 });
    await w.start();
    for (const code of codes(1, 500)) w.appendAudit({ at: 1, kind: 'decision', code });
    await w.flush();
    expect(w.stats()).toMatchObject({ batches: 1, auditRows: 500, failedOps: 0 });
    expect(auditRows(dbPath).map((r) => r.code)).toEqual(codes(1, 500));
    expect(logger.problems()).toEqual([]);
  });

  it('when appends are not flushed then they are committed within batchMs', async () => {
    const { w, dbPath } = writer({ batchMs: 20 });
    await w.start();
    w.appendAudit({ at: 1, kind: 'system', code: 'A' });
    await waitUntil(() => w.stats().batches === 1);
    expect(auditRows(dbPath).map((r) => r.code)).toEqual(['A']);
  });

  it('when batchMaxOps writes wait then they are committed without waiting for batchMs', async () => {
    const { w, dbPath } = writer({ batchMs: 60_000, batchMaxOps: 10 });
    await w.start();
    for (const code of codes(1, 10)) w.appendAudit({ at: 1, kind: 'system', code });
    await waitUntil(() => auditRows(dbPath).length === 10);
  });

  it('when a batch is committed then the head hash and row count are logged and written to the checkpoint', async () => {
    const { w, dbPath, logger } = writer();
    await w.start();
    w.appendAudit({ at: 1, kind: 'system', code: 'A' });
    w.appendAudit({ at: 2, kind: 'system', code: 'B' });
    await w.flush();
    const head = w.stats().head;
    expect(head?.rows).toBe(2);
    const line = logger.lines.find((l) => l.msg === 'audit checkpoint');
    expect(line?.obj).toEqual({ auditRows: 2, headSeq: 2, headHash: head?.hash, batchRows: 2 });
    const checkpoint = verifyAudit(dbPath).checkpoint;
    expect(checkpoint).toMatchObject({ rows: 2, headSeq: 2, headHash: head?.hash });
  });

  it('when the worker dies mid-batch then the rows committed before are intact and the open batch left nothing', async () => {
    const { w, dbPath, logger } = writer({ fault: { exitMidBatchAfterAuditRows: 25 }, maxRestarts: 0 });
    await w.start();
    for (const code of codes(1, 10)) w.appendAudit({ at: 1, kind: 'system', code });
    await w.flush();
    for (const code of codes(11, 50)) w.appendAudit({ at: 1, kind: 'system', code });
    const durable = w.writeState([{ ns: 'lockout', key: 'L', value: { x: 1 } }], true);
    await expect(durable).rejects.toBeInstanceOf(StorageWriterError);

    expect(auditRows(dbPath).map((r) => r.code)).toEqual(codes(1, 10));
    expect(stateKeys(dbPath)).toEqual([]);
    const verified = verifyAudit(dbPath);
    expect(verified).toMatchObject({ ok: true, rows: 10, problems: [] });
    expect(logger.lines.some((l) => l.level === 'fatal')).toBe(true);
  });

  it('when the worker dies mid-batch then a new worker commits every pending write exactly once', async () => {
    const { w, dbPath, logger } = writer({ fault: { exitMidBatchAfterAuditRows: 25 } });
    await w.start();
    for (const code of codes(1, 10)) w.appendAudit({ at: 1, kind: 'system', code });
    await w.flush();
    for (const code of codes(11, 50)) w.appendAudit({ at: 1, kind: 'system', code });
    await w.writeState([{ ns: 'lockout', key: 'L', value: { x: 1 } }], true);
    await w.flush();

    expect(auditRows(dbPath).map((r) => r.code)).toEqual(codes(1, 50));
    expect(stateKeys(dbPath)).toEqual(['L']);
    expect(verifyAudit(dbPath)).toMatchObject({ ok: true, rows: 50 });
    expect(w.stats().restarts).toBe(1);
    expect(logger.problems().map((l) => l.msg)).toEqual(['storage writer worker exited; restarting it']);
  });

  it('when the worker dies after a commit but before acknowledging it then nothing is written twice', async () => {
    const { w, dbPath } = writer({ fault: { exitAfterCommitAtAuditRows: 8 } });
    await w.start();
    for (const code of codes(1, 5)) w.appendAudit({ at: 1, kind: 'system', code });
    await w.flush();
    for (const code of codes(6, 8)) w.appendAudit({ at: 1, kind: 'system', code });
    await w.writeState([{ ns: 'intent', key: 'I', value: { target: 1 } }], true);
    expect(w.stats().restarts).toBe(1);
    for (const code of codes(9, 10)) w.appendAudit({ at: 1, kind: 'system', code });
    await w.flush();
    expect(auditRows(dbPath).map((r) => r.code)).toEqual(codes(1, 10));
    expect(stateKeys(dbPath)).toEqual(['I']);
    expect(verifyAudit(dbPath).ok).toBe(true);
  });

  it('when the worker is terminated from outside then the writer restarts it and keeps writing', async () => {
    const { w, dbPath } = writer();
    await w.start();
    for (const code of codes(1, 5)) w.appendAudit({ at: 1, kind: 'system', code });
    await w.flush();
    await w.workerForTests?.terminate();
    for (const code of codes(6, 7)) w.appendAudit({ at: 1, kind: 'system', code });
    await w.flush();
    expect(auditRows(dbPath).map((r) => r.code)).toEqual(codes(1, 7));
    expect(w.stats().restarts).toBe(1);
    expect(verifyAudit(dbPath).ok).toBe(true);
  });

  it('when the database has no tables then start rejects with a StorageWriterError', async () => {
    const { w } = writer({ dbPath: temp.freshPath('no-tables.db') });
    await expect(w.start()).rejects.toBeInstanceOf(StorageWriterError);
  });

  it('when stopped then queued writes are committed first', async () => {
    const { w, dbPath } = writer({ batchMs: 60_000 });
    await w.start();
    for (const code of codes(1, 3)) w.appendAudit({ at: 1, kind: 'system', code });
    await w.writeState([{ ns: 'meta', key: 'm', value: 1 }], false);
    await w.stop();
    expect(auditRows(dbPath)).toHaveLength(3);
    expect(stateKeys(dbPath)).toEqual(['m']);
    expect(verifyAudit(dbPath, auditCheckpointPath(dbPath)).checkpoint?.rows).toBe(3);
  });

  it('when an entry holds something structured clone refuses then its JSON form is stored', async () => {
    const { w, dbPath } = writer();
    await w.start();
    w.appendAudit({ at: 1, kind: 'system', code: 'F', data: { fn: () => 1, n: 2 } });
    await w.flush();
    const db = new Database(dbPath, { readonly: true });
    const row = db.prepare('SELECT "data" FROM "AuditEntry"').get() as { data: string };
    db.close();
    expect(row.data).toBe('{"n":2}');
  });
});
