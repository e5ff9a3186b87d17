import type { Instant } from '@riskd/core-engine';

/**
 * Fallbacks for the two calendar questions the adapter asks when the host gives it no market
 * calendar: where the trading week starts (start-up trade history) and whether the market is open
 * (stale-feed watchdog). They encode the default TopstepX trading day of RULES.md section 1
 * (Sunday 17:00 to Friday 15:10 America/Chicago, daily break 15:10-17:00) without holidays; the
 * host passes core-engine's calendar to get holidays and early closes.
 */

const ZONE = 'America/Chicago';
const RESET_MINUTE = 17 * 60;
const CLOSE_MINUTE = 15 * 60 + 10;
const DAY_MS = 86_400_000;

const formatter = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  weekday: 'short',
});

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

interface ChicagoParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly minuteOfDay: number;
  /** The local wall time read as if it were UTC (for offset arithmetic). */
  readonly wallMs: number;
}

function chicagoParts(at: Instant): ChicagoParts {
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(new Date(at))) parts[part.type] = part.value;
  const year = Number(parts['year']);
  const month = Number(parts['month']);
  const day = Number(parts['day']);
  const hour = Number(parts['hour']);
  const minute = Number(parts['minute']);
  const second = Number(parts['second']);
  return {
    year,
    month,
    day,
    weekday: WEEKDAYS[parts['weekday'] ?? 'Sun'] ?? 0,
    minuteOfDay: hour * 60 + minute,
    wallMs: Date.UTC(year, month - 1, day, hour, minute, second) + (at % 1000),
  };
}

/** The instant at which Chicago wall time reads `wallMs` (never in a DST gap for 17:00). */
function instantOfChicagoWall(wallMs: number): Instant {
  let guess = wallMs + 6 * 3_600_000;
  for (let i = 0; i < 3; i++) guess += wallMs - chicagoParts(guess).wallMs;
  return guess;
}

/** Start of the trading week containing `at`: the latest Sunday 17:00 Chicago at or before it. */
export function defaultTradingWeekStart(at: Instant): Instant {
  const p = chicagoParts(at);
  let daysBack = p.weekday;
  if (p.weekday === 0 && p.minuteOfDay < RESET_MINUTE) daysBack = 7;
  const sundayWall = Date.UTC(p.year, p.month - 1, p.day) - daysBack * DAY_MS + RESET_MINUTE * 60_000;
  return instantOfChicagoWall(sundayWall);
}

/** The default TopstepX session: Sunday 17:00 to Friday 15:10 Chicago, closed 15:10-17:00 daily. */
export function defaultIsMarketOpen(at: Instant): boolean {
  const { weekday, minuteOfDay } = chicagoParts(at);
  if (weekday === 6) return false;
  if (weekday === 0) return minuteOfDay >= RESET_MINUTE;
  if (weekday === 5) return minuteOfDay < CLOSE_MINUTE;
  return minuteOfDay < CLOSE_MINUTE || minuteOfDay >= RESET_MINUTE;
}
