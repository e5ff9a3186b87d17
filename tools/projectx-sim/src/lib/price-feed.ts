import fs from 'node:fs';
import { ControlError } from './errors.js';
import type { MarketData, PriceUpdate } from './market-data.js';

/** Random-walk settings. */
export interface WalkSettings {
  /** Whether the walk runs on its timer. Default true. */
  enabled: boolean;
  /** Real milliseconds between steps (every contract steps once per interval). Default 250. */
  intervalMs: number;
}

/** A scripted price path for one contract. */
export interface PathSpec {
  /** Updates applied one after another. */
  points: PriceUpdate[];
  /** Real milliseconds between points; 0 applies every point at once. Default 250. */
  intervalMs?: number;
  /** Start over after the last point. Default false. */
  loop?: boolean;
}

/** One record of a replay file. */
export interface ReplayRecord extends PriceUpdate {
  /** Milliseconds from the start of the replay, or an ISO instant (relative to the first record). */
  t: number | string;
  contractId: string;
}

/** Replay options. */
export interface ReplaySpec {
  records?: ReplayRecord[];
  /** A JSON array or JSON Lines file of ReplayRecord, or a recorder dump (GatewayQuote events). */
  file?: string;
  /** Time multiplier (2 = twice as fast). Default 1. */
  speed?: number;
  loop?: boolean;
}

interface Driver {
  timer: NodeJS.Timeout | null;
  stop(): void;
}

/**
 * Drives prices: the seeded random walk (on by default), scripted paths, replays and bursts.
 * A contract driven by a path or a replay is left alone by the walk until that ends.
 */
export class PriceFeed {
  private walk: WalkSettings;
  private walkTimer: NodeJS.Timeout | null = null;
  private readonly paths = new Map<string, Driver>();
  private replayDriver: (Driver & { contracts: Set<string> }) | null = null;
  private stopped = false;

  constructor(
    private readonly market: MarketData,
    walk: Partial<WalkSettings> = {},
  ) {
    this.walk = { enabled: walk.enabled ?? true, intervalMs: walk.intervalMs ?? 250 };
    this.restartWalk();
  }

  walkSettings(): WalkSettings {
    return { ...this.walk };
  }

  setWalk(patch: Partial<WalkSettings>): WalkSettings {
    if (patch.intervalMs !== undefined && !(patch.intervalMs >= 1)) {
      throw new ControlError('CONTROL_INVALID', 'intervalMs must be >= 1');
    }
    this.walk = { ...this.walk, ...patch };
    this.restartWalk();
    return this.walkSettings();
  }

  private restartWalk(): void {
    if (this.walkTimer) clearInterval(this.walkTimer);
    this.walkTimer = null;
    if (!this.walk.enabled || this.stopped) return;
    this.walkTimer = setInterval(() => this.stepAll(1), this.walk.intervalMs);
    this.walkTimer.unref();
  }

  /** Steps the walk synchronously (one contract, or all that are not driven otherwise). */
  step(contractId: string | undefined, steps: number): void {
    if (contractId !== undefined) {
      this.market.require(contractId);
      for (let i = 0; i < steps; i++) this.market.walkStep(contractId);
      return;
    }
    this.stepAll(steps);
  }

  private stepAll(steps: number): void {
    for (const state of this.market.all()) {
      const id = state.contract.id;
      if (!state.marketOpen || this.paths.has(id) || this.replayDriver?.contracts.has(id)) continue;
      for (let i = 0; i < steps; i++) this.market.walkStep(id);
    }
  }

  /** Runs a scripted path on a contract (replacing any running one). */
  runPath(contractId: string, spec: PathSpec): void {
    this.market.require(contractId);
    if (!Array.isArray(spec.points) || spec.points.length === 0) {
      throw new ControlError('CONTROL_INVALID', 'a path needs at least one point');
    }
    this.stopPath(contractId);
    const interval = spec.intervalMs ?? 250;
    if (interval <= 0) {
      for (const point of spec.points) this.market.apply(contractId, point);
      return;
    }
    let index = 0;
    const driver: Driver = {
      timer: null,
      stop: () => {
        if (driver.timer) clearInterval(driver.timer);
        this.paths.delete(contractId);
      },
    };
    const tick = () => {
      const point = spec.points[index] as PriceUpdate;
      index++;
      if (index >= spec.points.length) {
        if (spec.loop) index = 0;
        else driver.stop();
      }
      this.market.apply(contractId, point);
    };
    this.paths.set(contractId, driver);
    tick();
    if (this.paths.has(contractId)) {
      driver.timer = setInterval(tick, interval);
      driver.timer.unref();
    }
  }

  stopPath(contractId: string): boolean {
    const driver = this.paths.get(contractId);
    driver?.stop();
    return driver !== undefined;
  }

  activePaths(): string[] {
    return [...this.paths.keys()];
  }

  /** Replays recorded prices with their original spacing (scaled by `speed`). */
  replay(spec: ReplaySpec): { records: number; contracts: string[]; durationMs: number } {
    const records = spec.records ?? (spec.file !== undefined ? loadReplayFile(spec.file) : undefined);
    if (!records || records.length === 0)
      throw new ControlError('REPLAY_INVALID', 'a replay needs records or a file');
    const normalized = normalizeReplay(records);
    for (const r of normalized) this.market.require(r.contractId);
    const speed = spec.speed ?? 1;
    if (!(speed > 0)) throw new ControlError('REPLAY_INVALID', 'speed must be > 0');
    this.stopReplay();
    const contracts = new Set(normalized.map((r) => r.contractId));
    const durationMs = (normalized[normalized.length - 1] as { offsetMs: number }).offsetMs / speed;
    let index = 0;
    let startedAt = Date.now();
    const driver: Driver & { contracts: Set<string> } = {
      timer: null,
      contracts,
      stop: () => {
        if (driver.timer) clearTimeout(driver.timer);
        if (this.replayDriver === driver) this.replayDriver = null;
      },
    };
    const pump = () => {
      const elapsed = (Date.now() - startedAt) * speed;
      while (index < normalized.length && (normalized[index] as { offsetMs: number }).offsetMs <= elapsed) {
        const r = normalized[index] as (typeof normalized)[number];
        this.market.apply(r.contractId, r.update);
        index++;
      }
      if (index >= normalized.length) {
        if (!spec.loop) return driver.stop();
        index = 0;
        startedAt = Date.now();
      }
      const next = normalized[index] as { offsetMs: number };
      const wait = Math.max(0, (next.offsetMs - (Date.now() - startedAt) * speed) / speed);
      driver.timer = setTimeout(pump, wait);
      driver.timer.unref();
    };
    this.replayDriver = driver;
    pump();
    return { records: normalized.length, contracts: [...contracts], durationMs };
  }

  stopReplay(): boolean {
    const driver = this.replayDriver;
    driver?.stop();
    return driver !== null;
  }

  replaying(): string[] {
    return this.replayDriver ? [...this.replayDriver.contracts] : [];
  }

  /**
   * Applies `count` quote updates to a contract as fast as possible, alternating one tick up and
   * down, yielding to the event loop every `batch` updates so hub frames go out (the benchmark).
   */
  burst(contractId: string, count: number, batch = 500): Promise<{ count: number; ms: number }> {
    const state = this.market.require(contractId);
    const tick = state.contract.tickSize;
    const base = state.last;
    const started = process.hrtime.bigint();
    let done = 0;
    return new Promise((resolve) => {
      const run = () => {
        const end = Math.min(count, done + batch);
        for (; done < end; done++) {
          const last = done % 2 === 0 ? base + tick : base;
          this.market.apply(contractId, { last, volume: 1 });
        }
        if (done < count) setImmediate(run);
        else resolve({ count, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      };
      run();
    });
  }

  close(): void {
    this.stopped = true;
    if (this.walkTimer) clearInterval(this.walkTimer);
    for (const driver of [...this.paths.values()]) driver.stop();
    this.stopReplay();
  }
}

interface NormalizedRecord {
  offsetMs: number;
  contractId: string;
  update: PriceUpdate;
}

function normalizeReplay(records: ReplayRecord[]): NormalizedRecord[] {
  const times = records.map((r, i) => {
    const t = typeof r.t === 'number' ? r.t : Date.parse(r.t);
    if (!Number.isFinite(t)) throw new ControlError('REPLAY_INVALID', `record ${i}: t is not a time`);
    if (typeof r.contractId !== 'string')
      throw new ControlError('REPLAY_INVALID', `record ${i}: contractId missing`);
    return t;
  });
  const first = Math.min(...times);
  return records
    .map((r, i) => {
      const update: PriceUpdate = {};
      if (r.bid !== undefined) update.bid = r.bid;
      if (r.ask !== undefined) update.ask = r.ask;
      if (r.last !== undefined) update.last = r.last;
      if (r.volume !== undefined) update.volume = r.volume;
      return { offsetMs: (times[i] as number) - first, contractId: r.contractId, update, i };
    })
    .sort((a, b) => a.offsetMs - b.offsetMs || a.i - b.i)
    .map(({ offsetMs, contractId, update }) => ({ offsetMs, contractId, update }));
}

/**
 * Reads a replay file: a JSON array or JSON Lines of ReplayRecord, or of recorder entries — the
 * GatewayQuote events of `GET /control/recorder` become records (bestBid, bestAsk, lastPrice at
 * the entry's simTime).
 */
export function loadReplayFile(file: string): ReplayRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ControlError('REPLAY_INVALID', `cannot read replay file ${file}`);
  }
  return fromRecordedItems(parseJsonOrLines(text, file));
}

/** A JSON array, a `{ entries: [...] }` object (the recorder's answer), one object, or JSON Lines. */
function parseJsonOrLines(text: string, file: string): unknown[] {
  try {
    const whole: unknown = JSON.parse(text);
    if (Array.isArray(whole)) return whole;
    const entries = (whole as { entries?: unknown } | null)?.entries;
    return Array.isArray(entries) ? entries : [whole];
  } catch {
    try {
      return text
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => JSON.parse(line) as unknown);
    } catch {
      throw new ControlError('REPLAY_INVALID', `replay file ${file} is not JSON or JSON Lines`);
    }
  }
}

/** Turns replay records or recorder entries into replay records. */
export function fromRecordedItems(items: unknown[]): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const rec = item as Record<string, unknown>;
    if (rec['target'] === 'GatewayQuote' && Array.isArray(rec['body'])) {
      const [contractId, quote] = rec['body'] as [unknown, Record<string, unknown> | undefined];
      if (typeof contractId !== 'string' || !quote) continue;
      out.push({
        t: String(rec['simTime'] ?? rec['wallTime']),
        contractId,
        bid: quote['bestBid'] as number,
        ask: quote['bestAsk'] as number,
        last: quote['lastPrice'] as number,
      });
    } else if ('contractId' in rec && 't' in rec) {
      out.push(rec as unknown as ReplayRecord);
    }
  }
  return out;
}
