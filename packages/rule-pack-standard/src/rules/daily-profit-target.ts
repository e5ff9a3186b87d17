import { defineRule, dollarsToMicros, formatMoney, type RuleDecision } from '@riskd/core-engine';
import { ACCOUNT_SCOPE, hasExposure, lockedAtLeastUntil } from '../lib/account-helpers.js';
import { fractionOf, targetHit, usableWarnAt } from '../lib/money-checks.js';
import { dollars, oneOf, optionsObject } from '../lib/schema.js';
import { combineStrictness, compareNumber } from '../lib/strictness.js';

/** Options of `daily-profit-target`. */
export interface DailyProfitTargetOptions {
  /** Profit in dollars that ends the trading day ("take the win"). */
  readonly target: number;
  /** Which P&L is compared with the target. */
  readonly basis: 'realized' | 'combined';
}

/** Reason codes of `daily-profit-target`. */
export const DAILY_PROFIT_CODES = {
  target: 'DAILY_PROFIT_TARGET',
  warning: 'DAILY_PROFIT_WARNING',
} as const;

/** `daily-profit-target`: flattens and locks the account until the next reset once the day's P&L reaches the target. */
export const dailyProfitTargetRule = defineRule<DailyProfitTargetOptions>({
  id: 'daily-profit-target',
  title: 'Daily profit target',
  description:
    "Flattens the account and locks it until the next trading-day reset when the day's P&L reaches the profit target.",
  optionsSchema: optionsObject({
    target: dollars('Daily profit target in dollars: a P&L at or above it ends the trading day.', 3000),
    basis: oneOf(
      'P&L compared with the target: realized (closed trades, net of fees) or combined (realized + unrealized).',
      ['realized', 'combined'],
      'realized',
    ),
  }),
  events: ['fill', 'position', 'quote', 'contract', 'account'],
  create(options) {
    const target = dollarsToMicros(options.target);
    return {
      evaluate(_event, ctx) {
        const pnl = ctx.account.pnl;
        const value = options.basis === 'combined' ? pnl.combined : pnl.realized;
        if (targetHit(value, target)) {
          const nextReset = ctx.calendar.nextReset(ctx.now);
          if (!hasExposure(ctx.account) && lockedAtLeastUntil(ctx.account, ACCOUNT_SCOPE, nextReset))
            return [];
          const decision: RuleDecision = {
            action: 'flatten',
            lockout: { scope: ACCOUNT_SCOPE, end: { kind: 'reset' } },
            code: DAILY_PROFIT_CODES.target,
            reason: `${options.basis} P&L ${formatMoney(value)} reached daily profit target ${formatMoney(target)}`,
            severity: 'warning',
            data: { basis: options.basis, pnl: value, target },
          };
          return [decision];
        }
        const warnAt = usableWarnAt(ctx.instance.warnAt);
        if (warnAt !== undefined && targetHit(value, fractionOf(target, warnAt))) {
          const warning = ctx.warnOnce(
            DAILY_PROFIT_CODES.warning,
            `${options.basis} P&L ${formatMoney(value)} is within ${formatMoney(target - value)} of the daily profit target ${formatMoney(target)} (warning at ${Math.round(warnAt * 100)}%)`,
            { pnl: value, target, warnAt },
          );
          return warning ? [warning] : [];
        }
        return [];
      },
    };
  },
  compare(previous, next) {
    return combineStrictness([
      // A lower target stops trading sooner.
      compareNumber(previous.target, next.target, 'lower'),
      previous.basis === next.basis ? 'same' : 'looser',
    ]);
  },
});
