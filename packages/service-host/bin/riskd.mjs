#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=256 --v8-pool-size=1
// (The node flags are the service's: see RISKD_NODE_FLAGS in src/service/service-spec.ts.)
// The `riskd` command. The sources are TypeScript; the command runs their compiled form,
// dist/riskd.mjs (scripts/build-daemon.mjs, run by `npm install` and again here whenever a source
// file is newer than it), so the always-on daemon carries no compiler. RISKD_FROM_SOURCE=1 runs the
// sources through tsx's loader instead (and so does a failed compile, with a warning).
// Everything is resolved relative to this file, so it works from any working directory.
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleIsStale, DAEMON_BUNDLE } from '../scripts/daemon-bundle.mjs';

async function loadMain() {
  if (process.env.RISKD_FROM_SOURCE !== '1') {
    let fresh = !bundleIsStale();
    if (!fresh) {
      const build = fileURLToPath(new URL('../scripts/build-daemon.mjs', import.meta.url));
      const result = spawnSync(process.execPath, [build, '--if-stale', '--quiet'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      fresh = result.status === 0;
      if (!fresh) process.stderr.write(`${String(result.stderr ?? '').trim()}\nriskd: running from source\n`);
    }
    if (fresh) {
      await import('reflect-metadata');
      return (await import(pathToFileURL(DAEMON_BUNDLE).href)).main;
    }
  }
  const { register } = await import('node:module');
  const { register: registerTsx } = await import('tsx/esm/api');
  register(new URL('./source-condition-hook.mjs', import.meta.url));
  registerTsx();
  await import('reflect-metadata');
  return (await import(new URL('../src/cli/main.ts', import.meta.url).href)).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
