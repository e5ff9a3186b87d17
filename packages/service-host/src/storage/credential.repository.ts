import type { Clock } from '@riskd/core-engine';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, type ScryptParams, verifyPassword } from './password-hash.js';
import type { PrismaService } from './prisma.service.js';
import { db, type StorageTx } from './repository.types.js';

/** The control API's roles with a password. */
export type CredentialRoleName = 'admin' | 'trader';

/** Outcome of {@link CredentialRepository.verify}. */
export type CredentialCheck = 'ok' | 'mismatch' | 'unset';

/** Admin and trader passwords, stored as scrypt hashes (see `password-hash.ts`). */
export class CredentialRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly clock: Clock,
    private readonly params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
  ) {}

  /** Sets (or replaces) the password of `role`. */
  async setPassword(role: CredentialRoleName, password: string, tx?: StorageTx): Promise<void> {
    const hash = await hashPassword(password, this.params);
    const now = new Date(this.clock.now());
    await db(this.prisma, tx).credential.upsert({
      where: { role },
      create: { role, hash, createdAt: now, updatedAt: now },
      update: { hash, updatedAt: now },
    });
  }

  /** Removes the password of `role` (the admin may choose no trader password). */
  async clear(role: CredentialRoleName, tx?: StorageTx): Promise<void> {
    await db(this.prisma, tx).credential.deleteMany({ where: { role } });
  }

  async isSet(role: CredentialRoleName): Promise<boolean> {
    return (await this.prisma.client.credential.count({ where: { role } })) > 0;
  }

  /** Checks a password in constant time; `unset` when `role` has none. */
  async verify(role: CredentialRoleName, password: string): Promise<CredentialCheck> {
    const row = await this.prisma.client.credential.findUnique({ where: { role } });
    if (!row) return 'unset';
    return (await verifyPassword(password, row.hash)) ? 'ok' : 'mismatch';
  }
}
