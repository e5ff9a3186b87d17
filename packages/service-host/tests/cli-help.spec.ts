import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { riskdVerbs } from '../src/cli/verbs.js';
import { runCli } from './helpers/cli-run.js';
import { expectGolden } from './helpers/golden.js';

const verbs = riskdVerbs();

describe('riskd --help (golden)', () => {
  it('when asked for help then the verb list matches the golden and exits 0', async () => {
    const { code, io } = await runCli(['--help']);
    expect(code).toBe(0);
    expectGolden('help/riskd.txt', io.stdoutText());
  });

  for (const verb of verbs) {
    const name = verb.words.join(' ');
    it(`when "riskd ${name} --help" is run then its help matches the golden and exits 0`, async () => {
      const { code, io } = await runCli([...verb.words, '--help']);
      expect(io.stderrText()).toBe('');
      expect(code).toBe(0);
      expectGolden(`help/${verb.words.join('-')}.txt`, io.stdoutText());
    });
  }
});

describe('riskd bad usage (exit 2)', () => {
  it('when no command is given then the help goes to stderr and it exits 2', async () => {
    const { code, io } = await runCli([]);
    expect(code).toBe(2);
    expect(io.stderrText()).toContain('Usage: riskd <command> [options]');
    expect(io.stdoutText()).toBe('');
  });

  it('when the command is unknown then it exits 2 naming it', async () => {
    const { code, io } = await runCli(['frobnicate']);
    expect(code).toBe(2);
    expect(io.stderrText()).toContain('unknown command "frobnicate"');
  });

  it('when an option is unknown then it exits 2 with the verb help', async () => {
    const { code, io } = await runCli(['audit', 'verify', '--fast']);
    expect(code).toBe(2);
    expect(io.stderrText()).toContain("Unknown option '--fast'");
    expect(io.stderrText()).toContain('Usage: riskd audit verify');
  });

  it('when a required argument is missing then it exits 2', async () => {
    const { code, io } = await runCli(['config', 'validate']);
    expect(code).toBe(2);
    expect(io.stderrText()).toContain('missing argument FILE');
  });

  it('when a group is given without its command then it exits 2; with --help it lists them and exits 0', async () => {
    const missing = await runCli(['service']);
    expect(missing.code).toBe(2);
    expect(missing.io.stderrText()).toContain('missing service command');
    const help = await runCli(['service', '--help']);
    expect(help.code).toBe(0);
    expect(help.io.stdoutText()).toContain('riskd service install: install the daemon as a system service');
  });

  it('when a value is out of range then it exits 2', async () => {
    const { code, io } = await runCli(['run', '--admin-stop-exit-code', '300']);
    expect(code).toBe(2);
    expect(io.stderrText()).toContain('--admin-stop-exit-code must be 0..255');
  });
});

describe('README', () => {
  it('when the README lists the commands then every verb has a row with its exit codes', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '..', 'README.md'), 'utf8');
    for (const verb of verbs) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`riskd ${verb.words.join(' ')}`));
      expect(row, `README row for riskd ${verb.words.join(' ')}`).toBeDefined();
      expect(row).toContain(verb.exitCodes);
    }
  });
});
