import { type FakeAnswer, FakeHttpServer, type HttpReply, type RecordedRequest } from './fake-http-server.js';

/** Options of {@link FakeDiscordServer}. */
export interface FakeDiscordServerOptions {
  readonly webhookId?: string;
  readonly webhookToken?: string;
}

/** A message the fake accepted. */
export interface DiscordDelivered {
  readonly id: string;
  readonly body: Record<string, unknown>;
}

interface FormError {
  readonly path: readonly string[];
  readonly code: string;
  readonly message: string;
}

/**
 * A loopback Discord that answers `POST /api/webhooks/<id>/<token>` like discord.com: 204 (200 with
 * the message for `?wait=true`), 429 `{"message":"You are being rate limited.","retry_after":…,
 * "global":false}` with `Retry-After`, 404 `{"message":"Unknown Webhook","code":10015}` for an
 * unknown or deleted webhook, 401 `{"message":"Invalid Webhook Token","code":50027}` for a wrong
 * token, and 400 `Invalid Form Body` (50035) for a body over the embed limits.
 */
export class FakeDiscordServer extends FakeHttpServer {
  readonly webhookId: string;
  readonly webhookToken: string;
  /** Messages accepted, in order. */
  readonly delivered: DiscordDelivered[] = [];
  private deleted = false;
  private nextMessageId = 1_300_000_000_000_000_000n;

  constructor(options: FakeDiscordServerOptions = {}) {
    super();
    this.webhookId = options.webhookId ?? '1234567890123456789';
    this.webhookToken = options.webhookToken ?? 'fake-webhook-token_AbC-123';
  }

  /** The webhook URL a channel config uses. */
  get webhookUrl(): string {
    return `${this.url}/api/webhooks/${this.webhookId}/${this.webhookToken}`;
  }

  /** From now on the webhook is gone: every request gets 404 Unknown Webhook. */
  deleteWebhook(): void {
    this.deleted = true;
  }

  protected reply(request: RecordedRequest, answer: FakeAnswer): HttpReply {
    switch (answer.kind) {
      case 'rate-limited':
        return {
          status: 429,
          body: {
            message: 'You are being rate limited.',
            retry_after: answer.retryAfter,
            global: answer.global ?? false,
          },
          headers: {
            'retry-after': String(Math.ceil(answer.retryAfter)),
            'x-ratelimit-reset-after': String(answer.retryAfter),
            ...(answer.global ? { 'x-ratelimit-global': 'true' } : {}),
          },
        };
      case 'server-error':
        return { status: answer.status ?? 500, body: { message: '500: Internal Server Error', code: 0 } };
      case 'not-found':
        return unknownWebhook();
      case 'unauthorized':
        return invalidToken();
      case 'forbidden':
        return { status: 403, body: { message: 'Missing Access', code: 50001 } };
      default:
        return this.execute(request);
    }
  }

  private execute(request: RecordedRequest): HttpReply {
    const match = /^\/api\/webhooks\/([^/]+)\/([^/]+)$/.exec(request.path);
    if (request.method !== 'POST' || !match)
      return { status: 404, body: { message: '404: Not Found', code: 0 } };
    if (this.deleted || match[1] !== this.webhookId) return unknownWebhook();
    if (decodeURIComponent(match[2] ?? '') !== this.webhookToken) return invalidToken();
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { status: 400, body: { message: 'The request body contains invalid JSON.', code: 50109 } };
    }
    const errors = validateWebhookBody(body as Record<string, unknown>);
    if (errors === 'empty')
      return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
    if (errors.length > 0) {
      return { status: 400, body: { message: 'Invalid Form Body', code: 50035, errors: nest(errors) } };
    }
    const id = String(this.nextMessageId++);
    this.delivered.push({ id, body: body as Record<string, unknown> });
    if (request.query['wait'] === 'true') {
      return {
        status: 200,
        body: {
          id,
          type: 0,
          channel_id: '1111111111111111111',
          webhook_id: this.webhookId,
          content: (body as { content?: unknown }).content ?? '',
          embeds: (body as { embeds?: unknown }).embeds ?? [],
          timestamp: new Date().toISOString(),
        },
      };
    }
    return { status: 204 };
  }
}

function unknownWebhook(): HttpReply {
  return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
}

function invalidToken(): HttpReply {
  return { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } };
}

const max = (n: number): { code: string; message: string } => ({
  code: 'BASE_TYPE_MAX_LENGTH',
  message: `Must be ${n} or fewer in length.`,
});

/** Discord's checks of a webhook body: the documented embed limits, required field parts, the 6,000 total. */
export function validateWebhookBody(body: Record<string, unknown>): FormError[] | 'empty' {
  const errors: FormError[] = [];
  const content = body['content'];
  const embeds = body['embeds'];
  const hasContent = typeof content === 'string' && content.length > 0;
  const list = Array.isArray(embeds) ? (embeds as unknown[]) : [];
  if (!hasContent && list.length === 0) return 'empty';
  if (typeof content === 'string' && content.length > 2000) errors.push({ path: ['content'], ...max(2000) });
  const username = body['username'];
  if (typeof username === 'string' && (username.length < 1 || username.length > 80)) {
    errors.push({
      path: ['username'],
      code: 'BASE_TYPE_BAD_LENGTH',
      message: 'Must be between 1 and 80 in length.',
    });
  }
  if (list.length > 10) errors.push({ path: ['embeds'], ...max(10) });
  let total = 0;
  list.forEach((raw, i) => {
    const at = ['embeds', String(i)];
    const embed = (raw ?? {}) as Record<string, unknown>;
    const text = (key: string, limit: number, path = [...at, key]): void => {
      const value = embed[key];
      if (value === undefined) return;
      if (typeof value !== 'string') {
        errors.push({
          path,
          code: 'STRING_TYPE_CONVERT',
          message: 'Could not interpret the value as string.',
        });
        return;
      }
      total += value.length;
      if (value.length > limit) errors.push({ path, ...max(limit) });
    };
    text('title', 256);
    text('description', 4096);
    const footer = embed['footer'] as { text?: unknown } | undefined;
    if (footer !== undefined) {
      if (typeof footer.text !== 'string' || footer.text.length === 0) {
        errors.push({
          path: [...at, 'footer', 'text'],
          code: 'BASE_TYPE_REQUIRED',
          message: 'This field is required',
        });
      } else {
        total += footer.text.length;
        if (footer.text.length > 2048) errors.push({ path: [...at, 'footer', 'text'], ...max(2048) });
      }
    }
    const color = embed['color'];
    if (
      color !== undefined &&
      (!Number.isInteger(color) || (color as number) < 0 || (color as number) > 0xffffff)
    ) {
      errors.push({
        path: [...at, 'color'],
        code: 'NUMBER_TYPE_MAX',
        message: 'int value should be <= 16777215 and >= 0.',
      });
    }
    const timestamp = embed['timestamp'];
    if (
      timestamp !== undefined &&
      (typeof timestamp !== 'string' || !Number.isFinite(Date.parse(timestamp)))
    ) {
      errors.push({
        path: [...at, 'timestamp'],
        code: 'DATE_TYPE_PARSE',
        message: 'Could not parse the date.',
      });
    }
    const fields = embed['fields'];
    if (fields !== undefined) {
      const items = Array.isArray(fields) ? (fields as Record<string, unknown>[]) : [];
      if (items.length > 25) errors.push({ path: [...at, 'fields'], ...max(25) });
      items.forEach((field, j) => {
        for (const [key, limit] of [
          ['name', 256],
          ['value', 1024],
        ] as const) {
          const path = [...at, 'fields', String(j), key];
          const value = field[key];
          if (typeof value !== 'string' || value.length === 0) {
            errors.push({ path, code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
            continue;
          }
          total += value.length;
          if (value.length > limit) errors.push({ path, ...max(limit) });
        }
      });
    }
  });
  if (total > 6000) {
    errors.push({
      path: ['embeds'],
      code: 'MAX_EMBED_SIZE_EXCEEDED',
      message: 'Embed size exceeds maximum size of 6000',
    });
  }
  return errors;
}

/** Discord's nested error shape: `{ embeds: { 0: { title: { _errors: [...] } } } }`. */
function nest(errors: readonly FormError[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const e of errors) {
    let node = root;
    for (const key of e.path) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    const list = (node['_errors'] ??= []) as unknown[];
    list.push({ code: e.code, message: e.message });
  }
  return root;
}
