import type { CredentialState, Role } from '@riskd/api-client';
import type { StorageModule } from '../storage/storage.module.js';

/**
 * The stored value that marks "no trader password": the admin chose to leave trader routes open
 * to local callers. It is not a scrypt hash, so no password ever matches it.
 */
export const NO_PASSWORD_MARK = 'none';

/** Whether a role has a password (`set`), none yet (`unset`) or, for the trader, none by choice. */
export async function credentialState(storage: StorageModule, role: Role): Promise<CredentialState> {
  const row = await storage.prisma.client.credential.findUnique({ where: { role } });
  if (!row) return 'unset';
  return role === 'trader' && row.hash === NO_PASSWORD_MARK ? 'none' : 'set';
}

/** Records that the trader needs no password (trader routes open to local callers). */
export async function setNoTraderPassword(storage: StorageModule, at: number): Promise<void> {
  const now = new Date(at);
  await storage.prisma.client.credential.upsert({
    where: { role: 'trader' },
    create: { role: 'trader', hash: NO_PASSWORD_MARK, createdAt: now, updatedAt: now },
    update: { hash: NO_PASSWORD_MARK, updatedAt: now },
  });
}

/** Checks a password; never true for a role without one. */
export async function verifyRolePassword(
  storage: StorageModule,
  role: Role,
  password: string,
): Promise<boolean> {
  if ((await credentialState(storage, role)) !== 'set') return false;
  return (await storage.credentials.verify(role, password)) === 'ok';
}
