/**
 * broker-topstepx benchmark against tools/projectx-sim, which runs as its own process (as the real
 * gateway is remote; see simulator-process.ts), rate limits off on both sides, no random walk.
 *
 * 1. quotesPerSecond: quotes the adapter decoded, normalized and emitted per second while the
 *    simulator bursts GatewayQuote updates for one subscribed contract.
 * 2. Enforcement latency, in interleaved pairs after a warm-up:
 *    (a) the simulator's user-hub frame carrying GatewayUserPosition (a trader's fill opening a
 *        position) leaves its WebSocket; the adapter decodes it and emits the position event; a
 *        listener standing in for the engine calls `closePosition`; the close request reaches the
 *        simulator's REST handler;
 *    (b) the bare loopback baseline: one frame from a plain `ws` server (in the simulator's
 *        process) to a plain `ws` client (in this process), whose message handler POSTs a close
 *        of a flat contract with the global fetch to the same simulator route.
 *    Both halves are timed by the simulator process with process.hrtime, from "frame written" to
 *    "request reached the handler". (a - b) per pair is the adapter's own cost: SignalR decoding,
 *    unwrapping and normalization, the ledger, event delivery, the limiter and request building.
 *
 * Prints a table and writes bench-results/broker-topstepx.json at the workspace root.
 */
import { SystemClock, silentLogger, type BrokerEvent } from '@riskd/core-engine';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { TopstepXGateway } from '../src/index.js';
import type { FromSimulator, ToSimulator } from './simulator-process.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CHILD = path.resolve(import.meta.dirname, 'simulator-process.ts');
const ACCOUNT = 70001;
const BASELINE_ACCOUNT = 70002;
// Sizes can be lowered for a quick look (the committed figures use the defaults).
const QUOTES = Number(process.env['BENCH_QUOTES'] ?? 200_000);
const WARMUP_PAIRS = Number(process.env['BENCH_WARMUP'] ?? 2000);
const PAIRS = Number(process.env['BENCH_PAIRS'] ?? 10_000);

/** Yields to pending I/O callbacks twice. */
async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** The simulator process and a request/answer channel to it. */
class SimulatorProcess {
  private readonly waiting: ((message: FromSimulator) => void)[] = [];

  private constructor(readonly child: ChildProcess) {
    child.on('message', (raw: unknown) => {
      const message = raw as FromSimulator;
      if (message.type === 'error') {
        console.error(`simulator process: ${message.message}`);
        process.exit(1);
      }
      this.waiting.shift()?.(message);
    });
  }

  static async start(): Promise<{ sim: SimulatorProcess; ready: Extract<FromSimulator, { type: 'ready' }> }> {
    const child = spawn(process.execPath, ['--conditions=@riskd/source', '--import', 'tsx', CHILD], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      cwd: path.dirname(CHILD),
    });
    const sim = new SimulatorProcess(child);
    const ready = await sim.next();
    if (ready.type !== 'ready') throw new Error(`unexpected first message ${ready.type}`);
    return { sim, ready };
  }

  next(): Promise<FromSimulator> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Asks the simulator process to close, and kills it if it has not exited after 5 s. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' } satisfies ToSimulator);
    const timer = setTimeout(() => this.child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }

  ask(message: ToSimulator): Promise<FromSimulator> {
    const answer = this.next();
    this.child.send(message);
    return answer;
  }
}

async function main(): Promise<void> {
  // Other work on the machine shows in the tails of both halves: record how busy it was.
  const loadAtStart = os.loadavg()[0] ?? 0;
  const { sim, ready } = await SimulatorProcess.start();
  const gateway = new TopstepXGateway({
    apiUrl: ready.apiUrl,
    userHubUrl: ready.userHubUrl,
    marketHubUrl: ready.marketHubUrl,
    userName: 'demo',
    apiKey: 'demo-api-key',
    clock: new SystemClock(),
    logger: silentLogger,
    rateLimit: { limit: Number.POSITIVE_INFINITY, snapshotReserve: 0, maxSnapshotConcurrency: 64 },
    barsRateLimit: { limit: Number.POSITIVE_INFINITY, snapshotReserve: 0 },
    // Prices stand still between phases: no stale-feed reconnects in the middle of a measurement.
    isMarketOpen: () => false,
  });

  // The engine stand-in: close a position the moment it opens (armed per pair).
  let armedClose = false;
  let closing: Promise<unknown> = Promise.resolve();
  let flatWaiter: (() => void) | null = null;
  let quotesSeen = 0;
  let firstQuoteNs = 0n;
  let lastQuoteNs = 0n;
  gateway.onEvent((event: BrokerEvent) => {
    if (event.kind === 'quote') {
      if (quotesSeen === 0) firstQuoteNs = process.hrtime.bigint();
      quotesSeen++;
      lastQuoteNs = process.hrtime.bigint();
      return;
    }
    if (event.kind !== 'position' || event.accountId !== ACCOUNT) return;
    if (event.position.size > 0 && armedClose) {
      armedClose = false;
      closing = gateway.closePosition(ACCOUNT, event.position.contractId, { priority: 'enforcement' });
    } else if (event.position.size === 0 && flatWaiter) {
      const resolve = flatWaiter;
      flatWaiter = null;
      resolve();
    }
  });
  await gateway.connect();
  gateway.subscribeQuotes([ready.contractId]);
  const until = (probe: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const poll = (): void => (probe() ? resolve() : void setTimeout(poll, 2));
      poll();
    });
  await until(() => quotesSeen > 0); // the subscription's snapshot quote

  // ---- 1. quotes per second ---------------------------------------------------------------------
  quotesSeen = 0;
  await sim.ask({ type: 'burst', count: QUOTES });
  await until(() => quotesSeen >= QUOTES);
  const quotesPerSecond = Math.round((quotesSeen - 1) / (Number(lastQuoteNs - firstQuoteNs) / 1e9));

  // ---- 2. latency pairs ---------------------------------------------------------------------------
  const baselineClient = new WebSocket(ready.baselineWsUrl);
  await new Promise<void>((resolve) => baselineClient.once('open', () => resolve()));
  const login = await fetch(`${ready.apiUrl}/api/Auth/loginKey`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userName: 'demo', apiKey: 'demo-api-key' }),
  });
  const baselineHeaders = {
    'content-type': 'application/json',
    authorization: `Bearer ${((await login.json()) as { token: string }).token}`,
  };
  const closeUrl = `${ready.apiUrl}/api/Position/closeContract`;
  const baselineBody = JSON.stringify({ accountId: BASELINE_ACCOUNT, contractId: ready.baselineContractId });
  let baselineAnswered: Promise<unknown> = Promise.resolve();
  baselineClient.on('message', () => {
    baselineAnswered = fetch(closeUrl, { method: 'POST', headers: baselineHeaders, body: baselineBody }).then(
      (res) => res.text(),
    );
  });

  const half = (message: FromSimulator): number => {
    if (message.type !== 'pair-half') throw new Error(`unexpected ${message.type}`);
    return Number(BigInt(message.endNs) - BigInt(message.startNs)) / 1e6;
  };
  const adapterPair = async (): Promise<number> => {
    const flat = new Promise<void>((resolve) => {
      flatWaiter = resolve;
    });
    armedClose = true;
    const ms = half(await sim.ask({ type: 'open' }));
    // Let the half finish (the close's answer, the closing events) before the next one starts, so
    // that no half's tail work lands in the other half's window.
    await Promise.all([flat, closing]);
    await settle();
    return ms;
  };
  const baselinePair = async (): Promise<number> => {
    const ms = half(await sim.ask({ type: 'baseline' }));
    await baselineAnswered;
    await settle();
    return ms;
  };

  for (let i = 0; i < WARMUP_PAIRS; i++) {
    await adapterPair();
    await baselinePair();
  }
  const a: number[] = [];
  const b: number[] = [];
  const diff: number[] = [];
  const started = Date.now();
  for (let i = 0; i < PAIRS; i++) {
    const x = await adapterPair();
    const y = await baselinePair();
    a.push(x);
    b.push(y);
    diff.push(x - y);
  }
  const pairSeconds = (Date.now() - started) / 1000;
  const sort = (xs: number[]): number[] => [...xs].sort((p, q) => p - q);
  const sa = sort(a);
  const sb = sort(b);
  const sd = sort(diff);

  const metrics = {
    quotesPerSecond,
    p50Ms: round(percentile(sa, 50)),
    p99Ms: round(percentile(sa, 99)),
    baselineP99Ms: round(percentile(sb, 99)),
    adapterP50Ms: round(percentile(sd, 50)),
    adapterP99Ms: round(percentile(sd, 99)),
    baselineP50Ms: round(percentile(sb, 50)),
    pairs: PAIRS,
    warmupPairs: WARMUP_PAIRS,
    quotes: QUOTES,
    loadAverage1m: round(Math.max(loadAtStart, os.loadavg()[0] ?? 0), 2),
  };
  const result = { project: 'broker-topstepx', node: process.version, cpus: os.cpus().length, metrics };
  fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
  fs.writeFileSync(
    path.join(ROOT, 'bench-results', 'broker-topstepx.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );

  const rows: [string, string, string][] = [
    ['quotesPerSecond', String(quotesPerSecond), `${QUOTES} quotes decoded, normalized and emitted`],
    ['p50Ms', String(metrics.p50Ms), '(a) position frame leaves the simulator -> close request reaches it'],
    ['p99Ms', String(metrics.p99Ms), '(a)'],
    ['baselineP50Ms', String(metrics.baselineP50Ms), '(b) bare ws frame + fetch POST, same route'],
    ['baselineP99Ms', String(metrics.baselineP99Ms), '(b)'],
    ['adapterP50Ms', String(metrics.adapterP50Ms), 'per-pair (a - b)'],
    ['adapterP99Ms', String(metrics.adapterP99Ms), 'per-pair (a - b); target <= 1 ms'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(
    `broker-topstepx bench (node ${process.version}, ${os.cpus().length} cpus, load ${metrics.loadAverage1m}, ${PAIRS} pairs after ${WARMUP_PAIRS} warm-up, ${pairSeconds.toFixed(1)} s)`,
  );
  for (const [name, value, note] of rows)
    console.log(`  ${name.padEnd(width)}  ${value.padStart(10)}  ${note}`);

  baselineClient.close();
  await gateway.disconnect();
  await sim.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
