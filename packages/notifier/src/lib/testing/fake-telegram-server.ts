import { type FakeAnswer, FakeHttpServer, type HttpReply, type RecordedRequest } from './fake-http-server.js';
import { parseMarkdownV2 } from './markdown-v2-parser.js';

/** Options of {@link FakeTelegramServer}. */
export interface FakeTelegramServerOptions {
  readonly botToken?: string;
  readonly chatId?: string;
}

/** A message the fake accepted. */
export interface TelegramDelivered {
  readonly messageId: number;
  /** The text as Telegram shows it (markup parsed away). */
  readonly text: string;
  /** The text as sent. */
  readonly raw: string;
  readonly parseMode: string | undefined;
  readonly body: Record<string, unknown>;
}

/**
 * A loopback Telegram Bot API answering `POST /bot<token>/sendMessage` like api.telegram.org:
 * `{"ok":true,"result":{message_id,…}}`; 401 `Unauthorized` for another token; 404 `Not Found` for
 * another method; 400 `Bad Request: chat not found` for another chat; 400 `Bad Request: can't parse
 * entities: …` for MarkdownV2 that Telegram would refuse (checked for real by
 * {@link parseMarkdownV2}); 400 `Bad Request: message is too long` over 4,096 characters; 429
 * `Too Many Requests: retry after N` with `parameters.retry_after`.
 */
export class FakeTelegramServer extends FakeHttpServer {
  readonly botToken: string;
  readonly chatId: string;
  /** Messages accepted, in order. */
  readonly delivered: TelegramDelivered[] = [];
  private nextMessageId = 1;

  constructor(options: FakeTelegramServerOptions = {}) {
    super();
    this.botToken = options.botToken ?? '7000000001:AAFakeTokenForRiskdTests_abc-123';
    this.chatId = options.chatId ?? '-1001234567890';
  }

  /** The `apiBaseUrl` a channel config uses. */
  get apiBaseUrl(): string {
    return this.url;
  }

  protected reply(request: RecordedRequest, answer: FakeAnswer): HttpReply {
    switch (answer.kind) {
      case 'rate-limited': {
        const seconds = Math.max(1, Math.ceil(answer.retryAfter));
        return {
          status: 429,
          body: {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${seconds}`,
            parameters: { retry_after: seconds },
          },
          headers: { 'retry-after': String(seconds) },
        };
      }
      case 'server-error': {
        const status = answer.status ?? 500;
        // Behind nginx, a 502 is an HTML page rather than the API's JSON.
        if (status === 502) {
          return {
            status,
            body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
            headers: { 'content-type': 'text/html' },
          };
        }
        return { status, body: { ok: false, error_code: status, description: 'Internal Server Error' } };
      }
      case 'not-found':
        return notFound();
      case 'unauthorized':
        return unauthorized();
      case 'forbidden':
        return fail(403, 'Forbidden: bot was blocked by the user');
      default:
        return this.execute(request);
    }
  }

  private execute(request: RecordedRequest): HttpReply {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(request.path);
    if (!match) return notFound();
    if (decodeURIComponent(match[1] ?? '') !== this.botToken) return unauthorized();
    if (match[2] !== 'sendMessage' || request.method !== 'POST') return notFound();
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return fail(400, 'Bad Request: message text is empty');
    if (String(body['chat_id'] ?? '') !== this.chatId) return fail(400, 'Bad Request: chat not found');
    const raw = body['text'];
    if (typeof raw !== 'string' || raw.trim() === '') return fail(400, 'Bad Request: message text is empty');
    const parseMode = body['parse_mode'];
    let text = raw;
    if (parseMode === 'MarkdownV2') {
      const parsed = parseMarkdownV2(raw);
      if (!parsed.ok) return fail(400, `Bad Request: can't parse entities: ${parsed.error}`);
      text = parsed.text;
    } else if (parseMode !== undefined) {
      return fail(400, `Bad Request: unsupported parse_mode`);
    }
    if (text.trim() === '') return fail(400, 'Bad Request: message text is empty');
    if (text.length > 4096) return fail(400, 'Bad Request: message is too long');
    const messageId = this.nextMessageId++;
    this.delivered.push({ messageId, text, raw, parseMode: parseMode as string | undefined, body });
    return {
      status: 200,
      body: {
        ok: true,
        result: {
          message_id: messageId,
          from: {
            id: Number(this.botToken.split(':')[0]) || 1,
            is_bot: true,
            first_name: 'Riskd',
            username: 'riskd_fake_bot',
          },
          chat: { id: Number(this.chatId) || this.chatId, title: 'Riskd alerts', type: 'supergroup' },
          date: Math.floor(Date.now() / 1000),
          text,
        },
      },
    };
  }
}

function fail(status: number, description: string): HttpReply {
  return { status, body: { ok: false, error_code: status, description } };
}

function notFound(): HttpReply {
  return fail(404, 'Not Found');
}

function unauthorized(): HttpReply {
  return fail(401, 'Unauthorized');
}
