import type { Alert, Clock } from '@riskd/core-engine';
import {
  type ChannelConfig,
  type DiscordChannelConfig,
  TELEGRAM_API_BASE_URL,
  type TelegramChannelConfig,
  channelSecrets,
  redactSecrets,
} from './channel-config.js';
import { renderDiscord } from './render-discord.js';
import { renderTelegram, renderTelegramPlain } from './render-telegram.js';

/** What one request to a channel came to. */
export type SendOutcome =
  | { readonly kind: 'ok'; readonly status: number; readonly plainFallback?: boolean }
  /** Try again later: 5xx, 408, 429, a network error or a timeout. */
  | {
      readonly kind: 'retry';
      readonly status?: number;
      /** The server's own wait (429 `retry_after`), in ms. */
      readonly retryAfterMs?: number;
      readonly error: string;
    }
  /**
   * Do not try again: `channel` when the channel itself is unusable (401, 403, 404, Telegram's
   * `chat not found`), `message` when only this message is refused (any other 4xx).
   */
  | {
      readonly kind: 'permanent';
      readonly scope: 'channel' | 'message';
      readonly status?: number;
      readonly error: string;
    };

/** What a send needs besides the channel and the alerts. */
export interface TransportContext {
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** Zone of the times shown in coalesced messages. */
  readonly timeZone: string;
}

interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
  readonly text: string;
}

/** Sends one message (one alert, or a coalesced group) to a channel. Never throws. */
export async function sendToChannel(
  channel: ChannelConfig,
  alerts: readonly Alert[],
  context: TransportContext,
): Promise<SendOutcome> {
  const outcome =
    channel.type === 'discord'
      ? await sendDiscord(channel, alerts, context)
      : await sendTelegram(channel, alerts, context);
  if (outcome.kind === 'ok') return outcome;
  // Error texts may quote the request (a URL with the webhook token, the bot token): scrub them.
  return { ...outcome, error: redactSecrets(outcome.error, channelSecrets(channel)) };
}

async function sendDiscord(
  channel: DiscordChannelConfig,
  alerts: readonly Alert[],
  context: TransportContext,
): Promise<SendOutcome> {
  const body = renderDiscord(alerts, {
    timeZone: context.timeZone,
    ...(channel.username ? { username: channel.username } : {}),
  });
  const answer = await post(channel.webhookUrl, body, context);
  if ('error' in answer) return { kind: 'retry', error: answer.error };
  const { status } = answer;
  if (status >= 200 && status < 300) return { kind: 'ok', status };
  const json = (answer.json ?? {}) as { message?: unknown; code?: unknown; retry_after?: unknown };
  const what = `HTTP ${status}${typeof json.message === 'string' ? `: ${json.message}` : ''}${
    typeof json.code === 'number' ? ` (code ${json.code})` : ''
  }`;
  if (status === 429) {
    const retryAfterMs =
      typeof json.retry_after === 'number' && Number.isFinite(json.retry_after)
        ? Math.ceil(json.retry_after * 1000)
        : retryAfterHeaderMs(answer.headers, context.clock.now());
    return { kind: 'retry', status, error: what, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status === 408 || status >= 500) return { kind: 'retry', status, error: what };
  if (status === 401 || status === 403 || status === 404) {
    return { kind: 'permanent', scope: 'channel', status, error: what };
  }
  return { kind: 'permanent', scope: 'message', status, error: what };
}

async function sendTelegram(
  channel: TelegramChannelConfig,
  alerts: readonly Alert[],
  context: TransportContext,
): Promise<SendOutcome> {
  const base = (channel.apiBaseUrl ?? TELEGRAM_API_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/bot${channel.botToken}/sendMessage`;
  const render = { timeZone: context.timeZone };
  const first = await postTelegram(
    url,
    {
      chat_id: channel.chatId,
      text: renderTelegram(alerts, render),
      parse_mode: 'MarkdownV2',
      link_preview_options: { is_disabled: true },
    },
    context,
  );
  if (first.kind !== 'parse-error') return first;
  // The MarkdownV2 text was refused: a rendering fault that no retry fixes. The same message as plain
  // text still tells the trader what happened.
  const plain = await postTelegram(
    url,
    {
      chat_id: channel.chatId,
      text: renderTelegramPlain(alerts, render),
      link_preview_options: { is_disabled: true },
    },
    context,
  );
  if (plain.kind === 'ok') return { ...plain, plainFallback: true };
  if (plain.kind === 'parse-error') {
    return { kind: 'permanent', scope: 'message', status: plain.status, error: plain.error };
  }
  return plain;
}

async function postTelegram(
  url: string,
  body: Record<string, unknown>,
  context: TransportContext,
): Promise<SendOutcome | { kind: 'parse-error'; status: number; error: string }> {
  const answer = await post(url, body, context);
  if ('error' in answer) return { kind: 'retry', error: answer.error };
  const { status } = answer;
  if (status >= 200 && status < 300) return { kind: 'ok', status };
  const json = (answer.json ?? {}) as {
    description?: unknown;
    parameters?: { retry_after?: unknown; migrate_to_chat_id?: unknown };
  };
  const description = typeof json.description === 'string' ? json.description : '';
  const what = `HTTP ${status}${description ? `: ${description}` : ''}`;
  if (status === 429) {
    const seconds = json.parameters?.retry_after;
    const retryAfterMs =
      typeof seconds === 'number' && Number.isFinite(seconds)
        ? Math.ceil(seconds * 1000)
        : retryAfterHeaderMs(answer.headers, context.clock.now());
    return { kind: 'retry', status, error: what, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status === 408 || status >= 500) return { kind: 'retry', status, error: what };
  if (status === 400 && /can't parse entities/i.test(description)) {
    return { kind: 'parse-error', status, error: what };
  }
  if (status === 400 && /message is too long|text is empty|text must be non-empty/i.test(description)) {
    return { kind: 'permanent', scope: 'message', status, error: what };
  }
  if (status === 400 || status === 401 || status === 403 || status === 404) {
    // 400 here is the chat (not found, upgraded to a supergroup, ...): the config has to change.
    return { kind: 'permanent', scope: 'channel', status, error: what };
  }
  return { kind: 'permanent', scope: 'message', status, error: what };
}

/** `Retry-After` as ms: delta-seconds (fractions accepted) or an HTTP date. */
function retryAfterHeaderMs(headers: Headers, now: number): number | undefined {
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000));
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** POSTs JSON with a timeout on the Clock; a network error or timeout comes back as `{ error }`. */
async function post(
  url: string,
  body: unknown,
  context: TransportContext,
): Promise<HttpAnswer | { error: string }> {
  const controller = new AbortController();
  const timer = context.clock.scheduleIn(context.timeoutMs, () => controller.abort());
  try {
    const response = await context.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Riskd-Notifier/0.1' },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  } catch (err) {
    if (controller.signal.aborted) return { error: `no answer within ${context.timeoutMs} ms` };
    return { error: describeError(err) };
  } finally {
    context.clock.cancel(timer);
  }
}

/** An error's message and its cause's code or message (fetch hides the socket error in `cause`). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const detail =
    cause instanceof Error
      ? ((cause as { code?: unknown }).code ?? cause.message)
      : cause !== undefined
        ? String(cause)
        : undefined;
  return detail !== undefined && detail !== '' ? `${err.message} (${String(detail)})` : err.message;
}
