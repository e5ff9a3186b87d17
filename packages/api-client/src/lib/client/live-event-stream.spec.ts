import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../wire-types.js';
import { RiskdApiError } from './api-client-errors.js';
import type { LiveStreamState } from './live-event-stream.js';
import { RiskdClient } from './riskd-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, connection: number) => void;

interface TestServer {
  readonly url: string;
  readonly connections: { lastEventId: string | undefined; closed: boolean }[];
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A loopback HTTP server that hands each connection to `handler` with its ordinal (1-based). */
async function startServer(handler: Handler): Promise<TestServer> {
  const connections: TestServer['connections'] = [];
  const server = createServer((req, res) => {
    const record = { lastEventId: req.headers['last-event-id'] as string | undefined, closed: false };
    connections.push(record);
    res.on('close', () => (record.closed = true));
    handler(req, res, connections.length);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function sse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

function alert(id: string): LiveEvent {
  return {
    type: 'alert',
    alert: {
      id,
      at: '2026-03-09T15:00:00.000Z',
      severity: 'info',
      kind: 'test',
      accountId: null,
      ruleId: null,
      code: null,
      title: id,
      message: id,
      fields: {},
    },
  };
}

function frame(id: string, event: LiveEvent): string {
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function take(stream: AsyncIterator<LiveEvent>, n: number): Promise<LiveEvent[]> {
  const out: LiveEvent[] = [];
  while (out.length < n) {
    const next = await stream.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

describe('LiveEventStream', () => {
  it('when the server sends events then they are yielded in order and the last id is kept', async () => {
    const server = await startServer((_req, res) => {
      sse(res);
      res.write(frame('b-1', alert('one')) + ': heartbeat\n\n' + frame('b-2', alert('two')));
    });
    const stream = new RiskdClient({ baseUrl: server.url }).events();
    const events = await take(stream, 2);
    expect(events.map((e) => (e.type === 'alert' ? e.alert.id : e.type))).toEqual(['one', 'two']);
    expect(stream.lastEventId).toBe('b-2');
    stream.close();
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('when the connection drops then it reconnects with Last-Event-ID and continues', async () => {
    const states: LiveStreamState[] = [];
    const server = await startServer((_req, res, n) => {
      sse(res);
      if (n === 1) res.end(frame('b-1', alert('one')));
      else res.write(frame('b-2', alert('two')));
    });
    const stream = new RiskdClient({ baseUrl: server.url }).events({
      reconnectDelayMs: 10,
      onStateChange: (s) => states.push(s),
    });
    const events = await take(stream, 2);
    expect(events.map((e) => (e.type === 'alert' ? e.alert.id : e.type))).toEqual(['one', 'two']);
    expect(server.connections.map((c) => c.lastEventId)).toEqual([undefined, 'b-1']);
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    stream.close();
  });

  it('when a resume id is given then the first connection already sends it', async () => {
    const server = await startServer((_req, res) => {
      sse(res);
      res.write(frame('b-9', alert('nine')));
    });
    const stream = new RiskdClient({ baseUrl: server.url }).events({ lastEventId: 'b-8' });
    await take(stream, 1);
    expect(server.connections[0]!.lastEventId).toBe('b-8');
    stream.close();
  });

  it('when the server refuses the stream with a 4xx then iteration throws a RiskdApiError and does not retry', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(406, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 406, error: 'Not Acceptable', message: 'no' }));
    });
    const stream = new RiskdClient({ baseUrl: server.url }).events({ reconnectDelayMs: 5 });
    const error = await stream.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RiskdApiError);
    expect(error).toMatchObject({ status: 406 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.connections).toHaveLength(1);
    expect(stream.state).toBe('closed');
  });

  it('when the server answers 503 then the stream retries until it opens', async () => {
    const server = await startServer((_req, res, n) => {
      if (n < 3) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      sse(res);
      res.write(frame('b-1', alert('up')));
    });
    const stream = new RiskdClient({ baseUrl: server.url }).events({ reconnectDelayMs: 5 });
    const [event] = await take(stream, 1);
    expect(event).toMatchObject({ type: 'alert' });
    expect(server.connections).toHaveLength(3);
    stream.close();
  });

  it('when nothing arrives for staleAfterMs then the stream reconnects', async () => {
    const server = await startServer((_req, res, n) => {
      sse(res);
      // Every connection sends one event and then goes silent.
      res.write(frame(`b-${n}`, alert(`c${n}`)));
    });
    const stream = new RiskdClient({ baseUrl: server.url }).events({
      staleAfterMs: 300,
      reconnectDelayMs: 5,
    });
    const events = await take(stream, 2);
    const connections = events.map((e) => (e.type === 'alert' ? Number(e.alert.id.slice(1)) : 0));
    // Two events from two successive connections (a slow machine may time out a connect too).
    expect(connections[1]).toBeGreaterThan(connections[0]!);
    await waitFor(() => server.connections[connections[0]! - 1]!.closed, 'the stale connection to be closed');
    stream.close();
  });

  it('when the server sets retry then reconnection waits that long instead of the default', async () => {
    const server = await startServer((_req, res, n) => {
      sse(res);
      if (n === 1) res.end('retry: 10\n\n' + frame('b-1', alert('one')));
      else res.write(frame('b-2', alert('two')));
    });
    const stream = new RiskdClient({ baseUrl: server.url }).events({ reconnectDelayMs: 60_000 });
    const events = await take(stream, 2);
    expect(events).toHaveLength(2);
    stream.close();
  });

  it('when close() is called or the signal aborts then a waiting next() ends and the connection closes', async () => {
    const server = await startServer((_req, res) => sse(res));
    const controller = new AbortController();
    const stream = new RiskdClient({ baseUrl: server.url }).events({ signal: controller.signal });
    await waitFor(() => stream.state === 'open', 'the stream to open');
    const pending = stream.next();
    controller.abort();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    await waitFor(() => server.connections[0]!.closed, 'the server to see the close');

    const other = new RiskdClient({ baseUrl: server.url }).events();
    await waitFor(() => other.state === 'open', 'the second stream to open');
    let seen = 0;
    const loop = (async () => {
      for await (const _event of other) seen += 1;
    })();
    other.close();
    await loop;
    expect(seen).toBe(0);
  });

  it('when the consumer falls more than maxBufferedEvents behind then the buffered events come first and then the error', async () => {
    const server = await startServer((_req, res) => {
      sse(res);
      res.write([1, 2, 3, 4, 5].map((i) => frame(`b-${i}`, alert(`e${i}`))).join(''));
    });
    const stream = new RiskdClient({ baseUrl: server.url }).events({ maxBufferedEvents: 3 });
    await waitFor(() => stream.state === 'closed', 'the stream to give up');
    const events = await take(stream, 3);
    expect(events).toHaveLength(3);
    await expect(stream.next()).rejects.toMatchObject({ code: 'STREAM_CLOSED' });
  });
});
