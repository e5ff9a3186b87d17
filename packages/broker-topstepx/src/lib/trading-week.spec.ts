import { describe, expect, it } from 'vitest';
import { defaultIsMarketOpen, defaultTradingWeekStart } from './trading-week.js';

describe('defaultTradingWeekStart', () => {
  it('when it is Wednesday then the week started the Sunday before at 17:00 Chicago (CST = 23:00Z)', () => {
    expect(defaultTradingWeekStart(Date.parse('2026-01-07T15:00:00Z'))).toBe(
      Date.parse('2026-01-04T23:00:00Z'),
    );
  });

  it('when it is Sunday before 17:00 Chicago then the week started a week earlier', () => {
    expect(defaultTradingWeekStart(Date.parse('2026-01-11T22:59:00Z'))).toBe(
      Date.parse('2026-01-04T23:00:00Z'),
    );
  });

  it('when it is Sunday exactly 17:00 Chicago then that instant starts the week', () => {
    expect(defaultTradingWeekStart(Date.parse('2026-01-11T23:00:00Z'))).toBe(
      Date.parse('2026-01-11T23:00:00Z'),
    );
  });

  it('when it is summer time then Sunday 17:00 CDT is 22:00Z', () => {
    expect(defaultTradingWeekStart(Date.parse('2026-07-08T12:00:00Z'))).toBe(
      Date.parse('2026-07-05T22:00:00Z'),
    );
  });

  it('when the week contains the March DST change then its start is still Sunday 17:00 local', () => {
    // 2026-03-08 is the change day (02:00 CST -> 03:00 CDT); 17:00 CDT = 22:00Z.
    expect(defaultTradingWeekStart(Date.parse('2026-03-10T12:00:00Z'))).toBe(
      Date.parse('2026-03-08T22:00:00Z'),
    );
  });
});

describe('defaultIsMarketOpen', () => {
  it.each([
    ['2026-01-07T15:00:00Z', true], // Wed 09:00 CT
    ['2026-01-07T21:30:00Z', false], // Wed 15:30 CT, daily break
    ['2026-01-07T23:00:00Z', true], // Wed 17:00 CT
    ['2026-01-09T21:09:00Z', true], // Fri 15:09 CT
    ['2026-01-09T21:10:00Z', false], // Fri 15:10 CT
    ['2026-01-10T18:00:00Z', false], // Saturday
    ['2026-01-11T22:59:00Z', false], // Sun 16:59 CT
    ['2026-01-11T23:00:00Z', true], // Sun 17:00 CT
  ])('when it is %s then open is %s', (iso, open) => {
    expect(defaultIsMarketOpen(Date.parse(iso))).toBe(open);
  });
});
