import { Readable } from 'node:stream';
import { RiskdApiError, RiskdClient } from '@riskd/api-client';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo } from '../src/cli/cli-io.js';
import { runDaemon } from '../src/cli/run-verb.js';
import { setNoTraderPassword } from '../src/daemon/credentials.js';
import { DaemonDesk, fakeBrokerConfig, MNQ, TUESDAY_RESET } from './helpers/daemon-harness.js';
import { runCli } from './helpers/cli-run.js';
import { waitFor } from './helpers/sim-env.js';

let desk: DaemonDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

async function apiError(promise: Promise<unknown>): Promise<RiskdApiError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RiskdApiError);
  return err as RiskdApiError;
}

describe('self-lockout (trader)', () => {
  it('when the trader locks until the reset then it holds across a restart, the trader cannot shorten or clear it, and the admin clears it with a reason', async () => {
    desk = new DaemonDesk();
    desk.writeConfig(fakeBrokerConfig());
    const set = await runCli(['admin', 'set-password', '--stdin', '--config', desk.configPath], {
      stdin: 'correct horse battery\n',
    });
    expect(set.code).toBe(0);
    const { daemon, ready } = await desk.start();
    await setNoTraderPassword(daemon.storage, desk.clock.now());
    const trader = new RiskdClient({ baseUrl: ready.apiUrl as string });

    const locked = await trader.selfLockout({ accountId: 1, until: 'reset', reason: 'tilted' });
    expect(locked.lockouts).toEqual([
      expect.objectContaining({
        id: '1:account',
        code: 'SELF_LOCKOUT',
        endsAt: new Date(TUESDAY_RESET).toISOString(),
      }),
    ]);
    // Asking again for less changes nothing: the trader cannot shorten a lockout.
    await trader.selfLockout({ accountId: 1, until: new Date(desk.clock.now() + 60_000).toISOString() });
    expect((await trader.lockouts({ accountId: 1 })).lockouts.map((l) => l.endsAt)).toEqual([
      new Date(TUESDAY_RESET).toISOString(),
    ]);
    // An instant in the past is refused.
    expect(
      (await apiError(trader.selfLockout({ accountId: 1, until: '2020-01-01T00:00:00.000Z' }))).status,
    ).toBe(400);
    // A fill during the lockout is closed.
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(1, MNQ, 'buy', 1);
    await desk.advance(100);
    expect(desk.broker.netSize(1, MNQ)).toBe(0);

    await daemon.stop();
    const second = await desk.start();
    const admin = new RiskdClient({ baseUrl: second.ready.apiUrl as string });
    expect((await admin.lockouts({ accountId: 1 })).lockouts.map((l) => l.code)).toEqual(['SELF_LOCKOUT']);
    // The trader has no admin route: without a token 401, with a trader token 403.
    expect((await apiError(admin.clearLockout('1:account', 'I feel fine'))).status).toBe(401);
    // An admin clear needs a reason.
    await admin.login('admin', 'correct horse battery');
    expect((await apiError(admin.clearLockout('1:account', '  '))).status).toBe(400);
    const cleared = await admin.clearLockout('1:account', 'entered by mistake, confirmed by phone');
    expect(cleared.lockout.code).toBe('SELF_LOCKOUT');
    expect((await admin.lockouts({ accountId: 1 })).lockouts).toEqual([]);
    // Audit rows are committed in batches: poll until the clear is in the trail.
    const audit = await waitFor(async () => {
      const page = await admin.audit({ kind: 'lockout-ended', accountId: 1 });
      return page.items.length > 0 ? page : undefined;
    }, 'the audit row of the clear');
    expect(audit.items[0]?.reason).toBe(
      'lockout of account (SELF_LOCKOUT) cleared by the admin: entered by mistake, confirmed by phone',
    );
    desk.expectNoErrors();
  });
});

describe('admin stop', () => {
  it('when the admin stops with flatten and lock then positions close, accounts lock, a critical alert goes out and riskd exits 78', async () => {
    desk = new DaemonDesk();
    desk.writeConfig(fakeBrokerConfig());
    expect(
      (
        await runCli(['admin', 'set-password', '--stdin', '--config', desk.configPath], {
          stdin: 'admin-pass-1',
        })
      ).code,
    ).toBe(0);
    const io = captureIo(Readable.from(['']));
    const running = runDaemon(desk.options(), io, new Promise(() => undefined));
    const line = await waitFor(() => io.out.find((l) => l.includes('"msg":"riskd ready"')), 'ready', 20_000);
    const apiUrl = (JSON.parse(line) as { apiUrl: string }).apiUrl;
    desk.broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
    desk.broker.trade(1, MNQ, 'buy', 2);
    desk.broker.trade(2, MNQ, 'sell', 1);
    await desk.advance(100);

    const admin = new RiskdClient({ baseUrl: apiUrl });
    await admin.login('admin', 'admin-pass-1');
    const alerts: string[] = [];
    const stream = admin.events();
    const reading = (async () => {
      for await (const e of stream)
        if (e.type === 'alert') alerts.push(`${e.alert.severity}:${e.alert.kind}`);
    })();
    await waitFor(() => stream.state === 'open', 'the live stream');
    expect((await apiError(admin.stop({ reason: '' }))).status).toBe(400);
    const answer = await admin.stop({ reason: 'end of the evaluation', flatten: true, lock: true });
    expect(answer).toMatchObject({ accepted: true, exitCode: 78, flattened: [1, 2], locked: [1, 2] });
    const stopping = waitFor(
      async () =>
        (await Promise.race([running, new Promise((r) => setTimeout(() => r(undefined), 10))])) as
          number | undefined,
      'exit',
      20_000,
    );
    // The flatten is executed by the engine on the fake clock.
    await waitFor(async () => {
      await desk?.clock.advance(50);
      return desk?.broker.netSize(1, MNQ) === 0 && desk.broker.netSize(2, MNQ) === 0;
    }, 'the flatten');
    expect(await stopping).toBe(78);
    stream.close();
    await reading;
    expect(alerts).toContain('critical:admin-stop');

    // After the stop the lockouts are persisted: the next start has them until the reset.
    const next = await desk.start();
    const lockouts = next.daemon.engine.state.allLockouts().map((l) => [l.id, l.code]);
    expect(lockouts).toEqual([
      ['1:account', 'ADMIN_STOP_FLATTEN'],
      ['2:account', 'ADMIN_STOP_FLATTEN'],
    ]);
    const stopRow = await next.daemon.storage.audit.list({ kind: 'system', code: 'ADMIN_STOP' });
    expect(stopRow.entries[0]?.reason).toContain('the admin stopped Riskd (end of the evaluation)');
  });
});
