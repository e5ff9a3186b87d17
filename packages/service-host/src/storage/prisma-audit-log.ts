import type { AuditEntry, AuditLog } from '@riskd/core-engine';
import type { StorageWriter } from './storage-writer.js';

/**
 * The engine's {@link AuditLog}: append-only, hash-chained rows of the AuditEntry table written by
 * the {@link StorageWriter}. `append` only queues (it never blocks or throws); rows are committed
 * in batches, each row's `hash` = sha256(prevHash + canonical JSON of the row), and after every
 * committed batch the head hash and row count go to the checkpoint file and to the log.
 */
export class PrismaAuditLog implements AuditLog {
  constructor(private readonly writer: StorageWriter) {}

  append(entry: AuditEntry): void {
    this.writer.appendAudit(entry);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}
