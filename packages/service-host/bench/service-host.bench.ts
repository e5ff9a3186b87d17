/**
 * service-host benchmark: the whole daemon (`riskd run`, its own process, audit on) against
 * tools/projectx-sim (in this process, rate limits off on both sides, no random walk, full
 * recorder) with 20 accounts.
 *
 * 1. quotesPerSecond: every account holds one contract of the shared product B00; the simulator
 *    bursts quote updates for it; the daemon's `riskd_events_total` counts what it processed,
 *    from the first to the last event of the burst.
 * 2. p50Ms / p99Ms / maxMs: at 2,000 events/s (quotes on the 20 accounts' own contracts, every
 *    10 ms), every 100 ms one quote breaches one account's position-loss limit. Latency runs from
 *    the simulator sending that quote (its recorder's SEND entry) to the simulator receiving the
 *    daemon's Position/closeContract for it (its recorder's request entry), both on this process's
 *    monotonic clock. The trader re-opens each closed position.
 * 3. auditRowsPerSecond: all 20 accounts breached together as fast as the daemon closes them for
 *    a few seconds; audit rows appended per second (`riskd_audit_rows_total`), checked against the
 *    rows committed in the database at the end.
 * 4. rssMb: the daemon process's largest resident set size over the run (/proc/<pid>/status).
 *
 * BENCH_CHAT=1 turns chat delivery on: a Discord channel (a loopback fake of the webhook API in
 * this process) gets every alert through the daemon's outbox; the notes say how many messages.
 *
 * Prints a table and writes bench-results/service-host.json at the workspace root.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startSimulator, type RunningSimulator } from '@riskd/projectx-sim';
import { RISKD_NODE_FLAGS } from '../src/service/service-spec.js';
import { reportBench } from '@riskd/core-engine/testing';
import { FakeDiscordServer } from '@riskd/notifier/testing';

const CHAT = process.env['BENCH_CHAT'] === '1';

const ACCOUNTS = 20;
const QUOTES = Number(process.env['BENCH_QUOTES'] ?? 100_000);
const LATENCY_SECONDS = Number(process.env['BENCH_LATENCY_SECONDS'] ?? 20);
const AUDIT_SECONDS = Number(process.env['BENCH_AUDIT_SECONDS'] ?? 5);
const EVENTS_PER_SECOND = 2_000;
const BREACHES_PER_SECOND = 10;
const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'riskd.mjs');
const BASE = 1000;
const LOSS_LIMIT = 50; // dollars; a contract is 2 dollars a point: a 30-point drop on 1 contract breaches

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

function contractId(n: number): string {
  return `CON.F.US.B${String(n).padStart(2, '0')}.Z26`;
}

async function metric(apiUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name} `) || (!name.includes('{') && line.startsWith(`${name}{`)))
      sum += Number(line.split(' ').pop());
  return sum;
}

function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/**
 * The simulator's REST front door: forwards every request and reports each Position/closeContract
 * (account, arrival on the monotonic clock) as it arrives, before forwarding it. The simulator's
 * own recorder is off: its queries scan every entry and would slow the simulator down.
 */
async function startFrontDoor(
  target: string,
  onClose: (accountId: number, atNs: bigint) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url?.toLowerCase() === '/api/position/closecontract') {
        const at = process.hrtime.bigint();
        onClose((JSON.parse(body.toString('utf8')) as { accountId: number }).accountId, at);
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'authorization']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      fetch(`${target}${req.url ?? ''}`, {
        method: req.method ?? 'POST',
        headers,
        ...(req.method === 'GET' ? {} : { body }),
      }).then(
        async (answer) => {
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'application/json',
          });
          res.end(Buffer.from(await answer.arrayBuffer()));
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function startDaemon(configPath: string): Promise<{ child: ChildProcess; apiUrl: string }> {
  // The service's own node flags (see the systemd unit), unless BENCH_NODE_FLAGS says otherwise.
  const flags = (process.env['BENCH_NODE_FLAGS'] ?? RISKD_NODE_FLAGS.join(' '))
    .split(' ')
    .filter((f) => f !== '');
  const child = spawn(process.execPath, [...flags, BIN, 'run', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-5000)));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const line = out.split('\n').find((l) => l.includes('"msg":"riskd ready"'));
    if (line) return { child, apiUrl: (JSON.parse(line) as { apiUrl: string }).apiUrl };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`riskd did not start:\n${err}`);
    await sleep(50);
  }
}

function setup(sim: RunningSimulator): number[] {
  const accounts: number[] = [70001, 70002];
  for (let i = 3; i <= ACCOUNTS; i++) {
    const id = 70000 + i;
    sim.control.addAccount({
      id,
      name: `PRAC-V2-100001-B${i}`,
      balance: 50_000,
      canTrade: true,
      isVisible: true,
      simulated: true,
    });
    accounts.push(id);
  }
  for (let n = 0; n <= ACCOUNTS; n++) {
    sim.control.addContract({
      id: contractId(n),
      name: `B${String(n).padStart(2, '0')}Z6`,
      description: `Benchmark contract ${n}`,
      tickSize: 0.25,
      tickValue: 0.5,
      symbolId: `F.US.B${String(n).padStart(2, '0')}`,
      activeContract: true,
      price: { last: BASE, bid: BASE, ask: BASE + 0.25 },
      feePerSide: 0.37,
    });
  }
  return accounts;
}

async function main(): Promise<void> {
  const sim = await startSimulator({
    port: 0,
    seed: 5,
    walk: { enabled: false },
    rateLimit: false,
    recorder: { enabled: false },
  });
  const accounts = setup(sim);
  // Breaching quotes waiting for their close, per account: the instant the simulator sent them.
  const waiting = new Map<number, bigint>();
  const latencies: number[] = [];
  const closed = new Set<number>();
  const trace = new Map<number, string[]>();
  const note = (id: number, what: string): void => {
    if (process.env['BENCH_DEBUG'])
      trace.set(id, [...(trace.get(id) ?? []), `${Math.round(performance.now())} ${what}`]);
  };
  const door = await startFrontDoor(sim.apiUrl, (accountId, atNs) => {
    note(accountId, 'close');
    closed.add(accountId);
    const sentNs = waiting.get(accountId);
    if (sentNs === undefined) return;
    waiting.delete(accountId);
    latencies.push(Number(atNs - sentNs) / 1e6);
  });
  const discord = await new FakeDiscordServer().start();
  const dir = mkdtempSync(path.join(tmpdir(), 'riskd-bench-'));
  const configPath = path.join(dir, 'riskd.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      broker: {
        userName: 'demo',
        apiKey: 'demo-api-key',
        apiUrl: door.url,
        userHubUrl: sim.userHubUrl,
        marketHubUrl: sim.marketHubUrl,
        rateLimit: { limit: null },
      },
      tradingDay: {
        sessions: Object.fromEntries(
          ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [
            d,
            [{ start: '00:00', end: '00:00' }],
          ]),
        ),
        holidays: [],
      },
      api: { port: 0 },
      logging: { level: 'warn' },
      ...(CHAT ? { notifications: { discord: [{ id: 'desk', webhookUrl: discord.webhookUrl }] } } : {}),
      rules: [
        { rule: 'position-loss-limit', options: { limit: LOSS_LIMIT } },
        { rule: 'daily-loss-limit', options: { limit: 1_000_000 } },
        { rule: 'max-contracts', options: { limit: 100 } },
        { rule: 'account-unrealized-loss', options: { limit: 1_000_000 } },
      ],
    }),
    { mode: 0o600 },
  );
  const { child, apiUrl } = await startDaemon(configPath);
  let maxRss = 0;
  const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, rssMb(child.pid as number))), 250);
  const trade = (accountId: number, contract: string, side: 0 | 1, size = 1): void => {
    const answer = sim.control.placeOrder({ accountId, contractId: contract, type: 2, side, size });
    if (!answer.success && process.env['BENCH_DEBUG'])
      console.log('order refused', accountId, contract, answer.errorCode, answer.errorMessage);
  };
  const notes: string[] = [];
  try {
    // Positions: every account holds 1 B00 and 1 of its own contract.
    accounts.forEach((id, i) => {
      trade(id, contractId(0), 0);
      trade(id, contractId(i + 1), 0);
    });
    for (;;) {
      const list = (await (await fetch(`${apiUrl}/api/v1/accounts`)).json()) as {
        accounts: { openPositions: number }[];
      };
      if (list.accounts.length === ACCOUNTS && list.accounts.every((a) => a.openPositions === 2)) break;
      await sleep(50);
    }
    await sleep(500);

    const rssIdle = rssMb(child.pid as number);
    const heapIdle = await metric(apiUrl, 'riskd_process_heap_bytes{kind="used"}');
    // 1. quotesPerSecond.
    const before = await metric(apiUrl, 'riskd_events_total');
    const burst = sim.control.burst(contractId(0), QUOTES);
    let first = 0;
    let last = 0;
    let seen = before;
    let stableSince = Date.now();
    for (;;) {
      await sleep(20);
      const now = await metric(apiUrl, 'riskd_events_total');
      const t = performance.now();
      if (now > seen) {
        if (first === 0) first = t;
        last = t;
        seen = now;
        stableSince = Date.now();
      } else if (Date.now() - stableSince > 1500) break;
    }
    await burst;
    const processed = seen - before;
    const quotesPerSecond = Math.round(processed / ((last - first) / 1000));
    notes.push(
      `quotes: ${processed.toLocaleString('en-US')} events processed for a burst of ${QUOTES.toLocaleString('en-US')} updates`,
    );
    accounts.forEach((id) => trade(id, contractId(0), 1));
    await sleep(500);
    const rssAfterBurst = maxRss;

    // 2. Latency at 2,000 events/s with 10 breaches/s.
    const state = accounts.map(() => ({ open: true, breachedAt: 0, closedAt: 0, priceReset: false }));
    closed.clear();
    const started = performance.now();
    let sent = 0;
    let breaches = 0;
    let noise = 0;
    while (performance.now() - started < LATENCY_SECONDS * 1000) {
      const elapsed = (performance.now() - started) / 1000;
      // Closed positions: the price goes back, then (once that quote reached the daemon) the
      // trader re-opens. Fills and quotes travel on different hubs with no order between them.
      for (const [i, s] of state.entries()) {
        const id = accounts[i] as number;
        if (closed.has(id)) {
          closed.delete(id);
          s.open = false;
          s.closedAt = performance.now();
          s.priceReset = false;
        }
        if (s.open) continue;
        const since = performance.now() - s.closedAt;
        if (!s.priceReset && since > 50) {
          sim.control.setPrice(contractId(i + 1), { bid: BASE, ask: BASE + 0.25 });
          s.priceReset = true;
          sent++;
        } else if (s.priceReset && since > 150) {
          trade(id, contractId(i + 1), 0);
          note(id, 'reopen');
          s.open = true;
          s.breachedAt = 0;
        }
      }
      while (breaches < elapsed * BREACHES_PER_SECOND) {
        breaches++;
        const candidates = state.map((s, i) => (s.open && s.breachedAt === 0 ? i : -1)).filter((i) => i >= 0);
        if (candidates.length === 0) break;
        const i = candidates[breaches % candidates.length] as number;
        const bid = BASE - 30 - (breaches % 4) * 0.25;
        sim.control.setPrice(contractId(i + 1), { bid, ask: bid + 0.25 });
        // The quote is queued to the market hub inside setPrice (the simulator's "sent").
        waiting.set(accounts[i] as number, process.hrtime.bigint());
        note(accounts[i] as number, `breach ${bid}`);
        (state[i] as { breachedAt: number }).breachedAt = performance.now();
        sent++;
      }
      while (sent < elapsed * EVENTS_PER_SECOND) {
        const i = noise++ % ACCOUNTS;
        if (state[i]?.breachedAt === 0 && state[i]?.open) {
          const bid = BASE + (Math.floor(noise / ACCOUNTS) % 9) * 0.25 - 1;
          sim.control.setPrice(contractId(i + 1), { bid, ask: bid + 0.25 });
        } else {
          sim.control.setPrice(contractId(0), {
            bid: BASE + (noise % 5) * 0.25,
            ask: BASE + (noise % 5) * 0.25 + 0.25,
          });
        }
        sent++;
      }
      await sleep(2);
    }
    const latencySeconds = (performance.now() - started) / 1000;
    const rssAfterLatency = maxRss;
    await sleep(1500);
    const unanswered = waiting.size;
    if (process.env['BENCH_DEBUG']) {
      const positions = sim.control.state().positions;
      for (const id of waiting.keys()) {
        const i = accounts.indexOf(id);
        console.log(
          'stuck',
          id,
          JSON.stringify(positions.filter((p) => p.accountId === id)),
          JSON.stringify(state[i]),
          (trace.get(id) ?? []).join(' | '),
        );
      }
    }
    waiting.clear();
    latencies.sort((a, b) => a - b);
    notes.push(
      `latency: ${latencies.length} breaches closed (${unanswered} still open at the end), ${Math.round(sent / latencySeconds).toLocaleString('en-US')} events/s sent over ${round(latencySeconds, 1)} s`,
    );

    // 3. Audit rows per second under enforcement load: every account breached at once, repeatedly.
    const rowsBefore = await metric(apiUrl, 'riskd_audit_rows_total');
    const auditStart = performance.now();
    let cycles = 0;
    while (performance.now() - auditStart < AUDIT_SECONDS * 1000) {
      accounts.forEach((id, i) => {
        sim.control.setPrice(contractId(i + 1), { bid: BASE, ask: BASE + 0.25 });
        trade(id, contractId(i + 1), 0);
      });
      await sleep(30);
      accounts.forEach((_, i) =>
        sim.control.setPrice(contractId(i + 1), { bid: BASE - 40, ask: BASE - 39.75 }),
      );
      await sleep(60);
      cycles++;
    }
    await sleep(1000);
    const auditSeconds = (performance.now() - auditStart) / 1000 - 1;
    const rowsAfter = await metric(apiUrl, 'riskd_audit_rows_total');
    const heapEnd = await metric(apiUrl, 'riskd_process_heap_bytes{kind="used"}');
    const heapTotalEnd = await metric(apiUrl, 'riskd_process_heap_bytes{kind="total"}');
    const externalEnd = await metric(apiUrl, 'riskd_process_heap_bytes{kind="external"}');
    const auditRowsPerSecond = Math.round((rowsAfter - rowsBefore) / auditSeconds);

    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    const db = new Database(path.join(dir, 'riskd.db'), { readonly: true });
    const committed = (db.prepare('SELECT COUNT(*) AS n FROM AuditEntry').get() as { n: number }).n;
    db.close();
    notes.push(
      `rss: ${round(rssIdle, 1)} MB ready and idle, peak ${round(rssAfterBurst, 1)} MB after the quote burst, ${round(rssAfterLatency, 1)} MB after the latency phase`,
    );
    notes.push(
      `heap (main thread): ${round(heapIdle / 2 ** 20, 1)} MB used when idle; at the end ${round(heapEnd / 2 ** 20, 1)} MB used of ${round(heapTotalEnd / 2 ** 20, 1)} MB reserved, ${round(externalEnd / 2 ** 20, 1)} MB external`,
    );
    notes.push(
      `audit: ${(rowsAfter - rowsBefore).toLocaleString('en-US')} rows in ${cycles} cycles of 20 breaches; ${committed.toLocaleString('en-US')} rows committed in all (appended so far: ${rowsAfter.toLocaleString('en-US')})`,
    );
    clearInterval(rssTimer);
    if (CHAT)
      notes.push(
        `chat: ${discord.successes().length.toLocaleString('en-US')} Discord messages delivered during the run (coalesced per account and second)`,
      );

    reportBench(
      'service-host',
      {
        quotesPerSecond,
        p50Ms: round(percentile(latencies, 50)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(latencies.at(-1) ?? Number.NaN),
        rssMb: round(maxRss, 1),
        auditRowsPerSecond,
      },
      [...notes, 'targets: p99Ms <= 10, rssMb <= 200'],
    );
  } finally {
    clearInterval(rssTimer);
    if (child.exitCode === null) child.kill('SIGKILL');
    door.server.closeAllConnections();
    door.server.close();
    await sim.close();
    await discord.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
