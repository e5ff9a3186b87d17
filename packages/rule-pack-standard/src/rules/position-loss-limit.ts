import { defineRule, dollarsToMicros, formatMoney, type Micros, type RuleDecision } from '@riskd/core-engine';
import { fractionOf, lossBreached, usableWarnAt } from '../lib/money-checks.js';
import { dollars, optionsObject, perSymbol } from '../lib/schema.js';
import { combineStrictness, compareNumber } from '../lib/strictness.js';
import { upperKeys } from '../lib/symbols.js';

/** Options of `position-loss-limit`. */
export interface PositionLossLimitOptions {
  /** Unrealized loss in dollars at which one position is closed. */
  readonly limit: number;
  /** Limits per symbol, replacing `limit` for that symbol. */
  readonly perSymbol: Readonly<Record<string, number>>;
}

/** Reason codes of `position-loss-limit`. */
export const POSITION_LOSS_CODES = {
  limit: 'POSITION_LOSS_LIMIT',
  warning: 'POSITION_LOSS_WARNING',
} as const;

/** `position-loss-limit`: closes one position whose unrealized loss reaches its limit (no lockout). */
export const positionLossLimitRule = defineRule<PositionLossLimitOptions>({
  id: 'position-loss-limit',
  title: 'Position loss limit',
  description:
    'Closes a position whose unrealized loss reaches its limit. Other positions and the account stay open.',
  optionsSchema: optionsObject({
    limit: dollars('Unrealized loss in dollars (positive) at which a position is closed.', 300),
    perSymbol: perSymbol(
      'Loss limits by symbol (e.g. {"ES": 500}); a symbol listed here does not use `limit`.',
      {
        type: 'number',
        exclusiveMinimum: 0,
        description: 'Loss limit in dollars for this symbol.',
      },
    ),
  }),
  events: ['fill', 'position', 'quote', 'contract'],
  create(options) {
    const defaultLimit = dollarsToMicros(options.limit);
    const perSymbolLimit = new Map<string, Micros>(
      [...upperKeys(options.perSymbol)].map(([s, v]) => [s, dollarsToMicros(v)]),
    );
    return {
      evaluate(_event, ctx) {
        const out: RuleDecision[] = [];
        const warnAt = usableWarnAt(ctx.instance.warnAt);
        for (const position of ctx.account.positions.values()) {
          const limit = perSymbolLimit.get(position.symbol) ?? defaultLimit;
          if (lossBreached(position.unrealized, limit)) {
            out.push({
              action: 'close-position',
              contractId: position.contractId,
              code: POSITION_LOSS_CODES.limit,
              reason: `${position.symbol} ${position.side} ${position.size} unrealized ${formatMoney(position.unrealized)} breached position loss limit ${formatMoney(limit)}`,
              data: { symbol: position.symbol, unrealized: position.unrealized, limit, mark: position.mark },
            });
          } else if (warnAt !== undefined && lossBreached(position.unrealized, fractionOf(limit, warnAt))) {
            const warning = ctx.warnOnce(
              POSITION_LOSS_CODES.warning,
              `${position.symbol} ${position.side} ${position.size} unrealized ${formatMoney(position.unrealized)} is within ${formatMoney(position.unrealized + limit)} of the position loss limit ${formatMoney(limit)}`,
              { symbol: position.symbol, unrealized: position.unrealized, limit, warnAt },
            );
            if (warning) out.push(warning);
          }
        }
        return out;
      },
    };
  },
  compare(previous, next) {
    return comparePerSymbolAmounts(previous.limit, previous.perSymbol, next.limit, next.perSymbol, 'lower');
  },
});

/**
 * Compares "a default amount plus per-symbol overrides" option pairs symbol by symbol (the
 * default stands for every symbol not listed). `protective` says which direction protects more.
 */
export function comparePerSymbolAmounts(
  previousDefault: number,
  previousMap: Readonly<Record<string, number>>,
  nextDefault: number,
  nextMap: Readonly<Record<string, number>>,
  protective: 'lower' | 'higher',
) {
  const p = upperKeys(previousMap);
  const n = upperKeys(nextMap);
  const parts = [compareNumber(previousDefault, nextDefault, protective)];
  for (const symbol of new Set([...p.keys(), ...n.keys()])) {
    parts.push(compareNumber(p.get(symbol) ?? previousDefault, n.get(symbol) ?? nextDefault, protective));
  }
  return combineStrictness(parts);
}
