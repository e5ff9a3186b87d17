// Compiles the `riskd` command into plain JavaScript: dist/riskd.mjs (the CLI and daemon, with
// the workspace packages it uses) and dist/storage-writer.worker.mjs (the storage writer's
// thread). Running compiled JavaScript keeps TypeScript loader hooks (and their extra thread)
// out of the always-on daemon; see "Decisions" in the README.
//
// npm packages stay external (they are resolved from node_modules at run time, as before); the
// workspace packages (`@riskd/...`) are bundled from their TypeScript sources through the
// `@riskd/source` export condition. The output is written to a temporary file and renamed, so
// concurrent builds (several test processes) never expose a half-written file.
//
// Usage: node scripts/build-daemon.mjs [--if-stale] [--quiet]
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

import { distDir, OUTPUTS, packageDir, workspaceDir, bundleIsStale } from './daemon-bundle.mjs';

/** Every bare import except the workspace's own packages stays an import of node_modules. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@riskd/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

export async function buildDaemon() {
  mkdirSync(distDir, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const result = await esbuild.build({
    entryPoints: {
      riskd: path.join(packageDir, 'src/cli/main.ts'),
      'storage-writer.worker': path.join(packageDir, 'src/storage/storage-writer.worker.mjs'),
    },
    outdir: distDir,
    entryNames: `[name].${stamp}`,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@riskd/source'],
    plugins: [externalNpmPackages],
    sourcemap: 'linked',
    logLevel: 'silent',
    tsconfig: path.join(packageDir, 'tsconfig.json'),
    write: false,
  });
  // Sources first, then the maps' renames, so a reader never sees a new file with an old map.
  const outputs = result.outputFiles.sort(
    (a, b) => Number(a.path.endsWith('.map')) - Number(b.path.endsWith('.map')),
  );
  for (const file of outputs) {
    const finalPath = file.path.replace(`.${stamp}`, '');
    const text = file.text.replaceAll(`.${stamp}.mjs`, '.mjs');
    const tmp = `${file.path}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, finalPath);
  }
  return OUTPUTS.map((name) => path.join(distDir, name));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  const quiet = process.argv.includes('--quiet');
  if (ifStale && !bundleIsStale()) process.exit(0);
  try {
    const files = await buildDaemon();
    if (!quiet) console.log(`built ${files.map((f) => path.relative(workspaceDir, f)).join(', ')}`);
  } catch (err) {
    console.error(`riskd: could not compile the daemon: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
