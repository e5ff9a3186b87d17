import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeClock, MemoryLogger } from '@riskd/core-engine';
import Database from 'better-sqlite3';
import { applyMigrations } from './migrations.js';
import { StorageModule, type StorageModuleOptions } from './storage.module.js';

/**
 * Test databases in a temporary folder: migrations are applied once to a template (the schema
 * engine takes a second or two to load), and each test gets a copy.
 */
export class TempStorage {
  private counter = 0;

  private constructor(
    readonly dir: string,
    private readonly template: string,
  ) {}

  static async create(): Promise<TempStorage> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'riskd-storage-'));
    const template = path.join(dir, 'template.db');
    await applyMigrations(template);
    const db = new Database(template);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return new TempStorage(dir, template);
  }

  /** A new migrated database file. */
  newDbPath(): string {
    this.counter += 1;
    const file = path.join(this.dir, `db-${this.counter}.db`);
    copyFileSync(this.template, file);
    return file;
  }

  /** A path in the folder that does not exist yet. */
  freshPath(name: string): string {
    return path.join(this.dir, name);
  }

  /** A StorageModule over a new database, with a FakeClock and a MemoryLogger. */
  module(overrides: Partial<StorageModuleOptions> = {}): {
    storage: StorageModule;
    clock: FakeClock;
    logger: MemoryLogger;
    dbPath: string;
  } {
    const dbPath = this.newDbPath();
    const clock = (overrides.clock as FakeClock | undefined) ?? new FakeClock();
    const logger = (overrides.logger as MemoryLogger | undefined) ?? new MemoryLogger();
    const storage = new StorageModule({
      url: `file:${dbPath}`,
      clock,
      logger,
      // Cheap hashes: the parameters are stored with each hash.
      scrypt: { N: 2 ** 10, r: 8, p: 1 },
      ...overrides,
    });
    return { storage, clock, logger, dbPath };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `predicate` until it holds or `timeoutMs` passes. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
