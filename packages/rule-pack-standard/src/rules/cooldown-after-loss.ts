import {
  defineRule,
  DURATION_PATTERN,
  dollarsToMicros,
  formatMoney,
  type LockoutEndSpec,
  parseDuration,
  type RoundTrip,
  type Strictness,
} from '@riskd/core-engine';
import { ACCOUNT_SCOPE, roundTripSymbol, takeNewRoundTrips } from '../lib/account-helpers.js';
import { lossBreached } from '../lib/money-checks.js';
import { boolean, optionsObject } from '../lib/schema.js';
import { combineStrictness, compareDuration, compareFlag } from '../lib/strictness.js';

/** One tier: a round trip losing at least `loss` dollars locks the account for `cooldown`. */
export interface LossTier {
  readonly loss: number;
  readonly cooldown: string;
}

/** Options of `cooldown-after-loss`. */
export interface CooldownAfterLossOptions {
  readonly tiers: readonly LossTier[];
  /** Flatten the account before the cooldown starts. */
  readonly flatten: boolean;
}

/** Reason codes of `cooldown-after-loss`. */
export const COOLDOWN_AFTER_LOSS_CODES = { cooldown: 'COOLDOWN_AFTER_LOSS' } as const;

/**
 * `cooldown-after-loss`: a round trip that closes with a loss at or beyond a tier locks the
 * account for the largest matching tier's cooldown, counted from the round trip's close.
 */
export const cooldownAfterLossRule = defineRule<CooldownAfterLossOptions>({
  id: 'cooldown-after-loss',
  title: 'Cooldown after a loss',
  description:
    "Locks the account for a cooldown when a round trip closes with a loss at or beyond a tier (the largest matching tier's cooldown); optionally flattens first.",
  optionsSchema: optionsObject({
    tiers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['loss', 'cooldown'],
        properties: {
          loss: {
            type: 'number',
            exclusiveMinimum: 0,
            description: 'Round-trip loss in dollars (positive) at or beyond which this tier applies.',
          },
          cooldown: {
            type: 'string',
            pattern: DURATION_PATTERN,
            description: 'Lockout length, e.g. "5m", "until-reset".',
          },
        },
      },
      default: [
        { loss: 100, cooldown: '5m' },
        { loss: 200, cooldown: '15m' },
        { loss: 300, cooldown: '30m' },
      ],
      description: 'Loss tiers; the largest tier the loss reaches decides the cooldown.',
    },
    flatten: boolean(
      'Flatten the account (cancel orders, close positions) before the cooldown starts.',
      false,
    ),
  }),
  events: ['fill', 'position'],
  create(options) {
    const tiers = [...options.tiers]
      .map((t) => ({ loss: dollarsToMicros(t.loss), cooldown: t.cooldown, end: parseDuration(t.cooldown) }))
      .sort((a, b) => b.loss - a.loss);
    return {
      evaluate(_event, ctx) {
        let worst: { trip: RoundTrip; tier: (typeof tiers)[number] } | undefined;
        for (const trip of takeNewRoundTrips(ctx)) {
          const tier = tiers.find((t) => lossBreached(trip.pnl, t.loss));
          if (tier && (!worst || tier.loss > worst.tier.loss)) worst = { trip, tier };
        }
        if (!worst) return [];
        const { trip, tier } = worst;
        // A fixed cooldown counts from the round trip's close, so seeing it again after a restart sets the same end.
        const end: LockoutEndSpec =
          tier.end.kind === 'duration' ? { kind: 'at', at: trip.closedAt + tier.end.ms } : tier.end;
        if (end.kind === 'at' && end.at <= ctx.now) return [];
        return [
          {
            action: options.flatten ? 'flatten' : 'none',
            lockout: { scope: ACCOUNT_SCOPE, end },
            code: COOLDOWN_AFTER_LOSS_CODES.cooldown,
            reason: `round trip ${roundTripSymbol(ctx.account, trip)} ${trip.side} lost ${formatMoney(trip.pnl)}, at or beyond tier ${formatMoney(tier.loss)}: ${options.flatten ? 'flatten and ' : ''}cooldown ${tier.cooldown}`,
            data: {
              symbol: roundTripSymbol(ctx.account, trip),
              pnl: trip.pnl,
              tier: tier.loss,
              cooldown: tier.cooldown,
              closedAt: trip.closedAt,
            },
          },
        ];
      },
    };
  },
  compare(previous, next): Strictness {
    const cooldownAt = (o: CooldownAfterLossOptions, loss: number): string | null => {
      let best: LossTier | null = null;
      for (const t of o.tiers) if (t.loss <= loss && (!best || t.loss > best.loss)) best = t;
      return best?.cooldown ?? null;
    };
    const breakpoints = new Set([...previous.tiers, ...next.tiers].map((t) => t.loss));
    const parts: Strictness[] = [compareFlag(previous.flatten, next.flatten)];
    for (const loss of breakpoints) {
      const p = cooldownAt(previous, loss);
      const n = cooldownAt(next, loss);
      if (p === n) continue;
      parts.push(p === null ? 'tighter' : n === null ? 'looser' : compareDuration(p, n));
    }
    return combineStrictness(parts);
  },
});
