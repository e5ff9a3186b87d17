import type { AccountId, Lockout, Logger } from '@riskd/core-engine';
import type { PrismaService } from './prisma.service.js';

/**
 * Persisted lockouts: the engine's StateRecord rows of namespace `lockout` (written durably by
 * the state manager before an order goes out). This is what survives a restart; the live view of
 * a running daemon is the engine's own.
 */
export class LockoutRepository {
  private readonly log: Logger;

  constructor(
    private readonly prisma: PrismaService,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'lockout-repository' });
  }

  /** Every persisted lockout (optionally of one account), by start time. */
  async list(options: { readonly accountId?: AccountId } = {}): Promise<Lockout[]> {
    const rows = await this.prisma.client.stateRecord.findMany({
      where: { ns: 'lockout' },
      orderBy: { id: 'asc' },
    });
    const out: Lockout[] = [];
    for (const row of rows) {
      let value: unknown;
      try {
        value = JSON.parse(row.value);
      } catch {
        value = undefined;
      }
      if (!isLockout(value)) {
        this.log.warn({ key: row.key }, 'skipped a persisted lockout of unexpected shape');
        continue;
      }
      if (options.accountId === undefined || value.accountId === options.accountId) out.push(value);
    }
    return out.sort((a, b) => a.startedAt - b.startedAt);
  }
}

function isLockout(value: unknown): value is Lockout {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['id'] === 'string' &&
    typeof v['accountId'] === 'number' &&
    typeof v['startedAt'] === 'number' &&
    typeof v['scope'] === 'object' &&
    v['scope'] !== null &&
    typeof v['end'] === 'object' &&
    v['end'] !== null
  );
}
