import type { AddressInfo, Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { DEFAULT_TOKEN_LIFETIME_MS, TokenService } from './auth.js';
import { checkVariants, SimulatorControl, type SimulatorParts } from './control.js';
import { registerControlRoutes } from './control-api.js';
import { ControlError, SimulatorError } from './errors.js';
import { FaultController } from './faults.js';
import { defaultFixture, loadFixtureFile, parseFixture, type Fixture } from './fixture.js';
import { registerGatewayRoutes } from './gateway-api.js';
import { miniValidatorCompiler } from './schema-check.js';
import { bearer, HubServer, type HubOptions } from './hub-server.js';
import { MarketData } from './market-data.js';
import { PriceFeed, type ReplaySpec, type WalkSettings } from './price-feed.js';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimitSettings } from './rate-limiter.js';
import { Recorder, type RecorderOptions } from './recorder.js';
import { SimulatorClock, type ClockOptions } from './sim-clock.js';
import { TradingEngine } from './trading-engine.js';
import { DEFAULT_VARIANTS, type Variants } from './variants.js';

/** Options of `startSimulator` (every field optional). */
export interface SimulatorOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Seed of the random walk and the synthetic history. Default 1. */
  seed?: number;
  /** A fixture object or the path of a fixture JSON file. Default: the built-in fixture. */
  fixture?: Fixture | string;
  /** The simulator clock: start instant and real/manual mode. Default: real time, now. */
  clock?: ClockOptions;
  /** `false` switches the rate limit off; an object changes the limits. Default: the documented limits. */
  rateLimit?: boolean | Partial<RateLimitSettings>;
  /** Uncertain-behaviour switches (see Variants). */
  variants?: Partial<Variants>;
  /** The random walk: `{ enabled: false }` for scripted-only prices. Default on, every 250 ms. */
  walk?: Partial<WalkSettings>;
  /** Replay recorded prices from the start. */
  replay?: ReplaySpec;
  /** Recorder ring size / full recording. Default 10,000 entries. */
  recorder?: RecorderOptions;
  /** Hub ping interval and client timeout. */
  hub?: HubOptions;
  /** Lifetime of issued tokens. Default 24 h. */
  tokenLifetimeMs?: number;
  /** Hours of synthetic one-minute history before the start (History/retrieveBars). Default 24. */
  historyHours?: number;
}

/** A running simulator. */
export interface RunningSimulator {
  /** `http://127.0.0.1:PORT` — the gateway's REST origin (paths start with `/api/`). */
  apiUrl: string;
  userHubUrl: string;
  marketHubUrl: string;
  controlUrl: string;
  port: number;
  /** In-process control handle (mirrors the HTTP control API). */
  control: SimulatorControl;
  recorder: Recorder;
  /** The fixture the simulator started from. */
  fixture: Fixture;
  /** Stops timers, drops connections and held requests, closes the server. */
  close(): Promise<void>;
}

function rateSettings(option: SimulatorOptions['rateLimit']): RateLimitSettings {
  if (option === undefined || option === true) return structuredClone(DEFAULT_RATE_LIMITS);
  if (option === false) return { ...structuredClone(DEFAULT_RATE_LIMITS), enabled: false };
  return {
    enabled: option.enabled ?? true,
    general: { ...DEFAULT_RATE_LIMITS.general, ...option.general },
    bars: { ...DEFAULT_RATE_LIMITS.bars, ...option.bars },
  };
}

function jsonParser(_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void): void {
  if (body.length === 0) return done(null, undefined);
  try {
    done(null, JSON.parse(body));
  } catch (err) {
    const error = new SimulatorError('CONTROL_INVALID', 'the request body is not valid JSON', { cause: err });
    (error as unknown as { statusCode: number }).statusCode = 400;
    done(error);
  }
}

function buildApp(): FastifyInstance {
  const app = Fastify({
    logger: false,
    routerOptions: { caseSensitive: false }, // ASP.NET routes are case-insensitive
    forceCloseConnections: true,
    bodyLimit: 50 * 1024 * 1024,
  });
  app.setValidatorCompiler(miniValidatorCompiler);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/json'], { parseAs: 'string' }, jsonParser);
  app.addContentTypeParser(/^application\/[\w.-]+\+json$/, { parseAs: 'string' }, jsonParser);
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ControlError) {
      return reply.code(err.status).send({ error: err.code, message: err.message });
    }
    if (err instanceof SimulatorError && err.code === 'FIXTURE_INVALID') {
      return reply.code(400).send({ error: err.code, message: err.message });
    }
    if (err.validation) {
      return reply.code(400).send({ error: 'CONTROL_INVALID', message: err.message });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      if (req.url.toLowerCase().startsWith('/api/')) {
        return reply
          .code(status)
          .type('application/problem+json; charset=utf-8')
          .send({ type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1', title: err.message, status });
      }
      return reply.code(status).send({ error: 'CONTROL_INVALID', message: err.message });
    }
    process.stderr.write(
      `projectx-sim: internal error on ${req.method} ${req.url}: ${err.stack ?? err.message}\n`,
    );
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal simulator error' });
  });
  return app;
}

/**
 * Starts a ProjectX Gateway simulator on 127.0.0.1: REST under `/api`, SignalR hubs under
 * `/hubs/user` and `/hubs/market`, the control API under `/control`.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const clock = new SimulatorClock(options.clock);
  const now = () => clock.now();
  const fixture =
    typeof options.fixture === 'string'
      ? loadFixtureFile(options.fixture)
      : options.fixture !== undefined
        ? parseFixture(options.fixture)
        : defaultFixture(clock.now());
  const seed = options.seed ?? 1;
  const historyHours = options.historyHours ?? 24;
  const variants = {
    current: { ...DEFAULT_VARIANTS, ...checkVariants((options.variants ?? {}) as Record<string, unknown>) },
  };
  const recorder = new Recorder(options.recorder, now);
  const faults = new FaultController();
  const market = new MarketData(seed, now);
  const tokens = new TokenService(now, options.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS);
  const limiter = new RateLimiter(rateSettings(options.rateLimit), now);
  let hubRef: HubServer | null = null;
  const engine = new TradingEngine({
    now,
    market,
    variants: () => variants.current,
    faults,
    emit: (accountId, name, payload) => hubRef?.publishUser(accountId, name, payload),
    ...(fixture.ids ? { ids: fixture.ids } : {}),
  });
  for (const user of fixture.users) engine.addUser(user);
  const firstUser = (fixture.users[0] as Fixture['users'][number]).userName;
  for (const account of fixture.accounts) engine.addAccount(account, firstUser);
  for (const contract of fixture.contracts) market.addContract(contract, historyHours);

  const hub = new HubServer({
    tokens,
    engine,
    market,
    recorder,
    faults,
    variants: () => variants.current,
    ...(options.hub ? { options: options.hub } : {}),
  });
  hubRef = hub;
  market.onUpdate((state, print) => {
    hub.publishMarket(state, print);
    engine.onMarket(state);
  });
  const feed = new PriceFeed(market, options.walk);
  const parts: SimulatorParts = {
    clock,
    tokens,
    engine,
    market,
    feed,
    hub,
    limiter,
    faults,
    recorder,
    historyHours,
    variants,
  };
  const control = new SimulatorControl(parts);
  const held = new Set<Socket>();

  const app = buildApp();
  registerGatewayRoutes(app, {
    tokens,
    engine,
    market,
    limiter,
    faults,
    recorder,
    variants: () => variants.current,
    now,
    held,
  });
  app.post<{ Params: { hub: string }; Querystring: Record<string, string | undefined> }>(
    '/hubs/:hub/negotiate',
    async (req, reply) => {
      const name = req.params.hub.toLowerCase();
      if (name !== 'user' && name !== 'market') return reply.code(404).send();
      const token = req.query['access_token'] ?? bearer(req.headers.authorization);
      const version = Number(req.query['negotiateVersion'] ?? 0);
      const answer = hub.negotiate(name, token ?? null, Number.isFinite(version) ? version : 0);
      if (answer.status !== 200) return reply.code(answer.status).send();
      return reply.send(answer.body);
    },
  );
  registerControlRoutes(app, control, recorder);
  app.server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));

  try {
    await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  } catch (err) {
    feed.close();
    hub.close();
    throw err;
  }
  if (options.replay) feed.replay(options.replay);
  const port = (app.server.address() as AddressInfo).port;
  const apiUrl = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | null = null;
  return {
    apiUrl,
    userHubUrl: `${apiUrl}/hubs/user`,
    marketHubUrl: `${apiUrl}/hubs/market`,
    controlUrl: `${apiUrl}/control`,
    port,
    control,
    recorder,
    fixture,
    close() {
      closing ??= (async () => {
        feed.close();
        hub.close();
        for (const socket of held) socket.destroy();
        await app.close();
      })();
      return closing;
    },
  };
}
