import type { Alert, AlertSeverity } from '@riskd/core-engine';
import { maxSeverity } from './severity.js';
import { ELLIPSIS, fitEscaped } from './text.js';

/** Options of the renderers. */
export interface RenderOptions {
  /** IANA zone the times in coalesced messages are shown in; default `UTC`. */
  readonly timeZone?: string;
}

/** Severity markers: the first thing on a line, readable on any client. */
export const SEVERITY_MARKER: Readonly<Record<AlertSeverity, string>> = Object.freeze({
  critical: '🔴',
  warning: '🟠',
  info: '🔵',
});

/** Discord embed colours: red, amber, blue. */
export const SEVERITY_COLOR: Readonly<Record<AlertSeverity, number>> = Object.freeze({
  critical: 0xd32f2f,
  warning: 0xf9a825,
  info: 0x1e88e5,
});

/** How an account is named: the alert's `fields.account` (its name) or else its id. */
export function accountLabel(alert: Alert): string | undefined {
  const named = alert.fields?.['account'];
  if (named !== undefined && named !== '') return named;
  return alert.accountId === undefined ? undefined : String(alert.accountId);
}

/** The facts shown for one alert, in order: Account, Rule, Code, then `fields` (without `account`). */
export function alertFacts(alert: Alert): Array<readonly [string, string]> {
  const facts: Array<readonly [string, string]> = [];
  const account = accountLabel(alert);
  if (account !== undefined) facts.push(['Account', account]);
  if (alert.ruleId !== undefined && alert.ruleId !== '') facts.push(['Rule', alert.ruleId]);
  if (alert.code !== undefined && alert.code !== '') facts.push(['Code', alert.code]);
  for (const [key, value] of Object.entries(alert.fields ?? {})) {
    if (key === 'account') continue;
    facts.push([key, String(value)]);
  }
  return facts;
}

/** Alerts of one message in the order they are listed: oldest first, then by id. */
export function inOrder(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The title of a coalesced message: `10 alerts on account X` (or `10 alerts` without an account). */
export function groupTitle(alerts: readonly Alert[]): string {
  const first = alerts[0];
  const account = first ? accountLabel(first) : undefined;
  return account === undefined ? `${alerts.length} alerts` : `${alerts.length} alerts on account ${account}`;
}

/** `1 critical, 9 info`: severities of a group, highest first. */
export function severityCounts(alerts: readonly Alert[]): string {
  const order: AlertSeverity[] = ['critical', 'warning', 'info'];
  return order
    .map((s) => [s, alerts.filter((a) => a.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

/** The highest severity of a group. */
export function groupSeverity(alerts: readonly Alert[]): AlertSeverity {
  return maxSeverity(alerts.map((a) => a.severity));
}

/** The note that ends a list cut short. */
export function moreAlertsNote(omitted: number): string {
  return `${ELLIPSIS} ${omitted} more ${omitted === 1 ? 'alert' : 'alerts'}, see the audit trail`;
}

/** The note that ends a text cut short. */
export const TRUNCATED_NOTE = `${ELLIPSIS} truncated, see the audit trail`;

/** One line of a message: markup `prefix` and `suffix` around a body that gets escaped. */
export interface Line {
  readonly prefix: string;
  readonly body: string;
  readonly suffix: string;
}

/** Result of {@link fitLines}. */
export interface FittedLines {
  readonly text: string;
  /** Lines left out entirely. */
  readonly omitted: number;
  /** Whether one line was cut short. */
  readonly cut: boolean;
}

/**
 * Joins lines with `\n`, then `tail`, within `max` UTF-16 units. When they do not fit, lines are
 * kept while they fit; with `cutLines` the first line that does not fit is cut inside its body (never
 * inside its markup, so every entity stays closed), then `note(omitted, cut)` (already rendered)
 * and the tail close the text.
 */
export function fitLines(
  lines: readonly Line[],
  max: number,
  escape: (text: string) => string,
  options: {
    readonly tail?: string;
    readonly cutLines: boolean;
    readonly note: (omitted: number, cut: boolean) => string;
  },
): FittedLines {
  const rendered = lines.map((l) => l.prefix + escape(l.body) + l.suffix);
  const tail = options.tail === undefined ? [] : [options.tail];
  const whole = [...rendered, ...tail].join('\n');
  if (whole.length <= max) return { text: whole, omitted: 0, cut: false };
  const reserve =
    Math.max(options.note(lines.length, true).length, options.note(lines.length, false).length) +
    1 +
    (options.tail === undefined ? 0 : options.tail.length + 1);
  const budget = max - reserve;
  const kept: string[] = [];
  let used = 0;
  let cut = false;
  let i = 0;
  for (; i < lines.length; i++) {
    const text = rendered[i] ?? '';
    const add = (kept.length > 0 ? 1 : 0) + text.length;
    if (used + add <= budget) {
      kept.push(text);
      used += add;
      continue;
    }
    const line = lines[i];
    if (options.cutLines && line) {
      const room = budget - used - (kept.length > 0 ? 1 : 0) - line.prefix.length - line.suffix.length;
      // A cut that leaves fewer than a few characters of the body says nothing: drop the line instead.
      if (room >= 8) {
        kept.push(line.prefix + fitEscaped(line.body, room, escape).text + line.suffix);
        cut = true;
        i++;
      }
    }
    break;
  }
  const omitted = lines.length - i;
  const text = [...kept, options.note(omitted, cut), ...tail].join('\n');
  return { text, omitted, cut };
}
