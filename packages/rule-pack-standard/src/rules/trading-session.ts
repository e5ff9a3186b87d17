import {
  type ContractId,
  defineRule,
  type LockoutEndSpec,
  type RuleContext,
  type RuleDecision,
  type Strictness,
} from '@riskd/core-engine';
import { ACCOUNT_SCOPE, hasExposure, symbolScope } from '../lib/account-helpers.js';
import { RuleOptionsError } from '../lib/errors.js';
import { type WeeklyWindows } from '../lib/intervals.js';
import { integer, optionsObject, perSymbol, weeklyWindows } from '../lib/schema.js';
import { compareWeekMinutes, formatLocal, SessionSchedule, weekMinutes } from '../lib/session-schedule.js';
import { combineStrictness, compareNumber } from '../lib/strictness.js';
import { symbolOf, upperKeys } from '../lib/symbols.js';

/** Options of `trading-session`. */
export interface TradingSessionOptions {
  /** Allowed windows per weekday, narrowing the market calendar; null: the market calendar itself. */
  readonly sessions: WeeklyWindows | null;
  /** Narrower windows for single symbols (e.g. RTH-only 08:30-15:00 for ES). */
  readonly perSymbol: Readonly<Record<string, WeeklyWindows>>;
  /** Seconds before each session close (early closes included) at which positions are flattened. */
  readonly flatBeforeCloseSeconds: number;
}

/** Reason codes of `trading-session`. */
export const TRADING_SESSION_CODES = {
  outside: 'SESSION_CLOSED',
  closing: 'SESSION_CLOSE_FLAT',
  symbolOutside: 'SYMBOL_SESSION_CLOSED',
  symbolClosing: 'SYMBOL_SESSION_CLOSE_FLAT',
} as const;

const ACCOUNT_TIMER = 'flat';
const SYMBOL_TIMER_PREFIX = 'flat:';

/**
 * `trading-session`: trading is allowed inside the market calendar's sessions, narrowed by the
 * configured windows, until `flatBeforeCloseSeconds` before each close. At that deadline (a timer)
 * and whenever a position is open outside the allowed time, the account is flattened and locked
 * until the next allowed session starts; symbol sessions close and lock that symbol only.
 */
export const tradingSessionRule = defineRule<TradingSessionOptions>({
  id: 'trading-session',
  title: 'Trading session',
  description:
    'Flattens the account shortly before each session close (early closes included) and whenever a position is open outside the allowed sessions, and locks it until the next session starts; per-symbol sessions do the same for one symbol.',
  optionsSchema: optionsObject({
    sessions: weeklyWindows(
      'Allowed windows per weekday in the trading-day time zone, within the market calendar (holidays and early closes still apply), e.g. {"mon": [{"start": "08:30", "end": "15:00"}]}. Empty: the market calendar.',
      'null',
    ),
    perSymbol: perSymbol(
      'Narrower sessions for single symbols, e.g. {"ES": {"mon": [{"start": "08:30", "end": "15:00"}], ...}}.',
      weeklyWindows('Allowed windows per weekday for this symbol.', 'none'),
    ),
    flatBeforeCloseSeconds: integer(
      'Seconds before each session close (also early closes) at which positions are flattened.',
      120,
      0,
    ),
  }),
  events: ['fill', 'position', 'order', 'account', 'contract', 'timer', 'reset'],
  create(options) {
    const flatMs = options.flatBeforeCloseSeconds * 1000;
    const accountLayers = options.sessions ? [options.sessions] : [];
    const account = new SessionSchedule(accountLayers, flatMs);
    const symbols = new Map<string, SessionSchedule>();
    for (const [symbol, windows] of upperKeys(options.perSymbol)) {
      if (!Object.values(windows).some((w) => (w?.length ?? 0) > 0)) {
        throw new RuleOptionsError(
          'trading-session',
          `/perSymbol/${symbol}`,
          'has no window; use symbol-block to block a symbol',
        );
      }
      symbols.set(symbol, new SessionSchedule([...accountLayers, windows], flatMs));
    }
    return {
      evaluate(event, ctx) {
        const out: RuleDecision[] = [];
        const now = ctx.now;
        const isTimer = (key: string) => event.kind === 'timer' && event.key === key;

        const accountOpen = account.allowedAt(ctx.calendar, now) !== undefined;
        if (!accountOpen) {
          const deadlineFired = isTimer(ACCOUNT_TIMER);
          if (ctx.account.positions.size > 0 || (deadlineFired && hasExposure(ctx.account))) {
            out.push(accountDecision(ctx, account, deadlineFired));
          }
        } else {
          for (const [symbol, schedule] of symbols) {
            if (schedule.allowedAt(ctx.calendar, now)) continue;
            out.push(...symbolDecisions(ctx, symbol, schedule, isTimer(SYMBOL_TIMER_PREFIX + symbol)));
          }
        }
        armTimer(ctx, ACCOUNT_TIMER, account);
        for (const [symbol, schedule] of symbols) armTimer(ctx, SYMBOL_TIMER_PREFIX + symbol, schedule);
        return out;
      },
    };

    function accountDecision(ctx: RuleContext, schedule: SessionSchedule, deadline: boolean): RuleDecision {
      const { end, until } = lockoutEnd(ctx, schedule);
      const positions = [...ctx.account.positions.values()]
        .map((p) => `${p.symbol} ${p.side} ${p.size}`)
        .join(', ');
      const close = schedule.deadlineAround(ctx.calendar, ctx.now);
      return {
        action: 'flatten',
        lockout: { scope: ACCOUNT_SCOPE, end },
        code: deadline ? TRADING_SESSION_CODES.closing : TRADING_SESSION_CODES.outside,
        reason: deadline
          ? `session flat deadline ${formatLocal(ctx.calendar, ctx.now)} (${options.flatBeforeCloseSeconds}s before the close): flatten${positions ? ` ${positions}` : ' working orders'}, locked until ${until}`
          : `${positions} open outside the trading session${close !== undefined && close <= ctx.now ? ` (flat deadline ${formatLocal(ctx.calendar, close)})` : ''}: flatten, locked until ${until}`,
        severity: 'warning',
        data: { deadline, flatBeforeCloseSeconds: options.flatBeforeCloseSeconds },
      };
    }

    function symbolDecisions(
      ctx: RuleContext,
      symbol: string,
      schedule: SessionSchedule,
      deadline: boolean,
    ): RuleDecision[] {
      const positions = [...ctx.account.positions.values()].filter((p) => p.symbol === symbol);
      const orderContracts = new Set<ContractId>();
      for (const o of ctx.account.workingOrders.values()) {
        if (symbolOf(ctx.account, o.contractId) === symbol) orderContracts.add(o.contractId);
      }
      if (positions.length === 0 && !(deadline && orderContracts.size > 0)) return [];
      const { end, until } = lockoutEnd(ctx, schedule);
      const code = deadline ? TRADING_SESSION_CODES.symbolClosing : TRADING_SESSION_CODES.symbolOutside;
      const head = deadline
        ? `${symbol} session flat deadline ${formatLocal(ctx.calendar, ctx.now)} (${options.flatBeforeCloseSeconds}s before its close)`
        : `${symbol} open outside its trading session`;
      const out: RuleDecision[] = [];
      for (const p of positions) {
        orderContracts.delete(p.contractId);
        out.push({
          action: 'close-position',
          contractId: p.contractId,
          lockout: { scope: symbolScope(symbol), end },
          code,
          reason: `${head}: closing ${p.contract.name} ${p.side} ${p.size}, ${symbol} locked until ${until}`,
          data: { symbol, deadline },
        });
      }
      for (const contractId of orderContracts) {
        out.push({
          action: 'cancel-orders',
          contractId,
          orderIds: [...ctx.account.workingOrders.values()]
            .filter((o) => o.contractId === contractId)
            .map((o) => o.id),
          lockout: { scope: symbolScope(symbol), end },
          code,
          reason: `${head}: cancelling its working orders, ${symbol} locked until ${until}`,
          data: { symbol, deadline },
        });
      }
      return out;
    }

    function lockoutEnd(ctx: RuleContext, schedule: SessionSchedule): { end: LockoutEndSpec; until: string } {
      const next = schedule.nextStart(ctx.calendar, ctx.now);
      if (next === undefined) return { end: { kind: 'session-start' }, until: 'the next session start' };
      return { end: { kind: 'at', at: next }, until: formatLocal(ctx.calendar, next) };
    }

    function armTimer(ctx: RuleContext, key: string, schedule: SessionSchedule): void {
      const next = schedule.nextDeadline(ctx.calendar, ctx.now);
      const current = ctx.timers.get(key);
      if (next === undefined) {
        if (current) ctx.timers.cancel(key);
      } else if (!current || current.at !== next) {
        ctx.timers.set(key, next);
      }
    }
  },
  compare(previous, next): Strictness {
    const p = upperKeys(previous.perSymbol);
    const n = upperKeys(next.perSymbol);
    const parts: Strictness[] = [
      compareNumber(previous.flatBeforeCloseSeconds, next.flatBeforeCloseSeconds, 'higher'),
      compareWeekMinutes(weekMinutes(previous.sessions), weekMinutes(next.sessions)),
    ];
    for (const symbol of new Set([...p.keys(), ...n.keys()])) {
      parts.push(compareWeekMinutes(weekMinutes(p.get(symbol)), weekMinutes(n.get(symbol))));
    }
    return combineStrictness(parts);
  },
});
