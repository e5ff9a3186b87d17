import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeClock } from '@riskd/core-engine';
import { FAKE_CONTRACTS, FakeBroker } from '@riskd/core-engine/testing';
import { expect } from 'vitest';
import { RiskdDaemon, type ReadyInfo, type RiskdDaemonOptions } from '../../src/daemon/riskd-daemon.js';
import { MemoryLogSink } from '../../src/logging/memory-log-sink.js';
import { ALWAYS_OPEN_SESSIONS } from './sim-env.js';

export const MNQ = FAKE_CONTRACTS.MNQ.id;
export const ES = FAKE_CONTRACTS.ES.id;

/** Tuesday 2026-01-06 10:00 CST (16:00Z); the next reset is 17:00 CST = 23:00Z. */
export const TUESDAY = '2026-01-06T16:00:00Z';
export const TUESDAY_RESET = Date.parse('2026-01-06T23:00:00Z');

/** A config document for a daemon whose broker is replaced in-process (the URLs are never used). */
export function fakeBrokerConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    broker: { userName: 'trader', apiKey: 'test-api-key', apiUrl: 'http://127.0.0.1:9' },
    tradingDay: { sessions: ALWAYS_OPEN_SESSIONS, holidays: [] },
    api: { port: 0 },
    rules: [],
    accounts: [],
    ...overrides,
  };
}

/**
 * A data directory, a fake clock and a fake broker shared by the daemons a test starts one after
 * another (restarts keep the database, the broker and time).
 */
export class DaemonDesk {
  readonly dir: string;
  readonly configPath: string;
  readonly clock: FakeClock;
  readonly broker: FakeBroker;
  readonly sinks: MemoryLogSink[] = [];
  daemon: RiskdDaemon | undefined;

  constructor(start: string = TUESDAY, accounts: number[] = [1, 2]) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'riskd-desk-'));
    chmodSync(this.dir, 0o700);
    this.configPath = path.join(this.dir, 'riskd.config.json');
    this.clock = new FakeClock(start);
    this.broker = new FakeBroker({
      clock: this.clock,
      accounts: accounts.map((id) => ({ id, name: `ACC-${id}` })),
    });
  }

  writeConfig(document: unknown): void {
    writeFileSync(
      this.configPath,
      typeof document === 'string' ? document : `${JSON.stringify(document, null, 2)}\n`,
      {
        mode: 0o600,
      },
    );
  }

  /** Options of the daemons this desk starts. */
  options(extra: Partial<RiskdDaemonOptions> = {}): RiskdDaemonOptions {
    const sink = new MemoryLogSink();
    this.sinks.push(sink);
    return {
      configPath: this.configPath,
      env: {},
      clock: this.clock,
      broker: this.broker,
      console: 'none',
      logStreams: [sink],
      logFiles: false,
      schedules: false,
      ...extra,
    };
  }

  async start(extra: Partial<RiskdDaemonOptions> = {}): Promise<{ daemon: RiskdDaemon; ready: ReadyInfo }> {
    const daemon = new RiskdDaemon(this.options(extra));
    this.daemon = daemon;
    const ready = await daemon.start();
    return { daemon, ready };
  }

  /** The log sink of the latest daemon. */
  get sink(): MemoryLogSink {
    return this.sinks[this.sinks.length - 1] as MemoryLogSink;
  }

  /** Moves time and lets the engine's enforcement settle. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
    await this.daemon?.engine.enforcement.idle();
    await this.clock.advance(0);
  }

  /** Fails the test on error lines nobody expected. */
  expectNoErrors(allowed: readonly RegExp[] = []): void {
    const errors = this.sinks
      .flatMap((s) => s.errors())
      .filter((r) => !allowed.some((a) => a.test(String(r.msg))));
    expect(errors.map((e) => e.msg)).toEqual([]);
  }

  async close(): Promise<void> {
    await this.daemon?.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
