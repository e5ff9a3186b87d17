import {
  type ContractId,
  defineRule,
  type PositionView,
  type RuleDecision,
  type Strictness,
} from '@riskd/core-engine';
import { usableWarnAt } from '../lib/money-checks.js';
import { orderExposure, remainingSize, signedSize } from '../lib/orders.js';
import { oneOf, optionsObject, perSymbol } from '../lib/schema.js';
import { combineStrictness, compareOptionalLimit, compareRank } from '../lib/strictness.js';
import { knownPositions, symbolOf, upperKeys } from '../lib/symbols.js';

/** Options of `max-contracts-per-symbol`. */
export interface MaxContractsPerSymbolOptions {
  /** Largest open size per symbol (gross over its contract months). */
  readonly limits: Readonly<Record<string, number>>;
  /** Limit of symbols not in `limits`; null: unlimited. */
  readonly defaultLimit: number | null;
  /** For symbols covered by neither `limits` nor `defaultLimit`: allow, or block (limit 0). */
  readonly unknownSymbol: 'allow' | 'block';
  /** `reduce` the symbol to its limit (newest exposure first) or `close` the symbol entirely. */
  readonly action: 'reduce' | 'close';
}

/** Reason codes of `max-contracts-per-symbol`. */
export const MAX_CONTRACTS_PER_SYMBOL_CODES = {
  positions: 'MAX_CONTRACTS_PER_SYMBOL',
  orders: 'MAX_CONTRACTS_PER_SYMBOL_ORDERS',
  unknown: 'UNKNOWN_SYMBOL_BLOCKED',
  warning: 'MAX_CONTRACTS_PER_SYMBOL_WARNING',
} as const;

/**
 * `max-contracts-per-symbol`: keeps each symbol's open size (gross over its contract months)
 * within its limit, reducing or closing only that symbol, and cancels working entry orders that
 * would exceed it.
 */
export const maxContractsPerSymbolRule = defineRule<MaxContractsPerSymbolOptions>({
  id: 'max-contracts-per-symbol',
  title: 'Maximum contracts per symbol',
  description:
    "Keeps each symbol's open size (gross over its contract months) within its limit: reduces or closes that symbol only, and cancels working entry orders that would exceed it.",
  optionsSchema: optionsObject({
    limits: perSymbol('Largest open size per symbol, e.g. {"MNQ": 2, "ES": 1}.', {
      type: 'integer',
      minimum: 0,
      description: 'Largest open size of this symbol (0 blocks it).',
    }),
    defaultLimit: {
      type: 'integer',
      nullable: true,
      minimum: 0,
      default: null,
      description: 'Limit of every symbol not listed in `limits`. Empty: unlimited.',
    },
    unknownSymbol: oneOf(
      'For a symbol covered by neither `limits` nor `defaultLimit`: allow it, or block it (close and cancel as with a limit of 0).',
      ['allow', 'block'],
      'allow',
    ),
    action: oneOf(
      'reduce: cut the symbol to its limit, newest exposure first; close: close the whole symbol.',
      ['reduce', 'close'],
      'reduce',
    ),
  }),
  events: ['fill', 'position', 'order', 'contract'],
  create(options) {
    const limits = upperKeys(options.limits);
    const limitOf = (symbol: string): { limit: number; unknown: boolean } | undefined => {
      const listed = limits.get(symbol) ?? options.defaultLimit;
      if (listed !== null && listed !== undefined) return { limit: listed, unknown: false };
      return options.unknownSymbol === 'block' ? { limit: 0, unknown: true } : undefined;
    };
    return {
      evaluate(_event, ctx) {
        const account = ctx.account;
        const bySymbol = new Map<string, PositionView[]>();
        // Positions in contracts whose record is still being fetched wait for it (their symbol is unknown).
        for (const p of knownPositions(account))
          bySymbol.set(p.symbol, [...(bySymbol.get(p.symbol) ?? []), p]);
        const ordersBySymbol = new Map<string, ContractId[]>();
        for (const o of account.workingOrders.values()) {
          const symbol = symbolOf(account, o.contractId);
          if (symbol !== undefined && !bySymbol.has(symbol)) bySymbol.set(symbol, []);
          if (symbol !== undefined)
            ordersBySymbol.set(symbol, [...(ordersBySymbol.get(symbol) ?? []), o.contractId]);
        }
        const warnAt = usableWarnAt(ctx.instance.warnAt);
        const out: RuleDecision[] = [];
        for (const [symbol, positions] of bySymbol) {
          const found = limitOf(symbol);
          if (!found) continue;
          const { limit, unknown } = found;
          const size = positions.reduce((s, p) => s + p.size, 0);
          // Open sizes after the reductions decided here, for the working-order check.
          const after = new Map<ContractId, number>(
            positions.map((p) => [p.contractId, p.side === 'long' ? p.size : -p.size]),
          );
          const what = unknown
            ? `${symbol} is not listed and unknown symbols are blocked`
            : `${symbol} open size ${size} over limit ${limit}`;
          const code = unknown
            ? MAX_CONTRACTS_PER_SYMBOL_CODES.unknown
            : MAX_CONTRACTS_PER_SYMBOL_CODES.positions;
          if (size > limit) {
            const lifo = [...positions].sort(
              (a, b) => b.lastIncreaseAt - a.lastIncreaseAt || (a.contractId < b.contractId ? -1 : 1),
            );
            let excess = options.action === 'close' ? size : size - limit;
            for (const p of lifo) {
              if (excess <= 0) break;
              const take = Math.min(p.size, excess);
              excess -= take;
              const reduceTo = p.size - take;
              after.set(p.contractId, (p.side === 'long' ? 1 : -1) * reduceTo);
              out.push({
                action: reduceTo === 0 ? 'close-position' : 'reduce-position',
                contractId: p.contractId,
                ...(reduceTo === 0 ? {} : { reduceTo }),
                code,
                reason: `${what}: ${reduceTo === 0 ? `closing ${p.contract.name} ${p.side} ${p.size}` : `reducing ${p.contract.name} ${p.side} ${p.size} to ${reduceTo}`}`,
                data: { symbol, size, limit, contractId: p.contractId, reduceTo },
              });
            }
          } else if (warnAt !== undefined && limit > 0 && size >= Math.round(limit * warnAt)) {
            const warning = ctx.warnOnce(
              MAX_CONTRACTS_PER_SYMBOL_CODES.warning,
              `${symbol} open size ${size} reached ${Math.round(warnAt * 100)}% of limit ${limit}`,
              { symbol, size, limit, warnAt },
            );
            if (warning) out.push(warning);
          }
          // Working entry orders of the symbol, newest first, while filling them could exceed the limit.
          const contractIds = new Set(ordersBySymbol.get(symbol) ?? []);
          if (contractIds.size === 0) continue;
          let potential = [...after.values()].reduce((s, v) => s + Math.abs(v), 0);
          const entries = [...account.workingOrders.values()]
            .filter((o) => contractIds.has(o.contractId))
            .map((o) => ({
              order: o,
              exposure: orderExposure(o, signedSize(account.positions.get(o.contractId))),
            }))
            .filter((e) => e.exposure > 0);
          potential += entries.reduce((s, e) => s + e.exposure, 0);
          if (potential <= limit) continue;
          const initial = potential;
          entries.sort((a, b) => b.order.createdAt - a.order.createdAt || b.order.id - a.order.id);
          const cancel = new Map<ContractId, number[]>();
          for (const e of entries) {
            if (potential <= limit) break;
            potential -= e.exposure;
            cancel.set(e.order.contractId, [...(cancel.get(e.order.contractId) ?? []), e.order.id]);
          }
          for (const [contractId, orderIds] of cancel) {
            out.push({
              action: 'cancel-orders',
              contractId,
              orderIds,
              code: unknown ? MAX_CONTRACTS_PER_SYMBOL_CODES.unknown : MAX_CONTRACTS_PER_SYMBOL_CODES.orders,
              reason: `${unknown ? what : `working entry orders could take ${symbol} to ${initial} over limit ${limit}`}: cancelling ${orderIds
                .map((id) => {
                  const o = account.workingOrders.get(id);
                  return `order ${id}${o ? ` (${o.side} ${remainingSize(o)})` : ''}`;
                })
                .join(', ')}`,
              data: { symbol, potential: initial, limit, orderIds },
            });
          }
        }
        return out;
      },
    };
  },
  compare(previous, next): Strictness {
    const effective = (o: MaxContractsPerSymbolOptions, symbol: string | null): number | null => {
      const listed = symbol === null ? undefined : upperKeys(o.limits).get(symbol);
      if (listed !== undefined) return listed;
      if (o.defaultLimit !== null) return o.defaultLimit;
      return o.unknownSymbol === 'block' ? 0 : null;
    };
    const symbols = new Set([...upperKeys(previous.limits).keys(), ...upperKeys(next.limits).keys()]);
    return combineStrictness([
      // `null` stands for a symbol listed in neither option set.
      ...[...symbols, null].map((s) => compareOptionalLimit(effective(previous, s), effective(next, s))),
      compareRank(previous.action, next.action, ['reduce', 'close']),
    ]);
  },
});
