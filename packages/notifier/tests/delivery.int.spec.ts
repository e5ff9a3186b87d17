import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFICATION_FAILED_KIND } from '../src/index.js';
import { pollUntil } from '../src/testing.js';
import { T0, closeAlert } from './golden-alerts.js';
import {
  type Harness,
  countMentions,
  deliveredText,
  discordChannel,
  harness,
  simpleAlert,
  telegramChannel,
} from './harness.js';

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('retries and backoff', () => {
  it('when Discord answers 429 with retry_after then the next attempt waits exactly that long', async () => {
    h = await harness({ channels: (d) => [discordChannel(d)] });
    h.discord.answerNext({ kind: 'rate-limited', retryAfter: 3.5 });
    h.notifier.notify(closeAlert());
    await h.runUntil(T0 + 1_000);
    expect(h.discord.requests.map((r) => r.status)).toEqual([429]);
    expect(h.store.retries.map((r) => r.nextAttemptAt)).toEqual([T0 + 1_000 + 3_500]);
    await h.runUntil(T0 + 4_499);
    expect(h.discord.requests).toHaveLength(1);
    await h.runUntil(T0 + 4_500);
    expect(h.discord.requests.map((r) => r.status)).toEqual([429, 204]);
    expect(h.discord.delivered).toHaveLength(1);
    expect(h.notifier.stats()).toMatchObject({ delivered: 1, retried: 1, failed: 0 });
  });

  it('when Telegram answers 429 with parameters.retry_after then the next attempt waits that long', async () => {
    h = await harness({ channels: (_d, t) => [telegramChannel(t)] });
    h.telegram.answerNext({ kind: 'rate-limited', retryAfter: 3 });
    h.notifier.notify(closeAlert());
    await h.runUntil(T0 + 1_000);
    const first = h.telegram.requests[0];
    expect(first?.status).toBe(429);
    expect(h.store.retries.map((r) => r.nextAttemptAt)).toEqual([T0 + 4_000]);
    expect(h.store.retries[0]?.error).toBe('HTTP 429: Too Many Requests: retry after 3');
    await h.runUntil(T0 + 3_999);
    expect(h.telegram.requests).toHaveLength(1);
    await h.runUntil(T0 + 4_000);
    expect(h.telegram.delivered).toHaveLength(1);
  });

  it('when the server keeps answering 5xx then retries back off 1, 2, 4 … seconds capped at 5 minutes', async () => {
    h = await harness({ channels: (d) => [discordChannel(d)] });
    h.discord.answerAlways({ kind: 'server-error', status: 503 });
    h.notifier.notify(closeAlert());
    let attemptAt = T0 + 1_000;
    for (let i = 0; i < 12; i++) {
      await h.runUntil(attemptAt);
      const last = h.store.retries[h.store.retries.length - 1];
      expect(last).toBeDefined();
      attemptAt = last?.nextAttemptAt ?? 0;
    }
    const at = [T0 + 1_000, ...h.store.retries.map((r) => r.nextAttemptAt)];
    const delays = h.store.retries.map((r, i) => r.nextAttemptAt - (at[i] ?? 0));
    expect(delays).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000,
    ]);
    expect(h.discord.requests).toHaveLength(12);
    expect(h.store.items()[0]).toMatchObject({ state: 'pending', attempts: 12 });
    h.discord.answerAlways({ kind: 'success' });
    await h.runUntil(attemptAt);
    expect(h.discord.delivered).toHaveLength(1);
    expect(h.store.items()[0]?.state).toBe('delivered');
  });

  it('when a request gets no answer then it times out on the Clock and is retried', async () => {
    h = await harness({ channels: (_d, t) => [telegramChannel(t)], notifier: { requestTimeoutMs: 10_000 } });
    h.telegram.answerNext({ kind: 'hang' });
    h.notifier.notify(closeAlert());
    await h.settle();
    await h.clock.set(T0 + 1_000);
    await pollUntil(() => h?.telegram.requests.length === 1, { what: 'the first request' });
    await h.clock.advance(10_000);
    await h.settle();
    expect(h.store.retries).toEqual([
      {
        id: `${closeAlert().id}|desk-telegram`,
        nextAttemptAt: T0 + 12_000,
        error: 'no answer within 10000 ms',
      },
    ]);
    await h.runUntil(T0 + 12_000);
    expect(h.telegram.delivered).toHaveLength(1);
  });
  it('when a request is in flight or backing off then the channel sends nothing else and the rest waits in order', async () => {
    h = await harness({ channels: (_d, t) => [telegramChannel(t)], notifier: { requestTimeoutMs: 10_000 } });
    h.telegram.answerNext({ kind: 'hang' });
    h.notifier.notify(simpleAlert('g1', { accountId: 1 }));
    h.notifier.notify(simpleAlert('g2', { accountId: 2 }));
    await h.settle();
    await h.clock.set(T0 + 1_000);
    await pollUntil(() => h?.telegram.requests.length === 1, { what: 'the first request' });
    await h.clock.advance(10_000);
    await h.settle();
    // g1 timed out and backs off 1 s; g2, due meanwhile, waits for the same instant without a request.
    expect(h.telegram.requests).toHaveLength(1);
    expect(h.store.item('g1|desk-telegram')).toMatchObject({ nextAttemptAt: T0 + 12_000, attempts: 1 });
    expect(h.store.item('g2|desk-telegram')).toMatchObject({ nextAttemptAt: T0 + 12_000, attempts: 1 });
    expect(h.notifier.stats().deferred).toBe(1);
    await h.runUntil(T0 + 12_000);
    const sent = h.telegram.requests.map((r) =>
      (r.body as { text: string }).text.includes('alert g1') ? 'g1' : 'g2',
    );
    expect(sent).toEqual(['g1', 'g1', 'g2']);
    expect(h.telegram.delivered).toHaveLength(2);
  });
});

describe('stop', () => {
  it('when stop() is called during a request then it waits for the outcome and records it before resolving', async () => {
    h = await harness({ channels: (_d, t) => [telegramChannel(t)], notifier: { requestTimeoutMs: 10_000 } });
    h.telegram.answerNext({ kind: 'hang' });
    h.notifier.notify(closeAlert());
    await h.settle();
    await h.clock.set(T0 + 1_000);
    await pollUntil(() => h?.telegram.requests.length === 1, { what: 'the request' });
    let stopped = false;
    const stopping = h.notifier.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    await h.clock.advance(10_000);
    await stopping;
    expect(stopped).toBe(true);
    expect(h.store.item(`${closeAlert().id}|desk-telegram`)).toMatchObject({ state: 'pending', attempts: 1 });
    // Stopped: the retry is left to the next start.
    await h.clock.advance(60_000);
    expect(h.telegram.requests).toHaveLength(1);
  });
});

describe('permanent failures', () => {
  it('when a webhook was deleted (404) then the channel fails for good, the admin is told once and nothing is retried', async () => {
    h = await harness({
      channels: (d, t) => [
        discordChannel(d),
        telegramChannel(t, { audience: 'admin', minSeverity: 'critical' }),
      ],
    });
    h.discord.deleteWebhook();
    h.notifier.notify(closeAlert(0));
    await h.runUntil(T0 + 1_000);
    expect(h.discord.requests.map((r) => r.status)).toEqual([404]);
    expect(h.failures).toEqual([
      expect.objectContaining({
        channel: 'desk-discord',
        scope: 'channel',
        status: 404,
        reason: 'HTTP 404: Unknown Webhook (code 10015)',
      }),
    ]);
    // The report goes to the other admin channel, never to the failed one.
    await h.runUntil(T0 + 2_000);
    expect(h.telegram.delivered.map((m) => m.text.split('\n')[0])).toEqual([
      '🔴 CRITICAL · Notification channel desk-discord failed',
    ]);
    // Later alerts are not sent to the failed channel, and no second report is raised.
    h.notifier.notify(closeAlert(1, { at: T0 + 5_000 }));
    h.notifier.notify(closeAlert(2, { at: T0 + 6_000, severity: 'critical', kind: 'enforcement-failed' }));
    await h.runUntil(T0 + 600_000);
    expect(h.discord.requests).toHaveLength(1);
    expect(h.failures).toHaveLength(1);
    expect(h.store.items().filter((i) => i.alert.kind === NOTIFICATION_FAILED_KIND)).toHaveLength(1);
    expect(h.store.item(`${closeAlert(0).id}|desk-discord`)).toMatchObject({
      state: 'failed',
      lastError: 'HTTP 404: Unknown Webhook (code 10015)',
    });
    expect(h.notifier.channelSummaries()[0]).toMatchObject({ id: 'desk-discord', state: 'failed' });
    expect(h.logger.problems().filter((l) => l.level === 'error')).toHaveLength(1);
  });

  it('when the bot token is wrong (401) then the Telegram channel fails for good and the report goes to Discord', async () => {
    h = await harness({
      channels: (d, t) => [
        discordChannel(d, { audience: 'admin' }),
        telegramChannel(t, { botToken: '7000000001:AAwrong-token' }),
      ],
    });
    h.notifier.notify(closeAlert(0));
    await h.runUntil(T0 + 2_000);
    expect(h.telegram.requests.map((r) => [r.status, r.path])).toEqual([
      [401, '/bot7000000001:AAwrong-token/sendMessage'],
    ]);
    expect(h.failures.map((f) => [f.channel, f.status, f.reason])).toEqual([
      ['desk-telegram', 401, 'HTTP 401: Unauthorized'],
    ]);
    const reports = h.discord.delivered
      .map((m) => JSON.stringify(m.body))
      .filter((b) => b.includes('failed'));
    expect(reports).toHaveLength(1);
    // The token never appears in logs or in the report.
    expect(JSON.stringify(h.logger.lines)).not.toContain('AAwrong-token');
    expect(reports[0]).not.toContain('AAwrong-token');
    await h.runUntil(T0 + 3_600_000);
    expect(h.telegram.requests).toHaveLength(1);
  });

  it('when the report of a failure cannot be delivered either then no further report is raised', async () => {
    h = await harness({
      channels: (d, t) => [
        discordChannel(d),
        telegramChannel(t, { audience: 'admin', minSeverity: 'critical' }),
      ],
    });
    h.discord.deleteWebhook();
    h.telegram.answerAlways({ kind: 'unauthorized' });
    h.notifier.notify(closeAlert(0));
    await h.runUntil(T0 + 600_000);
    expect(h.failures.map((f) => [f.channel, f.status])).toEqual([
      ['desk-discord', 404],
      ['desk-telegram', 401],
    ]);
    // The original alert and the one report about desk-discord; none about desk-telegram.
    expect(h.notifier.stats().accepted).toBe(2);
    expect(h.telegram.requests).toHaveLength(1);
  });

  it('when Discord refuses one message (400) then only its items fail and the channel stays in use', async () => {
    h = await harness({
      channels: (d, t) => [
        discordChannel(d),
        telegramChannel(t, { audience: 'admin', minSeverity: 'critical' }),
      ],
    });
    h.discord.answerNext({ kind: 'raw', status: 400, body: { message: 'Invalid Form Body', code: 50035 } });
    h.notifier.notify(closeAlert(0));
    await h.runUntil(T0 + 2_000);
    expect(h.failures.map((f) => [f.scope, f.status, f.reason])).toEqual([
      ['message', 400, 'HTTP 400: Invalid Form Body (code 50035)'],
    ]);
    expect(h.telegram.delivered.map((m) => m.text.split('\n')[0])).toEqual([
      '🔴 CRITICAL · Notification channel desk-discord refused a message',
    ]);
    h.notifier.notify(closeAlert(1, { at: T0 + 3_000 }));
    await h.runUntil(T0 + 5_000);
    expect(h.discord.delivered).toHaveLength(1);
    expect(h.notifier.channelSummaries()[0]?.state).toBe('ok');
  });

  it('when a failed channel is reconfigured then it is used again', async () => {
    h = await harness({ channels: (_d, t) => [telegramChannel(t, { botToken: 'bad-token' })] });
    h.notifier.notify(closeAlert(0));
    await h.runUntil(T0 + 2_000);
    expect(h.notifier.channelSummaries()[0]?.state).toBe('failed');
    // A reload with the same settings keeps it failed; a changed setting revives it.
    h.notifier.setChannels([telegramChannel(h.telegram, { botToken: 'bad-token' })]);
    expect(h.notifier.channelSummaries()[0]?.state).toBe('failed');
    h.notifier.setChannels([telegramChannel(h.telegram)]);
    h.notifier.notify(closeAlert(1, { at: T0 + 3_000 }));
    await h.runUntil(T0 + 5_000);
    expect(h.telegram.delivered).toHaveLength(1);
    expect(h.notifier.channelSummaries()[0]?.state).toBe('ok');
  });

  it('when a channel fails for 24 hours then it is given up and reported once', async () => {
    h = await harness({
      channels: (d, t) => [
        discordChannel(d),
        telegramChannel(t, { audience: 'admin', minSeverity: 'critical' }),
      ],
    });
    h.discord.answerAlways({ kind: 'server-error', status: 500 });
    h.notifier.notify(closeAlert(0));
    await h.runUntil(T0 + 25 * 3_600_000);
    const item = h.store.item(`${closeAlert(0).id}|desk-discord`);
    expect(item?.state).toBe('failed');
    expect(item?.failedAt).toBeGreaterThanOrEqual(T0 + 24 * 3_600_000);
    expect(item?.failedAt).toBeLessThan(T0 + 24 * 3_600_000 + 300_000);
    expect(item?.lastError).toMatch(/^no successful delivery for 24(\.\d)? h; last error: HTTP 500/);
    expect(h.failures).toHaveLength(1);
    expect(h.telegram.delivered).toHaveLength(1);
    const requests = h.discord.requests.length;
    await h.runUntil(T0 + 26 * 3_600_000);
    expect(h.discord.requests).toHaveLength(requests);
  });

  it('when Telegram refuses the MarkdownV2 text then the message goes out once more as plain text', async () => {
    h = await harness({ channels: (_d, t) => [telegramChannel(t)] });
    h.telegram.answerNext({
      kind: 'raw',
      status: 400,
      body: {
        ok: false,
        error_code: 400,
        description:
          "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
      },
    });
    h.notifier.notify(closeAlert(0));
    await h.runUntil(T0 + 1_000);
    expect(h.telegram.requests).toHaveLength(2);
    expect((h.telegram.requests[1]?.body as { parse_mode?: string }).parse_mode).toBeUndefined();
    expect(h.telegram.delivered[0]?.text.split('\n')[0]).toBe(
      '🟠 WARNING · 50KTC-V2-123456-7: closed 2 MNQH6 (trade 1)',
    );
    expect(h.notifier.stats()).toMatchObject({ delivered: 1, plainFallbacks: 1 });
  });
});

describe('coalescing', () => {
  it('when ten closes arrive within one second then each channel gets one message listing all ten', async () => {
    h = await harness();
    for (let i = 0; i < 10; i++) {
      h.notifier.notify(closeAlert(i, { at: h.clock.now() }));
      await h.clock.advance(90);
    }
    await h.runUntil(T0 + 2_000);
    expect(h.discord.delivered).toHaveLength(1);
    expect(h.telegram.delivered).toHaveLength(1);
    const { discord, telegram } = deliveredText(h);
    for (let i = 1; i <= 10; i++) {
      expect(countMentions(telegram, `(trade ${i})`)).toBe(1);
      expect(countMentions(discord, `(trade ${i})`)).toBe(1);
    }
    expect(telegram[0]?.split('\n')[0]).toBe('🟠 10 alerts on account 50KTC-V2-123456-7');
    expect(h.notifier.stats()).toMatchObject({ delivered: 20, messagesSent: 2, coalescedMessages: 2 });
  });

  it('when closes of two accounts arrive together then each account gets its own message per channel', async () => {
    h = await harness();
    for (let i = 0; i < 6; i++) {
      const accountId = i % 2 === 0 ? 1 : 2;
      h.notifier.notify(
        closeAlert(i, {
          accountId,
          fields: { action: 'close', account: `ACC-${accountId}` },
          title: `close ${i}`,
        }),
      );
    }
    await h.runUntil(T0 + 2_000);
    const titles = h.telegram.delivered.map((m) => m.text.split('\n')[0]).sort();
    expect(titles).toEqual(['🟠 3 alerts on account ACC-1', '🟠 3 alerts on account ACC-2']);
    expect(h.discord.delivered).toHaveLength(2);
  });

  it('when an alert comes after the window closed then it opens a new window and a new message', async () => {
    h = await harness({ channels: (_d, t) => [telegramChannel(t)] });
    h.notifier.notify(closeAlert(0));
    await h.clock.advance(999);
    h.notifier.notify(closeAlert(1, { at: h.clock.now() }));
    await h.clock.advance(1);
    h.notifier.notify(closeAlert(2, { at: h.clock.now() }));
    await h.runUntil(T0 + 1_000);
    expect(h.telegram.delivered.map((m) => m.text.split('\n')[0])).toEqual([
      '🟠 2 alerts on account 50KTC-V2-123456-7',
    ]);
    await h.runUntil(T0 + 2_000);
    expect(h.telegram.delivered).toHaveLength(2);
    expect(h.telegram.delivered[1]?.text).toContain('(trade 3)');
  });
});

describe('quiet hours and preferences', () => {
  // 2026-01-06 04:00 UTC is 22:00 in Chicago (CST, UTC-6).
  const NIGHT = Date.UTC(2026, 0, 6, 4, 0);

  it('when quiet hours span midnight then non-critical alerts to trader channels wait out and critical ones are sent', async () => {
    h = await harness({
      start: NIGHT,
      channels: (d, t) => [
        discordChannel(d, { audience: 'admin' }),
        telegramChannel(t, { audience: 'trader' }),
      ],
    });
    await h.notifier.setPreferences({
      kinds: 'all',
      channels: [],
      quietHours: { start: '21:30', end: '07:00' },
    });
    h.notifier.notify(simpleAlert('night-warning', { at: NIGHT }));
    h.notifier.notify(simpleAlert('night-critical', { at: NIGHT, severity: 'critical', accountId: 7 }));
    await h.runUntil(NIGHT + 2_000);
    expect(h.telegram.delivered.map((m) => m.text.split('\n')[0])).toEqual([
      '🔴 CRITICAL · alert night-critical',
    ]);
    expect(h.discord.delivered).toHaveLength(2);
    expect(h.notifier.stats().suppressedBy.quietHours).toBe(1);
    // 07:00 Chicago: quiet hours are over.
    await h.runUntil(Date.UTC(2026, 0, 6, 13, 0));
    h.notifier.notify(simpleAlert('morning-warning', { at: h.clock.now() }));
    await h.runUntil(Date.UTC(2026, 0, 6, 13, 0, 2));
    expect(h.telegram.delivered.map((m) => m.text.split('\n')[0])).toEqual([
      '🔴 CRITICAL · alert night-critical',
      '🟠 WARNING · alert morning-warning',
    ]);
  });

  it('when the trader picks kinds and channels then other kinds and channels get nothing but critical alerts', async () => {
    h = await harness({
      channels: (d, t) => [
        discordChannel(d, { audience: 'trader' }),
        telegramChannel(t, { audience: 'trader' }),
      ],
    });
    await h.notifier.setPreferences({ kinds: ['enforcement'], channels: ['desk-telegram'] });
    h.notifier.notify(closeAlert(0));
    h.notifier.notify(simpleAlert('warn-1', { kind: 'warning', accountId: 5 }));
    h.notifier.notify(simpleAlert('crit-1', { kind: 'rule-alert', severity: 'critical', accountId: 6 }));
    await h.runUntil(T0 + 2_000);
    expect(h.telegram.delivered.map((m) => m.text.split('\n')[0]).sort()).toEqual([
      '🔴 CRITICAL · alert crit-1',
      '🟠 WARNING · 50KTC-V2-123456-7: closed 2 MNQH6 (trade 1)',
    ]);
    expect(h.discord.delivered.map((m) => (m.body['embeds'] as { title: string }[])[0]?.title)).toEqual([
      'alert crit-1',
    ]);
    expect(h.notifier.stats().suppressedBy).toEqual({ severity: 0, kinds: 2, channels: 1, quietHours: 0 });
  });

  it('when the trader routes are given bad preferences then a NotifierError names the path', async () => {
    h = await harness();
    await expect(
      h.notifier.setPreferences({
        kinds: 'all',
        channels: ['nope'],
        quietHours: { start: '25:00', end: '07:00' },
      }),
    ).rejects.toMatchObject({
      code: 'PREFERENCES_INVALID',
      path: 'channels[0]',
      problems: [
        { path: 'channels[0]', message: 'unknown channel "nope"' },
        { path: 'quietHours.start', message: 'must be HH:MM (00:00 to 23:59)' },
      ],
    });
    expect(await h.notifier.getPreferences()).toEqual({ kinds: 'all', channels: [] });
  });
});

describe('restart', () => {
  it('when the daemon restarts with undelivered alerts then each alert is delivered exactly once', async () => {
    h = await harness();
    h.discord.answerAlways({ kind: 'server-error', status: 502 });
    h.telegram.answerAlways({ kind: 'server-error', status: 502 });
    for (let i = 0; i < 5; i++) {
      h.notifier.notify(simpleAlert(`r${i}`, { at: h.clock.now(), accountId: i }));
      await h.runUntil(h.clock.now() + 1_500);
    }
    expect(h.discord.delivered).toHaveLength(0);
    expect(h.store.items().filter((i) => i.state === 'pending')).toHaveLength(10);
    await h.notifier.stop();
    h.discord.answerAlways({ kind: 'success' });
    h.telegram.answerAlways({ kind: 'success' });
    await h.restart();
    await h.runUntil(h.clock.now() + 600_000);
    const { discord, telegram } = deliveredText(h);
    for (let i = 0; i < 5; i++) {
      expect(countMentions(discord, `alert r${i}`)).toBe(1);
      expect(countMentions(telegram, `alert r${i}`)).toBe(1);
    }
    expect(await h.store.counts()).toEqual({ pending: 0, delivered: 10, failed: 0 });
  });

  it('when the process crashes after alerts were stored then a new notifier delivers them exactly once', async () => {
    h = await harness();
    const old = h.notifier;
    for (let i = 0; i < 3; i++) h.notifier.notify(simpleAlert(`c${i}`, { accountId: i }));
    await h.settle();
    expect(h.store.items()).toHaveLength(6);
    // No stop(): the old notifier's store is gone with the process.
    await h.restart(h.store.crash());
    await h.runUntil(T0 + 2_000);
    const { discord, telegram } = deliveredText(h);
    for (let i = 0; i < 3; i++) {
      expect(countMentions(discord, `alert c${i}`)).toBe(1);
      expect(countMentions(telegram, `alert c${i}`)).toBe(1);
    }
    expect(old.stats().delivered).toBe(0);
    // The same alert notified again after the restart (a replay) is ignored by the store.
    h.notifier.notify(simpleAlert('c0', { accountId: 0 }));
    await h.runUntil(T0 + 4_000);
    expect(countMentions(deliveredText(h).telegram, 'alert c0')).toBe(1);
  });
});

describe('long messages', () => {
  it('when an alert is far over every limit then both channels accept one cut message with a note', async () => {
    h = await harness();
    const long = 'loss limit reached; '.repeat(2_000) + '_*[]()~>#+-=|{}.!';
    h.notifier.notify(
      simpleAlert('long', {
        severity: 'critical',
        title: 'T'.repeat(1_000),
        message: long,
        fields: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 'v.'.repeat(900)])),
      }),
    );
    await h.runUntil(T0 + 1_000);
    expect(h.discord.requests.map((r) => r.status)).toEqual([204]);
    expect(h.telegram.requests.map((r) => r.status)).toEqual([200]);
    expect(h.telegram.delivered[0]?.raw.length).toBeLessThanOrEqual(4_096);
    expect(h.telegram.delivered[0]?.text).toContain('… truncated, see the audit trail');
    expect(JSON.stringify(h.discord.delivered[0]?.body)).toContain('… truncated, see the audit trail');
    expect(h.notifier.stats().plainFallbacks).toBe(0);
  });
});
