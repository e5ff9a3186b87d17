import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import { T0, control, hubConnection, login, post, startTestSim, waitFor } from './helpers.js';

describe('tokens: expiry, renewal, 401', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  it('when no token is sent then an authenticated endpoint answers 401 with WWW-Authenticate', async () => {
    sim = await startTestSim();
    const res = await post(sim, '/api/Account/search', { onlyActiveAccounts: true });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.text).toBe('');
  });

  it('when an unknown token is sent then the answer is 401 invalid_token', async () => {
    sim = await startTestSim();
    const res = await post(sim, '/api/Account/search', { onlyActiveAccounts: true }, 'garbage');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('when the clock passes 24 h then the token answers 401, and one just before still works', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    sim.control.setClock({ advanceMs: 24 * 3600_000 - 1000 });
    expect((await post(sim, '/api/Account/search', {}, token)).status).toBe(200);
    sim.control.setClock({ advanceMs: 1000 });
    expect((await post(sim, '/api/Account/search', {}, token)).status).toBe(401);
  });

  it('when Auth/validate renews a token then the new token lives 24 h from the renewal and the old one keeps its expiry', async () => {
    sim = await startTestSim();
    const first = await login(sim);
    sim.control.setClock({ advanceMs: 20 * 3600_000 });
    const renewed = await post<{ newToken: string; success: boolean }>(
      sim,
      '/api/Auth/validate',
      undefined,
      first,
    );
    expect(renewed.body.success).toBe(true);
    sim.control.setClock({ advanceMs: 5 * 3600_000 }); // 25 h after the first login
    expect((await post(sim, '/api/Account/search', {}, first)).status).toBe(401);
    expect((await post(sim, '/api/Account/search', {}, renewed.body.newToken)).status).toBe(200);
  });

  it('when a token is expired then Auth/validate answers errorCode 3 (envelope variant, default) and 401 in the http401 variant', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    sim.control.expireTokens();
    const envelope = await post(sim, '/api/Auth/validate', undefined, token);
    expect(envelope.status).toBe(200);
    expect(envelope.body).toEqual({
      newToken: null,
      success: false,
      errorCode: 3,
      errorMessage: 'Token expired.',
    });
    await control(sim, 'PATCH', '/variants', { validateExpiredToken: 'http401' });
    expect((await post(sim, '/api/Auth/validate', undefined, token)).status).toBe(401);
  });

  it('when Auth/validate or Auth/logout has no token then it answers 401', async () => {
    sim = await startTestSim();
    expect((await post(sim, '/api/Auth/validate')).status).toBe(401);
    expect((await post(sim, '/api/Auth/logout')).status).toBe(401);
  });

  it('when the token lifetime is set then new tokens expire after it and older ones keep 24 h', async () => {
    sim = await startTestSim();
    const old = await login(sim);
    const set = await control(sim, 'POST', '/auth/lifetime', { lifetimeMs: 60_000 });
    expect(set.body).toEqual({ tokenLifetimeMs: 60_000 });
    const short = await login(sim);
    sim.control.setClock({ advanceMs: 60_000 });
    expect((await post(sim, '/api/Account/search', {}, short)).status).toBe(401);
    expect((await post(sim, '/api/Account/search', {}, old)).status).toBe(200);
  });

  it('when one token is expired by control then only that token stops working', async () => {
    sim = await startTestSim();
    const a = await login(sim);
    const b = await login(sim);
    const res = await control(sim, 'POST', '/auth/expire', { token: a });
    expect(res.body).toEqual({ expired: 1 });
    expect((await post(sim, '/api/Account/search', {}, a)).status).toBe(401);
    expect((await post(sim, '/api/Account/search', {}, b)).status).toBe(200);
    expect((await control(sim, 'POST', '/auth/expire', { token: 'unknown' })).status).toBe(404);
  });

  it('when a re-login happens then the earlier token stays valid', async () => {
    sim = await startTestSim();
    const a = await login(sim);
    await login(sim);
    expect((await post(sim, '/api/Account/search', {}, a)).status).toBe(200);
  });

  it('when a hub connects with an expired token then the connection is refused, and a valid one is accepted', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const good = hubConnection(sim.userHubUrl, () => token);
    await good.start();
    sim.control.expireTokens({ token });
    const bad = hubConnection(sim.userHubUrl, () => token);
    await expect(bad.start()).rejects.toThrow();
    // An open connection survives expiry (ASP.NET does not close on token expiry by default).
    await good.invoke('SubscribeAccounts');
    await good.stop();
  });

  it('when expiring with dropConnections then the hub connections are dropped too', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const conn = hubConnection(sim.userHubUrl, () => token);
    let closed = false;
    conn.onclose(() => {
      closed = true;
    });
    await conn.start();
    await control(sim, 'POST', '/auth/expire', { dropConnections: true });
    await waitFor(() => closed, 5000, 'the connection to close');
    expect(sim.control.connections()).toEqual([]);
  });

  it('when sessions are listed then each issued token appears with its expiry', async () => {
    sim = await startTestSim({ clock: { start: T0, mode: 'manual' } });
    const token = await login(sim);
    const res = await control<{ token: string; expiresAt: string; userName: string }[]>(
      sim,
      'GET',
      '/auth/sessions',
    );
    expect(res.body).toEqual([
      expect.objectContaining({
        token,
        userName: 'demo',
        expiresAt: '2026-11-27T15:00:00.000Z',
        loggedOut: false,
      }),
    ]);
  });
});

describe('HTTP-level answers', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  it('when Auth/loginKey lacks userName or apiKey then it answers 400 ProblemDetails naming the fields', async () => {
    sim = await startTestSim();
    const res = await post(sim, '/api/Auth/loginKey', { userName: 'demo' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, errors: { apiKey: ['The apiKey field is required.'] } });
  });

  it('when the body is not JSON then the answer is 400; when it is another media type then 415', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const bad = await fetch(`${sim.apiUrl}/api/Account/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    const text = await fetch(`${sim.apiUrl}/api/Account/search`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
      body: 'hello',
    });
    expect(text.status).toBe(415);
  });

  it('when text/json or application/*+json is sent then it is accepted like application/json', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    for (const type of ['text/json', 'application/problem+json']) {
      const res = await post(sim, '/api/Account/search', { onlyActiveAccounts: true }, token, {
        'content-type': type,
      });
      expect(res.status).toBe(200);
    }
  });

  it('when Order/search has a malformed startTimestamp then it answers 400', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const res = await post(
      sim,
      '/api/Order/search',
      { accountId: 70001, startTimestamp: 'yesterday' },
      token,
    );
    expect(res.status).toBe(400);
  });
});
