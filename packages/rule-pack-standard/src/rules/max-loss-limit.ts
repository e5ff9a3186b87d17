import {
  compareCents,
  defineRule,
  dollarsToMicros,
  formatMoney,
  type Micros,
  type Strictness,
} from '@riskd/core-engine';
import { ACCOUNT_SCOPE, hasExposure, lockedAtLeastUntil } from '../lib/account-helpers.js';
import { usableWarnAt } from '../lib/money-checks.js';
import { dollars, oneOf, optionalDollars, optionsObject } from '../lib/schema.js';
import { combineStrictness, compareNumber, compareRank } from '../lib/strictness.js';

/** Options of `max-loss-limit`. */
export interface MaxLossLimitOptions {
  /** The firm's maximum loss limit: how far below the high-water mark the floor sits. */
  readonly drawdown: number;
  /** The end-of-day balance high as the firm shows it when the rule is added. */
  readonly highWaterMark: number;
  /** The current floor as the firm shows it; when set it is used as is (no trailing). */
  readonly floor: number | null;
  /** The balance at which the floor stops rising (the starting balance); null: it never stops. */
  readonly stopAt: number | null;
  /** `end-of-day`: the high-water mark rises with the balance at each reset; `intraday`: with equity at any time. */
  readonly trail: 'end-of-day' | 'intraday';
  /** Dollars above the floor at which Riskd already acts, to stay clear of the firm's own breach. */
  readonly buffer: number;
}

/** Reason codes of `max-loss-limit`. */
export const MAX_LOSS_CODES = {
  limit: 'MAX_LOSS_LIMIT',
  warning: 'MAX_LOSS_WARNING',
} as const;

interface HighWaterState {
  /** The configured high-water mark this state started from (a new configured value restarts it). */
  readonly base: Micros;
  readonly value: Micros;
}

/** The floor the rule enforces now, and how it was found. */
export interface MaxLossFloor {
  readonly floor: Micros;
  readonly highWaterMark: Micros;
  readonly fromOption: boolean;
}

/**
 * `max-loss-limit`: guards against the firm's own trailing maximum loss limit. Flattens and locks
 * the account until the next reset (critical alert) when equity falls to the floor plus the buffer.
 */
export const maxLossLimitRule = defineRule<MaxLossLimitOptions>({
  id: 'max-loss-limit',
  title: 'Maximum loss limit (trailing drawdown)',
  description:
    "Flattens the account and locks it until the next reset, with a critical alert, when equity (balance + unrealized) falls to the firm's trailing floor plus a buffer.",
  optionsSchema: optionsObject({
    drawdown: dollars(
      'Maximum loss limit in dollars: the floor sits this far below the high-water mark (Topstep 50K: 2000).',
      2000,
    ),
    highWaterMark: dollars(
      'End-of-day balance high in dollars, as the firm shows it when the rule is added; Riskd raises it from then on.',
      50000,
    ),
    floor: optionalDollars(
      'The current floor in dollars as the firm shows it (e.g. after a payout). When set it wins and does not trail.',
    ),
    stopAt: optionalDollars(
      'Balance in dollars at which the floor stops rising (the starting balance). Empty: it never stops.',
    ),
    trail: oneOf(
      'end-of-day: the high-water mark rises with the balance recorded at each trading-day reset; intraday: with equity at any moment.',
      ['end-of-day', 'intraday'],
      'end-of-day',
    ),
    buffer: {
      type: 'number',
      minimum: 0,
      default: 0,
      description: 'Dollars above the floor at which Riskd already flattens (0: at the floor).',
    },
  }),
  events: ['fill', 'position', 'quote', 'contract', 'account', 'reset'],
  create(options) {
    const drawdown = dollarsToMicros(options.drawdown);
    const base = dollarsToMicros(options.highWaterMark);
    const buffer = dollarsToMicros(options.buffer);
    const fixedFloor = options.floor === null ? null : dollarsToMicros(options.floor);
    const stopAt = options.stopAt === null ? null : dollarsToMicros(options.stopAt);
    return {
      evaluate(_event, ctx) {
        const account = ctx.account;
        const equity = account.equity;
        // The high-water mark is kept even when the floor is fixed, so removing `floor` later resumes trailing.
        const stored = ctx.state.get<HighWaterState>('highWaterMark');
        let hwm = stored && stored.base === base ? stored.value : base;
        if (account.balanceAtReset !== null) hwm = Math.max(hwm, account.balanceAtReset);
        if (options.trail === 'intraday' && equity !== null) hwm = Math.max(hwm, equity);
        if (!stored || stored.base !== base || stored.value !== hwm)
          ctx.state.set('highWaterMark', { base, value: hwm });
        if (equity === null) return [];

        const found = floorOf(hwm);
        const threshold = found.floor + buffer;
        const detail = found.fromOption
          ? `floor set at ${formatMoney(found.floor)}, buffer ${formatMoney(buffer)}`
          : `high-water mark ${formatMoney(hwm)}, drawdown ${formatMoney(drawdown)}, buffer ${formatMoney(buffer)}`;
        if (compareCents(equity, threshold) <= 0) {
          if (
            !hasExposure(account) &&
            lockedAtLeastUntil(account, ACCOUNT_SCOPE, ctx.calendar.nextReset(ctx.now))
          ) {
            return [];
          }
          return [
            {
              action: 'flatten',
              lockout: { scope: ACCOUNT_SCOPE, end: { kind: 'reset' } },
              code: MAX_LOSS_CODES.limit,
              reason: `equity ${formatMoney(equity)} breached max loss floor ${formatMoney(found.floor)} + buffer ${formatMoney(buffer)} = ${formatMoney(threshold)} (${detail})`,
              severity: 'critical',
              data: { equity, floor: found.floor, buffer, highWaterMark: hwm, drawdown },
            },
          ];
        }
        const warnAt = usableWarnAt(ctx.instance.warnAt);
        if (
          warnAt !== undefined &&
          compareCents(equity, threshold + Math.round(drawdown * (1 - warnAt))) <= 0
        ) {
          const warning = ctx.warnOnce(
            MAX_LOSS_CODES.warning,
            `equity ${formatMoney(equity)} is within ${formatMoney(equity - threshold)} of the max loss floor ${formatMoney(found.floor)} + buffer ${formatMoney(buffer)} (${detail})`,
            { equity, floor: found.floor, buffer, warnAt },
          );
          return warning ? [warning] : [];
        }
        return [];
      },
    };

    function floorOf(hwm: Micros): MaxLossFloor {
      if (fixedFloor !== null) return { floor: fixedFloor, highWaterMark: hwm, fromOption: true };
      const trailing = hwm - drawdown;
      return {
        floor: stopAt === null ? trailing : Math.min(trailing, stopAt),
        highWaterMark: hwm,
        fromOption: false,
      };
    }
  },
  compare(previous, next): Strictness {
    const floorChange: Strictness =
      previous.floor === null && next.floor === null
        ? 'same'
        : previous.floor !== null && next.floor !== null
          ? compareNumber(previous.floor, next.floor, 'higher')
          : // Setting or removing a fixed floor may move it either way; it waits for the reset unless forced.
            'looser';
    return combineStrictness([
      compareNumber(previous.drawdown, next.drawdown, 'lower'),
      compareNumber(previous.highWaterMark, next.highWaterMark, 'higher'),
      floorChange,
      // No stop (null) lets the floor rise without end: the strictest.
      compareNumber(
        previous.stopAt ?? Number.MAX_SAFE_INTEGER,
        next.stopAt ?? Number.MAX_SAFE_INTEGER,
        'higher',
      ),
      compareRank(previous.trail, next.trail, ['end-of-day', 'intraday']),
      compareNumber(previous.buffer, next.buffer, 'higher'),
    ]);
  },
});
