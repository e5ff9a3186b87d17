import type { FastifyInstance } from 'fastify';
import type { SimulatorControl } from './control.js';
import type { RecordFilter, Recorder, RecordKind } from './recorder.js';

const bool = { type: 'boolean' } as const;
const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const instant = { type: ['string', 'number'] } as const;
const nullableInt = { type: ['integer', 'null'] } as const;

function object(properties: Record<string, unknown>, required: string[] = []) {
  return { type: 'object', additionalProperties: false, properties, required } as const;
}

const priceUpdate = object({ bid: num, ask: num, last: num, volume: int });
const rule = object({ limit: int, windowMs: int });
const contractIdParams = object({ contractId: str }, ['contractId']);
const accountIdParams = object({ id: int }, ['id']);

const schemas = {
  clock: object({ now: instant, advanceMs: num, mode: { enum: ['real', 'manual'] } }),
  user: object({ userName: str, apiKey: str, userId: int, loginErrorCode: int }, ['userName', 'apiKey']),
  account: object(
    {
      id: int,
      name: str,
      balance: num,
      canTrade: bool,
      isVisible: bool,
      simulated: bool,
      userName: str,
      bracketMode: { enum: ['position', 'autoOco'] },
      rejecting: bool,
    },
    ['id', 'name', 'balance', 'canTrade', 'isVisible', 'simulated'],
  ),
  accountPatch: object({
    name: str,
    balance: num,
    canTrade: bool,
    isVisible: bool,
    simulated: bool,
    bracketMode: { enum: ['position', 'autoOco'] },
    rejecting: bool,
  }),
  contract: object(
    {
      id: str,
      name: str,
      description: str,
      tickSize: num,
      tickValue: num,
      symbolId: str,
      activeContract: bool,
      price: object({ last: num, bid: num, ask: num }, ['last']),
      feePerSide: num,
      walkTicks: int,
    },
    [
      'id',
      'name',
      'description',
      'tickSize',
      'tickValue',
      'symbolId',
      'activeContract',
      'price',
      'feePerSide',
    ],
  ),
  contractPatch: object({ activeContract: bool, feePerSide: num, walkTicks: int, marketOpen: bool }),
  path: object({ points: { type: 'array', items: priceUpdate, minItems: 1 }, intervalMs: int, loop: bool }, [
    'points',
  ]),
  burst: object({ count: int, batch: int }, ['count']),
  walk: object({ enabled: bool, intervalMs: int }),
  walkStep: object({ contractId: str, steps: int }),
  replay: object({
    records: {
      type: 'array',
      items: object({ t: instant, contractId: str, bid: num, ask: num, last: num, volume: int }, [
        't',
        'contractId',
      ]),
    },
    file: str,
    speed: num,
    loop: bool,
  }),
  market: object({ open: bool, contractId: str }, ['open']),
  order: { type: 'object' },
  expire: object({ token: str, dropConnections: bool }),
  lifetime: object({ lifetimeMs: int }, ['lifetimeMs']),
  variants: object({
    wrappedUserEvents: bool,
    splitFills: nullableInt,
    flipFill: { enum: ['split', 'single'] },
    stopLimitPlaceable: bool,
    restrictCancelOnLiveAccounts: bool,
    validateExpiredToken: { enum: ['envelope', 'http401'] },
    tickBars: bool,
    quoteSnapshotOnSubscribe: bool,
    initialOrderStatus: { enum: [1, 6] },
    rateLimit: bool,
  }),
  rateLimit: object({ enabled: bool, general: rule, bars: rule, reset: bool }),
  restFault: object(
    {
      path: str,
      kind: { enum: ['delay', 'status', 'hang', 'dropResponse', 'errorCode'] },
      delayMs: int,
      status: int,
      retryAfterSeconds: int,
      holdMs: nullableInt,
      errorCode: int,
      errorMessage: { type: ['string', 'null'] },
      count: nullableInt,
    },
    ['path', 'kind'],
  ),
  count: object({ count: int }, ['count']),
  drop: object({
    hub: { enum: ['user', 'market', 'all'] },
    connectionId: str,
    mode: { enum: ['terminate', 'close'] },
  }),
  eventFault: object({ target: { type: ['string', 'null'] }, count: int }),
  freeze: object({ contractId: str, frozen: bool }, ['contractId']),
  recorderQuery: object({
    kind: { enum: ['request', 'response', 'event'] },
    path: str,
    target: str,
    connectionId: str,
    since: int,
    limit: int,
  }),
  recorderSettings: object({ capacity: int, full: bool, enabled: bool }),
};

/**
 * The control API under `/control` (README "Control API"): world setup, prices, clock, tokens,
 * variants, faults and the recorder. Local only, no authentication.
 */
export function registerControlRoutes(
  app: FastifyInstance,
  control: SimulatorControl,
  recorder: Recorder,
): void {
  app.register(
    async (c) => {
      c.get('/state', async () => control.state());

      c.get('/clock', async () => control.clock());
      c.post<{ Body: Parameters<SimulatorControl['setClock']>[0] }>(
        '/clock',
        { schema: { body: schemas.clock } },
        async (req) => control.setClock(req.body ?? {}),
      );

      c.post<{ Body: Parameters<SimulatorControl['addUser']>[0] }>(
        '/users',
        { schema: { body: schemas.user } },
        async (req, reply) => reply.code(201).send(control.addUser(req.body)),
      );
      c.get('/accounts', async () => control.state().accounts);
      c.post<{ Body: Parameters<SimulatorControl['addAccount']>[0] }>(
        '/accounts',
        { schema: { body: schemas.account } },
        async (req, reply) => reply.code(201).send(control.addAccount(req.body)),
      );
      c.patch<{ Params: { id: number }; Body: Parameters<SimulatorControl['updateAccount']>[1] }>(
        '/accounts/:id',
        { schema: { params: accountIdParams, body: schemas.accountPatch } },
        async (req) => control.updateAccount(req.params.id, req.body ?? {}),
      );

      c.get('/contracts', async () => control.state().contracts);
      c.post<{ Body: Parameters<SimulatorControl['addContract']>[0] }>(
        '/contracts',
        { schema: { body: schemas.contract } },
        async (req, reply) => reply.code(201).send(control.addContract(req.body)),
      );
      c.patch<{ Params: { contractId: string }; Body: Parameters<SimulatorControl['updateContract']>[1] }>(
        '/contracts/:contractId',
        { schema: { params: contractIdParams, body: schemas.contractPatch } },
        async (req) => control.updateContract(req.params.contractId, req.body ?? {}),
      );

      c.get<{ Params: { contractId: string } }>(
        '/prices/:contractId',
        { schema: { params: contractIdParams } },
        async (req) => control.quote(req.params.contractId),
      );
      c.post<{ Params: { contractId: string }; Body: Parameters<SimulatorControl['setPrice']>[1] }>(
        '/prices/:contractId',
        { schema: { params: contractIdParams, body: priceUpdate } },
        async (req) => control.setPrice(req.params.contractId, req.body ?? {}),
      );
      c.post<{ Params: { contractId: string }; Body: Parameters<SimulatorControl['runPath']>[1] }>(
        '/prices/:contractId/path',
        { schema: { params: contractIdParams, body: schemas.path } },
        async (req) => {
          control.runPath(req.params.contractId, req.body);
          return { running: req.body.intervalMs !== 0, quote: control.quote(req.params.contractId) };
        },
      );
      c.delete<{ Params: { contractId: string } }>(
        '/prices/:contractId/path',
        { schema: { params: contractIdParams } },
        async (req) => ({
          stopped: control.stopPath(req.params.contractId),
        }),
      );
      c.post<{ Params: { contractId: string }; Body: { count: number; batch?: number } }>(
        '/prices/:contractId/burst',
        { schema: { params: contractIdParams, body: schemas.burst } },
        async (req) => control.burst(req.params.contractId, req.body.count, req.body.batch),
      );

      c.get('/walk', async () => control.walk());
      c.post<{ Body: Parameters<SimulatorControl['setWalk']>[0] }>(
        '/walk',
        { schema: { body: schemas.walk } },
        async (req) => control.setWalk(req.body ?? {}),
      );
      c.post<{ Body: Parameters<SimulatorControl['stepWalk']>[0] }>(
        '/walk/step',
        { schema: { body: schemas.walkStep } },
        async (req) => {
          control.stepWalk(req.body ?? {});
          return { quotes: control.state().contracts.map((s) => ({ contractId: s.id, ...s.quote })) };
        },
      );

      c.post<{ Body: Parameters<SimulatorControl['replay']>[0] }>(
        '/replay',
        { schema: { body: schemas.replay } },
        async (req) => control.replay(req.body ?? {}),
      );
      c.delete('/replay', async () => ({ stopped: control.stopReplay() }));

      c.post<{ Body: { open: boolean; contractId?: string } }>(
        '/market',
        { schema: { body: schemas.market } },
        async (req) => control.setMarketOpen(req.body.open, req.body.contractId),
      );

      c.post<{ Body: Record<string, unknown> }>('/orders', { schema: { body: schemas.order } }, async (req) =>
        control.placeOrder(req.body ?? {}),
      );

      c.post<{ Body: Parameters<SimulatorControl['expireTokens']>[0] }>(
        '/auth/expire',
        { schema: { body: schemas.expire } },
        async (req) => control.expireTokens(req.body ?? {}),
      );
      c.post<{ Body: { lifetimeMs: number } }>(
        '/auth/lifetime',
        { schema: { body: schemas.lifetime } },
        async (req) => control.setTokenLifetime(req.body.lifetimeMs),
      );
      c.get('/auth/sessions', async () => control.sessions());

      c.get('/variants', async () => control.variants());
      c.patch<{ Body: Parameters<SimulatorControl['setVariants']>[0] }>(
        '/variants',
        { schema: { body: schemas.variants } },
        async (req) => control.setVariants(req.body ?? {}),
      );
      c.delete('/variants', async () => control.resetVariants());

      c.get('/rate-limit', async () => control.rateLimit());
      c.patch<{ Body: Parameters<SimulatorControl['setRateLimit']>[0] }>(
        '/rate-limit',
        { schema: { body: schemas.rateLimit } },
        async (req) => control.setRateLimit(req.body ?? {}),
      );

      c.get('/faults', async () => control.faults());
      c.delete('/faults', async () => control.clearFaults());
      c.post<{ Body: Parameters<SimulatorControl['addRestFault']>[0] }>(
        '/faults/rest',
        { schema: { body: schemas.restFault } },
        async (req, reply) => reply.code(201).send(control.addRestFault(req.body)),
      );
      c.post<{ Body: { count: number } }>(
        '/faults/reject-closes',
        { schema: { body: schemas.count } },
        async (req) => control.rejectNextCloses(req.body.count),
      );
      c.post<{ Body: Parameters<SimulatorControl['dropConnections']>[0] }>(
        '/faults/drop-connections',
        { schema: { body: schemas.drop } },
        async (req) => control.dropConnections(req.body ?? {}),
      );
      c.post<{ Body: Parameters<SimulatorControl['duplicateEvents']>[0] }>(
        '/faults/duplicate-events',
        { schema: { body: schemas.eventFault } },
        async (req) => control.duplicateEvents(req.body ?? {}),
      );
      c.post<{ Body: Parameters<SimulatorControl['reorderEvents']>[0] }>(
        '/faults/reorder-events',
        { schema: { body: schemas.eventFault } },
        async (req) => control.reorderEvents(req.body ?? {}),
      );
      c.post<{ Body: { contractId: string; frozen?: boolean } }>(
        '/faults/freeze',
        { schema: { body: schemas.freeze } },
        async (req) => control.freezeQuotes(req.body.contractId, req.body.frozen ?? true),
      );

      c.get('/connections', async () => control.connections());

      c.get<{
        Querystring: {
          kind?: RecordKind;
          path?: string;
          target?: string;
          connectionId?: string;
          since?: number;
          limit?: number;
        };
      }>('/recorder', { schema: { querystring: schemas.recorderQuery } }, async (req) => {
        const q = req.query;
        const filter: RecordFilter = {};
        if (q.kind !== undefined) filter.kind = q.kind;
        if (q.path !== undefined) filter.path = q.path;
        if (q.target !== undefined) filter.target = q.target;
        if (q.connectionId !== undefined) filter.connectionId = q.connectionId;
        if (q.since !== undefined) filter.sinceSeq = q.since;
        if (q.limit !== undefined) filter.limit = q.limit;
        return { settings: recorder.settings(), entries: recorder.query(filter) };
      });
      c.delete('/recorder', async () => {
        recorder.clear();
        return recorder.settings();
      });
      c.patch<{ Body: Parameters<Recorder['configure']>[0] }>(
        '/recorder',
        { schema: { body: schemas.recorderSettings } },
        async (req) => {
          recorder.configure(req.body ?? {});
          return recorder.settings();
        },
      );
    },
    { prefix: '/control' },
  );
}
