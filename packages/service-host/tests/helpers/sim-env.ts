import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '@riskd/projectx-sim';

/** Sessions open around the clock, every day (tests and the demo run at any hour). */
export const ALWAYS_OPEN_SESSIONS = Object.fromEntries(
  ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, [{ start: '00:00', end: '00:00' }]]),
);

/** A config document for a daemon against `sim` (rules and accounts as given). */
export function simConfig(
  sim: Pick<RunningSimulator, 'apiUrl' | 'userHubUrl' | 'marketHubUrl'>,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    broker: {
      userName: 'demo',
      apiKey: 'demo-api-key',
      apiUrl: sim.apiUrl,
      userHubUrl: sim.userHubUrl,
      marketHubUrl: sim.marketHubUrl,
      rateLimit: { limit: null },
    },
    tradingDay: { sessions: ALWAYS_OPEN_SESSIONS, holidays: [] },
    api: { port: 0 },
    rules: [],
    accounts: [],
    ...overrides,
  };
}

/** A simulator on port 0 and a temporary data directory. */
export interface SimEnv {
  readonly sim: RunningSimulator;
  readonly dir: string;
  readonly configPath: string;
  writeConfig(document: unknown): void;
  close(): Promise<void>;
}

export async function startSimEnv(options: SimulatorOptions = {}): Promise<SimEnv> {
  const sim = await startSimulator({ port: 0, walk: { enabled: false }, rateLimit: false, ...options });
  const dir = mkdtempSync(path.join(tmpdir(), 'riskd-int-'));
  chmodSync(dir, 0o700);
  const configPath = path.join(dir, 'riskd.config.json');
  return {
    sim,
    dir,
    configPath,
    writeConfig(document: unknown) {
      writeFileSync(configPath, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
    },
    async close() {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
