import type { Alert, AlertSeverity, Notifier } from '../ports/notifier.js';

/** A notifier that keeps every alert in memory, in order. */
export class MemoryNotifier implements Notifier {
  readonly alerts: Alert[] = [];

  notify(alert: Alert): void {
    this.alerts.push(alert);
  }

  ofSeverity(severity: AlertSeverity): Alert[] {
    return this.alerts.filter((a) => a.severity === severity);
  }

  ofKind(kind: string): Alert[] {
    return this.alerts.filter((a) => a.kind === kind);
  }

  clear(): void {
    this.alerts.length = 0;
  }
}
