import {
  type Instant,
  type MarketCalendarView,
  parseTimeOfDay,
  type SessionWindow,
  type Weekday,
} from '@riskd/core-engine';

/** A half-open time interval [start, end). */
export interface Interval {
  readonly start: Instant;
  readonly end: Instant;
}

/** Session windows by the weekday on which each window starts (the calendar's own format). */
export type WeeklyWindows = Readonly<Partial<Record<Weekday, readonly SessionWindow[]>>>;

export const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Weekday of a `YYYY-MM-DD` calendar date. */
export function weekdayOf(date: string): Weekday {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()] as Weekday;
}

/** True when a window ends on the next calendar day (`end` at or before `start`, e.g. 17:00 -> 15:10). */
export function crossesMidnight(window: SessionWindow): boolean {
  return parseTimeOfDay(window.end) <= parseTimeOfDay(window.start);
}

/** The concrete interval of a window starting on local `date`, through the calendar's zone (DST-exact). */
export function windowOn(calendar: MarketCalendarView, date: string, window: SessionWindow): Interval {
  const start = calendar.instantOf(date, window.start);
  const end = calendar.instantOf(crossesMidnight(window) ? addDays(date, 1) : date, window.end);
  return { start, end };
}

/** Sorts intervals and merges those that overlap or touch. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end)
      out[out.length - 1] = { start: last.start, end: Math.max(last.end, i.end) };
    else out.push(i);
  }
  return out;
}

/** Concrete intervals of weekly windows that overlap [from, to), merged. */
export function weeklyIntervals(
  calendar: MarketCalendarView,
  windows: WeeklyWindows,
  from: Instant,
  to: Instant,
): Interval[] {
  const out: Interval[] = [];
  const first = addDays(calendar.localParts(from).date, -1);
  const last = calendar.localParts(to).date;
  for (let date = first; date <= last; date = addDays(date, 1)) {
    for (const w of windows[weekdayOf(date)] ?? []) {
      const i = windowOn(calendar, date, w);
      if (i.end > from && i.start < to) out.push(i);
    }
  }
  return mergeIntervals(out);
}

/** Open intervals of the market calendar that overlap [from, to), merged. */
export function calendarIntervals(calendar: MarketCalendarView, from: Instant, to: Instant): Interval[] {
  const out: Interval[] = [];
  const current = calendar.sessionAt(from);
  let cursor = from;
  if (current) {
    out.push({ start: current.start, end: current.end });
    cursor = current.end;
  }
  // A week has at most a handful of sessions; the bound only protects against a broken calendar.
  for (let guard = 0; guard < 1_000; guard++) {
    const start = calendar.nextSessionStart(cursor);
    if (!(start < to) || start <= cursor - 1) break;
    const session = calendar.sessionAt(start);
    if (!session || session.end <= start) break;
    out.push({ start, end: session.end });
    cursor = session.end;
  }
  return mergeIntervals(out);
}

/** Intersection of two sorted, merged interval lists. */
export function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Interval;
    const y = b[j] as Interval;
    const start = Math.max(x.start, y.start);
    const end = Math.min(x.end, y.end);
    if (end > start) out.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return out;
}

/** The longest span searched for the next session (covers long holiday closures). */
export const SEARCH_HORIZON_MS = 21 * DAY_MS;
