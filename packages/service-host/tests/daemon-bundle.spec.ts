import { spawnSync } from 'node:child_process';
import { statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleIsStale, DAEMON_BUNDLE, OUTPUTS, distDir } from '../scripts/daemon-bundle.mjs';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(packageDir, 'bin', 'riskd.mjs');
const build = path.join(packageDir, 'scripts', 'build-daemon.mjs');

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [file, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
}

describe('the compiled daemon (dist/riskd.mjs)', () => {
  it('when the build runs then both outputs exist and the bundle is fresh', () => {
    const result = run(build, []);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const name of OUTPUTS) expect(statSync(path.join(distDir, name)).size).toBeGreaterThan(1000);
    expect(bundleIsStale()).toBe(false);
  });

  it('when a source is newer than the bundle then riskd compiles it again before running', () => {
    expect(run(build, ['--if-stale']).status).toBe(0);
    const bundle = DAEMON_BUNDLE;
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const name of OUTPUTS) utimesSync(path.join(distDir, name), anHourAgo, anHourAgo);
    expect(bundleIsStale()).toBe(true);

    const result = run(bin, ['config', 'schema']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ title: 'Riskd config' });
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(anHourAgo.getTime() + 60_000);
    expect(bundleIsStale()).toBe(false);
  });

  it('when run from source on request then the command gives the same answer as compiled', () => {
    const compiled = run(bin, ['config', 'schema']);
    const fromSource = run(bin, ['config', 'schema'], { RISKD_FROM_SOURCE: '1' });
    expect(fromSource.status).toBe(0);
    expect(fromSource.stdout).toBe(compiled.stdout);
  });
});
