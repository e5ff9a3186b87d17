import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Alert } from '@riskd/core-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DISCORD_LIMITS,
  classifySeverity,
  renderDiscord,
  renderTelegram,
  TELEGRAM_MAX_MESSAGE_LENGTH,
} from '../src/index.js';
import { FakeDiscordServer, FakeTelegramServer, parseMarkdownV2 } from '../src/testing.js';
import { GOLDEN_CASES } from './golden-alerts.js';

// UPDATE_GOLDEN=1 npx vitest run tests/golden.spec.ts rewrites the fixtures; otherwise they are compared.
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const RENDER = { timeZone: 'America/Chicago', username: 'Riskd' } as const;

/** What the notifier renders: the alerts with their classified severity. */
function classified(alerts: readonly Alert[]): Alert[] {
  return alerts.map((a) => ({ ...a, severity: classifySeverity(a) }));
}

function golden(file: string, actual: string): string {
  const at = path.join(FIXTURES, file);
  if (UPDATE || !existsSync(at)) {
    if (!UPDATE) throw new Error(`missing fixture ${file}: run with UPDATE_GOLDEN=1`);
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(at, actual);
  }
  return readFileSync(at, 'utf8');
}

function embedTotal(body: ReturnType<typeof renderDiscord>): number {
  return body.embeds.reduce(
    (sum, e) =>
      sum +
      e.title.length +
      (e.description?.length ?? 0) +
      e.footer.text.length +
      (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0),
    0,
  );
}

describe('golden messages', () => {
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

  for (const [name, alerts] of Object.entries(GOLDEN_CASES)) {
    it(`when the ${name} case is rendered for Discord then the embed JSON matches the fixture and Discord accepts it`, async () => {
      const body = renderDiscord(classified(alerts), RENDER);
      const expected = golden(`${name}.discord.json`, `${JSON.stringify(body, null, 2)}\n`);
      expect(body).toEqual(JSON.parse(expected));
      expect(body.embeds.length).toBeLessThanOrEqual(DISCORD_LIMITS.embeds);
      expect(embedTotal(body)).toBeLessThanOrEqual(DISCORD_LIMITS.total);
      const response = await fetch(discord.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(204);
    });

    it(`when the ${name} case is rendered for Telegram then the MarkdownV2 text matches the fixture and Telegram accepts it`, async () => {
      const text = renderTelegram(classified(alerts), RENDER);
      expect(text).toBe(golden(`${name}.telegram.txt`, text));
      expect(text.length).toBeLessThanOrEqual(TELEGRAM_MAX_MESSAGE_LENGTH);
      expect(parseMarkdownV2(text).ok).toBe(true);
      const response = await fetch(`${telegram.apiBaseUrl}/bot${telegram.botToken}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: telegram.chatId, text, parse_mode: 'MarkdownV2' }),
      });
      expect(await response.json()).toMatchObject({ ok: true });
    });
  }
});
