import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceVerbs } from '../src/cli/service-verbs.js';
import {
  installSteps,
  applySteps,
  type CommandResult,
  type SystemOps,
} from '../src/service/service-manager.js';
import { defaultServiceSpec, packageRoot } from '../src/service/service-spec.js';
import { renderSystemdUnit } from '../src/service/systemd-unit.js';
import { expectGolden } from './helpers/golden.js';
import { runCli } from './helpers/cli-run.js';

/** Machine-specific paths become placeholders so the goldens hold on every machine. */
function normalize(text: string): string {
  return text.split(process.execPath).join('<node>').split(packageRoot()).join('<riskd>');
}

/** Records what an installation would do to the system. */
class RecordingOps implements SystemOps {
  readonly calls: string[] = [];
  readonly files = new Map<string, { content: string; mode: number }>();
  constructor(
    private readonly privileged = true,
    private readonly existing: ReadonlySet<string> = new Set(),
    private readonly failing: ReadonlySet<string> = new Set(),
  ) {}
  isPrivileged = (): boolean => this.privileged;
  exists = (p: string): boolean => this.existing.has(p) || this.files.has(p);
  mkdir = (p: string, mode: number): void => void this.calls.push(`mkdir ${p} ${mode.toString(8)}`);
  writeFile = (p: string, content: string, mode: number): void => {
    this.files.set(p, { content, mode });
    this.calls.push(`write ${p} ${mode.toString(8)}`);
  };
  copyFile = (from: string, to: string, mode: number): void => {
    this.files.set(to, { content: `copy of ${from}`, mode });
    this.calls.push(`copy ${from} ${to} ${mode.toString(8)}`);
  };
  restrictToRoot = (p: string): void => void this.calls.push(`restrict ${p}`);
  remove = (p: string): void => void this.calls.push(`remove ${p}`);
  run = (command: string, args: readonly string[]): CommandResult => {
    const line = [command, ...args].join(' ');
    this.calls.push(`run ${line}`);
    if (this.failing.has(line)) return { status: 1, stdout: '', stderr: 'Failed to connect to bus' };
    if (command === 'systemctl' && args[0] === 'show')
      return { status: 0, stdout: 'LoadState=loaded\nActiveState=active\nSubState=running\n', stderr: '' };
    return { status: 0, stdout: '', stderr: '' };
  };
  installWindows = async (): Promise<void> => void this.calls.push('node-windows install');
  uninstallWindows = async (): Promise<void> => void this.calls.push('node-windows uninstall');
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('riskd service --dry-run (golden)', () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    it(`when installing on ${platform} with --dry-run then the plan and the service file match the golden`, async () => {
      const { code, io } = await runCli([
        'service',
        'install',
        '--dry-run',
        '--platform',
        platform,
        '--config',
        '/etc/riskd/riskd.config.json',
      ]);
      expect(io.stderrText()).toBe('');
      expect(code).toBe(0);
      expectGolden(`service/install-${platform}.txt`, normalize(io.stdoutText()));
    });
  }

  it('when uninstalling on linux with --dry-run then the plan keeps the data directory', async () => {
    const { code, io } = await runCli(['service', 'uninstall', '--dry-run', '--platform', 'linux']);
    expect(code).toBe(0);
    expectGolden('service/uninstall-linux.txt', normalize(io.stdoutText()));
  });

  it('when another platform is asked for without --dry-run then it is bad usage (exit 2)', async () => {
    const other = process.platform === 'win32' ? 'linux' : 'win32';
    const { code, io } = await runCli(['service', 'install', '--platform', other]);
    expect(code).toBe(2);
    expect(io.stderrText()).toContain("--platform other than this machine's is only for --dry-run");
  });
});

describe('systemd unit', () => {
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  const haveAnalyze = analyze.status === 0;

  it('when systemd-analyze verifies the generated unit then it prints nothing (hardening included)', (ctx) => {
    if (!haveAnalyze) {
      console.warn('systemd-analyze not found: `systemd-analyze verify` of the generated unit is skipped');
      ctx.skip('systemd-analyze is not installed on this machine');
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'riskd-unit-'));
    dirs.push(dir);
    // ExecStart must point at executables that exist: this node and this package's bin.
    const unit = renderSystemdUnit(defaultServiceSpec({ platform: 'linux' }));
    const file = path.join(dir, 'riskd.service');
    writeFileSync(file, unit);
    const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('when the installation lives under /home then the home directories are read-only, not hidden', () => {
    const spec = defaultServiceSpec({
      platform: 'linux',
      installDir: '/home/trader/riskd/packages/service-host',
      nodePath: '/usr/bin/node',
    });
    expect(renderSystemdUnit(spec)).toContain('\nProtectHome=read-only\n');
    const system = defaultServiceSpec({
      platform: 'linux',
      installDir: '/opt/riskd/packages/service-host',
      nodePath: '/usr/bin/node',
    });
    expect(renderSystemdUnit(system)).toContain('\nProtectHome=yes\n');
  });

  it('when the unit is rendered then root, restart policy, admin-stop status and network ordering are set', () => {
    const unit = renderSystemdUnit(
      defaultServiceSpec({ platform: 'linux', nodePath: '/usr/bin/node', installDir: '/opt/riskd' }),
    );
    for (const line of [
      'User=root',
      'Restart=always',
      'RestartPreventExitStatus=78',
      'After=network-online.target',
      'Wants=network-online.target',
      'WantedBy=multi-user.target',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/riskd',
      'NoNewPrivileges=yes',
      'PrivateTmp=yes',
      'UMask=0077',
    ])
      expect(unit.split('\n')).toContain(line);
    expect(unit).not.toContain('MemoryDenyWriteExecute');
    expect(unit).toContain(
      'ExecStart=/usr/bin/node --max-semi-space-size=2 --max-old-space-size=256 --v8-pool-size=1 /opt/riskd/bin/riskd.mjs run --config /var/lib/riskd/riskd.config.json',
    );
  });
});

describe('service install steps', () => {
  it('when installing on linux as root then the data dir, config, unit and systemctl calls happen in order', async () => {
    const spec = defaultServiceSpec({
      platform: 'linux',
      nodePath: '/usr/bin/node',
      installDir: '/opt/riskd',
      configSource: '/root/riskd.config.json',
    });
    const ops = new RecordingOps(true, new Set(['/root/riskd.config.json']));
    const lines: string[] = [];
    await applySteps(installSteps(spec), ops, (l) => lines.push(l));
    expect(lines).toHaveLength(6);
    expect(ops.calls).toEqual([
      'mkdir /var/lib/riskd 700',
      'copy /root/riskd.config.json /var/lib/riskd/riskd.config.json 600',
      'restrict /var/lib/riskd',
      'write /etc/systemd/system/riskd.service 644',
      'run systemctl daemon-reload',
      'run systemctl enable --now riskd.service',
    ]);
    expect(ops.files.get('/etc/systemd/system/riskd.service')?.content).toBe(renderSystemdUnit(spec));
  });

  it('when not root then nothing is changed and the message says to use sudo or --dry-run (exit 1)', async () => {
    const ops = new RecordingOps(false);
    const { code, io } = await runCli(['service', 'install'], { verbs: serviceVerbs(ops) });
    expect(code).toBe(1);
    expect(io.stderrText()).toContain('needs root');
    expect(ops.calls).toEqual([]);
  });

  it('when no config is installed and none is given then the installation stops before writing the unit', async () => {
    const ops = new RecordingOps(true);
    const { code, io } = await runCli(['service', 'install'], { verbs: serviceVerbs(ops) });
    expect(code).toBe(1);
    expect(io.stderrText()).toContain('pass --config FILE');
    expect([...ops.files.keys()]).toEqual([]);
  });

  it('when systemctl fails then the command fails naming the call and its error', async () => {
    const ops = new RecordingOps(
      true,
      new Set(['/var/lib/riskd/riskd.config.json']),
      new Set(['systemctl daemon-reload']),
    );
    const { code, io } = await runCli(['service', 'install'], { verbs: serviceVerbs(ops) });
    expect(code).toBe(1);
    expect(io.stderrText()).toContain('`systemctl daemon-reload` failed (exit 1): Failed to connect to bus');
  });

  it('when the service is active then status prints the manager answer and exits 0', async () => {
    const ops = new RecordingOps(true);
    const { code, io } = await runCli(['service', 'status'], { verbs: serviceVerbs(ops) });
    if (process.platform !== 'linux') return; // the status command differs per platform
    expect(code).toBe(0);
    expect(io.stdoutText()).toContain('ActiveState=active');
    expect(ops.calls).toEqual([
      'run systemctl show riskd.service --property=LoadState,UnitFileState,ActiveState,SubState,MainPID,ExecMainStatus,NRestarts',
    ]);
  });

  it('when uninstalling on windows then node-windows removes the service', async () => {
    const ops = new RecordingOps(true);
    const { uninstallSteps } = await import('../src/service/service-manager.js');
    await applySteps(uninstallSteps(defaultServiceSpec({ platform: 'win32' })), ops, () => undefined);
    expect(ops.calls).toEqual(['node-windows uninstall']);
  });
});
