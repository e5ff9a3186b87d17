import {
  type ContractId,
  defineRule,
  type Instant,
  type PositionView,
  type RuleContext,
  type RuleDecision,
} from '@riskd/core-engine';
import { integer, oneOf, optionsObject } from '../lib/schema.js';
import { formatLocal } from '../lib/session-schedule.js';
import { combineStrictness, compareNumber, compareRank } from '../lib/strictness.js';

/** Options of `stale-market-data`. */
export interface StaleMarketDataOptions {
  /** Seconds without a quote, while the market is open, after which a position's data is stale. */
  readonly maxQuoteAgeSeconds: number;
  /** `alert` only, or `flatten` the account as a fail-safe. */
  readonly action: 'alert' | 'flatten';
}

/** Reason codes of `stale-market-data`. */
export const STALE_MARKET_DATA_CODES = {
  stale: 'STALE_MARKET_DATA',
  flatten: 'STALE_MARKET_DATA_FLATTEN',
} as const;

const TIMER = 'check';

/**
 * `stale-market-data`: while the market is open, a contract with an open position that has had no
 * quote for `maxQuoteAgeSeconds` (counted from the session start at the earliest) means P&L rules
 * are blind: alert once per stale spell, or flatten the account as a fail-safe.
 */
export const staleMarketDataRule = defineRule<StaleMarketDataOptions>({
  id: 'stale-market-data',
  title: 'Stale market data',
  description:
    'Alerts (or flattens the account) when, while the market is open, a contract with an open position has had no quote for too long.',
  optionsSchema: optionsObject({
    maxQuoteAgeSeconds: integer(
      'Seconds without a quote, while the market is open, after which an open position is blind.',
      15,
      1,
    ),
    action: oneOf(
      'alert: warn once per stale spell; flatten: also flatten the account (fail-safe).',
      ['alert', 'flatten'],
      'alert',
    ),
  }),
  events: ['fill', 'position', 'quote', 'timer', 'connection'],
  create(options) {
    const maxAge = options.maxQuoteAgeSeconds * 1000;
    return {
      evaluate(event, ctx) {
        const positions = ctx.account.positions;
        if (positions.size === 0) {
          if (ctx.timers.get(TIMER)) ctx.timers.cancel(TIMER);
          if (ctx.state.get('alerted') !== undefined) ctx.state.delete('alerted');
          return [];
        }
        if (event.kind === 'quote') {
          // Hot path: only make sure a check is scheduled.
          if (!ctx.timers.get(TIMER)) schedule(ctx, ctx.now + maxAge);
          return [];
        }
        const session = ctx.calendar.sessionAt(ctx.now);
        if (!session) {
          schedule(ctx, ctx.calendar.nextSessionStart(ctx.now) + maxAge);
          return [];
        }
        const alerted = ctx.state.get<Record<ContractId, Instant>>('alerted') ?? {};
        const nextAlerted: Record<ContractId, Instant> = {};
        const stale: { position: PositionView; since: Instant; last: Instant | null }[] = [];
        let nextCheck = ctx.now + maxAge;
        for (const p of positions.values()) {
          const last = p.lastQuoteAt;
          const since = Math.max(last ?? p.openedAt, session.start);
          if (ctx.now - since >= maxAge) {
            if (alerted[p.contractId] !== since || options.action === 'flatten')
              stale.push({ position: p, since, last });
            nextAlerted[p.contractId] = since;
          } else {
            nextCheck = Math.min(nextCheck, since + maxAge);
          }
        }
        if (JSON.stringify(nextAlerted) !== JSON.stringify(alerted)) ctx.state.set('alerted', nextAlerted);
        schedule(ctx, nextCheck);
        if (stale.length === 0) return [];
        const what = stale
          .map(
            (s) =>
              `${s.position.contract.name} for ${Math.floor((ctx.now - s.since) / 1000)}s (last quote ${s.last === null ? 'never' : formatLocal(ctx.calendar, s.last)})`,
          )
          .join(', ');
        const reason = `no quote ${what} while the market is open (limit ${options.maxQuoteAgeSeconds}s)`;
        const data = {
          contracts: stale.map((s) => s.position.contractId),
          maxQuoteAgeSeconds: options.maxQuoteAgeSeconds,
        };
        const decision: RuleDecision =
          options.action === 'flatten'
            ? {
                action: 'flatten',
                code: STALE_MARKET_DATA_CODES.flatten,
                reason: `${reason}: flatten (fail-safe)`,
                severity: 'critical',
                data,
              }
            : { action: 'alert', code: STALE_MARKET_DATA_CODES.stale, reason, severity: 'warning', data };
        return [decision];
      },
    };

    function schedule(ctx: RuleContext, at: Instant): void {
      const current = ctx.timers.get(TIMER);
      if (!current || current.at <= ctx.now || current.at !== at) ctx.timers.set(TIMER, at);
    }
  },
  compare(previous, next) {
    return combineStrictness([
      compareNumber(previous.maxQuoteAgeSeconds, next.maxQuoteAgeSeconds, 'lower'),
      compareRank(previous.action, next.action, ['alert', 'flatten']),
    ]);
  },
});
