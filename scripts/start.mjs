#!/usr/bin/env node
// `npm start`: until the riskd daemon and its demo land (service-host), this runs the core-engine
// benchmark, a short run of the engine's hot path, and exits. `npm start -- --once` does the same.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
console.log(
  'Riskd: the daemon demo (the real daemon against the bundled ProjectX simulator) replaces this\n' +
    'once service-host lands. For now, `npm start` runs the core-engine benchmark.\n',
);
const result = spawnSync('npx', ['nx', 'run', 'core-engine:bench', '--outputStyle=stream'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
