import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryLogger } from '@riskd/core-engine';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  createMigration,
  MIGRATION_NAME_PATTERN,
  pendingMigrationScript,
  servicePackageDir,
} from './migrations.js';
import { MigrationError } from './storage.errors.js';

const pkg = servicePackageDir();
const committedDir = path.join(pkg, 'prisma', 'migrations');
const schemaPath = path.join(pkg, 'prisma', 'schema.prisma');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'riskd-migrations-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('committed migrations', () => {
  it('when listed then every one is named <timestamp>_<verb>_<what> and the lock file names sqlite', () => {
    const names = readdirSync(committedDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const match = /^(\d{14})_(.+)$/.exec(name);
      expect(match, name).not.toBeNull();
      expect(MIGRATION_NAME_PATTERN.test(match?.[2] ?? ''), name).toBe(true);
      expect(existsSync(path.join(committedDir, name, 'migration.sql'))).toBe(true);
    }
    expect(readFileSync(path.join(committedDir, 'migration_lock.toml'), 'utf8')).toContain(
      'provider = "sqlite"',
    );
  });

  it('when the schema is compared with the committed migrations then no change is pending', async () => {
    // A schema edit without `migrate-create` fails here.
    expect(await pendingMigrationScript()).toBeNull();
  });
});

describe('applyMigrations', () => {
  it('when applied to an empty database then every model has its table and a second run applies nothing', async () => {
    const file = path.join(dir, 'nested', 'empty.db');
    const logger = new MemoryLogger();
    const applied = await applyMigrations(`file:${file}`, { logger });
    expect(applied).toEqual(
      readdirSync(committedDir)
        .filter((n) => /^\d{14}_/.test(n))
        .sort(),
    );
    expect(tables(file)).toEqual(
      expect.arrayContaining([
        'AccountSeen',
        'AuditEntry',
        'ClockEvent',
        'ConfigRevision',
        'Credential',
        'StateRecord',
        'WriterMark',
        '_prisma_migrations',
      ]),
    );
    expect(logger.lines.filter((l) => l.msg === 'applied migration')).toHaveLength(applied.length);

    expect(await applyMigrations(file, { logger })).toEqual([]);
  });

  it('when the engine is done then its SQLite handles are closed (an exclusive lock is free)', async () => {
    const file = path.join(dir, 'handles.db');
    await applyMigrations(file);
    const db = new Database(file, { timeout: 0 });
    try {
      expect(() => db.exec('BEGIN EXCLUSIVE; COMMIT;')).not.toThrow();
      expect(db.pragma('journal_mode = WAL', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('when every migration is already recorded then the schema engine is not started', async () => {
    const file = path.join(dir, 'fast.db');
    await applyMigrations(file);
    const logger = new MemoryLogger();
    expect(await applyMigrations(file, { logger })).toEqual([]);
    expect(logger.lines.filter((l) => l.msg === 'schema engine')).toEqual([]);
  });

  it('when a new committed migration appears then it is applied on the next start', async () => {
    const migrations = path.join(dir, 'grow-migrations');
    cpSync(committedDir, migrations, { recursive: true });
    const file = path.join(dir, 'grow.db');
    await applyMigrations(file, { migrationsDir: migrations });
    const added = path.join(migrations, '29990101000000_add_probe_table');
    mkdirSync(added);
    writeFileSync(
      path.join(added, 'migration.sql'),
      'CREATE TABLE "Probe" ("id" INTEGER NOT NULL PRIMARY KEY);\n',
    );
    expect(await applyMigrations(file, { migrationsDir: migrations })).toEqual([
      '29990101000000_add_probe_table',
    ]);
    expect(tables(file)).toContain('Probe');
  });
});

describe('createMigration', () => {
  it('when the schema gains a field then a <timestamp>_<verb>_<what> migration is written and matches it', async () => {
    const migrations = path.join(dir, 'authoring-migrations');
    cpSync(committedDir, migrations, { recursive: true });
    const schema = path.join(dir, 'authoring.prisma');
    writeFileSync(
      schema,
      readFileSync(schemaPath, 'utf8').replace(
        'model ClockEvent {\n',
        'model ClockEvent {\n  mood      String?\n',
      ),
    );
    const paths = { migrationsDir: migrations, schemaPath: schema };
    expect(await pendingMigrationScript(paths)).toContain('"mood" TEXT');

    const created = await createMigration('add_clock_mood', paths);
    expect(created?.name).toMatch(/^\d{14}_add_clock_mood$/);
    expect(readFileSync(created?.file ?? '', 'utf8')).toContain('"mood" TEXT');
    expect(await pendingMigrationScript(paths)).toBeNull();
    expect(await createMigration('add_clock_mood_again', paths)).toBeNull();

    const file = path.join(dir, 'authored.db');
    await applyMigrations(file, { migrationsDir: migrations });
    const db = new Database(file, { readonly: true });
    const columns = (db.prepare('PRAGMA table_info("ClockEvent")').all() as { name: string }[]).map(
      (c) => c.name,
    );
    db.close();
    expect(columns).toContain('mood');
  });

  it('when the name is not <verb>_<what> in snake case then it throws a MigrationError and writes nothing', async () => {
    const migrations = path.join(dir, 'bad-name-migrations');
    cpSync(committedDir, migrations, { recursive: true });
    const before = readdirSync(migrations).sort();
    await expect(createMigration('AddThing', { migrationsDir: migrations })).rejects.toBeInstanceOf(
      MigrationError,
    );
    await expect(createMigration('init', { migrationsDir: migrations })).rejects.toMatchObject({
      code: 'STORAGE_MIGRATION_FAILED',
    });
    expect(readdirSync(migrations).sort()).toEqual(before);
  });
});
