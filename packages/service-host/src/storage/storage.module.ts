import { AUDIT_LOG, type Clock, type Logger, NOTIFICATION_STORE, STATE_STORE } from '@riskd/core-engine';
import type { DependencyContainer } from 'tsyringe';
import { AccountSeenRepository } from './account-seen.repository.js';
import { AuditQueryRepository } from './audit-query.repository.js';
import { type AuditVerifyResult, verifyAudit } from './audit-verify.js';
import { ClockJournalRepository } from './clock-journal.repository.js';
import { ConfigRevisionRepository } from './config-revision.repository.js';
import { CredentialRepository } from './credential.repository.js';
import { LockoutRepository } from './lockout.repository.js';
import { PrismaNotificationStore } from './notification-store.js';
import type { ScryptParams } from './password-hash.js';
import { PrismaAuditLog } from './prisma-audit-log.js';
import { PrismaStateStore } from './prisma-state-store.js';
import { PrismaService } from './prisma.service.js';
import { auditCheckpointPath } from './storage-paths.js';
import { StorageWriter, type StorageWriterOptions } from './storage-writer.js';
import {
  ACCOUNTS_SEEN,
  AUDIT_QUERIES,
  CLOCK_JOURNAL,
  CONFIG_REVISIONS,
  CREDENTIALS,
  LOCKOUTS,
  PRISMA_SERVICE,
  STORAGE_WRITER,
} from './storage.tokens.js';

/** Options of {@link StorageModule}. */
export interface StorageModuleOptions {
  /** SQLite URL or path (the config's `storage.url`; default there: `riskd.db` in the data directory). */
  readonly url: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Audit checkpoint file (default: beside the database). */
  readonly checkpointPath?: string;
  /** Folder of committed migrations (default: this package's). */
  readonly migrationsDir?: string;
  /** See {@link StorageWriterOptions.synchronous} (default `normal`). */
  readonly synchronous?: StorageWriterOptions['synchronous'];
  readonly batchMs?: number;
  readonly batchMaxOps?: number;
  /** scrypt parameters of new password hashes (default: DEFAULT_SCRYPT_PARAMS). */
  readonly scrypt?: ScryptParams;
}

/**
 * Storage, composed: Prisma (migrations at start), the storage writer, the engine's StateStore and
 * AuditLog, the notifier's NotificationStore, and the repositories. `start()` applies migrations,
 * opens Prisma, then starts the writer; `stop()` commits queued writes and closes both, in
 * reverse order.
 */
export class StorageModule {
  readonly prisma: PrismaService;
  readonly writer: StorageWriter;
  readonly stateStore: PrismaStateStore;
  readonly auditLog: PrismaAuditLog;
  readonly notifications: PrismaNotificationStore;
  readonly configRevisions: ConfigRevisionRepository;
  readonly clockJournal: ClockJournalRepository;
  readonly credentials: CredentialRepository;
  readonly audit: AuditQueryRepository;
  readonly lockouts: LockoutRepository;
  readonly accounts: AccountSeenRepository;
  /** Absolute path of the SQLite file and of its audit checkpoint. */
  readonly dbPath: string;
  readonly checkpointPath: string;

  constructor(options: StorageModuleOptions) {
    const { logger, clock } = options;
    this.prisma = new PrismaService({
      url: options.url,
      logger,
      ...(options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}),
    });
    this.dbPath = this.prisma.dbPath;
    this.checkpointPath = options.checkpointPath ?? auditCheckpointPath(this.dbPath);
    this.writer = new StorageWriter({
      dbPath: this.dbPath,
      checkpointPath: this.checkpointPath,
      logger,
      clock,
      ...(options.synchronous ? { synchronous: options.synchronous } : {}),
      ...(options.batchMs !== undefined ? { batchMs: options.batchMs } : {}),
      ...(options.batchMaxOps !== undefined ? { batchMaxOps: options.batchMaxOps } : {}),
    });
    this.stateStore = new PrismaStateStore(this.prisma, this.writer, logger);
    this.auditLog = new PrismaAuditLog(this.writer);
    this.notifications = new PrismaNotificationStore(this.prisma, this.writer, logger);
    this.configRevisions = new ConfigRevisionRepository(this.prisma, clock);
    this.clockJournal = new ClockJournalRepository(this.prisma, clock);
    this.credentials = new CredentialRepository(this.prisma, clock, options.scrypt);
    this.audit = new AuditQueryRepository(this.prisma);
    this.lockouts = new LockoutRepository(this.prisma, logger);
    this.accounts = new AccountSeenRepository(this.prisma, clock);
  }

  /**
   * Registers the StateStore, AuditLog and NotificationStore ports and storage's own tokens as
   * instances.
   */
  register(container: DependencyContainer): void {
    container.registerInstance(STATE_STORE, this.stateStore);
    container.registerInstance(AUDIT_LOG, this.auditLog);
    container.registerInstance(NOTIFICATION_STORE, this.notifications);
    container.registerInstance(PRISMA_SERVICE, this.prisma);
    container.registerInstance(STORAGE_WRITER, this.writer);
    container.registerInstance(CONFIG_REVISIONS, this.configRevisions);
    container.registerInstance(CLOCK_JOURNAL, this.clockJournal);
    container.registerInstance(CREDENTIALS, this.credentials);
    container.registerInstance(AUDIT_QUERIES, this.audit);
    container.registerInstance(LOCKOUTS, this.lockouts);
    container.registerInstance(ACCOUNTS_SEEN, this.accounts);
  }

  async start(): Promise<void> {
    await this.prisma.start();
    try {
      await this.writer.start();
    } catch (err) {
      await this.prisma.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    try {
      await this.writer.stop();
    } finally {
      await this.prisma.stop();
    }
  }

  /** {@link verifyAudit} of this database and checkpoint. */
  verifyAudit(): AuditVerifyResult {
    return verifyAudit(this.dbPath, this.checkpointPath);
  }
}
