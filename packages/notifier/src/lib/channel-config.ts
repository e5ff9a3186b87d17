import type { AlertSeverity } from '@riskd/core-engine';
import { NotifierValidationError, type NotifierProblem } from './notifier-errors.js';

/** Who a channel is for: the admin, the trader, or both. */
export type ChannelAudience = 'admin' | 'trader' | 'all';

/** Fields every chat channel has (the config's `notifications` entries). */
export interface ChannelBase {
  /** Unique across channels; outbox items and the trader's preferences refer to it. */
  readonly id: string;
  readonly enabled: boolean;
  readonly audience: ChannelAudience;
  /** Alerts below this severity are not sent to the channel. */
  readonly minSeverity: AlertSeverity;
}

/** A Discord webhook. */
export interface DiscordChannelConfig extends ChannelBase {
  readonly type: 'discord';
  /** `https://discord.com/api/webhooks/<id>/<token>` (a secret; never logged). */
  readonly webhookUrl: string;
  /** The name the webhook posts under. */
  readonly username?: string;
}

/** A Telegram bot writing to one chat. */
export interface TelegramChannelConfig extends ChannelBase {
  readonly type: 'telegram';
  /** The bot token (a secret; never logged). */
  readonly botToken: string;
  /** Chat id (`-100…` for groups) or `@channelname`. */
  readonly chatId: string;
  /** Bot API origin; default `https://api.telegram.org` (tests point it at a loopback server). */
  readonly apiBaseUrl?: string;
}

export type ChannelConfig = DiscordChannelConfig | TelegramChannelConfig;

export const TELEGRAM_API_BASE_URL = 'https://api.telegram.org';

const AUDIENCES: readonly string[] = ['admin', 'trader', 'all'];
const SEVERITIES: readonly string[] = ['info', 'warning', 'critical'];

/**
 * Checks a channel list: unique non-empty ids, a known type, audience and severity, an http(s)
 * webhook URL or API base URL, a bot token and chat id. Disabled channels may leave their secret
 * empty (the config allows an unset secret on a disabled channel). Throws
 * {@link NotifierValidationError} (`CHANNELS_INVALID`) listing every problem.
 */
export function validateChannels(channels: readonly ChannelConfig[]): readonly ChannelConfig[] {
  const problems: NotifierProblem[] = [];
  const seen = new Set<string>();
  channels.forEach((channel, i) => {
    const at = `channels[${i}]`;
    if (typeof channel.id !== 'string' || channel.id.trim() === '') {
      problems.push({ path: `${at}.id`, message: 'must be a non-empty string' });
    } else if (seen.has(channel.id)) {
      problems.push({ path: `${at}.id`, message: `duplicate channel id "${channel.id}"` });
    } else {
      seen.add(channel.id);
    }
    if (!AUDIENCES.includes(channel.audience)) {
      problems.push({ path: `${at}.audience`, message: 'must be one of admin, trader, all' });
    }
    if (!SEVERITIES.includes(channel.minSeverity)) {
      problems.push({ path: `${at}.minSeverity`, message: 'must be one of info, warning, critical' });
    }
    const type = (channel as { type?: unknown }).type;
    if (type === 'discord') {
      const c = channel as DiscordChannelConfig;
      if (channel.enabled && !isHttpUrl(c.webhookUrl)) {
        problems.push({ path: `${at}.webhookUrl`, message: 'must be an http(s) URL' });
      }
    } else if (type === 'telegram') {
      const c = channel as TelegramChannelConfig;
      if (channel.enabled && (typeof c.botToken !== 'string' || !/^\S+$/.test(c.botToken))) {
        problems.push({ path: `${at}.botToken`, message: 'must be a non-empty token without spaces' });
      }
      if (channel.enabled && (typeof c.chatId !== 'string' || c.chatId.trim() === '')) {
        problems.push({ path: `${at}.chatId`, message: 'must be a non-empty string' });
      }
      if (c.apiBaseUrl !== undefined && !isHttpUrl(c.apiBaseUrl)) {
        problems.push({ path: `${at}.apiBaseUrl`, message: 'must be an http(s) URL' });
      }
    } else {
      problems.push({ path: `${at}.type`, message: 'must be discord or telegram' });
    }
  });
  if (problems.length > 0) throw new NotifierValidationError('CHANNELS_INVALID', problems);
  return channels;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The secrets of a channel, so error texts can be scrubbed before they reach a log or an alert. */
export function channelSecrets(channel: ChannelConfig): string[] {
  if (channel.type === 'telegram') return channel.botToken ? [channel.botToken] : [];
  const secrets = [channel.webhookUrl];
  // The last path segment of a webhook URL is its token.
  const token = /\/api\/webhooks\/[^/]+\/([^/?#]+)/.exec(channel.webhookUrl)?.[1];
  if (token) secrets.push(token);
  return secrets.filter((s) => s !== '');
}

/** `text` with every secret replaced by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** Same delivery target and settings (a changed channel gets a fresh start after a permanent failure). */
export function sameChannel(a: ChannelConfig, b: ChannelConfig): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(channel: ChannelConfig): unknown {
  return Object.fromEntries(
    Object.entries(channel as unknown as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)),
  );
}

/** A channel without its secrets, for status displays. */
export interface ChannelSummary {
  readonly id: string;
  readonly type: ChannelConfig['type'];
  readonly enabled: boolean;
  readonly audience: ChannelAudience;
  readonly minSeverity: AlertSeverity;
  /** `ok`, `backing-off` (a retryable failure, waiting), or `failed` (permanent until reconfigured). */
  readonly state: 'ok' | 'backing-off' | 'failed';
  /** The permanent failure's reason, when `state` is `failed`. */
  readonly failure?: string;
}
