import { type LockoutWire, RiskdClient } from '@riskd/api-client';
import { afterEach, describe, expect, it } from 'vitest';
import { setNoTraderPassword } from '../src/daemon/credentials.js';
import type { RiskdDaemon } from '../src/daemon/riskd-daemon.js';
import { runCli } from './helpers/cli-run.js';
import { DaemonDesk, ES, fakeBrokerConfig, TUESDAY_RESET } from './helpers/daemon-harness.js';
import { waitFor } from './helpers/sim-env.js';

/**
 * "Per scope the latest end wins" (RULES.md section 2): a scope stays locked until every end asked
 * for has passed. These run the whole daemon in-process on the fake clock and broker, half an hour
 * before Tuesday's reset (moving the fake clock over hours would run every periodic timer).
 */
const HALF_AN_HOUR_BEFORE_RESET = '2026-01-06T22:30:00Z';
const RESET_ISO = new Date(TUESDAY_RESET).toISOString();
/** Error lines these scenarios cause on purpose: the broken file, and the flatten (critical) of a breach. */
const EXPECTED_ERRORS = [/config file .* is invalid/, /breached daily loss limit/];

let desk: DaemonDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

const rules = (extra: readonly unknown[] = []) =>
  fakeBrokerConfig({ rules: [{ rule: 'daily-loss-limit', options: { limit: 500 } }, ...extra] });

/** The config file breaks: the fail-safe starts once the broken content has settled. */
async function breakConfig(d: DaemonDesk, daemon: RiskdDaemon): Promise<void> {
  d.writeConfig('{ "broker": { "userName": "trader", ');
  await daemon.config.checkFile();
  await d.clock.advance(600);
  await daemon.config.checkFile();
  expect(daemon.config.failsafe).not.toBeNull();
}

/** A valid file again: the fail-safe lifts. */
async function fixConfig(d: DaemonDesk, daemon: RiskdDaemon, document: unknown): Promise<void> {
  d.writeConfig(document);
  await daemon.config.checkFile();
  expect(daemon.config.failsafe).toBeNull();
}

/** A compact picture of an account's lockout: code, end, and the holds under it. */
function picture(lockouts: readonly LockoutWire[]): string[] {
  return lockouts.map((l) =>
    [
      `${l.id} ${l.code} ${l.endsAt ?? l.endCondition}`,
      ...(l.holds ?? []).map((h) => `+ ${h.code} ${h.endsAt ?? h.endCondition}`),
    ].join(' '),
  );
}

/** A fill opening exposure on the account is closed at once; returns the size left. */
async function tradeDuringLockout(d: DaemonDesk, accountId: number): Promise<number> {
  d.broker.trade(accountId, ES, 'buy', 1);
  await d.advance(100);
  await d.advance(100);
  return d.broker.netSize(accountId, ES);
}

describe('lockout holds: the config fail-safe never lifts another lockout', () => {
  it('when a daily-loss lockout until the reset is followed by the config fail-safe and the config is fixed before the reset then the account stays locked until the reset', async () => {
    desk = new DaemonDesk(HALF_AN_HOUR_BEFORE_RESET);
    desk.writeConfig(rules());
    const { daemon, ready } = await desk.start();
    const client = new RiskdClient({ baseUrl: ready.apiUrl as string });
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.trade(1, ES, 'buy', 2);
    await desk.advance(100);
    // 2 ES ($50 a point) 10.25 points under the entry: -1,025.00 and fees breach the 500 limit.
    desk.broker.setQuote(ES, { bid: 5990, ask: 5990.25, last: 5990 });
    await desk.advance(100);
    await desk.advance(100);
    expect(desk.broker.netSize(1, ES)).toBe(0);
    expect(picture((await client.lockouts({ accountId: 1 })).lockouts)).toEqual([
      `1:account DAILY_LOSS_LIMIT ${RESET_ISO}`,
    ]);

    await breakConfig(desk, daemon);
    // The daily loss keeps the account locked; the fail-safe locks the other account.
    expect(picture((await client.lockouts()).lockouts)).toEqual([
      `1:account DAILY_LOSS_LIMIT ${RESET_ISO}`,
      '2:account CONFIG_FAILSAFE config-valid',
    ]);

    await desk.clock.advance(60_000);
    await fixConfig(desk, daemon, rules());
    expect(picture((await client.lockouts()).lockouts)).toEqual([`1:account DAILY_LOSS_LIMIT ${RESET_ISO}`]);
    // A fill in between is closed.
    expect(await tradeDuringLockout(desk, 1)).toBe(0);

    // At the reset the daily loss ends and trading is allowed again.
    await desk.clock.set(TUESDAY_RESET - 1);
    expect((await client.lockouts({ accountId: 1 })).lockouts).toHaveLength(1);
    await desk.clock.set(TUESDAY_RESET + 1_000);
    await desk.advance(0);
    expect((await client.lockouts({ accountId: 1 })).lockouts).toEqual([]);
    desk.broker.trade(1, ES, 'buy', 1);
    await desk.advance(100);
    expect(desk.broker.netSize(1, ES)).toBe(1);
    desk.expectNoErrors(EXPECTED_ERRORS);
  });

  it('when the config fail-safe is followed by a daily-loss lockout until the reset and the config is fixed before the reset then the account stays locked until the reset', async () => {
    desk = new DaemonDesk(HALF_AN_HOUR_BEFORE_RESET);
    desk.writeConfig(rules());
    const { daemon, ready } = await desk.start();
    const client = new RiskdClient({ baseUrl: ready.apiUrl as string });
    const alerts: string[] = [];
    daemon.hub.subscribe((e) => e.type === 'alert' && alerts.push(`${e.alert.kind}: ${e.alert.title}`));
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });
    desk.broker.trade(1, ES, 'buy', 2);
    await desk.advance(100);

    await breakConfig(desk, daemon);
    // Block entries, no flatten: the position stays under the fail-safe.
    expect(desk.broker.netSize(1, ES)).toBe(2);
    desk.broker.setQuote(ES, { bid: 5990, ask: 5990.25, last: 5990 });
    await desk.advance(100);
    await desk.advance(100);
    expect(desk.broker.netSize(1, ES)).toBe(0);
    // The daily loss is not dropped under the condition: it is a hold of the same lockout.
    expect(picture((await client.lockouts({ accountId: 1 })).lockouts)).toEqual([
      `1:account CONFIG_FAILSAFE config-valid + DAILY_LOSS_LIMIT ${RESET_ISO}`,
    ]);
    await daemon.storage.writer.flush();
    const persisted = await daemon.storage.lockouts.list({ accountId: 1 });
    expect(persisted.map((l) => [l.code, (l.holds ?? []).map((h) => h.code)])).toEqual([
      ['CONFIG_FAILSAFE', ['DAILY_LOSS_LIMIT']],
    ]);

    await desk.clock.advance(60_000);
    await fixConfig(desk, daemon, rules());
    expect(picture((await client.lockouts()).lockouts)).toEqual([`1:account DAILY_LOSS_LIMIT ${RESET_ISO}`]);
    expect(alerts).toContain(`lockout-ended: Still locked until ${RESET_ISO} by DAILY_LOSS_LIMIT`);
    const ended = await waitFor(async () => {
      const page = await client.audit({ kind: 'lockout-ended', accountId: 1 });
      return page.items.length > 0 ? page.items : undefined;
    }, 'the audit row of the lifted fail-safe');
    expect(ended.map((r) => [r.code, r.reason])).toEqual([
      [
        'CONFIG_FAILSAFE',
        `lockout of account (CONFIG_FAILSAFE) lifted: a valid config was loaded; the account stays locked until ${RESET_ISO} by DAILY_LOSS_LIMIT`,
      ],
    ]);
    expect(await tradeDuringLockout(desk, 1)).toBe(0);

    // A restart before the reset keeps it.
    await daemon.stop();
    const second = await desk.start();
    const again = new RiskdClient({ baseUrl: second.ready.apiUrl as string });
    expect(picture((await again.lockouts({ accountId: 1 })).lockouts)).toEqual([
      `1:account DAILY_LOSS_LIMIT ${RESET_ISO}`,
    ]);
    await desk.clock.set(TUESDAY_RESET + 1_000);
    await desk.advance(0);
    expect((await again.lockouts({ accountId: 1 })).lockouts).toEqual([]);
    desk.expectNoErrors(EXPECTED_ERRORS);
  });

  it('when the trader locks until the reset before or after the config fail-safe and the config is fixed then each account stays locked until the reset', async () => {
    desk = new DaemonDesk(HALF_AN_HOUR_BEFORE_RESET);
    desk.writeConfig(rules());
    const { daemon, ready } = await desk.start();
    await setNoTraderPassword(daemon.storage, desk.clock.now());
    const trader = new RiskdClient({ baseUrl: ready.apiUrl as string });
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });

    // Account 1: the self-lockout first, then the fail-safe.
    await trader.selfLockout({ accountId: 1, until: 'reset', reason: 'tilted' });
    await breakConfig(desk, daemon);
    // Account 2: the fail-safe first, then the self-lockout (it joins as a hold).
    const locked = await trader.selfLockout({ accountId: 2, until: 'reset', reason: 'tilted too' });
    expect(picture(locked.lockouts)).toEqual([
      `2:account CONFIG_FAILSAFE config-valid + SELF_LOCKOUT ${RESET_ISO}`,
    ]);
    expect(picture((await trader.lockouts()).lockouts)).toEqual([
      `1:account SELF_LOCKOUT ${RESET_ISO}`,
      `2:account CONFIG_FAILSAFE config-valid + SELF_LOCKOUT ${RESET_ISO}`,
    ]);

    await desk.clock.advance(60_000);
    await fixConfig(desk, daemon, rules());
    expect(picture((await trader.lockouts()).lockouts)).toEqual([
      `1:account SELF_LOCKOUT ${RESET_ISO}`,
      `2:account SELF_LOCKOUT ${RESET_ISO}`,
    ]);
    expect(await tradeDuringLockout(desk, 1)).toBe(0);
    expect(await tradeDuringLockout(desk, 2)).toBe(0);

    await desk.clock.set(TUESDAY_RESET + 1_000);
    await desk.advance(0);
    expect((await trader.lockouts()).lockouts).toEqual([]);
    desk.expectNoErrors(EXPECTED_ERRORS);
  });
});

describe('lockout holds: conditions and the admin', () => {
  it('when the broker disables trading over a self-lockout then trading back leaves the self-lockout, and an admin clear ends every hold and says so', async () => {
    desk = new DaemonDesk(HALF_AN_HOUR_BEFORE_RESET);
    desk.writeConfig(rules([{ rule: 'broker-trading-disabled' }]));
    expect(
      (
        await runCli(['admin', 'set-password', '--stdin', '--config', desk.configPath], {
          stdin: 'admin-pass-1',
        })
      ).code,
    ).toBe(0);
    const { daemon, ready } = await desk.start();
    await setNoTraderPassword(daemon.storage, desk.clock.now());
    const client = new RiskdClient({ baseUrl: ready.apiUrl as string });
    desk.broker.setQuote(ES, { bid: 6000, ask: 6000.25, last: 6000 });

    // Account 1: until the reset, then canTrade false and true again.
    await client.selfLockout({ accountId: 1, until: 'reset' });
    desk.broker.setCanTrade(1, false);
    await desk.advance(100);
    expect(picture((await client.lockouts({ accountId: 1 })).lockouts)).toEqual([
      `1:account BROKER_TRADING_DISABLED can-trade + SELF_LOCKOUT ${RESET_ISO}`,
    ]);
    desk.broker.setCanTrade(1, true);
    await desk.advance(100);
    expect(picture((await client.lockouts({ accountId: 1 })).lockouts)).toEqual([
      `1:account SELF_LOCKOUT ${RESET_ISO}`,
    ]);
    expect(await tradeDuringLockout(desk, 1)).toBe(0);

    // Account 2: both holds, then the admin clears the lockout: everything goes.
    await client.selfLockout({ accountId: 2, until: 'reset' });
    desk.broker.setCanTrade(2, false);
    await desk.advance(100);
    await client.login('admin', 'admin-pass-1');
    const cleared = await client.clearLockout('2:account', 'broker confirmed the account by phone');
    expect(picture([cleared.lockout])).toEqual([
      `2:account BROKER_TRADING_DISABLED can-trade + SELF_LOCKOUT ${RESET_ISO}`,
    ]);
    expect((await client.lockouts({ accountId: 2 })).lockouts).toEqual([]);
    const row = await waitFor(async () => {
      const page = await client.audit({ kind: 'lockout-ended', accountId: 2 });
      return page.items[0];
    }, 'the audit row of the clear');
    expect(row.reason).toBe(
      `lockout of account (BROKER_TRADING_DISABLED) and its other holds (SELF_LOCKOUT until ${RESET_ISO}) cleared by the admin: broker confirmed the account by phone`,
    );
    desk.expectNoErrors();
  });
});
