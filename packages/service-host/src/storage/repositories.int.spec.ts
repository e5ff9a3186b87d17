import type { AuditEntry, Lockout } from '@riskd/core-engine';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StorageModule } from './storage.module.js';
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

async function started() {
  const made = temp.module();
  await made.storage.start();
  open.push(made.storage);
  return made;
}

const T0 = Date.UTC(2026, 0, 5, 15, 0, 0);

describe('ConfigRevisionRepository', () => {
  it('when revisions are appended then they list newest first with their diff, and page back with before', async () => {
    const { storage, clock } = await started();
    const first = await storage.configRevisions.append({
      actor: 'admin',
      reason: 'tighten daily loss',
      diff: [{ path: '/rules/0/options/limit', from: 500, to: 400 }],
      configHash: 'h1',
    });
    await clock.advance(60_000);
    await storage.configRevisions.append({ actor: 'file', diff: { added: ['x'] }, configHash: 'h2' });
    await storage.configRevisions.append({ actor: 'cli', diff: null, configHash: 'h3', at: T0 });

    const all = await storage.configRevisions.list();
    expect(all.map((r) => r.configHash)).toEqual(['h3', 'h2', 'h1']);
    expect(all[2]).toEqual({
      id: first.id,
      at: clock.now() - 60_000,
      actor: 'admin',
      reason: 'tighten daily loss',
      diff: [{ path: '/rules/0/options/limit', from: 500, to: 400 }],
      configHash: 'h1',
    });
    expect(all[1]).not.toHaveProperty('reason');
    expect(all[0]?.at).toBe(T0);
    const page = await storage.configRevisions.list({ limit: 1, before: all[0]?.id ?? 0 });
    expect(page.map((r) => r.configHash)).toEqual(['h2']);
  });

  it('when a revision is appended inside a transaction that fails then nothing is stored', async () => {
    const { storage } = await started();
    await expect(
      storage.prisma.client.$transaction(async (tx) => {
        await storage.configRevisions.append({ actor: 'admin', diff: {}, configHash: 'h' }, tx);
        throw new Error('config file write failed');
      }),
    ).rejects.toThrow('config file write failed');
    expect(await storage.configRevisions.list()).toEqual([]);
  });
});

describe('ClockJournalRepository', () => {
  it('when the trader clocks in and out then the journal lists the entries newest first within a range', async () => {
    const { storage, clock } = await started();
    await storage.clockJournal.append({ kind: 'in', note: 'morning' });
    await clock.advance(3_600_000);
    await storage.clockJournal.append({ kind: 'out' });
    await clock.advance(3_600_000);
    await storage.clockJournal.append({ kind: 'in' });

    const all = await storage.clockJournal.list();
    expect(all.map((e) => e.kind)).toEqual(['in', 'out', 'in']);
    expect(all[2]).toMatchObject({ kind: 'in', note: 'morning', at: clock.now() - 7_200_000 });
    expect(await storage.clockJournal.last()).toMatchObject({ kind: 'in', at: clock.now() });
    const ranged = await storage.clockJournal.list({ since: clock.now() - 3_600_000, until: clock.now() });
    expect(ranged.map((e) => e.kind)).toEqual(['out']);
  });
});

describe('CredentialRepository', () => {
  it('when no password is set then verify answers unset; when set then ok or mismatch; when cleared then unset', async () => {
    const { storage } = await started();
    expect(await storage.credentials.verify('admin', 'anything')).toBe('unset');
    expect(await storage.credentials.isSet('admin')).toBe(false);
    await storage.credentials.setPassword('admin', 'admin-pass');
    await storage.credentials.setPassword('trader', 'trader-pass');
    expect(await storage.credentials.verify('admin', 'admin-pass')).toBe('ok');
    expect(await storage.credentials.verify('admin', 'trader-pass')).toBe('mismatch');
    expect(await storage.credentials.verify('trader', 'trader-pass')).toBe('ok');

    await storage.credentials.setPassword('admin', 'new-pass');
    expect(await storage.credentials.verify('admin', 'admin-pass')).toBe('mismatch');
    expect(await storage.credentials.verify('admin', 'new-pass')).toBe('ok');

    await storage.credentials.clear('trader');
    expect(await storage.credentials.verify('trader', 'trader-pass')).toBe('unset');
    const stored = await storage.prisma.client.credential.findUnique({ where: { role: 'admin' } });
    expect(stored?.hash).toMatch(/^scrypt\$N=1024,r=8,p=1\$/);
    expect(stored?.hash).not.toContain('new-pass');
  });
});

function action(
  kind: AuditEntry['kind'],
  key: string,
  at: number,
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return {
    at,
    kind,
    accountId: 1,
    contractId: 'CON.F.US.MNQ.H26',
    ruleId: 'daily-loss',
    instanceId: 'daily-loss#1',
    code: 'DAILY_LOSS_LIMIT',
    reason: `${kind} ${key}`,
    mode: 'enforce',
    idempotencyKey: key,
    event: { kind: 'quote' },
    timings: { receivedAt: at - 3, decidedAt: at - 2 },
    data: { level: 'close' },
    ...extra,
  };
}

describe('AuditQueryRepository', () => {
  it('when rows are filtered by account, kind, code and time then only matching rows come back, newest first', async () => {
    const { storage } = await started();
    const log = storage.auditLog;
    log.append({ at: T0, kind: 'decision', accountId: 1, code: 'DAILY_LOSS_LIMIT', reason: 'a' });
    log.append({
      at: T0 + 1000,
      kind: 'lockout-started',
      accountId: 1,
      code: 'DAILY_LOSS_LIMIT',
      reason: 'b',
    });
    log.append({ at: T0 + 2000, kind: 'decision', accountId: 2, code: 'MAX_CONTRACTS', reason: 'c' });
    log.append({ at: T0 + 3000, kind: 'reset', reason: 'd' });
    await log.flush();

    const reasons = async (q: Parameters<StorageModule['audit']['list']>[0]) =>
      (await storage.audit.list(q)).entries.map((e) => e.reason);
    expect(await reasons({})).toEqual(['d', 'c', 'b', 'a']);
    expect(await reasons({ accountId: 1 })).toEqual(['b', 'a']);
    expect(await reasons({ kind: 'decision' })).toEqual(['c', 'a']);
    expect(await reasons({ kind: ['reset', 'lockout-started'] })).toEqual(['d', 'b']);
    expect(await reasons({ code: 'MAX_CONTRACTS' })).toEqual(['c']);
    expect(await reasons({ since: T0 + 1000, until: T0 + 3000 })).toEqual(['c', 'b']);

    const first = await storage.audit.list({ limit: 3 });
    expect(first.entries.map((e) => e.reason)).toEqual(['d', 'c', 'b']);
    expect(first.nextCursor).toBe(2);
    const second = await storage.audit.list({ limit: 3, cursor: first.nextCursor ?? 0 });
    expect(second).toMatchObject({ entries: [{ reason: 'a', seq: 1 }], nextCursor: null });
    expect(await storage.audit.count()).toBe(4);
  });

  it('when a row is read back then it has every field it was appended with and no absent ones', async () => {
    const { storage } = await started();
    const full = action('action-sent', 'k1', T0, { data: { attempt: 1, level: 'close' } });
    storage.auditLog.append(full);
    storage.auditLog.append({ at: T0, kind: 'system' });
    await storage.auditLog.flush();
    const { entries } = await storage.audit.list();
    expect(entries[1]).toEqual({ ...full, seq: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(entries[0]).toEqual({ seq: 2, at: T0, kind: 'system', hash: expect.any(String) });
  });

  it('when enforcement rows are grouped by idempotency key then each action shows its state, attempts and timings', async () => {
    const { storage } = await started();
    const log = storage.auditLog;
    log.append(action('decision', 'A', T0));
    log.append(
      action('action-sent', 'A', T0 + 10, {
        timings: { receivedAt: T0 - 3, decidedAt: T0, sentAt: T0 + 10 },
      }),
    );
    log.append(action('action-sent', 'B', T0 + 20, { accountId: 2 }));
    log.append(action('action-result', 'A', T0 + 30, { data: { attempt: 1, result: { status: 'ok' } } }));
    log.append(
      action('action-confirmed', 'A', T0 + 40, {
        timings: { receivedAt: T0 - 3, decidedAt: T0, sentAt: T0 + 10, confirmedAt: T0 + 40 },
      }),
    );
    log.append(action('action-sent', 'B', T0 + 50, { accountId: 2, data: { level: 'flatten' } }));
    log.append(action('escalation', 'B', T0 + 60, { accountId: 2, data: { to: 'critical-alert' } }));
    log.append(action('action-sent', 'C', T0 + 70));
    await log.flush();

    const page = await storage.audit.enforcements();
    expect(page.nextCursor).toBeNull();
    expect(page.enforcements.map((e) => [e.idempotencyKey, e.state, e.attempts])).toEqual([
      ['C', 'sent', 1],
      ['B', 'escalated', 2],
      ['A', 'confirmed', 1],
    ]);
    const a = page.enforcements[2];
    expect(a).toMatchObject({
      accountId: 1,
      contractId: 'CON.F.US.MNQ.H26',
      ruleId: 'daily-loss',
      code: 'DAILY_LOSS_LIMIT',
      reason: 'action-sent A',
      level: 'close',
      timings: { receivedAt: T0 - 3, decidedAt: T0, sentAt: T0 + 10, confirmedAt: T0 + 40 },
      firstAt: T0 + 10,
      lastAt: T0 + 40,
    });
    expect(a?.entries.map((e) => e.kind)).toEqual(['action-sent', 'action-result', 'action-confirmed']);
    expect(page.enforcements[1]?.level).toBe('flatten');

    expect(
      (await storage.audit.enforcements({ accountId: 2 })).enforcements.map((e) => e.idempotencyKey),
    ).toEqual(['B']);
    const first = await storage.audit.enforcements({ limit: 2 });
    expect(first.enforcements.map((e) => e.idempotencyKey)).toEqual(['C', 'B']);
    const rest = await storage.audit.enforcements({ limit: 2, cursor: first.nextCursor ?? 0 });
    expect(rest).toMatchObject({ enforcements: [{ idempotencyKey: 'A' }], nextCursor: null });
    const since = await storage.audit.enforcements({ since: T0 + 45 });
    expect(since.enforcements.map((e) => e.idempotencyKey)).toEqual(['C', 'B']);
  });
});

describe('LockoutRepository', () => {
  it('when the engine persisted lockouts then they are listed by start, per account, skipping malformed records', async () => {
    const { storage, logger } = await started();
    const lockout = (accountId: number, startedAt: number): Lockout => ({
      id: `${accountId}:account`,
      accountId,
      scope: { kind: 'account' },
      ruleId: 'daily-loss',
      instanceId: 'daily-loss#1',
      code: 'DAILY_LOSS_LIMIT',
      reason: 'loss over limit',
      startedAt,
      end: { kind: 'at', at: startedAt + 3_600_000 },
    });
    await storage.stateStore.write(
      [
        { ns: 'lockout', key: '2:account', value: lockout(2, T0) },
        { ns: 'lockout', key: '1:account', value: lockout(1, T0 + 5) },
        { ns: 'lockout', key: 'broken', value: { nope: true } },
        { ns: 'rule-state', key: '1:account', value: lockout(9, 0) },
      ],
      { durable: true },
    );
    expect((await storage.lockouts.list()).map((l) => l.accountId)).toEqual([2, 1]);
    expect(await storage.lockouts.list({ accountId: 1 })).toEqual([lockout(1, T0 + 5)]);
    expect(logger.problems().map((l) => l.msg)).toEqual([
      'skipped a persisted lockout of unexpected shape',
      'skipped a persisted lockout of unexpected shape',
    ]);
  });
});

describe('AccountSeenRepository', () => {
  it('when accounts are seen again then the first sighting is kept and name and last sighting refreshed', async () => {
    const { storage, clock } = await started();
    await storage.accounts.touch([
      { id: 11, name: 'PRAC-1', simulated: true },
      { id: 12, name: 'EVAL-2', simulated: false },
    ]);
    const firstAt = clock.now();
    await clock.advance(86_400_000);
    await storage.accounts.touch([{ id: 11, name: 'PRAC-1b', simulated: true }]);
    expect(await storage.accounts.list()).toEqual([
      { id: 11, name: 'PRAC-1b', simulated: true, firstSeenAt: firstAt, lastSeenAt: clock.now() },
      { id: 12, name: 'EVAL-2', simulated: false, firstSeenAt: firstAt, lastSeenAt: firstAt },
    ]);
    expect(await storage.accounts.get(13)).toBeNull();
  });
});
