import { FakeClock } from '@riskd/core-engine';
import { MemoryNotifier } from '@riskd/core-engine/testing';
import { describe, expect, it } from 'vitest';
import { ConnectionAlerts, formatDuration } from './connection-alerts.js';

function setup() {
  const clock = new FakeClock('2026-11-26T15:00:00Z');
  const notifier = new MemoryNotifier();
  const alerts = new ConnectionAlerts({ clock, notifier, runId: 'boot1' });
  return { clock, notifier, alerts };
}

describe('ConnectionAlerts', () => {
  it('when the connection drops for less than 10 s then nothing is alerted', async () => {
    const { clock, notifier, alerts } = setup();
    alerts.update('reconnecting');
    await clock.advance(9_999);
    alerts.update('connected');
    await clock.advance(60_000);
    expect(notifier.alerts).toEqual([]);
  });

  it('when the connection stays down 10 s then one warning is raised, and an info when it is back', async () => {
    const { clock, notifier, alerts } = setup();
    alerts.update('reconnecting');
    alerts.update('disconnected');
    await clock.advance(10_000);
    expect(notifier.alerts.map((a) => [a.kind, a.severity])).toEqual([['connection-lost', 'warning']]);
    expect(notifier.alerts[0]?.message).toContain('down for 10 s (reconnecting)');
    expect(notifier.alerts[0]?.fields).toEqual({ state: 'reconnecting', since: '2026-11-26T15:00:00.000Z' });

    await clock.advance(65_000);
    alerts.update('connected');
    expect(notifier.alerts.map((a) => [a.kind, a.severity])).toEqual([
      ['connection-lost', 'warning'],
      ['connection-restored', 'info'],
    ]);
    expect(notifier.alerts[1]?.message).toBe('The broker connection is back after 1 min 15 s down.');
    expect(new Set(notifier.alerts.map((a) => a.id)).size).toBe(2);
  });

  it('when the connection drops again after coming back then the next long outage is alerted again', async () => {
    const { clock, notifier, alerts } = setup();
    for (let i = 0; i < 2; i++) {
      alerts.update('reconnecting');
      await clock.advance(11_000);
      alerts.update('connected');
    }
    expect(notifier.alerts.map((a) => a.kind)).toEqual([
      'connection-lost',
      'connection-restored',
      'connection-lost',
      'connection-restored',
    ]);
  });

  it('when stopped while down then the pending alert never fires', async () => {
    const { clock, notifier, alerts } = setup();
    alerts.update('disconnected');
    alerts.stop();
    await clock.advance(60_000);
    expect(notifier.alerts).toEqual([]);
  });

  it('when durations are formatted then seconds, minutes and hours read naturally', () => {
    expect([0, 12_400, 60_000, 185_000, 3_600_000, 7_440_000].map(formatDuration)).toEqual([
      '0 s',
      '12 s',
      '1 min',
      '3 min 5 s',
      '1 h',
      '2 h 4 min',
    ]);
  });
});
