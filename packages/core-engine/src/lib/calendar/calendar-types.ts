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

/** A closed day or an early close, keyed by the calendar date it happens on. */
export interface Holiday {
  /** `YYYY-MM-DD`, a calendar date in the calendar's zone. */
  readonly date: string;
  readonly name: string;
  /** `closed`: no trading that date; `early-close`: trading stops at `close` that date. */
  readonly kind: 'closed' | 'early-close';
  /** `HH:MM`, required for early closes: the flat deadline (Topstep's, 15 minutes before the exchange halt). */
  readonly close?: string;
  /** `HH:MM`, when trading resumes that same date after an early close (e.g. 17:00 after a noon halt). */
  readonly reopen?: string;
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
