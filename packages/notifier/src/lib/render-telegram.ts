import type { Alert } from '@riskd/core-engine';
import {
  type Line,
  type RenderOptions,
  SEVERITY_MARKER,
  TRUNCATED_NOTE,
  alertFacts,
  fitLines,
  groupSeverity,
  groupTitle,
  inOrder,
  moreAlertsNote,
  severityCounts,
} from './render-common.js';
import { escapeMarkdownV2, fitEscaped, noEscape, oneLine } from './text.js';
import { formatWallTime } from './wall-clock.js';

/** Telegram's limit on a message's text. */
export const TELEGRAM_MAX_MESSAGE_LENGTH = 4096;

const TITLE_MAX = 256;
const FACT_NAME_MAX = 64;
const FACT_VALUE_MAX = 512;
const LINE_TITLE_MAX = 120;
const LINE_MESSAGE_MAX = 300;
const FOOTER_MAX = 256;
/** Most of the 4,096 for the reason, the rest for the facts. */
const MESSAGE_MAX = 2_500;

interface Style {
  readonly escape: (text: string) => string;
  readonly bold: (rendered: string) => string;
  readonly italic: (rendered: string) => string;
  /** Wraps a line's body in a bold entity (markup in prefix and suffix, so a cut never opens it). */
  readonly boldOpen: string;
  readonly boldClose: string;
}

const MARKDOWN: Style = {
  escape: escapeMarkdownV2,
  bold: (s) => `*${s}*`,
  italic: (s) => `_${s}_`,
  boldOpen: '*',
  boldClose: '*',
};

const PLAIN: Style = {
  escape: noEscape,
  bold: (s) => s,
  italic: (s) => s,
  boldOpen: '',
  boldClose: '',
};

/**
 * The MarkdownV2 text (`parse_mode: 'MarkdownV2'`) for one alert or a coalesced group: a bold
 * title line with the severity marker, the facts (account, rule, code, fields), the reason, and an
 * italic footer; a group lists one line per alert. Every dynamic string goes through
 * {@link escapeMarkdownV2}; the text stays within 4,096 characters, cut between or inside line
 * bodies (never inside markup or an escape) with a note. Pure (golden-tested).
 */
export function renderTelegram(alerts: readonly Alert[], options: RenderOptions = {}): string {
  return render(alerts, options, MARKDOWN);
}

/**
 * The same message as plain text (no `parse_mode`), the fallback when Telegram refuses the
 * MarkdownV2 text: the alert still gets through, without formatting.
 */
export function renderTelegramPlain(alerts: readonly Alert[], options: RenderOptions = {}): string {
  return render(alerts, options, PLAIN);
}

function render(alerts: readonly Alert[], options: RenderOptions, style: Style): string {
  const list = inOrder(alerts);
  return list.length === 1 && list[0] ? single(list[0], style) : group(list, options, style);
}

function single(alert: Alert, style: Style): string {
  const { escape } = style;
  const label = `${SEVERITY_MARKER[alert.severity]} ${alert.severity.toUpperCase()} · `;
  const title = fitEscaped(alert.title || alert.kind, TITLE_MAX, escape).text;
  const header = style.bold(escape(label) + title);
  const lines: Line[] = [];
  if (alert.message !== '') {
    // The reason comes first but leaves room for the facts: a very long one is cut here.
    const message = fitEscaped(alert.message, MESSAGE_MAX, escape);
    lines.push({ prefix: message.text, body: '', suffix: '' });
    if (message.truncated) lines.push({ prefix: escape(TRUNCATED_NOTE), body: '', suffix: '' });
  }
  const facts = alertFacts(alert);
  if (lines.length > 0 && facts.length > 0) lines.push({ prefix: '', body: '', suffix: '' });
  for (const [name, value] of facts) {
    lines.push({
      prefix: style.bold(`${fitEscaped(name, FACT_NAME_MAX, escape).text}:`) + ' ',
      body: value.length > FACT_VALUE_MAX ? fitEscaped(value, FACT_VALUE_MAX, noEscape).text : value,
      suffix: '',
    });
  }
  const footer = style.italic(fitEscaped(`Riskd · ${alert.id}`, FOOTER_MAX, escape).text);
  const body = fitLines(lines, TELEGRAM_MAX_MESSAGE_LENGTH - header.length - 1, escape, {
    tail: footer,
    cutLines: true,
    note: () => escape(TRUNCATED_NOTE),
  }).text;
  return `${header}\n${body}`;
}

function group(alerts: readonly Alert[], options: RenderOptions, style: Style): string {
  const { escape } = style;
  const timeZone = options.timeZone ?? 'UTC';
  const severity = groupSeverity(alerts);
  const header = style.bold(
    escape(`${SEVERITY_MARKER[severity]} `) + fitEscaped(groupTitle(alerts), TITLE_MAX, escape).text,
  );
  const summary = escape(`${severityCounts(alerts)}`);
  const lines: Line[] = alerts.map((a) => {
    const head = fitEscaped(oneLine(a.title || a.kind) || 'alert', LINE_TITLE_MAX, noEscape).text;
    const message = fitEscaped(oneLine(a.message), LINE_MESSAGE_MAX, noEscape).text;
    return {
      prefix: `${escape(`${SEVERITY_MARKER[a.severity]} ${formatWallTime(a.at, timeZone)} `)}${style.boldOpen}`,
      body: head,
      suffix: `${style.boldClose}${message === '' ? '' : escape(` — ${message}`)}`,
    };
  });
  const footer = style.italic(escape(`Riskd · ${alerts.length} alerts`));
  const body = fitLines(lines, TELEGRAM_MAX_MESSAGE_LENGTH - header.length - summary.length - 2, escape, {
    tail: footer,
    cutLines: false,
    note: (omitted) => escape(moreAlertsNote(omitted)),
  }).text;
  return `${header}\n${summary}\n${body}`;
}
