import type { AccountId, AuditEntry, AuditKind, AuditTimings, ContractId, Instant } from '@riskd/core-engine';
import type { AuditEntry as AuditRow, Prisma } from './generated/prisma/client.js';
import type { PrismaService } from './prisma.service.js';
import { pageSize, parseJson } from './repository.types.js';

/** One audit row as the API shows it: the entry as appended (absent fields left out), its sequence number and hash. */
export interface AuditRecordView extends AuditEntry {
  readonly seq: number;
  readonly hash: string;
}

/** Filters of {@link AuditQueryRepository.list}. */
export interface AuditQuery {
  readonly accountId?: AccountId;
  readonly kind?: AuditKind | readonly AuditKind[];
  readonly code?: string;
  /** Rows with `at` >= since (epoch ms). */
  readonly since?: Instant;
  /** Rows with `at` < until (epoch ms). */
  readonly until?: Instant;
  /** Page size (default 100, at most 1,000). */
  readonly limit?: number;
  /** `nextCursor` of the previous page: rows older than it. */
  readonly cursor?: number;
}

/** A page of rows, newest first. */
export interface AuditPage {
  readonly entries: readonly AuditRecordView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: number | null;
}

/** Where an enforcement stands, from its latest audit row. */
export type EnforcementState = 'sent' | 'result' | 'confirmed' | 'escalated';

/** One enforcement action: every audit row of one idempotency key. */
export interface EnforcementView {
  readonly idempotencyKey: string;
  readonly accountId?: AccountId;
  readonly contractId?: ContractId;
  readonly ruleId?: string;
  readonly code?: string;
  /** Reason of the first row. */
  readonly reason?: string;
  /** Escalation level of the latest row that names one (`reduce`, `close`, `flatten`, `cancel`). */
  readonly level?: string;
  readonly state: EnforcementState;
  /** Number of `action-sent` rows. */
  readonly attempts: number;
  /** Timings merged over the rows (later rows complete earlier ones). */
  readonly timings: AuditTimings;
  readonly firstAt: Instant;
  readonly lastAt: Instant;
  readonly lastSeq: number;
  readonly entries: readonly AuditRecordView[];
}

/** Filters of {@link AuditQueryRepository.enforcements}. */
export interface EnforcementQuery {
  readonly accountId?: AccountId;
  readonly since?: Instant;
  readonly until?: Instant;
  /** Number of enforcements (default 100, at most 1,000). */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: number;
}

export interface EnforcementPage {
  /** Newest activity first. */
  readonly enforcements: readonly EnforcementView[];
  readonly nextCursor: number | null;
}

/** Audit kinds that make up an enforcement's history. */
export const ENFORCEMENT_KINDS: readonly AuditKind[] = [
  'action-sent',
  'action-result',
  'action-confirmed',
  'escalation',
];

const STATE_OF: Partial<Record<string, EnforcementState>> = {
  'action-sent': 'sent',
  'action-result': 'result',
  'action-confirmed': 'confirmed',
  escalation: 'escalated',
};

/** Read queries over the audit trail for the control API. */
export class AuditQueryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Rows matching every given filter, newest first, a page at a time. */
  async list(query: AuditQuery = {}): Promise<AuditPage> {
    const take = pageSize(query.limit);
    const kinds =
      query.kind === undefined ? undefined : typeof query.kind === 'string' ? [query.kind] : query.kind;
    const rows = await this.prisma.client.auditEntry.findMany({
      where: {
        ...this.common(query),
        ...(kinds ? { kind: { in: [...kinds] } } : {}),
        ...(query.code !== undefined ? { code: query.code } : {}),
        ...(query.cursor !== undefined ? { seq: { lt: query.cursor } } : {}),
      },
      orderBy: { seq: 'desc' },
      take: take + 1,
    });
    const page = rows.slice(0, take);
    const last = page[page.length - 1];
    return { entries: page.map(toRecordView), nextCursor: rows.length > take && last ? last.seq : null };
  }

  /**
   * Enforcement actions: audit rows of {@link ENFORCEMENT_KINDS} grouped by idempotency key,
   * ordered by their latest row, newest first. The time filters select keys with activity in
   * the range; each view holds all of its key's rows.
   */
  async enforcements(query: EnforcementQuery = {}): Promise<EnforcementPage> {
    const take = pageSize(query.limit);
    const groups = await this.prisma.client.auditEntry.groupBy({
      by: ['idempotencyKey'],
      where: { ...this.common(query), idempotencyKey: { not: null }, kind: { in: [...ENFORCEMENT_KINDS] } },
      _max: { seq: true },
      ...(query.cursor !== undefined ? { having: { seq: { _max: { lt: query.cursor } } } } : {}),
      orderBy: { _max: { seq: 'desc' } },
      take: take + 1,
    });
    const page = groups.slice(0, take);
    const keys = page.map((g) => g.idempotencyKey).filter((k): k is string => k !== null);
    if (keys.length === 0) return { enforcements: [], nextCursor: null };
    const rows = await this.prisma.client.auditEntry.findMany({
      where: { idempotencyKey: { in: keys }, kind: { in: [...ENFORCEMENT_KINDS] } },
      orderBy: { seq: 'asc' },
    });
    const byKey = new Map<string, AuditRow[]>();
    for (const row of rows) {
      const key = row.idempotencyKey as string;
      let list = byKey.get(key);
      if (!list) byKey.set(key, (list = []));
      list.push(row);
    }
    const enforcements = keys.flatMap((key) => {
      const list = byKey.get(key);
      return list && list.length > 0 ? [toEnforcementView(key, list)] : [];
    });
    const lastGroup = page[page.length - 1];
    const nextCursor = groups.length > take && lastGroup?._max.seq != null ? lastGroup._max.seq : null;
    return { enforcements, nextCursor };
  }

  /** Number of rows in the trail. */
  count(): Promise<number> {
    return this.prisma.client.auditEntry.count();
  }

  private common(query: {
    readonly accountId?: AccountId;
    readonly since?: Instant;
    readonly until?: Instant;
  }): Prisma.AuditEntryWhereInput {
    const at: Prisma.DateTimeFilter<'AuditEntry'> = {
      ...(query.since !== undefined ? { gte: new Date(query.since) } : {}),
      ...(query.until !== undefined ? { lt: new Date(query.until) } : {}),
    };
    return {
      ...(query.accountId !== undefined ? { accountId: query.accountId } : {}),
      ...(query.since !== undefined || query.until !== undefined ? { at } : {}),
    };
  }
}

function toRecordView(row: AuditRow): AuditRecordView {
  const event = parseJson(row.event);
  const timings = parseJson(row.timings);
  const data = parseJson(row.data);
  return {
    seq: row.seq,
    at: row.at.getTime(),
    kind: row.kind as AuditKind,
    ...(row.accountId !== null ? { accountId: row.accountId } : {}),
    ...(row.contractId !== null ? { contractId: row.contractId } : {}),
    ...(row.ruleId !== null ? { ruleId: row.ruleId } : {}),
    ...(row.instanceId !== null ? { instanceId: row.instanceId } : {}),
    ...(row.code !== null ? { code: row.code } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.mode !== null ? { mode: row.mode as AuditRecordView['mode'] } : {}),
    ...(row.idempotencyKey !== null ? { idempotencyKey: row.idempotencyKey } : {}),
    ...(event !== undefined ? { event } : {}),
    ...(isRecord(timings) ? { timings: timings as AuditTimings } : {}),
    ...(data !== undefined ? { data } : {}),
    hash: row.hash,
  };
}

function toEnforcementView(key: string, rows: readonly AuditRow[]): EnforcementView {
  const entries = rows.map(toRecordView);
  const first = entries[0] as AuditRecordView;
  const last = entries[entries.length - 1] as AuditRecordView;
  let timings: AuditTimings = {};
  let level: string | undefined;
  let attempts = 0;
  const described = entries.find((e) => e.ruleId !== undefined || e.code !== undefined) ?? first;
  for (const e of entries) {
    if (e.timings) timings = { ...timings, ...e.timings };
    if (e.kind === 'action-sent') attempts += 1;
    if (isRecord(e.data) && typeof e.data['level'] === 'string') level = e.data['level'];
  }
  return {
    idempotencyKey: key,
    ...(first.accountId !== undefined ? { accountId: first.accountId } : {}),
    ...(first.contractId !== undefined ? { contractId: first.contractId } : {}),
    ...(described.ruleId !== undefined ? { ruleId: described.ruleId } : {}),
    ...(described.code !== undefined ? { code: described.code } : {}),
    ...(first.reason !== undefined ? { reason: first.reason } : {}),
    ...(level !== undefined ? { level } : {}),
    state: STATE_OF[last.kind] ?? 'sent',
    attempts,
    timings,
    firstAt: first.at,
    lastAt: last.at,
    lastSeq: last.seq,
    entries,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
