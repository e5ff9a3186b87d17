import { afterEach, describe, expect, it } from 'vitest';
import { SseParser, type DaemonEvent, type HelloEvent, type SseMessage } from '@riskd/api-client';
import { createApiHarness, type ApiHarness } from './api-harness.fake.js';
import { listen } from './server.js';

interface OpenStream {
  readonly status: number;
  readonly messages: SseMessage[];
  readonly comments: string[];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

async function openStream(url: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const parser = new SseParser({ onMessage: (m) => messages.push(m), onComment: (c) => comments.push(c) });
  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body)
        parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // aborted by the test
    }
  })();
  return { status: response.status, messages, comments, ended, close: () => controller.abort() };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const alert = (id: string, extra: Record<string, unknown> = {}): DaemonEvent =>
  ({
    type: 'alert',
    alert: {
      id,
      at: '2026-03-09T15:00:00.000Z',
      severity: 'critical',
      kind: 'enforcement',
      accountId: 101,
      ruleId: 'daily-loss-limit',
      code: 'DAILY_LOSS_LIMIT',
      title: 'Daily loss limit',
      message: 'combined P&L -512.50 breached daily loss limit 500.00',
      fields: { combined: '-512.50' },
      ...extra,
    },
  }) as DaemonEvent;

let h: ApiHarness;
let streams: OpenStream[] = [];

afterEach(async () => {
  for (const s of streams) s.close();
  streams = [];
  await h.close();
});

async function start(heartbeatIntervalMs = 60_000, maxStreamBacklogBytes?: number): Promise<string> {
  h = createApiHarness({
    api: { heartbeatIntervalMs, ...(maxStreamBacklogBytes ? { maxStreamBacklogBytes } : {}) },
  });
  const { url } = await listen(h.app, { port: 0 });
  return `${url}/api/v1/events`;
}

async function connect(url: string, headers?: Record<string, string>): Promise<OpenStream> {
  const stream = await openStream(url, headers);
  streams.push(stream);
  await waitFor(() => stream.messages.length >= 1, 'hello');
  return stream;
}

describe('GET /api/v1/events over a real socket', () => {
  it('when a client connects then hello comes first, then each daemon event with its id, type and JSON', async () => {
    const url = await start();
    const stream = await connect(url);
    expect(stream.status).toBe(200);
    const hello = JSON.parse(stream.messages[0]!.data) as HelloEvent;
    expect(stream.messages[0]!.event).toBe('hello');
    expect(hello).toMatchObject({
      type: 'hello',
      resync: false,
      replayed: 0,
      now: '2026-03-09T15:00:00.000Z',
    });
    expect(hello.bootId).toMatch(/^[0-9a-f]{8}$/);

    h.controlPlane.emit(alert('a1'));
    await waitFor(() => stream.messages.length >= 2, 'the alert');
    expect(stream.messages[1]).toEqual({
      lastEventId: `${hello.bootId}-1`,
      event: 'alert',
      data: JSON.stringify(alert('a1')),
    });
  });

  it('when the stream is idle then heartbeat comments keep it alive', async () => {
    const url = await start(30);
    const stream = await connect(url);
    await waitFor(() => stream.comments.length >= 2, 'two heartbeats');
    expect(stream.comments[0]).toBe('heartbeat');
  });

  it('when a client reconnects with Last-Event-ID then it gets exactly the events it missed', async () => {
    const url = await start();
    const first = await connect(url);
    for (const id of ['a1', 'a2', 'a3']) h.controlPlane.emit(alert(id));
    await waitFor(() => first.messages.length >= 4, 'three alerts');
    const lastSeen = first.messages[3]!.lastEventId;
    first.close();
    h.controlPlane.emit(alert('a4'));
    h.controlPlane.emit(alert('a5'));

    const second = await connect(url, { 'last-event-id': lastSeen });
    await waitFor(() => second.messages.length >= 3, 'the replay');
    const hello = JSON.parse(second.messages[0]!.data) as HelloEvent;
    expect(hello).toMatchObject({ resync: false, replayed: 2 });
    expect(
      second.messages.slice(1).map((m) => (JSON.parse(m.data) as { alert: { id: string } }).alert.id),
    ).toEqual(['a4', 'a5']);
    expect(second.messages.slice(1).map((m) => m.lastEventId)).toEqual([
      `${hello.bootId}-4`,
      `${hello.bootId}-5`,
    ]);
  });

  it('when a client resumes from an id of another daemon run then hello says resync and nothing is replayed', async () => {
    const url = await start();
    h.controlPlane.emit(alert('a1'));
    const stream = await connect(url, { 'last-event-id': '0badc0de-41' });
    expect(JSON.parse(stream.messages[0]!.data)).toMatchObject({ resync: true, replayed: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stream.messages).toHaveLength(1);
  });

  it('when an event carries an undeclared field then it is stripped, and an event missing a field is dropped with an error line', async () => {
    const url = await start();
    const stream = await connect(url);
    h.controlPlane.emit(alert('a1', { webhookUrl: 'https://discord.example/SECRET' }));
    h.controlPlane.emit({ type: 'alert', alert: { id: 'broken' } } as unknown as DaemonEvent);
    h.controlPlane.emit(alert('a3'));
    await waitFor(() => stream.messages.length >= 3, 'two alerts');
    expect(stream.messages.map((m) => m.data).join('\n')).not.toContain('SECRET');
    expect(
      stream.messages.slice(1).map((m) => (JSON.parse(m.data) as { alert: { id: string } }).alert.id),
    ).toEqual(['a1', 'a3']);
    expect(h.errorLines().map((l) => l.msg)).toEqual(['live event dropped: it does not match its schema']);
    h.logs.length = 0;
  });

  it('when clients connect and leave then the live-clients gauge follows and the subscription to the daemon stays single', async () => {
    const url = await start();
    const metrics = url.replace('/api/v1/events', '/metrics');
    const gauge = async (): Promise<string> =>
      /riskd_api_live_clients (\d+)/.exec(await (await fetch(metrics)).text())![1]!;
    const a = await connect(url);
    await connect(url);
    expect(await gauge()).toBe('2');
    expect(h.controlPlane.subscriberCount).toBe(1);
    a.close();
    let value = '';
    const deadline = Date.now() + 5_000;
    while (value !== '1' && Date.now() < deadline) value = await gauge();
    expect(value).toBe('1');
  });

  it('when the app closes with a stream open then close() returns promptly, the stream ends and the daemon is unsubscribed', async () => {
    const url = await start();
    const stream = await connect(url);
    const started = Date.now();
    await h.app.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(h.controlPlane.subscriberCount).toBe(0);
  });

  it('when a client falls too far behind then the daemon drops it (it can resume) instead of buffering without bound', async () => {
    const url = await start(60_000, 2_000);
    const stream = await connect(url);
    for (let i = 0; i < 50; i++) h.controlPlane.emit(alert(`burst-${i}`));
    await stream.ended;
    expect(stream.messages.length).toBeLessThan(51);
    expect(h.logs.some((l) => l.msg === 'live stream client too slow: dropped')).toBe(true);
  });

  it('when the client refuses text/event-stream then 406 with the error body', async () => {
    const url = await start();
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(406);
    expect(await response.json()).toMatchObject({ statusCode: 406, error: 'Not Acceptable' });
  });
});
