import type { Instant } from '../domain/types.js';
import { validateTradingDayConfig } from './calendar-config-validation.js';
import { CalendarConfigError, CalendarInputError, CalendarNoSessionError } from './calendar-errors.js';
import type { Holiday, SessionInterval, TradingDay, TradingDayConfig, Weekday } from './calendar-types.js';
import { DEFAULT_TRADING_DAY_CONFIG } from './default-trading-day-config.js';
import {
  DAY_MS,
  formatLocalDate,
  HOUR_MS,
  MINUTE_MS,
  parseLocalDate,
  parseLocalTime,
  WEEKDAYS,
  weekdayIndexOf,
} from './local-date.js';
import type { LocalParts, MarketCalendarView } from './market-calendar-view.js';
import { ZoneTime } from './zone-time.js';

/** How far `nextSessionStart` looks ahead before it gives up (a year and then some). */
const SESSION_SEARCH_DAYS = 400;
/** Cache bounds: past them the caches start over (decades of days; never reached in practice). */
const MAX_CACHED_DAYS = 20_000;
const MAX_CACHED_HOURS = 200_000;
/** `Date` can represent +-8.64e15 ms; keep a margin for the day arithmetic around an instant. */
const MAX_ABS_INSTANT = 8.64e15 - 4 * DAY_MS;

/** A session window of the weekly schedule, in minutes since local midnight of its start date. */
interface ParsedWindow {
  readonly start: number;
  readonly end: number;
}

interface HolidayRule {
  readonly holiday: Holiday;
  readonly kind: Holiday['kind'];
  /** Minutes since local midnight; set for early closes. */
  readonly close: number | undefined;
  readonly reopen: number | undefined;
  readonly noEveningSession: boolean;
}

/**
 * Everything about one local calendar date that the hot paths need, computed once (with luxon) and
 * then answered from plain numbers. Dates are epoch days (see local-date.ts).
 */
interface DayRecord {
  readonly epochDay: number;
  readonly date: string;
  readonly weekday: Weekday;
  readonly weekdayIndex: number;
  /** Wall milliseconds of local midnight (epochDay * DAY_MS). */
  readonly wallStart: number;
  /** First instant of the date (local midnight, or the first valid instant after it). */
  readonly start: Instant;
  /** First instant of the next date. */
  readonly end: Instant;
  /** UTC offset (ms) from `start` until `transitionAt`, and from then on. */
  readonly offsetBefore: number;
  readonly offsetAfter: number;
  /** The instant the offset changes within the date, or +Infinity. */
  readonly transitionAt: Instant;
  /** The reset instant of this date. */
  reset: Instant;
  /** Open intervals of the session windows that start on this date, holidays applied (lazy). */
  sessions: readonly SessionInterval[] | undefined;
  /** The trading day that starts at this date's reset (lazy). */
  tradingDay: TradingDay | undefined;
}

/**
 * The market calendar (RULES.md section 1 "Trading day", "Trading week", "Market calendar"):
 * resets, trading days and weeks, and when the market is open, in one IANA zone.
 *
 * - A reset happens every calendar day at `resetTime` local time, including weekends and
 *   holidays; a reset time in a DST gap moves to the first valid instant after it, in an overlap
 *   the first occurrence counts. A trading day runs from one reset to the next and is named by the
 *   local date of its last instant (the CME trade-date convention: the day starting Sunday 17:00
 *   is Monday's). The trading week starts at the Sunday reset.
 * - Sessions are the weekly windows (by the weekday they start on) minus holidays: a `closed` date
 *   drops the sessions that end on it; an `early-close` cuts trading at `close` until `reopen`, or
 *   for the rest of the date and its evening session when there is no `reopen`.
 *
 * Answers are computed per local date and cached, so repeated calls on hot paths
 * (`tradingDayAt`, `isOpen`, `sessionAt`, `localParts`) cost a few map lookups and no luxon work.
 * Instances are immutable; build a new one when the config changes.
 */
export class MarketCalendar implements MarketCalendarView {
  readonly timezone: string;
  /** The validated config, deep-frozen. */
  readonly config: TradingDayConfig;

  private readonly zone: ZoneTime;
  private readonly resetMinute: number;
  /** Session windows by weekday index (Sunday = 0), sorted by start. */
  private readonly windows: readonly (readonly ParsedWindow[])[];
  private readonly holidays = new Map<number, HolidayRule>();
  private readonly days = new Map<number, DayRecord>();
  /** Local dates overlapping each UTC hour (1, or 2 when a local midnight falls inside it). */
  private readonly daysByHour = new Map<number, readonly DayRecord[]>();

  /** @throws CalendarConfigError listing every problem of an invalid config. */
  constructor(config: TradingDayConfig = DEFAULT_TRADING_DAY_CONFIG) {
    const problems = validateTradingDayConfig(config);
    if (problems.length > 0) throw new CalendarConfigError(problems);
    this.config = freezeConfig(config);
    this.timezone = config.timezone;
    this.zone = new ZoneTime(config.timezone);
    this.resetMinute = requireTime(config.resetTime);
    this.windows = WEEKDAYS.map((weekday) =>
      (config.sessions[weekday] ?? [])
        .map((window) => ({ start: requireTime(window.start), end: requireTime(window.end) }))
        .sort((a, b) => a.start - b.start),
    );
    for (const holiday of this.config.holidays) {
      this.holidays.set(requireDate(holiday.date), {
        holiday,
        kind: holiday.kind,
        close: holiday.close === undefined ? undefined : requireTime(holiday.close),
        reopen: holiday.reopen === undefined ? undefined : requireTime(holiday.reopen),
        noEveningSession: holiday.noEveningSession === true,
      });
    }
  }

  tradingDayAt(at: Instant): TradingDay {
    return this.tradingDayFrom(this.resetDayAt(checkInstant(at)));
  }

  nextReset(after: Instant): Instant {
    return this.tradingDayAt(after).end;
  }

  weekStartAt(at: Instant): Instant {
    return this.weekStartDay(this.resetDayAt(checkInstant(at))).reset;
  }

  nextWeekReset(after: Instant): Instant {
    // The week containing `after` started at or before it; the next one starts 7 dates later.
    return this.day(this.weekStartDay(this.resetDayAt(checkInstant(after))).epochDay + 7).reset;
  }

  /**
   * Every reset instant in (from, to], in order: the resets missed while the daemon was down, to
   * be applied once each on start. Empty when `to <= from`.
   */
  resetsBetween(from: Instant, to: Instant): Instant[] {
    checkInstant(from);
    checkInstant(to);
    const resets: Instant[] = [];
    if (to <= from) return resets;
    for (let n = this.resetDayAt(from).epochDay + 1; ; n++) {
      const reset = this.day(n).reset;
      if (reset > to) return resets;
      resets.push(reset);
    }
  }

  isOpen(at: Instant): boolean {
    return this.sessionAt(at) !== null;
  }

  sessionAt(at: Instant): SessionInterval | null {
    const day = this.dayAt(checkInstant(at));
    // Windows last at most 24 h, so an interval containing `at` started on its date or the one before.
    for (const session of this.sessionsOf(this.day(day.epochDay - 1))) {
      if (at >= session.start && at < session.end) return session;
    }
    for (const session of this.sessionsOf(day)) {
      if (at >= session.start && at < session.end) return session;
    }
    return null;
  }

  /** @throws CalendarNoSessionError when no session starts within 400 days. */
  nextSessionStart(after: Instant): Instant {
    const first = this.dayAt(checkInstant(after)).epochDay - 1;
    // Non-overlapping weekly windows make the intervals ordered by (start date, start): the first
    // one found is the earliest.
    for (let n = first; n <= first + SESSION_SEARCH_DAYS; n++) {
      for (const session of this.sessionsOf(this.day(n))) {
        if (session.start > after) return session.start;
      }
    }
    throw new CalendarNoSessionError(
      `no session starts within ${SESSION_SEARCH_DAYS} days after ${new Date(after).toISOString()}`,
    );
  }

  /** The open intervals that overlap [from, to), in order, each whole (not clipped to the range). */
  sessionsBetween(from: Instant, to: Instant): SessionInterval[] {
    checkInstant(from);
    checkInstant(to);
    const sessions: SessionInterval[] = [];
    if (to <= from) return sessions;
    const last = this.dayAt(to).epochDay;
    for (let n = this.dayAt(from).epochDay - 1; n <= last; n++) {
      for (const session of this.sessionsOf(this.day(n))) {
        if (session.end > from && session.start < to) sessions.push(session);
      }
    }
    return sessions;
  }

  /** The configured holiday on a local date (`YYYY-MM-DD`), if any. */
  holidayOn(date: string): Holiday | undefined {
    const epochDay = parseLocalDate(date);
    if (epochDay === undefined)
      throw new CalendarInputError(`invalid date ${JSON.stringify(date)}: expected "YYYY-MM-DD"`);
    return this.holidays.get(epochDay)?.holiday;
  }

  localParts(at: Instant): LocalParts {
    const day = this.dayAt(checkInstant(at));
    const offset = at < day.transitionAt ? day.offsetBefore : day.offsetAfter;
    const msOfDay = at + offset - day.wallStart;
    return {
      date: day.date,
      weekday: day.weekday,
      minuteOfDay: Math.floor(msOfDay / MINUTE_MS),
      secondOfDay: msOfDay / 1000,
    };
  }

  instantOf(date: string, time: string): Instant {
    const epochDay = parseLocalDate(date);
    if (epochDay === undefined)
      throw new CalendarInputError(`invalid date ${JSON.stringify(date)}: expected "YYYY-MM-DD"`);
    const minute = parseLocalTime(time);
    if (minute === undefined)
      throw new CalendarInputError(`invalid time ${JSON.stringify(time)}: expected "HH:MM" (24 h)`);
    return this.wallToInstant(epochDay, minute);
  }

  // ---- trading days --------------------------------------------------------------------------

  /** The date whose reset starts the trading day containing `at`. */
  private resetDayAt(at: Instant): DayRecord {
    let day = this.dayAt(at);
    while (at < day.reset) day = this.day(day.epochDay - 1);
    for (;;) {
      const next = this.day(day.epochDay + 1);
      if (at < next.reset) return day;
      day = next;
    }
  }

  private tradingDayFrom(day: DayRecord): TradingDay {
    if (day.tradingDay !== undefined) return day.tradingDay;
    const end = this.day(day.epochDay + 1).reset;
    // Named by the local date of its last instant: the date of the closing reset for any reset
    // time after midnight, and the date itself for a midnight reset.
    const tradingDay: TradingDay = Object.freeze({ id: this.dayAt(end - 1).date, start: day.reset, end });
    day.tradingDay = tradingDay;
    return tradingDay;
  }

  /** The Sunday on or before a reset date. */
  private weekStartDay(resetDay: DayRecord): DayRecord {
    return this.day(resetDay.epochDay - resetDay.weekdayIndex);
  }

  // ---- sessions ------------------------------------------------------------------------------

  private sessionsOf(day: DayRecord): readonly SessionInterval[] {
    if (day.sessions !== undefined) return day.sessions;
    const sessions: SessionInterval[] = [];
    for (const window of this.windows[day.weekdayIndex] ?? []) {
      const start = this.wallToInstant(day.epochDay, window.start);
      const end = this.wallToInstant(window.end > window.start ? day.epochDay : day.epochDay + 1, window.end);
      if (end > start) this.applyHolidays(day.epochDay, start, end, sessions);
    }
    sessions.sort((a, b) => a.start - b.start);
    day.sessions = Object.freeze(sessions);
    return day.sessions;
  }

  /**
   * Pushes what is left of the window [start, end) (starting on `startDay`) after the holidays of
   * the dates it touches (its start date and the next) are applied.
   */
  private applyHolidays(startDay: number, start: Instant, end: Instant, out: SessionInterval[]): void {
    // The window's trade date: the local date on which it ends (CME convention).
    const tradeDay = this.dayAt(end - 1).epochDay;
    const blocks: [Instant, Instant][] = [];
    for (const n of [startDay, startDay + 1]) {
      const rule = this.holidays.get(n);
      if (rule === undefined) continue;
      if (rule.kind === 'closed') {
        // The whole session of a closed trade date goes, not just its part on that date: CME runs
        // no evening session into a closed day.
        if (tradeDay === n || (rule.noEveningSession && startDay === n)) return;
      } else if (rule.close !== undefined) {
        const close = this.wallToInstant(n, rule.close);
        // Without a reopen nothing trades again until a session that starts on a later date.
        const reopen =
          rule.reopen === undefined ? Number.POSITIVE_INFINITY : this.wallToInstant(n, rule.reopen);
        blocks.push([close, reopen]);
      }
    }
    blocks.sort((a, b) => a[0] - b[0]);
    let cursor = start;
    for (const [close, reopen] of blocks) {
      if (reopen <= cursor || close >= end) continue;
      if (close > cursor) out.push(Object.freeze({ start: cursor, end: close, earlyClose: true }));
      cursor = Math.max(cursor, reopen);
      if (cursor >= end) return;
    }
    out.push(Object.freeze({ start: cursor, end, earlyClose: false }));
  }

  // ---- local dates ---------------------------------------------------------------------------

  /** The local date containing `at`: a hash lookup by UTC hour on the hot path. */
  private dayAt(at: Instant): DayRecord {
    const hour = Math.floor(at / HOUR_MS);
    const days = this.daysByHour.get(hour) ?? this.indexHour(hour);
    for (const day of days) if (at >= day.start && at < day.end) return day;
    return this.dayContaining(at);
  }

  private indexHour(hour: number): readonly DayRecord[] {
    const from = hour * HOUR_MS;
    const to = from + HOUR_MS;
    let day = this.dayContaining(from);
    const days = [day];
    while (day.end < to) {
      day = this.day(day.epochDay + 1);
      days.push(day);
    }
    if (this.daysByHour.size >= MAX_CACHED_HOURS) this.daysByHour.clear();
    this.daysByHour.set(hour, days);
    return days;
  }

  /** The local date containing `at`, from the zone offset (the slow path). */
  private dayContaining(at: Instant): DayRecord {
    let day = this.day(Math.floor((at + this.zone.offsetMs(at)) / DAY_MS));
    // Guards for zones whose dates do not map one to one onto instants (a skipped date).
    while (at < day.start) day = this.day(day.epochDay - 1);
    while (at >= day.end) day = this.day(day.epochDay + 1);
    return day;
  }

  private day(epochDay: number): DayRecord {
    const cached = this.days.get(epochDay);
    if (cached !== undefined) return cached;
    const wallStart = epochDay * DAY_MS;
    const start = this.zone.toInstant(wallStart);
    const end = this.zone.toInstant(wallStart + DAY_MS);
    const offsetBefore = this.zone.offsetMs(start);
    const transitionAt = end > start ? this.zone.transitionWithin(start, end) : undefined;
    const weekdayIndex = weekdayIndexOf(epochDay);
    const day: DayRecord = {
      epochDay,
      date: formatLocalDate(epochDay),
      weekday: WEEKDAYS[weekdayIndex] ?? 'sun',
      weekdayIndex,
      wallStart,
      start,
      end,
      offsetBefore,
      offsetAfter: transitionAt === undefined ? offsetBefore : this.zone.offsetMs(transitionAt),
      transitionAt: transitionAt ?? Number.POSITIVE_INFINITY,
      reset: 0,
      sessions: undefined,
      tradingDay: undefined,
    };
    day.reset = resolveWall(day, this.resetMinute);
    if (this.days.size >= MAX_CACHED_DAYS) {
      this.days.clear();
      this.daysByHour.clear();
    }
    this.days.set(epochDay, day);
    return day;
  }

  private wallToInstant(epochDay: number, minute: number): Instant {
    return resolveWall(this.day(epochDay), minute);
  }
}

/**
 * The instant of a wall time on a date, from the date's cached offsets: the first occurrence in an
 * overlap, the transition instant (the first valid instant after it) in a gap. Minutes may run
 * past 24 h only for windows (never here): callers pass 0..1439.
 */
function resolveWall(day: DayRecord, minute: number): Instant {
  const wall = day.wallStart + minute * MINUTE_MS;
  const beforeTransition = wall - day.offsetBefore;
  // A wall time before a gap at local midnight resolves before the date starts: the date's first
  // instant is the first valid one.
  if (beforeTransition < day.transitionAt) return Math.max(beforeTransition, day.start);
  const afterTransition = wall - day.offsetAfter;
  if (afterTransition >= day.transitionAt) return afterTransition;
  return day.transitionAt;
}

function checkInstant(at: Instant): Instant {
  if (typeof at !== 'number' || !Number.isFinite(at) || Math.abs(at) > MAX_ABS_INSTANT) {
    throw new CalendarInputError(`invalid instant ${String(at)}: expected epoch milliseconds`);
  }
  return at;
}

function requireTime(text: string): number {
  const minute = parseLocalTime(text);
  if (minute === undefined) throw new CalendarInputError(`invalid time ${JSON.stringify(text)}`);
  return minute;
}

function requireDate(text: string): number {
  const epochDay = parseLocalDate(text);
  if (epochDay === undefined) throw new CalendarInputError(`invalid date ${JSON.stringify(text)}`);
  return epochDay;
}

/** A deep-frozen copy, so a caller mutating its config object cannot change a built calendar. */
function freezeConfig(config: TradingDayConfig): TradingDayConfig {
  const sessions: Partial<Record<Weekday, readonly { start: string; end: string }[]>> = {};
  for (const weekday of WEEKDAYS) {
    const windows = config.sessions[weekday];
    if (windows !== undefined) {
      sessions[weekday] = Object.freeze(windows.map((w) => Object.freeze({ start: w.start, end: w.end })));
    }
  }
  return Object.freeze({
    timezone: config.timezone,
    resetTime: config.resetTime,
    sessions: Object.freeze(sessions),
    holidays: Object.freeze(config.holidays.map((holiday) => Object.freeze({ ...holiday }))),
  });
}
