import type { Instant } from '../domain/types.js';
import type { SessionInterval, TradingDay, Weekday } from './calendar-types.js';

/** Local date and time of an instant in the calendar's zone. */
export interface LocalParts {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  readonly weekday: Weekday;
  /** Minutes since local midnight (0..1439). */
  readonly minuteOfDay: number;
  /** Seconds since local midnight, with milliseconds as a fraction. */
  readonly secondOfDay: number;
}

/**
 * What rules and engines may ask of the market calendar. "The market is open" always means this
 * calendar (configured sessions minus holidays, early closes ending at their flat deadline).
 */
export interface MarketCalendarView {
  readonly timezone: string;
  /** The trading day containing `at` (reset instant <= at < next reset instant). */
  tradingDayAt(at: Instant): TradingDay;
  /** The first reset instant strictly after `after`. */
  nextReset(after: Instant): Instant;
  /** The first weekly reset (the Sunday reset) strictly after `after`. */
  nextWeekReset(after: Instant): Instant;
  /** Start of the trading week containing `at` (the latest Sunday reset at or before it). */
  weekStartAt(at: Instant): Instant;
  /** Every reset instant in (from, to], in order. */
  resetsBetween(from: Instant, to: Instant): Instant[];
  isOpen(at: Instant): boolean;
  /** The open interval containing `at`, or null when closed. */
  sessionAt(at: Instant): SessionInterval | null;
  /** The start of the first open interval starting strictly after `after`. */
  nextSessionStart(after: Instant): Instant;
  /** Local date/time parts of `at` in the calendar zone. */
  localParts(at: Instant): LocalParts;
  /**
   * The instant of a local date and `HH:MM` time in the calendar zone. A time in a DST gap moves
   * to the first valid instant after it; in an overlap, the first occurrence counts.
   */
  instantOf(date: string, time: string): Instant;
}
