import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { ServiceInstallError } from '../daemon/host-errors.js';
import { LAUNCHD_PLIST_PATH, renderLaunchdPlist } from './launchd-plist.js';
import { LAUNCHD_LABEL, SERVICE_NAME, type ServicePlatform, type ServiceSpec } from './service-spec.js';
import { renderSystemdUnit, SYSTEMD_UNIT_PATH } from './systemd-unit.js';
import {
  installWindowsService,
  renderWindowsPlan,
  uninstallWindowsService,
  windowsAclCommands,
} from './windows-service.js';

/** A command's result. */
export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The operating-system calls the installer makes (replaced in tests). */
export interface SystemOps {
  isPrivileged(): boolean;
  exists(p: string): boolean;
  mkdir(p: string, mode: number): void;
  writeFile(p: string, content: string, mode: number): void;
  copyFile(from: string, to: string, mode: number): void;
  /** Owner-only: files 0600, directories 0700, owned by root (uid/gid 0), recursively. */
  restrictToRoot(p: string): void;
  remove(p: string): void;
  run(command: string, args: readonly string[]): CommandResult;
  installWindows(spec: ServiceSpec): Promise<void>;
  uninstallWindows(spec: ServiceSpec): Promise<void>;
}

/** One step of an installation, printed by `--dry-run` and run otherwise. */
export interface ServiceStep {
  readonly description: string;
  /** A file the step writes, shown in full by `--dry-run`. */
  readonly file?: { readonly path: string; readonly mode: number; readonly content: string };
  apply(ops: SystemOps): Promise<void> | void;
}

const MANAGER: Record<ServicePlatform, string> = {
  linux: 'systemd',
  darwin: 'launchd',
  win32: 'Windows service control manager, node-windows',
};

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}

function mustRun(ops: SystemOps, command: string, args: readonly string[]): void {
  const result = ops.run(command, args);
  if (result.status !== 0) {
    throw new ServiceInstallError(
      `\`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? 'signal'}): ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
}

function commandStep(command: string, args: readonly string[], why?: string): ServiceStep {
  return {
    description: `run \`${[command, ...args].join(' ')}\`${why ? ` (${why})` : ''}`,
    apply: (ops) => mustRun(ops, command, args),
  };
}

function dataDirSteps(spec: ServiceSpec): ServiceStep[] {
  const win = spec.platform === 'win32';
  const owner = win ? 'SYSTEM and Administrators only' : 'owner root, mode 0700';
  const steps: ServiceStep[] = [
    {
      description: `create the data directory ${spec.dataDir} (${owner})`,
      apply: (ops) => ops.mkdir(spec.dataDir, 0o700),
    },
  ];
  if (spec.configSource !== undefined) {
    const source = spec.configSource;
    steps.push({
      description: `copy ${source} to ${spec.configPath} (${win ? 'SYSTEM and Administrators only' : 'owner root, mode 0600'})`,
      apply: (ops) => {
        if (!ops.exists(source)) throw new ServiceInstallError(`no config file at ${source}`);
        ops.copyFile(source, spec.configPath, 0o600);
      },
    });
  } else {
    steps.push({
      description: `check that ${spec.configPath} exists (pass --config FILE to install one)`,
      apply: (ops) => {
        if (!ops.exists(spec.configPath)) {
          throw new ServiceInstallError(
            `no config at ${spec.configPath}: pass --config FILE to copy one there (riskd config validate FILE first)`,
          );
        }
      },
    });
  }
  if (win) {
    for (const command of windowsAclCommands(spec)) {
      steps.push({
        description: `restrict the data directory: ${command}`,
        apply: (ops) => mustRun(ops, 'cmd.exe', ['/d', '/s', '/c', command]),
      });
    }
  } else {
    steps.push({
      description: `make everything in ${spec.dataDir} (config, database, logs) owned by root: files 0600, directories 0700`,
      apply: (ops) => ops.restrictToRoot(spec.dataDir),
    });
  }
  return steps;
}

/** The steps of `riskd service install` on the spec's platform. */
export function installSteps(spec: ServiceSpec): ServiceStep[] {
  const steps = dataDirSteps(spec);
  switch (spec.platform) {
    case 'linux': {
      const content = renderSystemdUnit(spec);
      steps.push(
        {
          description: `write the systemd unit ${SYSTEMD_UNIT_PATH} (owner root, mode 0644)`,
          file: { path: SYSTEMD_UNIT_PATH, mode: 0o644, content },
          apply: (ops) => ops.writeFile(SYSTEMD_UNIT_PATH, content, 0o644),
        },
        commandStep('systemctl', ['daemon-reload']),
        commandStep(
          'systemctl',
          ['enable', '--now', `${SERVICE_NAME}.service`],
          'start now and at every boot',
        ),
      );
      break;
    }
    case 'darwin': {
      const content = renderLaunchdPlist(spec);
      steps.push(
        {
          description: `write the launchd plist ${LAUNCHD_PLIST_PATH} (owner root:wheel, mode 0644)`,
          file: { path: LAUNCHD_PLIST_PATH, mode: 0o644, content },
          apply: (ops) => ops.writeFile(LAUNCHD_PLIST_PATH, content, 0o644),
        },
        commandStep('launchctl', ['bootstrap', 'system', LAUNCHD_PLIST_PATH], 'load and start it'),
        commandStep('launchctl', ['enable', `system/${LAUNCHD_LABEL}`], 'start at every boot'),
      );
      break;
    }
    case 'win32':
      steps.push({
        description: `install and start the Windows service:\n${renderWindowsPlan(spec)
          .trimEnd()
          .split('\n')
          .map((l) => `     ${l}`)
          .join('\n')}`,
        apply: (ops) => ops.installWindows(spec),
      });
      break;
  }
  return steps;
}

/** The steps of `riskd service uninstall` (the data directory stays). */
export function uninstallSteps(spec: ServiceSpec): ServiceStep[] {
  switch (spec.platform) {
    case 'linux':
      return [
        commandStep(
          'systemctl',
          ['disable', '--now', `${SERVICE_NAME}.service`],
          'stop it and keep it from starting at boot',
        ),
        { description: `remove ${SYSTEMD_UNIT_PATH}`, apply: (ops) => ops.remove(SYSTEMD_UNIT_PATH) },
        commandStep('systemctl', ['daemon-reload']),
        keepDataStep(spec),
      ];
    case 'darwin':
      return [
        commandStep('launchctl', ['bootout', `system/${LAUNCHD_LABEL}`], 'stop and unload it'),
        { description: `remove ${LAUNCHD_PLIST_PATH}`, apply: (ops) => ops.remove(LAUNCHD_PLIST_PATH) },
        keepDataStep(spec),
      ];
    case 'win32':
      return [
        {
          description: `stop and remove the Windows service "${SERVICE_NAME}" (node-windows)`,
          apply: (ops) => ops.uninstallWindows(spec),
        },
        keepDataStep(spec),
      ];
  }
}

function keepDataStep(spec: ServiceSpec): ServiceStep {
  return {
    description: `keep ${spec.dataDir} (config, database, audit trail); remove it by hand if it is no longer needed`,
    apply: () => undefined,
  };
}

/** The command `riskd service status` runs. */
export function statusCommand(platform: ServicePlatform): { command: string; args: string[] } {
  switch (platform) {
    case 'linux':
      return {
        command: 'systemctl',
        args: [
          'show',
          `${SERVICE_NAME}.service`,
          '--property=LoadState,UnitFileState,ActiveState,SubState,MainPID,ExecMainStatus,NRestarts',
        ],
      };
    case 'darwin':
      return { command: 'launchctl', args: ['print', `system/${LAUNCHD_LABEL}`] };
    case 'win32':
      return { command: 'sc.exe', args: ['query', SERVICE_NAME] };
  }
}

/** Renders a plan for `--dry-run`. */
export function renderPlan(
  verb: 'install' | 'uninstall',
  spec: ServiceSpec,
  steps: readonly ServiceStep[],
): string {
  const lines = [
    `riskd service ${verb} --dry-run: nothing is changed`,
    `platform: ${spec.platform} (${MANAGER[spec.platform]})`,
    '',
    ...steps.map((s, i) => `${i + 1}. ${s.description}`),
  ];
  for (const step of steps) {
    if (!step.file) continue;
    lines.push(
      '',
      `--- ${step.file.path} (mode ${octal(step.file.mode)}) ---`,
      step.file.content.trimEnd(),
      '--- end ---',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the steps in order; the first failure stops the installation. */
export async function applySteps(
  steps: readonly ServiceStep[],
  ops: SystemOps,
  report: (line: string) => void,
): Promise<void> {
  if (!ops.isPrivileged()) {
    throw new ServiceInstallError(
      'installing a system service needs root (Administrator on Windows): run it with sudo, or add --dry-run to see what it would do',
    );
  }
  for (const [i, step] of steps.entries()) {
    report(`${i + 1}. ${step.description.split('\n')[0]}`);
    await step.apply(ops);
  }
}

/** The real operating-system calls. */
export const nodeSystemOps: SystemOps = {
  isPrivileged: () =>
    process.platform === 'win32'
      ? spawnSync('net', ['session'], { stdio: 'ignore' }).status === 0
      : process.getuid?.() === 0,
  exists: (p) => existsSync(p),
  mkdir: (p, mode) => {
    mkdirSync(p, { recursive: true, mode });
    chmodSync(p, mode);
  },
  writeFile: (p, content, mode) => {
    writeFileSync(p, content, { mode });
    chmodSync(p, mode);
  },
  copyFile: (from, to, mode) => {
    copyFileSync(from, to);
    chmodSync(to, mode);
  },
  restrictToRoot: (p) => {
    const walk = (entry: string): void => {
      const stat = statSync(entry);
      chownSync(entry, 0, 0);
      if (stat.isDirectory()) {
        chmodSync(entry, 0o700);
        for (const child of readdirSync(entry)) walk(path.join(entry, child));
      } else {
        chmodSync(entry, 0o600);
      }
    };
    walk(p);
  },
  remove: (p) => rmSync(p, { force: true }),
  run: (command, args) => {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    return {
      status: result.error ? null : result.status,
      stdout: result.stdout ?? '',
      stderr: result.error ? result.error.message : (result.stderr ?? ''),
    };
  },
  installWindows: (spec) => installWindowsService(spec),
  uninstallWindows: (spec) => uninstallWindowsService(spec),
};
