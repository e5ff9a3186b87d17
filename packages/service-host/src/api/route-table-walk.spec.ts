import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { ROUTE_TABLE, ROUTES, routeKey, type RouteDefinition } from '@riskd/api-client';
import { registeredRoutesOf } from './app.js';
import {
  answerProblems,
  createApiHarness,
  SAMPLE_REQUESTS,
  sampleUrl,
  type ApiHarness,
} from './api-harness.fake.js';

/** Bodies an attacker or a broken client might send; authentication must answer before any of them is read. */
const GARBAGE: readonly { name: string; payload?: string; contentType?: string }[] = [
  { name: 'no body' },
  { name: 'invalid JSON', payload: '{"reason": ', contentType: 'application/json' },
  { name: 'a JSON array', payload: '[1,2,3]', contentType: 'application/json' },
  {
    name: 'wrong fields',
    payload: '{"rules": "drop table", "force": "yes"}',
    contentType: 'application/json',
  },
  { name: 'plain text', payload: 'stop now', contentType: 'text/plain' },
  { name: 'an unknown media type', payload: '<stop/>', contentType: 'application/xml' },
];

function bodies(route: RouteDefinition): { name: string; options: Partial<InjectOptions> }[] {
  const sample = SAMPLE_REQUESTS[route.operationId]!;
  const valid =
    sample.body === undefined ? [] : [{ name: 'a valid body', options: { payload: sample.body as object } }];
  return [
    ...valid,
    ...GARBAGE.map((g) => ({
      name: g.name,
      options: {
        ...(g.payload === undefined ? {} : { payload: g.payload }),
        ...(g.contentType === undefined ? {} : { headers: { 'content-type': g.contentType } }),
      },
    })),
  ];
}

const adminRoutes = ROUTES.filter((r) => r.role === 'admin');
const traderRoutes = ROUTES.filter((r) => r.role === 'trader');

describe('the route table walk', () => {
  let h: ApiHarness;
  let traderToken: string;
  let adminToken: string;

  beforeAll(async () => {
    h = createApiHarness();
    await h.app.ready();
    traderToken = await h.login('trader');
    adminToken = await h.login('admin');
  });

  afterAll(async () => {
    // Every status any request of this file got is one the table lists for its route.
    for (const [key, statuses] of h.observed) {
      const row = ROUTE_TABLE.find((r) => routeKey(r) === key)!;
      for (const status of statuses) expect(row.statuses, `${key} answered ${status}`).toContain(status);
    }
    expect(h.errorLines()).toEqual([]);
    await h.close();
  });

  const inject = (
    route: RouteDefinition,
    extra: Partial<InjectOptions>,
    token?: string,
  ): Promise<LightMyRequestResponse> => {
    const headers = { ...(extra.headers as Record<string, string> | undefined) };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    return h.app.inject({
      method: route.method,
      url: sampleUrl(route.path, SAMPLE_REQUESTS[route.operationId]!),
      ...extra,
      headers,
    });
  };

  it('when the app is built then every route of the table is registered and every registered route is in the table', () => {
    const registered = registeredRoutesOf(h.app).map(routeKey).sort();
    expect(registered).toEqual(ROUTE_TABLE.map(routeKey).sort());
  });

  it('when the walk starts then there are admin and trader routes to walk', () => {
    expect(adminRoutes.length).toBe(9);
    expect(traderRoutes.length).toBe(5);
  });

  for (const route of adminRoutes) {
    describe(`${routeKey(route)}`, () => {
      for (const body of bodies(route)) {
        it(`when called without a token and ${body.name} then 401`, async () => {
          const response = await inject(route, body.options);
          expect(response.statusCode).toBe(401);
          expect(response.json()).toMatchObject({ code: 'UNAUTHORIZED' });
          expect(response.headers['www-authenticate']).toBe('Bearer realm="riskd"');
        });

        it(`when called with a trader token and ${body.name} then 403`, async () => {
          const response = await inject(route, body.options, traderToken);
          expect(response.statusCode).toBe(403);
          expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
        });

        it(`when called with a wrong token and ${body.name} then 401`, async () => {
          const response = await inject(route, body.options, 'not-a-token');
          expect(response.statusCode).toBe(401);
        });
      }

      it('when called with a malformed Authorization header then 401', async () => {
        const response = await inject(route, { headers: { authorization: `Basic ${adminToken}` } });
        expect(response.statusCode).toBe(401);
      });
    });
  }

  for (const route of traderRoutes) {
    describe(`${routeKey(route)}`, () => {
      for (const body of bodies(route)) {
        it(`when called without a token and ${body.name} then 401`, async () => {
          expect((await inject(route, body.options)).statusCode).toBe(401);
        });

        it(`when called with a wrong token and ${body.name} then 401`, async () => {
          expect((await inject(route, body.options, 'not-a-token')).statusCode).toBe(401);
        });
      }
    });
  }

  it('when each admin and trader route gets garbage with the right token then it answers 400, never 2xx', async () => {
    for (const route of [...adminRoutes, ...traderRoutes].filter((r) => r.method !== 'GET')) {
      for (const body of bodies(route).filter((b) => b.name !== 'a valid body')) {
        const response = await inject(route, body.options, adminToken);
        expect(response.statusCode, `${routeKey(route)} with ${body.name}`).toBe(400);
        expect(answerProblems(route.method, route.path, 400, response.json())).toEqual([]);
      }
    }
  });

  it('when every route gets its valid sample with the right token then it succeeds and the answer matches its schema', async () => {
    // Table order matters once: the self-lockout sample creates the lockout the clear sample lifts.
    for (const route of ROUTES.filter((r) => r.produces !== 'text/event-stream')) {
      const sample = SAMPLE_REQUESTS[route.operationId]!;
      h.controlPlane.phase = 'running'; // a stop sample must not make the restart sample a 409
      const token = route.role === 'public' ? undefined : route.role === 'trader' ? traderToken : adminToken;
      const response = await inject(
        route,
        sample.body === undefined ? {} : { payload: sample.body as object },
        token,
      );
      expect(response.statusCode, `${routeKey(route)}: ${response.body}`).toBeLessThan(300);
      expect(route.statuses).toContain(response.statusCode);
      if (route.produces === 'application/json') {
        expect(
          answerProblems(route.method, route.path, response.statusCode, response.json()),
          routeKey(route),
        ).toEqual([]);
      }
    }
  });
});
