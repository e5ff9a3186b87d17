import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotifierError } from '../notifier-errors.js';

/** One request the fake server received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The JSON body, or undefined when it was not JSON. */
  readonly body: unknown;
  /** Status answered (0 while unanswered, e.g. a hang). */
  status: number;
}

/**
 * What the fake answers to a request, as the real API would: `success` (after checking the request
 * like the real API does), `rate-limited` (429 with `retry_after` seconds), `server-error` (5xx),
 * `not-found` (Discord: deleted webhook; Telegram: unknown method), `unauthorized` (Discord: bad
 * webhook token; Telegram: bad bot token), `forbidden`, `hang` (never answers), `reset` (drops the
 * connection), or a `raw` answer.
 */
export type FakeAnswer =
  | { readonly kind: 'success' }
  | { readonly kind: 'rate-limited'; readonly retryAfter: number; readonly global?: boolean }
  | { readonly kind: 'server-error'; readonly status?: number }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' }
  | {
      readonly kind: 'raw';
      readonly status: number;
      readonly body?: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** Decides the answer to a request (after the scripted queue is used up). */
export type FakeAnswerFn = (request: RecordedRequest, index: number) => FakeAnswer;

/** An HTTP answer the fake writes. */
export interface HttpReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The shared part of the fake chat servers: node:http on 127.0.0.1 (port 0), every request
 * recorded, answers from a script queue then a default (a value or a function).
 */
export abstract class FakeHttpServer {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private server: Server | null = null;
  private port = 0;
  private readonly queue: FakeAnswer[] = [];
  private fallback: FakeAnswer | FakeAnswerFn = { kind: 'success' };
  private readonly hanging = new Set<ServerResponse>();

  /** `http://127.0.0.1:<port>` once started. */
  get url(): string {
    if (!this.server) throw new NotifierError('TESTING_MISUSE', 'fake server not started');
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next requests get these answers, in order; then the default applies again. */
  answerNext(...answers: FakeAnswer[]): void {
    this.queue.push(...answers);
  }

  /** The answer (or a function choosing it) once the queue is empty; `success` by default. */
  answerAlways(answer: FakeAnswer | FakeAnswerFn): void {
    this.fallback = answer;
  }

  /** Requests answered with a 2xx status. */
  successes(): RecordedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Forgets recorded requests (the script stays). */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** The answer to a request that passed the script as `success`, or that got a scripted failure. */
  protected abstract reply(request: RecordedRequest, answer: FakeAnswer): HttpReply;

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      rawBody,
      body,
      status: 0,
    };
    const index = this.requests.length;
    this.requests.push(request);
    const scripted = this.queue.shift();
    const answer =
      scripted ?? (typeof this.fallback === 'function' ? this.fallback(request, index) : this.fallback);
    if (answer.kind === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (answer.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const reply =
      answer.kind === 'raw'
        ? { status: answer.status, body: answer.body, headers: answer.headers }
        : this.reply(request, answer);
    request.status = reply.status;
    const text =
      reply.body === undefined
        ? ''
        : typeof reply.body === 'string'
          ? reply.body
          : JSON.stringify(reply.body);
    const headers: Record<string, string> = {
      ...(text !== '' && typeof reply.body !== 'string' ? { 'content-type': 'application/json' } : {}),
      ...reply.headers,
    };
    res.writeHead(reply.status, headers);
    res.end(text);
  }
}
