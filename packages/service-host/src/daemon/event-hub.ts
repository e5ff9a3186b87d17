import type { DaemonEvent } from '@riskd/api-client';
import type { Logger } from '@riskd/core-engine';

/**
 * The daemon's live events (alerts, enforcements, lockout changes, account summaries), fanned out
 * synchronously to subscribers: the control API's stream, the demo's printer, tests. A listener
 * that throws is logged and kept.
 */
export class EventHub {
  private readonly listeners = new Set<(event: DaemonEvent) => void>();
  /** Events published so far (metrics). */
  published = 0;

  constructor(private readonly logger: Logger) {}

  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: DaemonEvent): void {
    this.published++;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err, type: event.type }, 'live event listener failed');
      }
    }
  }
}
