import type { Logger, StateNamespace, StateRecord, StateStore } from '@riskd/core-engine';
import type { PrismaService } from './prisma.service.js';
import type { StorageWriter } from './storage-writer.js';

/**
 * The engine's {@link StateStore} over SQLite: records (`ns` + `key`, JSON value) in the
 * StateRecord table. Writes go through the {@link StorageWriter} in call order (a null value
 * deletes); a durable write resolves once committed. `load()` first waits for queued writes, then
 * reads every record with Prisma.
 */
export class PrismaStateStore implements StateStore {
  private readonly log: Logger;

  constructor(
    private readonly prisma: PrismaService,
    private readonly writer: StorageWriter,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'state-store' });
  }

  async load(): Promise<readonly StateRecord[]> {
    await this.writer.flush();
    const rows = await this.prisma.client.stateRecord.findMany({
      select: { ns: true, key: true, value: true },
      orderBy: { id: 'asc' },
    });
    const records: StateRecord[] = [];
    for (const row of rows) {
      try {
        records.push({ ns: row.ns as StateNamespace, key: row.key, value: JSON.parse(row.value) as unknown });
      } catch (err) {
        this.log.warn({ err, ns: row.ns, key: row.key }, 'skipped a state record that is not JSON');
      }
    }
    return records;
  }

  write(records: readonly StateRecord[], options: { readonly durable: boolean }): Promise<void> {
    return this.writer.writeState(records, options.durable);
  }
}
