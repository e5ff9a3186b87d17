import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { fastifySSE, type SSEReplyInterface } from '@fastify/sse';
import { SystemClock, type Clock } from '@riskd/core-engine';
import {
  buildOpenApiDocument,
  findRoute,
  ROUTES,
  routeKey,
  type JsonSchema,
  type Problem,
  type Role,
  type RouteDefinition,
} from '@riskd/api-client';
import { codeOfStatus, errorBody } from './api-error-body.js';
import { ApiMetrics } from './api-metrics.js';
import { createAuthHook } from './auth.js';
import {
  CONTROL_PLANE_ERROR_STATUS,
  ControlApiError,
  ControlPlaneError,
  type ControlPlane,
} from './control-plane.js';
import { LiveHub } from './live-hub.js';
import { createLiveStreamHandler } from './live-stream-route.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { problemsOf, RequestValidators, type HttpPart } from './request-validation.js';
import { createRouteHandlers } from './route-handlers.js';
import { DEFAULT_TOKEN_TTL_MS, TokenStore } from './token-store.js';

/** Options of {@link buildApp} and {@link controlApiPlugin}. */
export interface ControlApiOptions {
  /** Token expiry and login throttling read time here (default the system clock). */
  readonly clock?: Clock;
  /** The daemon's pino logger (a child per request is made by Fastify); default: no logging. */
  readonly loggerInstance?: FastifyBaseLogger;
  /** The daemon's version, for the OpenAPI document. */
  readonly version?: string;
  /** Token lifetimes (default admin 15 min, trader 12 h). */
  readonly tokenTtlMs?: Partial<Record<Role, number>>;
  /**
   * The token store, when the daemon wants to hold it (to log a role out after its password
   * changed: `revokeAll(role)`); `tokenTtlMs` is then ignored.
   */
  readonly tokens?: TokenStore;
  /** Login throttling (default: 3 free failures, then 1 s doubling to 15 min, per role and caller). */
  readonly loginThrottle?: LoginThrottleOptions;
  /** Live-stream heartbeat comment interval (default 15000 ms). */
  readonly heartbeatIntervalMs?: number;
  /** Live events kept for clients that reconnect with `Last-Event-ID` (default 1000). */
  readonly replayBufferSize?: number;
  /** A live-stream client whose unsent data exceeds this is dropped (default 1 MiB). */
  readonly maxStreamBacklogBytes?: number;
  /** On close, how long requests in flight may take before every connection is cut (default 1000 ms). */
  readonly closeGraceMs?: number;
  /** Largest request body (default 1 MiB). */
  readonly bodyLimitBytes?: number;
}

/** Plugin options: the control plane and the API's options. */
export interface ControlApiPluginOptions extends ControlApiOptions {
  readonly controlPlane: ControlPlane;
}

const CONTROL_PLANE_ERROR_CODE = {
  INVALID: 'VALIDATION_FAILED',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;

/** The route definition of the request's route (undefined for a 404). */
function routeOf(request: FastifyRequest): RouteDefinition | undefined {
  const { method, url } = request.routeOptions;
  return url === undefined || method === undefined ? undefined : findRoute(String(method), url);
}

/** The Fastify schema of a route: a private copy (Fastify and its compilers may annotate it). */
function fastifySchema(route: RouteDefinition): Record<string, unknown> {
  const response: Record<number, JsonSchema> = {};
  for (const [status, schema] of Object.entries(route.schema.response)) {
    // A stream's 200 is not one JSON body: its messages are serialized one by one.
    if (route.produces === 'text/event-stream' && Number(status) < 300) continue;
    response[Number(status)] = schema;
  }
  return structuredClone({
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(route.schema.params ? { params: route.schema.params } : {}),
    ...(route.schema.querystring ? { querystring: route.schema.querystring } : {}),
    ...(route.schema.body ? { body: route.schema.body } : {}),
    response,
  });
}

interface ErrorAnswer {
  readonly status: number;
  readonly body: ReturnType<typeof errorBody>;
}

/** Maps any error to its answer; 5xx answers carry no detail, only the request id. */
function answerFor(error: FastifyError, request: FastifyRequest): ErrorAnswer {
  if (error.validation) {
    const problems: Problem[] = problemsOf(error.validation as never, error.validationContext ?? 'body');
    return {
      status: 400,
      body: errorBody(400, 'VALIDATION_FAILED', `invalid request: ${problems.length} problem(s)`, {
        problems,
      }),
    };
  }
  if (error instanceof ControlPlaneError) {
    const status = CONTROL_PLANE_ERROR_STATUS[error.kind];
    return {
      status,
      body: errorBody(status, CONTROL_PLANE_ERROR_CODE[error.kind], error.message, {
        problems: error.problems,
      }),
    };
  }
  if (typeof error.code === 'string' && error.code.startsWith('FST_ERR_CTP_')) {
    // Not JSON, wrong media type, empty or too large: all one thing to a client, a bad body.
    return { status: 400, body: errorBody(400, 'INVALID_BODY', error.message) };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { status, body: errorBody(status, codeOfStatus(status), error.message) };
  }
  return internalError(request);
}

function internalError(request: FastifyRequest): ErrorAnswer {
  return {
    status: 500,
    body: errorBody(
      500,
      'INTERNAL',
      `internal error (request ${request.id}; details are in the daemon's log)`,
      {
        requestId: String(request.id),
      },
    ),
  };
}

/**
 * The one error handler: validation problems as a 400 listing each with its path; control-plane
 * refusals as their status; anything else a 500 that tells nothing but the request id (the log
 * line has the error). A status the route table does not list for the route is itself a bug: it
 * is logged and answered as a 500, so the table stays true.
 */
function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const route = routeOf(request);
  let answer = answerFor(error, request);
  const context = { reqId: request.id, method: request.method, route: route?.path ?? request.url };
  if (route && !route.statuses.includes(answer.status)) {
    request.log.error(
      { ...context, err: error, status: answer.status },
      'status not in the route table: answered 500',
    );
    answer = internalError(request);
  } else if (answer.status >= 500) {
    request.log.error({ ...context, err: error }, 'request failed');
  } else {
    request.log.info(
      { ...context, status: answer.status, code: answer.body.code, problems: answer.body.problems },
      'request refused',
    );
  }
  return reply.code(answer.status).send(answer.body);
}

/**
 * The control API as a Fastify plugin: every route of the api-client route table with its
 * schemas, the auth hook (before body parsing), the error and not-found handlers, the live
 * stream with heartbeats, and `/metrics` with the API's own counters.
 */
export const controlApiPlugin: FastifyPluginAsync<ControlApiPluginOptions> = async (app, options) => {
  const clock = options.clock ?? new SystemClock();
  const controlPlane = options.controlPlane;
  const tokens = options.tokens ?? new TokenStore(clock, { ...DEFAULT_TOKEN_TTL_MS, ...options.tokenTtlMs });
  const throttle = new LoginThrottle(clock, options.loginThrottle);
  const hub = new LiveHub(options.replayBufferSize ?? 1_000);
  const connections = new Set<SSEReplyInterface>();
  const metrics = new ApiMetrics(() => connections.size);
  const validators = new RequestValidators();

  // JSON only: a text/plain body is refused as a bad body rather than parsed into a string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(({ schema, httpPart }) =>
    validators.compile(schema as JsonSchema, httpPart as HttpPart),
  );
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody(404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
  await app.register(fastifySSE, { heartbeatInterval: options.heartbeatIntervalMs ?? 15_000 });

  app.addHook('onRequest', createAuthHook(controlPlane, tokens));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.request(request.method, route, reply.statusCode);
    request.log.debug(
      { method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
  });

  const unsubscribe = controlPlane.subscribe((event) => hub.publish(event));
  // Open streams would hold `close()` open forever: end them first (each stream's response says
  // `Connection: close`, so its socket goes with it).
  // Requests in flight get `closeGraceMs` to finish; then every socket still open (a client that
  // vanished without closing its side) is cut, so a shutdown never waits on a peer.
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  app.addHook('preClose', async () => {
    for (const sse of [...connections]) sse.close();
    graceTimer = setTimeout(() => app.server.closeAllConnections(), options.closeGraceMs ?? 1_000);
    graceTimer.unref();
  });
  app.addHook('onClose', async () => {
    clearTimeout(graceTimer);
    unsubscribe();
  });

  const handlers = createRouteHandlers({
    controlPlane,
    tokens,
    throttle,
    metrics,
    openApiDocument: buildOpenApiDocument({ version: options.version ?? '0.0.0' }),
  });
  const liveStream = createLiveStreamHandler({
    hub,
    clock,
    maxBacklogBytes: options.maxStreamBacklogBytes ?? 1024 * 1024,
    connections,
  });

  for (const route of ROUTES) {
    const stream = route.produces === 'text/event-stream';
    const handler = stream ? liveStream : handlers[route.operationId];
    if (!handler) throw new ControlApiError('API_CONFIG_INVALID', `no handler for ${routeKey(route)}`);
    app.route({
      method: route.method,
      url: route.path,
      schema: fastifySchema(route),
      ...(stream ? { sse: { kind: 'only' as const, serializer: (data: unknown) => String(data) } } : {}),
      handler,
    });
  }
};

const registeredRoutes = new WeakMap<FastifyInstance, { method: string; path: string }[]>();

/** Every route registered on an app built by {@link buildApp} (method and path). */
export function registeredRoutesOf(app: FastifyInstance): readonly { method: string; path: string }[] {
  return registeredRoutes.get(app) ?? [];
}

/**
 * Builds the control API: a Fastify instance with {@link controlApiPlugin} registered. It does
 * not listen (`server.ts` does, on 127.0.0.1); tests call `app.inject()`.
 */
export function buildApp(controlPlane: ControlPlane, options: ControlApiOptions = {}): FastifyInstance {
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    // Fastify's own per-request lines are off: the onResponse hook logs each request at debug.
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    trustProxy: false,
  }) as unknown as FastifyInstance;
  const routes: { method: string; path: string }[] = [];
  registeredRoutes.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method: String(method), path: route.url });
  });
  void app.register(controlApiPlugin, { ...options, controlPlane });
  return app;
}
