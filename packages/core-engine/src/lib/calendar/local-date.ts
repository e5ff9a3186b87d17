import type { Weekday } from './calendar-types.js';

/**
 * Calendar-date arithmetic without a zone. A local date is handled as its "epoch day" (days since
 * 1970-01-01), and a local wall-clock time as "wall milliseconds": the epoch milliseconds the same
 * date and time would have in UTC. Both are plain numbers, so stepping through days costs no
 * allocation; the zone only comes in when a wall time is turned into an instant (see `ZoneTime`).
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Weekday keys in `Date.getUTCDay()` order (Sunday = 0). */
export const WEEKDAYS: readonly Weekday[] = Object.freeze(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** The epoch day of a `YYYY-MM-DD` date, or undefined when the text is not a real calendar date. */
export function parseLocalDate(text: string): number | undefined {
  const match = DATE_PATTERN.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March; a real date survives the round trip unchanged.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  return ms / DAY_MS;
}

/**
 * Minutes since midnight of an `HH:MM` (24 h) time, or undefined when malformed. The same grammar
 * as `parseTimeOfDay` in rules/duration.ts, without throwing, so validation can collect every problem.
 */
export function parseLocalTime(text: string): number | undefined {
  const match = TIME_PATTERN.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** `YYYY-MM-DD` of an epoch day. */
export function formatLocalDate(epochDay: number): string {
  const date = new Date(epochDay * DAY_MS);
  const year = String(date.getUTCFullYear()).padStart(4, '0');
  const month = String(date.getUTCMonth() + 1).padStart(2, '0');
  const day = String(date.getUTCDate()).padStart(2, '0');
  return `${year}-${month}-${day}`;
}

/** Weekday index (Sunday = 0) of an epoch day; 1970-01-01 was a Thursday. */
export function weekdayIndexOf(epochDay: number): number {
  return (((epochDay + 4) % 7) + 7) % 7;
}
