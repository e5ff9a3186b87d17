import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscordServer, FakeTelegramServer } from '../src/testing.js';

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
}

const EMBED = {
  embeds: [
    { title: 't', description: 'd', color: 1, timestamp: '2026-01-05T14:30:00.000Z', footer: { text: 'f' } },
  ],
};

describe('FakeDiscordServer', () => {
  const discord = new FakeDiscordServer();
  beforeAll(async () => {
    await discord.start();
  });
  afterAll(async () => {
    await discord.stop();
  });

  it('when a webhook is executed then it answers 204, or 200 with the message for ?wait=true', async () => {
    expect((await post(discord.webhookUrl, EMBED)).status).toBe(204);
    const waited = await post(`${discord.webhookUrl}?wait=true`, EMBED);
    expect(waited.status).toBe(200);
    expect(waited.json).toMatchObject({ webhook_id: discord.webhookId, embeds: EMBED.embeds });
    expect(discord.requests.at(-1)).toMatchObject({
      method: 'POST',
      query: { wait: 'true' },
      body: EMBED,
      status: 200,
    });
  });

  it('when rate limited then it answers 429 with retry_after in the body and Retry-After', async () => {
    discord.answerNext({ kind: 'rate-limited', retryAfter: 0.5 });
    const res = await post(discord.webhookUrl, EMBED);
    expect(res.status).toBe(429);
    expect(res.json).toEqual({ message: 'You are being rate limited.', retry_after: 0.5, global: false });
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('when the token is wrong or the webhook unknown then it answers 401 Invalid Webhook Token or 404 Unknown Webhook', async () => {
    const wrongToken = discord.webhookUrl.replace(discord.webhookToken, 'other');
    expect(await post(wrongToken, EMBED)).toMatchObject({
      status: 401,
      json: { message: 'Invalid Webhook Token', code: 50027 },
    });
    const wrongId = discord.webhookUrl.replace(discord.webhookId, '1');
    expect(await post(wrongId, EMBED)).toMatchObject({
      status: 404,
      json: { message: 'Unknown Webhook', code: 10015 },
    });
  });

  it('when an embed is over a limit then it answers 400 Invalid Form Body naming the field', async () => {
    const res = await post(discord.webhookUrl, {
      embeds: [{ title: 'x'.repeat(257), footer: { text: 'f' } }],
    });
    expect(res).toMatchObject({
      status: 400,
      json: {
        message: 'Invalid Form Body',
        code: 50035,
        errors: { embeds: { 0: { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } },
      },
    });
    expect((await post(discord.webhookUrl, {})).json).toEqual({
      message: 'Cannot send an empty message',
      code: 50006,
    });
  });
});

describe('FakeTelegramServer', () => {
  const telegram = new FakeTelegramServer();
  const send = (body: Record<string, unknown>, token = telegram.botToken) =>
    post(`${telegram.apiBaseUrl}/bot${token}/sendMessage`, body);
  beforeAll(async () => {
    await telegram.start();
  });
  afterAll(async () => {
    await telegram.stop();
  });

  it('when a valid MarkdownV2 message is sent then it answers ok with the message and records the shown text', async () => {
    const res = await send({ chat_id: telegram.chatId, text: '*Hi* 1\\.5', parse_mode: 'MarkdownV2' });
    expect(res).toMatchObject({ status: 200, json: { ok: true, result: { message_id: 1, text: 'Hi 1.5' } } });
    expect(telegram.delivered[0]).toMatchObject({
      text: 'Hi 1.5',
      raw: '*Hi* 1\\.5',
      parseMode: 'MarkdownV2',
    });
  });

  it("when a reserved character is not escaped then it answers 400 can't parse entities", async () => {
    const res = await send({ chat_id: telegram.chatId, text: 'P&L -1.5', parse_mode: 'MarkdownV2' });
    expect(res).toMatchObject({
      status: 400,
      json: {
        ok: false,
        error_code: 400,
        description:
          "Bad Request: can't parse entities: Character '-' is reserved and must be escaped with the preceding '\\'",
      },
    });
  });

  it('when the text is over 4,096 characters then it answers 400 message is too long', async () => {
    const res = await send({ chat_id: telegram.chatId, text: 'a'.repeat(4_097) });
    expect(res.json).toEqual({ ok: false, error_code: 400, description: 'Bad Request: message is too long' });
  });

  it('when the token, chat or method is wrong then it answers 401, 400 chat not found or 404', async () => {
    expect((await send({ chat_id: telegram.chatId, text: 'x' }, '1:bad')).json).toEqual({
      ok: false,
      error_code: 401,
      description: 'Unauthorized',
    });
    expect((await send({ chat_id: '1', text: 'x' })).json).toMatchObject({
      description: 'Bad Request: chat not found',
    });
    const other = await post(`${telegram.apiBaseUrl}/bot${telegram.botToken}/getMe`, {});
    expect(other.json).toEqual({ ok: false, error_code: 404, description: 'Not Found' });
  });

  it('when rate limited then it answers 429 with parameters.retry_after', async () => {
    telegram.answerNext({ kind: 'rate-limited', retryAfter: 3 });
    expect((await send({ chat_id: telegram.chatId, text: 'x' })).json).toEqual({
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 3',
      parameters: { retry_after: 3 },
    });
  });
});
