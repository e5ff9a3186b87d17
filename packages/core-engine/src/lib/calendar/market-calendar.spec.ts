import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CalendarError, CalendarInputError, CalendarNoSessionError } from './calendar-errors.js';
import type { Holiday, TradingDayConfig } from './calendar-types.js';
import { CME_EQUITY_HOLIDAYS, mergeHolidays } from './cme-equity-holidays.js';
import { DEFAULT_TRADING_DAY_CONFIG } from './default-trading-day-config.js';
import { MarketCalendar } from './market-calendar.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Epoch ms of an ISO string with an explicit offset, independent of the calendar under test. */
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`bad test instant ${iso}`);
  return ms;
};
const iso = (ms: number): string => new Date(ms).toISOString();

const calendar = new MarketCalendar();
const withConfig = (patch: Partial<TradingDayConfig>): MarketCalendar =>
  new MarketCalendar({ ...DEFAULT_TRADING_DAY_CONFIG, ...patch });
const withHolidays = (...extra: Holiday[]): MarketCalendar =>
  withConfig({ holidays: mergeHolidays(CME_EQUITY_HOLIDAYS, extra) });

describe('MarketCalendar trading days and resets', () => {
  it('when DST starts (2026-03-08) then the reset is 17:00 CDT = 22:00Z and that trading day lasts 23 h', () => {
    const day = calendar.tradingDayAt(at('2026-03-08T12:00:00-05:00'));
    expect(day).toEqual({
      id: '2026-03-08',
      start: at('2026-03-07T23:00:00Z'),
      end: at('2026-03-08T22:00:00Z'),
    });
    expect(day.end - day.start).toBe(23 * HOUR);
    expect(iso(calendar.nextReset(at('2026-03-08T21:59:59.999Z')))).toBe('2026-03-08T22:00:00.000Z');
    expect(calendar.tradingDayAt(at('2026-03-08T22:00:00Z')).start).toBe(at('2026-03-08T22:00:00Z'));
  });

  it('when DST ends (2026-11-01) then the reset is 17:00 CST = 23:00Z and that trading day lasts 25 h', () => {
    const day = calendar.tradingDayAt(at('2026-11-01T12:00:00-06:00'));
    expect(day).toEqual({
      id: '2026-11-01',
      start: at('2026-10-31T22:00:00Z'),
      end: at('2026-11-01T23:00:00Z'),
    });
    expect(day.end - day.start).toBe(25 * HOUR);
    expect(iso(calendar.nextReset(at('2026-11-01T22:59:59.999Z')))).toBe('2026-11-01T23:00:00.000Z');
  });

  it('when the 2027 DST days come (03-14, 11-07) then the resets are 22:00Z and 23:00Z and the days last 23 h and 25 h', () => {
    const spring = calendar.tradingDayAt(at('2027-03-14T09:00:00-05:00'));
    expect([iso(spring.start), iso(spring.end), spring.id]).toEqual([
      '2027-03-13T23:00:00.000Z',
      '2027-03-14T22:00:00.000Z',
      '2027-03-14',
    ]);
    expect(spring.end - spring.start).toBe(23 * HOUR);
    const autumn = calendar.tradingDayAt(at('2027-11-07T09:00:00-06:00'));
    expect([iso(autumn.start), iso(autumn.end), autumn.id]).toEqual([
      '2027-11-06T22:00:00.000Z',
      '2027-11-07T23:00:00.000Z',
      '2027-11-07',
    ]);
    expect(autumn.end - autumn.start).toBe(25 * HOUR);
  });

  it('when the reset time falls in the DST gap (02:30 on 2026-03-08) then it moves to 03:00 CDT', () => {
    const gap = withConfig({ resetTime: '02:30' });
    const before = gap.tradingDayAt(at('2026-03-08T07:59:59.999Z'));
    expect([iso(before.start), iso(before.end)]).toEqual([
      '2026-03-07T08:30:00.000Z',
      '2026-03-08T08:00:00.000Z',
    ]);
    const after = gap.tradingDayAt(at('2026-03-08T08:00:00Z'));
    expect([iso(after.start), iso(after.end)]).toEqual([
      '2026-03-08T08:00:00.000Z',
      '2026-03-09T07:30:00.000Z',
    ]);
    expect(gap.localParts(after.start)).toMatchObject({ date: '2026-03-08', minuteOfDay: 180 });
  });

  it('when the reset time falls in the DST overlap (01:30 on 2026-11-01) then the first occurrence (CDT) counts, once', () => {
    const overlap = withConfig({ resetTime: '01:30' });
    expect(iso(overlap.nextReset(at('2026-11-01T00:00:00-05:00')))).toBe('2026-11-01T06:30:00.000Z');
    // The second 01:30 (CST, 07:30Z) is not a reset: the trading day started at 06:30Z runs 25 h.
    const day = overlap.tradingDayAt(at('2026-11-01T07:30:00Z'));
    expect([iso(day.start), iso(day.end)]).toEqual(['2026-11-01T06:30:00.000Z', '2026-11-02T07:30:00.000Z']);
    expect(overlap.resetsBetween(at('2026-11-01T06:00:00Z'), at('2026-11-01T08:00:00Z')).map(iso)).toEqual([
      '2026-11-01T06:30:00.000Z',
    ]);
  });

  it('when a trading day starts Sunday 17:00 then its id is Monday (CME trade date)', () => {
    expect(calendar.tradingDayAt(at('2026-01-04T17:00:00-06:00')).id).toBe('2026-01-05');
    expect(calendar.tradingDayAt(at('2026-01-05T16:59:59.999-06:00')).id).toBe('2026-01-05');
    expect(calendar.tradingDayAt(at('2026-01-05T17:00:00-06:00')).id).toBe('2026-01-06');
  });

  it('when the market is closed (weekend, holiday) then resets still happen every calendar day', () => {
    expect(calendar.tradingDayAt(at('2026-01-09T18:00:00-06:00')).id).toBe('2026-01-10');
    expect(calendar.tradingDayAt(at('2026-01-10T18:00:00-06:00')).id).toBe('2026-01-11');
    expect(calendar.tradingDayAt(at('2026-12-25T10:00:00-06:00'))).toEqual({
      id: '2026-12-25',
      start: at('2026-12-24T17:00:00-06:00'),
      end: at('2026-12-25T17:00:00-06:00'),
    });
  });

  it("when a holiday session belongs to a later CME trade date then the trading day still ends at that day's reset", () => {
    // CME files Monday MLK under Tuesday's trade date and Juneteenth 2026 under Monday 06-22; Riskd
    // resets every calendar day (Topstep Combine/XFA treat each calendar day separately).
    expect(calendar.tradingDayAt(at('2026-01-19T10:00:00-06:00')).id).toBe('2026-01-19');
    expect(calendar.tradingDayAt(at('2026-06-19T10:00:00-05:00')).id).toBe('2026-06-19');
  });

  it('when the reset is at midnight then the trading day is named by its own date', () => {
    const midnight = withConfig({ resetTime: '00:00' });
    expect(midnight.tradingDayAt(at('2026-01-05T10:00:00-06:00'))).toEqual({
      id: '2026-01-05',
      start: at('2026-01-05T00:00:00-06:00'),
      end: at('2026-01-06T00:00:00-06:00'),
    });
  });

  it('when the daemon was down Friday 16:00 to Monday 08:00 then the missed resets are exactly Fri, Sat and Sun 17:00', () => {
    const resets = calendar.resetsBetween(at('2026-01-09T16:00:00-06:00'), at('2026-01-12T08:00:00-06:00'));
    expect(resets.map(iso)).toEqual([
      '2026-01-09T23:00:00.000Z',
      '2026-01-10T23:00:00.000Z',
      '2026-01-11T23:00:00.000Z',
    ]);
  });

  it('when the daemon was down over Christmas 2026 then every calendar day has its reset, holiday included', () => {
    const resets = calendar.resetsBetween(at('2026-12-23T16:00:00-06:00'), at('2026-12-28T08:00:00-06:00'));
    expect(resets.map(iso)).toEqual([
      '2026-12-23T23:00:00.000Z',
      '2026-12-24T23:00:00.000Z',
      '2026-12-25T23:00:00.000Z',
      '2026-12-26T23:00:00.000Z',
      '2026-12-27T23:00:00.000Z',
    ]);
  });

  it('when the range bounds sit exactly on resets then (from, to] excludes from and includes to', () => {
    const from = at('2026-01-09T23:00:00Z');
    const to = at('2026-01-11T23:00:00Z');
    expect(calendar.resetsBetween(from, to).map(iso)).toEqual([
      '2026-01-10T23:00:00.000Z',
      '2026-01-11T23:00:00.000Z',
    ]);
    expect(calendar.resetsBetween(to, from)).toEqual([]);
    expect(calendar.resetsBetween(from, from)).toEqual([]);
  });

  it('when asked for the week then it starts at the Sunday reset and the next week reset is the following Sunday', () => {
    expect(iso(calendar.weekStartAt(at('2026-01-07T10:00:00-06:00')))).toBe('2026-01-04T23:00:00.000Z');
    expect(iso(calendar.weekStartAt(at('2026-01-11T16:59:59.999-06:00')))).toBe('2026-01-04T23:00:00.000Z');
    expect(iso(calendar.weekStartAt(at('2026-01-11T17:00:00-06:00')))).toBe('2026-01-11T23:00:00.000Z');
    expect(iso(calendar.nextWeekReset(at('2026-01-10T12:00:00-06:00')))).toBe('2026-01-11T23:00:00.000Z');
    expect(iso(calendar.nextWeekReset(at('2026-01-11T17:00:00-06:00')))).toBe('2026-01-18T23:00:00.000Z');
  });

  it('when the week contains the DST change then it starts and ends at Sunday 17:00 local', () => {
    expect(iso(calendar.weekStartAt(at('2026-03-07T12:00:00-06:00')))).toBe('2026-03-01T23:00:00.000Z');
    expect(iso(calendar.nextWeekReset(at('2026-03-07T12:00:00-06:00')))).toBe('2026-03-08T22:00:00.000Z');
    expect(iso(calendar.weekStartAt(at('2026-11-04T12:00:00-06:00')))).toBe('2026-11-01T23:00:00.000Z');
  });
});

describe('MarketCalendar weekly sessions (TopstepX trading day)', () => {
  it('when a weekday passes 15:10 then the market closes, and it reopens at 17:00', () => {
    expect(calendar.isOpen(at('2026-01-05T15:09:59.999-06:00'))).toBe(true);
    expect(calendar.isOpen(at('2026-01-05T15:10:00-06:00'))).toBe(false);
    expect(calendar.isOpen(at('2026-01-05T16:59:59.999-06:00'))).toBe(false);
    expect(calendar.isOpen(at('2026-01-05T17:00:00-06:00'))).toBe(true);
    expect(calendar.sessionAt(at('2026-01-05T12:00:00-06:00'))).toEqual({
      start: at('2026-01-04T17:00:00-06:00'),
      end: at('2026-01-05T15:10:00-06:00'),
      earlyClose: false,
    });
    expect(iso(calendar.nextSessionStart(at('2026-01-05T15:10:00-06:00')))).toBe('2026-01-05T23:00:00.000Z');
  });

  it('when daylight time applies then the same wall-clock times hold (15:10 CDT = 20:10Z)', () => {
    expect(calendar.sessionAt(at('2026-06-10T09:00:00-05:00'))).toEqual({
      start: at('2026-06-09T22:00:00Z'),
      end: at('2026-06-10T20:10:00Z'),
      earlyClose: false,
    });
  });

  it('when Friday reaches 15:10 then the market stays closed until Sunday 17:00', () => {
    expect(calendar.isOpen(at('2026-01-09T15:09:59.999-06:00'))).toBe(true);
    expect(calendar.isOpen(at('2026-01-09T15:10:00-06:00'))).toBe(false);
    expect(calendar.isOpen(at('2026-01-09T17:00:00-06:00'))).toBe(false);
    expect(calendar.isOpen(at('2026-01-10T12:00:00-06:00'))).toBe(false);
    expect(calendar.isOpen(at('2026-01-11T16:59:59.999-06:00'))).toBe(false);
    expect(calendar.isOpen(at('2026-01-11T17:00:00-06:00'))).toBe(true);
    expect(iso(calendar.nextSessionStart(at('2026-01-09T15:10:00-06:00')))).toBe('2026-01-11T23:00:00.000Z');
  });

  it('when the Sunday session spans the DST change then it opens 17:00 CDT and closes Monday 15:10 CDT', () => {
    expect(calendar.sessionAt(at('2026-03-08T17:00:00-05:00'))).toEqual({
      start: at('2026-03-08T22:00:00Z'),
      end: at('2026-03-09T20:10:00Z'),
      earlyClose: false,
    });
  });

  it('when asking for the next session start exactly at a start then it is the following one (strictly after)', () => {
    expect(iso(calendar.nextSessionStart(at('2026-01-05T17:00:00-06:00')))).toBe('2026-01-06T23:00:00.000Z');
  });

  it('when listing a week of sessions then there are five, Sunday to Thursday evenings', () => {
    const sessions = calendar.sessionsBetween(
      at('2026-01-11T00:00:00-06:00'),
      at('2026-01-18T00:00:00-06:00'),
    );
    expect(sessions.map((s) => [iso(s.start), iso(s.end)])).toEqual([
      ['2026-01-11T23:00:00.000Z', '2026-01-12T21:10:00.000Z'],
      ['2026-01-12T23:00:00.000Z', '2026-01-13T21:10:00.000Z'],
      ['2026-01-13T23:00:00.000Z', '2026-01-14T21:10:00.000Z'],
      ['2026-01-14T23:00:00.000Z', '2026-01-15T21:10:00.000Z'],
      ['2026-01-15T23:00:00.000Z', '2026-01-16T21:10:00.000Z'],
    ]);
  });

  it('when sessions are configured per weekday (RTH only) then only those windows are open', () => {
    const rth = withConfig({
      sessions: { mon: [{ start: '08:30', end: '15:00' }], fri: [{ start: '08:30', end: '15:00' }] },
    });
    expect(rth.isOpen(at('2026-01-05T08:29:59.999-06:00'))).toBe(false);
    expect(rth.isOpen(at('2026-01-05T08:30:00-06:00'))).toBe(true);
    expect(rth.isOpen(at('2026-01-05T15:00:00-06:00'))).toBe(false);
    expect(rth.isOpen(at('2026-01-06T10:00:00-06:00'))).toBe(false);
    expect(iso(rth.nextSessionStart(at('2026-01-05T15:00:00-06:00')))).toBe('2026-01-09T14:30:00.000Z');
  });

  it('when no session is configured then the market is never open and nextSessionStart throws a coded error', () => {
    const never = withConfig({ sessions: {} });
    expect(never.isOpen(at('2026-01-05T10:00:00-06:00'))).toBe(false);
    expect(() => never.nextSessionStart(at('2026-01-05T10:00:00-06:00'))).toThrow(CalendarNoSessionError);
    try {
      never.nextSessionStart(at('2026-01-05T10:00:00-06:00'));
    } catch (error) {
      expect(error).toBeInstanceOf(CalendarError);
      expect((error as CalendarError).code).toBe('CALENDAR_NO_SESSION');
    }
  });
});

describe('MarketCalendar unscheduled closures (admin-added holidays)', () => {
  it('when the admin closes Wed 2026-03-11 then Tuesday has no evening session and trading resumes Wednesday 17:00', () => {
    const mourning = withHolidays({ date: '2026-03-11', name: 'National day of mourning', kind: 'closed' });
    expect(mourning.isOpen(at('2026-03-10T15:09:59.999-05:00'))).toBe(true);
    expect(mourning.isOpen(at('2026-03-10T17:00:00-05:00'))).toBe(false);
    expect(mourning.isOpen(at('2026-03-11T10:00:00-05:00'))).toBe(false);
    expect(iso(mourning.nextSessionStart(at('2026-03-10T15:10:00-05:00')))).toBe('2026-03-11T22:00:00.000Z');
    expect(mourning.isOpen(at('2026-03-11T17:00:00-05:00'))).toBe(true);
    expect(mourning.holidayOn('2026-03-11')?.name).toBe('National day of mourning');
  });

  it('when the closure has noEveningSession then the holiday evening is closed too and Thursday 17:00 is next', () => {
    const mourning = withHolidays({
      date: '2026-03-11',
      name: 'National day of mourning',
      kind: 'closed',
      noEveningSession: true,
    });
    expect(mourning.isOpen(at('2026-03-11T17:00:00-05:00'))).toBe(false);
    expect(iso(mourning.nextSessionStart(at('2026-03-10T15:10:00-05:00')))).toBe('2026-03-12T22:00:00.000Z');
  });

  it('when the admin adds an early close 09:15 with reopen 17:00 then the session ends early and the evening runs', () => {
    const halt = withHolidays({
      date: '2026-03-11',
      name: 'Unscheduled halt',
      kind: 'early-close',
      close: '09:15',
      reopen: '17:00',
    });
    expect(halt.sessionAt(at('2026-03-11T09:14:59.999-05:00'))).toEqual({
      start: at('2026-03-10T17:00:00-05:00'),
      end: at('2026-03-11T09:15:00-05:00'),
      earlyClose: true,
    });
    expect(halt.isOpen(at('2026-03-11T09:15:00-05:00'))).toBe(false);
    expect(iso(halt.nextSessionStart(at('2026-03-11T09:15:00-05:00')))).toBe('2026-03-11T22:00:00.000Z');
  });

  it('when an early close has no reopen then the evening session of that date is dropped whole (not resumed after midnight)', () => {
    const early = withHolidays({
      date: '2026-03-11',
      name: 'Unscheduled early close',
      kind: 'early-close',
      close: '10:00',
    });
    expect(early.isOpen(at('2026-03-11T09:59:59.999-05:00'))).toBe(true);
    expect(early.isOpen(at('2026-03-11T17:00:00-05:00'))).toBe(false);
    expect(early.isOpen(at('2026-03-12T00:30:00-05:00'))).toBe(false);
    expect(iso(early.nextSessionStart(at('2026-03-11T10:00:00-05:00')))).toBe('2026-03-12T22:00:00.000Z');
  });

  it('when an early close cuts a day session whose reopen lies inside it then trading resumes at the reopen', () => {
    const continuous = withConfig({
      sessions: { wed: [{ start: '00:00', end: '00:00' }] },
      holidays: [{ date: '2026-03-11', name: 'Halt', kind: 'early-close', close: '10:00', reopen: '13:00' }],
    });
    expect(
      continuous.sessionsBetween(at('2026-03-11T00:00:00-05:00'), at('2026-03-12T00:00:00-05:00')),
    ).toEqual([
      { start: at('2026-03-11T00:00:00-05:00'), end: at('2026-03-11T10:00:00-05:00'), earlyClose: true },
      { start: at('2026-03-11T13:00:00-05:00'), end: at('2026-03-12T00:00:00-05:00'), earlyClose: false },
    ]);
  });

  it('when the halt falls in a session that started the day before then the next session start is the reopen', () => {
    const overnight = withConfig({
      sessions: { tue: [{ start: '12:00', end: '12:00' }] },
      holidays: [{ date: '2026-03-11', name: 'Halt', kind: 'early-close', close: '08:00', reopen: '10:00' }],
    });
    expect(iso(overnight.nextSessionStart(at('2026-03-11T08:00:00-05:00')))).toBe('2026-03-11T15:00:00.000Z');
    expect(overnight.sessionAt(at('2026-03-11T10:00:00-05:00'))).toEqual({
      start: at('2026-03-11T10:00:00-05:00'),
      end: at('2026-03-11T12:00:00-05:00'),
      earlyClose: false,
    });
  });
});

describe('MarketCalendar local time', () => {
  it('when converting local times then gap times move to the first valid instant and overlap times take the first occurrence', () => {
    expect(iso(calendar.instantOf('2026-03-08', '02:30'))).toBe('2026-03-08T08:00:00.000Z');
    expect(iso(calendar.instantOf('2026-03-08', '03:00'))).toBe('2026-03-08T08:00:00.000Z');
    expect(iso(calendar.instantOf('2026-11-01', '01:30'))).toBe('2026-11-01T06:30:00.000Z');
    expect(iso(calendar.instantOf('2026-11-01', '02:00'))).toBe('2026-11-01T08:00:00.000Z');
    expect(iso(calendar.instantOf('2027-03-14', '02:00'))).toBe('2027-03-14T08:00:00.000Z');
    expect(iso(calendar.instantOf('2027-11-07', '01:00'))).toBe('2027-11-07T06:00:00.000Z');
  });

  it('when reading local parts then they are the wall clock, both occurrences of an overlap included', () => {
    expect(calendar.localParts(at('2026-01-05T21:09:59.250Z'))).toEqual({
      date: '2026-01-05',
      weekday: 'mon',
      minuteOfDay: 909,
      secondOfDay: 54_599.25,
    });
    expect(calendar.localParts(at('2026-11-01T06:30:00Z'))).toEqual({
      date: '2026-11-01',
      weekday: 'sun',
      minuteOfDay: 90,
      secondOfDay: 5400,
    });
    expect(calendar.localParts(at('2026-11-01T07:30:00Z'))).toMatchObject({ minuteOfDay: 90 });
    expect(calendar.localParts(at('2026-03-08T08:00:00Z'))).toMatchObject({
      date: '2026-03-08',
      minuteOfDay: 180,
    });
    expect(calendar.localParts(at('2026-03-08T05:59:59.999Z'))).toMatchObject({
      date: '2026-03-07',
      minuteOfDay: 1439,
    });
  });

  it('when the zone is another IANA zone then its own DST rules apply (Europe/London)', () => {
    const london = withConfig({ timezone: 'Europe/London', holidays: [] });
    expect(iso(london.instantOf('2026-03-29', '01:30'))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(london.nextReset(at('2026-03-29T12:00:00Z')))).toBe('2026-03-29T16:00:00.000Z');
    expect(
      london.tradingDayAt(at('2026-03-29T12:00:00Z')).end -
        london.tradingDayAt(at('2026-03-29T12:00:00Z')).start,
    ).toBe(23 * HOUR);
  });

  it('when given a malformed date, time or instant then a CalendarInputError is thrown', () => {
    expect(() => calendar.instantOf('2026-02-30', '10:00')).toThrow(CalendarInputError);
    expect(() => calendar.instantOf('2026-02-01', '24:00')).toThrow(/invalid time "24:00"/);
    expect(() => calendar.tradingDayAt(Number.NaN)).toThrow(CalendarInputError);
    expect(() => calendar.isOpen(Number.POSITIVE_INFINITY)).toThrow(CalendarInputError);
    expect(() => calendar.holidayOn('2026/01/01')).toThrow(CalendarInputError);
  });
});

describe('MarketCalendar caching', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('when the hot-path queries repeat for known dates then no zone lookup (luxon) happens', () => {
    const cal = new MarketCalendar();
    const t = at('2026-11-26T11:00:00-06:00');
    const queries = (): unknown[] => [
      cal.tradingDayAt(t),
      cal.isOpen(t),
      cal.sessionAt(t),
      cal.nextReset(t),
      cal.localParts(t),
      cal.instantOf('2026-11-26', '11:45'),
      cal.nextSessionStart(t),
    ];
    const first = queries();
    const offset = vi.spyOn(IANAZone.prototype, 'offset');
    const second = queries();
    expect(offset).not.toHaveBeenCalled();
    expect(second).toEqual(first);
    expect(second[0]).toBe(first[0]);
  });
});

describe('MarketCalendar properties', () => {
  const instant2026to2027 = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2028, 0, 1) - 1 });

  it('when t is any instant in 2026-2027 then tradingDayAt(t) contains t, ends at nextReset(t) and starts at 17:00 local', () => {
    fc.assert(
      fc.property(instant2026to2027, (t) => {
        const day = calendar.tradingDayAt(t);
        expect(day.start).toBeLessThanOrEqual(t);
        expect(t).toBeLessThan(day.end);
        expect(day.end).toBe(calendar.nextReset(t));
        expect([23 * HOUR, 24 * HOUR, 25 * HOUR]).toContain(day.end - day.start);
        expect(calendar.localParts(day.start).minuteOfDay).toBe(17 * 60);
        expect(day.id).toBe(calendar.localParts(day.end - 1).date);
        const weekStart = calendar.weekStartAt(t);
        expect(weekStart).toBeLessThanOrEqual(t);
        expect(calendar.nextWeekReset(t)).toBeGreaterThan(t);
        expect(calendar.localParts(weekStart).weekday).toBe('sun');
        expect([7 * DAY - HOUR, 7 * DAY, 7 * DAY + HOUR]).toContain(calendar.nextWeekReset(t) - weekStart);
      }),
    );
  });

  it('when resets are listed for any range then they chain through nextReset and stay inside (from, to]', () => {
    fc.assert(
      fc.property(instant2026to2027, fc.integer({ min: 0, max: 20 * DAY }), (from, span) => {
        const to = from + span;
        const resets = calendar.resetsBetween(from, to);
        let cursor = from;
        for (const reset of resets) {
          expect(reset).toBe(calendar.nextReset(cursor));
          cursor = reset;
        }
        expect(calendar.nextReset(cursor)).toBeGreaterThan(to);
      }),
    );
  });

  it('when t is any instant then isOpen, sessionAt and nextSessionStart agree', () => {
    fc.assert(
      fc.property(instant2026to2027, (t) => {
        const session = calendar.sessionAt(t);
        expect(calendar.isOpen(t)).toBe(session !== null);
        if (session) {
          expect(session.start).toBeLessThanOrEqual(t);
          expect(t).toBeLessThan(session.end);
        }
        const next = calendar.nextSessionStart(t);
        expect(next).toBeGreaterThan(t);
        expect(calendar.sessionAt(next)?.start).toBe(next);
        expect(calendar.isOpen(next - 1)).toBe(false);
      }),
    );
  });

  it('when an instant is turned into local parts and back then it lands on the same minute (or its first occurrence)', () => {
    fc.assert(
      fc.property(instant2026to2027, (t) => {
        const parts = calendar.localParts(t);
        const hh = String(Math.floor(parts.minuteOfDay / 60)).padStart(2, '0');
        const mm = String(parts.minuteOfDay % 60).padStart(2, '0');
        const back = calendar.instantOf(parts.date, `${hh}:${mm}`);
        const minuteStart = t - (parts.secondOfDay * 1000 - parts.minuteOfDay * 60_000);
        expect([0, HOUR]).toContain(Math.round(minuteStart - back));
      }),
    );
  });
});
