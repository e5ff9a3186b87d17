import { SystemClock } from '@riskd/core-engine';
import { testChannels } from '@riskd/notifier';
import { chatChannels } from '../daemon/chat-channels.js';
import { EXIT_CODES } from '../daemon/exit-codes.js';
import { CONFIG_OPTION, configPathOf, loadForCli, reportConfigError } from './config-verbs.js';
import type { Verb } from './verb.js';

export function notifyVerbs(): Verb[] {
  const test: Verb = {
    words: ['notify', 'test'],
    summary: 'send a test message to every configured notification channel',
    options: [
      CONFIG_OPTION,
      { name: 'json', type: 'boolean', description: 'print the results as one JSON document' },
    ],
    description: `Sends one test message straight to every enabled Discord webhook and Telegram chat of the
config's "notifications" section (no outbox, no retry, no quiet hours) and reports each result:
the HTTP status, how long it took, and what went wrong. Disabled channels are listed as skipped.
Secrets come from the config or its environment variables, as for the daemon, and are never
printed.`,
    exitCodes:
      '0 every enabled channel answered success, 1 a channel failed or the config is invalid, 2 bad usage',
    async run(args, io) {
      let channels;
      let timeZone;
      try {
        const loaded = await loadForCli(configPathOf(args.values['config'], io), io);
        channels = chatChannels(loaded.config.notifications);
        timeZone = loaded.config.tradingDay.timezone;
      } catch (err) {
        return reportConfigError(err, io, 'riskd notify test');
      }
      const results = await testChannels(channels, { clock: new SystemClock(), timeZone });
      const skipped = channels.filter((c) => !c.enabled).map((c) => c.id);
      const failed = results.filter((r) => !r.ok);
      if (args.values['json'] === true) {
        io.stdout(`${JSON.stringify({ results, skipped }, null, 2)}\n`);
      } else if (channels.length === 0) {
        io.stdout('no notification channels are configured ("notifications" in the config)\n');
      } else {
        for (const r of results) {
          const status = r.status === undefined ? '' : ` HTTP ${r.status}`;
          const outcome = r.ok ? 'ok' : `FAILED: ${r.error ?? 'unknown error'}`;
          io.stdout(`${r.channel} (${r.type}):${status} ${outcome} (${Math.round(r.ms)} ms)\n`);
        }
        for (const id of skipped) io.stdout(`${id}: skipped (disabled)\n`);
        io.stdout(
          failed.length === 0
            ? `${results.length} channel(s) reached\n`
            : `${failed.length} of ${results.length} channel(s) failed\n`,
        );
      }
      return failed.length === 0 ? EXIT_CODES.OK : EXIT_CODES.FAILURE;
    },
  };
  return [test];
}
