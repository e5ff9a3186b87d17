import path from 'node:path';
import { describeError, UsageError } from '../daemon/host-errors.js';
import { EXIT_CODES } from '../daemon/exit-codes.js';
import {
  applySteps,
  installSteps,
  nodeSystemOps,
  renderPlan,
  statusCommand,
  uninstallSteps,
  type SystemOps,
} from '../service/service-manager.js';
import { defaultServiceSpec, SERVICE_NAME, type ServicePlatform } from '../service/service-spec.js';
import type { CliIo } from './cli-io.js';
import type { Verb, VerbArgs, VerbOption } from './verb.js';

const PLATFORMS: readonly ServicePlatform[] = ['linux', 'darwin', 'win32'];

const DRY_RUN: VerbOption = {
  name: 'dry-run',
  type: 'boolean',
  description: 'print what it would do (and the service file) without changing anything',
};
const PLATFORM: VerbOption = {
  name: 'platform',
  type: 'string',
  value: 'NAME',
  description: 'with --dry-run: show the plan for linux, darwin or win32',
};

function platformOf(args: VerbArgs): ServicePlatform {
  const requested = args.values['platform'];
  if (requested === undefined) {
    const own = process.platform as ServicePlatform;
    if (!PLATFORMS.includes(own)) throw new UsageError(`no service manager support on ${process.platform}`);
    return own;
  }
  if (typeof requested !== 'string' || !PLATFORMS.includes(requested as ServicePlatform)) {
    throw new UsageError(`--platform must be one of ${PLATFORMS.join(', ')}`);
  }
  if (!args.values['dry-run'] && requested !== process.platform) {
    throw new UsageError("--platform other than this machine's is only for --dry-run");
  }
  return requested as ServicePlatform;
}

/** The `riskd service ...` verbs; `ops` is replaced in tests. */
export function serviceVerbs(ops: SystemOps = nodeSystemOps): Verb[] {
  const install: Verb = {
    words: ['service', 'install'],
    summary: 'install the daemon as a system service (systemd, launchd, Windows)',
    options: [
      {
        name: 'config',
        type: 'string',
        value: 'FILE',
        description: "copy this config into the service's data directory",
      },
      DRY_RUN,
      PLATFORM,
    ],
    description: `Installs the daemon as a system service that starts at boot and restarts on failure,
except after an admin stop: a systemd unit on Linux, a launchd daemon on macOS, a Windows
service (node-windows, LocalSystem). The service runs as root (SYSTEM) with its config, database
and logs in /var/lib/riskd (C:\\ProgramData\\riskd), owned by root and readable by no one else.
Needs root (Administrator). Same as \`npx nx run service-host:install-service\`.`,
    exitCodes: '0 installed (or planned), 1 failed, 2 bad usage',
    async run(args, io) {
      const platform = platformOf(args);
      const config = args.values['config'];
      const spec = defaultServiceSpec({
        platform,
        ...(typeof config === 'string' ? { configSource: path.resolve(io.cwd, config) } : {}),
      });
      const steps = installSteps(spec);
      if (args.values['dry-run']) {
        io.stdout(renderPlan('install', spec, steps));
        return EXIT_CODES.OK;
      }
      return applyAndReport(
        steps,
        ops,
        io,
        `installed: the "${SERVICE_NAME}" service is running and starts at boot`,
      );
    },
  };
  const uninstall: Verb = {
    words: ['service', 'uninstall'],
    summary: 'stop and remove the system service (the data directory stays)',
    options: [DRY_RUN, PLATFORM],
    description: `Stops the service and removes it from the service manager. The data directory (config,
database, audit trail) is kept. Needs root (Administrator).`,
    exitCodes: '0 removed (or planned), 1 failed, 2 bad usage',
    async run(args, io) {
      const spec = defaultServiceSpec({ platform: platformOf(args) });
      const steps = uninstallSteps(spec);
      if (args.values['dry-run']) {
        io.stdout(renderPlan('uninstall', spec, steps));
        return EXIT_CODES.OK;
      }
      return applyAndReport(steps, ops, io, 'removed: the service is stopped and will not start at boot');
    },
  };
  const status: Verb = {
    words: ['service', 'status'],
    summary: 'show whether the system service is installed and running',
    options: [DRY_RUN, PLATFORM],
    description: `Asks the service manager about the service (systemctl show, launchctl print, sc.exe query)
and prints its answer.`,
    exitCodes: '0 the service is running, 1 not installed or not running, 2 bad usage',
    async run(args, io) {
      const { command, args: commandArgs } = statusCommand(platformOf(args));
      if (args.values['dry-run']) {
        io.stdout(`riskd service status --dry-run: would run \`${[command, ...commandArgs].join(' ')}\`\n`);
        return EXIT_CODES.OK;
      }
      const result = ops.run(command, commandArgs);
      io.stdout(result.stdout);
      if (result.status !== 0) {
        io.stderr(
          `riskd: ${result.stderr.trim() || `${command} exited ${result.status ?? 'on a signal'}`}\n`,
        );
        return EXIT_CODES.FAILURE;
      }
      const running = command === 'systemctl' ? /^ActiveState=active$/m.test(result.stdout) : true;
      return running ? EXIT_CODES.OK : EXIT_CODES.FAILURE;
    },
  };
  return [install, uninstall, status];
}

async function applyAndReport(
  steps: Parameters<typeof applySteps>[0],
  ops: SystemOps,
  io: CliIo,
  done: string,
): Promise<number> {
  try {
    await applySteps(steps, ops, (line) => io.stdout(`${line}\n`));
    io.stdout(`${done}\n`);
    return EXIT_CODES.OK;
  } catch (err) {
    io.stderr(`riskd: ${describeError(err)}\n`);
    return EXIT_CODES.FAILURE;
  }
}
