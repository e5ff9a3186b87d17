import { FakeClock } from '@riskd/core-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testChannels } from '../src/index.js';
import { FakeDiscordServer, FakeTelegramServer } from '../src/testing.js';
import { discordChannel, telegramChannel } from './harness.js';

describe('testChannels', () => {
  const discord = new FakeDiscordServer();
  const telegram = new FakeTelegramServer();
  beforeAll(async () => {
    await discord.start();
    await telegram.start();
  });
  afterAll(async () => {
    await discord.stop();
    await telegram.stop();
  });

  it('when every channel is tested then each enabled one gets one message and its own result', async () => {
    discord.deleteWebhook();
    const results = await testChannels(
      [
        discordChannel(discord, { id: 'gone' }),
        telegramChannel(telegram, { id: 'good' }),
        telegramChannel(telegram, { id: 'bad-token', botToken: '1:wrong-secret' }),
        telegramChannel(telegram, { id: 'off', enabled: false }),
      ],
      { clock: new FakeClock(), timeoutMs: 5_000 },
    );
    expect(results.map(({ ms: _ms, ...r }) => r)).toEqual([
      {
        channel: 'gone',
        type: 'discord',
        ok: false,
        status: 404,
        error: 'HTTP 404: Unknown Webhook (code 10015)',
      },
      { channel: 'good', type: 'telegram', ok: true, status: 200 },
      { channel: 'bad-token', type: 'telegram', ok: false, status: 401, error: 'HTTP 401: Unauthorized' },
    ]);
    expect(telegram.delivered.map((m) => m.text.split('\n')[0])).toEqual(['🔵 INFO · Riskd test message']);
    expect(results.every((r) => r.ms >= 0)).toBe(true);
  });

  it('when a channel cannot be reached then the result says why without the secret', async () => {
    // A port that was just free: nothing listens on it any more.
    const gone = await new FakeTelegramServer().start();
    const url = gone.apiBaseUrl;
    await gone.stop();
    const results = await testChannels(
      [{ ...telegramChannel(telegram), apiBaseUrl: url, botToken: '1:very-secret' }],
      { clock: new FakeClock(), timeoutMs: 5_000 },
    );
    expect(results[0]).toMatchObject({ channel: 'desk-telegram', ok: false });
    expect(results[0]?.error).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(results)).not.toContain('very-secret');
  });
});
