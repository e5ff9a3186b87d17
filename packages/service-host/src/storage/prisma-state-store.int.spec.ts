import {
  FakeClock,
  InMemoryStateStore,
  MemoryLogger,
  type StateNamespace,
  type StateRecord,
} from '@riskd/core-engine';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StorageNotStartedError, StorageValueError } from './storage.errors.js';
import { StorageModule } from './storage.module.js';
import { TempStorage } from './temp-storage.fixture.js';

let temp: TempStorage;
const open: StorageModule[] = [];

beforeAll(async () => {
  temp = await TempStorage.create();
});
afterEach(async () => {
  for (const storage of open.splice(0)) await storage.stop();
});
afterAll(() => temp.remove());

async function started(overrides: Parameters<TempStorage['module']>[0] = {}) {
  const made = temp.module(overrides);
  await made.storage.start();
  open.push(made.storage);
  return made;
}

function readRows(dbPath: string): { ns: string; key: string; value: string }[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT "ns", "key", "value" FROM "StateRecord" ORDER BY "ns", "key"').all() as {
      ns: string;
      key: string;
      value: string;
    }[];
  } finally {
    db.close();
  }
}

const sortRecords = (records: readonly StateRecord[]): StateRecord[] =>
  [...records].sort((a, b) => (a.ns + '\u0000' + a.key < b.ns + '\u0000' + b.key ? -1 : 1));

describe('PrismaStateStore', () => {
  it('when records are written, replaced and deleted then load returns the last value of each key', async () => {
    const { storage, logger } = await started();
    const store = storage.stateStore;
    await store.write(
      [
        { ns: 'lockout', key: '1:account', value: { id: '1:account', accountId: 1, startedAt: 5 } },
        { ns: 'rule-state', key: 'daily-loss:1', value: { n: 1 } },
        { ns: 'meta', key: 'last-reset', value: { at: 100, day: '2026-01-05' } },
      ],
      { durable: false },
    );
    await store.write([{ ns: 'rule-state', key: 'daily-loss:1', value: { n: 2 } }], { durable: false });
    await store.write([{ ns: 'lockout', key: '1:account', value: null }], { durable: true });

    expect(sortRecords(await store.load())).toEqual([
      { ns: 'meta', key: 'last-reset', value: { at: 100, day: '2026-01-05' } },
      { ns: 'rule-state', key: 'daily-loss:1', value: { n: 2 } },
    ]);
    expect(logger.problems()).toEqual([]);
  });

  it('when the store is reopened on the same file then the records are still there (restart)', async () => {
    const { storage, dbPath } = await started();
    await storage.stateStore.write(
      [{ ns: 'peak', key: '7', value: { day: 'd', realized: 1, combined: 2 } }],
      {
        durable: true,
      },
    );
    await storage.stop();
    open.splice(open.indexOf(storage), 1);

    const reopened = new StorageModule({ url: dbPath, clock: new FakeClock(), logger: new MemoryLogger() });
    await reopened.start();
    open.push(reopened);
    expect(await reopened.stateStore.load()).toEqual([
      { ns: 'peak', key: '7', value: { day: 'd', realized: 1, combined: 2 } },
    ]);
  });

  it('when a durable write resolves then a second connection already reads it, with every earlier write', async () => {
    const { storage, dbPath } = await started({ batchMs: 10_000 });
    await storage.stateStore.write([{ ns: 'rule-state', key: 'a', value: 1 }], { durable: false });
    storage.auditLog.append({ at: 1, kind: 'decision', code: 'X' });
    await storage.stateStore.write([{ ns: 'lockout', key: 'b', value: { until: 2 } }], { durable: true });

    expect(readRows(dbPath)).toEqual([
      { ns: 'lockout', key: 'b', value: '{"until":2}' },
      { ns: 'rule-state', key: 'a', value: '1' },
    ]);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM "AuditEntry"').get()).toEqual({ n: 1 });
    db.close();
  });

  it('when another connection holds the write lock then a durable write stays pending until it commits', async () => {
    const { storage, dbPath } = await started();
    const blocker = new Database(dbPath);
    blocker.exec('BEGIN IMMEDIATE');
    let resolved = false;
    const write = storage.stateStore
      .write([{ ns: 'intent', key: 'k', value: { target: 1 } }], { durable: true })
      .then(() => {
        resolved = true;
      });
    // A negative check needs a window: the worker is blocked on the lock meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(resolved).toBe(false);
    expect(readRows(dbPath)).toEqual([]);
    blocker.exec('COMMIT');
    blocker.close();
    await write;
    expect(readRows(dbPath)).toEqual([{ ns: 'intent', key: 'k', value: '{"target":1}' }]);
  });

  it('when a value is not JSON then the write rejects and none of its records is stored', async () => {
    const { storage, dbPath } = await started();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await expect(
      storage.stateStore.write(
        [
          { ns: 'rule-state', key: 'ok', value: 1 },
          { ns: 'rule-state', key: 'bad', value: cyclic },
        ],
        { durable: true },
      ),
    ).rejects.toBeInstanceOf(StorageValueError);
    await expect(
      storage.stateStore.write([{ ns: 'rule-state', key: 'fn', value: () => 1 }], { durable: false }),
    ).rejects.toMatchObject({ code: 'STORAGE_VALUE_INVALID' });
    await storage.writer.flush();
    expect(readRows(dbPath)).toEqual([]);
  });

  it('when random writes are applied then the stored records equal the in-memory store given the same calls', async () => {
    const { storage } = await started();
    const model = new InMemoryStateStore();
    const namespaces: StateNamespace[] = ['lockout', 'intent', 'rule-state', 'peak', 'meta'];
    const record = fc.record({
      ns: fc.constantFrom(...namespaces),
      key: fc.constantFrom('1', '2', 'a:b', 'x%3Ay'),
      value: fc.oneof(
        fc.constant(null),
        fc.integer(),
        fc.string(),
        fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null))),
      ),
    });
    const call = fc.record({ records: fc.array(record, { maxLength: 4 }), durable: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(call, { maxLength: 8 }), async (calls) => {
        const pending: Promise<void>[] = [];
        for (const c of calls) {
          pending.push(storage.stateStore.write(c.records, { durable: c.durable }));
          pending.push(model.write(c.records, { durable: c.durable }));
        }
        await Promise.all(pending);
        expect(sortRecords(await storage.stateStore.load())).toEqual(sortRecords(model.records()));
      }),
    );
  });

  it('when the writer is stopped then writes reject and appends are dropped with an error line', async () => {
    const { storage, logger } = await started();
    await storage.stop();
    open.splice(open.indexOf(storage), 1);
    await expect(
      storage.stateStore.write([{ ns: 'meta', key: 'k', value: 1 }], { durable: false }),
    ).rejects.toBeInstanceOf(StorageNotStartedError);
    storage.auditLog.append({ at: 1, kind: 'system' });
    expect(logger.problems().map((l) => l.msg)).toEqual(['audit entry dropped']);
  });
});
