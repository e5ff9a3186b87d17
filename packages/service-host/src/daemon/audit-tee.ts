import type { EnforcementAction, EnforcementOutcome, EnforcementWire } from '@riskd/api-client';
import type { AuditEntry, AuditLog, ContractId, Lockout } from '@riskd/core-engine';
import type { EventHub } from './event-hub.js';
import { LatencyHistogram } from './metrics.js';
import { iso, isoOrNull, lockoutWire } from './wire-mappers.js';

/** Audit kinds that describe an enforcement (the live stream's `enforcement` events). */
const ENFORCEMENT_KINDS = new Set([
  'decision',
  'action-sent',
  'action-confirmed',
  'escalation',
  'alert-only',
]);

function actionOf(entry: AuditEntry): EnforcementAction {
  const data = (entry.data ?? {}) as { action?: string };
  switch (data.action) {
    case 'flatten':
      return 'flatten';
    case 'close-position':
      return 'close';
    case 'reduce-position':
      return 'reduce';
    case 'cancel-orders':
      return 'cancel';
    case 'alert':
      return 'alert';
    case 'none':
      return 'lockout';
  }
  const key = entry.idempotencyKey ?? '';
  if (key.includes(':close:')) return 'close';
  if (key.includes(':reduce-to-')) return 'reduce';
  if (key.includes(':cancel-')) return 'cancel';
  return 'alert';
}

function outcomeOf(entry: AuditEntry): EnforcementOutcome {
  switch (entry.kind) {
    case 'action-confirmed':
      return 'confirmed';
    case 'escalation':
      return (entry.data as { to?: string } | undefined)?.to === 'alert' ? 'failed' : 'superseded';
    case 'alert-only':
      return 'recorded';
    default:
      return entry.mode && entry.mode !== 'enforce' ? 'recorded' : 'in-progress';
  }
}

/** Counts of audit rows by kind (the restart report and metrics read them). */
export type AuditCounts = Record<string, number>;

/**
 * The audit trail as the engine sees it: every entry goes to the durable trail (storage) first,
 * then feeds the live stream (enforcements and lockout changes), the enforcement latency
 * histogram and the per-kind counters. Observers never fail an append.
 */
export class AuditTee implements AuditLog {
  readonly counts: AuditCounts = {};
  /** From the triggering event's arrival to the broker's confirmation, in ms. */
  readonly latency = new LatencyHistogram();
  private seq = 0;
  private readonly listeners: ((entry: AuditEntry) => void)[] = [];

  constructor(
    private readonly inner: AuditLog,
    private readonly hub: EventHub,
    private readonly symbolOf: (contractId: ContractId) => string | undefined,
  ) {}

  append(entry: AuditEntry): void {
    this.inner.append(entry);
    this.counts[entry.kind] = (this.counts[entry.kind] ?? 0) + 1;
    try {
      this.observe(entry);
    } catch {
      // The live stream is best effort; the durable trail already has the row.
    }
    for (const listener of this.listeners) listener(entry);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  /** Calls `listener` after every append (the daemon reacts to resets and ended lockouts). */
  onAppend(listener: (entry: AuditEntry) => void): void {
    this.listeners.push(listener);
  }

  private observe(entry: AuditEntry): void {
    const t = entry.timings;
    if (entry.kind === 'action-confirmed' && t?.receivedAt !== undefined && t.confirmedAt !== undefined) {
      this.latency.observe(t.confirmedAt - t.receivedAt);
    }
    if (entry.kind === 'lockout-started' || entry.kind === 'lockout-ended') {
      const data = entry.data as
        | { lockout?: Lockout; continuesAs?: Lockout; extended?: boolean; clearedBy?: { kind?: string } }
        | undefined;
      if (data?.continuesAs) {
        // One hold ended and another still locks the scope: the lockout goes on, changed.
        this.hub.publish({ type: 'lockout', change: 'updated', lockout: lockoutWire(data.continuesAs) });
      } else if (data?.lockout) {
        const ended = data.clearedBy?.kind === 'admin' ? 'cleared' : 'ended';
        this.hub.publish({
          type: 'lockout',
          change: entry.kind === 'lockout-ended' ? ended : data.extended ? 'updated' : 'started',
          lockout: lockoutWire(data.lockout),
        });
      }
      return;
    }
    if (!ENFORCEMENT_KINDS.has(entry.kind) || entry.accountId === undefined) return;
    this.hub.publish({ type: 'enforcement', enforcement: this.enforcementWire(entry) });
  }

  private enforcementWire(entry: AuditEntry): EnforcementWire {
    const t = entry.timings;
    const contractId = entry.contractId ?? null;
    return {
      id: `${entry.kind}:${entry.at}:${this.seq++}`,
      at: iso(entry.at),
      accountId: entry.accountId as number,
      contractId,
      symbol: contractId === null ? null : (this.symbolOf(contractId) ?? null),
      ruleId: entry.ruleId ?? null,
      instanceId: entry.instanceId ?? null,
      code: entry.code ?? entry.kind,
      reason: entry.reason ?? '',
      mode: entry.mode ?? 'enforce',
      action: actionOf(entry),
      outcome: outcomeOf(entry),
      idempotencyKey: entry.idempotencyKey ?? null,
      attempts:
        (entry.data as { attempts?: number } | undefined)?.attempts ?? (entry.kind === 'action-sent' ? 1 : 0),
      timings: {
        receivedAt: isoOrNull(t?.receivedAt),
        decidedAt: isoOrNull(t?.decidedAt),
        sentAt: isoOrNull(t?.sentAt),
        confirmedAt: isoOrNull(t?.confirmedAt),
      },
      latencyMs:
        t?.receivedAt !== undefined && t.confirmedAt !== undefined ? t.confirmedAt - t.receivedAt : null,
    };
  }
}
