import type { Clock, ConnectionState, Notifier, TimerHandle } from '@riskd/core-engine';

/** How long the broker may be unreachable before the loss is alerted (a reconnect is routine). */
export const CONNECTION_LOST_ALERT_AFTER_MS = 10_000;

export interface ConnectionAlertsOptions {
  readonly clock: Clock;
  readonly notifier: Notifier;
  /** Makes alert ids unique across daemon runs (the boot id). */
  readonly runId: string;
  readonly lostAfterMs?: number;
}

/**
 * Turns the broker connection's state changes into alerts: `connection-lost` (warning) once the
 * connection has been down for {@link CONNECTION_LOST_ALERT_AFTER_MS}, and `connection-restored`
 * (info, with the outage's length) when it comes back after such an alert. Shorter outages (a
 * token renewal, a hub restart) are only logged by the adapter.
 */
export class ConnectionAlerts {
  private downSince: number | null = null;
  private timer: TimerHandle | null = null;
  private alerted = false;
  private seq = 0;
  private readonly lostAfterMs: number;

  constructor(private readonly options: ConnectionAlertsOptions) {
    this.lostAfterMs = options.lostAfterMs ?? CONNECTION_LOST_ALERT_AFTER_MS;
  }

  /** Feeds the current state (repeats are harmless). */
  update(state: ConnectionState): void {
    const now = this.options.clock.now();
    if (state === 'connected') {
      if (this.downSince === null) return;
      const downFor = now - this.downSince;
      this.clearTimer();
      if (this.alerted) {
        this.raise('info', 'connection-restored', 'Broker connection restored', {
          message: `The broker connection is back after ${formatDuration(downFor)} down.`,
          fields: { downFor: formatDuration(downFor), since: new Date(this.downSince).toISOString() },
        });
      }
      this.downSince = null;
      this.alerted = false;
      return;
    }
    if (this.downSince !== null) return;
    this.downSince = now;
    this.timer = this.options.clock.scheduleIn(this.lostAfterMs, () => this.lost(state));
  }

  /** Cancels the pending timer (the daemon is stopping). */
  stop(): void {
    this.clearTimer();
  }

  private lost(state: ConnectionState): void {
    this.timer = null;
    if (this.downSince === null) return;
    this.alerted = true;
    const downFor = this.options.clock.now() - this.downSince;
    this.raise('warning', 'connection-lost', 'Broker connection lost', {
      message:
        `The broker connection has been down for ${formatDuration(downFor)} (${state}); Riskd keeps ` +
        'reconnecting and reconciles every account when it is back. Until then it cannot see or act on trades.',
      fields: { state, since: new Date(this.downSince).toISOString() },
    });
  }

  private raise(
    severity: 'info' | 'warning',
    kind: string,
    title: string,
    content: { message: string; fields: Record<string, string> },
  ): void {
    const at = this.options.clock.now();
    this.options.notifier.notify({
      id: `daemon:${kind}:${this.options.runId}:${this.seq++}`,
      at,
      severity,
      kind,
      title,
      message: content.message,
      fields: content.fields,
    });
  }

  private clearTimer(): void {
    if (this.timer !== null) this.options.clock.cancel(this.timer);
    this.timer = null;
  }
}

/** `12 s`, `3 min 5 s`, `2 h 4 min`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}
