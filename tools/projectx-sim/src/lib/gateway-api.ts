import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Session, TokenService } from './auth.js';
import {
  LoginErrorCode,
  LogoutErrorCode,
  RetrieveBarErrorCode,
  SearchContractByIdErrorCode,
  ValidateErrorCode,
} from './error-codes.js';
import type { FaultController, RestFault } from './faults.js';
import { bearer } from './hub-server.js';
import type { MarketData } from './market-data.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Recorder } from './recorder.js';
import type { TradingEngine } from './trading-engine.js';
import type { Variants } from './variants.js';
import { BarUnit, type WireContract } from './wire.js';

type Body = Record<string, unknown>;

/** What a handler answers: an HTTP status (default 200), headers and a body. */
interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Context {
  session: Session | null;
  token: string | null;
  body: Body;
}

interface Endpoint {
  /** `bearer`: 401 unless a valid token; `none`: login; `self`: validate/logout check the token. */
  auth: 'bearer' | 'none' | 'self';
  bucket: 'general' | 'bars';
  /** The payload field and its value when the call fails (for forced errorCode faults). */
  payload: [string, unknown] | null;
  run(ctx: Context): Answer | Promise<Answer>;
}

/** Everything the REST gateway reads or changes. */
export interface GatewayDeps {
  tokens: TokenService;
  engine: TradingEngine;
  market: MarketData;
  limiter: RateLimiter;
  faults: FaultController;
  recorder: Recorder;
  variants: () => Variants;
  now: () => number;
  /** Sockets of requests held by `hang` faults (destroyed when the simulator closes). */
  held: Set<Socket>;
}

const MAX_CONTRACT_SEARCH = 20;
const MAX_BARS = 20_000;

/** RFC 9110 sections ASP.NET links from ProblemDetails `type`. */
const PROBLEM_SECTIONS: Record<number, string> = {
  400: '15.5.1',
  415: '15.5.16',
  500: '15.6.1',
  502: '15.6.3',
  503: '15.6.4',
};

function envelope(errorCode: number, errorMessage: string | null, payload?: Record<string, unknown>): Answer {
  return { body: { ...payload, success: errorCode === 0, errorCode, errorMessage } };
}

function problem(status: number, title: string, errors?: Record<string, string[]>): Answer {
  return {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: {
      type: `https://tools.ietf.org/html/rfc9110#section-${PROBLEM_SECTIONS[status] ?? (status >= 500 ? '15.6' : '15.5')}`,
      title,
      status,
      ...(errors ? { errors } : {}),
    },
  };
}

/** Parses an optional ISO timestamp field; undefined when absent, null when malformed. */
function timestamp(body: Body, key: string): number | undefined | null {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function badTimestamp(key: string): Answer {
  return problem(400, 'One or more validation errors occurred.', {
    [key]: [`The JSON value could not be converted to System.DateTime. Path: $.${key}`],
  });
}

/** Builds the endpoint table of `/api/...` (PROJECTX-GATEWAY.md §5.0). */
function endpoints(deps: GatewayDeps): Record<string, Endpoint> {
  const { engine, market, tokens } = deps;
  const user = (ctx: Context) => (ctx.session as Session).userName;
  const contracts = (filter: (c: WireContract) => boolean) =>
    market
      .all()
      .map((s) => ({ ...s.contract }))
      .filter(filter);
  const range = (
    ctx: Context,
    startKey: string,
    endKey: string,
  ): { startMs: number; endMs: number } | Answer => {
    const start = timestamp(ctx.body, startKey);
    if (start === null) return badTimestamp(startKey);
    const end = timestamp(ctx.body, endKey);
    if (end === null) return badTimestamp(endKey);
    return { startMs: start ?? 0, endMs: end ?? Number.MAX_SAFE_INTEGER };
  };

  return {
    'Auth/loginKey': {
      auth: 'none',
      bucket: 'general',
      payload: ['token', null],
      async run({ body }) {
        const errors: Record<string, string[]> = {};
        if (typeof body['userName'] !== 'string') errors['userName'] = ['The userName field is required.'];
        if (typeof body['apiKey'] !== 'string') errors['apiKey'] = ['The apiKey field is required.'];
        if (Object.keys(errors).length > 0)
          return problem(400, 'One or more validation errors occurred.', errors);
        const found = engine.findUser(body['userName'] as string);
        if (!found) return envelope(LoginErrorCode.UserNotFound, 'User not found.', { token: null });
        if (found.apiKey !== body['apiKey']) {
          return envelope(LoginErrorCode.InvalidCredentials, 'Invalid credentials.', { token: null });
        }
        if (found.loginErrorCode !== undefined && found.loginErrorCode !== 0) {
          return envelope(found.loginErrorCode, null, { token: null });
        }
        const session = await tokens.issue(found.userName, found.userId ?? 100_001);
        return envelope(0, null, { token: session.token });
      },
    },
    'Auth/validate': {
      auth: 'self',
      bucket: 'general',
      payload: ['newToken', null],
      async run({ token }) {
        const lookup = tokens.lookup(token);
        switch (lookup.status) {
          case 'valid': {
            const next = await tokens.issue(lookup.session.userName, lookup.session.userId);
            return envelope(0, null, { newToken: next.token });
          }
          case 'expired':
            if (deps.variants().validateExpiredToken === 'http401') return unauthorized(true);
            return envelope(ValidateErrorCode.ExpiredToken, 'Token expired.', { newToken: null });
          case 'loggedOut':
            return envelope(ValidateErrorCode.SessionNotFound, 'Session not found.', { newToken: null });
          default:
            return envelope(ValidateErrorCode.InvalidSession, 'Invalid session.', { newToken: null });
        }
      },
    },
    'Auth/logout': {
      auth: 'self',
      bucket: 'general',
      payload: null,
      run({ token }) {
        const lookup = tokens.lookup(token);
        if (lookup.status !== 'valid') return envelope(LogoutErrorCode.InvalidSession, 'Invalid session.');
        tokens.logout(lookup.session);
        return envelope(0, null);
      },
    },
    'Account/search': {
      auth: 'bearer',
      bucket: 'general',
      payload: ['accounts', []],
      run: (ctx) =>
        envelope(0, null, {
          accounts: engine.searchAccounts(user(ctx), ctx.body['onlyActiveAccounts'] === true),
        }),
    },
    'Position/searchOpen': {
      auth: 'bearer',
      bucket: 'general',
      payload: ['positions', []],
      run: (ctx) => {
        const { errorCode, errorMessage, positions } = engine.searchOpenPositions(user(ctx), ctx.body);
        return envelope(errorCode, errorMessage, { positions });
      },
    },
    'Position/closeContract': {
      auth: 'bearer',
      bucket: 'general',
      payload: null,
      run: (ctx) => {
        const r = engine.closeContract(user(ctx), ctx.body);
        return envelope(r.errorCode, r.errorMessage);
      },
    },
    'Position/partialCloseContract': {
      auth: 'bearer',
      bucket: 'general',
      payload: null,
      run: (ctx) => {
        const r = engine.partialCloseContract(user(ctx), ctx.body);
        return envelope(r.errorCode, r.errorMessage);
      },
    },
    'Order/place': {
      auth: 'bearer',
      bucket: 'general',
      payload: ['orderId', null],
      run: (ctx) => {
        const r = engine.placeOrder(user(ctx), ctx.body);
        return envelope(r.errorCode, r.errorMessage, { orderId: r.orderId });
      },
    },
    'Order/cancel': {
      auth: 'bearer',
      bucket: 'general',
      payload: null,
      run: (ctx) => {
        const r = engine.cancelOrder(user(ctx), ctx.body);
        return envelope(r.errorCode, r.errorMessage);
      },
    },
    'Order/modify': {
      auth: 'bearer',
      bucket: 'general',
      payload: null,
      run: (ctx) => {
        const r = engine.modifyOrder(user(ctx), ctx.body);
        return envelope(r.errorCode, r.errorMessage);
      },
    },
    'Order/search': {
      auth: 'bearer',
      bucket: 'general',
      payload: ['orders', []],
      run: (ctx) => {
        const window = range(ctx, 'startTimestamp', 'endTimestamp');
        if (!('startMs' in window)) return window;
        const { errorCode, errorMessage, orders } = engine.searchOrders(user(ctx), ctx.body, window);
        return envelope(errorCode, errorMessage, { orders });
      },
    },
    'Order/searchOpen': {
      auth: 'bearer',
      bucket: 'general',
      payload: ['orders', []],
      run: (ctx) => {
        const { errorCode, errorMessage, orders } = engine.searchOpenOrders(user(ctx), ctx.body);
        return envelope(errorCode, errorMessage, { orders });
      },
    },
    'Trade/search': {
      auth: 'bearer',
      bucket: 'general',
      payload: ['trades', []],
      run: (ctx) => {
        const window = range(ctx, 'startTimestamp', 'endTimestamp');
        if (!('startMs' in window)) return window;
        const { errorCode, errorMessage, trades } = engine.searchTrades(user(ctx), ctx.body, window);
        return envelope(errorCode, errorMessage, { trades });
      },
    },
    'Contract/search': {
      auth: 'bearer',
      bucket: 'general',
      payload: ['contracts', []],
      run: ({ body }) => {
        const text = typeof body['searchText'] === 'string' ? body['searchText'].trim().toLowerCase() : '';
        const found = contracts(
          (c) =>
            c.activeContract &&
            (text === '' ||
              c.name.toLowerCase().includes(text) ||
              c.symbolId.toLowerCase().includes(text) ||
              c.id.toLowerCase().includes(text) ||
              c.description.toLowerCase().includes(text)),
        ).slice(0, MAX_CONTRACT_SEARCH);
        return envelope(0, null, { contracts: found });
      },
    },
    'Contract/searchById': {
      auth: 'bearer',
      bucket: 'general',
      payload: ['contract', null],
      run: ({ body }) => {
        const state = typeof body['contractId'] === 'string' ? market.get(body['contractId']) : undefined;
        if (!state) {
          return envelope(SearchContractByIdErrorCode.ContractNotFound, 'Contract not found.', {
            contract: null,
          });
        }
        return envelope(0, null, { contract: { ...state.contract } });
      },
    },
    'Contract/available': {
      auth: 'bearer',
      bucket: 'general',
      payload: ['contracts', []],
      run: () => envelope(0, null, { contracts: contracts((c) => c.activeContract) }),
    },
    'History/retrieveBars': {
      auth: 'bearer',
      bucket: 'bars',
      payload: ['bars', []],
      run: ({ body }) => {
        const E = RetrieveBarErrorCode;
        const start = timestamp(body, 'startTime');
        if (start === null) return badTimestamp('startTime');
        const end = timestamp(body, 'endTime');
        if (end === null) return badTimestamp('endTime');
        const state = typeof body['contractId'] === 'string' ? market.get(body['contractId']) : undefined;
        if (!state) return envelope(E.ContractNotFound, 'Contract not found.', { bars: [] });
        const unit = body['unit'];
        const maxUnit = deps.variants().tickBars ? BarUnit.Tick : BarUnit.Month;
        if (typeof unit !== 'number' || !Number.isInteger(unit) || unit < 1 || unit > maxUnit) {
          return envelope(E.UnitInvalid, 'Invalid unit.', { bars: [] });
        }
        const unitNumber = body['unitNumber'];
        if (typeof unitNumber !== 'number' || !Number.isInteger(unitNumber) || unitNumber < 1) {
          return envelope(E.UnitNumberInvalid, 'Invalid unit number.', { bars: [] });
        }
        const limit = body['limit'];
        if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_BARS) {
          return envelope(E.LimitInvalid, 'Invalid limit.', { bars: [] });
        }
        const bars = market.bars(state, {
          startMs: start ?? 0,
          endMs: end ?? deps.now(),
          unit,
          unitNumber,
          limit,
          includePartialBar: body['includePartialBar'] === true,
        });
        return envelope(0, null, { bars });
      },
    },
  };
}

function unauthorized(tokenGiven: boolean): Answer {
  return {
    status: 401,
    headers: { 'www-authenticate': tokenGiven ? 'Bearer error="invalid_token"' : 'Bearer' },
  };
}

/** Registers `/api/...` (POST JSON) and `GET /api/Status/ping`. */
export function registerGatewayRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const table = endpoints(deps);
  for (const [endpoint, spec] of Object.entries(table)) {
    app.post(`/api/${endpoint}`, (req, reply) => handle(deps, endpoint, spec, req, reply));
  }
  app.get('/api/Status/ping', async (req, reply) => {
    record(deps, req, 'request', null, null);
    const fault = deps.faults.takeRest('Status/ping');
    if (fault && (await applyPreFault(deps, fault, req, reply, 'Status/ping'))) return reply;
    reply.type('text/plain; charset=utf-8').send('pong');
    record(deps, req, 'response', 200, 'pong');
    return reply;
  });
}

function record(
  deps: GatewayDeps,
  req: FastifyRequest,
  kind: 'request' | 'response',
  status: number | null,
  body: unknown,
): void {
  const auth = req.headers.authorization;
  deps.recorder.record({
    kind,
    method: req.method,
    path: req.url.split('?')[0] as string,
    target: null,
    connectionId: null,
    status,
    authorization: kind === 'request' && typeof auth === 'string' ? auth : null,
    body,
  });
}

function send(deps: GatewayDeps, req: FastifyRequest, reply: FastifyReply, answer: Answer): FastifyReply {
  const status = answer.status ?? 200;
  reply.code(status);
  for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
  if (answer.body === undefined) reply.send();
  else reply.send(answer.body);
  record(deps, req, 'response', status, answer.body ?? null);
  return reply;
}

/**
 * Faults that act before the call is authenticated: delay (then continue), status, hang. Returns
 * true when the request has been answered (or deliberately left hanging).
 */
async function applyPreFault(
  deps: GatewayDeps,
  fault: RestFault,
  req: FastifyRequest,
  reply: FastifyReply,
  endpoint: string,
): Promise<boolean> {
  switch (fault.kind) {
    case 'delay':
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 0));
      return false;
    case 'status': {
      const status = fault.status as number;
      if (status === 429) {
        send(deps, req, reply, { status, headers: { 'retry-after': String(fault.retryAfterSeconds ?? 1) } });
      } else {
        send(
          deps,
          req,
          reply,
          problem(
            status,
            status >= 500 ? 'An error occurred while processing your request.' : 'Request failed.',
          ),
        );
      }
      return true;
    }
    case 'hang': {
      reply.hijack();
      const socket = req.raw.socket;
      deps.held.add(socket);
      socket.once('close', () => deps.held.delete(socket));
      if (fault.holdMs !== undefined && fault.holdMs !== null) {
        setTimeout(() => socket.destroy(), fault.holdMs).unref();
      }
      record(deps, req, 'response', null, { fault: 'hang', endpoint });
      return true;
    }
    default:
      return false;
  }
}

async function handle(
  deps: GatewayDeps,
  endpoint: string,
  spec: Endpoint,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  record(deps, req, 'request', null, req.body ?? null);
  const fault = deps.faults.takeRest(endpoint);
  if (fault && (await applyPreFault(deps, fault, req, reply, endpoint))) return reply;

  const raw = req.body;
  if (typeof raw === 'string' && raw.length > 0)
    return send(deps, req, reply, problem(415, 'Unsupported Media Type'));
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    return send(
      deps,
      req,
      reply,
      problem(400, 'One or more validation errors occurred.', { $: ['The JSON value is not an object.'] }),
    );
  }
  const body = (raw ?? {}) as Body;
  const token = bearer(req.headers.authorization);
  let session: Session | null = null;
  if (spec.auth === 'bearer') {
    const lookup = deps.tokens.lookup(token);
    if (lookup.status !== 'valid') return send(deps, req, reply, unauthorized(token !== null));
    session = lookup.session;
  } else if (spec.auth === 'self' && token === null) {
    return send(deps, req, reply, unauthorized(false));
  }

  const lookup = session ? null : deps.tokens.lookup(token);
  const key =
    session?.userName ??
    (lookup && lookup.status !== 'unknown' ? lookup.session.userName : undefined) ??
    (endpoint === 'Auth/loginKey' && typeof body['userName'] === 'string'
      ? body['userName']
      : `ip:${req.ip}`);
  const decision = deps.limiter.check(spec.bucket, key.toLowerCase());
  if (!decision.allowed) {
    return send(deps, req, reply, {
      status: 429,
      headers: { 'retry-after': String(decision.retryAfterSeconds) },
    });
  }

  if (fault?.kind === 'errorCode') {
    const payload = spec.payload ? { [spec.payload[0]]: spec.payload[1] } : undefined;
    return send(deps, req, reply, envelope(fault.errorCode as number, fault.errorMessage ?? null, payload));
  }
  const answer = await spec.run({ session, token, body });
  if (fault?.kind === 'dropResponse') {
    // The call took effect; the client never hears about it.
    reply.hijack();
    req.raw.socket.destroy();
    record(deps, req, 'response', null, { fault: 'dropResponse', executed: answer.body ?? null });
    return reply;
  }
  return send(deps, req, reply, answer);
}
