import { RISKD_NODE_FLAGS, SERVICE_DESCRIPTION, SERVICE_NAME, type ServiceSpec } from './service-spec.js';

/** The node-windows `Service` options Riskd installs with. */
export interface WindowsServiceOptions {
  readonly name: string;
  readonly description: string;
  readonly script: string;
  readonly scriptOptions: string;
  readonly execPath: string;
  /** node's own options (node-windows `nodeOptions`). */
  readonly nodeOptions: readonly string[];
  readonly workingDirectory: string;
  readonly env: readonly { readonly name: string; readonly value: string }[];
  /** node-windows wrapper: seconds before a restart, its growth, and the restart budget. */
  readonly wait: number;
  readonly grow: number;
  readonly maxRestarts: number;
  readonly abortOnError: boolean;
}

/**
 * The Windows service: node-windows' wrapper under the service control manager, as LocalSystem
 * (node-windows' default account). The wrapper restarts the daemon whenever it exits, so an
 * admin stop stops the service itself (`sc.exe stop riskd`) before exiting: the control manager
 * then stops the wrapper and nothing restarts it.
 */
export function windowsServiceOptions(spec: ServiceSpec): WindowsServiceOptions {
  return {
    name: SERVICE_NAME,
    description: SERVICE_DESCRIPTION,
    script: spec.entry,
    scriptOptions: `run --config "${spec.configPath}"`,
    execPath: spec.nodePath,
    nodeOptions: [...RISKD_NODE_FLAGS],
    workingDirectory: spec.dataDir,
    // Tells the daemon it runs under the node-windows wrapper (an admin stop then stops the service).
    env: [
      { name: 'NODE_ENV', value: 'production' },
      { name: 'RISKD_WINDOWS_SERVICE', value: '1' },
    ],
    wait: 2,
    grow: 0.25,
    maxRestarts: 1000,
    abortOnError: false,
  };
}

/** The commands that restrict the data directory to SYSTEM and Administrators. */
export function windowsAclCommands(spec: ServiceSpec): string[] {
  return [`icacls "${spec.dataDir}" /inheritance:r /grant:r "SYSTEM:(OI)(CI)F" "Administrators:(OI)(CI)F"`];
}

/** What `--dry-run` prints for Windows. */
export function renderWindowsPlan(spec: ServiceSpec): string {
  const o = windowsServiceOptions(spec);
  return `Windows service (node-windows, account LocalSystem)
  name:              ${o.name}
  description:       ${o.description}
  node:              ${o.execPath} ${o.nodeOptions.join(' ')}
  script:            ${o.script}
  arguments:         ${o.scriptOptions}
  working directory: ${o.workingDirectory}
  environment:       ${o.env.map((e) => `${e.name}=${e.value}`).join(' ')}
  restarts:          wait ${o.wait} s, grow ${o.grow}, at most ${o.maxRestarts} (node-windows wrapper)
  start:             automatic, at boot
  admin stop:        the daemon runs \`sc.exe stop ${o.name}\` and exits ${spec.adminStopExitCode}; the service stays stopped
  data directory:    ${spec.dataDir} (SYSTEM and Administrators only)
${windowsAclCommands(spec)
  .map((c) => `  acl:               ${c}`)
  .join('\n')}
`;
}

/** The part of node-windows' `Service` Riskd uses. */
interface NodeWindowsService {
  readonly exists: boolean;
  on(event: string, listener: (...args: unknown[]) => void): void;
  install(): void;
  uninstall(): void;
  start(): void;
}

type NodeWindowsModule = { Service: new (options: Record<string, unknown>) => NodeWindowsService };

/**
 * Loads node-windows (an optional dependency that installs only on Windows). Imported on win32
 * alone; the specifier is a variable so that type-checking on other platforms needs no types.
 */
async function loadNodeWindows(): Promise<NodeWindowsModule> {
  if (process.platform !== 'win32') throw new Error('node-windows runs on Windows only');
  const specifier = 'node-windows';
  return (await import(specifier)) as NodeWindowsModule;
}

/** Installs and starts the Windows service. */
export async function installWindowsService(spec: ServiceSpec): Promise<void> {
  const { Service } = await loadNodeWindows();
  const svc = new Service({ ...windowsServiceOptions(spec) });
  await new Promise<void>((resolve, reject) => {
    svc.on('install', () => {
      svc.start();
      resolve();
    });
    svc.on('alreadyinstalled', () => resolve());
    svc.on('invalidinstallation', () => reject(new Error('the service installation is invalid')));
    svc.on('error', (err) => reject(err instanceof Error ? err : new Error(String(err))));
    svc.install();
  });
}

/** Stops and removes the Windows service (the data directory stays). */
export async function uninstallWindowsService(spec: ServiceSpec): Promise<void> {
  const { Service } = await loadNodeWindows();
  const svc = new Service({ ...windowsServiceOptions(spec) });
  await new Promise<void>((resolve, reject) => {
    svc.on('uninstall', () => resolve());
    svc.on('error', (err) => reject(err instanceof Error ? err : new Error(String(err))));
    svc.uninstall();
  });
}
