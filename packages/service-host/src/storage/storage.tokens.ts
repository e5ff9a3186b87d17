import type { InjectionToken } from 'tsyringe';
import type { AccountSeenRepository } from './account-seen.repository.js';
import type { AuditQueryRepository } from './audit-query.repository.js';
import type { ClockJournalRepository } from './clock-journal.repository.js';
import type { ConfigRevisionRepository } from './config-revision.repository.js';
import type { CredentialRepository } from './credential.repository.js';
import type { LockoutRepository } from './lockout.repository.js';
import type { PrismaService } from './prisma.service.js';
import type { StorageWriter } from './storage-writer.js';

/** DI tokens of storage's services (the StateStore and AuditLog use core-engine's port tokens). */
export const PRISMA_SERVICE: InjectionToken<PrismaService> = Symbol.for('riskd.storage.PrismaService');
export const STORAGE_WRITER: InjectionToken<StorageWriter> = Symbol.for('riskd.storage.StorageWriter');
export const CONFIG_REVISIONS: InjectionToken<ConfigRevisionRepository> = Symbol.for(
  'riskd.storage.ConfigRevisions',
);
export const CLOCK_JOURNAL: InjectionToken<ClockJournalRepository> = Symbol.for('riskd.storage.ClockJournal');
export const CREDENTIALS: InjectionToken<CredentialRepository> = Symbol.for('riskd.storage.Credentials');
export const AUDIT_QUERIES: InjectionToken<AuditQueryRepository> = Symbol.for('riskd.storage.AuditQueries');
export const LOCKOUTS: InjectionToken<LockoutRepository> = Symbol.for('riskd.storage.Lockouts');
export const ACCOUNTS_SEEN: InjectionToken<AccountSeenRepository> = Symbol.for('riskd.storage.AccountsSeen');
