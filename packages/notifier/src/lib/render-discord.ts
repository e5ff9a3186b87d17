import type { Alert } from '@riskd/core-engine';
import {
  type RenderOptions,
  SEVERITY_COLOR,
  SEVERITY_MARKER,
  TRUNCATED_NOTE,
  accountLabel,
  alertFacts,
  fitLines,
  groupSeverity,
  groupTitle,
  inOrder,
  moreAlertsNote,
  severityCounts,
} from './render-common.js';
import { ELLIPSIS, escapeDiscordMarkdown, fitEscaped, noEscape, oneLine } from './text.js';
import { formatWallTime } from './wall-clock.js';

/** Discord's limits on a webhook message's embeds (characters, as Discord counts them). */
export const DISCORD_LIMITS = Object.freeze({
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** Title, description, field names and values, footer and author name of all embeds together. */
  total: 6000,
  embeds: 10,
  username: 80,
});

/** One embed field. */
export interface DiscordEmbedField {
  readonly name: string;
  readonly value: string;
  readonly inline?: boolean;
}

/** The subset of Discord's embed object Riskd sends. */
export interface DiscordEmbed {
  readonly title: string;
  readonly description?: string;
  readonly color: number;
  readonly fields?: readonly DiscordEmbedField[];
  /** ISO 8601. */
  readonly timestamp: string;
  readonly footer: { readonly text: string };
}

/** The JSON body of `POST /api/webhooks/<id>/<token>`. */
export interface DiscordWebhookBody {
  readonly username?: string;
  readonly embeds: readonly DiscordEmbed[];
  /** Nothing in an alert may ping anyone (`@everyone` in a reason stays text). */
  readonly allowed_mentions: { readonly parse: readonly string[] };
}

/** Options of {@link renderDiscord}. */
export interface DiscordRenderOptions extends RenderOptions {
  /** The name the webhook posts under. */
  readonly username?: string;
}

/** Short facts sit side by side; long ones take a row. */
const INLINE_MAX = 40;
/** Room kept for the description when fields compete with it for the 6,000 total. */
const DESCRIPTION_RESERVE = 1024;
/** How much of one alert's title and message a line of a coalesced list shows. */
const LINE_TITLE_MAX = 120;
const LINE_MESSAGE_MAX = 300;

/**
 * The webhook body for one alert (a detailed embed) or a coalesced group (one embed listing every
 * alert as a line), always one embed within every Discord limit; what does not fit is cut with a
 * visible note. Pure: the same alerts and options give the same body (golden-tested).
 */
export function renderDiscord(
  alerts: readonly Alert[],
  options: DiscordRenderOptions = {},
): DiscordWebhookBody {
  const list = inOrder(alerts);
  const embed = list.length === 1 && list[0] ? singleEmbed(list[0]) : groupEmbed(list, options);
  return {
    ...(options.username
      ? { username: fitEscaped(options.username, DISCORD_LIMITS.username, noEscape).text }
      : {}),
    embeds: [embed],
    allowed_mentions: { parse: [] },
  };
}

function field(name: string, value: string, escapeValue = true): DiscordEmbedField {
  const n = fitEscaped(name, DISCORD_LIMITS.fieldName, escapeDiscordMarkdown).text || '\u200b';
  const v = escapeValue
    ? fitEscaped(value, DISCORD_LIMITS.fieldValue, escapeDiscordMarkdown).text
    : fitEscaped(value, DISCORD_LIMITS.fieldValue, noEscape).text;
  const shown = v === '' ? '—' : v;
  return { name: n, value: shown, inline: n.length <= INLINE_MAX && shown.length <= INLINE_MAX };
}

function fieldsLength(fields: readonly DiscordEmbedField[]): number {
  return fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
}

function singleEmbed(alert: Alert): DiscordEmbed {
  const title = fitEscaped(alert.title || alert.kind, DISCORD_LIMITS.title, escapeDiscordMarkdown).text;
  const footer = fitEscaped(`Riskd · ${alert.severity} · ${alert.id}`, DISCORD_LIMITS.footer, noEscape).text;
  const message = escapeDiscordMarkdown(alert.message);
  const fixed = title.length + footer.length;
  const reserve = Math.min(message.length, DESCRIPTION_RESERVE) + TRUNCATED_NOTE.length + 64;
  const candidates = alertFacts(alert).map(([name, value]) => field(name, value));
  const fields: DiscordEmbedField[] = [];
  let used = 0;
  for (const f of candidates) {
    if (fields.length >= DISCORD_LIMITS.fields) break;
    const size = f.name.length + f.value.length;
    if (fixed + used + size + reserve > DISCORD_LIMITS.total) break;
    fields.push(f);
    used += size;
  }
  const droppedFields = candidates.length - fields.length;
  const notes = droppedFields > 0 ? [`${ELLIPSIS} ${droppedFields} more fields, see the audit trail`] : [];
  const budget = Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.total - fixed - used);
  const lines = [{ prefix: '', body: alert.message, suffix: '' }];
  const description = fitLines(
    lines,
    budget - notes.reduce((n, s) => n + s.length + 1, 0),
    escapeDiscordMarkdown,
    {
      cutLines: true,
      note: () => TRUNCATED_NOTE,
    },
  ).text;
  const text = [description, ...notes].filter((s) => s !== '').join('\n');
  return {
    title,
    ...(text !== '' ? { description: text } : {}),
    color: SEVERITY_COLOR[alert.severity],
    ...(fields.length > 0 ? { fields } : {}),
    timestamp: new Date(alert.at).toISOString(),
    footer: { text: footer },
  };
}

function groupEmbed(alerts: readonly Alert[], options: RenderOptions): DiscordEmbed {
  const timeZone = options.timeZone ?? 'UTC';
  const severity = groupSeverity(alerts);
  const title = fitEscaped(groupTitle(alerts), DISCORD_LIMITS.title, escapeDiscordMarkdown).text;
  const footer = `Riskd · ${severity} · ${alerts.length} alerts`;
  const first = alerts[0];
  const account = first ? accountLabel(first) : undefined;
  const rules = [...new Set(alerts.map((a) => a.ruleId).filter((r): r is string => !!r))];
  const fields = [
    ...(account !== undefined ? [field('Account', account)] : []),
    field('Alerts', `${alerts.length} (${severityCounts(alerts)})`),
    ...(rules.length > 0 ? [field('Rules', rules.join(', '))] : []),
  ];
  const budget = Math.min(
    DISCORD_LIMITS.description,
    DISCORD_LIMITS.total - title.length - footer.length - fieldsLength(fields),
  );
  const lines = alerts.map((a) => {
    const head = fitEscaped(oneLine(a.title || a.kind) || 'alert', LINE_TITLE_MAX, noEscape).text;
    const body = fitEscaped(oneLine(a.message), LINE_MESSAGE_MAX, noEscape).text;
    return {
      prefix: `${SEVERITY_MARKER[a.severity]} ${formatWallTime(a.at, timeZone)} **`,
      body: head,
      suffix: `**${body === '' ? '' : ` — ${escapeDiscordMarkdown(body)}`}`,
    };
  });
  const description = fitLines(lines, budget, escapeDiscordMarkdown, {
    cutLines: false,
    note: (omitted) => moreAlertsNote(omitted),
  }).text;
  const last = alerts[alerts.length - 1];
  return {
    title,
    description,
    color: SEVERITY_COLOR[severity],
    fields,
    timestamp: new Date(last ? last.at : 0).toISOString(),
    footer: { text: footer },
  };
}
