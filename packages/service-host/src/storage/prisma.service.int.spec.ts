import { MemoryLogger } from '@riskd/core-engine';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from './prisma.service.js';
import { StorageNotStartedError } from './storage.errors.js';
import { TempStorage } from './temp-storage.fixture.js';

let temp: TempStorage;

beforeAll(async () => {
  temp = await TempStorage.create();
});
afterAll(() => temp.remove());

describe('PrismaService', () => {
  it('when started on a new file then migrations are applied and the connection runs WAL with synchronous NORMAL', async () => {
    const logger = new MemoryLogger();
    const service = new PrismaService({ url: `file:${temp.freshPath('new/riskd.db')}`, logger });
    expect(() => service.client).toThrow(StorageNotStartedError);
    await service.start();
    try {
      const [mode] = await service.client.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
      const [sync] =
        await service.client.$queryRawUnsafe<{ synchronous: bigint | number }[]>('PRAGMA synchronous');
      expect(mode?.journal_mode).toBe('wal');
      expect(Number(sync?.synchronous)).toBe(1);
      expect(await service.client.auditEntry.count()).toBe(0);
      expect(logger.lines.some((l) => l.msg === 'applied migration')).toBe(true);
    } finally {
      await service.stop();
    }
  });

  it('when stopped then the client is gone and the SQLite handle is closed', async () => {
    const dbPath = temp.newDbPath();
    const service = new PrismaService({ url: dbPath, logger: new MemoryLogger() });
    await service.start();
    await service.client.clockEvent.create({
      data: { at: new Date(1), kind: 'clock_in', createdAt: new Date(1) },
    });
    await service.stop();
    expect(() => service.client).toThrow(StorageNotStartedError);
    // Leaving WAL needs the only connection: it fails while another one is open.
    const db = new Database(dbPath, { timeout: 0 });
    try {
      expect(db.pragma('journal_mode = DELETE', { simple: true })).toBe('delete');
      expect(db.prepare('SELECT "at" FROM "ClockEvent"').get()).toEqual({ at: 1 });
    } finally {
      db.close();
    }
  });
});
