import type { AccountId, Clock, Instant } from '@riskd/core-engine';
import type { PrismaService } from './prisma.service.js';
import { db, type StorageTx } from './repository.types.js';

/** An account the broker reported. */
export interface AccountSeenView {
  readonly id: AccountId;
  readonly name: string;
  readonly simulated: boolean;
  readonly firstSeenAt: Instant;
  readonly lastSeenAt: Instant;
}

/** Accounts seen: upserted from broker snapshots; the first sighting is kept. */
export class AccountSeenRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly clock: Clock,
  ) {}

  /** Records that these accounts were seen now (name and simulated flag are refreshed). */
  async touch(
    accounts: readonly { readonly id: AccountId; readonly name: string; readonly simulated: boolean }[],
    tx?: StorageTx,
  ): Promise<void> {
    if (accounts.length === 0) return;
    const now = new Date(this.clock.now());
    const write = async (client: StorageTx): Promise<void> => {
      for (const a of accounts) {
        await client.accountSeen.upsert({
          where: { id: a.id },
          create: {
            id: a.id,
            name: a.name,
            simulated: a.simulated,
            firstSeenAt: now,
            lastSeenAt: now,
            createdAt: now,
            updatedAt: now,
          },
          update: { name: a.name, simulated: a.simulated, lastSeenAt: now, updatedAt: now },
        });
      }
    };
    if (tx) await write(tx);
    else await this.prisma.client.$transaction((t) => write(t));
  }

  async list(): Promise<AccountSeenView[]> {
    const rows = await this.prisma.client.accountSeen.findMany({ orderBy: { id: 'asc' } });
    return rows.map(toView);
  }

  async get(id: AccountId): Promise<AccountSeenView | null> {
    const row = await db(this.prisma, undefined).accountSeen.findUnique({ where: { id } });
    return row ? toView(row) : null;
  }
}

function toView(row: {
  id: number;
  name: string;
  simulated: boolean;
  firstSeenAt: Date;
  lastSeenAt: Date;
}): AccountSeenView {
  return {
    id: row.id,
    name: row.name,
    simulated: row.simulated,
    firstSeenAt: row.firstSeenAt.getTime(),
    lastSeenAt: row.lastSeenAt.getTime(),
  };
}
