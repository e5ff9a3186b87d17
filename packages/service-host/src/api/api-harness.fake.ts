import { Ajv, type ValidateFunction } from 'ajv';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { FakeClock } from '@riskd/core-engine';
import { findRoute, isIsoInstant, routeKey, type JsonSchema, type Role } from '@riskd/api-client';
import { buildApp, type ControlApiOptions } from './app.js';
import { FakeControlPlane } from './control-plane.fake.js';

/** The passwords the harness sets by default. */
export const HARNESS_PASSWORDS: Readonly<Record<Role, string>> = {
  admin: 'admin-secret-1',
  trader: 'trader-secret-1',
};

/** One captured log line (pino's JSON, parsed). */
export interface CapturedLogLine {
  readonly level: number;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/** Options of {@link createApiHarness}. */
export interface ApiHarnessOptions {
  /** The admin password; null: none set yet (default {@link HARNESS_PASSWORDS}). */
  readonly adminPassword?: string | null;
  /** The trader password; `none`: no trader credential; null: none set yet. */
  readonly traderPassword?: string | 'none' | null;
  readonly api?: ControlApiOptions;
}

/**
 * The control API over a {@link FakeControlPlane} and a {@link FakeClock}, with its logs captured
 * in memory and every (route, status) pair it answered recorded, for the API's own tests.
 */
export interface ApiHarness {
  readonly app: FastifyInstance;
  readonly controlPlane: FakeControlPlane;
  readonly clock: FakeClock;
  readonly logs: CapturedLogLine[];
  /** `"GET /api/v1/status"` -> statuses answered. */
  readonly observed: Map<string, Set<number>>;
  /** Logs in through `app.inject()` and returns the token. */
  login(role: Role, password?: string): Promise<string>;
  /** Error-level lines (>= 50), for "no unexpected error" assertions. */
  errorLines(): CapturedLogLine[];
  close(): Promise<void>;
}

export function createApiHarness(options: ApiHarnessOptions = {}): ApiHarness {
  const clock = new FakeClock('2026-03-09T15:00:00.000Z');
  const controlPlane = new FakeControlPlane(clock);
  const admin = options.adminPassword === undefined ? HARNESS_PASSWORDS.admin : options.adminPassword;
  const trader = options.traderPassword === undefined ? HARNESS_PASSWORDS.trader : options.traderPassword;
  if (admin !== null) controlPlane.setPassword('admin', admin);
  if (trader === 'none') controlPlane.setTraderCredentialNone();
  else if (trader !== null) controlPlane.setPassword('trader', trader);

  const logs: CapturedLogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        logs.push(JSON.parse(line) as CapturedLogLine);
      },
    },
  );
  const app = buildApp(controlPlane, {
    clock,
    loggerInstance: logger,
    heartbeatIntervalMs: 60_000,
    ...options.api,
  });
  const observed = new Map<string, Set<number>>();
  app.addHook('onResponse', async (request, reply) => {
    const { method, url } = request.routeOptions;
    if (url === undefined || method === undefined || !findRoute(String(method), url)) return;
    const key = routeKey({ method: String(method), path: url });
    const statuses = observed.get(key) ?? new Set<number>();
    statuses.add(reply.statusCode);
    observed.set(key, statuses);
  });

  return {
    app,
    controlPlane,
    clock,
    logs,
    observed,
    async login(role, password) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { role, password: password ?? HARNESS_PASSWORDS[role] },
      });
      if (response.statusCode !== 200)
        throw new Error(`login ${role}: ${response.statusCode} ${response.body}`);
      return (response.json() as { token: string }).token;
    },
    errorLines: () => logs.filter((l) => l.level >= 50),
    close: () => app.close(),
  };
}

/** A valid request of each route (by `operationId`), for walks over the whole table. */
export interface SampleRequest {
  readonly params?: Readonly<Record<string, string | number>>;
  readonly query?: Readonly<Record<string, string | number>>;
  readonly body?: unknown;
}

export const SAMPLE_REQUESTS: Readonly<Record<string, SampleRequest>> = {
  healthz: {},
  metrics: {},
  openapi: {},
  login: { body: { role: 'admin', password: HARNESS_PASSWORDS.admin } },
  status: {},
  accounts: {},
  account: { params: { id: 101 } },
  accountPnl: { params: { id: 101 }, query: { maxPoints: 10 } },
  rules: { query: { accountId: 101 } },
  lockouts: {},
  enforcements: { query: { limit: 5 } },
  audit: { query: { limit: 5, order: 'asc' } },
  events: {},
  clockIn: { body: { note: 'morning session' } },
  clockOut: { body: {} },
  getNotifications: {},
  putNotifications: {
    body: { kinds: ['enforcement'], channels: ['discord'], quietHours: { start: '22:00', end: '06:00' } },
  },
  selfLockout: { body: { accountId: 101, until: 'reset', reason: 'done for the day' } },
  getRulesConfig: {},
  putRulesConfig: { body: { rules: [{ rule: 'daily-loss-limit', options: { limit: 400 } }] } },
  getAccountsConfig: {},
  putAccountsConfig: { body: { accounts: [{ id: 101, preset: 'topstep-50k' }] } },
  putBrokerCredentials: { body: { userName: 'trader@example.com', apiKey: 'sk-live-SECRET-KEY-123' } },
  clearLockout: { params: { id: '101:account' }, body: { reason: 'cleared after review' } },
  stop: { body: { reason: 'maintenance window', flatten: true, lock: true } },
  restart: { body: { reason: 'apply a new rule pack' } },
  logs: { query: { level: 'info', limit: 10 } },
};

/** `/api/v1/accounts/:id` + `{ id: 101 }` + query -> `/api/v1/accounts/101?...`. */
export function sampleUrl(path: string, sample: SampleRequest): string {
  const filled = path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) =>
    encodeURIComponent(String(sample.params?.[name] ?? 'missing')),
  );
  const query = new URLSearchParams(
    Object.entries(sample.query ?? {}).map(([k, v]) => [k, String(v)] as [string, string]),
  ).toString();
  return query === '' ? filled : `${filled}?${query}`;
}

const answerAjv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
answerAjv.addFormat('date-time', { type: 'string', validate: isIsoInstant });
const answerValidators = new Map<JsonSchema, ValidateFunction>();

/**
 * Problems of an answer against the schema the route declares for its status (empty: it
 * conforms), or a single problem when the route or the status is not declared at all.
 */
export function answerProblems(method: string, path: string, status: number, body: unknown): string[] {
  const route = findRoute(method, path);
  const schema = route?.schema.response[status];
  if (!route || !schema) return [`${method} ${path} declares no response for ${status}`];
  let validate = answerValidators.get(schema);
  if (!validate) {
    validate = answerAjv.compile(schema);
    answerValidators.set(schema, validate);
  }
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
