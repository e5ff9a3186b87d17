import {
  type ContractId,
  defineRule,
  type Instant,
  type LockoutScope,
  type MarketCalendarView,
  type RuleContext,
  type RuleDecision,
  type Strictness,
  type Weekday,
} from '@riskd/core-engine';
import { RuleOptionsError } from '../lib/errors.js';
import { ACCOUNT_SCOPE, hasExposure, lockedAtLeastUntil, symbolScope } from '../lib/account-helpers.js';
import { addDays, type Interval, WEEKDAYS, weeklyIntervals, windowOn } from '../lib/intervals.js';
import { DATE_PATTERN, optionsObject, TIME_OF_DAY_PATTERN } from '../lib/schema.js';
import { formatLocal } from '../lib/session-schedule.js';
import { combineStrictness, jsonEqual } from '../lib/strictness.js';
import { SYMBOL_PATTERN, symbolOf } from '../lib/symbols.js';

/** One blackout window (e.g. a news release). */
export interface BlackoutWindow {
  /** Label shown in reasons, e.g. `CPI`. */
  readonly name: string;
  /** `HH:MM` in the trading-day time zone. */
  readonly start: string;
  /** `HH:MM`; at or before `start` means the next day. */
  readonly end: string;
  /** Weekdays on which the window recurs; absent with no `date`: every day. */
  readonly days?: readonly Weekday[];
  /** A single date `YYYY-MM-DD` instead of weekly days. */
  readonly date?: string;
  /** Symbols the window covers, or `all` (the whole account). */
  readonly symbols: 'all' | readonly string[];
  /** `flatten` the covered positions and orders, or only `block-entries` (positions stay). */
  readonly action: 'flatten' | 'block-entries';
}

/** Options of `blackout-windows`. */
export interface BlackoutWindowsOptions {
  readonly windows: readonly BlackoutWindow[];
}

/** Reason codes of `blackout-windows`. */
export const BLACKOUT_CODES = {
  flatten: 'BLACKOUT_FLATTEN',
  blockEntries: 'BLACKOUT_BLOCK_ENTRIES',
} as const;

const TIMER_PREFIX = 'window:';

/**
 * `blackout-windows`: no trading in configured windows (news releases, the open). At a window's
 * start (a timer) and on any fill or position inside it, `flatten` closes the covered positions
 * and cancels their orders, `block-entries` only blocks new exposure; both lock the covered scope
 * (the account when `symbols` is `all`, else each symbol) until the window ends.
 */
export const blackoutWindowsRule = defineRule<BlackoutWindowsOptions>({
  id: 'blackout-windows',
  title: 'Blackout windows',
  description:
    "Blocks trading in configured time windows (e.g. news releases): flattens the window's symbols (or the whole account) or only blocks new entries, and locks them until the window ends.",
  optionsSchema: optionsObject({
    windows: {
      type: 'array',
      default: [],
      description:
        'Blackout windows; each recurs on `days` (every day when absent) or happens once on `date`.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['start', 'end'],
        properties: {
          name: {
            type: 'string',
            default: '',
            description: 'Label shown in reasons and alerts, e.g. "CPI".',
          },
          start: {
            type: 'string',
            pattern: TIME_OF_DAY_PATTERN,
            description: 'Start, "HH:MM" in the trading-day time zone.',
          },
          end: {
            type: 'string',
            pattern: TIME_OF_DAY_PATTERN,
            description: 'End, "HH:MM"; at or before the start means the next day.',
          },
          days: {
            type: 'array',
            items: { type: 'string', enum: WEEKDAYS },
            uniqueItems: true,
            description:
              'Weekdays on which the window recurs (e.g. ["mon", "fri"]). Absent, with no date: every day.',
          },
          date: {
            type: 'string',
            pattern: DATE_PATTERN,
            description: 'A single date "YYYY-MM-DD" instead of weekly days.',
          },
          symbols: {
            anyOf: [
              { type: 'string', const: 'all' },
              { type: 'array', minItems: 1, items: { type: 'string', pattern: SYMBOL_PATTERN } },
            ],
            default: 'all',
            description: 'Symbols the window covers, e.g. ["ES", "NQ"], or "all" for the whole account.',
          },
          action: {
            type: 'string',
            enum: ['flatten', 'block-entries'],
            default: 'flatten',
            description:
              'flatten: close the covered positions and cancel their orders; block-entries: only block new exposure (positions stay).',
          },
        },
      },
    },
  }),
  events: ['fill', 'position', 'order', 'account', 'contract', 'timer', 'reset'],
  create(options) {
    options.windows.forEach((w, index) => {
      if (w.days && w.date) {
        throw new RuleOptionsError(
          'blackout-windows',
          `/windows/${index}`,
          'give either days (weekly) or date (one day), not both',
        );
      }
      if (w.date !== undefined && addDays(w.date, 0) !== w.date) {
        throw new RuleOptionsError(
          'blackout-windows',
          `/windows/${index}/date`,
          `${w.date} is not a calendar date`,
        );
      }
    });
    const windows = options.windows.map((w, index) => ({
      ...w,
      index,
      symbols: w.symbols === 'all' ? ('all' as const) : w.symbols.map((s) => s.toUpperCase()),
      label: `${w.name ? `${w.name} ` : ''}blackout ${w.start}-${w.end}${w.date ? ` on ${w.date}` : w.days ? ` on ${w.days.join(',')}` : ''}`,
    }));
    type Window = (typeof windows)[number];

    return {
      evaluate(event, ctx) {
        const out: RuleDecision[] = [];
        for (const w of windows) {
          const current = intervalOf(ctx.calendar, w, ctx.now, 'containing');
          if (current)
            out.push(
              ...decide(
                ctx,
                w,
                current,
                event.kind === 'fill' && !event.fill.voided ? event.fill : undefined,
              ),
            );
          const next = intervalOf(ctx.calendar, w, ctx.now, 'next');
          const key = TIMER_PREFIX + w.index;
          const timer = ctx.timers.get(key);
          if (!next) {
            if (timer) ctx.timers.cancel(key);
          } else if (!timer || timer.at !== next.start) {
            ctx.timers.set(key, next.start);
          }
        }
        return out;
      },
    };

    function decide(
      ctx: RuleContext,
      w: Window,
      window: Interval,
      fill: { contractId: ContractId; side: 'buy' | 'sell'; size: number } | undefined,
    ): RuleDecision[] {
      const account = ctx.account;
      const until = formatLocal(ctx.calendar, window.end);
      const end = { kind: 'at', at: window.end } as const;
      const scopes: { scope: LockoutScope; symbol: string | null }[] =
        w.symbols === 'all'
          ? [{ scope: ACCOUNT_SCOPE, symbol: null }]
          : w.symbols.map((s) => ({ scope: symbolScope(s), symbol: s }));
      const out: RuleDecision[] = [];
      const data = { window: w.label, end: window.end, action: w.action };
      if (w.action === 'flatten') {
        if (w.symbols === 'all') {
          if (hasExposure(account) || !lockedAtLeastUntil(account, ACCOUNT_SCOPE, window.end)) {
            out.push({
              action: 'flatten',
              lockout: { scope: ACCOUNT_SCOPE, end },
              code: BLACKOUT_CODES.flatten,
              reason: `${w.label}: flatten the account, locked until ${until}`,
              data,
            });
          }
          return out;
        }
        for (const { scope, symbol } of scopes) {
          const before = out.length;
          const positions = [...account.positions.values()].filter((p) => p.symbol === symbol);
          const orderContracts = new Map<ContractId, number[]>();
          for (const o of account.workingOrders.values()) {
            if (symbolOf(account, o.contractId) !== symbol) continue;
            orderContracts.set(o.contractId, [...(orderContracts.get(o.contractId) ?? []), o.id]);
          }
          for (const p of positions) {
            out.push({
              action: 'close-position',
              contractId: p.contractId,
              lockout: { scope, end },
              code: BLACKOUT_CODES.flatten,
              reason: `${w.label}: closing ${p.contract.name} ${p.side} ${p.size}, ${symbol} locked until ${until}`,
              data,
            });
          }
          for (const [contractId, orderIds] of orderContracts) {
            out.push({
              action: 'cancel-orders',
              contractId,
              orderIds,
              lockout: { scope, end },
              code: BLACKOUT_CODES.flatten,
              reason: `${w.label}: cancelling ${symbol} orders ${orderIds.join(', ')}, ${symbol} locked until ${until}`,
              data,
            });
          }
          if (out.length === before && !lockedAtLeastUntil(account, scope, window.end)) {
            out.push({
              action: 'none',
              lockout: { scope, end },
              code: BLACKOUT_CODES.flatten,
              reason: `${w.label}: ${symbol} locked until ${until}`,
              data,
            });
          }
        }
        return out;
      }
      for (const { scope, symbol } of scopes) {
        if (lockedAtLeastUntil(account, scope, window.end)) continue;
        const what = symbol === null ? 'the account' : symbol;
        out.push({
          action: 'none',
          lockout: { scope, end },
          code: BLACKOUT_CODES.blockEntries,
          reason: `${w.label}: new entries in ${what} blocked until ${until} (open positions stay)`,
          data,
        });
        // A fill that added exposure before the lockout was in place is taken back out.
        const position = fill ? account.positions.get(fill.contractId) : undefined;
        if (
          fill &&
          position &&
          (symbol === null || position.symbol === symbol) &&
          (fill.side === 'buy') === (position.side === 'long')
        ) {
          const reduceTo = Math.max(0, position.size - fill.size);
          out.push({
            action: reduceTo === 0 ? 'close-position' : 'reduce-position',
            contractId: position.contractId,
            ...(reduceTo === 0 ? {} : { reduceTo }),
            code: BLACKOUT_CODES.blockEntries,
            reason: `${w.label}: entry of ${fill.size} ${position.symbol} inside the window taken back out (${position.side} ${position.size} to ${reduceTo})`,
            data,
          });
        }
      }
      return out;
    }
  },
  compare(previous, next): Strictness {
    const timing = (w: BlackoutWindow) => ({
      start: w.start,
      end: w.end,
      days: w.days ?? null,
      date: w.date ?? null,
      symbols: w.symbols,
    });
    const rank = (w: BlackoutWindow) => (w.action === 'flatten' ? 1 : 0);
    const parts: Strictness[] = [];
    for (const p of previous.windows) {
      const kept = next.windows.filter((n) => jsonEqual(timing(n), timing(p)));
      const best = Math.max(-1, ...kept.map(rank));
      parts.push(best < 0 || best < rank(p) ? 'looser' : best > rank(p) ? 'tighter' : 'same');
    }
    for (const n of next.windows) {
      if (!previous.windows.some((p) => jsonEqual(timing(n), timing(p)))) parts.push('tighter');
    }
    return combineStrictness(parts);
  },
});

/** The window's interval containing `at`, or the next one starting after `at`. */
function intervalOf(
  calendar: MarketCalendarView,
  w: { start: string; end: string; days?: readonly Weekday[]; date?: string },
  at: Instant,
  which: 'containing' | 'next',
): Interval | undefined {
  let list: Interval[];
  if (w.date) {
    list = [windowOn(calendar, w.date, w)];
  } else {
    const days = w.days ?? WEEKDAYS;
    const weekly: Partial<Record<Weekday, { start: string; end: string }[]>> = {};
    for (const d of days) weekly[d] = [{ start: w.start, end: w.end }];
    list = weeklyIntervals(calendar, weekly, at - 2 * 86_400_000, at + 9 * 86_400_000);
  }
  return which === 'containing'
    ? list.find((i) => i.start <= at && at < i.end)
    : list.find((i) => i.start > at);
}
