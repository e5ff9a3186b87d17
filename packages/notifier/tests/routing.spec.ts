import type { NotificationPreferences } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import {
  type ChannelConfig,
  DEFAULT_PREFERENCES,
  NotifierValidationError,
  inQuietHours,
  routeAlert,
  validatePreferences,
} from '../src/index.js';
import { simpleAlert } from './harness.js';

function channel(
  id: string,
  audience: ChannelConfig['audience'],
  extra: Partial<ChannelConfig> = {},
): ChannelConfig {
  return {
    id,
    type: 'discord',
    enabled: true,
    audience,
    minSeverity: 'info',
    webhookUrl: `http://127.0.0.1:9/api/webhooks/1/${id}`,
    ...extra,
  } as ChannelConfig;
}

const CHANNELS = [channel('admin', 'admin'), channel('trader', 'trader'), channel('both', 'all')];

function route(
  overrides: Parameters<typeof simpleAlert>[1],
  preferences: NotificationPreferences = DEFAULT_PREFERENCES,
  quietNow = false,
) {
  return routeAlert(simpleAlert('a', overrides), CHANNELS, { preferences, quietNow });
}

describe('routeAlert', () => {
  it('when a trader-facing alert has default preferences then every channel gets it', () => {
    expect(route({ kind: 'enforcement' }).channels).toEqual(['admin', 'trader', 'both']);
  });

  it('when the kind is admin-only then admin and all channels get it and trader channels do not', () => {
    expect(route({ kind: 'daemon-started', severity: 'info' }).channels).toEqual(['admin', 'both']);
    expect(route({ kind: 'daemon-started' }, { kinds: [], channels: [] }, true).channels).toEqual([
      'admin',
      'both',
    ]);
  });

  it('when the trader excluded the kind then trader-facing channels suppress it and admin channels still get it', () => {
    const r = route({ kind: 'warning' }, { kinds: ['enforcement'], channels: [] });
    expect(r.channels).toEqual(['admin']);
    expect(r.suppressed).toEqual([
      { channel: 'trader', reason: 'kinds' },
      { channel: 'both', reason: 'kinds' },
    ]);
  });

  it('when the trader chose channels then the other trader-facing channels suppress the alert', () => {
    const r = route({ kind: 'warning' }, { kinds: 'all', channels: ['both'] });
    expect(r.channels).toEqual(['admin', 'both']);
    expect(r.suppressed).toEqual([{ channel: 'trader', reason: 'channels' }]);
  });

  it('when quiet hours are on then non-critical alerts skip trader-facing channels and critical ones do not', () => {
    expect(route({ kind: 'warning' }, DEFAULT_PREFERENCES, true).channels).toEqual(['admin']);
    const critical = route(
      { kind: 'rule-alert', severity: 'critical' },
      { kinds: [], channels: ['both'] },
      true,
    );
    expect(critical.channels).toEqual(['admin', 'trader', 'both']);
  });

  it('when the alert is below a channel minSeverity or the channel is disabled then it is left out', () => {
    const channels = [
      channel('c', 'all', { minSeverity: 'critical' }),
      channel('d', 'all', { enabled: false }),
    ];
    const r = routeAlert(simpleAlert('a', { severity: 'warning' }), channels, {
      preferences: DEFAULT_PREFERENCES,
      quietNow: false,
    });
    expect(r).toEqual({ channels: [], suppressed: [{ channel: 'c', reason: 'severity' }] });
  });
});

describe('inQuietHours', () => {
  const CHICAGO = 'America/Chicago';

  it('when quiet hours span midnight then the evening and the early morning are quiet and the day is not', () => {
    const q = { start: '22:00', end: '07:00' };
    // January: Chicago is UTC-6.
    expect(inQuietHours(q, Date.UTC(2026, 0, 6, 3, 59), CHICAGO)).toBe(false); // 21:59
    expect(inQuietHours(q, Date.UTC(2026, 0, 6, 4, 0), CHICAGO)).toBe(true); // 22:00
    expect(inQuietHours(q, Date.UTC(2026, 0, 6, 12, 59), CHICAGO)).toBe(true); // 06:59
    expect(inQuietHours(q, Date.UTC(2026, 0, 6, 13, 0), CHICAGO)).toBe(false); // 07:00
  });

  it('when quiet hours lie within one day then only that span is quiet', () => {
    const q = { start: '12:00', end: '13:30' };
    expect(inQuietHours(q, Date.UTC(2026, 0, 6, 18, 0), CHICAGO)).toBe(true); // 12:00
    expect(inQuietHours(q, Date.UTC(2026, 0, 6, 19, 30), CHICAGO)).toBe(false); // 13:30
  });

  it('when daylight saving time starts then quiet hours follow the wall clock, not UTC', () => {
    const q = { start: '06:00', end: '07:00' };
    // 2026-03-07 is CST (UTC-6): 06:30 local = 12:30 UTC. 2026-03-09 is CDT (UTC-5): 06:30 local = 11:30 UTC.
    expect(inQuietHours(q, Date.UTC(2026, 2, 7, 12, 30), CHICAGO)).toBe(true);
    expect(inQuietHours(q, Date.UTC(2026, 2, 9, 12, 30), CHICAGO)).toBe(false);
    expect(inQuietHours(q, Date.UTC(2026, 2, 9, 11, 30), CHICAGO)).toBe(true);
  });

  it('when there are no quiet hours then it is never quiet', () => {
    expect(inQuietHours(undefined, Date.UTC(2026, 0, 6, 4, 0), CHICAGO)).toBe(false);
  });
});

describe('validatePreferences', () => {
  it('when preferences are valid then they come back normalized (duplicates dropped)', () => {
    expect(
      validatePreferences(
        {
          kinds: ['warning', 'warning', 'enforcement'],
          channels: ['both', 'both'],
          quietHours: { start: '22:00', end: '06:30' },
        },
        CHANNELS,
      ),
    ).toEqual({
      kinds: ['warning', 'enforcement'],
      channels: ['both'],
      quietHours: { start: '22:00', end: '06:30' },
    });
  });

  it('when everything is wrong then every problem is listed with its path', () => {
    let error: unknown;
    try {
      validatePreferences(
        {
          kinds: ['ok', ''],
          channels: ['admin', 'ghost'],
          quietHours: { start: '7:00', end: '24:00' },
        } as NotificationPreferences,
        CHANNELS,
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NotifierValidationError);
    expect(error).toMatchObject({
      code: 'PREFERENCES_INVALID',
      path: 'kinds[1]',
      problems: [
        { path: 'kinds[1]', message: 'must be a non-empty alert kind' },
        { path: 'channels[0]', message: 'channel "admin" is for the admin only' },
        { path: 'channels[1]', message: 'unknown channel "ghost"' },
        { path: 'quietHours.start', message: 'must be HH:MM (00:00 to 23:59)' },
        { path: 'quietHours.end', message: 'must be HH:MM (00:00 to 23:59)' },
      ],
    });
  });

  it('when quiet hours start and end at the same time then they are refused', () => {
    expect(() =>
      validatePreferences(
        { kinds: 'all', channels: [], quietHours: { start: '08:00', end: '08:00' } },
        CHANNELS,
      ),
    ).toThrow('quietHours.end: must differ from quietHours.start');
  });
});
