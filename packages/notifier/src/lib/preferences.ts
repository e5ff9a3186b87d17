import type { Instant, NotificationPreferences } from '@riskd/core-engine';
import type { ChannelConfig } from './channel-config.js';
import { NotifierValidationError, type NotifierProblem } from './notifier-errors.js';
import { minuteOfDay } from './wall-clock.js';

/** What applies when the trader never set preferences: every kind, every channel, no quiet hours. */
export const DEFAULT_PREFERENCES: NotificationPreferences = Object.freeze({
  kinds: 'all',
  channels: Object.freeze([]) as readonly string[],
});

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since midnight of a valid `HH:MM`. */
export function parseHhMm(value: string): number {
  const m = HH_MM.exec(value);
  if (!m) return Number.NaN;
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * Checks and normalizes the trader's preferences: `kinds` is `'all'` or a list of non-empty kind
 * names (duplicates dropped), `channels` lists ids of configured channels that trader alerts can
 * go to (audience `trader` or `all`), quiet hours are two different `HH:MM` times (00:00–23:59). Throws
 * {@link NotifierValidationError} (`PREFERENCES_INVALID`) with every problem and its path.
 */
export function validatePreferences(
  input: NotificationPreferences,
  channels: readonly ChannelConfig[],
): NotificationPreferences {
  const problems: NotifierProblem[] = [];
  const value = (input ?? {}) as Partial<NotificationPreferences>;
  let kinds: NotificationPreferences['kinds'] = 'all';
  if (value.kinds === 'all') {
    kinds = 'all';
  } else if (Array.isArray(value.kinds)) {
    const list: string[] = [];
    value.kinds.forEach((kind: unknown, i: number) => {
      if (typeof kind !== 'string' || kind.trim() === '') {
        problems.push({ path: `kinds[${i}]`, message: 'must be a non-empty alert kind' });
      } else if (!list.includes(kind)) {
        list.push(kind);
      }
    });
    kinds = Object.freeze(list);
  } else {
    problems.push({ path: 'kinds', message: "must be 'all' or a list of alert kinds" });
  }
  const chosen: string[] = [];
  if (!Array.isArray(value.channels)) {
    problems.push({ path: 'channels', message: 'must be a list of channel ids (empty for every channel)' });
  } else {
    value.channels.forEach((id: unknown, i: number) => {
      const channel = channels.find((c) => c.id === id);
      if (typeof id !== 'string' || !channel) {
        problems.push({ path: `channels[${i}]`, message: `unknown channel "${String(id)}"` });
      } else if (channel.audience === 'admin') {
        problems.push({ path: `channels[${i}]`, message: `channel "${id}" is for the admin only` });
      } else if (!chosen.includes(id)) {
        chosen.push(id);
      }
    });
  }
  let quietHours: NotificationPreferences['quietHours'];
  if (value.quietHours !== undefined && value.quietHours !== null) {
    const { start, end } = value.quietHours as { start?: unknown; end?: unknown };
    const startOk = typeof start === 'string' && HH_MM.test(start);
    const endOk = typeof end === 'string' && HH_MM.test(end);
    if (!startOk) problems.push({ path: 'quietHours.start', message: 'must be HH:MM (00:00 to 23:59)' });
    if (!endOk) problems.push({ path: 'quietHours.end', message: 'must be HH:MM (00:00 to 23:59)' });
    if (startOk && endOk && start === end) {
      problems.push({ path: 'quietHours.end', message: 'must differ from quietHours.start' });
    }
    if (startOk && endOk) quietHours = Object.freeze({ start: start as string, end: end as string });
  }
  if (problems.length > 0) throw new NotifierValidationError('PREFERENCES_INVALID', problems);
  return Object.freeze({
    kinds,
    channels: Object.freeze(chosen),
    ...(quietHours ? { quietHours } : {}),
  });
}

/**
 * Whether `at` falls in the quiet hours, read on the wall clock of `timeZone`: from `start`
 * (inclusive) to `end` (exclusive); a start after the end spans midnight (22:00–07:00).
 */
export function inQuietHours(
  quietHours: NotificationPreferences['quietHours'],
  at: Instant,
  timeZone: string,
): boolean {
  if (!quietHours) return false;
  const start = parseHhMm(quietHours.start);
  const end = parseHhMm(quietHours.end);
  if (!Number.isFinite(start) || !Number.isFinite(end) || start === end) return false;
  const now = minuteOfDay(at, timeZone);
  return start < end ? now >= start && now < end : now >= start || now < end;
}
