import { defineRule } from '@riskd/core-engine';
import { ACCOUNT_SCOPE, hasExposure, lockedUntilCondition } from '../lib/account-helpers.js';
import { optionsObject } from '../lib/schema.js';

/** `broker-trading-disabled` has no options. */
export type BrokerTradingDisabledOptions = Record<string, never>;

/** Reason codes of `broker-trading-disabled`. */
export const BROKER_TRADING_DISABLED_CODES = { disabled: 'BROKER_TRADING_DISABLED' } as const;

/**
 * `broker-trading-disabled`: when the broker reports `canTrade: false` for the account (e.g. the
 * firm liquidated or suspended it), Riskd alerts, flattens what can still be closed and locks the
 * account until the broker reports `canTrade: true` again.
 */
export const brokerTradingDisabledRule = defineRule<BrokerTradingDisabledOptions>({
  id: 'broker-trading-disabled',
  title: 'Broker disabled trading',
  description:
    'When the broker reports that the account cannot trade, alerts, flattens what can still be closed and locks the account until trading is allowed again.',
  optionsSchema: optionsObject({}),
  events: ['account', 'fill', 'position', 'order'],
  create() {
    return {
      evaluate(_event, ctx) {
        const account = ctx.account.account;
        if (!account || account.canTrade) return [];
        if (!hasExposure(ctx.account) && lockedUntilCondition(ctx.account, ACCOUNT_SCOPE, 'can-trade'))
          return [];
        return [
          {
            action: 'flatten',
            lockout: { scope: ACCOUNT_SCOPE, end: { kind: 'condition', condition: 'can-trade' } },
            code: BROKER_TRADING_DISABLED_CODES.disabled,
            reason: `the broker reports canTrade false for account ${account.name} (${account.id}): flatten what can still be closed, locked until trading is allowed again`,
            severity: 'critical',
            data: {
              canTrade: false,
              positions: ctx.account.positions.size,
              workingOrders: ctx.account.workingOrders.size,
            },
          },
        ];
      },
    };
  },
  compare() {
    return 'same';
  },
});
