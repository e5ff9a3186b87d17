import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FakeClock, MemoryLogger } from '@riskd/core-engine';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialState } from '../src/daemon/credentials.js';
import { StorageModule } from '../src/storage/storage.module.js';
import { fakeBrokerConfig } from './helpers/daemon-harness.js';
import { runCli } from './helpers/cli-run.js';

const dirs: string[] = [];
function workspace(document: unknown = fakeBrokerConfig()): { dir: string; config: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'riskd-cli-'));
  chmodSync(dir, 0o700);
  dirs.push(dir);
  const config = path.join(dir, 'riskd.config.json');
  writeFileSync(config, typeof document === 'string' ? document : JSON.stringify(document, null, 2), {
    mode: 0o600,
  });
  return { dir, config };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function withStorage<T>(dir: string, run: (s: StorageModule) => Promise<T>): Promise<T> {
  const storage = new StorageModule({
    url: path.join(dir, 'riskd.db'),
    logger: new MemoryLogger(),
    clock: new FakeClock(),
  });
  await storage.start();
  try {
    return await run(storage);
  } finally {
    await storage.stop();
  }
}

describe('riskd config', () => {
  it('when a valid file is validated then it says so and exits 0', async () => {
    const { config } = workspace(
      fakeBrokerConfig({ rules: [{ rule: 'daily-loss-limit', options: { limit: 500 } }] }),
    );
    const { code, io } = await runCli(['config', 'validate', config]);
    expect(io.stderrText()).toBe('');
    expect(code).toBe(0);
    expect(io.stdoutText()).toBe(
      `${config} is valid: 1 universal rule(s), 0 account entries, rule packs @riskd/rule-pack-standard\n`,
    );
  });

  it('when a file has problems then every one is listed with its path and it exits 1', async () => {
    const { config } = workspace(
      fakeBrokerConfig({
        includeFees: 'yes',
        rules: [{ rule: 'max-contracts', options: { limit: 0, extra: 1 } }],
      }),
    );
    const { code, io } = await runCli(['config', 'validate', config]);
    expect(code).toBe(1);
    const err = io.stderrText();
    for (const p of ['includeFees', 'rules[0].options.limit', 'rules[0].options.extra'])
      expect(err).toContain(`  ${p}: `);
  });

  it('when the file is not JSON or missing then the problem says where, exit 1', async () => {
    const { dir, config } = workspace('{ "broker": ');
    const broken = await runCli(['config', 'validate', config]);
    expect(broken.code).toBe(1);
    expect(broken.io.stderrText()).toMatch(/\(file\): .*line 1/);
    const missing = await runCli(['config', 'validate', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.io.stderrText()).toContain('cannot read config');
  });

  it('when the schema is asked for then it is JSON Schema with every standard rule id', async () => {
    const { code, io } = await runCli(['config', 'schema']);
    expect(code).toBe(0);
    const schema = JSON.parse(io.stdoutText()) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['broker', 'rules', 'accounts', 'tradingDay']),
    );
    expect(io.stdoutText()).toContain('"daily-loss-limit"');
    expect(io.stdoutText()).toContain('"topstep-50k"');
  });
});

describe('riskd admin|trader set-password', () => {
  it('when a password comes on stdin then its hash is stored and verifies', async () => {
    const { dir, config } = workspace();
    const { code, io } = await runCli(['admin', 'set-password', '--stdin', '--config', config], {
      stdin: 'a long admin password\nignored',
    });
    expect(io.stderrText()).toBe('');
    expect(code).toBe(0);
    await withStorage(dir, async (s) => {
      expect(await s.credentials.verify('admin', 'a long admin password')).toBe('ok');
      expect(await s.credentials.verify('admin', 'ignored')).toBe('mismatch');
    });
  });

  it('when the password is short, or there is no terminal without --stdin, then it is bad usage (exit 2)', async () => {
    const { config } = workspace();
    const short = await runCli(['admin', 'set-password', '--stdin', '--config', config], { stdin: 'short' });
    expect(short.code).toBe(2);
    expect(short.io.stderrText()).toContain('at least 8 characters');
    const noTty = await runCli(['trader', 'set-password', '--config', config]);
    expect(noTty.code).toBe(2);
    expect(noTty.io.stderrText()).toContain('pipe the password and pass --stdin');
  });

  it('when the admin chooses no trader password then the state is none; a password later makes it set', async () => {
    const { dir, config } = workspace();
    expect((await runCli(['trader', 'set-password', '--none', '--config', config])).code).toBe(0);
    await withStorage(dir, async (s) => expect(await credentialState(s, 'trader')).toBe('none'));
    expect((await runCli(['trader', 'set-password', '--none', '--stdin', '--config', config])).code).toBe(2);
    expect(
      (await runCli(['trader', 'set-password', '--stdin', '--config', config], { stdin: 'trader password' }))
        .code,
    ).toBe(0);
    await withStorage(dir, async (s) => {
      expect(await credentialState(s, 'trader')).toBe('set');
      expect(await credentialState(s, 'admin')).toBe('unset');
    });
  });
});

describe('riskd audit verify', () => {
  it('when the trail is intact it exits 0; when a row is edited it names the row and exits 1', async () => {
    const { dir, config } = workspace();
    await withStorage(dir, async (s) => {
      for (let i = 0; i < 5; i++)
        s.auditLog.append({ at: 1_000 + i, kind: 'system', code: 'TEST', reason: `row ${i}` });
      await s.auditLog.flush();
    });
    const ok = await runCli(['audit', 'verify', '--config', config]);
    expect(ok.code).toBe(0);
    expect(ok.io.stdoutText()).toMatch(/^audit trail intact: 5 rows, head 5 [0-9a-f]{16}…\n$/);
    const db = new Database(path.join(dir, 'riskd.db'));
    db.prepare("UPDATE AuditEntry SET reason = 'rewritten' WHERE seq = 3").run();
    db.close();
    const bad = await runCli(['audit', 'verify', '--config', config]);
    expect(bad.code).toBe(1);
    expect(bad.io.stderrText()).toContain('seq 3: row-edited');
  });
});
