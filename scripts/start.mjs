#!/usr/bin/env node
// `npm start`: the demo. The real riskd daemon runs against the bundled ProjectX simulator with a
// sample config (data under ./.riskd-demo/), and a scripted trader breaches rules one after
// another while each enforcement is printed as it happens. Ctrl-C stops it;
// `npm start -- --once` runs the script once and exits.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const riskd = path.join(root, 'packages', 'service-host', 'bin', 'riskd.mjs');
// Ctrl-C reaches the daemon too (same process group); this process waits for it to stop cleanly.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
const result = spawnSync(process.execPath, [riskd, 'demo', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
