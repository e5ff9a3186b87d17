import type { AccountId, Instant } from '../domain/types.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** Something a person should know about, delivered to the log, the live stream and chat channels. */
export interface Alert {
  /** Unique id: delivery is exactly once per id. */
  readonly id: string;
  readonly at: Instant;
  readonly severity: AlertSeverity;
  /** What happened, e.g. `enforcement`, `lockout-started`, `warning`, `connection-lost`. */
  readonly kind: string;
  readonly accountId?: AccountId;
  readonly ruleId?: string;
  readonly code?: string;
  readonly title: string;
  readonly message: string;
  readonly fields?: Readonly<Record<string, string>>;
}

/** Sends alerts. `notify` never blocks or throws into the caller; delivery happens elsewhere. */
export interface Notifier {
  notify(alert: Alert): void;
}

/** A queued alert for one channel. */
export interface OutboxItem {
  /** `${alert.id}|${channel}`: one item per alert and channel. */
  readonly id: string;
  readonly alert: Alert;
  /** The channel id from the config's `notifications` section. */
  readonly channel: string;
  /** Failed delivery attempts so far. */
  readonly attempts: number;
  readonly nextAttemptAt: Instant;
  readonly createdAt: Instant;
}

/** Per-trader delivery preferences. */
export interface NotificationPreferences {
  readonly kinds: readonly string[] | 'all';
  /** Channel ids; empty means every channel the trader's alerts go to. */
  readonly channels: readonly string[];
  /** Quiet hours in the trading-day time zone, `HH:MM`; critical alerts ignore them. */
  readonly quietHours?: { readonly start: string; readonly end: string };
}

/** How many outbox items are in each state. */
export interface OutboxCounts {
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
}

/**
 * Durable outbox and preferences for the notifier (implemented with Prisma in service-host).
 * An item is pending until it is marked delivered or failed; both are final.
 */
export interface NotificationStore {
  /**
   * Stores the items durably (the promise settles once they would survive a crash). An item whose
   * id is already stored, in any state, is ignored: delivery is exactly once per alert and channel.
   */
  enqueue(items: readonly OutboxItem[]): Promise<void>;
  /** Pending items with `nextAttemptAt <= now`, oldest `nextAttemptAt` then `createdAt` first. */
  due(now: Instant, limit: number): Promise<readonly OutboxItem[]>;
  /** The earliest `nextAttemptAt` of a pending item, or null when none is pending. */
  nextDueAt(): Promise<Instant | null>;
  markDelivered(id: string, at: Instant): Promise<void>;
  /** Records a failed attempt: `attempts` grows by one and the item waits until `nextAttemptAt`. */
  markRetry(id: string, nextAttemptAt: Instant, error: string): Promise<void>;
  /** Gives up on the item (a permanent failure); it is never returned by `due` again. */
  markFailed(id: string, at: Instant, error: string): Promise<void>;
  counts(): Promise<OutboxCounts>;
  getPreferences(): Promise<NotificationPreferences | null>;
  setPreferences(preferences: NotificationPreferences): Promise<void>;
}
