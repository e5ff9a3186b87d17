/**
 * projectx-sim benchmark: how fast the simulator pushes quotes to one hub subscriber and answers
 * REST calls, with the rate limit off. The simulator runs as its own process (the bin), the load
 * comes from this one, so the figures are the simulator's own throughput on this machine.
 *
 * Prints a table and writes bench-results/projectx-sim.json at the workspace root.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = path.resolve(import.meta.dirname, '../bin/projectx-sim.mjs');
const CONTRACT = 'CON.F.US.MNQ.Z26';
const RS = '\u001e';
const QUOTE_MARK = '"target":"GatewayQuote"';

interface Ready {
  apiUrl: string;
  marketHubUrl: string;
  controlUrl: string;
}

function startSimulator(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(
    process.execPath,
    [BIN, '--port', '0', '--no-rate-limit', '--no-walk', '--clock', '2026-11-26T15:00:00Z'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ child, ready: JSON.parse(out.split('\n')[0] as string) as Ready });
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(url: string, body: unknown, token?: string): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Subscribes a bare WebSocket client to MNQ quotes; counts GatewayQuote records as they arrive. */
async function quoteSubscriber(ready: Ready, token: string) {
  const ws = new WebSocket(`${ready.marketHubUrl.replace(/^http/, 'ws')}?access_token=${token}`, {
    perMessageDeflate: false,
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const state = { quotes: 0, waiter: null as null | { target: number; resolve: () => void } };
  ws.on('message', (data) => {
    const text = data.toString();
    let at = text.indexOf(QUOTE_MARK);
    while (at >= 0) {
      state.quotes++;
      at = text.indexOf(QUOTE_MARK, at + QUOTE_MARK.length);
    }
    if (state.waiter && state.quotes >= state.waiter.target) {
      const w = state.waiter;
      state.waiter = null;
      w.resolve();
    }
  });
  ws.send(`{"protocol":"json","version":1}${RS}`);
  ws.send(
    JSON.stringify({ type: 1, invocationId: '1', target: 'SubscribeContractQuotes', arguments: [CONTRACT] }) +
      RS,
  );
  return {
    state,
    until(target: number): Promise<void> {
      if (state.quotes >= target) return Promise.resolve();
      return new Promise((resolve) => (state.waiter = { target, resolve }));
    },
    close: () => ws.terminate(),
  };
}

async function measureQuotes(ready: Ready, token: string, count: number): Promise<number> {
  const sub = await quoteSubscriber(ready, token);
  await sub.until(1); // the subscribe snapshot
  const results: number[] = [];
  for (const n of [20_000, count, count, count]) {
    const base = sub.state.quotes;
    const started = process.hrtime.bigint();
    const burst = request(`${ready.controlUrl}/prices/${CONTRACT}/burst`, { count: n, batch: 1000 });
    await sub.until(base + n);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await burst;
    if (n === count) results.push(n / seconds); // the first, smaller run is the warm-up
  }
  sub.close();
  return Math.max(...results);
}

/**
 * A lean keep-alive HTTP/1.1 load generator (raw sockets, a few requests pipelined per connection)
 * so that the client costs far less than the server it measures. Every answer must be a 200.
 */
async function measureRequests(
  ready: Ready,
  token: string,
  seconds: number,
  connections: number,
  depth: number,
): Promise<number> {
  const url = new URL(ready.apiUrl);
  const calls: [string, unknown][] = [
    ['/api/Position/searchOpen', { accountId: 70001 }],
    ['/api/Account/search', { onlyActiveAccounts: true }],
    ['/api/Order/searchOpen', { accountId: 70001 }],
    ['/api/Contract/searchById', { contractId: CONTRACT }],
  ];
  const wire = calls.map(([p, body]) => {
    const payload = JSON.stringify(body);
    return (
      `POST ${p} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\nContent-Type: application/json\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`
    );
  });
  const run = (durationMs: number) =>
    new Promise<number>((resolve, reject) => {
      let done = 0;
      let open = connections;
      const started = process.hrtime.bigint();
      const deadline = Date.now() + durationMs;
      for (let c = 0; c < connections; c++) {
        const socket = net.connect(Number(url.port), url.hostname);
        socket.setNoDelay(true);
        let buffer = '';
        let next = c;
        let inFlight = 0;
        const send = () => {
          while (inFlight < depth && Date.now() < deadline) {
            socket.write(wire[next++ % wire.length] as string);
            inFlight++;
          }
          if (inFlight === 0) socket.end();
        };
        socket.setEncoding('utf8');
        socket.on('connect', send);
        socket.on('data', (chunk: string) => {
          buffer += chunk;
          for (;;) {
            const headEnd = buffer.indexOf('\r\n\r\n');
            if (headEnd < 0) break;
            const head = buffer.slice(0, headEnd);
            const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
            if (buffer.length < headEnd + 4 + length) break; // bodies are ASCII JSON: chars = bytes
            if (!head.startsWith('HTTP/1.1 200'))
              return reject(new Error(`unexpected answer: ${head.split('\r\n')[0]}`));
            buffer = buffer.slice(headEnd + 4 + length);
            done++;
            inFlight--;
          }
          send();
        });
        socket.on('error', reject);
        socket.on('close', () => {
          if (--open === 0) resolve(done / (Number(process.hrtime.bigint() - started) / 1e9));
        });
      }
    });
  await run(1000); // warm-up
  return run(seconds * 1000);
}

async function main(): Promise<void> {
  const { child, ready } = await startSimulator();
  try {
    const login = await request(`${ready.apiUrl}/api/Auth/loginKey`, {
      userName: 'demo',
      apiKey: 'demo-api-key',
    });
    const token = (JSON.parse(login.text) as { token: string }).token;
    const quotesPerSecond = await measureQuotes(ready, token, 200_000);
    const requestsPerSecond = await measureRequests(ready, token, 5, 16, 4);
    const metrics = {
      quotesPerSecond: Math.round(quotesPerSecond),
      requestsPerSecond: Math.round(requestsPerSecond),
    };
    const targets: Record<string, number> = { quotesPerSecond: 50_000, requestsPerSecond: 5_000 };

    const rows = Object.entries(metrics).map(([name, value]) => [
      name,
      value.toLocaleString('en-US'),
      (targets[name] as number).toLocaleString('en-US'),
      value >= (targets[name] as number) ? 'ok' : 'BELOW',
    ]);
    const widths = [20, 14, 10, 6];
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
        .join('  ');
    console.log(`projectx-sim benchmark (node ${process.version}, ${os.cpus().length} cpus, rate limit off)`);
    console.log(line(['metric', 'value', 'target', '']));
    for (const row of rows) console.log(line(row as string[]));

    const dir = path.join(ROOT, 'bench-results');
    fs.mkdirSync(dir, { recursive: true });
    const result = { project: 'projectx-sim', node: process.version, cpus: os.cpus().length, metrics };
    fs.writeFileSync(path.join(dir, 'projectx-sim.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), path.join(dir, 'projectx-sim.json'))}`);
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
  }
}

await main();
