import path from 'node:path';
import { DEFAULT_API_PORT } from '@riskd/api-client';
import { UsageError } from '../daemon/host-errors.js';
import { processShutdownSignal } from './run-verb.js';
import type { Verb } from './verb.js';

export function demoVerb(): Verb {
  return {
    words: ['demo'],
    summary: 'run the daemon against the bundled simulator with a scripted trader',
    options: [
      { name: 'once', type: 'boolean', description: 'run the script, print the enforcements and exit' },
      {
        name: 'port',
        type: 'string',
        value: 'N',
        description: `control API port (default ${DEFAULT_API_PORT}; a free port if taken)`,
      },
      {
        name: 'dir',
        type: 'string',
        value: 'DIR',
        description: 'data directory of the demo (default ./.riskd-demo, emptied at start)',
      },
    ],
    description: `Starts the bundled ProjectX simulator in-process, writes a sample config (two practice
accounts, Topstep presets, daily loss limit, cooldown after a loss) and a database under
./.riskd-demo/, runs the real daemon with its control API, and plays a scripted trader whose
trades breach rules one after another: a contracts limit, a daily loss on an open position as
the price moves, a cooldown after a losing round trip, a fill during a lockout. Each enforcement
is printed with its code and reason as the live stream reports it. Without --once it keeps
running (prices moving) until Ctrl-C.`,
    exitCodes: '0 done (or stopped with Ctrl-C), 1 the script failed, 2 bad usage',
    async run(args, io) {
      const rawPort = args.values['port'];
      let port = DEFAULT_API_PORT;
      if (typeof rawPort === 'string') {
        if (!/^[0-9]{1,5}$/.test(rawPort) || Number(rawPort) > 65535)
          throw new UsageError('--port must be 0..65535');
        port = Number(rawPort);
      }
      const dir = typeof args.values['dir'] === 'string' ? args.values['dir'] : '.riskd-demo';
      const { runDemo } = await import('../demo/demo-runner.js');
      return runDemo({
        once: args.values['once'] === true,
        dir: path.resolve(io.cwd, dir),
        port,
        shutdown: io.shutdownSignal ?? processShutdownSignal(),
        out: (line) => io.stdout(`${line}\n`),
      });
    },
  };
}
