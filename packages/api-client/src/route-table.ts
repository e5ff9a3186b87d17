/**
 * THE ROUTE TABLE of the control API: every route, who may call it and every status it answers.
 * It is data on purpose — the server registers exactly these routes, the route schemas declare a
 * response for exactly these statuses, the README renders this table, and tests walk it (every
 * admin route answers 401 without a token and 403 with a trader token, whatever the body).
 * Changing a route starts here.
 *
 * Roles: `public` — any local caller, no token; `trader` — a trader token, an admin token, or no
 * token at all when the admin chose no trader credential; `admin` — an admin token only.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT';

/** One row of the route table. */
export interface RouteTableEntry {
  readonly method: HttpMethod;
  /** Fastify-style path (`:id` for a path parameter). */
  readonly path: string;
  readonly role: 'public' | 'trader' | 'admin';
  /** Every status the route answers, ascending. */
  readonly statuses: readonly number[];
}

/** The path prefix of the versioned API. */
export const API_PREFIX = '/api/v1';

/** The control API's default port (config `api.port`). */
export const DEFAULT_API_PORT = 7311;

export const ROUTE_TABLE: readonly RouteTableEntry[] = Object.freeze([
  { method: 'GET', path: '/healthz', role: 'public', statuses: [200, 500, 503] },
  { method: 'GET', path: '/metrics', role: 'public', statuses: [200, 500] },
  { method: 'GET', path: '/api/v1/openapi.json', role: 'public', statuses: [200] },
  { method: 'POST', path: '/api/v1/auth/login', role: 'public', statuses: [200, 400, 401, 429, 500, 503] },
  { method: 'GET', path: '/api/v1/status', role: 'public', statuses: [200, 500] },
  { method: 'GET', path: '/api/v1/accounts', role: 'public', statuses: [200, 500] },
  { method: 'GET', path: '/api/v1/accounts/:id', role: 'public', statuses: [200, 400, 404, 500] },
  { method: 'GET', path: '/api/v1/accounts/:id/pnl', role: 'public', statuses: [200, 400, 404, 500] },
  { method: 'GET', path: '/api/v1/rules', role: 'public', statuses: [200, 400, 500] },
  { method: 'GET', path: '/api/v1/lockouts', role: 'public', statuses: [200, 400, 500] },
  { method: 'GET', path: '/api/v1/enforcements', role: 'public', statuses: [200, 400, 500] },
  { method: 'GET', path: '/api/v1/audit', role: 'public', statuses: [200, 400, 500] },
  { method: 'GET', path: '/api/v1/events', role: 'public', statuses: [200, 406, 500] },
  { method: 'POST', path: '/api/v1/trader/clock-in', role: 'trader', statuses: [200, 400, 401, 409, 500] },
  { method: 'POST', path: '/api/v1/trader/clock-out', role: 'trader', statuses: [200, 400, 401, 409, 500] },
  { method: 'GET', path: '/api/v1/trader/notifications', role: 'trader', statuses: [200, 401, 500] },
  { method: 'PUT', path: '/api/v1/trader/notifications', role: 'trader', statuses: [200, 400, 401, 500] },
  { method: 'POST', path: '/api/v1/trader/lockout', role: 'trader', statuses: [200, 400, 401, 404, 500] },
  { method: 'GET', path: '/api/v1/admin/rules', role: 'admin', statuses: [200, 401, 403, 500] },
  { method: 'PUT', path: '/api/v1/admin/rules', role: 'admin', statuses: [200, 400, 401, 403, 409, 500] },
  { method: 'GET', path: '/api/v1/admin/accounts', role: 'admin', statuses: [200, 401, 403, 500] },
  { method: 'PUT', path: '/api/v1/admin/accounts', role: 'admin', statuses: [200, 400, 401, 403, 409, 500] },
  {
    method: 'PUT',
    path: '/api/v1/admin/broker-credentials',
    role: 'admin',
    statuses: [200, 400, 401, 403, 500],
  },
  {
    method: 'POST',
    path: '/api/v1/admin/lockouts/:id/clear',
    role: 'admin',
    statuses: [200, 400, 401, 403, 404, 500],
  },
  { method: 'POST', path: '/api/v1/admin/stop', role: 'admin', statuses: [202, 400, 401, 403, 409, 500] },
  { method: 'POST', path: '/api/v1/admin/restart', role: 'admin', statuses: [202, 400, 401, 403, 409, 500] },
  { method: 'GET', path: '/api/v1/admin/logs', role: 'admin', statuses: [200, 400, 401, 403, 500] },
] satisfies RouteTableEntry[]);

/** `"GET /api/v1/status"`: how routes are keyed everywhere. */
export function routeKey(route: { readonly method: string; readonly path: string }): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}
