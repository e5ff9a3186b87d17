import type { Instant } from '../domain/types.js';

/** Weekday keys as used in config. */
export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';

/**
 * A session window in the calendar's time zone. `start` and `end` are `HH:MM`; an `end` at or
 * before `start` means the session ends on the next calendar day (e.g. 17:00 -> 15:10).
 */
export interface SessionWindow {
  readonly start: string;
  readonly end: string;
}

/**
 * How well a shipped holiday row is sourced (CME-CALENDAR.md): `confirmed` when two or more
 * independent sources agree and one copies CME's or Topstep's own published table; `derived` when
 * it follows from a stated rule plus a precedent year.
 */
export type HolidayStatus = 'confirmed' | 'derived';

/**
 * A closed day or an early close, keyed by the calendar date it happens on.
 *
 * Both kinds follow CME's trade-date convention (a session belongs to the date on which it ends):
 * - `closed`: the trade date ending on `date` does not exist. Every session that ends on that date
 *   is dropped whole, so the day before has no evening session; the session that opens on the date
 *   itself for the next trade date (e.g. Thu 2026-01-01 17:00) still runs unless
 *   `noEveningSession` is set.
 * - `early-close`: trading stops at `close` on that date. With `reopen` it resumes at `reopen` the
 *   same date (a noon halt); without it the market stays closed until the next session that starts
 *   on a later date (no evening session).
 */
export interface Holiday {
  /** `YYYY-MM-DD`, a calendar date in the calendar's zone. */
  readonly date: string;
  readonly name: string;
  /** `closed`: no trading for that date (see above); `early-close`: trading stops at `close` that date. */
  readonly kind: 'closed' | 'early-close';
  /** `HH:MM`, required for early closes: the flat deadline (Topstep's, 15 minutes before the exchange halt). */
  readonly close?: string;
  /** `HH:MM`, when trading resumes that same date after an early close (e.g. 17:00 after a noon halt). */
  readonly reopen?: string;
  /**
   * Only for `closed`: also drop the sessions that start on this date (the evening session of the
   * next trade date), e.g. for an unscheduled closure that lasts into the night.
   */
  readonly noEveningSession?: boolean;
  /** Free text: the exchange's own times, the sources, why the row looks the way it does. */
  readonly note?: string;
  /** How well the row is sourced; set on the shipped calendar, optional for admin entries. */
  readonly status?: HolidayStatus;
}

/** The global `tradingDay` config (RULES.md section 1 "Market calendar"). */
export interface TradingDayConfig {
  /** IANA zone, default `America/Chicago`. */
  readonly timezone: string;
  /** `HH:MM`, default `17:00`. */
  readonly resetTime: string;
  /** Sessions by the weekday on which each session starts. */
  readonly sessions: Readonly<Partial<Record<Weekday, readonly SessionWindow[]>>>;
  readonly holidays: readonly Holiday[];
}

/** One trading day: from a reset to the next. */
export interface TradingDay {
  /** The calendar date (in the zone) on which the trading day ends: the CME trade-date convention. */
  readonly id: string;
  readonly start: Instant;
  readonly end: Instant;
}

/** One concrete open interval of the market. */
export interface SessionInterval {
  readonly start: Instant;
  readonly end: Instant;
  /** True when the end is an early close (holiday) rather than the regular close. */
  readonly earlyClose: boolean;
}
