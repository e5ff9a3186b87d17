import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './api-harness.fake.js';
import { ControlApiError } from './control-plane.js';
import { API_HOST, listen } from './server.js';

const harnesses: ApiHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

function harness(closeGraceMs?: number): ApiHarness {
  const h = createApiHarness(closeGraceMs === undefined ? {} : { api: { closeGraceMs } });
  harnesses.push(h);
  return h;
}

describe('listen', () => {
  it('when the API listens then it is on 127.0.0.1 only, on the port asked for', async () => {
    const h = harness();
    const { url, port } = await listen(h.app, { port: 0 });
    expect(API_HOST).toBe('127.0.0.1');
    expect(h.app.server.address()).toMatchObject({ address: '127.0.0.1', port });
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('when the port is taken then a ControlApiError names the port and the config key', async () => {
    const first = harness();
    const { port } = await listen(first.app, { port: 0 });
    const second = harness();
    const error = await listen(second.app, { port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlApiError);
    expect(error).toMatchObject({
      code: 'API_LISTEN',
      message: `control API cannot listen on 127.0.0.1:${port}: port ${port} is already in use (set api.port in the config)`,
    });
  });

  it('when a client holds a half-sent request open then close() still finishes after the grace period', async () => {
    const h = harness(100);
    const { port } = await listen(h.app, { port: 0 });
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ro',
    );
    socket.on('error', () => undefined);
    const started = Date.now();
    await h.app.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    socket.destroy();
  });
});
