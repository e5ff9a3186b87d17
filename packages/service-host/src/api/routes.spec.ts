import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { findRoute, ROUTE_TABLE, routeKey, toOpenApiPath, type LockoutWire } from '@riskd/api-client';
import { answerProblems, createApiHarness, type ApiHarness } from './api-harness.fake.js';
import { ControlPlaneError } from './control-plane.js';

const LOCKOUT: LockoutWire = {
  id: '102:symbol:MNQ',
  accountId: 102,
  scope: 'symbol',
  symbol: 'MNQ',
  ruleId: 'symbol-block',
  instanceId: 'symbol-block',
  code: 'SYMBOL_BLOCKED',
  reason: 'MNQ is blocked',
  startedAt: '2026-03-09T14:00:00.000Z',
  endsAt: null,
  endCondition: 'symbol-unblocked',
};

/** Asserts the answer's status is declared for its route and its body matches that status's schema. */
function expectConforming(method: string, path: string, response: LightMyRequestResponse): void {
  const route = findRoute(method, path)!;
  expect(route.statuses, `${method} ${path} answered ${response.statusCode}`).toContain(response.statusCode);
  expect(answerProblems(method, path, response.statusCode, response.json())).toEqual([]);
}

describe('control API routes', () => {
  let h: ApiHarness;
  let admin: string;
  let trader: string;

  const fresh = async (): Promise<void> => {
    h = createApiHarness();
    admin = await h.login('admin');
    trader = await h.login('trader');
  };

  const call = (options: InjectOptions & { token?: string }): Promise<LightMyRequestResponse> => {
    const { token, ...rest } = options;
    return h.app.inject({
      ...rest,
      headers: { ...(rest.headers as object), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  };

  describe('root routes', () => {
    beforeAll(fresh);
    afterAll(() => h.close());

    it('when the daemon is ready then /healthz is 200 ok, and while stopping 503 with the same body shape', async () => {
      const ok = await call({ method: 'GET', url: '/healthz' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ status: 'ok', ready: true, now: '2026-03-09T15:00:00.000Z' });
      h.controlPlane.phase = 'stopping';
      const stopping = await call({ method: 'GET', url: '/healthz' });
      expect(stopping.statusCode).toBe(503);
      expect(stopping.json()).toMatchObject({ status: 'stopping', ready: false });
      expectConforming('GET', '/healthz', stopping);
      h.controlPlane.phase = 'running';
    });

    it("when /metrics is read then it is Prometheus text with the daemon's metrics and the API's, all riskd_", async () => {
      const before = /status="200"\} (\d+)/.exec(
        (await call({ method: 'GET', url: '/metrics' })).body.split('route="/api/v1/status"')[1] ?? '',
      );
      await call({ method: 'GET', url: '/api/v1/status' });
      const response = await call({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(response.body).toContain('riskd_events_total 0\n');
      expect(response.body).toContain(
        `riskd_api_requests_total{method="GET",route="/api/v1/status",status="200"} ${Number(before?.[1] ?? 0) + 1}`,
      );
      expect(response.body).toContain('riskd_api_live_clients 0');
      const names = response.body
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => line.split(/[{ ]/)[0]!);
      expect(names.length).toBeGreaterThan(3);
      for (const name of names) expect(name).toMatch(/^riskd_[a-z_]+$/);
    });

    it('when the OpenAPI document is fetched then it is served and lists every route of the table', async () => {
      const response = await call({ method: 'GET', url: '/api/v1/openapi.json' });
      expect(response.statusCode).toBe(200);
      const doc = response.json() as {
        openapi: string;
        paths: Record<string, Record<string, { operationId: string }>>;
      };
      expect(doc.openapi).toBe('3.1.0');
      for (const route of ROUTE_TABLE) {
        expect(
          doc.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()],
          routeKey(route),
        ).toBeDefined();
      }
    });

    it('when a route does not exist then 404 with the error body', async () => {
      const response = await call({ method: 'GET', url: '/api/v1/nope?x=1' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        code: 'NOT_FOUND',
        message: 'no route GET /api/v1/nope',
      });
    });
  });

  describe('read routes', () => {
    beforeAll(fresh);
    afterAll(() => h.close());

    it('when accounts are read then money is a two-decimal string and instants are ISO strings', async () => {
      const response = await call({ method: 'GET', url: '/api/v1/accounts' });
      expectConforming('GET', '/api/v1/accounts', response);
      const [first] = response.json().accounts;
      expect(first).toMatchObject({
        id: 101,
        balance: '50000.00',
        pnl: { unrealized: '-12.50', combined: '-12.50' },
      });
    });

    it('when an account is unknown then 404, and a non-numeric id 400 naming params.id', async () => {
      const missing = await call({ method: 'GET', url: '/api/v1/accounts/999' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'NOT_FOUND', message: 'no account 999' });
      const bad = await call({ method: 'GET', url: '/api/v1/accounts/abc/pnl' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().problems).toEqual([{ path: 'params.id', message: 'must be integer' }]);
    });

    it('when the P&L series is asked with a range then only points inside it come back, as money strings', async () => {
      for (const [at, combined] of [
        ['2026-03-09T14:00:00.000Z', '-10.00'],
        ['2026-03-09T14:30:00.000Z', '-20.50'],
        ['2026-03-09T14:59:00.000Z', '5.25'],
      ] as const) {
        h.controlPlane.addPnlPoint(101, { at, realized: '0.00', unrealized: combined, combined });
      }
      const response = await call({
        method: 'GET',
        url: '/api/v1/accounts/101/pnl?from=2026-03-09T14:15:00Z&to=2026-03-09T15:00:00Z',
      });
      expectConforming('GET', '/api/v1/accounts/:id/pnl', response);
      expect(response.json().points.map((p: { combined: string }) => p.combined)).toEqual(['-20.50', '5.25']);
    });

    it('when a query value has the wrong type or an unknown key then 400 lists every problem with its path', async () => {
      const response = await call({
        method: 'GET',
        url: '/api/v1/audit?limit=0&order=sideways&from=2026-02-30T00:00:00Z&extra=1',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().problems).toEqual([
        { path: 'query.extra', message: 'is not allowed' },
        { path: 'query.from', message: 'must match format "date-time"' },
        { path: 'query.order', message: 'must be one of "asc", "desc"' },
        { path: 'query.limit', message: 'must be >= 1' },
      ]);
    });

    it('when enforcements are paged then the cursor walks the log and a forged cursor is a 400', async () => {
      for (const n of [1, 2, 3]) {
        h.controlPlane.addEnforcement({
          id: `e${n}`,
          at: `2026-03-09T14:0${n}:00.000Z`,
          accountId: 101,
          contractId: 'CON.F.US.MNQ.Z25',
          symbol: 'MNQ',
          ruleId: 'max-contracts',
          instanceId: 'max-contracts',
          code: 'MAX_CONTRACTS',
          reason: `size ${n + 2} above limit 2`,
          mode: 'enforce',
          action: 'reduce',
          outcome: 'confirmed',
          idempotencyKey: `reduce:101:CON.F.US.MNQ.Z25:${n}`,
          attempts: 1,
          timings: {
            receivedAt: '2026-03-09T14:00:00.000Z',
            decidedAt: '2026-03-09T14:00:00.001Z',
            sentAt: '2026-03-09T14:00:00.002Z',
            confirmedAt: '2026-03-09T14:00:00.050Z',
          },
          latencyMs: 50,
        });
      }
      const first = await call({ method: 'GET', url: '/api/v1/enforcements?limit=2' });
      expectConforming('GET', '/api/v1/enforcements', first);
      expect(first.json().items.map((e: { id: string }) => e.id)).toEqual(['e3', 'e2']);
      const second = await call({
        method: 'GET',
        url: `/api/v1/enforcements?limit=2&cursor=${first.json().nextCursor}`,
      });
      expect(second.json()).toMatchObject({ items: [{ id: 'e1' }], nextCursor: null });
      const forged = await call({ method: 'GET', url: '/api/v1/enforcements?cursor=xyz' });
      expect(forged.statusCode).toBe(400);
      expect(forged.json().problems).toEqual([
        { path: 'query.cursor', message: 'was not issued by this daemon' },
      ]);
    });

    it('when lockouts and rules are read then they are listed per account with their timers and sources', async () => {
      h.controlPlane.addLockout(LOCKOUT);
      h.controlPlane.addTimer({
        accountId: 102,
        ruleId: 'cooldown-after-loss',
        instanceId: 'cooldown',
        key: 'cooldown-end',
        at: '2026-03-09T15:10:00.000Z',
      });
      const lockouts = await call({ method: 'GET', url: '/api/v1/lockouts?accountId=102' });
      expectConforming('GET', '/api/v1/lockouts', lockouts);
      expect(lockouts.json()).toMatchObject({ lockouts: [LOCKOUT], timers: [{ key: 'cooldown-end' }] });
      expect((await call({ method: 'GET', url: '/api/v1/lockouts?accountId=101' })).json().lockouts).toEqual(
        [],
      );
      const rules = await call({ method: 'GET', url: '/api/v1/rules' });
      expectConforming('GET', '/api/v1/rules', rules);
      expect(rules.json().accounts[0]).toMatchObject({
        accountId: 101,
        source: 'accounts[0]',
        preset: 'topstep-50k',
      });
    });

    it('when a read answer carries a field its schema does not declare then the field never reaches the caller', async () => {
      const detail = await h.controlPlane.account(101);
      // A careless implementation puts a secret beside the declared fields.
      Object.assign(detail, { apiKey: 'sk-live-LEAK' });
      Object.assign(detail.positions[0]!, { brokerToken: 'tok-LEAK' });
      for (const url of ['/api/v1/accounts', '/api/v1/accounts/101', '/api/v1/status']) {
        const response = await call({ method: 'GET', url });
        expect(response.statusCode).toBe(200);
        expect(response.body).not.toContain('LEAK');
      }
    });
  });

  describe('trader routes', () => {
    beforeEach(fresh);
    afterEach(() => h.close());

    it('when the trader clocks in twice then 409, and clock-out closes the session with both notes', async () => {
      const opened = await call({
        method: 'POST',
        url: '/api/v1/trader/clock-in',
        payload: { note: 'open' },
        token: trader,
      });
      expectConforming('POST', '/api/v1/trader/clock-in', opened);
      const twice = await call({
        method: 'POST',
        url: '/api/v1/trader/clock-in',
        payload: {},
        token: trader,
      });
      expect(twice.statusCode).toBe(409);
      expect(twice.json()).toMatchObject({ code: 'CONFLICT' });
      await h.clock.advance(3_600_000);
      const closed = await call({
        method: 'POST',
        url: '/api/v1/trader/clock-out',
        payload: { note: 'done' },
        token: trader,
      });
      expect(closed.json().session).toEqual({
        id: 's1',
        clockedInAt: '2026-03-09T15:00:00.000Z',
        clockedOutAt: '2026-03-09T16:00:00.000Z',
        noteIn: 'open',
        noteOut: 'done',
      });
      const again = await call({
        method: 'POST',
        url: '/api/v1/trader/clock-out',
        payload: {},
        token: trader,
      });
      expect(again.statusCode).toBe(409);
      expect(h.controlPlane.calls.find((c) => c.method === 'clockIn')?.actor).toMatchObject({
        role: 'trader',
        via: 'token',
        ip: '127.0.0.1',
      });
    });

    it('when a clock-in note is too long or an extra field is sent then 400 and nothing is recorded', async () => {
      const response = await call({
        method: 'POST',
        url: '/api/v1/trader/clock-in',
        payload: { note: 'x'.repeat(501), mood: 'great' },
        token: trader,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().problems).toEqual([
        { path: 'body.mood', message: 'is not allowed' },
        { path: 'body.note', message: 'must NOT have more than 500 characters' },
      ]);
      expect(h.controlPlane.calls.some((c) => c.method === 'clockIn')).toBe(false);
    });

    it('when notification preferences name an unknown channel then 400 with its path, else they are stored', async () => {
      const bad = await call({
        method: 'PUT',
        url: '/api/v1/trader/notifications',
        payload: { kinds: 'all', channels: ['discord', 'pager'], quietHours: null },
        token: trader,
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().problems).toEqual([{ path: 'body.channels[1]', message: 'unknown channel "pager"' }]);
      const prefs = {
        kinds: ['enforcement', 'warning'],
        channels: ['telegram'],
        quietHours: { start: '23:00', end: '06:30' },
      };
      expect(
        (
          await call({ method: 'PUT', url: '/api/v1/trader/notifications', payload: prefs, token: trader })
        ).json(),
      ).toEqual(prefs);
      const read = await call({ method: 'GET', url: '/api/v1/trader/notifications', token: trader });
      expect(read.json()).toEqual(prefs);
      const badTime = await call({
        method: 'PUT',
        url: '/api/v1/trader/notifications',
        payload: { ...prefs, quietHours: { start: '24:00', end: '6:30' } },
        token: trader,
      });
      expect(badTime.statusCode).toBe(400);
    });

    it('when the trader locks an account until the reset then the lockout holds and no trader route lifts it', async () => {
      const response = await call({
        method: 'POST',
        url: '/api/v1/trader/lockout',
        payload: { accountId: 101, until: 'reset', reason: 'tilted' },
        token: trader,
      });
      expectConforming('POST', '/api/v1/trader/lockout', response);
      expect(response.json().lockouts).toEqual([
        expect.objectContaining({
          id: '101:account',
          endsAt: '2026-03-09T22:00:00.000Z',
          code: 'SELF_LOCKOUT',
          reason: 'tilted',
        }),
      ]);
      const clear = await call({
        method: 'POST',
        url: '/api/v1/admin/lockouts/101%3Aaccount/clear',
        payload: { reason: 'I changed my mind' },
        token: trader,
      });
      expect(clear.statusCode).toBe(403);
      const lockouts = await call({ method: 'GET', url: '/api/v1/lockouts?accountId=101' });
      expect(lockouts.json().lockouts).toHaveLength(1);
    });

    it('when a self-lockout is asked for the past, a bad instant or an unknown account then 400 or 404', async () => {
      const past = await call({
        method: 'POST',
        url: '/api/v1/trader/lockout',
        payload: { until: '2026-03-09T14:00:00Z' },
        token: trader,
      });
      expect(past.statusCode).toBe(400);
      expect(past.json().problems).toEqual([{ path: 'body.until', message: 'must be in the future' }]);
      const malformed = await call({
        method: 'POST',
        url: '/api/v1/trader/lockout',
        payload: { until: 'tomorrow' },
        token: trader,
      });
      expect(malformed.statusCode).toBe(400);
      const unknown = await call({
        method: 'POST',
        url: '/api/v1/trader/lockout',
        payload: { accountId: 999, until: '2026-03-09T18:00:00-05:00' },
        token: trader,
      });
      expect(unknown.statusCode).toBe(404);
    });

    it('when the admin calls a trader route with an admin token then it is allowed (the admin can do what the trader can)', async () => {
      const response = await call({ method: 'GET', url: '/api/v1/trader/notifications', token: admin });
      expect(response.statusCode).toBe(200);
    });
  });

  describe('admin routes', () => {
    beforeEach(fresh);
    afterEach(() => h.close());

    it('when the rules are replaced with invalid entries then 400 lists every problem and nothing is written', async () => {
      const before = (await call({ method: 'GET', url: '/api/v1/admin/rules', token: admin })).json();
      const response = await call({
        method: 'PUT',
        url: '/api/v1/admin/rules',
        payload: {
          rules: [
            { rule: 'no-such-rule' },
            { rule: 'daily-loss-limit', options: { limit: -5 } },
            { rule: 'daily-loss-limit', id: 'daily-loss-limit' },
          ],
        },
        token: admin,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().problems).toEqual([
        { path: 'body.rules[0].rule', message: 'unknown rule "no-such-rule"' },
        { path: 'body.rules[1].options.limit', message: 'must be >= 0' },
        {
          path: 'body.rules[2].id',
          message: 'instance key "daily-loss-limit" already used by body.rules[1]',
        },
      ]);
      expect((await call({ method: 'GET', url: '/api/v1/admin/rules', token: admin })).json()).toEqual(
        before,
      );
    });

    it('when a limit is raised then it waits for the reset, unless forced with a reason; force without a reason is a 400', async () => {
      const looser = await call({
        method: 'PUT',
        url: '/api/v1/admin/rules',
        payload: { rules: [{ rule: 'daily-loss-limit', options: { limit: 800 } }] },
        token: admin,
      });
      expectConforming('PUT', '/api/v1/admin/rules', looser);
      expect(looser.json().changes).toEqual([
        {
          path: 'rules[0].options.limit',
          summary: 'limit 500 -> 800',
          strictness: 'looser',
          appliesAt: '2026-03-09T22:00:00.000Z',
          forced: false,
        },
      ]);
      const noReason = await call({
        method: 'PUT',
        url: '/api/v1/admin/rules',
        payload: { rules: [{ rule: 'daily-loss-limit', options: { limit: 900 } }], force: true },
        token: admin,
      });
      expect(noReason.statusCode).toBe(400);
      expect(noReason.json().problems).toEqual([{ path: 'body.reason', message: 'is required' }]);
      const forced = await call({
        method: 'PUT',
        url: '/api/v1/admin/rules',
        payload: {
          rules: [{ rule: 'daily-loss-limit', options: { limit: 900 } }],
          force: true,
          reason: 'funded account upgrade',
        },
        token: admin,
      });
      expect(forced.json().changes[0]).toMatchObject({ appliesAt: null, forced: true });
    });

    it('when the config moved on since the admin read it then the write is a 409', async () => {
      const { revision } = (
        await call({ method: 'GET', url: '/api/v1/admin/accounts', token: admin })
      ).json();
      const first = await call({
        method: 'PUT',
        url: '/api/v1/admin/accounts',
        payload: {
          accounts: [{ id: 101, rules: [{ rule: 'max-contracts', options: { limit: 2 } }] }],
          expectedRevision: revision,
        },
        token: admin,
      });
      expectConforming('PUT', '/api/v1/admin/accounts', first);
      const stale = await call({
        method: 'PUT',
        url: '/api/v1/admin/accounts',
        payload: { accounts: [], expectedRevision: revision },
        token: admin,
      });
      expect(stale.statusCode).toBe(409);
      expect(stale.json().message).toBe(`the config is at revision ${revision + 1}, not ${revision}`);
    });

    it('when broker credentials are set then the key reaches the daemon but never the answer or the log', async () => {
      const response = await call({
        method: 'PUT',
        url: '/api/v1/admin/broker-credentials',
        payload: { userName: 'me@example.com', apiKey: 'sk-live-SECRET-KEY-123' },
        token: admin,
      });
      expectConforming('PUT', '/api/v1/admin/broker-credentials', response);
      expect(response.json()).toEqual({ userName: 'me@example.com', apiKeyStored: true, reconnecting: true });
      expect(h.controlPlane.storedBrokerKey).toBe('sk-live-SECRET-KEY-123');
      expect(JSON.stringify(h.logs)).not.toContain('SECRET-KEY');
      const bad = await call({
        method: 'PUT',
        url: '/api/v1/admin/broker-credentials',
        payload: { userName: 'x', apiKey: '   ' },
        token: admin,
      });
      expect(bad.statusCode).toBe(400);
      expect(JSON.stringify(bad.json())).not.toContain('   "');
    });

    it('when a lockout is cleared then the reason is mandatory, an unknown id is 404, and the clear is published', async () => {
      h.controlPlane.addLockout(LOCKOUT);
      const events: string[] = [];
      h.controlPlane.subscribe((e) =>
        events.push(e.type === 'lockout' ? `${e.change}:${e.lockout.id}` : e.type),
      );
      const url = `/api/v1/admin/lockouts/${encodeURIComponent(LOCKOUT.id)}/clear`;
      const noReason = await call({ method: 'POST', url, payload: {}, token: admin });
      expect(noReason.statusCode).toBe(400);
      const blank = await call({ method: 'POST', url, payload: { reason: '    ' }, token: admin });
      expect(blank.statusCode).toBe(400);
      const unknown = await call({
        method: 'POST',
        url: '/api/v1/admin/lockouts/101:account/clear',
        payload: { reason: 'review done' },
        token: admin,
      });
      expect(unknown.statusCode).toBe(404);
      const badId = await call({
        method: 'POST',
        url: '/api/v1/admin/lockouts/everything/clear',
        payload: { reason: 'review done' },
        token: admin,
      });
      expect(badId.statusCode).toBe(400);
      const cleared = await call({ method: 'POST', url, payload: { reason: 'review done' }, token: admin });
      expectConforming('POST', '/api/v1/admin/lockouts/:id/clear', cleared);
      expect(cleared.json()).toEqual({ lockout: LOCKOUT, clearedAt: '2026-03-09T15:00:00.000Z' });
      expect(events).toEqual(['cleared:102:symbol:MNQ']);
      expect(h.controlPlane.calls.findLast((c) => c.method === 'clearLockout')).toMatchObject({
        input: { id: LOCKOUT.id, reason: 'review done' },
        actor: { role: 'admin', via: 'token' },
      });
    });

    it('when the admin stops the daemon then a reason is mandatory, the answer is 202 with the exit code, and a second stop 409', async () => {
      const noReason = await call({
        method: 'POST',
        url: '/api/v1/admin/stop',
        payload: { flatten: true },
        token: admin,
      });
      expect(noReason.statusCode).toBe(400);
      expect(noReason.json().problems).toEqual([{ path: 'body.reason', message: 'is required' }]);
      const stop = await call({
        method: 'POST',
        url: '/api/v1/admin/stop',
        payload: { reason: 'end of evaluation', flatten: true },
        token: admin,
      });
      expectConforming('POST', '/api/v1/admin/stop', stop);
      expect(stop.statusCode).toBe(202);
      expect(stop.json()).toEqual({
        accepted: true,
        exitCode: 78,
        flattened: [101, 102],
        locked: [],
        stoppingAt: '2026-03-09T15:00:00.000Z',
      });
      const again = await call({
        method: 'POST',
        url: '/api/v1/admin/restart',
        payload: { reason: 'second thoughts' },
        token: admin,
      });
      expect(again.statusCode).toBe(409);
    });

    it('when the logs are read then the level and limit filter them, oldest first', async () => {
      h.controlPlane.addLog('debug', 'noise', 'broker');
      h.controlPlane.addLog('warn', 'reconnecting', 'broker');
      h.controlPlane.addLog('error', 'order rejected', 'enforcement');
      const warn = await call({ method: 'GET', url: '/api/v1/admin/logs?level=warn', token: admin });
      expectConforming('GET', '/api/v1/admin/logs', warn);
      expect(warn.json().lines.map((l: { msg: string }) => l.msg)).toEqual([
        'reconnecting',
        'order rejected',
      ]);
      const last = await call({ method: 'GET', url: '/api/v1/admin/logs?level=trace&limit=1', token: admin });
      expect(last.json().lines.map((l: { msg: string }) => l.msg)).toEqual(['order rejected']);
      const bad = await call({ method: 'GET', url: '/api/v1/admin/logs?level=loud', token: admin });
      expect(bad.statusCode).toBe(400);
    });
  });
});

describe('the error handler', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = createApiHarness();
    await h.app.ready();
  });

  afterAll(async () => {
    await h.close();
  });

  it('when a control-plane method fails unexpectedly then 500 hides the details, names the request id, and logs the error with context', async () => {
    h.controlPlane.failNext('status', new Error('database locked; password=hunter2'));
    const response = await h.app.inject({ method: 'GET', url: '/api/v1/status' });
    expect(response.statusCode).toBe(500);
    const body = response.json();
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      code: 'INTERNAL',
      message: `internal error (request ${body.requestId}; details are in the daemon's log)`,
      requestId: body.requestId,
    });
    expect(response.body).not.toContain('hunter2');
    const logged = h.errorLines().find((l) => l.msg === 'request failed');
    expect(logged).toMatchObject({
      route: '/api/v1/status',
      method: 'GET',
      reqId: body.requestId,
      err: { message: 'database locked; password=hunter2' },
    });
    h.logs.length = 0;
  });

  it('when a control-plane refusal maps to a status the route does not declare then 500 and an error line name the mismatch', async () => {
    h.controlPlane.failNext('accounts', new ControlPlaneError('NOT_FOUND', 'gone'));
    const response = await h.app.inject({ method: 'GET', url: '/api/v1/accounts' });
    expect(response.statusCode).toBe(500);
    expect(h.errorLines()).toEqual([
      expect.objectContaining({
        msg: 'status not in the route table: answered 500',
        status: 404,
        route: '/api/v1/accounts',
      }),
    ]);
    h.logs.length = 0;
  });

  it('when a control plane is unavailable during a login then the declared 503 is answered', async () => {
    h.controlPlane.failNext(
      'verifyPassword',
      new ControlPlaneError('UNAVAILABLE', 'credential store not open yet'),
    );
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { role: 'admin', password: 'x' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'UNAVAILABLE', message: 'credential store not open yet' });
  });

  it('when a body is not JSON, has the wrong media type or is too large then 400 INVALID_BODY', async () => {
    const small = createApiHarness({ api: { bodyLimitBytes: 256 } });
    const token = await small.login('admin');
    const headers = { authorization: `Bearer ${token}` };
    const cases: InjectOptions[] = [
      { payload: '{', headers: { ...headers, 'content-type': 'application/json' } },
      { payload: 'x', headers: { ...headers, 'content-type': 'text/plain' } },
      { payload: { reason: 'x'.repeat(300) }, headers },
    ];
    for (const options of cases) {
      const response = await small.app.inject({ method: 'POST', url: '/api/v1/admin/restart', ...options });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('INVALID_BODY');
    }
    expect(small.errorLines()).toEqual([]);
    await small.close();
  });
});
