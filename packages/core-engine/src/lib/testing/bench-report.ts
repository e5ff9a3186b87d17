import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Prints a benchmark's metrics as a table and writes `bench-results/<project>.json` at the
 * workspace root as `{ project, node, cpus, metrics }`.
 */
export function reportBench(project: string, metrics: Record<string, number>, notes: string[] = []): void {
  const rows = Object.entries(metrics).map(([name, value]) => [name, formatNumber(value)] as const);
  const width = Math.max(6, ...rows.map(([name]) => name.length));
  const valueWidth = Math.max(5, ...rows.map(([, v]) => v.length));
  const line = `+-${'-'.repeat(width)}-+-${'-'.repeat(valueWidth)}-+`;
  console.log(`\n${project} benchmark (node ${process.version}, ${os.cpus().length} cpus)`);
  console.log(line);
  console.log(`| ${'metric'.padEnd(width)} | ${'value'.padStart(valueWidth)} |`);
  console.log(line);
  for (const [name, value] of rows) console.log(`| ${name.padEnd(width)} | ${value.padStart(valueWidth)} |`);
  console.log(line);
  for (const note of notes) console.log(note);
  const root = findWorkspaceRoot(process.cwd());
  const dir = path.join(root, 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${project}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ project, node: process.version, cpus: os.cpus().length, metrics }, null, 2) + '\n',
  );
  console.log(`wrote ${path.relative(root, file)}`);
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value < 10 ? value.toFixed(4) : value.toFixed(1);
}

function findWorkspaceRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'nx.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}
