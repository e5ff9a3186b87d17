import { IANAZone } from 'luxon';
import type { CalendarConfigProblem } from './calendar-errors.js';
import { parseLocalDate, parseLocalTime, WEEKDAYS } from './local-date.js';

const WEEK_MINUTES = 7 * 1440;
const CONFIG_KEYS = new Set(['timezone', 'resetTime', 'sessions', 'holidays']);
const WINDOW_KEYS = new Set(['start', 'end']);
const HOLIDAY_KEYS = new Set([
  'date',
  'name',
  'kind',
  'close',
  'reopen',
  'noEveningSession',
  'note',
  'status',
]);
const HOLIDAY_KINDS = new Set(['closed', 'early-close']);
const HOLIDAY_STATUSES = new Set(['confirmed', 'derived']);

interface WeekWindow {
  readonly path: string;
  readonly label: string;
  /** Minutes since Sunday 00:00. */
  readonly start: number;
  readonly end: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/**
 * Checks a `tradingDay` config (RULES.md section 1 "Market calendar") and returns every problem
 * found, each with the JSON path of the offending value (`tradingDay.holidays[2].close`). An empty
 * list means the config is valid. The config loader may call this next to its schema check;
 * `MarketCalendar` calls it and throws `CalendarConfigError` with the list.
 *
 * Beyond types and formats it checks what a schema cannot: real calendar dates, one holiday per
 * date, `close`/`reopen` only where they mean something and in order, and session windows of the
 * weekly schedule that overlap each other.
 */
export function validateTradingDayConfig(value: unknown, path = 'tradingDay'): CalendarConfigProblem[] {
  const problems: CalendarConfigProblem[] = [];
  const add = (at: string, message: string): void => {
    problems.push({ path: at, message });
  };
  if (!isRecord(value)) {
    add(path, `must be an object, got ${describe(value)}`);
    return problems;
  }
  for (const key of Object.keys(value)) {
    if (!CONFIG_KEYS.has(key)) add(`${path}.${key}`, 'unknown property');
  }

  const timezone = value['timezone'];
  if (typeof timezone !== 'string' || !IANAZone.isValidZone(timezone)) {
    add(`${path}.timezone`, `must be an IANA time zone such as "America/Chicago", got ${describe(timezone)}`);
  }
  checkTime(value['resetTime'], `${path}.resetTime`, true, add);
  checkSessions(value['sessions'], `${path}.sessions`, add);
  checkHolidays(value['holidays'], `${path}.holidays`, add);
  return problems;
}

type AddProblem = (path: string, message: string) => void;

function checkTime(value: unknown, path: string, required: boolean, add: AddProblem): number | undefined {
  if (value === undefined && !required) return undefined;
  const minutes = typeof value === 'string' ? parseLocalTime(value) : undefined;
  if (minutes === undefined) add(path, `must be a time "HH:MM" (24 h), got ${describe(value)}`);
  return minutes;
}

function checkSessions(value: unknown, path: string, add: AddProblem): void {
  if (!isRecord(value)) {
    add(path, `must be an object of session windows by weekday (sun..sat), got ${describe(value)}`);
    return;
  }
  const windows: WeekWindow[] = [];
  for (const [key, list] of Object.entries(value)) {
    const dayIndex = WEEKDAYS.indexOf(key as (typeof WEEKDAYS)[number]);
    if (dayIndex < 0) {
      add(`${path}.${key}`, `unknown weekday (expected one of ${WEEKDAYS.join(', ')})`);
      continue;
    }
    if (!Array.isArray(list)) {
      add(`${path}.${key}`, `must be an array of {start, end} windows, got ${describe(list)}`);
      continue;
    }
    list.forEach((window: unknown, index) => {
      const at = `${path}.${key}[${index}]`;
      if (!isRecord(window)) {
        add(at, `must be an object {start, end}, got ${describe(window)}`);
        return;
      }
      for (const prop of Object.keys(window))
        if (!WINDOW_KEYS.has(prop)) add(`${at}.${prop}`, 'unknown property');
      const start = checkTime(window['start'], `${at}.start`, true, add);
      const end = checkTime(window['end'], `${at}.end`, true, add);
      if (start === undefined || end === undefined) return;
      // An end at or before the start means the next day, so a window lasts (0, 24 h].
      const length = end > start ? end - start : end + 1440 - start;
      windows.push({
        path: at,
        label: `${key} ${String(window['start'])}-${String(window['end'])}`,
        start: dayIndex * 1440 + start,
        end: dayIndex * 1440 + start + length,
      });
    });
  }
  checkOverlaps(windows, add);
}

/** Windows of the weekly schedule may touch but not overlap (the week wraps from Saturday to Sunday). */
function checkOverlaps(windows: readonly WeekWindow[], add: AddProblem): void {
  for (let i = 0; i < windows.length; i++) {
    for (let j = i + 1; j < windows.length; j++) {
      const a = windows[i];
      const b = windows[j];
      if (!a || !b) continue;
      const overlaps = [-WEEK_MINUTES, 0, WEEK_MINUTES].some(
        (shift) => a.start < b.end + shift && b.start + shift < a.end,
      );
      if (overlaps) add(b.path, `session window ${b.label} overlaps ${a.path} (${a.label})`);
    }
  }
}

function checkHolidays(value: unknown, path: string, add: AddProblem): void {
  if (!Array.isArray(value)) {
    add(path, `must be an array of holidays, got ${describe(value)}`);
    return;
  }
  const firstByDate = new Map<string, string>();
  value.forEach((holiday: unknown, index) => {
    const at = `${path}[${index}]`;
    if (!isRecord(holiday)) {
      add(at, `must be an object {date, name, kind, ...}, got ${describe(holiday)}`);
      return;
    }
    for (const key of Object.keys(holiday))
      if (!HOLIDAY_KEYS.has(key)) add(`${at}.${key}`, 'unknown property');

    const date = holiday['date'];
    if (typeof date !== 'string' || parseLocalDate(date) === undefined) {
      add(`${at}.date`, `must be a calendar date "YYYY-MM-DD", got ${describe(date)}`);
    } else {
      const first = firstByDate.get(date);
      if (first === undefined) firstByDate.set(date, at);
      else add(`${at}.date`, `duplicate date ${date} (already used by ${first}); one entry per date`);
    }

    const name = holiday['name'];
    if (typeof name !== 'string' || name.trim() === '')
      add(`${at}.name`, `must be a non-empty string, got ${describe(name)}`);

    const kind = holiday['kind'];
    if (typeof kind !== 'string' || !HOLIDAY_KINDS.has(kind)) {
      add(`${at}.kind`, `must be "closed" or "early-close", got ${describe(kind)}`);
    }

    const close = checkTime(holiday['close'], `${at}.close`, kind === 'early-close', add);
    const reopen = checkTime(holiday['reopen'], `${at}.reopen`, false, add);
    if (kind === 'closed') {
      if (holiday['close'] !== undefined)
        add(`${at}.close`, 'only an early close has a close time; a closed day has no trading');
      if (holiday['reopen'] !== undefined) {
        add(
          `${at}.reopen`,
          'a closed day reopens with the next trade date\'s session; use kind "early-close" with close and reopen for a halt',
        );
      }
    }
    if (kind === 'early-close' && close !== undefined && reopen !== undefined && reopen <= close) {
      add(
        `${at}.reopen`,
        `must be after close (${String(holiday['close'])}) on the same date, got ${describe(holiday['reopen'])}`,
      );
    }

    const noEvening = holiday['noEveningSession'];
    if (noEvening !== undefined) {
      if (typeof noEvening !== 'boolean')
        add(`${at}.noEveningSession`, `must be a boolean, got ${describe(noEvening)}`);
      else if (kind === 'early-close') {
        add(
          `${at}.noEveningSession`,
          'only for closed days; an early close without reopen already has no evening session',
        );
      }
    }

    const note = holiday['note'];
    if (note !== undefined && typeof note !== 'string')
      add(`${at}.note`, `must be a string, got ${describe(note)}`);
    const status = holiday['status'];
    if (status !== undefined && (typeof status !== 'string' || !HOLIDAY_STATUSES.has(status))) {
      add(`${at}.status`, `must be "confirmed" or "derived", got ${describe(status)}`);
    }
  });
}
