import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RiskdClient, type AlertWire, type LiveEvent, type LiveEventStream } from '@riskd/api-client';
import { startSimulator, type RunningSimulator } from '@riskd/projectx-sim';
import { setNoTraderPassword } from '../daemon/credentials.js';
import { EXIT_CODES } from '../daemon/exit-codes.js';
import { describeError } from '../daemon/host-errors.js';
import { RiskdDaemon } from '../daemon/riskd-daemon.js';
import { demoConfigDocument, DEMO_ACCOUNTS } from './demo-config.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Run the script, print the enforcements and exit (instead of running until stopped). */
  readonly once: boolean;
  /** The demo's data directory (config, database, logs); emptied at start. */
  readonly dir: string;
  /** The control API's port (7311); a free port is used when it is taken. */
  readonly port: number;
  /** Resolves when the demo should stop (Ctrl-C). */
  readonly shutdown: Promise<string>;
  /** Prints one line. */
  readonly out: (line: string) => void;
  /** How long each scripted breach may take to be enforced (default 20 s). */
  readonly stepTimeoutMs?: number;
}

/** The reason codes the script must produce, in order. */
export const DEMO_EXPECTED_CODES = [
  'MAX_CONTRACTS',
  'DAILY_LOSS_LIMIT',
  'COOLDOWN_AFTER_LOSS',
  'LOCKOUT_FILL_CLOSED',
] as const;

const ALERT_KINDS = new Set([
  'enforcement',
  'lockout-started',
  'escalation',
  'enforcement-failed',
  'warning',
]);

function time(iso: string): string {
  return iso.slice(11, 19);
}

/** A contract of the simulator's fixture by product (`NQ`, `ES`). */
function contractOf(sim: RunningSimulator, product: string): { id: string; name: string } {
  const contract = sim.fixture.contracts.find((c) => c.name.replace(/[FGHJKMNQUVXZ]\d$/, '') === product);
  if (!contract) throw new Error(`the simulator has no ${product} contract`);
  return { id: contract.id, name: contract.name };
}

/**
 * The demo (`npm start`): the bundled ProjectX simulator in-process, a sample config and a
 * database under the demo directory, the real daemon with its API, and a scripted trader whose
 * trades breach rules one after another; every enforcement is printed as the live stream
 * reports it. Returns the exit code.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.out;
  const stepTimeoutMs = options.stepTimeoutMs ?? 20_000;
  const dir = path.resolve(options.dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);

  const sim = await startSimulator({ port: 0, seed: 7, walk: { enabled: false } });
  const configPath = path.join(dir, 'riskd.config.json');
  writeFileSync(
    configPath,
    `${JSON.stringify(demoConfigDocument(sim, { dataDir: dir, port: options.port }), null, 2)}\n`,
    {
      mode: 0o600,
    },
  );
  const names = new Map(sim.fixture.accounts.map((a) => [a.id, a.name]));
  const daemon = new RiskdDaemon({ configPath, dataDir: dir, console: 'none', apiPortFallback: true });
  let stream: LiveEventStream | undefined;
  const seen: string[] = [];
  let printer: Promise<void> = Promise.resolve();
  try {
    out('Riskd demo: the real daemon against the bundled ProjectX simulator, with a scripted trader.');
    out(`  config   ${configPath}`);
    out(`  database ${path.join(dir, 'riskd.db')} (logs in ${path.join(dir, 'logs')})`);
    const ready = await daemon.start();
    await setNoTraderPassword(daemon.storage, daemon.clock.now());
    const apiUrl = ready.apiUrl as string;
    if (options.port !== 0 && !apiUrl.endsWith(`:${options.port}`))
      out(`  port ${options.port} is taken: the control API listens on a free port instead`);
    out(
      `  control API ${apiUrl} (try ${apiUrl}/api/v1/accounts); ${ready.protectedAccounts} accounts protected`,
    );
    out('');

    const client = new RiskdClient({ baseUrl: apiUrl });
    stream = client.events();
    const live = stream;
    printer = (async () => {
      try {
        for await (const event of live) printEvent(event);
      } catch (err) {
        out(`  (live stream ended: ${describeError(err)})`);
      }
    })();
    function printEvent(event: LiveEvent): void {
      if (event.type !== 'alert') return;
      const alert: AlertWire = event.alert;
      if (!ALERT_KINDS.has(alert.kind) || alert.code === null) return;
      seen.push(alert.code);
      const who = alert.accountId === null ? '' : (names.get(alert.accountId) ?? String(alert.accountId));
      out(`  ▶ ${time(alert.at)}  ${alert.code.padEnd(22)} ${who}  ${alert.title}`);
      out(`      ${alert.message}`);
    }
    const waitForCode = async (code: string): Promise<void> => {
      const deadline = Date.now() + stepTimeoutMs;
      while (!seen.includes(code)) {
        if (Date.now() > deadline) throw new Error(`no ${code} enforcement within ${stepTimeoutMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

    const nq = contractOf(sim, 'NQ');
    const es = contractOf(sim, 'ES');
    const small = DEMO_ACCOUNTS.small;
    const large = DEMO_ACCOUNTS.large;
    const trade = (accountId: number, contractId: string, side: 'buy' | 'sell', size: number): void => {
      const answer = sim.control.placeOrder({
        accountId,
        contractId,
        type: 2,
        side: side === 'buy' ? 0 : 1,
        size,
      });
      if (!answer.success)
        throw new Error(
          `the simulator refused the trader's order: ${answer.errorMessage ?? answer.errorCode}`,
        );
    };

    out(
      `1. Contracts limit. The trader buys 7 ${nq.name} on ${names.get(small)}; its Topstep 50K preset allows 5.`,
    );
    sim.control.setPrice(nq.id, { bid: 21500, ask: 21500.25 });
    trade(small, nq.id, 'buy', 7);
    await waitForCode('MAX_CONTRACTS');
    await pause(300);

    out('');
    out(
      `2. Daily loss on an open position. ${nq.name} falls while the trader holds 5; the daily loss limit is 500 (combined P&L).`,
    );
    for (let bid = 21499; !seen.includes('DAILY_LOSS_LIMIT') && bid >= 21490; bid -= 1) {
      sim.control.setPrice(nq.id, { bid, ask: bid + 0.25 });
      await pause(350);
      const account = await client.account(small);
      out(`   ${nq.name} bid ${bid.toFixed(2)}: combined P&L ${account.pnl.combined}`);
    }
    await waitForCode('DAILY_LOSS_LIMIT');
    await pause(300);

    out('');
    out(
      `3. Cooldown after a losing round trip. On ${names.get(large)} the trader buys 2 ${es.name}, the price drops 2 points, they sell.`,
    );
    sim.control.setPrice(es.id, { bid: 6000, ask: 6000.25 });
    trade(large, es.id, 'buy', 2);
    await pause(400);
    sim.control.setPrice(es.id, { bid: 5998, ask: 5998.25 });
    await pause(300);
    trade(large, es.id, 'sell', 2);
    await waitForCode('COOLDOWN_AFTER_LOSS');
    await pause(300);

    out('');
    out(
      `4. A fill during a lockout. Still in the cooldown, the trader buys 1 ${es.name}: Riskd closes it at once.`,
    );
    trade(large, es.id, 'buy', 1);
    await waitForCode('LOCKOUT_FILL_CLOSED');
    await pause(500);

    out('');
    const missing = DEMO_EXPECTED_CODES.filter((c) => !seen.includes(c));
    out(
      `Script done: ${seen.length} enforcement alerts, every expected code seen${missing.length > 0 ? ` except ${missing.join(', ')}` : ''}.`,
    );
    if (options.once) return missing.length === 0 ? EXIT_CODES.OK : EXIT_CODES.FAILURE;

    sim.control.setWalk({ enabled: true });
    out(
      `Riskd keeps running with the simulator's prices moving: control API ${apiUrl}. Press Ctrl-C to stop.`,
    );
    await options.shutdown;
    out('Stopping...');
    return EXIT_CODES.OK;
  } catch (err) {
    out(`The demo failed: ${describeError(err)}`);
    return EXIT_CODES.FAILURE;
  } finally {
    stream?.close();
    await daemon.stop('demo finished').catch(() => undefined);
    await printer;
    await sim.close();
  }
}
