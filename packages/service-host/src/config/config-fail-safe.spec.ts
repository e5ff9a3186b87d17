import { lockoutId, type Lockout } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_FAIL_SAFE,
  endConfigFailSafe,
  isConfigFailSafeLockout,
  startConfigFailSafe,
} from './config-fail-safe.js';

const T0 = Date.parse('2026-03-02T15:00:00Z');
const problems = [{ path: 'rules[0].options.limit', message: 'must be > 0' }];

function dailyLoss(accountId: number, endsAt: number): Lockout {
  return {
    id: lockoutId(accountId, { kind: 'account' }),
    accountId,
    scope: { kind: 'account' },
    ruleId: 'daily-loss-limit',
    instanceId: 'daily-loss-limit',
    code: 'DAILY_LOSS_LIMIT',
    reason: 'combined P&L -512.50 breached daily loss limit 500.00',
    startedAt: T0 - 60_000,
    end: { kind: 'at', at: endsAt },
  };
}

describe('config fail-safe lockouts', () => {
  it('when the file breaks then every account gets a block-entries lockout ending with config-valid', () => {
    const { lockouts, state } = startConfigFailSafe([70001, 70002], [], T0, problems);
    expect(lockouts).toEqual(
      [70001, 70002].map((accountId) => ({
        id: `${accountId}:account`,
        accountId,
        scope: { kind: 'account' },
        ruleId: CONFIG_FAIL_SAFE.ruleId,
        instanceId: CONFIG_FAIL_SAFE.instanceId,
        code: 'CONFIG_INVALID',
        reason:
          'the config file is invalid (1 problem: rules[0].options.limit: must be > 0); new entries are blocked until a valid config is loaded',
        startedAt: T0,
        end: { kind: 'condition', condition: 'config-valid' },
      })),
    );
    expect(lockouts.every(isConfigFailSafeLockout)).toBe(true);
    expect(state).toEqual({ startedAt: T0, problems, superseded: [] });
  });

  it('when an account lockout was in force then the fail-safe keeps it aside and puts it back when lifted', () => {
    const daily = dailyLoss(70001, T0 + 3_600_000);
    const { lockouts, state } = startConfigFailSafe([70001], [daily], T0, problems);
    expect(state.superseded).toEqual([daily]);
    const { lift, restore } = endConfigFailSafe(state, lockouts, T0 + 60_000);
    expect(lift).toEqual(lockouts);
    expect(restore).toEqual([daily]);
  });

  it('when the replaced lockout has ended by the time the file is fixed then it is not put back', () => {
    const daily = dailyLoss(70001, T0 + 60_000);
    const { lockouts, state } = startConfigFailSafe([70001], [daily], T0, problems);
    expect(endConfigFailSafe(state, lockouts, T0 + 120_000).restore).toEqual([]);
  });

  it('when the file breaks again while the fail-safe holds then accounts already locked are not locked twice', () => {
    const first = startConfigFailSafe([70001], [], T0, problems);
    const again = startConfigFailSafe([70001, 70002], first.lockouts, T0 + 5000, problems, first.state);
    expect(again.lockouts.map((l) => l.accountId)).toEqual([70002]);
    expect(again.state.startedAt).toBe(T0);
  });
});
