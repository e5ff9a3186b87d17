import {
  defineRule,
  formatMoney,
  type LockoutEndSpec,
  microsToCents,
  parseDuration,
  type RoundTrip,
} from '@riskd/core-engine';
import { ACCOUNT_SCOPE, roundTripSymbol, takeNewRoundTrips } from '../lib/account-helpers.js';
import { usableWarnAt } from '../lib/money-checks.js';
import { duration, integer, optionsObject } from '../lib/schema.js';
import { combineStrictness, compareDuration, compareNumber } from '../lib/strictness.js';

/** Options of `consecutive-losses`. */
export interface ConsecutiveLossesOptions {
  /** Losing round trips in a row (within the trading day) that trip the rule. */
  readonly count: number;
  /** Lockout length after the streak. */
  readonly cooldown: string;
}

/** Reason codes of `consecutive-losses`. */
export const CONSECUTIVE_LOSSES_CODES = {
  streak: 'CONSECUTIVE_LOSSES',
  warning: 'CONSECUTIVE_LOSSES_WARNING',
} as const;

interface StreakState {
  readonly day: string;
  /** Index in the day's round trips from which the current streak is counted (after the last lockout). */
  readonly from: number;
}

/**
 * `consecutive-losses`: `count` losing round trips in a row within the trading day lock the
 * account for `cooldown`. A round trip that loses only its fees is a loss; a winning one resets the
 * streak; one at exactly 0.00 neither counts nor resets; after a lockout the streak starts over.
 */
export const consecutiveLossesRule = defineRule<ConsecutiveLossesOptions>({
  id: 'consecutive-losses',
  title: 'Consecutive losses',
  description:
    'Locks the account for a cooldown after a number of losing round trips in a row within the trading day (a winning round trip resets the streak).',
  optionsSchema: optionsObject({
    count: integer('Losing round trips in a row that trip the rule (a loss of fees only counts).', 3, 1),
    cooldown: duration('Lockout after the streak, e.g. "30m" or "until-reset".', 'until-reset'),
  }),
  events: ['fill', 'position'],
  create(options) {
    const cooldown = parseDuration(options.cooldown);
    return {
      evaluate(_event, ctx) {
        if (takeNewRoundTrips(ctx).length === 0) return [];
        const trips = ctx.account.roundTrips;
        const day = ctx.account.tradingDay.id;
        const stored = ctx.state.get<StreakState>('streak');
        const from = stored && stored.day === day ? Math.min(stored.from, trips.length) : 0;
        let streak = 0;
        for (let i = from; i < trips.length; i++) {
          const cents = microsToCents((trips[i] as RoundTrip).pnl);
          if (cents < 0) streak++;
          else if (cents > 0) streak = 0;
        }
        const last = trips[trips.length - 1] as RoundTrip;
        if (streak >= options.count) {
          ctx.state.set('streak', { day, from: trips.length } satisfies StreakState);
          const end: LockoutEndSpec =
            cooldown.kind === 'duration' ? { kind: 'at', at: last.closedAt + cooldown.ms } : cooldown;
          if (end.kind === 'at' && end.at <= ctx.now) return [];
          return [
            {
              action: 'none',
              lockout: { scope: ACCOUNT_SCOPE, end },
              code: CONSECUTIVE_LOSSES_CODES.streak,
              reason: `${streak} losing round trips in a row (last ${roundTripSymbol(ctx.account, last)} ${last.side} ${formatMoney(last.pnl)}), limit ${options.count}: cooldown ${options.cooldown}`,
              data: { streak, count: options.count, cooldown: options.cooldown, lastPnl: last.pnl },
            },
          ];
        }
        const warnAt = usableWarnAt(ctx.instance.warnAt);
        if (warnAt !== undefined && streak > 0 && streak >= Math.ceil(options.count * warnAt)) {
          const warning = ctx.warnOnce(
            CONSECUTIVE_LOSSES_CODES.warning,
            `${streak} losing round trips in a row (last ${roundTripSymbol(ctx.account, last)} ${formatMoney(last.pnl)}); the rule locks at ${options.count}`,
            { streak, count: options.count, warnAt },
          );
          return warning ? [warning] : [];
        }
        return [];
      },
    };
  },
  compare(previous, next) {
    return combineStrictness([
      compareNumber(previous.count, next.count, 'lower'),
      compareDuration(previous.cooldown, next.cooldown),
    ]);
  },
});
