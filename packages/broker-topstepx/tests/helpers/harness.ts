import { MemoryLogger, SystemClock, type BrokerEvent, type LogLine } from '@riskd/core-engine';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '@riskd/projectx-sim';
import { TopstepXGateway, type BrokerAlert, type TopstepXOptions } from '../../src/index.js';

/** The simulator's default login. */
export const USER = 'demo';
export const API_KEY = 'demo-api-key';
/** The default fixture's two practice accounts. */
export const ACCOUNT = 70001;
export const ACCOUNT_2 = 70002;

/**
 * Polls `probe` until it returns something other than undefined/false, or fails after the deadline
 * with `what` in the message. Tests over real sockets wait this way, never with fixed sleeps.
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | null,
  what: string,
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface Harness {
  readonly sim: RunningSimulator;
  readonly gateway: TopstepXGateway;
  readonly events: BrokerEvent[];
  readonly alerts: BrokerAlert[];
  readonly logger: MemoryLogger;
  /** Contract ids of the fixture by ticker (`MNQ`, `NQ`, `ES`, `MES`). */
  readonly contracts: Readonly<Record<'MNQ' | 'NQ' | 'ES' | 'MES', string>>;
  /** Events after the `mark()` index, optionally of one kind. */
  since<K extends BrokerEvent['kind']>(mark: number, kind?: K): Extract<BrokerEvent, { kind: K }>[];
  mark(): number;
  /** Places an order as the trader (through the simulator's control handle, not the adapter). */
  trade(order: {
    accountId?: number;
    contractId: string;
    type?: number;
    side: 0 | 1;
    size: number;
    limitPrice?: number;
    stopPrice?: number;
  }): number;
  /** A REST call as the trader's own session (e.g. Order/cancel from the platform). */
  traderPost(path: string, body: unknown): Promise<Record<string, unknown>>;
  /** Log lines at warn or above whose message is not in `expected`. */
  unexpectedProblems(expected?: readonly RegExp[]): LogLine[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly sim?: SimulatorOptions;
  readonly gateway?: Partial<TopstepXOptions>;
  /** Connect the gateway before returning. Default true. */
  readonly connect?: boolean;
}

/** Starts a simulator on 127.0.0.1:0 (no random walk unless asked) and a gateway against it. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ walk: { enabled: false }, historyHours: 1, ...options.sim });
  const logger = new MemoryLogger();
  const gateway = new TopstepXGateway({
    apiUrl: sim.apiUrl,
    userHubUrl: sim.userHubUrl,
    marketHubUrl: sim.marketHubUrl,
    userName: USER,
    apiKey: API_KEY,
    clock: new SystemClock(),
    logger,
    isMarketOpen: () => true,
    reconnectDelaysMs: [150, 300],
    flattenVerifyDelayMs: 50,
    ...options.gateway,
  });
  const events: BrokerEvent[] = [];
  const alerts: BrokerAlert[] = [];
  gateway.onEvent((e) => events.push(e));
  gateway.onAlert((a) => alerts.push(a));
  const byTicker = (ticker: string): string => {
    const found = sim.fixture.contracts.find(
      (c) =>
        c.name.startsWith(ticker) &&
        /^[A-Z]+[FGHJKMNQUVXZ]\d$/.test(c.name) &&
        c.name.slice(0, -2) === ticker,
    );
    if (!found) throw new Error(`no ${ticker} contract in the fixture`);
    return found.id;
  };
  const contracts = { MNQ: byTicker('MNQ'), NQ: byTicker('NQ'), ES: byTicker('ES'), MES: byTicker('MES') };
  let traderToken: string | null = null;
  const harness: Harness = {
    sim,
    gateway,
    events,
    alerts,
    logger,
    contracts,
    mark: () => events.length,
    since: <K extends BrokerEvent['kind']>(mark: number, kind?: K) =>
      events.slice(mark).filter((e) => kind === undefined || e.kind === kind) as Extract<
        BrokerEvent,
        { kind: K }
      >[],
    trade: (order) => {
      const answer = sim.control.placeOrder({ accountId: ACCOUNT, type: 2, ...order });
      if (!answer.success || answer.orderId === null)
        throw new Error(`trader order refused: ${JSON.stringify(answer)}`);
      return answer.orderId;
    },
    traderPost: async (path, body) => {
      if (traderToken === null) {
        const login = await fetch(`${sim.apiUrl}/api/Auth/loginKey`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userName: USER, apiKey: API_KEY }),
        });
        traderToken = ((await login.json()) as { token: string }).token;
      }
      const res = await fetch(`${sim.apiUrl}/api/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${traderToken}` },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Record<string, unknown>;
    },
    unexpectedProblems: (expected = []) =>
      logger
        .problems()
        .filter((line) => !expected.some((re) => re.test(`${line.msg ?? ''} ${JSON.stringify(line.obj)}`))),
    close: async () => {
      await gateway.disconnect();
      await sim.close();
    },
  };
  if (options.connect ?? true) await gateway.connect();
  return harness;
}
