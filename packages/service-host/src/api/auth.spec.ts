import { afterEach, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { ROUTES } from '@riskd/api-client';
import {
  answerProblems,
  createApiHarness,
  HARNESS_PASSWORDS,
  SAMPLE_REQUESTS,
  sampleUrl,
  type ApiHarness,
} from './api-harness.fake.js';
import { FakeClock } from '@riskd/core-engine';
import { isLoopback } from './auth.js';
import { TokenStore } from './token-store.js';

let h: ApiHarness;
afterEach(async () => {
  await h.close();
});

function login(
  role: 'admin' | 'trader',
  password: string,
  remoteAddress?: string,
): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { role, password },
    ...(remoteAddress ? { remoteAddress } : {}),
  });
}

function get(url: string, token?: string): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

describe('login', () => {
  it('when the password is right then a token with its expiry comes back, and a wrong one is a 401', async () => {
    h = createApiHarness();
    const ok = await login('admin', HARNESS_PASSWORDS.admin);
    expect(ok.statusCode).toBe(200);
    expect(answerProblems('POST', '/api/v1/auth/login', 200, ok.json())).toEqual([]);
    expect(ok.json()).toMatchObject({ role: 'admin', expiresAt: '2026-03-09T15:15:00.000Z' });
    expect(ok.json().token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const trader = await login('trader', HARNESS_PASSWORDS.trader);
    expect(trader.json()).toMatchObject({ role: 'trader', expiresAt: '2026-03-10T03:00:00.000Z' });
    const wrong = await login('admin', 'guess');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      code: 'UNAUTHORIZED',
      message: 'wrong password',
    });
    expect(JSON.stringify(h.logs)).not.toContain(HARNESS_PASSWORDS.admin);
    expect(JSON.stringify(h.logs)).not.toContain(ok.json().token);
  });

  it('when the body is not a login then 400 with its problems, and no password is checked', async () => {
    h = createApiHarness();
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { role: 'root', password: '' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toEqual([
      { path: 'body.role', message: 'must be one of "admin", "trader"' },
      { path: 'body.password', message: 'must NOT have fewer than 1 characters' },
    ]);
    expect(h.controlPlane.calls.some((c) => c.method === 'verifyPassword')).toBe(false);
  });

  it('when an admin token is 15 minutes old then it is refused, and a trader token lasts 12 hours', async () => {
    h = createApiHarness();
    const admin = await h.login('admin');
    const trader = await h.login('trader');
    await h.clock.advance(15 * 60_000 - 1);
    expect((await get('/api/v1/admin/rules', admin)).statusCode).toBe(200);
    await h.clock.advance(1);
    expect((await get('/api/v1/admin/rules', admin)).statusCode).toBe(401);
    await h.clock.advance(12 * 60 * 60_000 - 15 * 60_000 - 1);
    expect((await get('/api/v1/trader/notifications', trader)).statusCode).toBe(200);
    await h.clock.advance(1);
    expect((await get('/api/v1/trader/notifications', trader)).statusCode).toBe(401);
  });

  it('when token lifetimes are configured then they are used', async () => {
    h = createApiHarness({ api: { tokenTtlMs: { admin: 60_000 } } });
    const admin = await h.login('admin');
    await h.clock.advance(60_000);
    expect((await get('/api/v1/admin/rules', admin)).statusCode).toBe(401);
  });
});

describe('a token store held by the daemon', () => {
  it('when the daemon revokes a role then its tokens stop working at once', async () => {
    const clock = new FakeClock('2026-03-09T15:00:00Z');
    const tokens = new TokenStore(clock);
    h = createApiHarness({ api: { tokens } });
    const admin = await h.login('admin');
    const trader = await h.login('trader');
    tokens.revokeAll('admin');
    expect((await get('/api/v1/admin/rules', admin)).statusCode).toBe(401);
    expect((await get('/api/v1/trader/notifications', trader)).statusCode).toBe(200);
  });
});

describe('login throttling', () => {
  it('when three logins fail then the fourth failure blocks the caller for 1 s, doubling after each further failure', async () => {
    h = createApiHarness();
    for (let i = 0; i < 4; i++) expect((await login('admin', 'guess')).statusCode).toBe(401);
    // Blocked: even the right password is refused, and it is not checked.
    const checks = h.controlPlane.calls.filter((c) => c.method === 'verifyPassword').length;
    const blocked = await login('admin', HARNESS_PASSWORDS.admin);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBe('1');
    expect(blocked.json()).toMatchObject({ code: 'THROTTLED', retryAfterSeconds: 1 });
    expect(answerProblems('POST', '/api/v1/auth/login', 429, blocked.json())).toEqual([]);
    expect(h.controlPlane.calls.filter((c) => c.method === 'verifyPassword').length).toBe(checks);

    await h.clock.advance(1_000);
    expect((await login('admin', 'guess')).statusCode).toBe(401); // fifth failure: 2 s
    await h.clock.advance(1_999);
    expect((await login('admin', HARNESS_PASSWORDS.admin)).statusCode).toBe(429);
    await h.clock.advance(1);
    expect((await login('admin', 'guess')).statusCode).toBe(401); // sixth failure: 4 s
    const retry = await login('admin', HARNESS_PASSWORDS.admin);
    expect(retry.headers['retry-after']).toBe('4');
    expect(h.logs.some((l) => l.msg === 'login throttled' && l['role'] === 'admin')).toBe(true);
  });

  it('when the caller succeeds after waiting then the counter starts over', async () => {
    h = createApiHarness();
    for (let i = 0; i < 4; i++) await login('trader', 'guess');
    await h.clock.advance(1_000);
    expect((await login('trader', HARNESS_PASSWORDS.trader)).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await login('trader', 'guess')).statusCode).toBe(401);
    expect((await login('trader', HARNESS_PASSWORDS.trader)).statusCode).toBe(200);
  });

  it('when admin logins are throttled then trader logins and other callers are not', async () => {
    h = createApiHarness();
    for (let i = 0; i < 4; i++) await login('admin', 'guess', '127.0.0.1');
    expect((await login('admin', HARNESS_PASSWORDS.admin, '127.0.0.1')).statusCode).toBe(429);
    expect((await login('trader', HARNESS_PASSWORDS.trader, '127.0.0.1')).statusCode).toBe(200);
    expect((await login('admin', HARNESS_PASSWORDS.admin, '127.0.0.2')).statusCode).toBe(200);
  });

  it('when logins fail then /metrics counts them per role', async () => {
    h = createApiHarness();
    await login('admin', 'guess');
    await login('admin', 'guess');
    const metrics = (await get('/metrics')).body;
    expect(metrics).toContain('riskd_api_login_failures_total{role="admin"} 2');
    expect(metrics).toContain('riskd_api_login_failures_total{role="trader"} 0');
  });
});

describe('before a password is set', () => {
  it('when no admin password exists then an admin login is 503 with the set-password instruction', async () => {
    h = createApiHarness({ adminPassword: null });
    const response = await login('admin', 'anything');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'PASSWORD_NOT_SET',
      message: 'no admin password is set: run `riskd admin set-password` on the machine running Riskd',
    });
    expect(answerProblems('POST', '/api/v1/auth/login', 503, response.json())).toEqual([]);
    // Not a failure: nothing was guessed, so nothing is throttled.
    for (let i = 0; i < 5; i++) expect((await login('admin', 'anything')).statusCode).toBe(503);
  });

  it('when no admin password exists then admin routes still answer 401 without a token and 403 with a trader token', async () => {
    h = createApiHarness({ adminPassword: null });
    const trader = await h.login('trader');
    for (const route of ROUTES.filter((r) => r.role === 'admin')) {
      const sample = SAMPLE_REQUESTS[route.operationId]!;
      const url = sampleUrl(route.path, sample);
      const payload = sample.body as object | undefined;
      const anonymous = await h.app.inject({ method: route.method, url, ...(payload ? { payload } : {}) });
      expect(anonymous.statusCode, `${route.method} ${route.path}`).toBe(401);
      const asTrader = await h.app.inject({
        method: route.method,
        url,
        headers: { authorization: `Bearer ${trader}` },
        ...(payload ? { payload } : {}),
      });
      expect(asTrader.statusCode, `${route.method} ${route.path}`).toBe(403);
    }
    expect((await get('/api/v1/status')).json().auth).toEqual({ admin: 'unset', trader: 'set' });
  });

  it('when no trader password exists then a trader login is 503 naming the admin command, and trader routes 401', async () => {
    h = createApiHarness({ traderPassword: null });
    const response = await login('trader', 'anything');
    expect(response.statusCode).toBe(503);
    expect(response.json().message).toBe(
      'no trader password is set: the admin runs `riskd trader set-password`',
    );
    expect((await get('/api/v1/trader/notifications')).statusCode).toBe(401);
  });
});

describe('an admin credential of "none"', () => {
  it('when a control plane reports no admin credential then an admin login is refused like an unset password', async () => {
    h = createApiHarness();
    h.controlPlane.credentialState = async () => 'none';
    const response = await login('admin', 'anything');
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('PASSWORD_NOT_SET');
    expect((await get('/api/v1/admin/rules')).statusCode).toBe(401);
  });
});

describe('when the admin chose no trader credential', () => {
  it('then trader routes accept a local caller without a token, recorded as a local trader', async () => {
    h = createApiHarness({ traderPassword: 'none' });
    const response = await h.app.inject({ method: 'POST', url: '/api/v1/trader/clock-in', payload: {} });
    expect(response.statusCode).toBe(200);
    expect(h.controlPlane.calls.find((c) => c.method === 'clockIn')?.actor).toEqual({
      role: 'trader',
      via: 'local',
      ip: '127.0.0.1',
      tokenId: null,
    });
    expect((await get('/api/v1/status')).json().auth.trader).toBe('none');
  });

  it('then a token that is present must still be valid, and admin routes still need an admin token', async () => {
    h = createApiHarness({ traderPassword: 'none' });
    expect((await get('/api/v1/trader/notifications', 'forged')).statusCode).toBe(401);
    expect((await get('/api/v1/admin/rules')).statusCode).toBe(401);
  });

  it('then a trader login succeeds with any password, so clients that always log in keep working', async () => {
    h = createApiHarness({ traderPassword: 'none' });
    const response = await login('trader', 'whatever');
    expect(response.statusCode).toBe(200);
    const token = response.json().token as string;
    expect((await get('/api/v1/trader/notifications', token)).statusCode).toBe(200);
    expect((await get('/api/v1/admin/rules', token)).statusCode).toBe(403);
  });

  it('then a caller that is not on the loopback interface is refused', async () => {
    h = createApiHarness({ traderPassword: 'none' });
    const response = await h.app.inject({
      method: 'GET',
      url: '/api/v1/trader/notifications',
      remoteAddress: '192.168.1.20',
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('isLoopback', () => {
  it('when an address is 127.0.0.0/8, ::1 or IPv4-mapped loopback then true, else false', () => {
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopback(ip), ip).toBe(true);
    for (const ip of ['10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', '::', '128.0.0.1'])
      expect(isLoopback(ip), ip).toBe(false);
  });
});
