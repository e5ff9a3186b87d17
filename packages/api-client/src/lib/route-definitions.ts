/**
 * Every route of the route table with its schemas: params, query, body and a response schema per
 * status. The table (`route-table.ts`) is the source of truth for which routes exist, their role
 * and their statuses; this module adds what each route takes and answers, and refuses at load
 * time to disagree with the table (a route without a spec, a spec without a route, or a response
 * for a status the table does not list).
 */
import { ROUTE_TABLE, routeKey, type RouteTableEntry } from '../route-table.js';
import { ApiClientError } from './client/api-client-errors.js';
import {
  closedObject,
  instant,
  integer,
  stringEnum,
  text,
  type JsonSchema,
} from './schemas/schema-helpers.js';
import {
  ACCOUNT_DETAIL_SCHEMA,
  ACCOUNTS_CONFIG_RESPONSE_SCHEMA,
  ACCOUNTS_RESPONSE_SCHEMA,
  API_ERROR_SCHEMA,
  AUDIT_RECORD_SCHEMA,
  BROKER_CREDENTIALS_REQUEST_SCHEMA,
  BROKER_CREDENTIALS_RESPONSE_SCHEMA,
  CLEAR_LOCKOUT_REQUEST_SCHEMA,
  CLEAR_LOCKOUT_RESPONSE_SCHEMA,
  CLOCK_REQUEST_SCHEMA,
  CLOCK_RESPONSE_SCHEMA,
  CONFIG_CHANGE_RESPONSE_SCHEMA,
  ENFORCEMENT_SCHEMA,
  HEALTH_SCHEMA,
  LIVE_EVENT_SCHEMA,
  LOCKOUTS_RESPONSE_SCHEMA,
  LOG_LEVEL_VALUES,
  LOGIN_REQUEST_SCHEMA,
  LOGIN_RESPONSE_SCHEMA,
  LOGS_RESPONSE_SCHEMA,
  NOTIFICATION_PREFERENCES_SCHEMA,
  OPENAPI_DOCUMENT_SCHEMA,
  pageSchema,
  PNL_SERIES_SCHEMA,
  PUT_ACCOUNTS_CONFIG_REQUEST_SCHEMA,
  PUT_RULES_CONFIG_REQUEST_SCHEMA,
  RESTART_REQUEST_SCHEMA,
  RESTART_RESPONSE_SCHEMA,
  RULES_CONFIG_RESPONSE_SCHEMA,
  RULES_IN_FORCE_SCHEMA,
  SELF_LOCKOUT_REQUEST_SCHEMA,
  SELF_LOCKOUT_RESPONSE_SCHEMA,
  STATUS_SCHEMA,
  STOP_REQUEST_SCHEMA,
  STOP_RESPONSE_SCHEMA,
} from './schemas/wire-schemas.js';

/** What a route takes and answers. */
export interface RouteSchemas {
  readonly params?: JsonSchema;
  readonly querystring?: JsonSchema;
  readonly body?: JsonSchema;
  /** A schema for every status of the route's table row. */
  readonly response: Readonly<Record<number, JsonSchema>>;
}

/** The media type of a route's success response. */
export type RouteMediaType = 'application/json' | 'text/plain' | 'text/event-stream';

/** A route of the table with its documentation and schemas. */
export interface RouteDefinition extends RouteTableEntry {
  /** Stable name, also the typed client's method name. */
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tag: 'system' | 'auth' | 'read' | 'trader' | 'admin';
  /** Media type of the success response (errors are always JSON). */
  readonly produces: RouteMediaType;
  readonly schema: RouteSchemas;
}

interface RouteSpec {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: RouteDefinition['tag'];
  readonly produces?: RouteMediaType;
  readonly params?: JsonSchema;
  readonly querystring?: JsonSchema;
  readonly body?: JsonSchema;
  /** Success responses, and any error status whose body is not the standard error body. */
  readonly responses: Readonly<Record<number, JsonSchema>>;
}

const ACCOUNT_ID_PARAMS = closedObject({ id: integer({ minimum: 1, description: 'ProjectX account id.' }) });
const ACCOUNT_FILTER_QUERY = closedObject({ accountId: integer({ minimum: 1 }) }, []);
const CURSOR = text({ minLength: 1, maxLength: 200, description: 'The `nextCursor` of the previous page.' });
const limit = (max: number, byDefault: number): JsonSchema =>
  integer({ minimum: 1, maximum: max, default: byDefault, description: `1..${max}, default ${byDefault}.` });

const SPECS: Readonly<Record<string, RouteSpec>> = {
  'GET /healthz': {
    operationId: 'healthz',
    tag: 'system',
    summary: 'Liveness and readiness',
    description: '200 once the daemon protects the accounts; 503 (same body) while starting or stopping.',
    responses: { 200: HEALTH_SCHEMA, 503: HEALTH_SCHEMA },
  },
  'GET /metrics': {
    operationId: 'metrics',
    tag: 'system',
    produces: 'text/plain',
    summary: 'Prometheus metrics',
    description:
      'Prometheus text exposition format; every metric name starts with `riskd_` (events, decisions, enforcement latency, broker connection, API requests).',
    responses: { 200: text() },
  },
  'GET /api/v1/openapi.json': {
    operationId: 'openapi',
    tag: 'system',
    summary: 'This API as an OpenAPI 3.1 document',
    responses: { 200: OPENAPI_DOCUMENT_SCHEMA },
  },
  'POST /api/v1/auth/login': {
    operationId: 'login',
    tag: 'auth',
    summary: 'Exchange a password for a short-lived token',
    description:
      'Failed logins are throttled per role and caller (429 with `retryAfterSeconds`). Until `riskd admin set-password` has run, an admin login answers 503 with that instruction; likewise a trader login before `riskd trader set-password`. When the admin chose no trader credential, a trader login always succeeds.',
    body: LOGIN_REQUEST_SCHEMA,
    responses: { 200: LOGIN_RESPONSE_SCHEMA },
  },
  'GET /api/v1/status': {
    operationId: 'status',
    tag: 'read',
    summary: 'Daemon status: readiness, broker connection, trading day, config, counts',
    responses: { 200: STATUS_SCHEMA },
  },
  'GET /api/v1/accounts': {
    operationId: 'accounts',
    tag: 'read',
    summary: 'Every account seen, with its P&L and lockout flags',
    responses: { 200: ACCOUNTS_RESPONSE_SCHEMA },
  },
  'GET /api/v1/accounts/:id': {
    operationId: 'account',
    tag: 'read',
    summary: 'One account: positions, working orders, lockouts, round trips',
    params: ACCOUNT_ID_PARAMS,
    responses: { 200: ACCOUNT_DETAIL_SCHEMA },
  },
  'GET /api/v1/accounts/:id/pnl': {
    operationId: 'accountPnl',
    tag: 'read',
    summary: "P&L series of an account's trading day",
    params: ACCOUNT_ID_PARAMS,
    querystring: closedObject(
      {
        from: instant('Start (default: the start of the current trading day).'),
        to: instant('End (default: now).'),
        maxPoints: limit(5000, 500),
      },
      [],
    ),
    responses: { 200: PNL_SERIES_SCHEMA },
  },
  'GET /api/v1/rules': {
    operationId: 'rules',
    tag: 'read',
    summary: 'Rules in force per account, with loosening changes waiting for the reset',
    querystring: ACCOUNT_FILTER_QUERY,
    responses: { 200: RULES_IN_FORCE_SCHEMA },
  },
  'GET /api/v1/lockouts': {
    operationId: 'lockouts',
    tag: 'read',
    summary: 'Lockouts in force and pending rule timers',
    querystring: ACCOUNT_FILTER_QUERY,
    responses: { 200: LOCKOUTS_RESPONSE_SCHEMA },
  },
  'GET /api/v1/enforcements': {
    operationId: 'enforcements',
    tag: 'read',
    summary: 'The enforcement log, newest first',
    querystring: closedObject(
      {
        accountId: integer({ minimum: 1 }),
        code: text({ minLength: 1, maxLength: 100 }),
        from: instant(),
        to: instant(),
        limit: limit(500, 100),
        cursor: CURSOR,
      },
      [],
    ),
    responses: { 200: pageSchema(ENFORCEMENT_SCHEMA) },
  },
  'GET /api/v1/audit': {
    operationId: 'audit',
    tag: 'read',
    summary: 'The audit trail, filtered and paged',
    querystring: closedObject(
      {
        accountId: integer({ minimum: 1 }),
        kind: text({ minLength: 1, maxLength: 64 }),
        ruleId: text({ minLength: 1, maxLength: 100 }),
        code: text({ minLength: 1, maxLength: 100 }),
        from: instant(),
        to: instant(),
        order: { ...stringEnum(['asc', 'desc']), default: 'desc' },
        limit: limit(1000, 100),
        cursor: CURSOR,
      },
      [],
    ),
    responses: { 200: pageSchema(AUDIT_RECORD_SCHEMA) },
  },
  'GET /api/v1/events': {
    operationId: 'events',
    tag: 'read',
    produces: 'text/event-stream',
    summary: 'Live stream (Server-Sent Events)',
    description:
      'Each message: `id` (resume with `Last-Event-ID`), `event` = the live event type, `data` = the event as JSON (the 200 schema). The first message of a connection is `hello`; `resync: true` means events were missed and snapshots should be fetched again. Comment lines are heartbeats. 406 when the Accept header refuses text/event-stream.',
    responses: { 200: LIVE_EVENT_SCHEMA },
  },
  'POST /api/v1/trader/clock-in': {
    operationId: 'clockIn',
    tag: 'trader',
    summary: 'Start a working session in the personal journal (does not gate trading)',
    body: CLOCK_REQUEST_SCHEMA,
    responses: { 200: CLOCK_RESPONSE_SCHEMA },
  },
  'POST /api/v1/trader/clock-out': {
    operationId: 'clockOut',
    tag: 'trader',
    summary: 'End the open working session',
    body: CLOCK_REQUEST_SCHEMA,
    responses: { 200: CLOCK_RESPONSE_SCHEMA },
  },
  'GET /api/v1/trader/notifications': {
    operationId: 'getNotifications',
    tag: 'trader',
    summary: 'Notification preferences',
    responses: { 200: NOTIFICATION_PREFERENCES_SCHEMA },
  },
  'PUT /api/v1/trader/notifications': {
    operationId: 'putNotifications',
    tag: 'trader',
    summary: 'Replace the notification preferences',
    body: NOTIFICATION_PREFERENCES_SCHEMA,
    responses: { 200: NOTIFICATION_PREFERENCES_SCHEMA },
  },
  'POST /api/v1/trader/lockout': {
    operationId: 'selfLockout',
    tag: 'trader',
    summary: 'Lock me until a time or the next reset (the trader cannot reverse it)',
    body: SELF_LOCKOUT_REQUEST_SCHEMA,
    responses: { 200: SELF_LOCKOUT_RESPONSE_SCHEMA },
  },
  'GET /api/v1/admin/rules': {
    operationId: 'getRulesConfig',
    tag: 'admin',
    summary: 'The universal `rules` section of the config, as written',
    responses: { 200: RULES_CONFIG_RESPONSE_SCHEMA },
  },
  'PUT /api/v1/admin/rules': {
    operationId: 'putRulesConfig',
    tag: 'admin',
    summary: 'Replace the universal rules (tighten now, loosen at the next reset unless forced)',
    description:
      'Validated in full: an invalid change answers 400 with every problem and its path, and nothing is written.',
    body: PUT_RULES_CONFIG_REQUEST_SCHEMA,
    responses: { 200: CONFIG_CHANGE_RESPONSE_SCHEMA },
  },
  'GET /api/v1/admin/accounts': {
    operationId: 'getAccountsConfig',
    tag: 'admin',
    summary: 'The `accounts` section of the config, as written',
    responses: { 200: ACCOUNTS_CONFIG_RESPONSE_SCHEMA },
  },
  'PUT /api/v1/admin/accounts': {
    operationId: 'putAccountsConfig',
    tag: 'admin',
    summary: 'Replace the accounts section (same discipline as the rules)',
    body: PUT_ACCOUNTS_CONFIG_REQUEST_SCHEMA,
    responses: { 200: CONFIG_CHANGE_RESPONSE_SCHEMA },
  },
  'PUT /api/v1/admin/broker-credentials': {
    operationId: 'putBrokerCredentials',
    tag: 'admin',
    summary: 'Set the ProjectX user name and API key (write-only: the key is never returned)',
    body: BROKER_CREDENTIALS_REQUEST_SCHEMA,
    responses: { 200: BROKER_CREDENTIALS_RESPONSE_SCHEMA },
  },
  'POST /api/v1/admin/lockouts/:id/clear': {
    operationId: 'clearLockout',
    tag: 'admin',
    summary: 'Lift a lockout (mandatory reason, audited)',
    params: closedObject({
      id: text({
        pattern: '^\\d+:(account|symbol:[^\\s]+)$',
        description: 'Lockout id: `<accountId>:account` or `<accountId>:symbol:<SYMBOL>`.',
      }),
    }),
    body: CLEAR_LOCKOUT_REQUEST_SCHEMA,
    responses: { 200: CLEAR_LOCKOUT_RESPONSE_SCHEMA },
  },
  'POST /api/v1/admin/stop': {
    operationId: 'stop',
    tag: 'admin',
    summary: 'Stop the daemon for good (mandatory reason; can flatten and lock first)',
    description:
      'Sends a critical alert and exits with the status the service manager is told not to restart. 409 when a stop or restart is already under way.',
    body: STOP_REQUEST_SCHEMA,
    responses: { 202: STOP_RESPONSE_SCHEMA },
  },
  'POST /api/v1/admin/restart': {
    operationId: 'restart',
    tag: 'admin',
    summary: 'Restart the daemon (reason audited)',
    body: RESTART_REQUEST_SCHEMA,
    responses: { 202: RESTART_RESPONSE_SCHEMA },
  },
  'GET /api/v1/admin/logs': {
    operationId: 'logs',
    tag: 'admin',
    summary: "The daemon's recent log lines (secrets redacted)",
    querystring: closedObject(
      {
        level: { ...stringEnum(LOG_LEVEL_VALUES), default: 'info' },
        since: instant(),
        component: text({ minLength: 1, maxLength: 100 }),
        limit: limit(1000, 200),
      },
      [],
    ),
    responses: { 200: LOGS_RESPONSE_SCHEMA },
  },
};

function buildRoutes(): readonly RouteDefinition[] {
  const problems: string[] = [];
  const tableKeys = new Set(ROUTE_TABLE.map(routeKey));
  for (const key of Object.keys(SPECS))
    if (!tableKeys.has(key)) problems.push(`${key}: spec for a route not in the table`);

  const routes: RouteDefinition[] = [];
  for (const entry of ROUTE_TABLE) {
    const key = routeKey(entry);
    const spec = SPECS[key];
    if (!spec) {
      problems.push(`${key}: no spec`);
      continue;
    }
    const response: Record<number, JsonSchema> = {};
    for (const status of entry.statuses) {
      const explicit = spec.responses[status];
      if (explicit) response[status] = explicit;
      else if (status >= 400) response[status] = API_ERROR_SCHEMA;
      else problems.push(`${key}: no response schema for ${status}`);
    }
    for (const status of Object.keys(spec.responses)) {
      if (!entry.statuses.includes(Number(status)))
        problems.push(`${key}: response ${status} not in the table`);
    }
    routes.push({
      ...entry,
      operationId: spec.operationId,
      summary: spec.summary,
      description: spec.description ?? spec.summary,
      tag: spec.tag,
      produces: spec.produces ?? 'application/json',
      schema: {
        ...(spec.params ? { params: spec.params } : {}),
        ...(spec.querystring ? { querystring: spec.querystring } : {}),
        ...(spec.body ? { body: spec.body } : {}),
        response,
      },
    });
  }
  const ids = routes.map((r) => r.operationId);
  for (const id of ids) if (ids.indexOf(id) !== ids.lastIndexOf(id)) problems.push(`operationId ${id} twice`);
  if (problems.length > 0) {
    throw new ApiClientError(
      'ROUTE_TABLE_MISMATCH',
      `route definitions disagree with the table:\n  ${problems.join('\n  ')}`,
    );
  }
  return Object.freeze(routes);
}

/** Every route of {@link ROUTE_TABLE}, in table order, with its schemas. */
export const ROUTES: readonly RouteDefinition[] = buildRoutes();

/** The route definition of `method path`, if the table has it. */
export function findRoute(method: string, path: string): RouteDefinition | undefined {
  const key = routeKey({ method, path });
  return ROUTES.find((r) => routeKey(r) === key);
}
