import { describe, expect, it } from 'vitest';
import { ROUTES } from '../route-definitions.js';
import { RiskdApiError, RiskdNetworkError } from './api-client-errors.js';
import { fillPath, queryString, RiskdClient } from './riskd-client.js';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records requests and answers from a script. */
function scriptedFetch(answer: (sent: Sent, n: number) => Response | Promise<Response>): {
  fetch: typeof fetch;
  sent: Sent[];
} {
  const sent: Sent[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const record: Sent = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    sent.push(record);
    return answer(record, sent.length);
  }) as typeof fetch;
  return { fetch: fetchImpl, sent };
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('RiskdClient', () => {
  it('when the route table is walked then the client has a method for every operation', () => {
    const client = new RiskdClient();
    for (const route of ROUTES) {
      expect(
        typeof (client as unknown as Record<string, unknown>)[route.operationId],
        route.operationId,
      ).toBe('function');
    }
  });

  it('when a path parameter or query is given then it is encoded, and undefined query values are left out', () => {
    expect(fillPath('/api/v1/admin/lockouts/:id/clear', { id: '101:symbol:MNQ' })).toBe(
      '/api/v1/admin/lockouts/101%3Asymbol%3AMNQ/clear',
    );
    expect(queryString({ accountId: 101, cursor: undefined, code: 'A B' })).toBe('?accountId=101&code=A+B');
    expect(queryString({})).toBe('');
  });

  it('when it logs in then the token is kept and sent as a bearer token on trader and admin routes only', async () => {
    const { fetch, sent } = scriptedFetch((s) =>
      s.url.endsWith('/auth/login')
        ? json(200, { token: 'tok-1', expiresAt: '2099-01-01T00:00:00.000Z', role: 'admin' })
        : json(200, {}),
    );
    const client = new RiskdClient({ baseUrl: 'http://127.0.0.1:1/', fetch });
    await client.login('admin', 'pw');
    await client.status();
    await client.getRulesConfig();
    expect(client.token).toBe('tok-1');
    expect(sent[0]).toMatchObject({
      url: 'http://127.0.0.1:1/api/v1/auth/login',
      method: 'POST',
      body: { role: 'admin', password: 'pw' },
    });
    expect(sent[1]!.headers['authorization']).toBeUndefined();
    expect(sent[2]!.headers['authorization']).toBe('Bearer tok-1');
  });

  it('when the API answers an error then a RiskdApiError carries the status, body, code and problems', async () => {
    const body = {
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: 'invalid',
      problems: [{ path: 'body.reason', message: 'is required' }],
    };
    const { fetch } = scriptedFetch(() => json(400, body));
    const error = await new RiskdClient({ fetch, token: 't' }).stop({ reason: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RiskdApiError);
    expect(error).toMatchObject({ status: 400, apiCode: 'VALIDATION_FAILED', code: 'HTTP_ERROR', body });
    expect((error as RiskdApiError).problems).toEqual(body.problems);
  });

  it('when /healthz answers 503 then its body is returned like the 200', async () => {
    const health = { status: 'starting', ready: false, now: '2026-03-09T15:00:00.000Z' };
    const { fetch } = scriptedFetch(() => json(503, health));
    await expect(new RiskdClient({ fetch }).healthz()).resolves.toEqual(health);
  });

  it('when credentials are given then the client logs in before the first admin call and again after a 401', async () => {
    let logins = 0;
    const { fetch, sent } = scriptedFetch((s) => {
      if (s.url.endsWith('/auth/login')) {
        logins += 1;
        return json(200, { token: `tok-${logins}`, expiresAt: '2099-01-01T00:00:00.000Z', role: 'admin' });
      }
      // The first token is refused once (as if it expired on the daemon).
      if (s.headers['authorization'] === 'Bearer tok-1')
        return json(401, { statusCode: 401, error: 'Unauthorized', message: 'no' });
      return json(200, { revision: 3, rules: [] });
    });
    const client = new RiskdClient({ fetch, credentials: { role: 'admin', password: 'pw' } });
    await expect(client.getRulesConfig()).resolves.toEqual({ revision: 3, rules: [] });
    expect(sent.map((s) => s.url.replace('http://127.0.0.1:7311', ''))).toEqual([
      '/api/v1/auth/login',
      '/api/v1/admin/rules',
      '/api/v1/auth/login',
      '/api/v1/admin/rules',
    ]);
    expect(client.token).toBe('tok-2');
  });

  it('when concurrent calls all need a token then one login serves them', async () => {
    let logins = 0;
    const { fetch } = scriptedFetch((s) => {
      if (s.url.endsWith('/auth/login')) {
        logins += 1;
        return json(200, { token: 'tok', expiresAt: '2099-01-01T00:00:00.000Z', role: 'trader' });
      }
      return json(200, { kinds: 'all', channels: [], quietHours: null });
    });
    const client = new RiskdClient({ fetch, credentials: { role: 'trader', password: 'pw' } });
    await Promise.all([client.getNotifications(), client.getNotifications(), client.getNotifications()]);
    expect(logins).toBe(1);
  });

  it('when the daemon cannot be reached or does not answer in time then a RiskdNetworkError says which', async () => {
    const refused = scriptedFetch(() => Promise.reject(new TypeError('fetch failed')));
    await expect(new RiskdClient({ fetch: refused.fetch }).status()).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
      name: 'RiskdNetworkError',
    });
    const silent = ((_url: string, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof fetch;
    const error = await new RiskdClient({ fetch: silent, timeoutMs: 20 }).status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RiskdNetworkError);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
  });

  it('when an answer is not JSON then INVALID_RESPONSE, and /metrics is returned as text', async () => {
    const { fetch } = scriptedFetch((s) =>
      s.url.endsWith('/metrics')
        ? new Response('riskd_x 1\n', { status: 200 })
        : new Response('<html>', { status: 200 }),
    );
    const client = new RiskdClient({ fetch });
    await expect(client.metrics()).resolves.toBe('riskd_x 1\n');
    await expect(client.status()).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
  });
});
