import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FakeClock } from '@riskd/core-engine';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-errors.js';
import { rulesDocument, makeTempDir, standardRegistry } from './config-test-fixtures.js';
import { sha256 } from './config-util.js';
import { updateConfigFile, writeConfigFile, type ConfigRevision } from './config-writer.js';

describe('writeConfigFile', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let file: string;
  const clock = new FakeClock('2026-03-02T15:00:00Z');
  const before = rulesDocument([{ rule: 'daily-loss-limit', options: { limit: 500 } }], [{ id: 70001 }]);
  const beforeText = `${JSON.stringify(before, null, 2)}\n`;

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
    file = path.join(dir, 'riskd.config.json');
    await writeFile(file, beforeText, { mode: 0o600 });
  });
  afterEach(async () => {
    await remove();
  });

  function options(extra: Partial<Parameters<typeof writeConfigFile>[2]> = {}) {
    return { registry: standardRegistry, env: {}, clock, actor: 'admin', ...extra };
  }

  it('when a valid change is written then the file holds it, owner-only, and the revision lists the diff', async () => {
    const next = rulesDocument(
      [{ rule: 'daily-loss-limit', options: { limit: 400 } }],
      [{ id: 70001, enabled: false }],
    );
    const recorded: ConfigRevision[] = [];
    const result = await writeConfigFile(
      file,
      next,
      options({ reason: 'tighter limit', recordRevision: (r) => void recorded.push(r) }),
    );
    const text = await readFile(file, 'utf8');
    expect(JSON.parse(text)).toEqual(next);
    expect(result.changed).toBe(true);
    expect(result.loaded.config.rules[0]?.options).toEqual({ limit: 400 });
    expect(recorded).toEqual([result.revision]);
    expect(result.revision).toEqual({
      at: Date.parse('2026-03-02T15:00:00Z'),
      actor: 'admin',
      reason: 'tighter limit',
      path: file,
      hashBefore: sha256(beforeText),
      hashAfter: sha256(text),
      diff: [
        { op: 'replace', path: '/rules/0/options/limit', before: 500, after: 400 },
        { op: 'add', path: '/accounts/0/enabled', after: false },
      ],
    });
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('when the file is replaced then a complete temporary file in the same folder is renamed over it', async () => {
    const next = rulesDocument([{ rule: 'daily-loss-limit', options: { limit: 450 } }]);
    let seen: { temp: string; target: string; tempText: string; tempMode: number } | undefined;
    await writeConfigFile(
      file,
      next,
      options({
        beforeRename: async (temp) => {
          seen = {
            temp,
            target: await readFile(file, 'utf8'),
            tempText: await readFile(temp, 'utf8'),
            tempMode: (await stat(temp)).mode & 0o777,
          };
        },
      }),
    );
    if (!seen) throw new Error('beforeRename was not called');
    expect(path.dirname(seen.temp)).toBe(dir);
    // Right before the rename the old file is intact and the new text is complete in the temp file.
    expect(seen.target).toBe(beforeText);
    expect(JSON.parse(seen.tempText)).toEqual(next);
    if (process.platform !== 'win32') expect(seen.tempMode).toBe(0o600);
    expect(await readdir(dir)).toEqual(['riskd.config.json']);
  });

  it('when the change is invalid then every problem is listed and nothing is written', async () => {
    const next = rulesDocument(
      [{ rule: 'daily-loss-limit', options: { limit: -1 } }],
      [{ id: 70001, preset: 'x' }],
    );
    const recorded: ConfigRevision[] = [];
    const error = (await writeConfigFile(
      file,
      next,
      options({ recordRevision: (r) => void recorded.push(r) }),
    ).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems).toEqual([
      { path: 'rules[0].options.limit', message: 'must be > 0' },
      {
        path: 'accounts[0].preset',
        message: 'unknown preset "x" (known: topstep-100k, topstep-150k, topstep-50k)',
      },
    ]);
    expect(await readFile(file, 'utf8')).toBe(beforeText);
    expect(await readdir(dir)).toEqual(['riskd.config.json']);
    expect(recorded).toEqual([]);
  });

  it('when the rename fails then the old file stays and the temporary file is removed', async () => {
    const next = rulesDocument([{ rule: 'daily-loss-limit', options: { limit: 450 } }]);
    const error = (await writeConfigFile(
      file,
      next,
      options({
        beforeRename: () => {
          throw new Error('disk full');
        },
      }),
    ).catch((e: unknown) => e)) as ConfigError;
    expect(error.code).toBe('CONFIG_WRITE_FAILED');
    expect(error.message).toContain('disk full');
    expect(await readFile(file, 'utf8')).toBe(beforeText);
    expect(await readdir(dir)).toEqual(['riskd.config.json']);
  });

  it('when the file changed since it was read then the write is refused as a conflict', async () => {
    const next = rulesDocument([{ rule: 'daily-loss-limit', options: { limit: 450 } }]);
    const error = (await writeConfigFile(
      file,
      next,
      options({ expectedHash: sha256('an older version') }),
    ).catch((e: unknown) => e)) as ConfigError;
    expect(error.code).toBe('CONFIG_CONFLICT');
    expect(await readFile(file, 'utf8')).toBe(beforeText);
  });

  it('when the document equals the file then nothing is written and no revision is recorded', async () => {
    const recorded: ConfigRevision[] = [];
    const result = await writeConfigFile(
      file,
      before,
      options({ recordRevision: (r) => void recorded.push(r) }),
    );
    expect(result).toMatchObject({ changed: false, revision: undefined });
    expect(recorded).toEqual([]);
  });

  it('when a secret changes then the revision diff shows it redacted', async () => {
    const next = { ...before, broker: { userName: 'demo', apiKey: 'a-new-secret-key' } };
    const { revision } = await writeConfigFile(file, next, options());
    expect(revision?.diff).toEqual([
      { op: 'replace', path: '/broker/apiKey', before: '[redacted]', after: '[redacted]' },
    ]);
    expect(JSON.stringify(revision)).not.toContain('a-new-secret-key');
  });

  it('when the revision cannot be recorded then the error says the file was written', async () => {
    const next = rulesDocument([{ rule: 'daily-loss-limit', options: { limit: 450 } }]);
    const error = (await writeConfigFile(
      file,
      next,
      options({
        recordRevision: () => Promise.reject(new Error('database locked')),
      }),
    ).catch((e: unknown) => e)) as ConfigError;
    expect(error.code).toBe('CONFIG_REVISION_FAILED');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(next);
  });

  it('when updateConfigFile edits the document then the rest of the file is kept', async () => {
    const { revision } = await updateConfigFile(
      file,
      (document) => ({ ...document, includeFees: false }),
      options({ actor: 'cli' }),
    );
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ ...before, includeFees: false });
    expect(revision?.actor).toBe('cli');
    expect(revision?.diff).toEqual([{ op: 'add', path: '/includeFees', after: false }]);
  });
});
