/**
 * The simulator side of the broker-topstepx benchmark, run as its own process (as the real gateway
 * is remote): tools/projectx-sim with rate limits off and no random walk, a bare `ws` server for
 * the baseline, and the two clocks of every measured pair, taken here with process.hrtime
 * (CLOCK_MONOTONIC, shared by the processes of one machine):
 * - the instant a frame leaves a WebSocket (by wrapping `ws`'s `send`, right before the write);
 * - the instant a Position/closeContract request reaches the simulator's REST handler (its recorder).
 *
 * Talks to the benchmark process over IPC: `burst`, `open` (a pair's adapter half), `baseline`
 * (a pair's baseline half), `stop`.
 */
import { startSimulator, type RecordEntry } from '@riskd/projectx-sim';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export const BENCH_ACCOUNT = 70001;
export const BASELINE_ACCOUNT = 70002;

/** Messages from the benchmark to this process. */
export type ToSimulator =
  | { readonly type: 'burst'; readonly count: number }
  | { readonly type: 'open' }
  | { readonly type: 'baseline' }
  | { readonly type: 'stop' };

/** Messages from this process to the benchmark. */
export type FromSimulator =
  | {
      readonly type: 'ready';
      readonly apiUrl: string;
      readonly userHubUrl: string;
      readonly marketHubUrl: string;
      readonly baselineWsUrl: string;
      readonly contractId: string;
      readonly baselineContractId: string;
    }
  | { readonly type: 'burst-done'; readonly ms: number }
  | {
      readonly type: 'pair-half';
      readonly kind: 'adapter' | 'baseline';
      readonly startNs: string;
      readonly endNs: string;
    }
  | { readonly type: 'error'; readonly message: string };

const send = (message: FromSimulator): void => {
  process.send?.(message);
};

let armedFrame = false;
let frameSentNs = 0n;

/** Notes when the armed GatewayUserPosition frame is written (only in this process). */
function instrumentWebSocketSend(): void {
  const originalSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function patchedSend(this: WebSocket, data: unknown, ...rest: unknown[]) {
    if (armedFrame && typeof data === 'string' && data.includes('"target":"GatewayUserPosition"')) {
      armedFrame = false;
      frameSentNs = process.hrtime.bigint();
    }
    return (originalSend as (...args: unknown[]) => void).call(this, data, ...rest);
  } as typeof WebSocket.prototype.send;
}

async function main(): Promise<void> {
  instrumentWebSocketSend();
  const sim = await startSimulator({
    rateLimit: false,
    walk: { enabled: false },
    historyHours: 1,
    recorder: { capacity: 64 },
  });
  const contractId = (sim.fixture.contracts.find((c) => c.name.startsWith('MNQ')) ?? sim.fixture.contracts[0])
    ?.id as string;
  const baselineContractId = (
    sim.fixture.contracts.find((c) => c.name.startsWith('ES')) ?? sim.fixture.contracts[1]
  )?.id as string;

  let waiter: { accountId: number; resolve: (ns: bigint) => void } | null = null;
  const record = sim.recorder.record.bind(sim.recorder);
  sim.recorder.record = (entry: Omit<RecordEntry, 'seq' | 'hrTimeNs' | 'wallTime' | 'simTime'>) => {
    record(entry);
    if (waiter && entry.kind === 'request' && entry.path === '/api/Position/closeContract') {
      if ((entry.body as { accountId?: number } | null)?.accountId === waiter.accountId) {
        const last = sim.recorder.query({ limit: 1 })[0] as RecordEntry;
        const current = waiter;
        waiter = null;
        current.resolve(BigInt(last.hrTimeNs));
      }
    }
  };
  const closeArrives = (accountId: number): Promise<bigint> =>
    new Promise((resolve) => {
      waiter = { accountId, resolve };
    });

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  let baselineSocket: WebSocket | null = null;
  wss.on('connection', (ws) => {
    baselineSocket = ws;
  });

  process.on('message', (raw: unknown) => {
    const message = raw as ToSimulator;
    void (async () => {
      switch (message.type) {
        case 'burst': {
          const result = await sim.control.burst(contractId, message.count, 500);
          send({ type: 'burst-done', ms: result.ms });
          return;
        }
        case 'open': {
          const arrived = closeArrives(BENCH_ACCOUNT);
          armedFrame = true;
          const answer = sim.control.placeOrder({
            accountId: BENCH_ACCOUNT,
            contractId,
            type: 2,
            side: 0,
            size: 1,
          });
          if (!answer.success) throw new Error(`order refused: ${JSON.stringify(answer)}`);
          const end = await arrived;
          send({ type: 'pair-half', kind: 'adapter', startNs: String(frameSentNs), endNs: String(end) });
          return;
        }
        case 'baseline': {
          if (!baselineSocket) throw new Error('the baseline client is not connected');
          const arrived = closeArrives(BASELINE_ACCOUNT);
          const start = process.hrtime.bigint();
          baselineSocket.send('{"type":1,"target":"Bench","arguments":[]}\x1e');
          const end = await arrived;
          send({ type: 'pair-half', kind: 'baseline', startNs: String(start), endNs: String(end) });
          return;
        }
        case 'stop':
          wss.close();
          await sim.close();
          process.disconnect?.();
          return;
      }
    })().catch((err: unknown) =>
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  });

  send({
    type: 'ready',
    apiUrl: sim.apiUrl,
    userHubUrl: sim.userHubUrl,
    marketHubUrl: sim.marketHubUrl,
    baselineWsUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    contractId,
    baselineContractId,
  });
}

if (process.send) {
  main().catch((err: unknown) => {
    send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exitCode = 1;
  });
}
