import type { SessionWindow, TradingDayConfig } from './calendar-types.js';
import { CME_EQUITY_HOLIDAYS } from './cme-equity-holidays.js';

/** The TopstepX trading day's session: opens 17:00, must be flat by 15:10 the next day. */
const TOPSTEPX_SESSION: readonly SessionWindow[] = Object.freeze([
  Object.freeze({ start: '17:00', end: '15:10' }),
]);

/**
 * The default `tradingDay` config (RULES.md section 1 "Market calendar"): America/Chicago, reset
 * at 17:00, the TopstepX trading day (sessions start Sunday to Thursday at 17:00 and end the next
 * day at 15:10: flat by 15:10 Monday to Friday, the 15:10-17:00 daily break, closed from Friday
 * 15:10 to Sunday 17:00) and the shipped CME equity-index holidays for 2026 and 2027.
 */
export const DEFAULT_TRADING_DAY_CONFIG: TradingDayConfig = Object.freeze({
  timezone: 'America/Chicago',
  resetTime: '17:00',
  sessions: Object.freeze({
    sun: TOPSTEPX_SESSION,
    mon: TOPSTEPX_SESSION,
    tue: TOPSTEPX_SESSION,
    wed: TOPSTEPX_SESSION,
    thu: TOPSTEPX_SESSION,
  }),
  holidays: CME_EQUITY_HOLIDAYS,
});
