import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type { Logger } from '@riskd/core-engine';
import { PrismaClient } from './generated/prisma/client.js';
import { applyMigrations } from './migrations.js';
import { StorageNotStartedError } from './storage.errors.js';
import { sqlitePathFromUrl, sqliteUrlFromPath } from './storage-paths.js';

/** Options of {@link PrismaService}. */
export interface PrismaServiceOptions {
  /** SQLite URL (`file:/var/lib/riskd/riskd.db`) or path. */
  readonly url: string;
  readonly logger: Logger;
  /** Folder of committed migrations (default: this package's `prisma/migrations`). */
  readonly migrationsDir?: string;
  /** Apply pending migrations in `start()` (default true). */
  readonly migrate?: boolean;
}

/** The Prisma client type of Riskd's schema. */
export type RiskdPrismaClient = PrismaClient;

/**
 * The lifecycle-managed Prisma client over better-sqlite3 (main thread: reads for the API and the
 * rare writes of the repositories; engine state and audit rows go through the StorageWriter).
 * `start()` applies pending migrations, connects and sets WAL with synchronous NORMAL (nothing
 * written here must be durable before an order goes out); `stop()` disconnects, which closes the
 * SQLite handle.
 */
export class PrismaService {
  /** Absolute path of the SQLite file. */
  readonly dbPath: string;
  private readonly log: Logger;
  private prisma: PrismaClient | undefined;

  constructor(private readonly options: PrismaServiceOptions) {
    this.dbPath = sqlitePathFromUrl(options.url);
    this.log = options.logger.child({ component: 'prisma' });
  }

  /** The client; throws before `start()` and after `stop()`. */
  get client(): PrismaClient {
    if (!this.prisma) throw new StorageNotStartedError('PrismaService');
    return this.prisma;
  }

  async start(): Promise<void> {
    if (this.prisma) return;
    if (this.options.migrate ?? true) {
      await applyMigrations(this.dbPath, {
        logger: this.log,
        ...(this.options.migrationsDir ? { migrationsDir: this.options.migrationsDir } : {}),
      });
    }
    const adapter = new PrismaBetterSqlite3(
      { url: sqliteUrlFromPath(this.dbPath), timeout: 5_000 },
      // Every DateTime is stored as epoch ms, as the storage writer writes them.
      { timestampFormat: 'unixepoch-ms' },
    );
    const prisma = new PrismaClient({ adapter });
    try {
      await prisma.$connect();
      await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
      await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
      await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
    } catch (err) {
      await prisma.$disconnect().catch(() => undefined);
      throw err;
    }
    this.prisma = prisma;
    this.log.debug({ dbPath: this.dbPath }, 'database open');
  }

  async stop(): Promise<void> {
    const prisma = this.prisma;
    this.prisma = undefined;
    if (prisma) await prisma.$disconnect();
  }
}
