import type { AccountView, Lockout, LockoutHold } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_SCOPE, lockedAtLeastUntil, lockedUntilCondition } from './account-helpers.js';

const RESET = Date.parse('2026-01-06T23:00:00Z');

/** The config fail-safe shown on top of a daily-loss lock that holds until the reset. */
const failsafeOverDailyLoss: Lockout = {
  id: '1:account',
  accountId: 1,
  scope: { kind: 'account' },
  ruleId: 'riskd-control',
  instanceId: 'riskd.control',
  code: 'CONFIG_FAILSAFE',
  reason: 'config file invalid',
  startedAt: RESET - 3_600_000,
  end: { kind: 'condition', condition: 'config-valid' },
  holds: [
    {
      ruleId: 'daily-loss-limit',
      instanceId: 'daily-loss-limit',
      code: 'DAILY_LOSS_LIMIT',
      reason: 'combined P&L -512.50 breached daily loss limit 500.00',
      startedAt: RESET - 7_200_000,
      end: { kind: 'at', at: RESET },
    },
  ],
};

function accountWith(lockout: Lockout): AccountView {
  // The helpers read only the account id and its lockouts.
  return { accountId: 1, lockouts: new Map([[lockout.id, lockout]]) } as unknown as AccountView;
}

describe('lockout helpers of the standard rules', () => {
  it('when a condition is shown on top of a lock until the reset then the account counts as locked until the reset', () => {
    const account = accountWith(failsafeOverDailyLoss);
    expect(lockedAtLeastUntil(account, ACCOUNT_SCOPE, RESET)).toBe(true);
    expect(lockedAtLeastUntil(account, ACCOUNT_SCOPE, RESET + 1)).toBe(false);
    expect(lockedUntilCondition(account, ACCOUNT_SCOPE, 'config-valid')).toBe(true);
    expect(lockedUntilCondition(account, ACCOUNT_SCOPE, 'can-trade')).toBe(false);
  });

  it('when a condition is held under a time lock then the condition counts as held', () => {
    const canTrade: LockoutHold = {
      ruleId: 'broker-trading-disabled',
      instanceId: 'broker-trading-disabled',
      code: 'BROKER_TRADING_DISABLED',
      reason: 'the broker reports canTrade false',
      startedAt: RESET - 60_000,
      end: { kind: 'condition', condition: 'can-trade' },
    };
    const dailyFirst: Lockout = {
      id: '1:account',
      accountId: 1,
      scope: { kind: 'account' },
      ruleId: 'daily-loss-limit',
      instanceId: 'daily-loss-limit',
      code: 'DAILY_LOSS_LIMIT',
      reason: 'combined P&L -512.50 breached daily loss limit 500.00',
      startedAt: RESET - 7_200_000,
      end: { kind: 'at', at: RESET },
      holds: [canTrade],
    };
    const account = accountWith(dailyFirst);
    expect(lockedUntilCondition(account, ACCOUNT_SCOPE, 'can-trade')).toBe(true);
    expect(lockedAtLeastUntil(account, ACCOUNT_SCOPE, RESET)).toBe(true);
  });
});
