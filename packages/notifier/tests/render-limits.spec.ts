import type { Alert } from '@riskd/core-engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderDiscord, renderTelegram, renderTelegramPlain } from '../src/index.js';
import { parseMarkdownV2, validateWebhookBody } from '../src/testing.js';
import { T0 } from './golden-alerts.js';

const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: fc.constantFrom(...'_*[]()~`>#+-=|{}.!\\ \na1'), maxLength }),
  );

const alertArb: fc.Arbitrary<Alert> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 300 }),
  at: fc.integer({ min: T0, max: T0 + 86_400_000 }),
  severity: fc.constantFrom('info' as const, 'warning' as const, 'critical' as const),
  kind: fc.constantFrom('enforcement', 'warning', 'rule-alert'),
  accountId: fc.integer({ min: 1, max: 99 }),
  ruleId: text(300),
  code: text(100),
  title: text(600),
  message: text(12_000),
  fields: fc.dictionary(text(300), text(2_000), { maxKeys: 40 }),
});

describe('message limits', () => {
  it('when any alert or group is rendered for Discord then the body passes every embed limit', () => {
    fc.assert(
      fc.property(fc.array(alertArb, { minLength: 1, maxLength: 40 }), (alerts) => {
        const body = renderDiscord(alerts, { timeZone: 'America/Chicago', username: 'Riskd' });
        expect(validateWebhookBody(body as unknown as Record<string, unknown>)).toEqual([]);
        expect(body.embeds).toHaveLength(1);
      }),
      { numRuns: 60 },
    );
  });

  it('when any alert or group is rendered for Telegram then the text parses and stays within 4,096', () => {
    fc.assert(
      fc.property(fc.array(alertArb, { minLength: 1, maxLength: 40 }), (alerts) => {
        const markdown = renderTelegram(alerts, { timeZone: 'America/Chicago' });
        expect(markdown.length).toBeLessThanOrEqual(4_096);
        expect(parseMarkdownV2(markdown).ok).toBe(true);
        expect(renderTelegramPlain(alerts).length).toBeLessThanOrEqual(4_096);
      }),
      { numRuns: 60 },
    );
  });

  it('when a group is larger than a message then it ends with how many alerts were left out', () => {
    const alerts = Array.from({ length: 200 }, (_, i) => ({
      id: `g${i}`,
      at: T0 + i,
      severity: 'info' as const,
      kind: 'rule-alert',
      accountId: 1,
      title: `alert number ${i}`,
      message: 'x'.repeat(200),
    }));
    const telegram = renderTelegram(alerts);
    const omitted = Number(/… (\d+) more alerts, see the audit trail/.exec(telegram)?.[1]);
    const listed = alerts.filter((a) => telegram.includes(`*${a.title}*`)).length;
    expect(listed + omitted).toBe(200);
    const discord = renderDiscord(alerts).embeds[0]?.description ?? '';
    const omittedDiscord = Number(/… (\d+) more alerts, see the audit trail/.exec(discord)?.[1]);
    const listedDiscord = alerts.filter((a) => discord.includes(`**${a.title}**`)).length;
    expect(listedDiscord + omittedDiscord).toBe(200);
  });
});
