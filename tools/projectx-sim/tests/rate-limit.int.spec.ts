import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import { MNQ, control, login, post, startTestSim } from './helpers.js';

const bars = {
  contractId: MNQ,
  live: false,
  startTime: '2026-11-26T14:00:00Z',
  endTime: '2026-11-26T15:00:00Z',
  unit: 2,
  unitNumber: 1,
  limit: 1,
  includePartialBar: false,
};

describe('rate limits (200 / 60 s; bars 50 / 30 s)', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  it('when the 201st request arrives within 60 s then it answers 429 with Retry-After, and the window frees with time', async () => {
    sim = await startTestSim();
    const token = await login(sim); // the login is request 1 of the user's budget
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await post(sim, '/api/Account/search', {}, token)).status);
    expect(statuses.slice(0, 199).every((s) => s === 200)).toBe(true);
    expect(statuses[199]).toBe(429);
    const refused = await post(sim, '/api/Position/searchOpen', { accountId: 70001 }, token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    sim.control.setClock({ advanceMs: 30_000 });
    expect((await post(sim, '/api/Account/search', {}, token)).headers.get('retry-after')).toBe('30');
    sim.control.setClock({ advanceMs: 30_000 });
    expect((await post(sim, '/api/Account/search', {}, token)).status).toBe(200);
  });

  it('when History/retrieveBars is called 51 times in 30 s then the 51st answers 429 while other endpoints still work', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    for (let i = 0; i < 50; i++)
      expect((await post(sim, '/api/History/retrieveBars', bars, token)).status).toBe(200);
    const refused = await post(sim, '/api/History/retrieveBars', bars, token);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBe(30);
    expect((await post(sim, '/api/Account/search', {}, token)).status).toBe(200);
  });

  it('when the rate limit is switched off by variants then 300 requests all succeed', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const res = await control(sim, 'PATCH', '/variants', { rateLimit: false });
    expect(res.body['rateLimit']).toBe(false);
    for (let i = 0; i < 300; i++)
      expect((await post(sim, '/api/Account/search', {}, token)).status).toBe(200);
  });

  it('when the simulator starts with rateLimit false then no request is limited', async () => {
    sim = await startTestSim({ rateLimit: false });
    const token = await login(sim);
    for (let i = 0; i < 60; i++)
      expect((await post(sim, '/api/History/retrieveBars', bars, token)).status).toBe(200);
  });

  it('when two tokens of one user are used then they share one budget (per user)', async () => {
    sim = await startTestSim();
    await control(sim, 'PATCH', '/rate-limit', { general: { limit: 5, windowMs: 60_000 } });
    const a = await login(sim);
    const b = await login(sim);
    expect((await post(sim, '/api/Account/search', {}, a)).status).toBe(200);
    expect((await post(sim, '/api/Account/search', {}, b)).status).toBe(200);
    expect((await post(sim, '/api/Account/search', {}, a)).status).toBe(200);
    expect((await post(sim, '/api/Account/search', {}, b)).status).toBe(429);
  });

  it('when the limits are changed and reset by control then the new limits apply from zero', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const set = await control(sim, 'PATCH', '/rate-limit', {
      general: { limit: 2, windowMs: 1000 },
      reset: true,
    });
    expect(set.body).toEqual({
      enabled: true,
      general: { limit: 2, windowMs: 1000 },
      bars: { limit: 50, windowMs: 30_000 },
    });
    expect((await post(sim, '/api/Account/search', {}, token)).status).toBe(200);
    expect((await post(sim, '/api/Account/search', {}, token)).status).toBe(200);
    const refused = await post(sim, '/api/Account/search', {}, token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await control(sim, 'GET', '/rate-limit')).body['general']).toEqual({ limit: 2, windowMs: 1000 });
  });
});
