import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type AuditEntry, FakeClock, MemoryLogger } from '@riskd/core-engine';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from './audit-chain.mjs';
import { verifyAudit } from './audit-verify.js';
import { auditCheckpointPath } from './storage-paths.js';
import { StorageWriter } from './storage-writer.js';
import { TempStorage } from './temp-storage.fixture.js';

let temp: TempStorage;

beforeAll(async () => {
  temp = await TempStorage.create();
});
afterAll(() => temp.remove());

const entry = (i: number): AuditEntry => ({
  at: Date.UTC(2026, 0, 5, 15, 0, i),
  kind: i % 3 === 0 ? 'action-sent' : 'decision',
  accountId: 100 + (i % 2),
  contractId: 'CON.F.US.MNQ.H26',
  ruleId: 'daily-loss',
  instanceId: 'daily-loss#1',
  code: 'DAILY_LOSS_LIMIT',
  reason: `loss ${i} over limit`,
  mode: 'enforce',
  idempotencyKey: `k${i}`,
  event: { kind: 'quote', price: 21000 + i, nested: { b: 1, a: [1, { d: 2, c: 3 }] } },
  timings: { receivedAt: 1, decidedAt: 2 },
  data: { i },
});

/** A database with `rows` audit rows written by a real writer (then stopped). */
async function trail(rows: number, logger = new MemoryLogger()): Promise<string> {
  const dbPath = temp.newDbPath();
  const writer = new StorageWriter({ dbPath, logger, clock: new FakeClock() });
  await writer.start();
  for (let i = 1; i <= rows; i += 1) {
    writer.appendAudit(entry(i));
    // Several batches, so the checkpoint is rewritten more than once.
    if (i % 4 === 0) await writer.flush();
  }
  await writer.stop();
  return dbPath;
}

function exec(dbPath: string, sql: string): void {
  const db = new Database(dbPath);
  db.exec(sql);
  db.close();
}

describe('verifyAudit', () => {
  it('when the trail is untouched then it passes with the head the checkpoint recorded', async () => {
    const dbPath = await trail(10);
    const result = verifyAudit(dbPath);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.rows).toBe(10);
    expect(result.headSeq).toBe(10);
    expect(result.checkpoint).toMatchObject({ rows: 10, headSeq: 10, headHash: result.headHash });
  });

  it('when the trail is empty then it passes with the genesis hash', () => {
    const result = verifyAudit(temp.newDbPath());
    expect(result).toMatchObject({ ok: true, rows: 0, headSeq: 0, headHash: GENESIS_HASH, problems: [] });
  });

  it('when a row is edited then the edit is reported at its seq', async () => {
    const dbPath = await trail(10);
    exec(dbPath, `UPDATE "AuditEntry" SET "reason" = 'nothing happened' WHERE "seq" = 4`);
    const result = verifyAudit(dbPath);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      { kind: 'row-edited', seq: 4, message: expect.stringContaining('row 4') },
    ]);
  });

  it('when any column but the hash is edited then the row is reported (JSON columns, numbers and dates included)', async () => {
    const dbPath = await trail(6);
    exec(dbPath, `UPDATE "AuditEntry" SET "data" = '{"i":99}' WHERE "seq" = 1`);
    exec(dbPath, `UPDATE "AuditEntry" SET "accountId" = 1 WHERE "seq" = 2`);
    exec(dbPath, `UPDATE "AuditEntry" SET "at" = "at" + 1 WHERE "seq" = 3`);
    exec(dbPath, `UPDATE "AuditEntry" SET "createdAt" = "createdAt" - 1 WHERE "seq" = 5`);
    expect(verifyAudit(dbPath).problems.map((p) => [p.kind, p.seq])).toEqual([
      ['row-edited', 1],
      ['row-edited', 2],
      ['row-edited', 3],
      ['row-edited', 5],
    ]);
  });

  it('when a row is edited and its hash recomputed then the chain break is reported at the next row', async () => {
    const dbPath = await trail(10);
    exec(dbPath, `UPDATE "AuditEntry" SET "hash" = '${'f'.repeat(64)}' WHERE "seq" = 4`);
    const kinds = verifyAudit(dbPath).problems.map((p) => [p.kind, p.seq]);
    expect(kinds).toEqual([
      ['row-edited', 4],
      ['chain-broken', 5],
    ]);
  });

  it('when the last row is deleted then the truncation is reported against the checkpoint', async () => {
    const dbPath = await trail(10);
    exec(dbPath, `DELETE FROM "AuditEntry" WHERE "seq" = 10`);
    const result = verifyAudit(dbPath);
    expect(result.ok).toBe(false);
    expect(result.rows).toBe(9);
    expect(result.problems).toEqual([
      { kind: 'truncated', seq: 10, message: expect.stringContaining('9 rows') },
    ]);
  });

  it('when a row in the middle is deleted then the chain is reported broken with the missing seq', async () => {
    const dbPath = await trail(10);
    exec(dbPath, `DELETE FROM "AuditEntry" WHERE "seq" = 5`);
    const result = verifyAudit(dbPath);
    expect(result.problems).toHaveLength(2);
    expect(result.problems[0]).toMatchObject({ kind: 'chain-broken', seq: 6 });
    expect(result.problems[0]?.message).toContain('rows 5..5 are missing');
    expect(result.problems[1]).toMatchObject({ kind: 'truncated' });
  });

  it('when the checkpoint does not match the row it names then a checkpoint mismatch is reported', async () => {
    const dbPath = await trail(8);
    const file = auditCheckpointPath(dbPath);
    const checkpoint = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...checkpoint, headHash: 'a'.repeat(64) }));
    expect(verifyAudit(dbPath).problems).toEqual([
      { kind: 'checkpoint-mismatch', seq: 8, message: expect.stringContaining('row 8') },
    ]);
  });

  it('when the checkpoint is missing or unreadable then that is reported', async () => {
    const dbPath = await trail(3);
    const file = auditCheckpointPath(dbPath);
    writeFileSync(file, 'not json');
    expect(verifyAudit(dbPath).problems.map((p) => p.kind)).toEqual(['checkpoint-unreadable']);
    rmSync(file);
    expect(verifyAudit(dbPath).problems.map((p) => p.kind)).toEqual(['checkpoint-missing']);
  });

  it('when the database file does not exist then verify fails with database-missing', () => {
    expect(verifyAudit(temp.freshPath('absent.db')).problems.map((p) => p.kind)).toEqual([
      'database-missing',
    ]);
  });

  it('when the daemon restarts after its tail was deleted then the writer records the break and sets the old checkpoint aside', async () => {
    const dbPath = await trail(6);
    exec(dbPath, `DELETE FROM "AuditEntry" WHERE "seq" = 6`);
    const logger = new MemoryLogger();
    const writer = new StorageWriter({ dbPath, logger, clock: new FakeClock() });
    await writer.start();
    writer.appendAudit(entry(7));
    await writer.stop();

    const result = verifyAudit(dbPath);
    expect(result).toMatchObject({ ok: true, rows: 7 });
    expect(result.notices).toEqual([
      expect.stringMatching(/^seq 6: audit checkpoint \(6 rows, seq 6\) does not match/),
    ]);
    const db = new Database(dbPath, { readonly: true });
    const row = db.prepare('SELECT "kind", "code" FROM "AuditEntry" WHERE "seq" = 6').get();
    db.close();
    expect(row).toEqual({ kind: 'system', code: 'AUDIT_CHECKPOINT_MISMATCH' });
    const aside = readdirSync(path.dirname(dbPath)).filter((n) =>
      n.startsWith(`${path.basename(dbPath)}.audit-checkpoint.json.mismatch-`),
    );
    expect(aside).toHaveLength(1);
    expect(logger.problems().map((l) => [l.level, (l.obj as { code?: string }).code])).toEqual([
      ['error', 'AUDIT_CHECKPOINT_MISMATCH'],
    ]);
  });

  it('when the checkpoint is behind the trail (crash between commit and checkpoint) then the writer catches it up quietly', async () => {
    const dbPath = await trail(4);
    const file = auditCheckpointPath(dbPath);
    const early = readFileSync(file, 'utf8');
    const more = new StorageWriter({ dbPath, logger: new MemoryLogger(), clock: new FakeClock() });
    await more.start();
    more.appendAudit(entry(5));
    await more.stop();
    writeFileSync(file, early);
    expect(verifyAudit(dbPath).ok).toBe(true);

    const logger = new MemoryLogger();
    const writer = new StorageWriter({ dbPath, logger, clock: new FakeClock() });
    await writer.start();
    await writer.stop();
    expect(logger.problems()).toEqual([]);
    expect(verifyAudit(dbPath).checkpoint).toMatchObject({ rows: 5, headSeq: 5 });
  });

  it('when the checkpoint file is deleted while stopped then the writer records it missing and re-anchors', async () => {
    const dbPath = await trail(3);
    rmSync(auditCheckpointPath(dbPath));
    const logger = new MemoryLogger();
    const writer = new StorageWriter({ dbPath, logger, clock: new FakeClock() });
    await writer.start();
    await writer.stop();
    const result = verifyAudit(dbPath);
    expect(result).toMatchObject({ ok: true, rows: 4 });
    expect(result.notices).toEqual(['seq 4: audit checkpoint missing with 3 rows in the trail']);
    expect(existsSync(auditCheckpointPath(dbPath))).toBe(true);
  });
});
