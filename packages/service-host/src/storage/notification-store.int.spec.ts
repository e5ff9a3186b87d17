import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  type Alert,
  FakeClock,
  MemoryLogger,
  NOTIFICATION_STORE,
  type NotificationPreferences,
  type OutboxItem,
} from '@riskd/core-engine';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { container } from 'tsyringe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Housekeeping, OUTBOX_RETENTION_MS, outboxPruneTask } from '../schedules/housekeeping.js';
import { applyMigrations, servicePackageDir } from './migrations.js';
import { MAX_OUTBOX_ERROR_CHARS, PrismaNotificationStore } from './notification-store.js';
import { PrismaService } from './prisma.service.js';
import { StorageWriter } from './storage-writer.js';
import { StorageValueError } from './storage.errors.js';
import { StorageModule } from './storage.module.js';
import { TempStorage } from './temp-storage.fixture.js';

const NOTIFY_MIGRATION = 'add_notification_store';
const T0 = Date.UTC(2026, 0, 5, 15, 0, 0);

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
  const made = temp.module({ clock: new FakeClock(T0), ...overrides });
  await made.storage.start();
  open.push(made.storage);
  return made;
}

async function reopen(storage: StorageModule, dbPath: string, logger = new MemoryLogger()) {
  await storage.stop();
  open.splice(open.indexOf(storage), 1);
  const again = new StorageModule({ url: `file:${dbPath}`, clock: new FakeClock(T0), logger });
  await again.start();
  open.push(again);
  return again;
}

function alert(id: string, extra: Partial<Alert> = {}): Alert {
  return {
    id,
    at: T0,
    severity: 'warning',
    kind: 'lockout-started',
    title: `alert ${id}`,
    message: 'Daily loss limit reached',
    ...extra,
  };
}

function item(alertId: string, channel: string, extra: Partial<Omit<OutboxItem, 'id'>> = {}): OutboxItem {
  const a = extra.alert ?? alert(alertId);
  return {
    id: `${a.id}|${channel}`,
    alert: a,
    channel,
    attempts: 0,
    nextAttemptAt: T0,
    createdAt: T0,
    ...extra,
  };
}

interface RawRow {
  id: string;
  alertId: string;
  channel: string;
  accountId: number | null;
  kind: string;
  severity: string;
  alert: string;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  state: string;
  deliveredAt: number | null;
  failedAt: number | null;
  lastError: string | null;
  updatedAt: number;
}

/** Rows as a second connection sees them (what is committed). */
function rawRows(dbPath: string): RawRow[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM "NotificationOutbox" ORDER BY "id"').all() as RawRow[];
  } finally {
    db.close();
  }
}

function execSql(dbPath: string, sql: string, ...params: unknown[]): void {
  const db = new Database(dbPath);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

describe('PrismaNotificationStore: the outbox', () => {
  it('when items are enqueued then due returns those due, by nextAttemptAt then createdAt, up to the limit', async () => {
    const { storage } = await started();
    const store = storage.notifications;
    await store.enqueue([
      item('a', 'discord', { nextAttemptAt: T0 + 3_000, createdAt: T0 - 10 }),
      item('b', 'discord', { nextAttemptAt: T0 + 1_000, createdAt: T0 + 5 }),
      item('c', 'discord', { nextAttemptAt: T0 + 1_000, createdAt: T0 + 1 }),
      item('d', 'telegram', { nextAttemptAt: T0 + 9_000 }),
    ]);

    expect((await store.due(T0 + 999, 10)).map((i) => i.id)).toEqual([]);
    expect((await store.due(T0 + 3_000, 10)).map((i) => i.id)).toEqual([
      'c|discord',
      'b|discord',
      'a|discord',
    ]);
    expect((await store.due(T0 + 60_000, 2)).map((i) => i.id)).toEqual(['c|discord', 'b|discord']);
    expect(await store.due(T0 + 60_000, 0)).toEqual([]);
    expect(await store.due(T0 + 60_000, -1)).toEqual([]);
    const [first] = await store.due(T0 + 1_000, 1);
    expect(first).toStrictEqual(item('c', 'discord', { nextAttemptAt: T0 + 1_000, createdAt: T0 + 1 }));
  });

  it('when an alert is read back then it equals what was enqueued, optional fields included or absent', async () => {
    const { storage, dbPath } = await started();
    const full = alert('full', {
      severity: 'critical',
      accountId: 4021,
      ruleId: 'daily-loss',
      code: 'DAILY_LOSS',
      fields: { 'P&L': '-$512.00', limit: '$500.00' },
      message: 'Ünïcødé, "quotes" and\nnew lines',
    });
    const bare = alert('bare', { severity: 'info', kind: 'connection-lost' });
    await storage.notifications.enqueue([
      item('full', 'discord', { alert: full, attempts: 2 }),
      item('bare', 'telegram', { alert: bare }),
    ]);

    const due = await storage.notifications.due(T0, 10);
    expect(due.find((i) => i.id === 'full|discord')).toStrictEqual(
      item('full', 'discord', { alert: full, attempts: 2 }),
    );
    expect(due.find((i) => i.id === 'bare|telegram')?.alert).toStrictEqual(bare);
    expect(
      rawRows(dbPath).map((r) => [r.id, r.alertId, r.channel, r.accountId, r.kind, r.severity, r.state]),
    ).toEqual([
      ['bare|telegram', 'bare', 'telegram', null, 'connection-lost', 'info', 'pending'],
      ['full|discord', 'full', 'discord', 4021, 'lockout-started', 'critical', 'pending'],
    ]);
  });

  it('when an id is enqueued again, in any state or twice in one call, then the first item is kept and nothing changes', async () => {
    const { storage, dbPath } = await started();
    const store = storage.notifications;
    await store.enqueue([
      item('p', 'discord'),
      item('d', 'discord'),
      item('f', 'discord'),
      item('twice', 'discord', { alert: alert('twice', { title: 'first' }) }),
      item('twice', 'discord', { alert: alert('twice', { title: 'second' }), attempts: 5 }),
    ]);
    await store.markDelivered('d|discord', T0 + 1);
    await store.markFailed('f|discord', T0 + 2, 'webhook gone');
    await store.markRetry('p|discord', T0 + 500, 'timeout');
    const before = rawRows(dbPath);

    await store.enqueue([
      item('p', 'discord', { alert: alert('p', { title: 'again' }) }),
      item('d', 'discord'),
      item('f', 'discord'),
      item('twice', 'discord', { attempts: 9 }),
    ]);

    expect(rawRows(dbPath)).toEqual(before);
    expect(await store.counts()).toEqual({ pending: 2, delivered: 1, failed: 1 });
    const twice = (await store.due(T0, 10)).find((i) => i.id === 'twice|discord');
    expect(twice?.alert.title).toBe('first');
    expect(twice?.attempts).toBe(0);
  });

  it('when enqueue resolves then the items are committed (a second connection reads them), queued writes first', async () => {
    // A long batch window: only the durable enqueue makes the writer commit.
    const { storage, dbPath } = await started({ batchMs: 60_000 });
    await storage.stateStore.write([{ ns: 'meta', key: 'k', value: 1 }], { durable: false });
    storage.auditLog.append({ at: T0, kind: 'decision', code: 'X' });
    await storage.notifications.enqueue([item('a', 'discord'), item('a', 'telegram')]);

    expect(rawRows(dbPath).map((r) => r.id)).toEqual(['a|discord', 'a|telegram']);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM "StateRecord"').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM "AuditEntry"').get()).toEqual({ n: 1 });
    db.close();
  });

  it('when the writer dies after committing an enqueue, before acknowledging it, then enqueue resolves and the row is stored once', async () => {
    const dbPath = temp.newDbPath();
    const logger = new MemoryLogger();
    const clock = new FakeClock(T0);
    const prisma = new PrismaService({ url: dbPath, logger });
    const writer = new StorageWriter({ dbPath, logger, clock, fault: { exitAfterCommitAtAuditRows: 1 } });
    await prisma.start();
    await writer.start();
    try {
      const store = new PrismaNotificationStore(prisma, writer, logger);
      writer.appendAudit({ at: T0, kind: 'decision', code: 'X' });
      await store.enqueue([item('a', 'discord')]);
      expect(writer.stats().restarts).toBe(1);
      expect(rawRows(dbPath).map((r) => r.id)).toEqual(['a|discord']);
      expect(await store.due(T0, 10)).toStrictEqual([item('a', 'discord')]);
      await store.markDelivered('a|discord', T0 + 1);
      expect(await store.counts()).toEqual({ pending: 0, delivered: 1, failed: 0 });
    } finally {
      await writer.stop();
      await prisma.stop();
    }
  });

  it('when a delivery fails then markRetry adds an attempt, keeps the error and the item waits until nextAttemptAt', async () => {
    const { storage, dbPath, clock } = await started();
    const store = storage.notifications;
    await store.enqueue([item('a', 'discord', { attempts: 1 })]);
    await clock.advance(250);
    await store.markRetry('a|discord', T0 + 30_000, 'HTTP 502 Bad Gateway');

    expect(await store.due(T0 + 29_999, 10)).toEqual([]);
    expect(await store.due(T0 + 30_000, 10)).toStrictEqual([
      item('a', 'discord', { attempts: 2, nextAttemptAt: T0 + 30_000 }),
    ]);
    expect(await store.nextDueAt()).toBe(T0 + 30_000);
    expect(rawRows(dbPath)[0]).toMatchObject({
      attempts: 2,
      nextAttemptAt: T0 + 30_000,
      lastError: 'HTTP 502 Bad Gateway',
      state: 'pending',
      createdAt: T0,
      updatedAt: T0 + 250,
    });

    await store.markRetry('a|discord', T0 + 60_000, 'x'.repeat(5_000));
    const stored = rawRows(dbPath)[0]?.lastError ?? '';
    expect(stored).toHaveLength(MAX_OUTBOX_ERROR_CHARS);
    expect(stored.endsWith('…')).toBe(true);
  });

  it('when items are delivered or failed then they are final: due never returns them and later marks are ignored with a warning', async () => {
    const { storage, dbPath, logger } = await started();
    const store = storage.notifications;
    await store.enqueue([item('a', 'discord'), item('b', 'discord'), item('c', 'discord')]);
    await store.markDelivered('a|discord', T0 + 10);
    await store.markFailed('b|discord', T0 + 20, 'HTTP 404: unknown webhook');
    expect(await store.counts()).toEqual({ pending: 1, delivered: 1, failed: 1 });
    expect((await store.due(T0 + 86_400_000, 10)).map((i) => i.id)).toEqual(['c|discord']);

    const rows = rawRows(dbPath);
    expect(rows[0]).toMatchObject({ state: 'delivered', deliveredAt: T0 + 10, failedAt: null, attempts: 0 });
    expect(rows[1]).toMatchObject({
      state: 'failed',
      failedAt: T0 + 20,
      deliveredAt: null,
      lastError: 'HTTP 404: unknown webhook',
      attempts: 0,
    });
    expect(logger.problems()).toEqual([]);

    await store.markRetry('a|discord', T0 + 100, 'late');
    await store.markDelivered('b|discord', T0 + 100);
    await store.markFailed('nope|discord', T0 + 100, 'never queued');
    expect(rawRows(dbPath)).toEqual(rows);
    expect(logger.problems().map((l) => [l.level, l.obj])).toEqual([
      ['warn', { id: 'a|discord', mark: 'retry' }],
      ['warn', { id: 'b|discord', mark: 'delivered' }],
      ['warn', { id: 'nope|discord', mark: 'failed' }],
    ]);
  });

  it('when nothing is pending then nextDueAt is null; otherwise it is the earliest pending nextAttemptAt', async () => {
    const { storage } = await started();
    const store = storage.notifications;
    expect(await store.nextDueAt()).toBeNull();
    expect(await store.counts()).toEqual({ pending: 0, delivered: 0, failed: 0 });
    await store.enqueue([
      item('a', 'discord', { nextAttemptAt: T0 + 100 }),
      item('b', 'discord', { nextAttemptAt: T0 + 200 }),
    ]);
    expect(await store.nextDueAt()).toBe(T0 + 100);
    await store.markDelivered('a|discord', T0 + 100);
    expect(await store.nextDueAt()).toBe(T0 + 200);
    await store.markFailed('b|discord', T0 + 200, 'gave up');
    expect(await store.nextDueAt()).toBeNull();
  });

  it('when the database is closed and reopened then pending items come back with their attempts and nextAttemptAt (restart)', async () => {
    const { storage, dbPath } = await started();
    await storage.notifications.enqueue([
      item('a', 'discord', { createdAt: T0 - 5 }),
      item('b', 'discord'),
      item('c', 'telegram', { nextAttemptAt: T0 + 7 }),
    ]);
    await storage.notifications.markRetry('a|discord', T0 + 45_000, 'HTTP 429');
    await storage.notifications.markRetry('a|discord', T0 + 90_000, 'HTTP 429');
    await storage.notifications.markDelivered('b|discord', T0 + 3);

    const again = await reopen(storage, dbPath);
    expect(await again.notifications.counts()).toEqual({ pending: 2, delivered: 1, failed: 0 });
    expect(await again.notifications.nextDueAt()).toBe(T0 + 7);
    expect(await again.notifications.due(T0 + 90_000, 10)).toStrictEqual([
      item('c', 'telegram', { nextAttemptAt: T0 + 7 }),
      item('a', 'discord', { createdAt: T0 - 5, attempts: 2, nextAttemptAt: T0 + 90_000 }),
    ]);
  });

  it('when a stored alert is not JSON then due skips the row, marks it failed naming it, logs it and still fills the limit', async () => {
    const { storage, dbPath, logger } = await started();
    const store = storage.notifications;
    await store.enqueue([
      item('bad0', 'discord', { nextAttemptAt: T0 - 4 }),
      item('bad1', 'discord', { nextAttemptAt: T0 - 3 }),
      item('bad2', 'discord', { nextAttemptAt: T0 - 2 }),
      item('good1', 'discord', { nextAttemptAt: T0 - 1 }),
      item('good2', 'discord', { nextAttemptAt: T0 }),
      item('good3', 'discord', { nextAttemptAt: T0 + 1 }),
    ]);
    execSql(
      dbPath,
      'UPDATE "NotificationOutbox" SET "alert" = ? WHERE "id" = ?',
      '{"id":"bad1",',
      'bad1|discord',
    );
    execSql(dbPath, 'UPDATE "NotificationOutbox" SET "alert" = ? WHERE "id" = ?', '[1,2]', 'bad2|discord');
    execSql(
      dbPath,
      'UPDATE "NotificationOutbox" SET "createdAt" = ? WHERE "id" = ?',
      'yesterday',
      'bad0|discord',
    );

    expect((await store.due(T0 + 1, 2)).map((i) => i.id)).toEqual(['good1|discord', 'good2|discord']);

    const rows = new Map(rawRows(dbPath).map((r) => [r.id, r]));
    expect(rows.get('bad0|discord')).toMatchObject({
      state: 'failed',
      lastError: 'outbox row "bad0|discord" is malformed: an instant is not a date',
    });
    expect(rows.get('bad1|discord')).toMatchObject({ state: 'failed', failedAt: T0 + 1 });
    expect(rows.get('bad1|discord')?.lastError).toMatch(
      /^outbox row "bad1\|discord" is malformed: the alert is not JSON/,
    );
    expect(rows.get('bad2|discord')).toMatchObject({
      state: 'failed',
      lastError: 'outbox row "bad2|discord" is malformed: the alert is not an object',
    });
    expect(logger.problems().map((l) => [l.level, (l.obj as { id?: string }).id])).toEqual([
      ['error', 'bad0|discord'],
      ['error', 'bad1|discord'],
      ['error', 'bad2|discord'],
    ]);
    expect(logger.problems()[1]?.msg).toContain('outbox row "bad1|discord" is malformed');
    expect(await store.counts()).toEqual({ pending: 3, delivered: 0, failed: 3 });
    expect((await store.due(T0 + 1, 10)).map((i) => i.id)).toEqual([
      'good1|discord',
      'good2|discord',
      'good3|discord',
    ]);
    expect(logger.problems()).toHaveLength(3);
  });

  it('when an item is malformed then enqueue rejects with StorageValueError and stores none of the call', async () => {
    const { storage, dbPath } = await started();
    const store = storage.notifications;
    const good = item('ok', 'discord');
    const cyclic: Record<string, unknown> = { ...alert('cyc') };
    cyclic['self'] = cyclic;
    const bad: OutboxItem[] = [
      { ...item('x', 'discord'), id: 'x|telegram' },
      { ...item('x', 'discord'), id: '' },
      item('x', 'discord', { attempts: -1 }),
      item('x', 'discord', { attempts: 1.5 }),
      item('x', 'discord', { nextAttemptAt: Number.NaN }),
      item('x', 'discord', { createdAt: Number.POSITIVE_INFINITY }),
      item('x', 'discord', { alert: alert('x', { accountId: 1.5 }) }),
      item('x', 'discord', { alert: { ...alert('x'), severity: 'loud' } as unknown as Alert }),
      item('x', 'discord', { alert: { ...alert('x'), title: undefined } as unknown as Alert }),
      item('cyc', 'discord', { alert: cyclic as unknown as Alert }),
      item('big', 'discord', { alert: { ...alert('big'), n: 1n } as unknown as Alert }),
    ];
    for (const b of bad) {
      await expect(store.enqueue([good, b]), JSON.stringify(b.id)).rejects.toBeInstanceOf(StorageValueError);
    }
    expect(rawRows(dbPath)).toEqual([]);
    await store.enqueue([]);
    expect(await store.counts()).toEqual({ pending: 0, delivered: 0, failed: 0 });
    await expect(store.markRetry('', T0, 'e')).rejects.toMatchObject({ code: 'STORAGE_VALUE_INVALID' });
    await expect(store.markDelivered('ok|discord', Number.NaN)).rejects.toBeInstanceOf(StorageValueError);
  });

  it('when instants carry fractions of a millisecond then they are stored as whole milliseconds (floored)', async () => {
    const { storage } = await started();
    await storage.notifications.enqueue([
      item('a', 'discord', { nextAttemptAt: T0 + 0.9, createdAt: T0 - 0.5 }),
    ]);
    expect(await storage.notifications.due(T0, 1)).toStrictEqual([
      item('a', 'discord', { nextAttemptAt: T0, createdAt: T0 - 1 }),
    ]);
  });

  it('when random enqueues, marks and due calls run then the store answers as the reference model', async () => {
    const { storage, dbPath } = await started();
    const store = storage.notifications;
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const channels = ['discord', 'telegram'];
    const ms = fc.integer({ min: 0, max: 50 });
    const command = fc.oneof(
      fc.record({
        k: fc.constant('enqueue' as const),
        items: fc.array(
          fc.record({ a: fc.constantFrom(...ids), ch: fc.constantFrom(...channels), next: ms, created: ms }),
          { maxLength: 4 },
        ),
      }),
      fc.record({
        k: fc.constantFrom('delivered' as const, 'failed' as const, 'retry' as const),
        a: fc.constantFrom(...ids),
        ch: fc.constantFrom(...channels),
        at: ms,
      }),
      fc.record({ k: fc.constant('due' as const), now: ms, limit: fc.integer({ min: 0, max: 6 }) }),
    );
    interface ModelItem {
      item: OutboxItem;
      state: 'pending' | 'delivered' | 'failed';
    }
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 20 }), async (commands) => {
        execSql(dbPath, 'DELETE FROM "NotificationOutbox"');
        const model = new Map<string, ModelItem>();
        for (const c of commands) {
          if (c.k === 'enqueue') {
            const items = c.items.map((i) =>
              item(i.a, i.ch, { nextAttemptAt: T0 + i.next, createdAt: T0 + i.created }),
            );
            await store.enqueue(items);
            for (const i of items) if (!model.has(i.id)) model.set(i.id, { item: i, state: 'pending' });
          } else if (c.k === 'due') {
            const expected = [...model.values()]
              .filter((m) => m.state === 'pending' && m.item.nextAttemptAt <= T0 + c.now)
              .map((m) => m.item)
              .sort(
                (x, y) =>
                  x.nextAttemptAt - y.nextAttemptAt ||
                  x.createdAt - y.createdAt ||
                  (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
              )
              .slice(0, c.limit);
            expect(await store.due(T0 + c.now, c.limit)).toStrictEqual(expected);
          } else {
            const id = `${c.a}|${c.ch}`;
            const m = model.get(id);
            if (c.k === 'delivered') await store.markDelivered(id, T0 + c.at);
            else if (c.k === 'failed') await store.markFailed(id, T0 + c.at, 'no');
            else await store.markRetry(id, T0 + c.at, 'again');
            if (m?.state === 'pending') {
              if (c.k === 'retry') {
                m.item = { ...m.item, attempts: m.item.attempts + 1, nextAttemptAt: T0 + c.at };
              } else {
                m.state = c.k;
              }
            }
          }
        }
        const states = [...model.values()].map((m) => m.state);
        expect(await store.counts()).toEqual({
          pending: states.filter((s) => s === 'pending').length,
          delivered: states.filter((s) => s === 'delivered').length,
          failed: states.filter((s) => s === 'failed').length,
        });
        const pendingNext = [...model.values()]
          .filter((m) => m.state === 'pending')
          .map((m) => m.item.nextAttemptAt);
        expect(await store.nextDueAt()).toBe(pendingNext.length > 0 ? Math.min(...pendingNext) : null);
      }),
      { numRuns: 30 },
    );
  });
});

describe('PrismaNotificationStore: preferences', () => {
  it('when none were set then getPreferences is null', async () => {
    const { storage } = await started();
    expect(await storage.notifications.getPreferences()).toBeNull();
  });

  it('when preferences are set and replaced then they read back exactly, across a restart', async () => {
    const { storage, dbPath } = await started();
    const store = storage.notifications;
    const all: NotificationPreferences = { kinds: 'all', channels: [] };
    await store.setPreferences(all);
    expect(await store.getPreferences()).toStrictEqual(all);

    const some: NotificationPreferences = {
      kinds: ['enforcement', 'lockout-started'],
      channels: ['discord', 'telegram'],
      quietHours: { start: '22:00', end: '06:30' },
    };
    await store.setPreferences(some);
    expect(await store.getPreferences()).toStrictEqual(some);

    const again = await reopen(storage, dbPath);
    expect(await again.notifications.getPreferences()).toStrictEqual(some);
    const none: NotificationPreferences = { kinds: [], channels: ['discord'] };
    await again.notifications.setPreferences(none);
    expect(await again.notifications.getPreferences()).toStrictEqual(none);
    const db = new Database(dbPath, { readonly: true });
    expect(
      db.prepare('SELECT "id", "kinds", "channels", "quietHours" FROM "NotificationPreference"').all(),
    ).toEqual([{ id: 1, kinds: '[]', channels: '["discord"]', quietHours: null }]);
    db.close();
  });

  it('when preferences have the wrong shape then setPreferences rejects and the stored ones stay', async () => {
    const { storage } = await started();
    const store = storage.notifications;
    const kept: NotificationPreferences = { kinds: 'all', channels: ['discord'] };
    await store.setPreferences(kept);
    const bad = [
      { kinds: 'some', channels: [] },
      { kinds: ['a', 1], channels: [] },
      { kinds: 'all', channels: 'discord' },
      { kinds: 'all', channels: [], quietHours: { start: '22:00' } },
      { kinds: 'all', channels: [], quietHours: null },
    ] as unknown as NotificationPreferences[];
    for (const b of bad) {
      await expect(store.setPreferences(b), JSON.stringify(b)).rejects.toBeInstanceOf(StorageValueError);
    }
    expect(await store.getPreferences()).toStrictEqual(kept);
  });

  it('when the stored preferences are malformed then they read as null and the problem is logged', async () => {
    const { storage, dbPath, logger } = await started();
    await storage.notifications.setPreferences({ kinds: 'all', channels: [] });
    execSql(dbPath, 'UPDATE "NotificationPreference" SET "channels" = ? WHERE "id" = 1', '{not json');
    expect(await storage.notifications.getPreferences()).toBeNull();
    expect(logger.problems().map((l) => l.msg)).toEqual([
      'stored notification preferences are malformed; using the defaults',
    ]);
  });
});

describe('NotificationStore registration', () => {
  it('when storage is registered then core-engine NOTIFICATION_STORE resolves to the Prisma store', () => {
    const made = temp.module();
    const child = container.createChildContainer();
    made.storage.register(child);
    expect(child.resolve(NOTIFICATION_STORE)).toBe(made.storage.notifications);
  });
});

describe('outbox housekeeping', () => {
  it('when housekeeping runs then delivered and failed items older than 30 days are pruned and pending ones stay', async () => {
    const { storage, dbPath, clock, logger } = await started();
    const store = storage.notifications;
    const DAY = 86_400_000;
    await store.enqueue([
      item('old-delivered', 'discord', { createdAt: T0 }),
      item('old-failed', 'discord', { createdAt: T0 }),
      item('old-pending', 'discord', { createdAt: T0 }),
      item('edge-delivered', 'discord', { createdAt: T0 + DAY }),
      item('new-delivered', 'discord', { createdAt: T0 + 10 * DAY }),
    ]);
    await store.markDelivered('old-delivered|discord', T0 + 1);
    await store.markFailed('old-failed|discord', T0 + 1, 'gone');
    await store.markDelivered('edge-delivered|discord', T0 + DAY);
    await store.markDelivered('new-delivered|discord', T0 + 10 * DAY);
    const housekeeping = new Housekeeping(clock, logger).add(outboxPruneTask({ store, clock, logger }));

    await clock.advance(OUTBOX_RETENTION_MS);
    await housekeeping.run();
    expect(rawRows(dbPath).map((r) => r.id)).toHaveLength(5);

    await clock.advance(DAY);
    const report = await housekeeping.run();
    expect(report.failed).toEqual([]);
    expect(rawRows(dbPath).map((r) => r.id)).toEqual([
      'edge-delivered|discord',
      'new-delivered|discord',
      'old-pending|discord',
    ]);
    expect(logger.lines.filter((l) => l.msg === 'notification outbox pruned').map((l) => l.obj)).toEqual([
      { pruned: 0, before: new Date(T0).toISOString() },
      { pruned: 2, before: new Date(T0 + DAY).toISOString() },
    ]);

    // An id pruned is forgotten: the same id could be queued again (the retention is the window
    // of exactly-once).
    expect(await store.prune(clock.now() + 365 * DAY)).toBe(2);
    expect(rawRows(dbPath).map((r) => r.id)).toEqual(['old-pending|discord']);
  });
});

describe('migration add_notification_store', () => {
  const committed = path.join(servicePackageDir(), 'prisma', 'migrations');
  const names = readdirSync(committed, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const mine = names.find((n) => n.endsWith(`_${NOTIFY_MIGRATION}`));

  function schemaOf(dbPath: string): { tables: string[]; indexes: string[] } {
    const db = new Database(dbPath, { readonly: true });
    try {
      const names = (type: string) =>
        (
          db
            .prepare(
              "SELECT name FROM sqlite_master WHERE type = ? AND tbl_name LIKE 'Notification%' ORDER BY name",
            )
            .all(type) as {
            name: string;
          }[]
        ).map((r) => r.name);
      return { tables: names('table'), indexes: names('index') };
    } finally {
      db.close();
    }
  }

  it('when applied to a fresh database then the outbox and preference tables exist with their indexes', async () => {
    expect(mine).toBeDefined();
    const file = temp.freshPath('fresh-notify.db');
    expect(await applyMigrations(file)).toContain(mine);
    expect(schemaOf(file)).toEqual({
      tables: ['NotificationOutbox', 'NotificationPreference'],
      indexes: [
        'NotificationOutbox_state_createdAt_idx',
        'NotificationOutbox_state_nextAttemptAt_idx',
        'sqlite_autoindex_NotificationOutbox_1',
      ],
    });
  });

  it('when a database made by the previous migrations is started then only this migration applies, old rows stay and the store works', async () => {
    const previousDir = temp.freshPath('previous-migrations');
    mkdirSync(previousDir);
    cpSync(path.join(committed, 'migration_lock.toml'), path.join(previousDir, 'migration_lock.toml'));
    const previous = names.filter((n) => mine !== undefined && n < mine);
    expect(previous.length).toBeGreaterThan(0);
    for (const n of previous) cpSync(path.join(committed, n), path.join(previousDir, n), { recursive: true });
    const dbPath = temp.freshPath('previous.db');
    expect(await applyMigrations(dbPath, { migrationsDir: previousDir })).toEqual(previous);
    expect(schemaOf(dbPath).tables).toEqual([]);
    const old = new StorageModule({
      url: dbPath,
      clock: new FakeClock(T0),
      logger: new MemoryLogger(),
      migrationsDir: previousDir,
    });
    await old.start();
    await old.stateStore.write([{ ns: 'lockout', key: '1:account', value: { until: T0 + 1 } }], {
      durable: true,
    });
    old.auditLog.append({ at: T0, kind: 'decision', code: 'DAILY_LOSS' });
    await old.stop();

    const logger = new MemoryLogger();
    const upgraded = new StorageModule({ url: dbPath, clock: new FakeClock(T0), logger });
    await upgraded.start();
    open.push(upgraded);
    expect(logger.lines.filter((l) => l.msg === 'applied migration').map((l) => l.obj)).toEqual([
      { migration: mine },
    ]);
    expect(await upgraded.stateStore.load()).toEqual([
      { ns: 'lockout', key: '1:account', value: { until: T0 + 1 } },
    ]);
    expect(await upgraded.audit.count()).toBe(1);
    await upgraded.notifications.enqueue([item('a', 'discord')]);
    await upgraded.notifications.setPreferences({ kinds: 'all', channels: [] });
    expect(await upgraded.notifications.due(T0, 10)).toStrictEqual([item('a', 'discord')]);
    expect(upgraded.verifyAudit().ok).toBe(true);
  });
});
