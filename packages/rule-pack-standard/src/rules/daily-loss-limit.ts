import {
  compareCents,
  defineRule,
  dollarsToMicros,
  formatMoney,
  type Micros,
  type RuleDecision,
  type Strictness,
} from '@riskd/core-engine';
import { ACCOUNT_SCOPE, hasExposure, lockedAtLeastUntil } from '../lib/account-helpers.js';
import { fractionOf, usableWarnAt } from '../lib/money-checks.js';
import { dollars, oneOf, optionsObject } from '../lib/schema.js';
import { combineStrictness, compareNumber } from '../lib/strictness.js';

export type PnlBasis = 'combined' | 'realized';

/** Options of `daily-loss-limit`. */
export interface DailyLossLimitOptions {
  /** Loss in dollars (positive) that ends the trading day. */
  readonly limit: number;
  /** Which P&L is compared with the limit. */
  readonly basis: PnlBasis;
  /** `none`: the floor is -limit; otherwise the floor trails the day's peak of that P&L. */
  readonly trailing: 'none' | PnlBasis;
}

/** Reason codes of `daily-loss-limit`. */
export const DAILY_LOSS_CODES = {
  limit: 'DAILY_LOSS_LIMIT',
  trailing: 'DAILY_LOSS_TRAILING_LIMIT',
  warning: 'DAILY_LOSS_WARNING',
} as const;

/**
 * `daily-loss-limit`: flattens and locks the account until the next reset when the day's P&L
 * (combined by default, so a quote alone can breach it) reaches the loss limit, or falls the
 * limit below the day's peak when trailing.
 */
export const dailyLossLimitRule = defineRule<DailyLossLimitOptions>({
  id: 'daily-loss-limit',
  title: 'Daily loss limit',
  description:
    "Flattens the account and locks it until the next trading-day reset when the day's P&L reaches the loss limit (or, trailing, falls the limit below the day's peak).",
  optionsSchema: optionsObject({
    limit: dollars('Daily loss limit in dollars (positive): a P&L at or below -limit is a breach.', 1000),
    basis: oneOf(
      'P&L compared with the limit: combined (realized + unrealized, watched on every quote) or realized only.',
      ['combined', 'realized'],
      'combined',
    ),
    trailing: oneOf(
      "Trailing floor: none (the floor is -limit), or the day's highest realized or combined P&L minus the limit (the floor only rises).",
      ['none', 'realized', 'combined'],
      'none',
    ),
  }),
  events: ['fill', 'position', 'quote', 'contract', 'account'],
  create(options) {
    const limit: Micros = dollarsToMicros(options.limit);
    return {
      evaluate(_event, ctx) {
        const pnl = ctx.account.pnl;
        const value = options.basis === 'combined' ? pnl.combined : pnl.realized;
        const peak =
          options.trailing === 'none'
            ? 0
            : Math.max(0, options.trailing === 'combined' ? pnl.peakCombined : pnl.peakRealized);
        const floor = peak - limit;
        const stale = pnl.stale ? ' (marks stale)' : '';
        if (compareCents(value, floor) <= 0) {
          const nextReset = ctx.calendar.nextReset(ctx.now);
          if (!hasExposure(ctx.account) && lockedAtLeastUntil(ctx.account, ACCOUNT_SCOPE, nextReset))
            return [];
          const trailing = options.trailing !== 'none';
          const reason = trailing
            ? `${options.basis} P&L ${formatMoney(value)} breached trailing daily loss floor ${formatMoney(floor)} (${options.trailing} peak ${formatMoney(peak)}, limit ${formatMoney(limit)})${stale}`
            : `${options.basis} P&L ${formatMoney(value)} breached daily loss limit ${formatMoney(limit)}${stale}`;
          const decision: RuleDecision = {
            action: 'flatten',
            lockout: { scope: ACCOUNT_SCOPE, end: { kind: 'reset' } },
            code: trailing ? DAILY_LOSS_CODES.trailing : DAILY_LOSS_CODES.limit,
            reason,
            severity: 'critical',
            data: { basis: options.basis, pnl: value, limit, floor, peak, stale: pnl.stale },
          };
          return [decision];
        }
        const warnAt = usableWarnAt(ctx.instance.warnAt);
        if (warnAt !== undefined && compareCents(value, peak - fractionOf(limit, warnAt)) <= 0) {
          const warning = ctx.warnOnce(
            DAILY_LOSS_CODES.warning,
            `${options.basis} P&L ${formatMoney(value)} is within ${formatMoney(value - floor)} of the daily loss ${options.trailing === 'none' ? 'limit' : 'floor'} ${formatMoney(options.trailing === 'none' ? limit : floor)} (warning at ${Math.round(warnAt * 100)}%)${stale}`,
            { pnl: value, limit, floor, warnAt },
          );
          return warning ? [warning] : [];
        }
        return [];
      },
    };
  },
  compare(previous, next): Strictness {
    return combineStrictness([
      compareNumber(previous.limit, next.limit, 'lower'),
      // Neither basis is always the stricter one (unrealized may be a gain or a loss).
      previous.basis === next.basis ? 'same' : 'looser',
      // A trailing floor is at or above the fixed one: adding it tightens, removing it loosens.
      previous.trailing === next.trailing ? 'same' : previous.trailing === 'none' ? 'tighter' : 'looser',
    ]);
  },
});
