import type { Clock, Instant } from '@riskd/core-engine';
import type { PrismaService } from './prisma.service.js';
import { db, pageSize, type StorageTx } from './repository.types.js';

/** Clock-in or clock-out. */
export type ClockEventKindView = 'in' | 'out';

/** One entry of the trader's clock-in/out journal. */
export interface ClockEventView {
  readonly id: number;
  readonly at: Instant;
  readonly kind: ClockEventKindView;
  readonly note?: string;
}

const TO_DB = { in: 'clock_in', out: 'clock_out' } as const;

/**
 * The trader's clock-in/out journal: a personal record of working sessions that does not gate
 * trading. Consecutive entries of the same kind are allowed (a forgotten clock-out is the
 * trader's to note, not an error).
 */
export class ClockJournalRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly clock: Clock,
  ) {}

  async append(
    entry: { readonly kind: ClockEventKindView; readonly note?: string; readonly at?: Instant },
    tx?: StorageTx,
  ): Promise<ClockEventView> {
    const now = this.clock.now();
    const row = await db(this.prisma, tx).clockEvent.create({
      data: {
        at: new Date(entry.at ?? now),
        kind: TO_DB[entry.kind],
        note: entry.note ?? null,
        createdAt: new Date(now),
      },
    });
    return toView(row);
  }

  /** Newest first, optionally within [since, until). */
  async list(
    options: { readonly since?: Instant; readonly until?: Instant; readonly limit?: number } = {},
  ): Promise<ClockEventView[]> {
    const rows = await this.prisma.client.clockEvent.findMany({
      where: {
        at: {
          ...(options.since !== undefined ? { gte: new Date(options.since) } : {}),
          ...(options.until !== undefined ? { lt: new Date(options.until) } : {}),
        },
      },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: pageSize(options.limit),
    });
    return rows.map(toView);
  }

  /** The latest entry (whether the trader is clocked in), or null. */
  async last(): Promise<ClockEventView | null> {
    const row = await this.prisma.client.clockEvent.findFirst({ orderBy: [{ at: 'desc' }, { id: 'desc' }] });
    return row ? toView(row) : null;
  }
}

function toView(row: {
  id: number;
  at: Date;
  kind: 'clock_in' | 'clock_out';
  note: string | null;
}): ClockEventView {
  return {
    id: row.id,
    at: row.at.getTime(),
    kind: row.kind === 'clock_in' ? 'in' : 'out',
    ...(row.note !== null ? { note: row.note } : {}),
  };
}
