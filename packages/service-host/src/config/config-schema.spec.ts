import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CME_EQUITY_HOLIDAYS, DEFAULT_TRADING_DAY_CONFIG } from '@riskd/core-engine';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  buildConfigJsonSchema,
  configValidationSchema,
  DEFAULT_API_PORT,
  TOPSTEPX_URLS,
} from './config-schema.js';
import {
  loadDocument,
  minimalDocument,
  problemsOf,
  standardRegistry,
  TEST_CONFIG_PATH,
} from './config-test-fixtures.js';
import { CONFIG_SCHEMA_FILE, defaultSchemaRegistry } from './generate-config-schema.js';

const SAMPLE_FILE = fileURLToPath(new URL('../../config/sample.riskd.config.json', import.meta.url));

function withBroker(extra: Record<string, unknown>): Record<string, unknown> {
  return { ...minimalDocument(), ...extra };
}

describe('config schema', () => {
  it('when only the broker login is given then every default is filled in', async () => {
    const { config, document } = await loadDocument(minimalDocument());
    expect(config).toEqual({
      broker: {
        provider: 'topstepx',
        userName: 'demo',
        apiKey: 'demo-api-key',
        apiUrl: TOPSTEPX_URLS.apiUrl,
        userHubUrl: TOPSTEPX_URLS.userHubUrl,
        marketHubUrl: TOPSTEPX_URLS.marketHubUrl,
        staleQuoteSeconds: 15,
      },
      tradingDay: {
        timezone: 'America/Chicago',
        resetTime: '17:00',
        sessions: DEFAULT_TRADING_DAY_CONFIG.sessions,
        holidays: CME_EQUITY_HOLIDAYS,
      },
      includeFees: true,
      rulePacks: ['@riskd/rule-pack-standard'],
      rules: [],
      accounts: [],
      notifications: { discord: [], telegram: [] },
      api: { port: DEFAULT_API_PORT },
      storage: { url: `file:${path.join(path.dirname(TEST_CONFIG_PATH), 'riskd.db')}` },
      logging: { level: 'info', verbose: false },
    });
    // The document stays as written: defaults are not written back into it.
    expect(document).toEqual(minimalDocument());
  });

  it('when sessions are given then they replace the default week whole', async () => {
    const sessions = { mon: [{ start: '08:30', end: '15:00' }] };
    const { config } = await loadDocument({ ...minimalDocument(), tradingDay: { sessions } });
    expect(config.tradingDay.sessions).toEqual(sessions);
  });

  it('when the schema itself is validated then its defaults are valid against it', () => {
    const ajv = new Ajv({
      allErrors: true,
      useDefaults: true,
      strict: true,
      strictTypes: false,
      allowUnionTypes: true,
    });
    const validate = ajv.compile(configValidationSchema());
    const document = minimalDocument();
    expect(validate(document)).toBe(true);
    // Validating the defaulted document again changes nothing and still passes.
    const again = structuredClone(document);
    expect(validate(again)).toBe(true);
    expect(again).toEqual(document);
  });

  it.each([
    ['api.port', { api: { port: 70000 } }, 'must be <= 65535'],
    ['api.port', { api: { port: 'x' } }, 'must be integer'],
    ['aapi', { aapi: {} }, 'is not a known property'],
    [
      'broker.apiUrl',
      { broker: { userName: 'u', apiKey: 'k', apiUrl: 'ftp://host' } },
      'must be an http(s) URL',
    ],
    [
      'broker.apiUrl',
      { broker: { userName: 'u', apiKey: 'k', apiUrl: 'https://api.topstepx.com/api' } },
      'must be the gateway origin without a path such as "/api" (e.g. "https://api.topstepx.com")',
    ],
    [
      'broker.provider',
      { broker: { userName: 'u', apiKey: 'k', provider: 'rithmic' } },
      'must be one of "topstepx"',
    ],
    ['broker.userName', { broker: { apiKey: 'k' } }, 'is required'],
    [
      'broker.apiKeyEnv',
      { broker: { userName: 'u', apiKeyEnv: 'RISKD API KEY' } },
      'must be an environment variable name (letters, digits and _, not starting with a digit)',
    ],
    ['tradingDay.resetTime', { tradingDay: { resetTime: '5pm' } }, 'must be a time "HH:MM" (24 h)'],
    [
      'tradingDay.timezone',
      { tradingDay: { timezone: 'Mars/Olympus' } },
      'must be an IANA time zone such as "America/Chicago", got "Mars/Olympus"',
    ],
    [
      'tradingDay.extraHolidays[0].date',
      { tradingDay: { extraHolidays: [{ date: '2026-02-30', name: 'Nope', kind: 'closed' }] } },
      'must be a calendar date "YYYY-MM-DD", got "2026-02-30"',
    ],
    [
      'tradingDay.extraHolidays[0].close',
      { tradingDay: { extraHolidays: [{ date: '2026-05-04', name: 'Halt', kind: 'early-close' }] } },
      'must be a time "HH:MM" (24 h), got undefined',
    ],
    [
      'logging.level',
      { logging: { level: 'loud' } },
      'must be one of "trace", "debug", "info", "warn", "error", "fatal"',
    ],
    ['storage.url', { storage: { url: 'postgres://db' } }, 'must be a file: URL, e.g. "file:./riskd.db"'],
    ['includeFees', { includeFees: 'yes' }, 'must be boolean'],
    [
      'rules[0].rule',
      { rules: [{ rule: 'daily-loss' }] },
      `unknown rule "daily-loss" (known: ${standardRegistry.ruleIds().join(', ')})`,
    ],
    [
      'rules[0].options.limit',
      { rules: [{ rule: 'daily-loss-limit', options: { limit: -5 } }] },
      'must be > 0',
    ],
    [
      'accounts[1].rules[0].options.limit',
      {
        accounts: [{ id: 1 }, { id: 2, rules: [{ rule: 'max-contracts', options: { limit: 'five' } }] }],
      },
      'must be number',
    ],
    [
      'accounts[0].preset',
      { accounts: [{ name: 'PRAC-1', preset: 'topstep-75k' }] },
      'unknown preset "topstep-75k" (known: topstep-100k, topstep-150k, topstep-50k)',
    ],
    [
      'accounts[1].id',
      { accounts: [{ id: 70001 }, { id: 70001, enabled: false }] },
      'account 70001 is already configured at accounts[0]',
    ],
    [
      'accounts[1].name',
      { accounts: [{ name: 'PRAC-1' }, { name: ' prac-1 ' }] },
      'account name " prac-1 " is already configured at accounts[0]',
    ],
    [
      'accounts[0]',
      { accounts: [{ enabled: false }] },
      'must have an "id" or a "name" to match the broker account',
    ],
    [
      'notifications.discord[0].webhookUrl',
      { notifications: { discord: [{ id: 'desk', webhookUrl: 'discord.com/api/webhooks/1' }] } },
      'must be an http(s) URL',
    ],
  ])('when %s is bad then it is refused with its path and the exact message', async (at, extra, message) => {
    const document = withBroker(extra);
    expect(await problemsOf(document)).toContainEqual({ path: at, message });
  });

  it('when a file has problems in many sections then all of them are listed at once', async () => {
    const problems = await problemsOf({
      broker: { userName: 'u', apiKeyEnv: 'RISKD_TEST_UNSET_KEY' },
      tradingDay: {
        sessions: {
          mon: [
            { start: '08:00', end: '12:00' },
            { start: '11:00', end: '13:00' },
          ],
        },
      },
      api: { port: -1 },
      rules: [{ rule: 'daily-loss-limit', options: { limit: 0, basis: 'gross' } }],
      accounts: [{ name: 'PRAC-1', preset: 'nope' }],
      extra: true,
    });
    expect(problems).toEqual([
      { path: 'extra', message: 'is not a known property' },
      { path: 'api.port', message: 'must be >= 0' },
      {
        path: 'broker.apiKeyEnv',
        message: 'environment variable RISKD_TEST_UNSET_KEY is not set (it should hold the ProjectX API key)',
      },
      {
        path: 'tradingDay.sessions.mon[1]',
        message: 'session window mon 11:00-13:00 overlaps tradingDay.sessions.mon[0] (mon 08:00-12:00)',
      },
      { path: 'rules[0].options.limit', message: 'must be > 0' },
      { path: 'rules[0].options.basis', message: 'must be one of "combined", "realized"' },
      {
        path: 'accounts[0].preset',
        message: 'unknown preset "nope" (known: topstep-100k, topstep-150k, topstep-50k)',
      },
    ]);
  });

  it('when the published schema is built then every rule and preset of the registry is in it', () => {
    const schema = buildConfigJsonSchema(standardRegistry);
    const entry = (schema['definitions'] as Record<string, Record<string, unknown>>)['ruleEntry'] as Record<
      string,
      unknown
    >;
    const branches = entry['allOf'] as { if: { properties: { rule: { const: string } } } }[];
    expect(branches.map((b) => b.if.properties.rule.const)).toEqual([...standardRegistry.ruleIds()]);
    const accounts = (schema['properties'] as Record<string, Record<string, unknown>>)['accounts'] as {
      items: { properties: { preset: { enum: string[] } } };
    };
    expect(accounts.items.properties.preset.enum).toEqual([...standardRegistry.presetIds()]);
  });

  it('when an editor validates the sample with the published schema then it passes, and a bad option fails at its path', async () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(buildConfigJsonSchema(standardRegistry));
    const sample = JSON.parse(await readFile(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
    expect(validate(structuredClone(sample)), JSON.stringify(validate.errors)).toBe(true);

    const bad = structuredClone(sample) as { accounts: { rules: { options: Record<string, unknown> }[] }[] };
    const firstRule = bad.accounts[0]?.rules[0];
    if (!firstRule) throw new Error('the sample has no account rule');
    firstRule.options['limit'] = 'four hundred';
    expect(validate(bad)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/accounts/0/rules/0/options/limit');
  });

  it('when the committed riskd.config.schema.json is compared with the generated schema then it is up to date', async () => {
    const committed = JSON.parse(await readFile(CONFIG_SCHEMA_FILE, 'utf8')) as unknown;
    expect(
      committed,
      'riskd.config.schema.json is stale: run npx tsx --conditions=@riskd/source packages/service-host/src/config/generate-config-schema.ts',
    ).toEqual(buildConfigJsonSchema(defaultSchemaRegistry()));
  });

  it('when the sample config loads then it is valid, points at the committed schema and has a preset on one of two accounts', async () => {
    const text = await readFile(SAMPLE_FILE, 'utf8');
    const sample = JSON.parse(text) as { $schema: string; accounts: { preset?: string }[] };
    expect(path.resolve(path.dirname(SAMPLE_FILE), sample.$schema)).toBe(CONFIG_SCHEMA_FILE);
    const loaded = await loadDocument(sample);
    expect(loaded.config.accounts).toHaveLength(2);
    expect(loaded.config.accounts.filter((a) => a.preset === 'topstep-50k')).toHaveLength(1);
    expect(loaded.config.broker.userName).toBe('demo');
    expect(loaded.ruleSet.entriesFor(70001, 'PRAC-V2-100001-50001').map((e) => e.instanceId)).toContain(
      'max-loss-limit',
    );
  });
});
