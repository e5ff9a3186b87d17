#!/usr/bin/env node
// `npm test`: format check, then lint, type-check and every project's tests through Nx, then one
// closing line that sums the tests of every project.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const resultsDir = path.join(root, 'test-results');

function run(command, args) {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

const started = Date.now();
fs.rmSync(resultsDir, { recursive: true, force: true });
let status = run('npx', ['prettier', '--check', '.']);
if (status === 0) {
  status = run('npx', ['nx', 'run-many', '-t', 'lint', 'typecheck', 'test', '--outputStyle=stream']);
}

let passed = 0;
let failed = 0;
let skipped = 0;
if (fs.existsSync(resultsDir)) {
  for (const file of fs.readdirSync(resultsDir).filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(fs.readFileSync(path.join(resultsDir, file), 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  }
}
if (status !== 0 && failed === 0) failed = 1; // a lint, format or type error counts as a failure
const seconds = ((Date.now() - started) / 1000).toFixed(0);
console.log(`\nnpm test finished in ${seconds}s`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status);
