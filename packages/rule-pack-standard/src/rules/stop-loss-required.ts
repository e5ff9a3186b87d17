import { type ContractId, defineRule, eventContractId, type RuleDecision } from '@riskd/core-engine';
import { stopCover } from '../lib/orders.js';
import { integer, optionsObject } from '../lib/schema.js';
import { compareNumber } from '../lib/strictness.js';

/** Options of `stop-loss-required`. */
export interface StopLossRequiredOptions {
  /** Seconds a position may stay uncovered by protective stops. */
  readonly graceSeconds: number;
}

/** Reason codes of `stop-loss-required`. */
export const STOP_LOSS_CODES = { missing: 'STOP_LOSS_REQUIRED' } as const;

interface GracePayload {
  readonly contractId: ContractId;
  readonly epoch: number;
}

const TIMER_PREFIX = 'grace:';

/**
 * `stop-loss-required`: every open position must be covered by protective stop orders (stop,
 * stop-limit or trailing stop; opposite side; same contract; Open or Pending) for its whole size.
 * An uncovered position gets a grace period; when it ends, the uncovered part is closed.
 */
export const stopLossRequiredRule = defineRule<StopLossRequiredOptions>({
  id: 'stop-loss-required',
  title: 'Stop loss required',
  description:
    'Closes the part of a position not covered by protective stop orders once a grace period has passed since it opened, grew beyond its cover, or lost a covering stop.',
  optionsSchema: optionsObject({
    graceSeconds: integer(
      'Seconds a position may stay uncovered by stop orders before its uncovered part is closed.',
      10,
      0,
    ),
  }),
  events: ['fill', 'position', 'order', 'timer'],
  create(options) {
    const graceMs = options.graceSeconds * 1000;
    return {
      evaluate(event, ctx) {
        const account = ctx.account;
        const out: RuleDecision[] = [];
        let fired: ContractId | undefined;
        if (event.kind === 'timer' && event.key.startsWith(TIMER_PREFIX)) {
          const payload = event.payload as GracePayload;
          const position = account.positions.get(payload.contractId);
          if (position && position.epoch === payload.epoch) {
            // The grace of this position is used up; a later uncovered spell gets a new timer.
            fired = payload.contractId;
            const cover = stopCover(account, position);
            if (position.size > cover) {
              const reduceTo = cover;
              out.push({
                action: reduceTo === 0 ? 'close-position' : 'reduce-position',
                contractId: position.contractId,
                ...(reduceTo === 0 ? {} : { reduceTo }),
                code: STOP_LOSS_CODES.missing,
                reason:
                  cover === 0
                    ? `${position.symbol} ${position.side} ${position.size} has no protective stop after the ${options.graceSeconds}s grace: closing it`
                    : `${position.symbol} ${position.side} ${position.size} is covered by stops for ${cover} after the ${options.graceSeconds}s grace: closing the uncovered ${position.size - cover}`,
                data: {
                  symbol: position.symbol,
                  size: position.size,
                  cover,
                  graceSeconds: options.graceSeconds,
                },
              });
            }
          }
        }
        // Keep one grace timer per uncovered position; a covered or closed position has none.
        for (const position of account.positions.values()) {
          const key = TIMER_PREFIX + position.contractId;
          const uncovered = position.size > stopCover(account, position);
          const timer = ctx.timers.get(key);
          const current = timer && (timer.payload as GracePayload).epoch === position.epoch;
          if (uncovered && !current && position.contractId !== fired) {
            ctx.timers.set(key, ctx.now + graceMs, {
              contractId: position.contractId,
              epoch: position.epoch,
            } satisfies GracePayload);
          } else if (!uncovered && timer) {
            ctx.timers.cancel(key);
          }
        }
        const touched = eventContractId(event);
        if (
          touched !== undefined &&
          !account.positions.has(touched) &&
          ctx.timers.get(TIMER_PREFIX + touched)
        ) {
          ctx.timers.cancel(TIMER_PREFIX + touched);
        }
        return out;
      },
    };
  },
  compare(previous, next) {
    return compareNumber(previous.graceSeconds, next.graceSeconds, 'lower');
  },
});
