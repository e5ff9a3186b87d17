import type { AccountId, ContractId, Instant } from '../domain/types.js';

export type AuditKind =
  | 'decision'
  | 'action-sent'
  | 'action-result'
  | 'action-confirmed'
  | 'escalation'
  | 'lockout-started'
  | 'lockout-ended'
  | 'warning'
  | 'alert-only'
  | 'reset'
  | 'system';

/** Timings of one enforcement, epoch ms; absent when not reached (yet). */
export interface AuditTimings {
  readonly receivedAt?: Instant;
  readonly decidedAt?: Instant;
  readonly sentAt?: Instant;
  readonly confirmedAt?: Instant;
}

/** One row of the append-only audit trail. */
export interface AuditEntry {
  readonly at: Instant;
  readonly kind: AuditKind;
  readonly accountId?: AccountId;
  readonly contractId?: ContractId;
  readonly ruleId?: string;
  readonly instanceId?: string;
  /** Machine code, e.g. `DAILY_LOSS_LIMIT`. */
  readonly code?: string;
  /** Human reason with the numbers. */
  readonly reason?: string;
  readonly mode?: 'enforce' | 'alert-only' | 'dry-run';
  readonly idempotencyKey?: string;
  /** A compact description of the triggering event. */
  readonly event?: unknown;
  readonly timings?: AuditTimings;
  readonly data?: unknown;
}

/**
 * The audit trail. `append` never blocks the hot path: implementations queue and batch.
 * `flush` resolves once everything appended so far is committed.
 */
export interface AuditLog {
  append(entry: AuditEntry): void;
  flush(): Promise<void>;
}
