import { defineRule, dollarsToMicros, formatMoney } from '@riskd/core-engine';
import { fractionOf, lossBreached, usableWarnAt } from '../lib/money-checks.js';
import { dollars, optionsObject } from '../lib/schema.js';
import { compareNumber } from '../lib/strictness.js';

/** Options of `account-unrealized-loss`. */
export interface AccountUnrealizedLossOptions {
  /** Net unrealized loss in dollars, over all open positions, at which the account is flattened. */
  readonly limit: number;
}

/** Reason codes of `account-unrealized-loss`. */
export const ACCOUNT_UNREALIZED_CODES = {
  limit: 'ACCOUNT_UNREALIZED_LOSS',
  warning: 'ACCOUNT_UNREALIZED_WARNING',
} as const;

/** `account-unrealized-loss`: flattens the account when its open positions together lose the limit (no lockout). */
export const accountUnrealizedLossRule = defineRule<AccountUnrealizedLossOptions>({
  id: 'account-unrealized-loss',
  title: 'Account unrealized loss',
  description:
    'Flattens the account when the net unrealized P&L of all its open positions reaches the loss limit. No lockout.',
  optionsSchema: optionsObject({
    limit: dollars(
      'Net unrealized loss in dollars (positive) over all open positions at which the account is flattened.',
      750,
    ),
  }),
  events: ['fill', 'position', 'quote', 'contract'],
  create(options) {
    const limit = dollarsToMicros(options.limit);
    return {
      evaluate(_event, ctx) {
        if (ctx.account.positions.size === 0) return [];
        const unrealized = ctx.account.pnl.unrealized;
        if (lossBreached(unrealized, limit)) {
          return [
            {
              action: 'flatten',
              code: ACCOUNT_UNREALIZED_CODES.limit,
              reason: `net unrealized P&L ${formatMoney(unrealized)} of ${ctx.account.positions.size} position(s) breached account unrealized loss limit ${formatMoney(limit)}`,
              data: { unrealized, limit, positions: ctx.account.positions.size },
            },
          ];
        }
        const warnAt = usableWarnAt(ctx.instance.warnAt);
        if (warnAt !== undefined && lossBreached(unrealized, fractionOf(limit, warnAt))) {
          const warning = ctx.warnOnce(
            ACCOUNT_UNREALIZED_CODES.warning,
            `net unrealized P&L ${formatMoney(unrealized)} is within ${formatMoney(unrealized + limit)} of the account unrealized loss limit ${formatMoney(limit)}`,
            { unrealized, limit, warnAt },
          );
          return warning ? [warning] : [];
        }
        return [];
      },
    };
  },
  compare(previous, next) {
    return compareNumber(previous.limit, next.limit, 'lower');
  },
});
