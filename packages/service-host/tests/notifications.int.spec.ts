import { RiskdApiError, RiskdClient } from '@riskd/api-client';
import type { Alert } from '@riskd/core-engine';
import { FakeDiscordServer, FakeTelegramServer } from '@riskd/notifier/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { setNoTraderPassword } from '../src/daemon/credentials.js';
import type { RiskdDaemon } from '../src/daemon/riskd-daemon.js';
import { runCli } from './helpers/cli-run.js';
import { DaemonDesk, fakeBrokerConfig, MNQ } from './helpers/daemon-harness.js';
import { waitFor } from './helpers/sim-env.js';

let desk: DaemonDesk | undefined;
const servers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await desk?.close();
  desk = undefined;
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function chatServers(): Promise<{ discord: FakeDiscordServer; telegram: FakeTelegramServer }> {
  const discord = await new FakeDiscordServer().start();
  const telegram = await new FakeTelegramServer().start();
  servers.push(discord, telegram);
  return { discord, telegram };
}

function chatConfig(
  discord: FakeDiscordServer,
  telegram: FakeTelegramServer,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return fakeBrokerConfig({
    rules: [{ rule: 'max-contracts', options: { limit: 1 } }],
    notifications: {
      discord: [{ id: 'desk', webhookUrl: discord.webhookUrl }],
      telegram: [
        {
          id: 'phone',
          audience: 'admin',
          botToken: telegram.botToken,
          chatId: telegram.chatId,
          apiBaseUrl: telegram.apiBaseUrl,
        },
      ],
    },
    ...extra,
  });
}

interface OutboxRow {
  readonly id: string;
  readonly channel: string;
  readonly state: string;
  readonly attempts: number;
  readonly alert: Alert;
}

async function outbox(daemon: RiskdDaemon): Promise<OutboxRow[]> {
  const rows = await daemon.storage.prisma.client.notificationOutbox.findMany({ orderBy: { id: 'asc' } });
  return rows.map((r) => ({
    id: r.id,
    channel: r.channel,
    state: r.state,
    attempts: r.attempts,
    alert: JSON.parse(r.alert) as Alert,
  }));
}

/** Everything a chat server accepted, as one text (embed titles and descriptions, message texts). */
function deliveredText(server: FakeDiscordServer | FakeTelegramServer): string {
  return server
    .successes()
    .map((r) => JSON.stringify(r.body))
    .join('\n');
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** Moves the desk's clock in steps until nothing is pending in the outbox. */
async function deliverAll(daemon: RiskdDaemon, stepMs = 1_000, maxSteps = 60): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    await desk?.advance(stepMs);
    await daemon.chat.idle();
    if ((await daemon.storage.notifications.counts()).pending === 0) return;
  }
  throw new Error(`outbox still pending after ${maxSteps} steps: ${JSON.stringify(await outbox(daemon))}`);
}

describe('chat notifications from the daemon', () => {
  it('when alerts were queued while the channels failed and the daemon crashed then the next daemon delivers each exactly once', async () => {
    const { discord, telegram } = await chatServers();
    discord.answerAlways({ kind: 'server-error' });
    telegram.answerAlways({ kind: 'server-error', status: 502 });
    desk = new DaemonDesk();
    desk.writeConfig(chatConfig(discord, telegram));
    const first = await desk.start({ chat: { requestTimeoutMs: 5_000 } });

    // Two accounts go over the one-contract limit: enforcement alerts (and the daemon's start).
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(1, MNQ, 'buy', 3);
    desk.broker.trade(2, MNQ, 'buy', 2);
    await desk.advance(100);
    expect(desk.broker.netSize(1, MNQ)).toBeLessThanOrEqual(1);
    // The coalescing window closes, the first attempts fail.
    await desk.advance(1_000);
    await waitFor(() => discord.requests.length > 0 && telegram.requests.length > 0, 'first attempts');
    await first.daemon.chat.idle();
    const queued = await outbox(first.daemon);
    expect(queued.filter((r) => r.alert.kind === 'enforcement').length).toBeGreaterThanOrEqual(2);
    expect(queued.every((r) => r.state === 'pending')).toBe(true);
    expect(discord.successes()).toEqual([]);

    // kill -9: the outbox is all that is left.
    await first.daemon.crashForTest();
    discord.answerAlways({ kind: 'success' });
    telegram.answerAlways({ kind: 'success' });
    const second = await desk.start({ chat: { requestTimeoutMs: 5_000 } });
    await deliverAll(second.daemon);

    const rows = await outbox(second.daemon);
    expect(rows.map((r) => r.state).filter((s) => s !== 'delivered')).toEqual([]);
    // Every alert queued before the crash is among the delivered, with the restart report.
    for (const before of queued) expect(rows.map((r) => r.id)).toContain(before.id);
    expect(rows.some((r) => r.alert.kind === 'restart-report' && r.channel === 'phone')).toBe(true);
    for (const [server, channel] of [
      [discord, 'desk'],
      [telegram, 'phone'],
    ] as const) {
      const text = deliveredText(server);
      const mine = rows.filter((r) => r.channel === channel);
      const titles = new Map<string, number>();
      for (const r of mine) titles.set(r.alert.title, (titles.get(r.alert.title) ?? 0) + 1);
      for (const [title, count] of titles) {
        const needle = channel === 'phone' ? title.replace(/[-.()]/g, (c) => `\\\\${c}`) : title;
        expect({ channel, title, seen: occurrences(text, needle) }).toEqual({ channel, title, seen: count });
      }
    }
    // Nothing is sent again later, nor after one more restart.
    const sent = discord.successes().length + telegram.successes().length;
    await desk.advance(600_000);
    await second.daemon.stop();
    const third = await desk.start({ chat: { requestTimeoutMs: 5_000 } });
    await deliverAll(third.daemon);
    const newIds = new Set(
      (await outbox(third.daemon)).filter((r) => !rows.some((o) => o.id === r.id)).map((r) => r.alert.kind),
    );
    // Only the new alerts of the stop and the third start went out.
    expect([...newIds].sort()).toEqual(['daemon-started', 'daemon-stopped']);
    expect(discord.successes().length + telegram.successes().length).toBeGreaterThan(sent);
    expect(
      (await outbox(third.daemon)).filter((r) => rows.some((o) => o.id === r.id && o.state !== r.state)),
    ).toEqual([]);
  });

  it('when a webhook is deleted then the channel fails for good, the admin channel is told once, and the audit and metrics show it', async () => {
    const { discord, telegram } = await chatServers();
    discord.deleteWebhook();
    desk = new DaemonDesk();
    desk.writeConfig(chatConfig(discord, telegram));
    const { daemon, ready } = await desk.start();
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(1, MNQ, 'buy', 2);
    await desk.advance(100);
    await deliverAll(daemon);
    await desk.advance(10_000);
    await deliverAll(daemon);

    expect(discord.requests.length).toBe(1);
    const failures = telegram.delivered.filter((m) => m.text.includes('desk'));
    expect(failures).toHaveLength(1);
    expect(failures[0]?.text).toMatch(/404/);
    const client = new RiskdClient({ baseUrl: ready.apiUrl as string });
    const audit = await client.audit({ kind: 'system' });
    expect(audit.items.filter((e) => e.code === 'NOTIFICATION_FAILED')).toHaveLength(1);
    expect(await client.metrics()).toContain('riskd_notification_channel_failed{channel="desk"} 1');
    expect((await outbox(daemon)).filter((r) => r.channel === 'desk').map((r) => r.state)).not.toContain(
      'pending',
    );
  });

  it('when the trader sets preferences then unknown and admin-only channels are refused and the choice survives a restart', async () => {
    const { discord, telegram } = await chatServers();
    desk = new DaemonDesk();
    desk.writeConfig(chatConfig(discord, telegram));
    const first = await desk.start();
    await setNoTraderPassword(first.daemon.storage, desk.clock.now());
    const trader = new RiskdClient({ baseUrl: first.ready.apiUrl as string });
    expect(await trader.getNotifications()).toEqual({ kinds: 'all', channels: [], quietHours: null });

    const refused = (await trader
      .putNotifications({ kinds: 'all', channels: ['phone', 'pager'], quietHours: null })
      .catch((e: unknown) => e)) as RiskdApiError;
    expect(refused).toBeInstanceOf(RiskdApiError);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('body.channels[0]');
    expect(JSON.stringify(refused.body)).toContain('unknown channel \\"pager\\"');

    const chosen = {
      kinds: ['enforcement'],
      channels: ['desk'],
      quietHours: { start: '22:00', end: '07:00' },
    };
    expect(await trader.putNotifications(chosen)).toEqual(chosen);
    await first.daemon.stop();
    const second = await desk.start();
    const again = new RiskdClient({ baseUrl: second.ready.apiUrl as string });
    expect(await again.getNotifications()).toEqual(chosen);
  });
});

describe('riskd notify test', () => {
  it('when one channel answers and the other refuses the bot token then each result is reported and it exits 1', async () => {
    const { discord, telegram } = await chatServers();
    telegram.answerAlways({ kind: 'unauthorized' });
    desk = new DaemonDesk();
    desk.writeConfig(chatConfig(discord, telegram));

    const { code, io } = await runCli(['notify', 'test', '--config', desk.configPath]);
    expect(io.stderrText()).toBe('');
    const out = io.stdoutText();
    expect(out).toMatch(/^desk \(discord\): HTTP 204 ok \(\d+ ms\)$/m);
    expect(out).toMatch(/^phone \(telegram\): HTTP 401 FAILED: .*Unauthorized.*$/m);
    expect(out).toContain('1 of 2 channel(s) failed');
    expect(out).not.toContain(telegram.botToken);
    expect(out).not.toContain(discord.webhookToken);
    expect(code).toBe(1);
    expect(discord.successes()).toHaveLength(1);

    telegram.answerAlways({ kind: 'success' });
    const json = await runCli(['notify', 'test', '--json', '--config', desk.configPath]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.io.stdoutText()) as { results: { channel: string; ok: boolean }[] };
    expect(parsed.results.map((r) => [r.channel, r.ok])).toEqual([
      ['desk', true],
      ['phone', true],
    ]);
    expect(telegram.delivered.at(-1)?.text).toMatch(/test/i);
  });

  it('when the config is invalid then each problem is named with its path and nothing is sent', async () => {
    const { discord, telegram } = await chatServers();
    desk = new DaemonDesk();
    desk.writeConfig(
      chatConfig(discord, telegram, {
        notifications: {
          discord: [{ id: 'desk', webhookUrl: 'not a url' }],
          telegram: [{ id: 'phone', botToken: telegram.botToken, chatId: 'nobody', apiBaseUrl: 'ftp://x' }],
        },
      }),
    );
    const { code, io } = await runCli(['notify', 'test', '--config', desk.configPath]);
    expect(code).toBe(1);
    const err = io.stderrText();
    expect(err).toContain('riskd notify test');
    expect(err).toContain('notifications.discord[0].webhookUrl');
    expect(err).toContain('notifications.telegram[0].chatId');
    expect(err).toContain('notifications.telegram[0].apiBaseUrl');
    expect(io.stdoutText()).toBe('');
    expect(discord.requests).toEqual([]);
    expect(telegram.requests).toEqual([]);
  });
});
