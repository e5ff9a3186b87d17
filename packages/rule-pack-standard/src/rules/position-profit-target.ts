import { defineRule, dollarsToMicros, formatMoney, type Micros, type RuleDecision } from '@riskd/core-engine';
import { fractionOf, targetHit, usableWarnAt } from '../lib/money-checks.js';
import { dollars, optionsObject, perSymbol } from '../lib/schema.js';
import { upperKeys } from '../lib/symbols.js';
import { comparePerSymbolAmounts } from './position-loss-limit.js';

/** Options of `position-profit-target`. */
export interface PositionProfitTargetOptions {
  /** Unrealized profit in dollars at which one position is closed (take profit). */
  readonly target: number;
  /** Targets per symbol, replacing `target` for that symbol. */
  readonly perSymbol: Readonly<Record<string, number>>;
}

/** Reason codes of `position-profit-target`. */
export const POSITION_PROFIT_CODES = {
  target: 'POSITION_PROFIT_TARGET',
  warning: 'POSITION_PROFIT_WARNING',
} as const;

/** `position-profit-target`: closes one position whose unrealized profit reaches its target (no lockout). */
export const positionProfitTargetRule = defineRule<PositionProfitTargetOptions>({
  id: 'position-profit-target',
  title: 'Position profit target',
  description: 'Closes a position whose unrealized profit reaches its target (take profit). No lockout.',
  optionsSchema: optionsObject({
    target: dollars('Unrealized profit in dollars at which a position is closed.', 1000),
    perSymbol: perSymbol(
      'Profit targets by symbol (e.g. {"NQ": 800}); a symbol listed here does not use `target`.',
      {
        type: 'number',
        exclusiveMinimum: 0,
        description: 'Profit target in dollars for this symbol.',
      },
    ),
  }),
  events: ['fill', 'position', 'quote', 'contract'],
  create(options) {
    const defaultTarget = dollarsToMicros(options.target);
    const perSymbolTarget = new Map<string, Micros>(
      [...upperKeys(options.perSymbol)].map(([s, v]) => [s, dollarsToMicros(v)]),
    );
    return {
      evaluate(_event, ctx) {
        const out: RuleDecision[] = [];
        const warnAt = usableWarnAt(ctx.instance.warnAt);
        for (const position of ctx.account.positions.values()) {
          const target = perSymbolTarget.get(position.symbol) ?? defaultTarget;
          if (targetHit(position.unrealized, target)) {
            out.push({
              action: 'close-position',
              contractId: position.contractId,
              code: POSITION_PROFIT_CODES.target,
              reason: `${position.symbol} ${position.side} ${position.size} unrealized ${formatMoney(position.unrealized)} reached position profit target ${formatMoney(target)}`,
              data: { symbol: position.symbol, unrealized: position.unrealized, target, mark: position.mark },
            });
          } else if (warnAt !== undefined && targetHit(position.unrealized, fractionOf(target, warnAt))) {
            const warning = ctx.warnOnce(
              POSITION_PROFIT_CODES.warning,
              `${position.symbol} ${position.side} ${position.size} unrealized ${formatMoney(position.unrealized)} is within ${formatMoney(target - position.unrealized)} of the position profit target ${formatMoney(target)}`,
              { symbol: position.symbol, unrealized: position.unrealized, target, warnAt },
            );
            if (warning) out.push(warning);
          }
        }
        return out;
      },
    };
  },
  compare(previous, next) {
    return comparePerSymbolAmounts(previous.target, previous.perSymbol, next.target, next.perSymbol, 'lower');
  },
});
