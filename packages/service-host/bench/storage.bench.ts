/**
 * Storage benchmark: audit rows per second through the storage writer (append + flush, hashed and
 * checkpointed), durable state write latency (idle and while audit rows stream in), and the same
 * latency with `synchronous = FULL`. Run: `tsx --conditions=@riskd/source bench/storage.bench.ts`.
 * `runStorageBench()` returns the metrics for the service-host benchmark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AuditEntry, silentLogger, SystemClock } from '@riskd/core-engine';
import { verifyAudit } from '../src/storage/audit-verify.js';
import { StorageModule } from '../src/storage/storage.module.js';

/** Metrics of {@link runStorageBench}; latencies in ms. */
export interface StorageBenchMetrics {
  readonly auditRowsPerSecond: number;
  readonly durableP50Ms: number;
  readonly durableP99Ms: number;
  readonly durableMaxMs: number;
  readonly durableUnderLoadP50Ms: number;
  readonly durableUnderLoadP99Ms: number;
  readonly durableFullSyncP50Ms: number;
  readonly durableFullSyncP99Ms: number;
  readonly verifyRowsPerSecond: number;
}

export interface StorageBenchOptions {
  /** Audit rows appended for the throughput figure (default 100,000). */
  readonly auditRows?: number;
  /** Durable writes timed per latency figure (default 2,000). */
  readonly durableWrites?: number;
}

const entry = (i: number): AuditEntry => ({
  at: Date.now(),
  kind: i % 4 === 0 ? 'action-sent' : 'decision',
  accountId: 1000 + (i % 20),
  contractId: 'CON.F.US.MNQ.H26',
  ruleId: 'daily-loss',
  instanceId: 'daily-loss#1',
  code: 'DAILY_LOSS_LIMIT',
  reason: `combined P&L -512.50 breaches the daily loss limit of 500.00 (#${i})`,
  mode: 'enforce',
  idempotencyKey: `${1000 + (i % 20)}:CON.F.US.MNQ.H26:close:${i}`,
  event: { kind: 'quote', contractId: 'CON.F.US.MNQ.H26', bid: 21000.25, ask: 21000.5, at: Date.now() },
  timings: { receivedAt: Date.now(), decidedAt: Date.now() },
  data: { level: 'close', attempt: 1, size: 2 },
});

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

async function withStorage<T>(
  dir: string,
  name: string,
  synchronous: 'normal' | 'full',
  run: (storage: StorageModule) => Promise<T>,
): Promise<T> {
  const storage = new StorageModule({
    url: path.join(dir, `${name}.db`),
    logger: silentLogger,
    clock: new SystemClock(),
    synchronous,
  });
  await storage.start();
  try {
    return await run(storage);
  } finally {
    await storage.stop();
  }
}

async function durableLatencies(storage: StorageModule, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await storage.stateStore.write(
      [{ ns: 'lockout', key: `${i % 20}:account`, value: { accountId: i % 20, startedAt: Date.now(), i } }],
      { durable: true },
    );
    out.push(performance.now() - started);
  }
  return out.sort((a, b) => a - b);
}

/** Runs the storage benchmark in a temporary folder and returns its metrics. */
export async function runStorageBench(options: StorageBenchOptions = {}): Promise<StorageBenchMetrics> {
  const auditRows = options.auditRows ?? 100_000;
  const durableWrites = options.durableWrites ?? 2_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'riskd-storage-bench-'));
  try {
    let dbPath = '';
    const auditRowsPerSecond = await withStorage(dir, 'audit', 'normal', async (storage) => {
      dbPath = storage.dbPath;
      for (let i = 0; i < 1_000; i += 1) storage.auditLog.append(entry(i));
      await storage.auditLog.flush();
      const started = performance.now();
      for (let i = 0; i < auditRows; i += 1) {
        storage.auditLog.append(entry(i));
        // Yield now and then, as a live daemon would between events.
        if (i % 1_000 === 999) await new Promise((resolve) => setImmediate(resolve));
      }
      await storage.auditLog.flush();
      return Math.round(auditRows / ((performance.now() - started) / 1000));
    });
    const verifyStarted = performance.now();
    const verified = verifyAudit(dbPath);
    const verifyRowsPerSecond = Math.round(verified.rows / ((performance.now() - verifyStarted) / 1000));
    if (!verified.ok)
      throw new Error(`audit verify failed: ${JSON.stringify(verified.problems.slice(0, 3))}`);

    const idle = await withStorage(dir, 'durable', 'normal', async (storage) => {
      await durableLatencies(storage, 200);
      return durableLatencies(storage, durableWrites);
    });
    const underLoad = await withStorage(dir, 'loaded', 'normal', async (storage) => {
      // About 2,000 audit rows per second alongside the durable writes.
      let i = 0;
      const load = setInterval(() => {
        for (let k = 0; k < 20; k += 1) storage.auditLog.append(entry(i++));
      }, 10);
      try {
        return await durableLatencies(storage, durableWrites);
      } finally {
        clearInterval(load);
      }
    });
    const full = await withStorage(dir, 'full', 'full', (storage) =>
      durableLatencies(storage, Math.min(500, durableWrites)),
    );
    return {
      auditRowsPerSecond,
      durableP50Ms: percentile(idle, 50),
      durableP99Ms: percentile(idle, 99),
      durableMaxMs: idle[idle.length - 1] ?? 0,
      durableUnderLoadP50Ms: percentile(underLoad, 50),
      durableUnderLoadP99Ms: percentile(underLoad, 99),
      durableFullSyncP50Ms: percentile(full, 50),
      durableFullSyncP99Ms: percentile(full, 99),
      verifyRowsPerSecond,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const metrics = await runStorageBench();
  console.log(`storage benchmark (node ${process.version}, ${os.cpus().length} cpus, ${os.tmpdir()})`);
  for (const [name, value] of Object.entries(metrics)) {
    console.log(
      `  ${name.padEnd(24)} ${Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(3)}`,
    );
  }
  console.log(JSON.stringify({ project: 'service-host-storage', metrics }));
}
