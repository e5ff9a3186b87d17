import { type RiskdApiError, RiskdClient } from '@riskd/api-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonDesk, fakeBrokerConfig, MNQ, TUESDAY_RESET } from './helpers/daemon-harness.js';
import { runCli } from './helpers/cli-run.js';
import { waitFor } from './helpers/sim-env.js';

let desk: DaemonDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

const maxContracts = (limit: number) =>
  fakeBrokerConfig({ rules: [{ rule: 'max-contracts', options: { limit } }] });

describe('hot reload and the rule-change discipline', () => {
  it('when the file tightens a limit it applies at once; a loosening waits for the reset; a forced one applies now and is alerted', async () => {
    // Five minutes before Tuesday's reset: moving the fake clock over hours would run every periodic timer.
    desk = new DaemonDesk('2026-01-06T22:55:00Z');
    desk.writeConfig(maxContracts(3));
    expect(
      (
        await runCli(['admin', 'set-password', '--stdin', '--config', desk.configPath], {
          stdin: 'admin-pass-1',
        })
      ).code,
    ).toBe(0);
    const { daemon, ready } = await desk.start();
    const client = new RiskdClient({ baseUrl: ready.apiUrl as string });
    const alerts: string[] = [];
    daemon.hub.subscribe((e) => e.type === 'alert' && alerts.push(`${e.alert.severity}:${e.alert.kind}`));
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(1, MNQ, 'buy', 3);
    await desk.advance(100);
    expect(desk.broker.netSize(1, MNQ)).toBe(3);
    const revision = (await client.status()).config.revision;

    // Tighter: in force at once (the next fill is measured against 2).
    desk.writeConfig(maxContracts(2));
    await daemon.config.checkFile();
    expect((await client.status()).config.revision).toBe(revision + 1);
    desk.broker.trade(1, MNQ, 'buy', 1);
    await desk.advance(100);
    expect(desk.broker.netSize(1, MNQ)).toBe(2);

    // Looser: waits for the next trading-day reset.
    desk.writeConfig(maxContracts(5));
    await daemon.config.checkFile();
    const rules = await client.rules({ accountId: 1 });
    expect(rules.accounts[0]?.rules.find((r) => r.ruleId === 'max-contracts')?.options['limit']).toBe(2);
    expect(rules.accounts[0]?.pending).toEqual([
      expect.objectContaining({ appliesAt: new Date(TUESDAY_RESET).toISOString() }),
    ]);
    desk.broker.trade(1, MNQ, 'buy', 2);
    await desk.advance(100);
    expect(desk.broker.netSize(1, MNQ)).toBe(2);

    // The reset comes: the loosening is in force.
    await desk.clock.set(TUESDAY_RESET + 1_000);
    await desk.advance(0);
    expect((await client.rules({ accountId: 1 })).accounts[0]?.pending).toEqual([]);
    desk.broker.trade(1, MNQ, 'buy', 2);
    await desk.advance(100);
    expect(desk.broker.netSize(1, MNQ)).toBe(4);

    // Through the API: a loosening without force waits; forced without a reason is refused;
    // forced with a reason applies now, audited and alerted.
    await client.login('admin', 'admin-pass-1');
    const waiting = await client.putRulesConfig({
      rules: [{ rule: 'max-contracts', options: { limit: 8 } }],
    });
    expect(waiting.changes).toEqual([
      expect.objectContaining({ strictness: 'looser', forced: false, appliesAt: expect.any(String) }),
    ]);
    const refused = await client
      .putRulesConfig({ rules: [{ rule: 'max-contracts', options: { limit: 8 } }], force: true })
      .catch((e: unknown) => e);
    expect((refused as RiskdApiError).status).toBe(400);
    const forced = await client.putRulesConfig({
      rules: [{ rule: 'max-contracts', options: { limit: 9 } }],
      force: true,
      reason: 'scaling plan reached',
    });
    expect(forced.changes).toEqual([
      expect.objectContaining({ strictness: 'looser', forced: true, appliesAt: null }),
    ]);
    expect(
      (await client.rules({ accountId: 1 })).accounts[0]?.rules.find((r) => r.ruleId === 'max-contracts')
        ?.options['limit'],
    ).toBe(9);
    expect(alerts).toContain('critical:config-forced');
    // An invalid change lists every problem and writes nothing.
    const before = (await client.getRulesConfig()).revision;
    const invalid = (await client
      .putRulesConfig({ rules: [{ rule: 'max-contracts', options: { limit: -1 } }, { rule: 'nope' }] })
      .catch((e: unknown) => e)) as RiskdApiError;
    expect(invalid.status).toBe(400);
    expect(invalid.problems?.map((p) => p.path).sort()).toEqual(['rules[0].options.limit', 'rules[1].rule']);
    expect((await client.getRulesConfig()).revision).toBe(before);
    const forcedRow = await waitFor(
      async () => (await client.audit({ code: 'CONFIG_LOOSENING_FORCED' })).items[0],
      'audit',
    );
    expect(forcedRow.reason).toContain('scaling plan reached');
    desk.expectNoErrors([/^admin forced 1 loosening change/]);
  });
});

describe('pending loosenings across a restart', () => {
  it('when a loosening waits and the daemon is down over the reset then it applies at the next start; before the reset it still waits', async () => {
    desk = new DaemonDesk('2026-01-06T22:55:00Z');
    desk.writeConfig(maxContracts(2));
    const first = await desk.start();
    desk.writeConfig(maxContracts(6));
    await first.daemon.config.checkFile();
    expect(first.daemon.config.pending).toHaveLength(1);
    await first.daemon.stop();

    // Restarted before the reset: the loosening still waits (the restart cannot skip the wait).
    const second = await desk.start();
    expect(second.daemon.inForce.rules[0]?.options).toMatchObject({ limit: 2 });
    await second.daemon.stop();

    await desk.clock.set(TUESDAY_RESET + 60_000);
    const third = await desk.start();
    expect(third.ready.start.resetsCaughtUp).toBe(1);
    expect(third.daemon.inForce.rules[0]?.options).toMatchObject({ limit: 6 });
    expect(third.daemon.config.pending).toEqual([]);
    await third.daemon.stop();
  });
});

describe('config fail-safe', () => {
  it('when the file breaks then entries are blocked on every account (no flatten) until a valid file loads, and other lockouts survive', async () => {
    desk = new DaemonDesk();
    desk.writeConfig(maxContracts(5));
    const { daemon, ready } = await desk.start();
    const client = new RiskdClient({ baseUrl: ready.apiUrl as string });
    const alerts: string[] = [];
    daemon.hub.subscribe((e) => e.type === 'alert' && alerts.push(`${e.alert.severity}:${e.alert.kind}`));
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(1, MNQ, 'buy', 1);
    await desk.advance(100);
    // Account 2 has its own lockout before the file breaks.
    daemon.command(2, { code: 'SELF_LOCKOUT', reason: 'until the reset', lockout: { kind: 'reset' } });

    desk.writeConfig('{ "broker": { "userName": "trader", ');
    await daemon.config.checkFile();
    await desk.clock.advance(600); // the broken content must settle before the fail-safe starts
    await daemon.config.checkFile();
    const status = await client.status();
    expect(status.config.failsafe).toBe(true);
    expect(status.config.problems.length).toBeGreaterThan(0);
    const lockouts = await client.lockouts();
    expect(lockouts.lockouts.map((l) => [l.id, l.code, l.endCondition])).toEqual([
      ['1:account', 'CONFIG_FAILSAFE', 'config-valid'],
      ['2:account', 'SELF_LOCKOUT', null],
    ]);
    expect(alerts).toContain('critical:config-invalid');
    // No flatten: the open position stays; a new entry is closed.
    expect(desk.broker.netSize(1, MNQ)).toBe(1);
    desk.broker.trade(1, MNQ, 'buy', 1);
    await desk.advance(100);
    expect(desk.broker.netSize(1, MNQ)).toBe(1);
    // The rules in force are the last good ones.
    expect((await client.rules({ accountId: 1 })).accounts[0]?.rules.map((r) => r.ruleId)).toEqual([
      'max-contracts',
    ]);

    desk.writeConfig(maxContracts(5));
    await daemon.config.checkFile();
    expect((await client.status()).config.failsafe).toBe(false);
    expect((await client.lockouts()).lockouts.map((l) => [l.id, l.code])).toEqual([
      ['2:account', 'SELF_LOCKOUT'],
    ]);
    expect(alerts).toContain('info:config-valid');
    desk.broker.trade(1, MNQ, 'buy', 1);
    await desk.advance(100);
    expect(desk.broker.netSize(1, MNQ)).toBe(2);
    desk.expectNoErrors([/config file .* is invalid/]);
  });
});
