import { describe, expect, it } from 'vitest';
import { validateTradingDayConfig } from './calendar-config-validation.js';
import {
  CME_EQUITY_HOLIDAYS,
  CME_EQUITY_HOLIDAYS_LIVE,
  CME_EQUITY_HOLIDAYS_LIVE_OVERRIDES,
  mergeHolidays,
} from './cme-equity-holidays.js';
import { DEFAULT_TRADING_DAY_CONFIG } from './default-trading-day-config.js';
import { MarketCalendar } from './market-calendar.js';

const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`bad test instant ${iso}`);
  return ms;
};
const iso = (ms: number): string => new Date(ms).toISOString();

const calendar = new MarketCalendar();

/**
 * An early-close row of CME-CALENDAR.md: the session that opened at `opened` is cut at Topstep's
 * flat deadline, and the market next opens at `next` (the same day's 17:00 after a noon halt, or
 * Sunday 17:00). Times carry their CT offset (-06:00 CST, -05:00 CDT).
 */
interface EarlyCloseRow {
  readonly date: string;
  readonly name: string;
  readonly opened: string;
  readonly flat: string;
  readonly next: string;
}

/**
 * A day that ends normally but has no evening session (the day before a closed day), or a closed
 * day: the last session closes at `lastClose` (its regular or early end) and the market is closed
 * from then until `next`; `closedAt` are instants inside that closure.
 */
interface ClosureRow {
  readonly date: string;
  readonly name: string;
  readonly lastClose: string;
  readonly lastCloseIsEarly: boolean;
  readonly closedAt: readonly string[];
  readonly next: string;
}

const EARLY_CLOSES_2026: readonly EarlyCloseRow[] = [
  {
    date: '2026-01-19',
    name: 'MLK Day',
    opened: '2026-01-18T17:00-06:00',
    flat: '2026-01-19T11:45-06:00',
    next: '2026-01-19T17:00-06:00',
  },
  {
    date: '2026-02-16',
    name: "Presidents' Day",
    opened: '2026-02-15T17:00-06:00',
    flat: '2026-02-16T11:45-06:00',
    next: '2026-02-16T17:00-06:00',
  },
  {
    date: '2026-04-03',
    name: 'Good Friday (08:15 close, C1)',
    opened: '2026-04-02T17:00-05:00',
    flat: '2026-04-03T08:00-05:00',
    next: '2026-04-05T17:00-05:00',
  },
  {
    date: '2026-05-25',
    name: 'Memorial Day',
    opened: '2026-05-24T17:00-05:00',
    flat: '2026-05-25T11:45-05:00',
    next: '2026-05-25T17:00-05:00',
  },
  {
    date: '2026-06-19',
    name: 'Juneteenth (SIM 11:45)',
    opened: '2026-06-18T17:00-05:00',
    flat: '2026-06-19T11:45-05:00',
    next: '2026-06-21T17:00-05:00',
  },
  {
    date: '2026-07-03',
    name: 'Independence Day observed',
    opened: '2026-07-02T17:00-05:00',
    flat: '2026-07-03T11:45-05:00',
    next: '2026-07-05T17:00-05:00',
  },
  {
    date: '2026-09-07',
    name: 'Labor Day',
    opened: '2026-09-06T17:00-05:00',
    flat: '2026-09-07T11:45-05:00',
    next: '2026-09-07T17:00-05:00',
  },
  {
    date: '2026-11-26',
    name: 'Thanksgiving',
    opened: '2026-11-25T17:00-06:00',
    flat: '2026-11-26T11:45-06:00',
    next: '2026-11-26T17:00-06:00',
  },
  {
    date: '2026-11-27',
    name: 'Day after Thanksgiving (12:15, C3)',
    opened: '2026-11-26T17:00-06:00',
    flat: '2026-11-27T12:00-06:00',
    next: '2026-11-29T17:00-06:00',
  },
  {
    date: '2026-12-24',
    name: 'Christmas Eve (12:15, C3)',
    opened: '2026-12-23T17:00-06:00',
    flat: '2026-12-24T12:00-06:00',
    next: '2026-12-27T17:00-06:00',
  },
];

const CLOSURES_2026: readonly ClosureRow[] = [
  {
    date: '2026-01-01',
    name: "New Year's Day: Wed 12-31 closes normally, no evening session, reopens Thu 17:00",
    lastClose: '2025-12-31T15:10-06:00',
    lastCloseIsEarly: false,
    closedAt: [
      '2025-12-31T17:00-06:00',
      '2026-01-01T00:00-06:00',
      '2026-01-01T10:00-06:00',
      '2026-01-01T16:59:59.999-06:00',
    ],
    next: '2026-01-01T17:00-06:00',
  },
  {
    date: '2026-12-25',
    name: 'Christmas: closed after the Christmas Eve early close until Sunday',
    lastClose: '2026-12-24T12:00-06:00',
    lastCloseIsEarly: true,
    closedAt: [
      '2026-12-24T17:00-06:00',
      '2026-12-25T10:00-06:00',
      '2026-12-25T17:00-06:00',
      '2026-12-27T16:59-06:00',
    ],
    next: '2026-12-27T17:00-06:00',
  },
  {
    date: '2026-12-31',
    name: "New Year's Eve: normal 15:10, no evening session (2027-01-01 closed)",
    lastClose: '2026-12-31T15:10-06:00',
    lastCloseIsEarly: false,
    closedAt: ['2026-12-31T17:00-06:00', '2027-01-01T10:00-06:00', '2027-01-01T17:00-06:00'],
    next: '2027-01-03T17:00-06:00',
  },
];

const EARLY_CLOSES_2027: readonly EarlyCloseRow[] = [
  {
    date: '2027-01-18',
    name: 'MLK Day',
    opened: '2027-01-17T17:00-06:00',
    flat: '2027-01-18T11:45-06:00',
    next: '2027-01-18T17:00-06:00',
  },
  {
    date: '2027-02-15',
    name: "Presidents' Day",
    opened: '2027-02-14T17:00-06:00',
    flat: '2027-02-15T11:45-06:00',
    next: '2027-02-15T17:00-06:00',
  },
  {
    date: '2027-05-31',
    name: 'Memorial Day',
    opened: '2027-05-30T17:00-05:00',
    flat: '2027-05-31T11:45-05:00',
    next: '2027-05-31T17:00-05:00',
  },
  {
    date: '2027-06-18',
    name: 'Juneteenth observed',
    opened: '2027-06-17T17:00-05:00',
    flat: '2027-06-18T11:45-05:00',
    next: '2027-06-20T17:00-05:00',
  },
  {
    date: '2027-07-05',
    name: 'Independence Day observed (equity halt, C4)',
    opened: '2027-07-04T17:00-05:00',
    flat: '2027-07-05T11:45-05:00',
    next: '2027-07-05T17:00-05:00',
  },
  {
    date: '2027-09-06',
    name: 'Labor Day',
    opened: '2027-09-05T17:00-05:00',
    flat: '2027-09-06T11:45-05:00',
    next: '2027-09-06T17:00-05:00',
  },
  {
    date: '2027-11-25',
    name: 'Thanksgiving (equity halt, C4)',
    opened: '2027-11-24T17:00-06:00',
    flat: '2027-11-25T11:45-06:00',
    next: '2027-11-25T17:00-06:00',
  },
  {
    date: '2027-11-26',
    name: 'Day after Thanksgiving',
    opened: '2027-11-25T17:00-06:00',
    flat: '2027-11-26T12:00-06:00',
    next: '2027-11-28T17:00-06:00',
  },
];

const CLOSURES_2027: readonly ClosureRow[] = [
  {
    date: '2027-03-26',
    name: 'Good Friday closed (C2): Thu 03-25 closes normally, no evening session',
    lastClose: '2027-03-25T15:10-05:00',
    lastCloseIsEarly: false,
    closedAt: ['2027-03-25T17:00-05:00', '2027-03-26T10:00-05:00'],
    next: '2027-03-28T17:00-05:00',
  },
  {
    date: '2027-12-24',
    name: 'Christmas observed: Thu 12-23 closes normally, no evening session',
    lastClose: '2027-12-23T15:10-06:00',
    lastCloseIsEarly: false,
    closedAt: ['2027-12-23T17:00-06:00', '2027-12-24T10:00-06:00'],
    next: '2027-12-26T17:00-06:00',
  },
  {
    date: '2027-12-31',
    name: "New Year's Eve 2027 is a normal Friday (Jan 1, 2028 not observed)",
    lastClose: '2027-12-31T15:10-06:00',
    lastCloseIsEarly: false,
    closedAt: ['2027-12-31T17:00-06:00'],
    next: '2028-01-02T17:00-06:00',
  },
];

function checkEarlyClose(cal: MarketCalendar, row: EarlyCloseRow): void {
  const flat = at(row.flat);
  expect(cal.isOpen(flat - 1)).toBe(true);
  expect(cal.sessionAt(flat - 1)).toEqual({ start: at(row.opened), end: flat, earlyClose: true });
  expect(cal.isOpen(flat)).toBe(false);
  expect(iso(cal.nextSessionStart(flat))).toBe(iso(at(row.next)));
  expect(cal.isOpen(at(row.next) - 1)).toBe(false);
  expect(cal.isOpen(at(row.next))).toBe(true);
}

function checkClosure(cal: MarketCalendar, row: ClosureRow): void {
  const lastClose = at(row.lastClose);
  expect(cal.sessionAt(lastClose - 1)?.end).toBe(lastClose);
  expect(cal.sessionAt(lastClose - 1)?.earlyClose).toBe(row.lastCloseIsEarly);
  expect(cal.isOpen(lastClose)).toBe(false);
  for (const closed of row.closedAt) expect(cal.isOpen(at(closed)), closed).toBe(false);
  expect(iso(cal.nextSessionStart(lastClose))).toBe(iso(at(row.next)));
  expect(cal.isOpen(at(row.next))).toBe(true);
}

describe('CME equity holidays 2026 (CME-CALENDAR.md §3)', () => {
  for (const row of EARLY_CLOSES_2026) {
    it(`when ${row.date} (${row.name}) reaches the flat deadline then the market closes until ${row.next}`, () => {
      checkEarlyClose(calendar, row);
    });
  }

  for (const row of CLOSURES_2026) {
    it(`when ${row.date} (${row.name}) then the market is closed until ${row.next}`, () => {
      checkClosure(calendar, row);
    });
  }

  it('when a noon-halt holiday reopens at 17:00 then the evening session runs to the regular 15:10 close', () => {
    expect(calendar.sessionAt(at('2026-01-19T17:00-06:00'))).toEqual({
      start: at('2026-01-19T17:00-06:00'),
      end: at('2026-01-20T15:10-06:00'),
      earlyClose: false,
    });
  });

  it('when the day before a short session (Thu 2026-04-02) ends then it closes normally at 15:10 and reopens at 17:00', () => {
    expect(calendar.sessionAt(at('2026-04-02T12:00-05:00'))).toEqual({
      start: at('2026-04-01T17:00-05:00'),
      end: at('2026-04-02T15:10-05:00'),
      earlyClose: false,
    });
    expect(iso(calendar.nextSessionStart(at('2026-04-02T15:10-05:00')))).toBe(
      iso(at('2026-04-02T17:00-05:00')),
    );
  });

  it('when a Live account uses the Live overrides then Juneteenth 2026 flattens at 11:10', () => {
    const live = new MarketCalendar({ ...DEFAULT_TRADING_DAY_CONFIG, holidays: CME_EQUITY_HOLIDAYS_LIVE });
    expect(live.isOpen(at('2026-06-19T11:09:59.999-05:00'))).toBe(true);
    expect(live.isOpen(at('2026-06-19T11:10-05:00'))).toBe(false);
    expect(calendar.isOpen(at('2026-06-19T11:10-05:00'))).toBe(true);
    expect(live.holidayOn('2026-06-19')?.close).toBe('11:10');
  });
});

describe('CME equity holidays 2027 (CME-CALENDAR.md §4)', () => {
  for (const row of EARLY_CLOSES_2027) {
    it(`when ${row.date} (${row.name}) reaches the flat deadline then the market closes until ${row.next}`, () => {
      checkEarlyClose(calendar, row);
    });
  }

  for (const row of CLOSURES_2027) {
    it(`when ${row.date} (${row.name}) then the market is closed until ${row.next}`, () => {
      checkClosure(calendar, row);
    });
  }
});

describe('CME equity holiday data', () => {
  it('when the shipped list is read then it holds exactly the rows of CME-CALENDAR.md with their flat deadlines', () => {
    expect(
      CME_EQUITY_HOLIDAYS.map((h) => [h.date, h.kind, h.close ?? null, h.reopen ?? null, h.status]),
    ).toEqual([
      ['2026-01-01', 'closed', null, null, 'confirmed'],
      ['2026-01-19', 'early-close', '11:45', '17:00', 'confirmed'],
      ['2026-02-16', 'early-close', '11:45', '17:00', 'confirmed'],
      ['2026-04-03', 'early-close', '08:00', null, 'confirmed'],
      ['2026-05-25', 'early-close', '11:45', '17:00', 'confirmed'],
      ['2026-06-19', 'early-close', '11:45', null, 'confirmed'],
      ['2026-07-03', 'early-close', '11:45', null, 'confirmed'],
      ['2026-09-07', 'early-close', '11:45', '17:00', 'confirmed'],
      ['2026-11-26', 'early-close', '11:45', '17:00', 'confirmed'],
      ['2026-11-27', 'early-close', '12:00', null, 'confirmed'],
      ['2026-12-24', 'early-close', '12:00', null, 'confirmed'],
      ['2026-12-25', 'closed', null, null, 'confirmed'],
      ['2027-01-01', 'closed', null, null, 'confirmed'],
      ['2027-01-18', 'early-close', '11:45', '17:00', 'derived'],
      ['2027-02-15', 'early-close', '11:45', '17:00', 'derived'],
      ['2027-03-26', 'closed', null, null, 'derived'],
      ['2027-05-31', 'early-close', '11:45', '17:00', 'derived'],
      ['2027-06-18', 'early-close', '11:45', null, 'derived'],
      ['2027-07-05', 'early-close', '11:45', '17:00', 'derived'],
      ['2027-09-06', 'early-close', '11:45', '17:00', 'derived'],
      ['2027-11-25', 'early-close', '11:45', '17:00', 'derived'],
      ['2027-11-26', 'early-close', '12:00', null, 'derived'],
      ['2027-12-24', 'closed', null, null, 'derived'],
    ]);
    for (const holiday of CME_EQUITY_HOLIDAYS) expect(holiday.note, holiday.date).toMatch(/\S/);
  });

  it('when the default config and the Live variant are validated then they have no problems', () => {
    expect(validateTradingDayConfig(DEFAULT_TRADING_DAY_CONFIG)).toEqual([]);
    expect(
      validateTradingDayConfig({ ...DEFAULT_TRADING_DAY_CONFIG, holidays: CME_EQUITY_HOLIDAYS_LIVE }),
    ).toEqual([]);
  });

  it('when overrides are merged then same-date rows are replaced, new ones added, and the result is sorted', () => {
    expect(CME_EQUITY_HOLIDAYS_LIVE).toHaveLength(CME_EQUITY_HOLIDAYS.length);
    expect(CME_EQUITY_HOLIDAYS_LIVE.find((h) => h.date === '2026-06-19')).toBe(
      CME_EQUITY_HOLIDAYS_LIVE_OVERRIDES[0],
    );
    const merged = mergeHolidays(CME_EQUITY_HOLIDAYS, [
      { date: '2026-03-11', name: 'Closure', kind: 'closed' },
    ]);
    expect(merged).toHaveLength(CME_EQUITY_HOLIDAYS.length + 1);
    expect(merged.map((h) => h.date)).toEqual([...merged.map((h) => h.date)].sort());
    expect(Object.isFrozen(merged)).toBe(true);
  });
});
