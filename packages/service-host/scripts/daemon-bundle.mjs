// Where the compiled daemon lives and whether it is older than its sources. Kept apart from the
// build script so that `bin/riskd.mjs` can check freshness without loading esbuild.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const workspaceDir = path.resolve(packageDir, '..', '..');
export const distDir = path.join(packageDir, 'dist');

/** The files the bundle is made from; a newer one makes it stale. */
export const BUNDLE_SOURCE_DIRS = [
  'packages/core-engine/src',
  'packages/broker-topstepx/src',
  'packages/rule-pack-standard/src',
  'packages/notifier/src',
  'packages/api-client/src',
  'packages/service-host/src',
  'tools/projectx-sim/src',
];

export const OUTPUTS = ['riskd.mjs', 'storage-writer.worker.mjs'];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (!entry.name.includes('.spec.')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** True when an output is missing or older than a source file or a package.json. */
export function bundleIsStale() {
  let oldestOutput = Infinity;
  for (const name of OUTPUTS) {
    const file = path.join(distDir, name);
    if (!existsSync(file)) return true;
    oldestOutput = Math.min(oldestOutput, statSync(file).mtimeMs);
  }
  for (const dir of BUNDLE_SOURCE_DIRS) {
    const full = path.join(workspaceDir, dir);
    if (existsSync(full) && newestMtime(full) > oldestOutput) return true;
    const manifest = path.join(path.dirname(full), 'package.json');
    if (existsSync(manifest) && statSync(manifest).mtimeMs > oldestOutput) return true;
  }
  return false;
}

/** The compiled command, run by `bin/riskd.mjs` when it is fresh. */
export const DAEMON_BUNDLE = path.join(distDir, 'riskd.mjs');
