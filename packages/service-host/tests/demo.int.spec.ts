import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_EXPECTED_CODES } from '../src/demo/demo-runner.js';
import { RiskdProcess } from './helpers/daemon-process.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('riskd demo --once', () => {
  it('when the demo runs once then it prints the four enforcements with their codes and exits 0 in under 2 minutes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'riskd-demo-'));
    dirs.push(dir);
    const started = Date.now();
    const demo = RiskdProcess.spawn(['demo', '--once', '--port', '0', '--dir', dir]);
    const { code } = await demo.exited;
    const seconds = (Date.now() - started) / 1000;
    const out = demo.stdout.join('');
    expect(demo.stderr.join('')).toBe('');
    expect(code).toBe(0);
    expect(seconds).toBeLessThan(120);
    // Each expected code is printed as an enforcement line, in the script's order.
    const positions = DEMO_EXPECTED_CODES.map((c) => out.search(new RegExp(`▶ \\d\\d:\\d\\d:\\d\\d  ${c} `)));
    for (const [i, p] of positions.entries())
      expect(p, `${DEMO_EXPECTED_CODES[i]} printed`).toBeGreaterThan(-1);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(out).toMatch(/control API http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain('Script done:');
  }, 150_000);

  it('when the running demo gets Ctrl-C then it stops cleanly within a few seconds', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'riskd-demo-'));
    dirs.push(dir);
    const demo = RiskdProcess.spawn(['demo', '--port', '0', '--dir', dir]);
    const deadline = Date.now() + 120_000;
    while (!demo.stdout.join('').includes('Press Ctrl-C to stop')) {
      if (Date.now() > deadline)
        throw new Error(`the demo did not finish its script:\n${demo.stdout.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const interrupted = Date.now();
    demo.child.kill('SIGINT');
    const { code } = await demo.exited;
    expect(code).toBe(0);
    expect((Date.now() - interrupted) / 1000).toBeLessThan(5);
    expect(demo.stdout.join('')).toContain('Stopping...');
  }, 150_000);
});
