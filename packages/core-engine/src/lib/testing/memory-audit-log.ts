import type { AuditEntry, AuditKind, AuditLog } from '../ports/audit-log.js';

/** An audit trail in memory: every appended entry is kept, in order; `flush` resolves at once. */
export class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  /** How many times `flush` was called (shutdown drains call it). */
  flushes = 0;

  append(entry: AuditEntry): void {
    this.entries.push(entry);
  }

  async flush(): Promise<void> {
    this.flushes++;
  }

  /** Entries of one kind, in order. */
  ofKind(kind: AuditKind): AuditEntry[] {
    return this.entries.filter((e) => e.kind === kind);
  }

  /** Entries carrying one idempotency key, in order. */
  forKey(idempotencyKey: string): AuditEntry[] {
    return this.entries.filter((e) => e.idempotencyKey === idempotencyKey);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
