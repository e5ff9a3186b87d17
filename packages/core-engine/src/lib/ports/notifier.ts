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
  readonly id: string;
  readonly alert: Alert;
  readonly channel: string;
  readonly attempts: number;
  readonly nextAttemptAt: Instant;
  readonly createdAt: Instant;
}

/** Per-trader delivery preferences. */
export interface NotificationPreferences {
  readonly kinds: readonly string[] | 'all';
  readonly channels: readonly string[];
  /** Quiet hours in the trading-day time zone, `HH:MM`; critical alerts ignore them. */
  readonly quietHours?: { readonly start: string; readonly end: string };
}

/** Durable outbox and preferences for the notifier (implemented with Prisma in service-host). */
export interface NotificationStore {
  enqueue(items: readonly OutboxItem[]): Promise<void>;
  due(now: Instant, limit: number): Promise<readonly OutboxItem[]>;
  markDelivered(id: string, at: Instant): Promise<void>;
  markRetry(id: string, nextAttemptAt: Instant, error: string): Promise<void>;
  markFailed(id: string, at: Instant, error: string): Promise<void>;
  getPreferences(): Promise<NotificationPreferences | null>;
  setPreferences(preferences: NotificationPreferences): Promise<void>;
}
