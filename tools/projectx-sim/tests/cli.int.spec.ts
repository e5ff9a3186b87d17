import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli.js';
import { defaultFixture } from '../src/index.js';
import { post, waitFor } from './helpers.js';

const BIN = path.resolve(import.meta.dirname, '../bin/projectx-sim.mjs');

interface Ready {
  event: string;
  apiUrl: string;
  userHubUrl: string;
  marketHubUrl: string;
  controlUrl: string;
}

/** Spawns the bin from a neutral working directory and waits for its one JSON line. */
function launch(args: string[]): {
  child: ChildProcess;
  ready: Promise<{ ready: Ready; stdout: () => string }>;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: os.tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const ready = new Promise<{ ready: Ready; stdout: () => string }>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ ready: JSON.parse(line) as Ready, stdout: () => out });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return { child, ready };
}

describe('projectx-sim bin', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    child = undefined;
  });

  it('when started with --port 0 from another directory then it prints exactly one listening line and serves', async () => {
    const run = launch(['--port', '0', '--seed', '3']);
    child = run.child;
    const { ready, stdout } = await run.ready;
    const port = new URL(ready.apiUrl).port;
    expect(ready).toEqual({
      event: 'listening',
      apiUrl: `http://127.0.0.1:${port}`,
      userHubUrl: `http://127.0.0.1:${port}/hubs/user`,
      marketHubUrl: `http://127.0.0.1:${port}/hubs/market`,
      controlUrl: `http://127.0.0.1:${port}/control`,
    });
    const login = await post<{ success: boolean }>(ready, '/api/Auth/loginKey', {
      userName: 'demo',
      apiKey: 'demo-api-key',
    });
    expect(login.body.success).toBe(true);
    await waitFor(async () => (await fetch(`${ready.controlUrl}/state`)).ok);
    expect(stdout().trim().split('\n')).toHaveLength(1);
  });

  it('when started with --fixture and --no-rate-limit then the fixture is served and the limit is off', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxsim-'));
    const fixture = defaultFixture(Date.parse('2026-11-26T15:00:00Z'));
    fixture.users = [{ userName: 'trader', apiKey: 'k' }];
    fixture.accounts = fixture.accounts.slice(0, 1);
    fs.writeFileSync(path.join(dir, 'fixture.json'), JSON.stringify(fixture));
    const run = launch(['--port=0', '--fixture', path.join(dir, 'fixture.json'), '--no-rate-limit']);
    child = run.child;
    const { ready } = await run.ready;
    const state = (await (await fetch(`${ready.controlUrl}/state`)).json()) as {
      users: { userName: string }[];
      rateLimit: { enabled: boolean };
      clock: { mode: string; nowMs: number };
      walk: { enabled: boolean; intervalMs: number };
    };
    expect(state.users.map((u) => u.userName)).toEqual(['trader']);
    expect(state.rateLimit.enabled).toBe(false);
    // Defaults: real time (now) and the random walk running.
    expect(state.clock.mode).toBe('real');
    expect(Math.abs(state.clock.nowMs - Date.now())).toBeLessThan(60_000);
    expect(state.walk).toEqual({ enabled: true, intervalMs: 250 });
  });

  it('when the options are parsed then every flag maps to its simulator option', () => {
    expect(
      parseArgs([
        '--port',
        '5000',
        '--seed',
        '9',
        '--no-rate-limit',
        '--clock',
        '2026-12-01T00:00:00Z',
        '--no-walk',
        '--wrapped-events',
        '--split-fills',
        '1',
        '--record-all',
        '--ping-interval',
        '500',
      ]),
    ).toEqual({
      port: 5000,
      seed: 9,
      rateLimit: false,
      clock: { start: '2026-12-01T00:00:00Z' },
      walk: { enabled: false },
      variants: { wrappedUserEvents: true, splitFills: 1 },
      recorder: { full: true },
      hub: { pingIntervalMs: 500 },
    });
    expect(parseArgs(['--help'])).toBe('help');
    expect(() => parseArgs(['--port'])).toThrow('--port needs a value');
    expect(() => parseArgs(['--bogus'])).toThrow('unknown option --bogus');
  });
});
