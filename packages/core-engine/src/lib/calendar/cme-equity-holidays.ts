import type { Holiday } from './calendar-types.js';

/**
 * The CME Globex equity-index holiday and early-close calendar for 2026 and 2027 (ES, NQ, RTY, YM
 * and the micros MES, MNQ, M2K, MYM, which share one schedule), as Riskd ships it.
 *
 * Source: Riskd's `CME-CALENDAR.md`, "CME Globex equity-index futures: holidays and early closes for
 * 2026 and 2027, with Topstep flat deadlines": §1 (normal weekly schedule), §2 (how holiday
 * sessions map to trade dates), §3 (2026 table), §4 (2027 table and how it was derived), §5
 * (conflicts) and §6 (sources). Its upstream sources, briefly:
 * - S1 edgeclear.com copy of CME's "2026 CME Globex Trading Schedule"; S2 Topstep "Topstep Holiday
 *   Trading Hours" (help article 13350348, the 15-minutes-before-an-early-close flat rule and the
 *   2026 table); S3 Topstep "When and what products can I trade?" (the 15:10 flat, 17:00 resume);
 * - S4 QuantConnect Lean market-hours database (commit 24863901); S5 Lean PR #9572 (Juneteenth
 *   2027-06-18, ESM27 last trade 2027-06-17); S6 Lean issue #9552 (trade date of Juneteenth 2026);
 * - S7 pandas_market_calendars (CME Globex Equity calendar and tests, PR #456, issues #464/#477);
 *   S8 exchange_calendars CMES; S9 python-holidays XCME; S10 trade.xyz CME equities 2026 list;
 * - S11 CME E-mini S&P 500 contract specs; S12 DTN and S13 CME press-release trade-date wording;
 *   S14 Good Friday precedents 2021-2025; S15 Lean NYSE 2027 holidays; S16 BLS jobs-report timing;
 *   S17 past equity-index halt patterns; S18 Topstep's 2024/2025 schedules (30-minute leads).
 *
 * Conflict resolutions used (CME-CALENDAR.md §5):
 * - C1 Good Friday 2026: the equity short session Thu 17:00 -> Fri 08:15, so the flat deadline is 08:00.
 * - C2 Good Friday 2027: closed (no jobs report that day).
 * - C3 day after Thanksgiving and Christmas Eve: 12:15 exchange close, so the flat deadline is 12:00.
 * - C4 Thanksgiving and July 5, 2027: the equity schedule (12:00 halt, 17:00 reopen), not a full closure.
 * - C5 Juneteenth 2026: 11:45 for Combine/XFA (this list); Live accounts 11:10, see
 *   `CME_EQUITY_HOLIDAYS_LIVE_OVERRIDES`.
 *
 * How the rows map onto the calendar (see `Holiday`):
 * - `close` is Topstep's flat deadline, 15 minutes before the exchange halt or close (S2 for 2026;
 *   2027 assumes the rule continues, C6). The exchange's own times are in each `note`.
 * - A 12:00 halt with a 17:00 reopen is an early close with `reopen: '17:00'`; a Friday noon close
 *   or a 12:15 close before a weekend or a closed day has no `reopen`.
 * - A full closure is `closed`: the session that would end on that date is dropped, so the business
 *   day before closes at its normal (or early) time with no evening session; the 17:00 session that
 *   opens on the holiday for the next trade date runs (Thu 2026-01-01 17:00).
 * - Days that stay normal but have no evening session need no row of their own: Thu 2026-12-31
 *   (2027-01-01 is closed) and Thu 2027-12-23 (2027-12-24 is closed) follow from the closed day.
 *   Normal days listed in the tables (2026-04-02, 06-18, 07-02, 11-25, 12-23; 2027-07-02,
 *   2027-12-31; Columbus and Veterans Day) have no row.
 *
 * The calendar date of each row is the calendar date of the event; CME files some sessions under a
 * later trade date (C9, §2), which Riskd's trading day (reset to reset, every calendar day) does
 * not follow. Unscheduled closures (national days of mourning) are added by the admin as extra
 * `closed` or `early-close` entries in the `tradingDay.holidays` config.
 */
export const CME_EQUITY_HOLIDAYS: readonly Holiday[] = deepFreeze([
  // 2026 (CME-CALENDAR.md §3)
  {
    date: '2026-01-01',
    name: "New Year's Day",
    kind: 'closed',
    note: 'CME closed all day; Wed 2025-12-31 closes normally with no evening session; reopens Thu 01-01 17:00 (trade date Fri 01-02). S2, S4, S7, S8, S9, S10; S1.',
    status: 'confirmed',
  },
  {
    date: '2026-01-19',
    name: 'Martin Luther King Jr. Day',
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'CME halt 12:00, reopen 17:00. S1 (CME copy, equities detail), S2, S4, S7, S10.',
    status: 'confirmed',
  },
  {
    date: '2026-02-16',
    name: "Presidents' Day",
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'CME halt 12:00, reopen 17:00. S1, S2, S4, S7, S10.',
    status: 'confirmed',
  },
  {
    date: '2026-04-03',
    name: 'Good Friday',
    kind: 'early-close',
    close: '08:00',
    note: 'Jobs-report short session Thu 04-02 17:00 -> Fri 08:15 close; resumes Sun 04-05 17:00. Conflict C1 resolved to 08:15. S2, S4, S7, S10.',
    status: 'confirmed',
  },
  {
    date: '2026-05-25',
    name: 'Memorial Day',
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'CME halt 12:00, reopen 17:00. S1, S2, S4, S7, S10.',
    status: 'confirmed',
  },
  {
    date: '2026-06-19',
    name: 'Juneteenth',
    kind: 'early-close',
    close: '11:45',
    note: 'CME close 12:00, no evening session; resumes Sun 06-21 17:00. Flat 11:45 for Combine/XFA (Live: 11:10, conflict C5). S1, S2, S4, S6, S7, S10.',
    status: 'confirmed',
  },
  {
    date: '2026-07-03',
    name: 'Independence Day (observed)',
    kind: 'early-close',
    close: '11:45',
    note: 'CME close 12:00, no evening session; resumes Sun 07-05 17:00. Thu 07-02 is a normal day. S1, S2, S4, S7, S10.',
    status: 'confirmed',
  },
  {
    date: '2026-09-07',
    name: 'Labor Day',
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'CME halt 12:00, reopen 17:00. S1, S2, S4, S7, S10.',
    status: 'confirmed',
  },
  {
    date: '2026-11-26',
    name: 'Thanksgiving',
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'CME halt 12:00, reopen 17:00. S1, S2, S4, S7, S10, S17.',
    status: 'confirmed',
  },
  {
    date: '2026-11-27',
    name: 'Day after Thanksgiving',
    kind: 'early-close',
    close: '12:00',
    note: 'CME early close 12:15, no evening session; resumes Sun 11-29 17:00. Conflict C3 resolved to 12:15. S2, S4, S7, S10.',
    status: 'confirmed',
  },
  {
    date: '2026-12-24',
    name: 'Christmas Eve',
    kind: 'early-close',
    close: '12:00',
    note: 'CME early close 12:15, no evening session; resumes Sun 12-27 17:00. Conflict C3 resolved to 12:15. S2, S4, S7, S10.',
    status: 'confirmed',
  },
  {
    date: '2026-12-25',
    name: 'Christmas Day',
    kind: 'closed',
    note: 'CME closed all day; resumes Sun 12-27 17:00. S2, S4, S7, S8, S9, S10.',
    status: 'confirmed',
  },
  // 2027 (CME-CALENDAR.md §4: no CME 2027 publication found; Topstep's 15-minute lead assumed, C6)
  {
    date: '2027-01-01',
    name: "New Year's Day",
    kind: 'closed',
    note: 'CME closed all day; Thu 2026-12-31 closes normally with no evening session; resumes Sun 01-03 17:00. Published by Topstep in its 2026 table (S2), plus S4, S7, S8, S9.',
    status: 'confirmed',
  },
  {
    date: '2027-01-18',
    name: 'Martin Luther King Jr. Day',
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'Halt 12:00, reopen 17:00 (3rd Monday of January). S7, S8, S9, S15.',
    status: 'derived',
  },
  {
    date: '2027-02-15',
    name: "Presidents' Day",
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'Halt 12:00, reopen 17:00 (3rd Monday of February). S7, S8, S9, S15.',
    status: 'derived',
  },
  {
    date: '2027-03-26',
    name: 'Good Friday',
    kind: 'closed',
    note: 'Closed all day: the March jobs report is expected Fri 04-02 (S16), so no short session. Thu 03-25 closes normally with no evening session; resumes Sun 03-28 17:00. Conflict C2 resolved to closed; check BLS before relying on it.',
    status: 'derived',
  },
  {
    date: '2027-05-31',
    name: 'Memorial Day',
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'Halt 12:00, reopen 17:00 (last Monday of May). S7, S8, S9, S15.',
    status: 'derived',
  },
  {
    date: '2027-06-18',
    name: 'Juneteenth (observed)',
    kind: 'early-close',
    close: '11:45',
    note: 'Close 12:00, no evening session; resumes Sun 06-20 17:00. Flat 11:45 (SIM); the Live deadline is unknown (11:10 in 2026). June 2027 equity-index contracts last trade Thu 06-17 (S5). S4, S5, S7, S8, S9, S15.',
    status: 'derived',
  },
  {
    date: '2027-07-05',
    name: 'Independence Day (observed)',
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'Halt 12:00, reopen 17:00 (2021 precedent). Conflict C4 resolved to the equity schedule. S4, S7, S15.',
    status: 'derived',
  },
  {
    date: '2027-09-06',
    name: 'Labor Day',
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'Halt 12:00, reopen 17:00 (1st Monday of September). S7, S8, S9, S15.',
    status: 'derived',
  },
  {
    date: '2027-11-25',
    name: 'Thanksgiving',
    kind: 'early-close',
    close: '11:45',
    reopen: '17:00',
    note: 'Halt 12:00, reopen 17:00 (4th Thursday of November). Conflict C4 resolved to the equity schedule. S7, S15.',
    status: 'derived',
  },
  {
    date: '2027-11-26',
    name: 'Day after Thanksgiving',
    kind: 'early-close',
    close: '12:00',
    note: 'Early close 12:15, no evening session; resumes Sun 11-28 17:00. Conflict C3 resolved to 12:15. S7, S15.',
    status: 'derived',
  },
  {
    date: '2027-12-24',
    name: 'Christmas Day (observed)',
    kind: 'closed',
    note: 'Closed all day (Dec 25 is a Saturday); Thu 12-23 closes normally with no evening session; resumes Sun 12-26 17:00. 2021 precedent. S7, S8, S9, S15.',
    status: 'derived',
  },
]);

/**
 * Rows that differ for Topstep Live Funded Accounts (conflict C5): Juneteenth 2026 flat at 11:10
 * instead of 11:45. Apply with `mergeHolidays(CME_EQUITY_HOLIDAYS, CME_EQUITY_HOLIDAYS_LIVE_OVERRIDES)`
 * (or use `CME_EQUITY_HOLIDAYS_LIVE`). The 2027 Live deadline for Juneteenth is not published.
 */
export const CME_EQUITY_HOLIDAYS_LIVE_OVERRIDES: readonly Holiday[] = deepFreeze([
  {
    date: '2026-06-19',
    name: 'Juneteenth',
    kind: 'early-close',
    close: '11:10',
    note: 'CME close 12:00, no evening session; resumes Sun 06-21 17:00. Topstep gives 11:10 for Live accounts (11:45 for SIM), reason not stated (conflict C5). S2.',
    status: 'confirmed',
  },
]);

/**
 * `base` with `overrides` applied: an override replaces the entry of the same date, other overrides
 * are added; the result is sorted by date. Use it for account-type variants and to lay admin
 * entries over the shipped calendar without tripping the one-entry-per-date check.
 */
export function mergeHolidays(base: readonly Holiday[], overrides: readonly Holiday[]): readonly Holiday[] {
  const byDate = new Map<string, Holiday>();
  for (const holiday of base) byDate.set(holiday.date, holiday);
  for (const holiday of overrides) byDate.set(holiday.date, holiday);
  return deepFreeze([...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0)));
}

/** The shipped calendar as it applies to Topstep Live Funded Accounts. */
export const CME_EQUITY_HOLIDAYS_LIVE: readonly Holiday[] = mergeHolidays(
  CME_EQUITY_HOLIDAYS,
  CME_EQUITY_HOLIDAYS_LIVE_OVERRIDES,
);

function deepFreeze<T extends readonly object[]>(list: T): T {
  for (const item of list) Object.freeze(item);
  return Object.freeze(list);
}
