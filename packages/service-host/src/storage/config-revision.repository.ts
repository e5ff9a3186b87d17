import type { Clock, Instant } from '@riskd/core-engine';
import { canonicalJson } from './audit-chain.mjs';
import type { PrismaService } from './prisma.service.js';
import { db, pageSize, parseJson, type StorageTx } from './repository.types.js';

/** A recorded change of the config file. */
export interface ConfigRevisionView {
  readonly id: number;
  readonly at: Instant;
  /** Who changed it (`admin`, `cli`, `file`). */
  readonly actor: string;
  readonly reason?: string;
  /** The diff as the config module produced it. */
  readonly diff: unknown;
  /** Hash of the new config file. */
  readonly configHash: string;
}

/** Input of {@link ConfigRevisionRepository.append}. */
export interface NewConfigRevision {
  /** Default: the Clock's now. */
  readonly at?: Instant;
  readonly actor: string;
  readonly reason?: string;
  readonly diff: unknown;
  readonly configHash: string;
}

/** Config revisions (append, list newest first). */
export class ConfigRevisionRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly clock: Clock,
  ) {}

  async append(revision: NewConfigRevision, tx?: StorageTx): Promise<ConfigRevisionView> {
    const now = this.clock.now();
    const row = await db(this.prisma, tx).configRevision.create({
      data: {
        at: new Date(revision.at ?? now),
        actor: revision.actor,
        reason: revision.reason ?? null,
        diff: canonicalJson(revision.diff ?? null) ?? 'null',
        configHash: revision.configHash,
        createdAt: new Date(now),
      },
    });
    return toView(row);
  }

  /** Newest first; `before` (an id) pages back. */
  async list(
    options: { readonly limit?: number; readonly before?: number } = {},
  ): Promise<ConfigRevisionView[]> {
    const rows = await this.prisma.client.configRevision.findMany({
      where: options.before !== undefined ? { id: { lt: options.before } } : {},
      orderBy: { id: 'desc' },
      take: pageSize(options.limit),
    });
    return rows.map(toView);
  }
}

function toView(row: {
  id: number;
  at: Date;
  actor: string;
  reason: string | null;
  diff: string;
  configHash: string;
}): ConfigRevisionView {
  return {
    id: row.id,
    at: row.at.getTime(),
    actor: row.actor,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    diff: parseJson(row.diff),
    configHash: row.configHash,
  };
}
