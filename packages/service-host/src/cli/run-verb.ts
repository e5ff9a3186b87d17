import { ConfigError } from '../config/config-errors.js';
import { EXIT_CODES } from '../daemon/exit-codes.js';
import { describeError, StartupError, UsageError } from '../daemon/host-errors.js';
import type { ReadyInfo, RiskdDaemonOptions } from '../daemon/riskd-daemon.js';
import type { CliIo } from './cli-io.js';
import { CONFIG_OPTION, configPathOf, reportConfigError } from './config-verbs.js';
import type { Verb } from './verb.js';

/** The one JSON line `riskd run` prints on stdout when the accounts are protected. */
export function readyLine(info: ReadyInfo, at: number): string {
  return `${JSON.stringify({
    level: 30,
    time: at,
    msg: 'riskd ready',
    apiUrl: info.apiUrl,
    accounts: info.accounts,
    protectedAccounts: info.protectedAccounts,
    bootId: info.bootId,
    uncleanShutdown: info.restart.uncleanShutdown,
  })}\n`;
}

/** Resolves on the first SIGINT/SIGTERM; a second one ends the process at once. */
export function processShutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    let received = false;
    const on = (signal: NodeJS.Signals): void => {
      if (received) process.exit(EXIT_CODES.FAILURE);
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * Runs the daemon until a signal (clean stop, exit 0), an admin stop (its dedicated status), or a
 * start-up failure (exit 1, naming the module and the cause; an invalid config lists every
 * problem). An admin restart stops the daemon and starts a fresh one in the same process.
 */
export async function runDaemon(
  options: RiskdDaemonOptions,
  io: CliIo,
  signal: Promise<string> = io.shutdownSignal ?? processShutdownSignal(),
): Promise<number> {
  let stopSignal: string | undefined;
  void signal.then((s) => (stopSignal = s));
  // Loaded here, not at the top: `riskd --help` and the other verbs need none of the daemon.
  const { RiskdDaemon } = await import('../daemon/riskd-daemon.js');
  for (;;) {
    const daemon = new RiskdDaemon(options);
    let info: ReadyInfo;
    try {
      info = await daemon.start();
    } catch (err) {
      if (err instanceof ConfigError) return reportConfigError(err, io, 'riskd run: riskd refused to start');
      const module = err instanceof StartupError ? ` (module "${err.module}")` : '';
      io.stderr(`riskd run: riskd did not start${module}: ${describeError(err)}\n`);
      return EXIT_CODES.FAILURE;
    }
    io.stdout(readyLine(info, daemon.clock.now()));
    const outcome = await Promise.race([
      daemon.exitRequested.then((request) => ({ request })),
      signal.then((name) => ({ signal: name })),
    ]);
    if ('signal' in outcome || stopSignal !== undefined) {
      await daemon.stop(`signal ${stopSignal ?? ''}`.trim());
      return EXIT_CODES.OK;
    }
    await daemon.stop(outcome.request.reason);
    if (!outcome.request.restart) return outcome.request.code;
  }
}

export function runVerb(): Verb {
  return {
    words: ['run'],
    summary: 'run the daemon in the foreground',
    options: [
      CONFIG_OPTION,
      {
        name: 'admin-stop-exit-code',
        type: 'string',
        value: 'N',
        description: 'exit status after an admin stop (default 78; the launchd service uses 0)',
      },
    ],
    description: `Runs the daemon in the foreground: loads the config (refusing to start with every problem
listed), opens the database (migrations applied), restores state, applies missed resets,
reconciles with the broker and open enforcement intents, then prints one JSON line on stdout
with "msg":"riskd ready" and the control API's URL. Logs go to stderr (pretty on a terminal)
and to rotating files in the data directory. SIGINT or SIGTERM drains enforcement, flushes the
audit trail and exits 0; an admin stop exits with its own status.`,
    exitCodes: '0 stopped by a signal, 1 refused to start or failed, 2 bad usage, 78 stopped by the admin',
    async run(args, io) {
      const raw = args.values['admin-stop-exit-code'];
      let adminStopExitCode: number | undefined;
      if (typeof raw === 'string') {
        if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) > 255)
          throw new UsageError('--admin-stop-exit-code must be 0..255');
        adminStopExitCode = Number(raw);
      }
      return runDaemon(
        {
          configPath: configPathOf(args.values['config'], io),
          env: io.env,
          windowsService: process.platform === 'win32' && io.env['RISKD_WINDOWS_SERVICE'] === '1',
          ...(adminStopExitCode !== undefined ? { adminStopExitCode } : {}),
        },
        io,
      );
    },
  };
}
