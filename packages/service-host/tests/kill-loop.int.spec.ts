import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RiskdClient } from '@riskd/api-client';
import type { Lockout } from '@riskd/core-engine';
import { startSimulator, type RunningSimulator } from '@riskd/projectx-sim';
import { afterAll, describe, expect, it } from 'vitest';
import { RiskdProcess } from './helpers/daemon-process.js';
import { RecordingProxy } from './helpers/recording-proxy.js';
import { runCli } from './helpers/cli-run.js';
import { ALWAYS_OPEN_SESSIONS } from './helpers/sim-env.js';

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with KILL_LOOP_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KILLS = 20;
const SEED = Number(process.env['KILL_LOOP_SEED'] ?? 20261126);
const ACCOUNTS = [70001, 70002, 70003, 70004];

/** Lockouts persisted in the database that are still in force at `now`. */
function persistedLockouts(dbPath: string, now: number): Lockout[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT value FROM StateRecord WHERE ns = 'lockout'").all() as {
      value: string;
    }[];
    return rows
      .map((r) => JSON.parse(r.value) as Lockout | null)
      .filter((l): l is Lockout => l !== null && (l.end.kind === 'condition' || l.end.at > now));
  } finally {
    db.close();
  }
}

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('kill -9 loop', () => {
  it(`when the daemon is killed -9 ${KILLS} times at random points of a trading session then no persisted lockout is lost, no close or reduce is sent twice for one key, and the audit trail verifies`, async () => {
    const rand = prng(SEED);
    const sim: RunningSimulator = await startSimulator({
      port: 0,
      walk: { enabled: false },
      rateLimit: false,
      seed: 3,
    });
    cleanup.push(() => sim.close());
    for (const id of ACCOUNTS.slice(2)) {
      sim.control.addAccount({
        id,
        name: `PRAC-V2-100001-${id}`,
        balance: 50_000,
        canTrade: true,
        isVisible: true,
        simulated: true,
      });
    }
    const proxy = new RecordingProxy(sim.apiUrl);
    await proxy.start();
    cleanup.push(() => proxy.close());
    const dir = mkdtempSync(path.join(tmpdir(), 'riskd-kill-'));
    chmodSync(dir, 0o700);
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const configPath = path.join(dir, 'riskd.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        broker: {
          userName: 'demo',
          apiKey: 'demo-api-key',
          apiUrl: proxy.url,
          userHubUrl: sim.userHubUrl,
          marketHubUrl: sim.marketHubUrl,
          rateLimit: { limit: null },
        },
        tradingDay: { sessions: ALWAYS_OPEN_SESSIONS, holidays: [] },
        api: { port: 0 },
        logging: { level: 'info' },
        rules: [
          { rule: 'max-contracts', options: { limit: 3 } },
          { rule: 'daily-loss-limit', options: { limit: 400 } },
          { rule: 'cooldown-after-loss', options: { tiers: [{ loss: 60, cooldown: '30m' }] } },
        ],
      }),
      { mode: 0o600 },
    );
    const dbPath = path.join(dir, 'riskd.db');
    const contracts = sim.fixture.contracts.filter((c) => /^(NQ|ES)[A-Z]\d$/.test(c.name));
    const base = new Map(contracts.map((c) => [c.id, c.price.last]));
    const tick = new Map(contracts.map((c) => [c.id, c.tickSize]));
    const setPrice = (id: string, price: number): void => {
      const t = tick.get(id) as number;
      const p = Math.round(price / t) * t;
      sim.control.setPrice(id, { bid: p, ask: p + t });
    };
    for (const c of contracts) setPrice(c.id, base.get(c.id) as number);
    const netSize = (accountId: number, contractId: string): number => {
      const p = sim.control
        .state()
        .positions.find((x) => x.accountId === accountId && x.contractId === contractId);
      return p ? (p.type === 1 ? p.size : -p.size) : 0;
    };
    const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

    const started = Date.now();
    let missing: string[] = [];
    let restartsChecked = 0;
    let lockoutsChecked = 0;
    const traderOrders = new Set<number>();
    for (let round = 0; round <= KILLS; round++) {
      const proc = RiskdProcess.spawn(['run', '--config', configPath]);
      const ready = await proc.ready();
      // Every lockout persisted before the kill that is still in force is in force again.
      const expected = persistedLockouts(dbPath, Date.now()).map((l) => l.id);
      const client = new RiskdClient({ baseUrl: ready.apiUrl });
      const inForce = new Set((await client.lockouts()).lockouts.map((l) => l.id));
      missing = missing.concat(
        expected.filter((id) => !inForce.has(id)).map((id) => `round ${round}: ${id}`),
      );
      if (round > 0) restartsChecked++;
      lockoutsChecked += expected.length;
      if (round === KILLS) {
        expect(await proc.terminate()).toBe(0);
        break;
      }
      // A scripted slice of the session, killed at a random point of it.
      const steps = 2 + Math.floor(rand() * 4);
      const killAfter = 1 + Math.floor(rand() * steps);
      for (let step = 0; step < steps; step++) {
        if (step === killAfter) break;
        const account = ACCOUNTS[Math.floor(rand() * ACCOUNTS.length)] as number;
        const contract = contracts[Math.floor(rand() * contracts.length)] as (typeof contracts)[number];
        const action = rand();
        if (action < 0.55) {
          const placed = sim.control.placeOrder({
            accountId: account,
            contractId: contract.id,
            type: 2,
            side: rand() < 0.7 ? 0 : 1,
            size: 1 + Math.floor(rand() * 6),
          });
          if (placed.orderId !== null) traderOrders.add(placed.orderId);
        } else if (action < 0.85) {
          const moved = (base.get(contract.id) as number) + (rand() - 0.6) * 16;
          setPrice(contract.id, moved);
        } else {
          const size = netSize(account, contract.id);
          if (size !== 0) {
            const placed = sim.control.placeOrder({
              accountId: account,
              contractId: contract.id,
              type: 2,
              side: size > 0 ? 1 : 0,
              size: Math.abs(size),
            });
            if (placed.orderId !== null) traderOrders.add(placed.orderId);
          }
        }
        await pause(Math.floor(rand() * 200));
      }
      // Sometimes at once (mid-enforcement), sometimes after the engine settled.
      await pause(rand() < 0.5 ? Math.floor(rand() * 20) : Math.floor(rand() * 300));
      await proc.kill9();
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    console.info(`kill -9 loop: ${KILLS} kills, seed ${SEED}, ${seconds} s`);

    expect(restartsChecked).toBe(KILLS);
    expect(missing).toEqual([]);
    // The check is not vacuous: lockouts were persisted and found in force again after restarts.
    expect(lockoutsChecked).toBeGreaterThan(0);
    const actions = proxy.requests.filter((r) =>
      /Position\/(closeContract|partialCloseContract)$/i.test(r.path),
    );
    const perKey = new Map<string, number>();
    for (const r of actions) {
      expect(
        r.idempotencyKey,
        `an enforcement request without a key: ${JSON.stringify(r.body)}`,
      ).not.toBeNull();
      perKey.set(r.idempotencyKey as string, (perKey.get(r.idempotencyKey as string) ?? 0) + 1);
    }
    // A repeated key is a duplicate unless it is a new breach: core-engine keys a reduce by
    // (account, contract, target, position epoch), so a position the trader grew again after a
    // confirmed reduce, in the same epoch, is reduced again under the same key. Such a repeat is
    // legitimate only when a trader fill on that account and contract came in between.
    const trades = sim.control.state().trades.filter((t) => traderOrders.has(t.orderId));
    const duplicates: string[] = [];
    let rebreaches = 0;
    for (const [key, n] of perKey) {
      if (n < 2) continue;
      const [account, contractId, action] = key.split(':');
      const times = actions.filter((r) => r.idempotencyKey === key).map((r) => r.at);
      for (let i = 1; i < times.length; i++) {
        const grew = trades.some(
          (t) =>
            String(t.accountId) === account &&
            t.contractId === contractId &&
            Date.parse(t.creationTimestamp) > (times[i - 1] as number) &&
            Date.parse(t.creationTimestamp) < (times[i] as number),
        );
        if (action?.startsWith('reduce-to-') && grew) rebreaches++;
        else duplicates.push(`${key} (request ${i + 1} of ${n})`);
      }
    }
    expect(duplicates).toEqual([]);
    expect(actions.length).toBeGreaterThan(0);
    const verify = await runCli(['audit', 'verify', '--config', configPath]);
    expect(verify.io.stderrText()).toBe('');
    expect(verify.code).toBe(0);
    console.info(
      `kill -9 loop: ${lockoutsChecked} persisted lockouts found in force again after restarts; ${actions.length} close/reduce requests over ${perKey.size} keys (${rebreaches} repeated key(s), each a new breach after a trader fill); ${verify.io.stdoutText().trim()}`,
    );
  }, 420_000);
});
