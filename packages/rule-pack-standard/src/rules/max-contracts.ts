import {
  type AccountView,
  type ContractId,
  defineRule,
  type PositionView,
  type RuleDecision,
} from '@riskd/core-engine';
import { formatContracts, toMilli } from '../lib/contracts-count.js';
import { usableWarnAt } from '../lib/money-checks.js';
import { orderExposure, remainingSize, signedSize } from '../lib/orders.js';
import { boolean, oneOf, optionsObject, perSymbol } from '../lib/schema.js';
import { combineStrictness, compareFlag, compareNumber, compareRank } from '../lib/strictness.js';
import { hasUnknownContracts, symbolOf, upperKeys } from '../lib/symbols.js';

/** Options of `max-contracts`. */
export interface MaxContractsOptions {
  /** Largest weighted number of open contracts. */
  readonly limit: number;
  /** `gross`: the sum of |size| over all contracts; `net`: |sum of signed sizes|. */
  readonly count: 'gross' | 'net';
  /** Weight per symbol (1 when absent); the Topstep presets weight micros 0.1. */
  readonly weights: Readonly<Record<string, number>>;
  /** `reduce` the newest exposure until within the limit, or `close-all` (flatten the account). */
  readonly action: 'reduce' | 'close-all';
  /** Cancel working entry orders that would take the account over the limit if filled. */
  readonly countWorkingOrders: boolean;
}

/** Reason codes of `max-contracts`. */
export const MAX_CONTRACTS_CODES = {
  positions: 'MAX_CONTRACTS',
  orders: 'MAX_CONTRACTS_ORDERS',
  warning: 'MAX_CONTRACTS_WARNING',
} as const;

/**
 * `max-contracts`: keeps the weighted open contracts of the account within a limit by reducing
 * the most recently increased positions first (or closing everything), and cancels working entry
 * orders that would breach it.
 */
export const maxContractsRule = defineRule<MaxContractsOptions>({
  id: 'max-contracts',
  title: 'Maximum contracts',
  description:
    'Keeps the weighted number of open contracts within a limit: reduces the most recently increased positions first (or closes all) and cancels working entry orders that would exceed it.',
  optionsSchema: optionsObject({
    limit: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 5,
      description: 'Largest weighted number of open contracts (e.g. 5 minis, or 50 micros weighted 0.1).',
    },
    count: oneOf(
      'gross: the sum of |size| over all contracts; net: the absolute sum of signed sizes (long +, short -).',
      ['gross', 'net'],
      'gross',
    ),
    weights: perSymbol('Weight per symbol (1 for symbols not listed), e.g. {"MNQ": 0.1, "MES": 0.1}.', {
      type: 'number',
      minimum: 0,
      description: 'How many contracts one contract of this symbol counts as.',
    }),
    action: oneOf(
      'reduce: cut the most recently increased positions by ceil(excess / weight) contracts until within the limit; close-all: flatten the account.',
      ['reduce', 'close-all'],
      'reduce',
    ),
    countWorkingOrders: boolean(
      'Cancel working entry orders, newest first, that would take the account over the limit if filled.',
      true,
    ),
  }),
  events: ['fill', 'position', 'order', 'contract'],
  create(options) {
    const weights = new Map([...upperKeys(options.weights)].map(([s, w]) => [s, toMilli(w)]));
    const limit = toMilli(options.limit);
    const weightOf = (symbol: string | undefined): number =>
      symbol === undefined ? toMilli(1) : (weights.get(symbol) ?? toMilli(1));

    return {
      evaluate(_event, ctx) {
        const account = ctx.account;
        // Weights are by symbol: acting on a stand-in contract could cut ten times too much.
        if (hasUnknownContracts(account)) return [];
        const out: RuleDecision[] = [];
        // Signed sizes after the reductions decided here, for the working-order check.
        const sizes = new Map<ContractId, number>();
        for (const p of account.positions.values())
          sizes.set(p.contractId, p.side === 'long' ? p.size : -p.size);
        const count = countOf(account.positions.values(), weightOf, options.count);

        if (count > limit) {
          const head = `weighted open contracts ${formatContracts(count)} (${options.count}) over limit ${formatContracts(limit)}`;
          if (options.action === 'close-all') {
            return [
              {
                action: 'flatten',
                code: MAX_CONTRACTS_CODES.positions,
                reason: `${head}: closing all positions`,
                data: { count: count / 1000, limit: options.limit, basis: options.count },
              },
            ];
          }
          out.push(...reduceNewestFirst(account, count, limit, weightOf, options.count, head, sizes));
        } else {
          const warnAt = usableWarnAt(ctx.instance.warnAt);
          if (warnAt !== undefined && count >= Math.round(limit * warnAt)) {
            const warning = ctx.warnOnce(
              MAX_CONTRACTS_CODES.warning,
              `weighted open contracts ${formatContracts(count)} (${options.count}) reached ${Math.round(warnAt * 100)}% of limit ${formatContracts(limit)}`,
              { count: count / 1000, limit: options.limit, warnAt },
            );
            if (warning) out.push(warning);
          }
        }
        if (options.countWorkingOrders)
          out.push(...cancelExcessOrders(account, sizes, limit, weightOf, options.count));
        return out;
      },
    };
  },
  compare(previous, next) {
    const p = upperKeys(previous.weights);
    const n = upperKeys(next.weights);
    const weightParts = [...new Set([...p.keys(), ...n.keys()])].map((s) =>
      compareNumber(p.get(s) ?? 1, n.get(s) ?? 1, 'higher'),
    );
    return combineStrictness([
      compareNumber(previous.limit, next.limit, 'lower'),
      compareRank(previous.count, next.count, ['net', 'gross']),
      ...weightParts,
      compareRank(previous.action, next.action, ['reduce', 'close-all']),
      compareFlag(previous.countWorkingOrders, next.countWorkingOrders),
    ]);
  },
});

function countOf(
  positions: Iterable<PositionView>,
  weightOf: (symbol: string) => number,
  mode: 'gross' | 'net',
): number {
  let gross = 0;
  let net = 0;
  for (const p of positions) {
    const w = weightOf(p.symbol) * p.size;
    gross += w;
    net += p.side === 'long' ? w : -w;
  }
  return mode === 'gross' ? gross : Math.abs(net);
}

/** Reductions, last in first out by the most recent increasing fill, until within the limit. */
function reduceNewestFirst(
  account: AccountView,
  count: number,
  limit: number,
  weightOf: (symbol: string) => number,
  mode: 'gross' | 'net',
  head: string,
  sizes: Map<ContractId, number>,
): RuleDecision[] {
  let netSign = 0;
  if (mode === 'net') {
    for (const p of account.positions.values())
      netSign += (p.side === 'long' ? 1 : -1) * weightOf(p.symbol) * p.size;
    netSign = Math.sign(netSign);
  }
  const candidates = [...account.positions.values()]
    .filter((p) => weightOf(p.symbol) > 0 && (mode === 'gross' || (p.side === 'long' ? 1 : -1) === netSign))
    .sort((a, b) => b.lastIncreaseAt - a.lastIncreaseAt || (a.contractId < b.contractId ? -1 : 1));
  const out: RuleDecision[] = [];
  let excess = count - limit;
  for (const p of candidates) {
    if (excess <= 0) break;
    const w = weightOf(p.symbol);
    const take = Math.min(p.size, Math.ceil(excess / w));
    const reduceTo = p.size - take;
    excess -= take * w;
    sizes.set(p.contractId, (p.side === 'long' ? 1 : -1) * reduceTo);
    out.push({
      action: reduceTo === 0 ? 'close-position' : 'reduce-position',
      contractId: p.contractId,
      ...(reduceTo === 0 ? {} : { reduceTo }),
      code: MAX_CONTRACTS_CODES.positions,
      reason: `${head}: ${reduceTo === 0 ? `closing ${p.symbol} ${p.side} ${p.size}` : `reducing ${p.symbol} ${p.side} ${p.size} to ${reduceTo}`}`,
      data: {
        symbol: p.symbol,
        size: p.size,
        reduceTo,
        weight: w / 1000,
        limit: limit / 1000,
        count: count / 1000,
      },
    });
  }
  return out;
}

/** Cancels working entry orders, newest first, while filling them could exceed the limit. */
function cancelExcessOrders(
  account: AccountView,
  sizes: ReadonlyMap<ContractId, number>,
  limit: number,
  weightOf: (symbol: string | undefined) => number,
  mode: 'gross' | 'net',
): RuleDecision[] {
  let gross = 0;
  let net = 0;
  for (const [contractId, size] of sizes) {
    const w = weightOf(symbolOf(account, contractId)) * size;
    gross += Math.abs(w);
    net += w;
  }
  interface Pending {
    readonly orderId: number;
    readonly contractId: ContractId;
    readonly createdAt: number;
    /** Weighted contracts it adds to the gross count. */
    readonly grossAdd: number;
    /** Weighted signed contracts it adds to the net count if it fills. */
    readonly netAdd: number;
    readonly entry: boolean;
    readonly label: string;
  }
  const pending: Pending[] = [];
  for (const order of account.workingOrders.values()) {
    const symbol = symbolOf(account, order.contractId);
    const w = weightOf(symbol);
    // Entry or not is judged against the position as it is now: a close Riskd is sending is
    // protective now, even though the position is counted at its reduced size below.
    const exposure = orderExposure(order, signedSize(account.positions.get(order.contractId)));
    pending.push({
      orderId: order.id,
      contractId: order.contractId,
      createdAt: order.createdAt,
      grossAdd: w * exposure,
      netAdd: (order.side === 'buy' ? 1 : -1) * w * remainingSize(order),
      entry: exposure > 0 && w > 0,
      label: `${symbol ?? order.contractId} ${order.side} ${remainingSize(order)}`,
    });
  }
  const worst = (list: readonly Pending[]): number => {
    if (mode === 'gross') return gross + list.reduce((s, p) => s + p.grossAdd, 0);
    let long = net;
    let short = net;
    for (const p of list) {
      if (p.netAdd > 0) long += p.netAdd;
      else short += p.netAdd;
    }
    return Math.max(Math.abs(long), Math.abs(short));
  };
  let live = pending;
  const initial = worst(live);
  if (initial <= limit) return [];
  const newestFirst = pending
    .filter((p) => p.entry)
    .sort((a, b) => b.createdAt - a.createdAt || b.orderId - a.orderId);
  const cancelled: Pending[] = [];
  for (const p of newestFirst) {
    if (worst(live) <= limit) break;
    live = live.filter((x) => x !== p);
    cancelled.push(p);
  }
  const byContract = new Map<ContractId, Pending[]>();
  for (const p of cancelled) byContract.set(p.contractId, [...(byContract.get(p.contractId) ?? []), p]);
  return [...byContract].map(([contractId, list]) => ({
    action: 'cancel-orders' as const,
    contractId,
    orderIds: list.map((p) => p.orderId),
    code: MAX_CONTRACTS_CODES.orders,
    reason: `working entry orders could take weighted contracts to ${formatContracts(initial)} (${mode}) over limit ${formatContracts(limit)}: cancelling ${list.map((p) => `order ${p.orderId} (${p.label})`).join(', ')}`,
    data: { orderIds: list.map((p) => p.orderId), potential: initial / 1000, limit: limit / 1000 },
  }));
}
