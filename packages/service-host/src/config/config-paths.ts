import os from 'node:os';
import path from 'node:path';

/** The config file's name in the data directory. */
export const CONFIG_FILE_NAME = 'riskd.config.json';

/** Where the config path came from. */
export type ConfigPathSource = 'flag' | 'env' | 'installed' | 'user';

/** Inputs of {@link resolveConfigPath} and {@link resolveDataDir}. */
export interface ConfigLocationOptions {
  /** `--config FILE`, when given. */
  readonly flag?: string | undefined;
  /** The environment (default `process.env`); only `RISKD_CONFIG` (and `ProgramData` on Windows) is read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** True when running as the installed system service. */
  readonly installed?: boolean;
  /** The user's home directory; defaults to `os.homedir()`. */
  readonly home?: string;
  /** Defaults to `process.platform`. */
  readonly platform?: NodeJS.Platform;
  /** Base of a relative `--config` / `RISKD_CONFIG`; defaults to `process.cwd()`. */
  readonly cwd?: string;
}

/**
 * The data directory (ARCHITECTURE.md "Configuration"): `/var/lib/riskd` for the installed
 * service (`%ProgramData%\riskd` on Windows), `~/.riskd` otherwise. The demo uses its own
 * (`./.riskd-demo`) and passes it explicitly.
 */
export function resolveDataDir(options: ConfigLocationOptions = {}): string {
  const platform = options.platform ?? process.platform;
  const paths = platform === 'win32' ? path.win32 : path.posix;
  if (options.installed) {
    if (platform === 'win32') {
      return paths.join((options.env ?? process.env)['ProgramData'] ?? 'C:\\ProgramData', 'riskd');
    }
    return '/var/lib/riskd';
  }
  return paths.join(options.home ?? os.homedir(), '.riskd');
}

/**
 * The config file to use: `--config` first, then `RISKD_CONFIG`, then `riskd.config.json` in the
 * data directory (`/var/lib/riskd/riskd.config.json` installed, `~/.riskd/riskd.config.json`
 * otherwise). Relative paths are resolved against `cwd`.
 */
export function resolveConfigPath(options: ConfigLocationOptions = {}): {
  readonly path: string;
  readonly source: ConfigPathSource;
} {
  const platform = options.platform ?? process.platform;
  const paths = platform === 'win32' ? path.win32 : path.posix;
  const cwd = options.cwd ?? process.cwd();
  const flag = options.flag?.trim();
  if (flag) return { path: paths.resolve(cwd, flag), source: 'flag' };
  const fromEnv = (options.env ?? process.env)['RISKD_CONFIG']?.trim();
  if (fromEnv) return { path: paths.resolve(cwd, fromEnv), source: 'env' };
  return {
    path: paths.join(resolveDataDir(options), CONFIG_FILE_NAME),
    source: options.installed ? 'installed' : 'user',
  };
}
