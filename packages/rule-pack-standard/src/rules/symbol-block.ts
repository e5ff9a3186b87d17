import { type ContractId, defineRule, type RuleDecision, type Strictness } from '@riskd/core-engine';
import { lockedUntilCondition, symbolScope } from '../lib/account-helpers.js';
import { optionsObject } from '../lib/schema.js';
import { knownPositions, SYMBOL_WILDCARD_PATTERN, SymbolMatcher, symbolOf } from '../lib/symbols.js';

/** Options of `symbol-block`. */
export interface SymbolBlockOptions {
  /** Blocked symbols; `*` matches any run of characters and `?` one (`M*` blocks every micro). */
  readonly symbols: readonly string[];
}

/** Reason codes of `symbol-block`. */
export const SYMBOL_BLOCK_CODES = { blocked: 'SYMBOL_BLOCKED' } as const;

const UNBLOCKED = { kind: 'condition', condition: 'symbol-unblocked' } as const;

/**
 * `symbol-block`: an order, fill or position in a blocked symbol has its orders cancelled and its
 * positions closed, and the symbol is locked on the account until it is unblocked (a loosening
 * change, so at the next reset unless forced).
 */
export const symbolBlockRule = defineRule<SymbolBlockOptions>({
  id: 'symbol-block',
  title: 'Symbol block',
  description:
    'Cancels orders and closes positions in blocked symbols and locks those symbols until they are unblocked.',
  optionsSchema: optionsObject({
    symbols: {
      type: 'array',
      items: { type: 'string', pattern: SYMBOL_WILDCARD_PATTERN },
      uniqueItems: true,
      default: [],
      description: 'Blocked symbols; wildcards allowed: "*" any characters, "?" one (e.g. ["CL", "M*"]).',
    },
  }),
  events: ['order', 'fill', 'position', 'quote', 'contract'],
  create(options) {
    const matcher = new SymbolMatcher(options.symbols);
    const patternOf = (symbol: string): string =>
      options.symbols.find((p) => new SymbolMatcher([p]).matches(symbol)) ?? symbol;
    return {
      evaluate(event, ctx) {
        const account = ctx.account;
        if (event.kind === 'quote') {
          // Hot path: only the quoted contract can have changed.
          const symbol = account.positions.has(event.quote.contractId)
            ? symbolOf(account, event.quote.contractId)
            : undefined;
          if (symbol === undefined || !matcher.matches(symbol)) return [];
        }
        const positions = new Map<string, ContractId[]>();
        const orders = new Map<ContractId, number[]>();
        const symbols = new Set<string>();
        for (const p of knownPositions(account)) {
          if (!matcher.matches(p.symbol)) continue;
          symbols.add(p.symbol);
          positions.set(p.symbol, [...(positions.get(p.symbol) ?? []), p.contractId]);
        }
        const orderSymbol = new Map<ContractId, string>();
        for (const o of account.workingOrders.values()) {
          const symbol = symbolOf(account, o.contractId);
          if (symbol === undefined || !matcher.matches(symbol)) continue;
          symbols.add(symbol);
          orderSymbol.set(o.contractId, symbol);
          orders.set(o.contractId, [...(orders.get(o.contractId) ?? []), o.id]);
        }
        const touched =
          event.kind === 'fill'
            ? event.fill.contractId
            : event.kind === 'order'
              ? event.order.contractId
              : undefined;
        const touchedSymbol = touched === undefined ? undefined : symbolOf(account, touched);
        if (touchedSymbol !== undefined && matcher.matches(touchedSymbol)) symbols.add(touchedSymbol);

        const out: RuleDecision[] = [];
        for (const symbol of [...symbols].sort()) {
          const lockout = { scope: symbolScope(symbol), end: UNBLOCKED };
          const head = `${symbol} is blocked (${patternOf(symbol)})`;
          const data = { symbol, pattern: patternOf(symbol) };
          const before = out.length;
          for (const contractId of positions.get(symbol) ?? []) {
            const p = account.positions.get(contractId);
            if (!p) continue;
            out.push({
              action: 'close-position',
              contractId,
              lockout,
              code: SYMBOL_BLOCK_CODES.blocked,
              reason: `${head}: closing ${p.contract.name} ${p.side} ${p.size}, ${symbol} locked until unblocked`,
              data,
            });
          }
          for (const [contractId, orderIds] of orders) {
            if (orderSymbol.get(contractId) !== symbol) continue;
            out.push({
              action: 'cancel-orders',
              contractId,
              orderIds,
              lockout,
              code: SYMBOL_BLOCK_CODES.blocked,
              reason: `${head}: cancelling orders ${orderIds.join(', ')}, ${symbol} locked until unblocked`,
              data,
            });
          }
          if (
            out.length === before &&
            !lockedUntilCondition(account, symbolScope(symbol), 'symbol-unblocked')
          ) {
            out.push({
              action: 'none',
              lockout,
              code: SYMBOL_BLOCK_CODES.blocked,
              reason: `${head}: ${symbol} locked until unblocked`,
              data,
            });
          }
        }
        return out;
      },
      conditionHolds(lockout) {
        // The lockout lasts while this instance (with its current options) still blocks the symbol.
        return (
          lockout.end.kind === 'condition' &&
          lockout.end.condition === 'symbol-unblocked' &&
          lockout.scope.kind === 'symbol' &&
          matcher.matches(lockout.scope.symbol)
        );
      },
    };
  },
  compare(previous, next): Strictness {
    // A pattern stays covered when the other set holds it, or (a plain symbol) matches it.
    const covered = (pattern: string, by: readonly string[]): boolean => {
      const upper = pattern.toUpperCase();
      if (by.some((b) => b.toUpperCase() === upper)) return true;
      return !/[*?]/.test(upper) && new SymbolMatcher(by).matches(upper);
    };
    if (previous.symbols.some((p) => !covered(p, next.symbols))) return 'looser';
    return next.symbols.some((n) => !covered(n, previous.symbols)) ? 'tighter' : 'same';
  },
});
