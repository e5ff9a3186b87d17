import type { Alert, AlertSeverity } from '@riskd/core-engine';

/** The kind of the alert the notifier raises itself when a channel fails for good. */
export const NOTIFICATION_FAILED_KIND = 'notification-failed';

/**
 * The severity table (README "Severity"): these kinds always get this severity, whatever the
 * emitter said. `unclean-shutdown` is the daemon's name for the restart report.
 */
export const SEVERITY_TABLE: Readonly<Record<string, AlertSeverity>> = Object.freeze({
  'config-invalid': 'critical',
  'admin-stop': 'critical',
  'enforcement-failed': 'critical',
  'account-alert-only': 'critical',
  'restart-report': 'critical',
  'unclean-shutdown': 'critical',
  [NOTIFICATION_FAILED_KIND]: 'critical',
  warning: 'warning',
  'connection-lost': 'warning',
  'stale-market-data': 'warning',
  'broker-clock-skew': 'warning',
  'lockout-ended': 'info',
  'daemon-started': 'info',
  'connection-restored': 'info',
});

/** Rules whose alerts are critical (a breach of the account's hard limit, or the broker refusing trades). */
export const CRITICAL_RULE_IDS: readonly string[] = Object.freeze([
  'max-loss-limit',
  'broker-trading-disabled',
]);

/** `info` < `warning` < `critical`. */
export function severityRank(severity: AlertSeverity): number {
  return severity === 'critical' ? 2 : severity === 'warning' ? 1 : 0;
}

/** The higher of the severities (`info` for none). */
export function maxSeverity(severities: Iterable<AlertSeverity>): AlertSeverity {
  let best: AlertSeverity = 'info';
  for (const s of severities) if (severityRank(s) > severityRank(best)) best = s;
  return best;
}

/**
 * The severity an alert is delivered with: the table's for the kinds it lists; otherwise the
 * emitter's, raised to critical for a flatten (`enforcement` with `fields.action === 'flatten'`) and
 * for the rules in {@link CRITICAL_RULE_IDS}. A listed kind is never upgraded (a `warning` of
 * max-loss-limit is its warnAt, a warning).
 */
export function classifySeverity(alert: Alert): AlertSeverity {
  const fixed = SEVERITY_TABLE[alert.kind];
  if (fixed !== undefined) return fixed;
  if (alert.kind === 'enforcement' && alert.fields?.['action'] === 'flatten') return 'critical';
  if (alert.ruleId !== undefined && CRITICAL_RULE_IDS.includes(alert.ruleId)) return 'critical';
  return isSeverity(alert.severity) ? alert.severity : 'critical';
}

function isSeverity(value: unknown): value is AlertSeverity {
  return value === 'info' || value === 'warning' || value === 'critical';
}

/** Kind prefixes and kinds that concern the admin only (the daemon, its config, the notifier itself). */
const ADMIN_ONLY_PREFIXES: readonly string[] = ['config-', 'admin-', 'daemon-'];
const ADMIN_ONLY_KINDS: readonly string[] = [
  NOTIFICATION_FAILED_KIND,
  'state-write-failed',
  'restart-report',
  'unclean-shutdown',
];

/** Whether the kind goes to `admin` and `all` channels only (never to `trader` channels). */
export function isAdminOnlyKind(kind: string): boolean {
  return ADMIN_ONLY_KINDS.includes(kind) || ADMIN_ONLY_PREFIXES.some((p) => kind.startsWith(p));
}
