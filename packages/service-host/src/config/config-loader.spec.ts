import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CME_EQUITY_HOLIDAYS } from '@riskd/core-engine';
import { rulePack as standardRulePack } from '@riskd/rule-pack-standard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-errors.js';
import { loadConfigFile } from './config-loader.js';
import { resolveConfigPath, resolveDataDir } from './config-paths.js';
import { CONFIG_SECRET_KEYS, redactConfig } from './config-secrets.js';
import {
  loadDocument,
  makeTempDir,
  minimalDocument,
  problemsOf,
  rulesDocument,
  standardRegistry,
  TEST_CONFIG_PATH,
} from './config-test-fixtures.js';

const posixOnly = process.platform === 'win32' ? it.skip : it;

describe('loadConfigFile', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
  });
  afterEach(async () => {
    await remove();
  });

  async function writeConfig(document: unknown, mode = 0o600, name = 'riskd.config.json'): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, typeof document === 'string' ? document : JSON.stringify(document, null, 2), {
      mode,
    });
    await chmod(file, mode);
    return file;
  }

  it('when the API key comes from the environment then it is resolved and the document keeps only the variable name', async () => {
    const file = await writeConfig({ broker: { userName: 'demo', apiKeyEnv: 'RISKD_API_KEY' } });
    const loaded = await loadConfigFile(file, {
      env: { RISKD_API_KEY: ' s3cret-from-env \n' },
      registry: standardRegistry,
    });
    expect(loaded.config.broker.apiKey).toBe('s3cret-from-env');
    expect(loaded.config.broker.apiKeyEnv).toBe('RISKD_API_KEY');
    expect(loaded.document).toEqual({ broker: { userName: 'demo', apiKeyEnv: 'RISKD_API_KEY' } });
    expect(loaded.warnings).toEqual([]);
  });

  it('when the API key is missing, doubled or its variable unset then each case has its own problem', async () => {
    expect(await problemsOf({ broker: { userName: 'u' } })).toEqual([
      {
        path: 'broker.apiKey',
        message:
          'is required: give the ProjectX API key as apiKey, or the name of an environment variable holding it as apiKeyEnv',
      },
    ]);
    expect(
      await problemsOf({ broker: { userName: 'u', apiKey: 'k', apiKeyEnv: 'K' } }, { env: { K: 'x' } }),
    ).toEqual([{ path: 'broker.apiKeyEnv', message: 'give either apiKey or apiKeyEnv, not both' }]);
    expect(await problemsOf({ broker: { userName: 'u', apiKeyEnv: 'K' } }, { env: { K: '   ' } })).toEqual([
      {
        path: 'broker.apiKeyEnv',
        message: 'environment variable K is not set (it should hold the ProjectX API key)',
      },
    ]);
  });

  it('when notification secrets come from the environment then enabled channels need them and disabled ones do not', async () => {
    const document = {
      ...minimalDocument(),
      notifications: {
        discord: [{ id: 'desk', webhookUrlEnv: 'DISCORD_HOOK', audience: 'admin' }],
        telegram: [
          { id: 'phone', botTokenEnv: 'TG_TOKEN', chatId: -1001234567890 },
          { id: 'spare', botTokenEnv: 'TG_SPARE', chatId: '@riskd_alerts', enabled: false },
        ],
      },
    };
    const loaded = await loadDocument(document, {
      env: { DISCORD_HOOK: 'https://discord.com/api/webhooks/1/abc', TG_TOKEN: '123:xyz' },
    });
    expect(loaded.config.notifications).toEqual({
      discord: [
        {
          id: 'desk',
          enabled: true,
          audience: 'admin',
          minSeverity: 'info',
          webhookUrl: 'https://discord.com/api/webhooks/1/abc',
          webhookUrlEnv: 'DISCORD_HOOK',
        },
      ],
      telegram: [
        {
          id: 'phone',
          enabled: true,
          audience: 'all',
          minSeverity: 'info',
          botToken: '123:xyz',
          botTokenEnv: 'TG_TOKEN',
          chatId: '-1001234567890',
          apiBaseUrl: 'https://api.telegram.org',
        },
        {
          id: 'spare',
          enabled: false,
          audience: 'all',
          minSeverity: 'info',
          botToken: '',
          botTokenEnv: 'TG_SPARE',
          chatId: '@riskd_alerts',
          apiBaseUrl: 'https://api.telegram.org',
        },
      ],
    });
    expect(await problemsOf(document, { env: { TG_TOKEN: '1:2' } })).toEqual([
      {
        path: 'notifications.discord[0].webhookUrlEnv',
        message: 'environment variable DISCORD_HOOK is not set (it should hold the Discord webhook URL)',
      },
    ]);
    const duplicate = {
      ...minimalDocument(),
      notifications: {
        discord: [{ id: 'desk', webhookUrl: 'https://discord.com/api/webhooks/1/abc' }],
        telegram: [{ id: 'desk', botToken: '1:2', chatId: '42' }],
      },
    };
    expect(await problemsOf(duplicate)).toEqual([
      {
        path: 'notifications.telegram[0].id',
        message: 'duplicate channel id "desk" (also at notifications.discord[0])',
      },
    ]);
  });

  it('when the config is redacted then no secret is left and the variable names stay', async () => {
    const loaded = await loadDocument(
      {
        broker: { userName: 'demo', apiKey: 'super-secret-key' },
        notifications: {
          discord: [{ id: 'desk', webhookUrl: 'https://discord.com/api/webhooks/1/secret-hook' }],
          telegram: [{ id: 'phone', botTokenEnv: 'TG', chatId: '42' }],
        },
      },
      { env: { TG: 'secret-token' } },
    );
    const redacted = redactConfig(loaded.config);
    const text = JSON.stringify(redacted);
    for (const secret of ['super-secret-key', 'secret-hook', 'secret-token'])
      expect(text).not.toContain(secret);
    expect(redacted.broker.apiKey).toBe('[redacted]');
    expect(redacted.notifications.telegram[0]?.botTokenEnv).toBe('TG');
    expect(CONFIG_SECRET_KEYS).toEqual(['apiKey', 'webhookUrl', 'botToken']);
    // The loaded config itself keeps the secret (the adapter needs it).
    expect(loaded.config.broker.apiKey).toBe('super-secret-key');
  });

  it('when a refused config holds secrets then the error message does not quote them', async () => {
    const problems = await problemsOf({
      broker: { userName: 'u', apiKey: 'super-secret-key' },
      api: { port: 'x' },
    });
    expect(JSON.stringify(problems)).not.toContain('super-secret-key');
  });

  it('when the file is not JSON then the one problem gives line and column', async () => {
    const file = await writeConfig('{\n  "broker": {\n    "userName": "x",\n  }\n}\n');
    const error = await loadConfigFile(file, { registry: standardRegistry, env: {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).problems).toEqual([
      { path: '', message: 'invalid JSON at line 4, column 3: trailing comma before "}"' },
    ]);
    const unterminated = await writeConfig('{"broker": {"userName": "x}}', 0o600, 'b.json');
    const second = (await loadConfigFile(unterminated, { registry: standardRegistry }).catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(second.problems).toEqual([
      { path: '', message: 'invalid JSON at line 1, column 25: unterminated string (it starts here)' },
    ]);
  });

  it('when the file does not exist then the error is CONFIG_UNREADABLE naming it', async () => {
    const missing = path.join(dir, 'missing.json');
    const error = (await loadConfigFile(missing, { registry: standardRegistry }).catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(error.code).toBe('CONFIG_UNREADABLE');
    expect(error.file).toBe(missing);
  });

  posixOnly(
    'when a file with secrets is readable by others then a permission warning is returned',
    async () => {
      const open = await writeConfig(minimalDocument(), 0o644);
      const loaded = await loadConfigFile(open, { registry: standardRegistry, env: {} });
      expect(loaded.warnings).toEqual([
        {
          code: 'CONFIG_PERMISSIONS',
          path: '',
          message: `holds secrets (broker.apiKey) but its permissions are 0644; restrict them to the owner: chmod 600 ${open}`,
        },
      ]);
      await chmod(open, 0o600);
      expect((await loadConfigFile(open, { registry: standardRegistry, env: {} })).warnings).toEqual([]);
      // Secrets kept in the environment: nothing in the file to protect.
      const viaEnv = await writeConfig({ broker: { userName: 'u', apiKeyEnv: 'K' } }, 0o644, 'env.json');
      expect(
        (await loadConfigFile(viaEnv, { registry: standardRegistry, env: { K: 'k' } })).warnings,
      ).toEqual([]);
    },
  );

  it('when the config is loaded then it is deep-frozen', async () => {
    const loaded = await loadDocument(rulesDocument([{ rule: 'daily-loss-limit', options: { limit: 500 } }]));
    expect(Object.isFrozen(loaded.config.broker)).toBe(true);
    expect(Object.isFrozen(loaded.config.rules[0]?.options)).toBe(true);
    expect(Object.isFrozen(loaded.document)).toBe(true);
    expect(() => {
      (loaded.config.api as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('when storage.url is relative then it resolves from the config folder, and by default it is in the data directory', async () => {
    const relative = await loadDocument({
      ...minimalDocument(),
      storage: { url: 'file:./db/riskd.db?mode=wal' },
    });
    expect(relative.config.storage.url).toBe(
      `file:${path.join(path.dirname(TEST_CONFIG_PATH), 'db', 'riskd.db')}?mode=wal`,
    );
    const byDefault = await loadDocument(minimalDocument(), { dataDir: '/var/lib/riskd' });
    expect(byDefault.config.storage.url).toBe('file:/var/lib/riskd/riskd.db');
  });

  it('when extraHolidays are given then they are laid over the shipped calendar, and holidays replaces it', async () => {
    const mourning = { date: '2026-05-04', name: 'National Day of Mourning', kind: 'closed' };
    const live = { date: '2026-06-19', name: 'Juneteenth', kind: 'early-close', close: '11:10' };
    const extra = await loadDocument({
      ...minimalDocument(),
      tradingDay: { extraHolidays: [mourning, live] },
    });
    const holidays = extra.config.tradingDay.holidays;
    expect(holidays).toHaveLength(CME_EQUITY_HOLIDAYS.length + 1);
    expect(holidays.find((h) => h.date === '2026-05-04')).toEqual(mourning);
    expect(holidays.find((h) => h.date === '2026-06-19')).toEqual(live);
    const own = await loadDocument({ ...minimalDocument(), tradingDay: { holidays: [mourning] } });
    expect(own.config.tradingDay.holidays).toEqual([mourning]);
    expect(
      await problemsOf({
        ...minimalDocument(),
        tradingDay: { extraHolidays: [mourning, { ...mourning, name: 'again' }] },
      }),
    ).toEqual([
      {
        path: 'tradingDay.extraHolidays[1].date',
        message:
          'duplicate date 2026-05-04 (already used by tradingDay.extraHolidays[0]); one entry per date',
      },
    ]);
  });

  it('when no registry is given then rulePacks load: built-in packs by name, paths from the config folder', async () => {
    await mkdir(path.join(dir, 'packs'));
    await writeFile(
      path.join(dir, 'packs', 'local-pack.mjs'),
      `export const rulePack = {
        name: 'local-pack', version: '1.0.0', apiVersion: 1,
        rules: [{
          id: 'no-trading', title: 'No trading', description: 'Blocks everything.',
          optionsSchema: { type: 'object', additionalProperties: false,
            properties: { note: { type: 'string', default: '', description: 'Why.' } } },
          events: ['fill'],
          create() { return { evaluate() { return []; } }; },
        }],
      };\n`,
    );
    const file = await writeConfig({
      ...minimalDocument(),
      rulePacks: ['@riskd/rule-pack-standard', './packs/local-pack.mjs'],
      rules: [{ rule: 'no-trading' }],
      accounts: [{ id: 1, preset: 'topstep-50k' }],
    });
    const loaded = await loadConfigFile(file, { builtinPacks: [standardRulePack], env: {} });
    expect(loaded.registry.packs.map((p) => p.name)).toEqual(['@riskd/rule-pack-standard', 'local-pack']);
    expect(loaded.ruleSet.entriesFor(1).map((e) => e.instanceId)).toContain('no-trading');

    const missing = await writeConfig(
      {
        ...minimalDocument(),
        rulePacks: ['@riskd/rule-pack-standard', '@acme/riskd-rules-that-do-not-exist'],
      },
      0o600,
      'missing-pack.json',
    );
    const error = (await loadConfigFile(missing, { builtinPacks: [standardRulePack], env: {} }).catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]?.path).toBe('rulePacks[1]');
    expect(error.problems[0]?.message).toContain('cannot find package "@acme/riskd-rules-that-do-not-exist"');
  });

  it('when rulePacks differ from the running registry then it warns, and rules of unloaded packs are a problem at rulePacks', async () => {
    const running = { registry: standardRegistry, registryRulePacks: ['@riskd/rule-pack-standard'] };
    const added = { ...minimalDocument(), rulePacks: ['@riskd/rule-pack-standard', './extra.mjs'] };
    const loaded = await loadDocument(added, running);
    expect(loaded.warnings.map((w) => w.code)).toEqual(['CONFIG_RULE_PACKS_CHANGED']);
    const problems = await problemsOf({ ...added, rules: [{ rule: 'no-trading' }] }, running);
    expect(problems.map((p) => p.path)).toEqual(['rules[0].rule', 'rulePacks']);
  });
});

describe('resolveConfigPath', () => {
  it('when --config is given then it wins over RISKD_CONFIG and is resolved from the working directory', () => {
    expect(
      resolveConfigPath({
        flag: 'my.json',
        env: { RISKD_CONFIG: '/etc/other.json' },
        cwd: '/home/t',
        platform: 'linux',
      }),
    ).toEqual({ path: '/home/t/my.json', source: 'flag' });
  });

  it('when only RISKD_CONFIG is set then it is used', () => {
    expect(resolveConfigPath({ env: { RISKD_CONFIG: '/srv/riskd.json' }, platform: 'linux' })).toEqual({
      path: '/srv/riskd.json',
      source: 'env',
    });
  });

  it('when installed then the config is /var/lib/riskd/riskd.config.json, otherwise ~/.riskd/riskd.config.json', () => {
    expect(resolveConfigPath({ installed: true, env: {}, platform: 'linux' })).toEqual({
      path: '/var/lib/riskd/riskd.config.json',
      source: 'installed',
    });
    expect(resolveConfigPath({ env: {}, home: '/home/trader', platform: 'linux' })).toEqual({
      path: '/home/trader/.riskd/riskd.config.json',
      source: 'user',
    });
    expect(resolveDataDir({ installed: true, env: { ProgramData: 'D:\\Data' }, platform: 'win32' })).toBe(
      'D:\\Data\\riskd',
    );
  });
});
