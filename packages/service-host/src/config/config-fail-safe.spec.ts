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
    expect(state).toEqual({ startedAt: T0, problems });
  });

  it('when an account lockout was in force then the fail-safe joins it as a hold, and lifting the fail-safe leaves it', () => {
    const daily = dailyLoss(70001, T0 + 3_600_000);
    const { lockouts } = startConfigFailSafe([70001], [daily], T0, problems);
    expect(lockouts.map((l) => [l.code, (l.holds ?? []).map((h) => h.code)])).toEqual([
      ['CONFIG_INVALID', ['DAILY_LOSS_LIMIT']],
    ]);
    expect(lockouts.every(isConfigFailSafeLockout)).toBe(true);
    const { lift, keep } = endConfigFailSafe(lockouts, T0 + 60_000);
    expect(lift).toEqual([]);
    expect(keep).toEqual([daily]);
  });

  it('when the other lockout has ended by the time the file is fixed then the whole lockout lifts', () => {
    const daily = dailyLoss(70001, T0 + 60_000);
    const { lockouts } = startConfigFailSafe([70001], [daily], T0, problems);
    const ended = endConfigFailSafe([...lockouts, daily], T0 + 120_000);
    // Only lockouts the fail-safe holds are touched.
    expect(ended).toEqual({ lift: lockouts, keep: [] });
  });

  it('when the file breaks again while the fail-safe holds then accounts already held are not held twice', () => {
    const first = startConfigFailSafe([70001], [], T0, problems);
    const again = startConfigFailSafe([70001, 70002], first.lockouts, T0 + 5000, problems, first.state);
    expect(again.lockouts.map((l) => l.accountId)).toEqual([70002]);
    expect(again.state.startedAt).toBe(T0);
  });
});
