import type { Alert, Logger, Notifier } from '@riskd/core-engine';
import type { EventHub } from './event-hub.js';
import { alertWire } from './wire-mappers.js';

/**
 * The daemon's notifier: every alert goes to the log (critical as error, warning as warn, info as
 * info) and to the live stream, then to `forward` (the chat notifier, when channels are
 * configured). `notify` never throws into the engine.
 */
export class LogAndStreamNotifier implements Notifier {
  private readonly logger: Logger;
  /** Alerts seen, by severity (metrics). */
  readonly counts = { info: 0, warning: 0, critical: 0 };

  constructor(
    logger: Logger,
    private readonly hub: EventHub,
    private readonly forward?: Notifier,
  ) {
    this.logger = logger.child({ component: 'alerts' });
  }

  notify(alert: Alert): void {
    try {
      this.counts[alert.severity]++;
      const fields = {
        alertId: alert.id,
        kind: alert.kind,
        severity: alert.severity,
        accountId: alert.accountId,
        ruleId: alert.ruleId,
        code: alert.code,
        title: alert.title,
      };
      if (alert.severity === 'critical') this.logger.error(fields, alert.message);
      else if (alert.severity === 'warning') this.logger.warn(fields, alert.message);
      else this.logger.info(fields, alert.message);
      this.hub.publish({ type: 'alert', alert: alertWire(alert) });
    } catch (err) {
      this.logger.error({ err, alertId: alert.id }, 'alert could not be delivered');
    }
    try {
      this.forward?.notify(alert);
    } catch (err) {
      this.logger.error({ err, alertId: alert.id }, 'alert could not be queued for chat delivery');
    }
  }
}
