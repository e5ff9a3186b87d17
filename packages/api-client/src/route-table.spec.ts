import { describe, expect, it } from 'vitest';
import { API_PREFIX, ROUTE_TABLE, routeKey } from './route-table.js';
import { ROUTES } from './lib/route-definitions.js';
import { API_ERROR_SCHEMA } from './lib/schemas/wire-schemas.js';

const pathParams = (path: string): string[] => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

describe('the route table', () => {
  it('when read then every route is unique, under /api/v1 unless it is a root route, with sorted statuses', () => {
    const keys = ROUTE_TABLE.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const route of ROUTE_TABLE) {
      const root = route.path === '/healthz' || route.path === '/metrics';
      expect(root || route.path.startsWith(`${API_PREFIX}/`), route.path).toBe(true);
      expect([...route.statuses].sort((a, b) => a - b)).toEqual(route.statuses);
      expect(
        route.statuses.some((s) => s < 300),
        `${routeKey(route)} has a success status`,
      ).toBe(true);
    }
  });

  it('when a route is under /api/v1/admin/ then its role is admin, and trader routes are under /api/v1/trader/', () => {
    for (const route of ROUTE_TABLE) {
      expect(route.path.startsWith('/api/v1/admin/'), routeKey(route)).toBe(route.role === 'admin');
      expect(route.path.startsWith('/api/v1/trader/'), routeKey(route)).toBe(route.role === 'trader');
    }
  });

  it('when a route needs a token then it answers 401, and admin routes also 403, and public routes neither', () => {
    for (const route of ROUTE_TABLE) {
      expect(route.statuses.includes(401), routeKey(route)).toBe(
        route.role !== 'public' || route.path.endsWith('/auth/login'),
      );
      expect(route.statuses.includes(403), routeKey(route)).toBe(route.role === 'admin');
    }
  });

  it('when it lists the issue routes then every one of them is there', () => {
    const expected = [
      'GET /healthz',
      'GET /metrics',
      'POST /api/v1/auth/login',
      'GET /api/v1/status',
      'GET /api/v1/accounts',
      'GET /api/v1/accounts/:id',
      'GET /api/v1/accounts/:id/pnl',
      'GET /api/v1/rules',
      'GET /api/v1/lockouts',
      'GET /api/v1/enforcements',
      'GET /api/v1/audit',
      'GET /api/v1/events',
      'POST /api/v1/trader/clock-in',
      'POST /api/v1/trader/clock-out',
      'GET /api/v1/trader/notifications',
      'PUT /api/v1/trader/notifications',
      'POST /api/v1/trader/lockout',
      'GET /api/v1/admin/rules',
      'PUT /api/v1/admin/rules',
      'GET /api/v1/admin/accounts',
      'PUT /api/v1/admin/accounts',
      'PUT /api/v1/admin/broker-credentials',
      'POST /api/v1/admin/lockouts/:id/clear',
      'POST /api/v1/admin/stop',
      'POST /api/v1/admin/restart',
      'GET /api/v1/admin/logs',
      'GET /api/v1/openapi.json',
    ];
    expect(ROUTE_TABLE.map(routeKey).sort()).toEqual([...expected].sort());
  });
});

describe('the route definitions', () => {
  it('when built then they follow the table row by row', () => {
    expect(ROUTES.map(routeKey)).toEqual(ROUTE_TABLE.map(routeKey));
    for (const [i, route] of ROUTES.entries()) {
      const row = ROUTE_TABLE[i]!;
      expect(route.role).toBe(row.role);
      expect(route.statuses).toEqual(row.statuses);
      expect(Object.keys(route.schema.response).map(Number)).toEqual([...row.statuses]);
    }
  });

  it('when a route has path parameters then its params schema declares exactly those, all required', () => {
    for (const route of ROUTES) {
      const names = pathParams(route.path);
      if (names.length === 0) {
        expect(route.schema.params, routeKey(route)).toBeUndefined();
        continue;
      }
      const params = route.schema.params as { properties: object; required: string[] };
      expect(Object.keys(params.properties).sort()).toEqual(names.sort());
      expect([...params.required].sort()).toEqual(names.sort());
    }
  });

  it('when a route is POST or PUT then it declares a body, and a GET never does', () => {
    for (const route of ROUTES) {
      expect(route.schema.body !== undefined, routeKey(route)).toBe(route.method !== 'GET');
    }
  });

  it('when a status is an error then its schema is the error body, except the 503 of /healthz', () => {
    for (const route of ROUTES) {
      for (const status of route.statuses) {
        if (status < 400 || (route.path === '/healthz' && status === 503)) continue;
        expect(route.schema.response[status], `${routeKey(route)} ${status}`).toBe(API_ERROR_SCHEMA);
      }
    }
  });

  it('when operation ids are listed then they are unique camelCase names', () => {
    const ids = ROUTES.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z]*$/);
  });

  it('when request and response objects are declared then they are closed (no undeclared field passes)', () => {
    const open: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (typeof schema !== 'object' || schema === null) return;
      const s = schema as Record<string, unknown>;
      if (s['type'] === 'object' && s['properties'] !== undefined && s['additionalProperties'] !== false)
        open.push(where);
      for (const [key, value] of Object.entries(s)) {
        if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${where}.${key}[${i}]`));
        else walk(value, `${where}.${key}`);
      }
    };
    for (const route of ROUTES) walk(route.schema, routeKey(route));
    expect(open).toEqual([]);
  });
});
