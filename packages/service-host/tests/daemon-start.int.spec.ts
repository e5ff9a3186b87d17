import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo } from '../src/cli/cli-io.js';
import { runDaemon } from '../src/cli/run-verb.js';
import { DaemonDesk, fakeBrokerConfig, MNQ, TUESDAY_RESET } from './helpers/daemon-harness.js';
import { runCli } from './helpers/cli-run.js';
import { waitFor } from './helpers/sim-env.js';

let desk: DaemonDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

describe('start-up', () => {
  it('when the config has several errors then riskd run refuses to start and lists every one with its path', async () => {
    desk = new DaemonDesk();
    desk.writeConfig(
      fakeBrokerConfig({
        api: { port: 'seventy' },
        rules: [{ rule: 'daily-loss-limit', options: { limit: -5 } }, { rule: 'no-such-rule' }],
        accounts: [{ id: 1, preset: 'topstep-1m' }],
      }),
    );
    const { code, io } = await runCli(['run', '--config', desk.configPath]);
    expect(code).toBe(1);
    const err = io.stderrText();
    expect(err).toContain('riskd run: riskd refused to start');
    for (const p of ['api.port', 'rules[0].options.limit', 'rules[1].rule', 'accounts[0].preset'])
      expect(err).toContain(`  ${p}: `);
    expect(io.stdoutText()).toBe('');
  });

  it('when a module cannot start then riskd run exits 1 naming the module and the cause', async () => {
    desk = new DaemonDesk();
    // The database's folder is a regular file (the config itself): storage cannot open it.
    desk.writeConfig(fakeBrokerConfig({ storage: { url: 'file:./riskd.config.json/riskd.db' } }));
    const io = captureIo(Readable.from(['']));
    const code = await runDaemon(desk.options(), io, new Promise(() => undefined));
    expect(code).toBe(1);
    expect(io.stderrText()).toMatch(/^riskd run: riskd did not start \(module "storage"\): /);
  });

  it('when the daemon is ready then riskd run prints one JSON ready line with the API URL, and SIGTERM stops it cleanly', async () => {
    desk = new DaemonDesk();
    desk.writeConfig(fakeBrokerConfig());
    let sigterm!: (s: string) => void;
    const signal = new Promise<string>((resolve) => (sigterm = resolve));
    const io = captureIo(Readable.from(['']));
    const running = runDaemon(desk.options(), io, signal);
    const line = await waitFor(
      () => io.out.find((l) => l.includes('"msg":"riskd ready"')),
      'the ready line',
      20_000,
    );
    const ready = JSON.parse(line) as { apiUrl: string; accounts: number; msg: string };
    expect(ready).toMatchObject({ msg: 'riskd ready', accounts: 2 });
    expect(ready.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${ready.apiUrl}/healthz`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    sigterm('SIGTERM');
    expect(await running).toBe(0);
    expect(io.out.filter((l) => l.includes('riskd ready'))).toHaveLength(1);
    expect(desk.sink.withMessage('riskd stopped')).toHaveLength(1);
    desk.expectNoErrors();
  });
});

describe('restart safety', () => {
  it('when the daemon went down uncleanly over two resets then it catches them up once each, reports and alerts the unclean shutdown', async () => {
    desk = new DaemonDesk();
    desk.writeConfig(fakeBrokerConfig({ rules: [{ rule: 'daily-loss-limit', options: { limit: 100 } }] }));
    const first = await desk.start();
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(1, MNQ, 'buy', 1);
    await desk.advance(100);
    // The price falls: -120 combined on 1 MNQ (2 per point) breaches the 100 limit: flatten + lockout until the reset.
    desk.broker.setQuote(MNQ, { bid: 20940, ask: 20940.25, last: 20940 });
    await desk.advance(100);
    expect(first.daemon.engine.state.account(1)?.lockouts.get('1:account')?.end).toEqual({
      kind: 'at',
      at: TUESDAY_RESET,
    });
    await desk.advance(6_000); // a heartbeat of the run marker
    const aliveAt = desk.clock.now();
    await first.daemon.crashForTest();

    // Down from Tuesday 16:00Z to Thursday 15:00Z: the Tuesday and Wednesday resets were missed.
    desk.broker.trade(2, MNQ, 'buy', 1);
    await desk.clock.set('2026-01-08T15:00:00Z');
    const second = await desk.start();
    const alerts: string[] = [];
    second.daemon.hub.subscribe((e) => e.type === 'alert' && alerts.push(e.alert.kind));
    expect(second.ready.start.resetsCaughtUp).toBe(2);
    expect(second.daemon.engine.state.lastResetAt).toBe(Date.parse('2026-01-07T23:00:00Z'));
    expect(second.ready.restart).toMatchObject({
      uncleanShutdown: true,
      resetsCaughtUp: 2,
      fillsReconciled: 1,
    });
    expect(second.ready.restart.downSince).toBeGreaterThanOrEqual(aliveAt - 5_000);
    expect(second.ready.restart.downSince).toBeLessThanOrEqual(aliveAt);
    // The lockout ended at Tuesday's reset: it is gone once its (past) end timer runs.
    await desk.advance(0);
    expect(second.daemon.engine.state.account(1)?.lockouts.size).toBe(0);
    // The audit row is batched by the storage writer: wait until it is committed.
    const audit = await waitFor(async () => {
      const page = await second.daemon.storage.audit.list({ kind: 'system', code: 'UNCLEAN_SHUTDOWN' });
      return page.entries.length > 0 ? page : undefined;
    }, 'the UNCLEAN_SHUTDOWN audit row');
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]?.reason).toMatch(
      /^unclean shutdown, down from 2026-01-06T16:0\d:\d\d\.\d{3}Z to 2026-01-08T15:00:00\.000Z, 1 fills reconciled, \d+ actions taken on start$/,
    );
    expect(desk.sink.records.some((r) => r['kind'] === 'restart-report' && r.level === 50)).toBe(true);
    // The accounts the broker reported are recorded with their first sighting.
    const seen = await waitFor(async () => {
      const list = await second.daemon.storage.accounts.list();
      return list.length === 2 ? list : undefined;
    }, 'accounts seen');
    expect(seen.map((a) => [a.id, a.name])).toEqual([
      [1, 'ACC-1'],
      [2, 'ACC-2'],
    ]);
    expect(seen[0]?.firstSeenAt).toBe(Date.parse('2026-01-06T16:00:00Z'));
    await second.daemon.stop();

    // A clean stop: the next start reports no unclean shutdown.
    const third = await desk.start();
    expect(third.ready.restart.uncleanShutdown).toBe(false);
    expect(third.ready.start.resetsCaughtUp).toBe(0);
    // The second daemon's alerts: the lockout that ended while it was down, and its own stop.
    expect(alerts).toEqual(['lockout-ended', 'daemon-stopped']);
    await third.daemon.stop();
  });
});
