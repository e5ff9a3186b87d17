/**
 * Namespaces of persisted engine state. Each record is a small JSON value under a key; a null
 * value deletes the key.
 */
export type StateNamespace =
  'lockout' | 'intent' | 'rule-state' | 'rule-timer' | 'reset-mark' | 'peak' | 'epoch' | 'warning' | 'meta';

export interface StateRecord {
  readonly ns: StateNamespace;
  readonly key: string;
  /** JSON-serializable value; null deletes the record. */
  readonly value: unknown;
}

/**
 * Durable engine state (implemented with Prisma over SQLite in service-host).
 *
 * `write(..., { durable: true })` resolves only once the records are committed (used for what must
 * survive a crash before an order goes out: lockouts, reduce intents). Non-durable writes may be
 * batched and resolve when queued. Writes are applied in call order.
 */
export interface StateStore {
  load(): Promise<readonly StateRecord[]>;
  write(records: readonly StateRecord[], options: { readonly durable: boolean }): Promise<void>;
}
