import type { ContractId, Order } from '../domain/types.js';
import { compareCents, dollarsToMicros, formatMoney } from '../money/money.js';
import {
  defineRule,
  RULE_API_VERSION,
  type RuleDecision,
  type RuleDefinition,
  type RulePack,
  type Strictness,
} from '../rules/rule-api.js';
import type { AccountView, PositionView } from '../state/account-view.js';

/**
 * Two small rules for tests, property tests, golden traces and benchmarks of the engine. They use
 * only the public rule API, like any rule pack. They are not the standard rules (those live in
 * `@riskd/rule-pack-standard`), just enough to exercise every engine path.
 */

/** Options of {@link testContractsLimitRule}. */
export interface TestContractsLimitOptions {
  /** Most gross open contracts (sum of |size| over all contracts). */
  readonly limit: number;
  /** Also cancel working entry orders that would take the account over the limit if filled. */
  readonly countWorkingOrders: boolean;
}

/** Code of every decision of {@link testContractsLimitRule}. */
export const TEST_CONTRACTS_LIMIT = 'TEST_CONTRACTS_LIMIT';
/** Warning code of {@link testContractsLimitRule} at `warnAt`. */
export const TEST_CONTRACTS_NEAR_LIMIT = 'TEST_CONTRACTS_NEAR_LIMIT';

/**
 * Gross open contracts <= `limit`. Over it: reduce, last in first out by the most recent
 * increasing fill, until within the limit (closing positions that go to zero). With
 * `countWorkingOrders`: working entry orders that would take the account over the limit are
 * cancelled, newest first.
 */
export const testContractsLimitRule: RuleDefinition<TestContractsLimitOptions> =
  defineRule<TestContractsLimitOptions>({
    id: 'test-contracts-limit',
    title: 'Contracts limit (test rule)',
    description: 'Keeps gross open contracts at or under a limit.',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['limit'],
      properties: {
        limit: { type: 'integer', minimum: 0, description: 'Most gross open contracts.' },
        countWorkingOrders: {
          type: 'boolean',
          default: true,
          description: 'Cancel working entry orders that would take the account over the limit if filled.',
        },
      },
    },
    events: ['fill', 'position', 'order'],
    create(options) {
      return {
        evaluate(_event, ctx) {
          const account = ctx.account;
          const decisions: RuleDecision[] = [];
          let gross = 0;
          for (const position of account.positions.values()) gross += position.size;
          if (gross > options.limit) {
            let excess = gross - options.limit;
            const newestFirst = [...account.positions.values()].sort(
              (a, b) => b.lastIncreaseAt - a.lastIncreaseAt || compare(b.contractId, a.contractId),
            );
            for (const position of newestFirst) {
              if (excess <= 0) break;
              const cut = Math.min(position.size, excess);
              excess -= cut;
              const to = position.size - cut;
              decisions.push({
                action: to === 0 ? 'close-position' : 'reduce-position',
                contractId: position.contractId,
                ...(to === 0 ? {} : { reduceTo: to }),
                code: TEST_CONTRACTS_LIMIT,
                reason: `gross open contracts ${gross} over limit ${options.limit}: ${position.contract.name} ${position.size} -> ${to}`,
                data: { gross, limit: options.limit, from: position.size, to },
              });
            }
          } else if (
            ctx.instance.warnAt !== undefined &&
            gross >= ctx.instance.warnAt * options.limit &&
            gross > 0
          ) {
            const warning = ctx.warnOnce(
              TEST_CONTRACTS_NEAR_LIMIT,
              `gross open contracts ${gross} reached ${Math.round(ctx.instance.warnAt * 100)}% of limit ${options.limit}`,
              { gross, limit: options.limit },
            );
            if (warning) decisions.push(warning);
          }
          if (options.countWorkingOrders) {
            let budget = Math.max(0, options.limit - gross);
            const cancel = new Map<ContractId, number[]>();
            // Oldest orders keep the budget; the newest ones that do not fit are cancelled.
            for (const order of entryOrdersOldestFirst(account)) {
              const size = order.size - order.fillVolume;
              if (size <= budget) {
                budget -= size;
                continue;
              }
              const ids = cancel.get(order.contractId) ?? [];
              ids.push(order.id);
              cancel.set(order.contractId, ids);
            }
            for (const [contractId, orderIds] of cancel) {
              decisions.push({
                action: 'cancel-orders',
                contractId,
                orderIds,
                code: TEST_CONTRACTS_LIMIT,
                reason: `working entry orders ${orderIds.join(', ')} would take gross contracts over limit ${options.limit} (open ${gross})`,
                data: { gross, limit: options.limit, orderIds },
              });
            }
          }
          return decisions;
        },
      };
    },
    compare(previous, next): Strictness {
      if (next.limit !== previous.limit) return next.limit < previous.limit ? 'tighter' : 'looser';
      if (next.countWorkingOrders !== previous.countWorkingOrders)
        return next.countWorkingOrders ? 'tighter' : 'looser';
      return 'same';
    },
  });

/** Options of {@link testDailyLossRule}. */
export interface TestDailyLossOptions {
  /** Daily loss limit in dollars (positive: 500 means a loss of 500). */
  readonly limit: number;
}

/** Code of the breach decision of {@link testDailyLossRule}. */
export const TEST_DAILY_LOSS = 'TEST_DAILY_LOSS';
/** Warning code of {@link testDailyLossRule} at `warnAt`. */
export const TEST_DAILY_LOSS_WARNING = 'TEST_DAILY_LOSS_WARNING';

/**
 * Combined P&L (realized + unrealized) <= -`limit`, compared in cents: flatten and lock the account
 * until the next reset. Watches quotes, so a price move alone breaches it, and contract records,
 * since a position's P&L is only known once its contract's tick values arrive.
 */
export const testDailyLossRule: RuleDefinition<TestDailyLossOptions> = defineRule<TestDailyLossOptions>({
  id: 'test-daily-loss',
  title: 'Daily loss limit on combined P&L (test rule)',
  description: 'Flattens and locks the account until the reset when combined P&L reaches -limit.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['limit'],
    properties: {
      limit: { type: 'number', exclusiveMinimum: 0, description: 'Daily loss limit in dollars, positive.' },
    },
  },
  events: ['fill', 'position', 'quote', 'contract', 'account', 'reset'],
  create(options) {
    const limit = dollarsToMicros(options.limit);
    return {
      evaluate(_event, ctx) {
        const account = ctx.account;
        const combined = account.pnl.combined;
        if (compareCents(combined, -limit) <= 0) {
          // Already done: locked and nothing left to flatten.
          if (account.isLocked() && account.positions.size === 0 && account.workingOrders.size === 0)
            return [];
          return [
            {
              action: 'flatten',
              lockout: { scope: { kind: 'account' }, end: { kind: 'reset' } },
              code: TEST_DAILY_LOSS,
              reason: `combined P&L ${formatMoney(combined)} breached daily loss limit ${formatMoney(limit)}`,
              data: { combined, limit },
            },
          ];
        }
        const warnAt = ctx.instance.warnAt;
        if (warnAt !== undefined && compareCents(combined, -Math.round(limit * warnAt)) <= 0) {
          const warning = ctx.warnOnce(
            TEST_DAILY_LOSS_WARNING,
            `combined P&L ${formatMoney(combined)} reached ${Math.round(warnAt * 100)}% of daily loss limit ${formatMoney(limit)}`,
            { combined, limit },
          );
          if (warning) return [warning];
        }
        return [];
      },
    };
  },
  compare(previous, next): Strictness {
    return next.limit === previous.limit ? 'same' : next.limit < previous.limit ? 'tighter' : 'looser';
  },
});

/** The test rules as a pack, with a preset (`test-small`: 2 contracts, 500 daily loss). */
export const TEST_RULE_PACK: RulePack = Object.freeze({
  name: '@riskd/test-rules',
  version: '0.0.0',
  apiVersion: RULE_API_VERSION,
  rules: [testContractsLimitRule, testDailyLossRule],
  presets: [
    {
      id: 'test-small',
      description: 'A small account: 2 contracts, 500 daily loss.',
      rules: [
        { rule: 'test-contracts-limit', options: { limit: 2 } },
        { rule: 'test-daily-loss', options: { limit: 500 } },
      ],
    },
  ],
});

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Working orders that open or add to a position (same side as the position, or a flat contract), oldest first. */
function entryOrdersOldestFirst(account: AccountView): Order[] {
  const entries: Order[] = [];
  for (const order of account.workingOrders.values()) {
    const position: PositionView | undefined = account.positions.get(order.contractId);
    const adds = !position || (position.side === 'long') === (order.side === 'buy');
    if (adds) entries.push(order);
  }
  return entries.sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
}
