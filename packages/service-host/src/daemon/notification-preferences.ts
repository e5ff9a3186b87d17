import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NotificationPreferencesWire } from '@riskd/api-client';

/** The defaults: every alert kind, on every configured channel, no quiet hours. */
export const DEFAULT_NOTIFICATION_PREFERENCES: NotificationPreferencesWire = {
  kinds: 'all',
  channels: [],
  quietHours: null,
};

/**
 * The trader's notification preferences, kept in the data directory (owner-only) until the
 * notifier's own store exists. A missing or unreadable file reads as the defaults.
 */
export class NotificationPreferencesFile {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'notification-preferences.json');
  }

  read(): NotificationPreferencesWire {
    try {
      const value = JSON.parse(readFileSync(this.file, 'utf8')) as NotificationPreferencesWire;
      return { kinds: value.kinds, channels: value.channels, quietHours: value.quietHours ?? null };
    } catch {
      return DEFAULT_NOTIFICATION_PREFERENCES;
    }
  }

  write(preferences: NotificationPreferencesWire): NotificationPreferencesWire {
    const value: NotificationPreferencesWire = {
      kinds: preferences.kinds,
      channels: [...preferences.channels],
      quietHours: preferences.quietHours ?? null,
    };
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
    renameSync(tmp, this.file);
    return value;
  }
}
