import type { FakeClock } from '@riskd/core-engine';

/**
 * A `fetch` replacement for unit tests of the REST client, the token manager and the gateway's
 * REST paths: per-path handlers answer each call, and every call is recorded.
 */

export interface RecordedCall {
  readonly path: string;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

export type Reply =
  | {
      readonly status?: number;
      readonly json?: unknown;
      readonly text?: string;
      readonly headers?: Record<string, string>;
    }
  | 'network-error'
  | 'hang';

export type Handler = (call: RecordedCall) => Reply | Promise<Reply>;

export class ScriptedFetch {
  readonly calls: RecordedCall[] = [];
  private readonly handlers = new Map<string, Handler[]>();
  private readonly fallbacks = new Map<string, Handler>();

  /** Answers the next call of `path` once (queued in order). */
  once(path: string, handler: Handler | Reply): this {
    const list = this.handlers.get(path) ?? [];
    list.push(typeof handler === 'function' ? handler : () => handler);
    this.handlers.set(path, list);
    return this;
  }

  /** Answers every call of `path` that has no queued handler. */
  always(path: string, handler: Handler | Reply): this {
    this.fallbacks.set(path, typeof handler === 'function' ? handler : () => handler);
    return this;
  }

  callsTo(path: string): RecordedCall[] {
    return this.calls.filter((c) => c.path === path);
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const path = new URL(url).pathname.replace(/^\/api\//, '');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init?.headers ?? {}) as Record<string, string>))
      headers[k.toLowerCase()] = v;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const call: RecordedCall = { path, body, headers };
    this.calls.push(call);
    const handler = this.handlers.get(path)?.shift() ?? this.fallbacks.get(path);
    if (!handler) return new Response('not scripted', { status: 404 });
    const reply = await handler(call);
    if (reply === 'network-error') throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    if (reply === 'hang') {
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    }
    const text = reply.text ?? JSON.stringify(reply.json ?? {});
    return new Response(text, {
      status: reply.status ?? 200,
      headers: reply.headers ?? { 'content-type': 'application/json' },
    });
  };
}

/** A syntactically valid unsigned JWT with the given `exp` (epoch seconds). */
export function fakeJwt(expSeconds: number, subject = 'demo'): string {
  const enc = (obj: unknown): string => Buffer.from(JSON.stringify(obj)).toString('base64url');
  return `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: subject, exp: expSeconds, nonce: Math.random() })}.c2lnbmF0dXJl`;
}

/** `{ success: true, errorCode: 0, errorMessage: null, ...payload }`. */
export function ok(payload: Record<string, unknown> = {}): Reply {
  return { json: { success: true, errorCode: 0, errorMessage: null, ...payload } };
}

export function refused(errorCode: number, errorMessage: string | null = null): Reply {
  return { json: { success: false, errorCode, errorMessage } };
}

/** Runs `work` while moving the fake clock in steps, so that retries and timeouts fire. */
export async function withTime<T>(clock: FakeClock, work: Promise<T>, ms = 120_000, step = 50): Promise<T> {
  let done = false;
  const guarded = work.finally(() => {
    done = true;
  });
  guarded.catch(() => undefined); // observed below; this only keeps the rejection from being "unhandled"
  for (let t = 0; t < ms && !done; t += step) await clock.advance(step);
  return guarded;
}
