import type { Alert, AlertSeverity } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { classifySeverity, isAdminOnlyKind } from '../src/index.js';
import { simpleAlert } from './harness.js';

function kindAlert(kind: string, severity: AlertSeverity, extra: Partial<Alert> = {}): Alert {
  return simpleAlert(`k-${kind}`, { kind, severity, ...extra });
}

describe('classifySeverity', () => {
  it.each([
    ['config-invalid', 'warning', 'critical'],
    ['admin-stop', 'info', 'critical'],
    ['enforcement-failed', 'warning', 'critical'],
    ['account-alert-only', 'warning', 'critical'],
    ['restart-report', 'info', 'critical'],
    ['unclean-shutdown', 'warning', 'critical'],
    ['notification-failed', 'info', 'critical'],
    ['warning', 'critical', 'warning'],
    ['connection-lost', 'critical', 'warning'],
    ['stale-market-data', 'info', 'warning'],
    ['broker-clock-skew', 'critical', 'warning'],
    ['lockout-ended', 'warning', 'info'],
    ['daemon-started', 'warning', 'info'],
    ['connection-restored', 'warning', 'info'],
  ] as const)(
    'when the kind is %s (emitter said %s) then the table makes it %s',
    (kind, emitted, expected) => {
      expect(classifySeverity(kindAlert(kind, emitted))).toBe(expected);
    },
  );

  it.each([
    ['daemon-stopped', 'warning'],
    ['escalation', 'critical'],
    ['lockout-started', 'warning'],
    ['alert-only', 'critical'],
    ['rule-alert', 'info'],
    ['contract-unknown', 'critical'],
  ] as const)(
    'when the kind %s is not in the table then the emitter severity %s is kept',
    (kind, emitted) => {
      expect(classifySeverity(kindAlert(kind, emitted))).toBe(emitted);
    },
  );

  it('when an enforcement flattens then it is critical whatever the emitter said', () => {
    expect(classifySeverity(kindAlert('enforcement', 'warning', { fields: { action: 'flatten' } }))).toBe(
      'critical',
    );
    expect(classifySeverity(kindAlert('enforcement', 'warning', { fields: { action: 'close' } }))).toBe(
      'warning',
    );
  });

  it('when the rule is max-loss-limit or broker-trading-disabled then a kind outside the table is critical', () => {
    expect(classifySeverity(kindAlert('enforcement', 'info', { ruleId: 'max-loss-limit' }))).toBe('critical');
    expect(
      classifySeverity(kindAlert('lockout-started', 'warning', { ruleId: 'broker-trading-disabled' })),
    ).toBe('critical');
  });

  it('when max-loss-limit raises its warnAt (kind warning) or a lockout of it ends then the table wins', () => {
    expect(classifySeverity(kindAlert('warning', 'warning', { ruleId: 'max-loss-limit' }))).toBe('warning');
    expect(classifySeverity(kindAlert('lockout-ended', 'info', { ruleId: 'max-loss-limit' }))).toBe('info');
  });

  it('when the emitter severity is not a known one then the alert is treated as critical', () => {
    expect(classifySeverity(kindAlert('rule-alert', 'bogus' as AlertSeverity))).toBe('critical');
  });
});

describe('isAdminOnlyKind', () => {
  it.each([
    ['config-invalid', true],
    ['config-valid', true],
    ['admin-restart', true],
    ['daemon-started', true],
    ['notification-failed', true],
    ['state-write-failed', true],
    ['restart-report', true],
    ['unclean-shutdown', true],
    ['enforcement', false],
    ['lockout-cleared', false],
    ['connection-lost', false],
    ['account-alert-only', false],
  ] as const)('when the kind is %s then admin-only is %s', (kind, expected) => {
    expect(isAdminOnlyKind(kind)).toBe(expected);
  });
});
