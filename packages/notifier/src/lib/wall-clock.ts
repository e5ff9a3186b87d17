import type { Instant } from '@riskd/core-engine';
import { NotifierValidationError } from './notifier-errors.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A cached `Intl.DateTimeFormat` giving the 24-hour wall-clock time of `timeZone`. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws `OPTIONS_INVALID` unless `timeZone` is an IANA zone this runtime knows. */
export function assertTimeZone(timeZone: string, path = 'timeZone'): void {
  try {
    formatter(timeZone);
  } catch {
    throw new NotifierValidationError('OPTIONS_INVALID', [
      { path, message: `unknown IANA time zone "${String(timeZone)}"` },
    ]);
  }
}

/** Hours, minutes and seconds of `at` on the wall clock of `timeZone` (DST handled by Intl). */
export function wallClock(at: Instant, timeZone: string): { hour: number; minute: number; second: number } {
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
    else if (part.type === 'second') second = Number(part.value);
  }
  return { hour, minute, second };
}

/** Minutes since local midnight of `at` in `timeZone` (0..1439). */
export function minuteOfDay(at: Instant, timeZone: string): number {
  const { hour, minute } = wallClock(at, timeZone);
  return hour * 60 + minute;
}

/** `HH:MM:SS` of `at` in `timeZone`. */
export function formatWallTime(at: Instant, timeZone: string): string {
  const { hour, minute, second } = wallClock(at, timeZone);
  return [hour, minute, second].map((n) => String(n).padStart(2, '0')).join(':');
}
