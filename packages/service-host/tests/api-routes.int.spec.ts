import { ROUTE_TABLE } from '@riskd/api-client';
import { afterEach, describe, expect, it } from 'vitest';
import { answerProblems, SAMPLE_REQUESTS, sampleUrl } from '../src/api/api-harness.fake.js';
import { ROUTES } from '@riskd/api-client';
import { setNoTraderPassword } from '../src/daemon/credentials.js';
import { DaemonDesk, fakeBrokerConfig, MNQ } from './helpers/daemon-harness.js';

let desk: DaemonDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

/** Routes that end or restart the daemon, or need a stream: covered by their own tests. */
const SKIPPED = new Set(['events', 'stop', 'restart', 'putBrokerCredentials']);
/** The order in which the calls make sense (clock in before out, lock before clear). */
const ORDER = ['clockIn', 'clockOut', 'selfLockout', 'clearLockout'];

describe('control API over the real daemon', () => {
  it('when every route of the table is called with its sample then the daemon answers its success status with a body matching the schema', async () => {
    desk = new DaemonDesk(undefined, [101, 102]);
    desk.writeConfig(
      fakeBrokerConfig({
        notifications: { discord: [{ id: 'discord', enabled: false }] },
        rules: [{ rule: 'max-contracts', options: { limit: 3 } }],
      }),
    );
    const { daemon, ready } = await desk.start();
    await daemon.storage.credentials.setPassword('admin', 'admin-password');
    await setNoTraderPassword(daemon.storage, desk.clock.now());
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(101, MNQ, 'buy', 5);
    await desk.advance(100);
    await daemon.tee.flush();
    const base = ready.apiUrl as string;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'admin', password: 'admin-password' }),
    });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { token: string }).token;

    const routes = ROUTES.filter((r) => !SKIPPED.has(r.operationId) && r.operationId !== 'login').sort(
      (a, b) => ORDER.indexOf(a.operationId) - ORDER.indexOf(b.operationId),
    );
    expect(routes.length).toBe(ROUTE_TABLE.length - SKIPPED.size - 1);
    const failures: string[] = [];
    for (const route of routes) {
      const sample = SAMPLE_REQUESTS[route.operationId] ?? {};
      const response = await fetch(`${base}${sampleUrl(route.path, sample)}`, {
        method: route.method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(sample.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(sample.body !== undefined ? { body: JSON.stringify(sample.body) } : {}),
      });
      const text = await response.text();
      const body: unknown = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
      const expected =
        route.operationId === 'healthz' ? 200 : Math.min(...Object.keys(route.schema.response).map(Number));
      if (response.status !== expected)
        failures.push(`${route.method} ${route.path}: ${response.status} ${text.slice(0, 300)}`);
      else
        failures.push(
          ...answerProblems(route.method, route.path, response.status, body).map(
            (p) => `${route.method} ${route.path}: ${p}`,
          ),
        );
    }
    expect(failures).toEqual([]);
    desk.expectNoErrors();
  });
});
