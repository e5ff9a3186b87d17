import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_CODES } from '../daemon/exit-codes.js';
import { ServiceInstallError } from '../daemon/host-errors.js';

/** Platforms with a service manager Riskd installs into. */
export type ServicePlatform = 'linux' | 'darwin' | 'win32';

/** The name of the service (systemd unit `riskd.service`, Windows service `riskd`). */
export const SERVICE_NAME = 'riskd';
/** The launchd label (`/Library/LaunchDaemons/com.riskd.daemon.plist`). */
export const LAUNCHD_LABEL = 'com.riskd.daemon';
export const SERVICE_DESCRIPTION = 'Riskd: always-on risk guardian for TopstepX (ProjectX Gateway) accounts';

/** What gets installed: which node runs which entry with which config. */
export interface ServiceSpec {
  readonly platform: ServicePlatform;
  /** Absolute path of the node executable. */
  readonly nodePath: string;
  /** Absolute path of `bin/riskd.mjs`. */
  readonly entry: string;
  /** The installation directory (the package root); read-only for the service. */
  readonly installDir: string;
  /** The data directory: config, database, logs (root/SYSTEM only). */
  readonly dataDir: string;
  /** The config file the service runs with. */
  readonly configPath: string;
  /** Where the config is copied from at install, if given. */
  readonly configSource?: string;
  /** The exit status of an admin stop. */
  readonly adminStopExitCode: number;
}

/**
 * V8 settings the service runs node with (measured by `nx run service-host:bench`): a small young
 * generation and one V8 worker thread keep the resident memory about 80 MB lower without a latency
 * cost for this workload; an explicit old-generation size makes V8 grow the heap in proportion to
 * what the daemon keeps alive (about 60 MB under load) instead of to the machine's memory, which
 * keeps the peak under 200 MB. 256 MB is four times the live heap measured under load.
 */
export const RISKD_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=2',
  '--max-old-space-size=256',
  '--v8-pool-size=1',
];

/** The data directory of an installed service on each platform. */
export function installedDataDir(platform: ServicePlatform): string {
  return platform === 'win32' ? 'C:\\ProgramData\\riskd' : '/var/lib/riskd';
}

/** The package root of service-host (where `bin/riskd.mjs` lives), from the sources or the compiled daemon. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'bin', 'riskd.mjs'))) {
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new ServiceInstallError(`cannot find bin/riskd.mjs above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** The spec for this installation, on `platform` (default: this machine's). */
export function defaultServiceSpec(
  options: { platform?: ServicePlatform; nodePath?: string; installDir?: string; configSource?: string } = {},
): ServiceSpec {
  const platform = options.platform ?? (process.platform as ServicePlatform);
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  const installDir = options.installDir ?? packageRoot();
  const dataDir = installedDataDir(platform);
  return {
    platform,
    nodePath: options.nodePath ?? process.execPath,
    // The entry is on this machine: joined with this machine's separators even in a preview.
    entry: path.join(installDir, 'bin', 'riskd.mjs'),
    installDir,
    dataDir,
    configPath: join(dataDir, 'riskd.config.json'),
    ...(options.configSource === undefined ? {} : { configSource: options.configSource }),
    adminStopExitCode: EXIT_CODES.ADMIN_STOP,
  };
}
