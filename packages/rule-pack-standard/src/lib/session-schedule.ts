import { type Instant, type MarketCalendarView, parseTimeOfDay, type Strictness } from '@riskd/core-engine';
import {
  calendarIntervals,
  crossesMidnight,
  type Interval,
  intersectIntervals,
  SEARCH_HORIZON_MS,
  WEEKDAYS,
  weeklyIntervals,
  type WeeklyWindows,
} from './intervals.js';

const HOUR_MS = 3_600_000;
const BUCKET_MS = HOUR_MS;

/**
 * Allowed trading intervals: the market calendar's open intervals, narrowed by optional weekly
 * windows (account sessions, then symbol sessions). Each allowed interval has a flat deadline
 * `flatBeforeMs` before its end. Intervals are computed per one-hour bucket over three weeks
 * ahead and cached, so an evaluation costs a lookup.
 */
export class SessionSchedule {
  private readonly cache = new WeakMap<MarketCalendarView, Map<number, Interval[]>>();

  constructor(
    private readonly layers: readonly WeeklyWindows[],
    readonly flatBeforeMs: number,
  ) {}

  /** Allowed intervals around `at` (from two days before to three weeks after). */
  intervals(calendar: MarketCalendarView, at: Instant): Interval[] {
    const bucket = Math.floor(at / BUCKET_MS);
    let byBucket = this.cache.get(calendar);
    if (!byBucket) {
      byBucket = new Map();
      this.cache.set(calendar, byBucket);
    }
    let list = byBucket.get(bucket);
    if (!list) {
      const from = bucket * BUCKET_MS - 48 * HOUR_MS;
      const to = bucket * BUCKET_MS + SEARCH_HORIZON_MS;
      list = calendarIntervals(calendar, from, to);
      for (const layer of this.layers)
        list = intersectIntervals(list, weeklyIntervals(calendar, layer, from, to));
      // An interval no longer than the flat lead time never allows trading.
      list = list.filter((i) => i.end - this.flatBeforeMs > i.start);
      if (byBucket.size > 64) byBucket.clear();
      byBucket.set(bucket, list);
    }
    return list;
  }

  /** The allowed interval containing `at`, if trading is allowed at `at` (before its flat deadline). */
  allowedAt(calendar: MarketCalendarView, at: Instant): Interval | undefined {
    return this.intervals(calendar, at).find((i) => i.start <= at && at < i.end - this.flatBeforeMs);
  }

  /** The next flat deadline strictly after `at`. */
  nextDeadline(calendar: MarketCalendarView, at: Instant): Instant | undefined {
    for (const i of this.intervals(calendar, at)) {
      const deadline = i.end - this.flatBeforeMs;
      if (deadline > at) return deadline;
    }
    return undefined;
  }

  /** The deadline of the interval containing `at` (also when `at` is already past it). */
  deadlineAround(calendar: MarketCalendarView, at: Instant): Instant | undefined {
    const i = this.intervals(calendar, at).find((x) => x.start <= at && at < x.end);
    return i ? i.end - this.flatBeforeMs : undefined;
  }

  /** The start of the next allowed interval strictly after `at`. */
  nextStart(calendar: MarketCalendarView, at: Instant): Instant | undefined {
    return this.intervals(calendar, at).find((i) => i.start > at)?.start;
  }
}

/** `2026-01-05 17:00 America/Chicago` (seconds shown when not zero). */
export function formatLocal(calendar: MarketCalendarView, at: Instant): string {
  const parts = calendar.localParts(at);
  const seconds = Math.floor(parts.secondOfDay) % 60;
  const hh = String(Math.floor(parts.minuteOfDay / 60)).padStart(2, '0');
  const mm = String(parts.minuteOfDay % 60).padStart(2, '0');
  return `${parts.date} ${hh}:${mm}${seconds ? `:${String(seconds).padStart(2, '0')}` : ''} ${calendar.timezone}`;
}

const WEEK_MINUTES = 7 * 1440;

/** The minutes of a week that weekly windows cover (null: every minute, i.e. the calendar decides). */
export function weekMinutes(windows: WeeklyWindows | null | undefined): Uint8Array {
  const bits = new Uint8Array(WEEK_MINUTES);
  if (!windows) return bits.fill(1);
  WEEKDAYS.forEach((day, d) => {
    for (const w of windows[day] ?? []) {
      const start = d * 1440 + parseTimeOfDay(w.start);
      const length = (crossesMidnight(w) ? 1440 : 0) + parseTimeOfDay(w.end) - parseTimeOfDay(w.start);
      for (let m = 0; m < length; m++) bits[(start + m) % WEEK_MINUTES] = 1;
    }
  });
  return bits;
}

/** Fewer allowed minutes is tighter; more is looser; a mix counts as looser. */
export function compareWeekMinutes(previous: Uint8Array, next: Uint8Array): Strictness {
  let removed = false;
  let added = false;
  for (let m = 0; m < WEEK_MINUTES; m++) {
    if (previous[m] && !next[m]) removed = true;
    if (!previous[m] && next[m]) added = true;
  }
  if (added) return 'looser';
  return removed ? 'tighter' : 'same';
}
