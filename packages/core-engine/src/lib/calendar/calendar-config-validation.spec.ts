import { describe, expect, it } from 'vitest';
import { validateTradingDayConfig } from './calendar-config-validation.js';
import { CalendarConfigError, CalendarError } from './calendar-errors.js';
import type { TradingDayConfig } from './calendar-types.js';
import { DEFAULT_TRADING_DAY_CONFIG } from './default-trading-day-config.js';
import { MarketCalendar } from './market-calendar.js';

const base = {
  timezone: 'America/Chicago',
  resetTime: '17:00',
  sessions: { sun: [{ start: '17:00', end: '15:10' }] },
  holidays: [],
};

describe('validateTradingDayConfig', () => {
  it('when the config is the default then there is no problem', () => {
    expect(validateTradingDayConfig(DEFAULT_TRADING_DAY_CONFIG)).toEqual([]);
    expect(validateTradingDayConfig(base)).toEqual([]);
  });

  it('when the zone and reset time are bad then both are reported with their paths', () => {
    expect(validateTradingDayConfig({ ...base, timezone: 'Mars/Olympus', resetTime: '5pm' })).toEqual([
      {
        path: 'tradingDay.timezone',
        message: 'must be an IANA time zone such as "America/Chicago", got "Mars/Olympus"',
      },
      { path: 'tradingDay.resetTime', message: 'must be a time "HH:MM" (24 h), got "5pm"' },
    ]);
  });

  it('when holidays are malformed then every problem is listed with its index path', () => {
    const problems = validateTradingDayConfig({
      ...base,
      holidays: [
        { date: '2026-01-01', name: "New Year's Day", kind: 'closed' },
        { date: '2026-02-30', name: '', kind: 'holiday' },
        { date: '2026-11-27', name: 'Day after Thanksgiving', kind: 'early-close' },
        { date: '2026-12-25', name: 'Christmas', kind: 'closed', close: '12:00', reopen: '17:00' },
        {
          date: '2026-01-19',
          name: 'MLK',
          kind: 'early-close',
          close: '11:45',
          reopen: '11:00',
          noEveningSession: true,
        },
        {
          date: '2026-01-01',
          name: 'Again',
          kind: 'closed',
          status: 'guessed',
          colour: 'red',
          noEveningSession: 'yes',
        },
        { date: '2026-03-11', name: 'Halt', kind: 'early-close', close: '25:00' },
        'not a holiday',
      ],
    });
    expect(problems).toEqual([
      {
        path: 'tradingDay.holidays[1].date',
        message: 'must be a calendar date "YYYY-MM-DD", got "2026-02-30"',
      },
      { path: 'tradingDay.holidays[1].name', message: 'must be a non-empty string, got ""' },
      { path: 'tradingDay.holidays[1].kind', message: 'must be "closed" or "early-close", got "holiday"' },
      { path: 'tradingDay.holidays[2].close', message: 'must be a time "HH:MM" (24 h), got undefined' },
      {
        path: 'tradingDay.holidays[3].close',
        message: 'only an early close has a close time; a closed day has no trading',
      },
      {
        path: 'tradingDay.holidays[3].reopen',
        message:
          'a closed day reopens with the next trade date\'s session; use kind "early-close" with close and reopen for a halt',
      },
      {
        path: 'tradingDay.holidays[4].reopen',
        message: 'must be after close (11:45) on the same date, got "11:00"',
      },
      {
        path: 'tradingDay.holidays[4].noEveningSession',
        message: 'only for closed days; an early close without reopen already has no evening session',
      },
      { path: 'tradingDay.holidays[5].colour', message: 'unknown property' },
      {
        path: 'tradingDay.holidays[5].date',
        message: 'duplicate date 2026-01-01 (already used by tradingDay.holidays[0]); one entry per date',
      },
      { path: 'tradingDay.holidays[5].noEveningSession', message: 'must be a boolean, got "yes"' },
      { path: 'tradingDay.holidays[5].status', message: 'must be "confirmed" or "derived", got "guessed"' },
      { path: 'tradingDay.holidays[6].close', message: 'must be a time "HH:MM" (24 h), got "25:00"' },
      {
        path: 'tradingDay.holidays[7]',
        message: 'must be an object {date, name, kind, ...}, got "not a holiday"',
      },
    ]);
  });

  it('when sessions are malformed or overlap then each is reported at its window path', () => {
    const problems = validateTradingDayConfig({
      ...base,
      sessions: {
        sun: [{ start: '17:00', end: '15:10' }],
        mon: [
          { start: '08:30', end: '12:00' },
          { start: '7:00', end: '09:00' },
        ],
        funday: [],
        sat: [{ start: '20:00', end: '18:00' }],
        fri: 'all day',
      },
    });
    expect(problems).toEqual([
      { path: 'tradingDay.sessions.mon[1].start', message: 'must be a time "HH:MM" (24 h), got "7:00"' },
      {
        path: 'tradingDay.sessions.funday',
        message: 'unknown weekday (expected one of sun, mon, tue, wed, thu, fri, sat)',
      },
      { path: 'tradingDay.sessions.fri', message: 'must be an array of {start, end} windows, got "all day"' },
      {
        path: 'tradingDay.sessions.mon[0]',
        message: 'session window mon 08:30-12:00 overlaps tradingDay.sessions.sun[0] (sun 17:00-15:10)',
      },
      {
        path: 'tradingDay.sessions.sat[0]',
        message: 'session window sat 20:00-18:00 overlaps tradingDay.sessions.sun[0] (sun 17:00-15:10)',
      },
    ]);
  });

  it('when windows only touch (one ends where the next starts) then they are valid', () => {
    const touching = {
      ...base,
      sessions: { sun: [{ start: '17:00', end: '00:00' }], mon: [{ start: '00:00', end: '15:10' }] },
    };
    expect(validateTradingDayConfig(touching)).toEqual([]);
  });

  it('when the config is not an object then that is the one problem, at the given path', () => {
    expect(validateTradingDayConfig(null, 'config.tradingDay')).toEqual([
      { path: 'config.tradingDay', message: 'must be an object, got null' },
    ]);
    expect(validateTradingDayConfig({ timezone: 'UTC' })).toEqual([
      { path: 'tradingDay.resetTime', message: 'must be a time "HH:MM" (24 h), got undefined' },
      {
        path: 'tradingDay.sessions',
        message: 'must be an object of session windows by weekday (sun..sat), got undefined',
      },
      { path: 'tradingDay.holidays', message: 'must be an array of holidays, got undefined' },
    ]);
  });
});

describe('MarketCalendar config errors', () => {
  it('when built from an invalid config then it throws CalendarConfigError listing every problem', () => {
    const config = {
      ...base,
      timezone: 'America/Chicgo',
      holidays: [{ date: '2026-11-27', name: 'Day after Thanksgiving', kind: 'early-close' }],
    } as unknown as TradingDayConfig;
    let thrown: unknown;
    try {
      new MarketCalendar(config);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CalendarConfigError);
    expect(thrown).toBeInstanceOf(CalendarError);
    const error = thrown as CalendarConfigError;
    expect(error.code).toBe('CALENDAR_CONFIG_INVALID');
    expect(error.problems.map((p) => p.path)).toEqual([
      'tradingDay.timezone',
      'tradingDay.holidays[0].close',
    ]);
    expect(error.message).toBe(
      'invalid market calendar config (2 problems):\n' +
        '  tradingDay.timezone: must be an IANA time zone such as "America/Chicago", got "America/Chicgo"\n' +
        '  tradingDay.holidays[0].close: must be a time "HH:MM" (24 h), got undefined',
    );
  });

  it('when the caller mutates its config object after building then the calendar is unaffected', () => {
    const sessions = { sun: [{ start: '17:00', end: '15:10' }] };
    const calendar = new MarketCalendar({ ...base, sessions });
    sessions.sun[0] = { start: '09:00', end: '10:00' };
    expect(calendar.config.sessions.sun?.[0]).toEqual({ start: '17:00', end: '15:10' });
    expect(Object.isFrozen(calendar.config.sessions.sun)).toBe(true);
  });
});
