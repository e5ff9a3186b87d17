import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CME_EQUITY_HOLIDAYS,
  isPathSpecifier,
  loadRulePacks,
  mergeHolidays,
  resolveRuleSet,
  RuleConfigError,
  RulePackError,
  RuleRegistry,
  validateTradingDayConfig,
  type AccountConfig,
  type AlertSeverity,
  type Holiday,
  type LoadedRulePack,
  type ResolvedRuleSet,
  type RuleEntryConfig,
  type RulePack,
  type SessionWindow,
  type TradingDayConfig,
  type Weekday,
} from '@riskd/core-engine';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ConfigError, type ConfigProblem, type ConfigWarning } from './config-errors.js';
import {
  configValidationSchema,
  DATE_PATTERN,
  DEFAULT_DATABASE_FILE,
  ENV_NAME_PATTERN,
  TELEGRAM_API_BASE_URL,
  TIME_OF_DAY_PATTERN,
  type ConfigDocument,
  type ConfigLogLevel,
  type DiscordChannelSettings,
  type NotificationAudience,
  type RateLimitSettings,
  type RiskdConfig,
  type TelegramChannelSettings,
} from './config-schema.js';
import { inlineSecretPaths } from './config-secrets.js';
import { appendPath, deepFreeze, isRecord, pathIsUnder, pointerToPath, sha256 } from './config-util.js';
import { describeJsonSyntaxProblem, parseJsonText } from './json-syntax.js';

/** The environment the loader reads secrets from (`process.env` by default). */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/** Options of {@link loadConfigFile} and {@link loadConfigText}. */
export interface LoadConfigOptions {
  /** Where `...Env` secrets are read; defaults to `process.env` (the only place that reads it). */
  readonly env?: ConfigEnv;
  /**
   * The rule registry to validate `rules` and `accounts` against. Give the running daemon's
   * registry on reloads and API writes (rule packs load at start only). Without it, the packs of
   * the file's `rulePacks` are loaded: {@link builtinPacks} by name, npm package names from
   * {@link installDir}, paths from the config file's folder.
   */
  readonly registry?: RuleRegistry;
  /**
   * The `rulePacks` list the given {@link registry} was built from. When the file lists other
   * packs, the load warns (`CONFIG_RULE_PACKS_CHANGED`: they load on restart), and if the file's
   * rules need them, that is a problem at `rulePacks`.
   */
  readonly registryRulePacks?: readonly string[];
  /** Packs the host imported itself, used when `rulePacks` names them (by pack name). */
  readonly builtinPacks?: readonly RulePack[];
  /** Where npm package names of `rulePacks` resolve from; defaults to Riskd's own installation. */
  readonly installDir?: string;
  /** The data directory (default database location); defaults to the config file's folder. */
  readonly dataDir?: string;
  /** Defaults to `process.platform` (the permission check is skipped on Windows). */
  readonly platform?: NodeJS.Platform;
}

/** A loaded, valid config. Everything in it is deep-frozen. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  readonly path: string;
  /** Defaults applied, secrets resolved, paths absolute, holidays merged. */
  readonly config: RiskdConfig;
  /** The file as written (secrets from the environment are not in it); what the writer edits. */
  readonly document: ConfigDocument;
  /** SHA-256 of the file's text: identifies this version (watcher, writer conflicts, revisions). */
  readonly hash: string;
  /** The registry the rules were validated against. */
  readonly registry: RuleRegistry;
  /** The file's rules resolved against {@link registry} (everything the file asks for). */
  readonly ruleSet: ResolvedRuleSet;
  /** Things to fix that do not stop the config from loading. */
  readonly warnings: readonly ConfigWarning[];
}

/** Riskd's own installation: where npm package names of `rulePacks` resolve from by default. */
const DEFAULT_INSTALL_DIR = path.dirname(fileURLToPath(import.meta.url));

let cachedValidator: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!cachedValidator) {
    const ajv = new Ajv({
      allErrors: true,
      useDefaults: true,
      strict: true,
      strictTypes: false,
      strictRequired: false,
      allowUnionTypes: true,
      coerceTypes: false,
    });
    cachedValidator = ajv.compile(configValidationSchema());
  }
  return cachedValidator;
}

/**
 * Reads, parses and validates a config file, and resolves it (ARCHITECTURE.md "Configuration").
 * Throws one {@link ConfigError}: `CONFIG_UNREADABLE` when the file cannot be read, else
 * `CONFIG_INVALID` listing every problem with its JSON path (syntax errors with line and column).
 * Warns (does not fail) when the file holds secrets and is readable by others than its owner.
 */
export async function loadConfigFile(file: string, options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const absolute = path.resolve(file);
  let text: string;
  let mode: number | undefined;
  try {
    text = await fs.readFile(absolute, 'utf8');
    mode = (await fs.stat(absolute)).mode;
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read config ${absolute}: ${errorMessage(err)}`, {
      file: absolute,
      cause: err,
    });
  }
  return loadConfigText(text, { ...options, path: absolute, mode });
}

/**
 * {@link loadConfigFile} for a text already read (the watcher and the writer use it). `path` is
 * where the text lives (relative paths in it resolve from its folder); `mode` its file mode, for
 * the permission warning.
 */
export async function loadConfigText(
  text: string,
  options: LoadConfigOptions & { readonly path: string; readonly mode?: number | undefined },
): Promise<LoadedConfig> {
  const file = path.resolve(options.path);
  const parsed = parseJsonText(text);
  if (!parsed.ok)
    throw ConfigError.invalid([{ path: '', message: describeJsonSyntaxProblem(parsed.problem) }], file);
  const env = options.env ?? process.env;
  const configDir = path.dirname(file);
  const problems: ConfigProblem[] = [];
  const warnings: ConfigWarning[] = [];

  // Validate a copy: ajv writes the defaults into it; the document stays as written.
  const working: unknown = structuredClone(parsed.value);
  const validate = validator();
  if (!validate(working)) for (const error of validate.errors ?? []) problems.push(formatAjvError(error));
  if (!isRecord(working)) throw ConfigError.invalid(problems, file);
  const clean = (section: string): boolean => !problems.some((p) => pathIsUnder(p.path, section));

  const broker = clean('broker') ? resolveBroker(working['broker'], env, problems) : undefined;
  const tradingDay = clean('tradingDay') ? resolveTradingDay(working['tradingDay'], problems) : undefined;
  const notifications = clean('notifications')
    ? resolveNotifications(working['notifications'], env, problems)
    : undefined;
  const storageUrl = clean('storage')
    ? resolveStorageUrl(working['storage'], configDir, options.dataDir ?? configDir)
    : undefined;

  let registry = options.registry;
  const rulePacks = working['rulePacks'];
  const rulePacksClean = clean('rulePacks') && Array.isArray(rulePacks);
  if (!registry && rulePacksClean) {
    registry = await buildRegistry(rulePacks as string[], {
      builtinPacks: options.builtinPacks ?? [],
      installDir: options.installDir ?? DEFAULT_INSTALL_DIR,
      configDir,
      problems,
    });
  }
  const packsChanged =
    options.registry !== undefined &&
    options.registryRulePacks !== undefined &&
    rulePacksClean &&
    !sameList(options.registryRulePacks, rulePacks as string[]);

  let ruleSet: ResolvedRuleSet | undefined;
  const rules = working['rules'];
  const accounts = working['accounts'];
  if (registry && clean('rules') && clean('accounts') && Array.isArray(rules) && Array.isArray(accounts)) {
    try {
      ruleSet = resolveRuleSet(registry, { rules, accounts } as never);
    } catch (err) {
      if (!(err instanceof RuleConfigError)) throw err;
      problems.push(...err.problems);
      if (packsChanged) {
        problems.push({
          path: 'rulePacks',
          message: `differs from the rule packs loaded at start (${(options.registryRulePacks ?? []).join(', ')}); rule packs load on restart, so rules of new packs are unknown until then`,
        });
      }
    }
  }
  if (packsChanged) {
    warnings.push({
      code: 'CONFIG_RULE_PACKS_CHANGED',
      path: 'rulePacks',
      message: 'rulePacks changed: rule packs load at start; restart riskd to load the new list',
    });
  }

  if (
    problems.length > 0 ||
    !broker ||
    !tradingDay ||
    !notifications ||
    !storageUrl ||
    !registry ||
    !ruleSet
  ) {
    throw ConfigError.invalid(problems, file);
  }

  const secrets = inlineSecretPaths(parsed.value);
  const platform = options.platform ?? process.platform;
  if (
    secrets.length > 0 &&
    options.mode !== undefined &&
    platform !== 'win32' &&
    (options.mode & 0o077) !== 0
  ) {
    const octal = (options.mode & 0o777).toString(8).padStart(4, '0');
    warnings.push({
      code: 'CONFIG_PERMISSIONS',
      path: '',
      message: `holds secrets (${secrets.join(', ')}) but its permissions are ${octal}; restrict them to the owner: chmod 600 ${file}`,
    });
  }

  const logging = working['logging'] as { level: ConfigLogLevel; verbose: boolean };
  const api = working['api'] as { port: number };
  const config: RiskdConfig = {
    broker,
    tradingDay,
    includeFees: working['includeFees'] as boolean,
    rulePacks: rulePacks as string[],
    rules: rules as RuleEntryConfig[],
    accounts: accounts as AccountConfig[],
    notifications,
    api: { port: api.port },
    storage: { url: storageUrl },
    logging: { level: logging.level, verbose: logging.verbose },
  };
  // The registry and rule set are live objects (caches, compiled validators): frozen shallowly only.
  return Object.freeze({
    path: file,
    config: deepFreeze(config),
    document: deepFreeze(parsed.value as ConfigDocument),
    hash: sha256(text),
    registry,
    ruleSet,
    warnings: deepFreeze(warnings),
  });
}

function resolveBroker(
  value: unknown,
  env: ConfigEnv,
  problems: ConfigProblem[],
): RiskdConfig['broker'] | undefined {
  const broker = value as Record<string, unknown>;
  const before = problems.length;
  const apiKey = resolveSecret(
    broker,
    'apiKey',
    'apiKeyEnv',
    'broker',
    env,
    true,
    'the ProjectX API key',
    problems,
  );
  const apiUrl = String(broker['apiUrl']);
  let origin = apiUrl;
  try {
    const url = new URL(apiUrl);
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
      problems.push({
        path: 'broker.apiUrl',
        message: `must be the gateway origin without a path such as "/api" (e.g. "${url.origin}")`,
      });
    }
    origin = url.origin;
  } catch {
    problems.push({ path: 'broker.apiUrl', message: 'must be an http(s) URL' });
  }
  for (const key of ['userHubUrl', 'marketHubUrl']) {
    try {
      new URL(String(broker[key]));
    } catch {
      problems.push({ path: `broker.${key}`, message: 'must be an http(s) or ws(s) URL' });
    }
  }
  const rateLimit = broker['rateLimit'] as RateLimitSettings | undefined;
  if (
    rateLimit &&
    typeof rateLimit.limit === 'number' &&
    rateLimit.snapshotReserve !== undefined &&
    rateLimit.snapshotReserve >= rateLimit.limit
  ) {
    problems.push({ path: 'broker.rateLimit.snapshotReserve', message: 'must be below limit' });
  }
  if (problems.length > before || apiKey === undefined) return undefined;
  return {
    provider: 'topstepx',
    userName: String(broker['userName']),
    apiKey,
    ...(typeof broker['apiKeyEnv'] === 'string' ? { apiKeyEnv: broker['apiKeyEnv'] } : {}),
    apiUrl: origin,
    userHubUrl: String(broker['userHubUrl']).replace(/\/+$/, ''),
    marketHubUrl: String(broker['marketHubUrl']).replace(/\/+$/, ''),
    ...(rateLimit ? { rateLimit } : {}),
    staleQuoteSeconds: broker['staleQuoteSeconds'] as number,
  };
}

/**
 * A secret given in the file (`key`) or by the name of an environment variable (`envKey`): exactly
 * one of them; the variable must be set (and not blank) when `required`. Returns '' for a secret
 * that is not required and not given; undefined after pushing a problem.
 */
function resolveSecret(
  section: Record<string, unknown>,
  key: string,
  envKey: string,
  at: string,
  env: ConfigEnv,
  required: boolean,
  what: string,
  problems: ConfigProblem[],
): string | undefined {
  const inline = section[key];
  const envName = section[envKey];
  if (typeof inline === 'string' && typeof envName === 'string') {
    problems.push({ path: `${at}.${envKey}`, message: `give either ${key} or ${envKey}, not both` });
    return undefined;
  }
  if (typeof inline === 'string') return inline;
  if (typeof envName === 'string') {
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
    if (!required) return '';
    problems.push({
      path: `${at}.${envKey}`,
      message: `environment variable ${envName} is not set (it should hold ${what})`,
    });
    return undefined;
  }
  if (!required) return '';
  problems.push({
    path: `${at}.${key}`,
    message: `is required: give ${what} as ${key}, or the name of an environment variable holding it as ${envKey}`,
  });
  return undefined;
}

function resolveTradingDay(value: unknown, problems: ConfigProblem[]): TradingDayConfig | undefined {
  const section = value as {
    timezone: string;
    resetTime: string;
    sessions: Partial<Record<Weekday, SessionWindow[]>>;
    holidays?: Holiday[];
    extraHolidays: Holiday[];
  };
  const base = section.holidays ?? CME_EQUITY_HOLIDAYS;
  const before = problems.length;
  problems.push(
    ...validateTradingDayConfig(
      {
        timezone: section.timezone,
        resetTime: section.resetTime,
        sessions: section.sessions,
        holidays: base,
      },
      'tradingDay',
    ),
  );
  // The extra rows are checked on their own (dates, kinds, one row per date among them); laid over
  // the base, a row on a listed date replaces it, which is how a shipped row is overridden.
  const probe = '@extra';
  for (const problem of validateTradingDayConfig(
    { timezone: 'UTC', resetTime: '00:00', sessions: {}, holidays: section.extraHolidays },
    probe,
  )) {
    if (problem.path.startsWith(`${probe}.holidays`)) {
      problems.push({
        path: `tradingDay.extraHolidays${problem.path.slice(`${probe}.holidays`.length)}`,
        message: problem.message.split(`${probe}.holidays`).join('tradingDay.extraHolidays'),
      });
    }
  }
  if (problems.length > before) return undefined;
  return {
    timezone: section.timezone,
    resetTime: section.resetTime,
    sessions: section.sessions,
    holidays: mergeHolidays(base, section.extraHolidays),
  };
}

function resolveNotifications(
  value: unknown,
  env: ConfigEnv,
  problems: ConfigProblem[],
): RiskdConfig['notifications'] | undefined {
  const section = value as { discord: Record<string, unknown>[]; telegram: Record<string, unknown>[] };
  const before = problems.length;
  const seen = new Map<string, string>();
  const checkId = (channel: Record<string, unknown>, at: string): void => {
    const id = String(channel['id']);
    const other = seen.get(id);
    if (other !== undefined) {
      problems.push({ path: `${at}.id`, message: `duplicate channel id "${id}" (also at ${other})` });
    } else {
      seen.set(id, at);
    }
  };
  const base = (channel: Record<string, unknown>) => ({
    id: String(channel['id']),
    enabled: channel['enabled'] as boolean,
    audience: channel['audience'] as NotificationAudience,
    minSeverity: channel['minSeverity'] as AlertSeverity,
  });
  const discord: DiscordChannelSettings[] = [];
  section.discord.forEach((channel, i) => {
    const at = `notifications.discord[${i}]`;
    checkId(channel, at);
    const webhookUrl = resolveSecret(
      channel,
      'webhookUrl',
      'webhookUrlEnv',
      at,
      env,
      channel['enabled'] !== false,
      'the Discord webhook URL',
      problems,
    );
    if (webhookUrl !== undefined && webhookUrl !== '' && !/^https?:\/\/\S+$/.test(webhookUrl)) {
      problems.push({
        path: `${at}.webhookUrlEnv`,
        message: 'the environment variable does not hold an http(s) URL',
      });
    }
    if (webhookUrl === undefined) return;
    discord.push({
      ...base(channel),
      webhookUrl,
      ...(typeof channel['webhookUrlEnv'] === 'string' ? { webhookUrlEnv: channel['webhookUrlEnv'] } : {}),
      ...(typeof channel['username'] === 'string' ? { username: channel['username'] } : {}),
    });
  });
  const telegram: TelegramChannelSettings[] = [];
  section.telegram.forEach((channel, i) => {
    const at = `notifications.telegram[${i}]`;
    checkId(channel, at);
    const botToken = resolveSecret(
      channel,
      'botToken',
      'botTokenEnv',
      at,
      env,
      channel['enabled'] !== false,
      'the Telegram bot token',
      problems,
    );
    if (botToken === undefined) return;
    telegram.push({
      ...base(channel),
      botToken,
      ...(typeof channel['botTokenEnv'] === 'string' ? { botTokenEnv: channel['botTokenEnv'] } : {}),
      chatId: String(channel['chatId']),
      apiBaseUrl: typeof channel['apiBaseUrl'] === 'string' ? channel['apiBaseUrl'] : TELEGRAM_API_BASE_URL,
    });
  });
  return problems.length > before ? undefined : { discord, telegram };
}

/** `storage.url` as an absolute `file:` URL: relative paths from the config's folder; default in the data dir. */
function resolveStorageUrl(value: unknown, configDir: string, dataDir: string): string {
  const url = (value as { url?: string }).url;
  if (url === undefined) return `file:${path.resolve(dataDir, DEFAULT_DATABASE_FILE)}`;
  const rest = url.slice('file:'.length);
  const query = rest.indexOf('?');
  const filePart = query < 0 ? rest : rest.slice(0, query);
  const suffix = query < 0 ? '' : rest.slice(query);
  if (filePart.startsWith('//')) return url; // file:///abs/path or a host form: already absolute
  return `file:${path.resolve(configDir, filePart)}${suffix}`;
}

async function buildRegistry(
  specifiers: readonly string[],
  options: {
    builtinPacks: readonly RulePack[];
    installDir: string;
    configDir: string;
    problems: ConfigProblem[];
  },
): Promise<RuleRegistry | undefined> {
  const packs: (RulePack | LoadedRulePack)[] = [];
  let failed = false;
  for (const [index, specifier] of specifiers.entries()) {
    const builtin = options.builtinPacks.find((p) => p.name === specifier);
    if (builtin) {
      packs.push(builtin);
      continue;
    }
    try {
      // Package names resolve from Riskd's installation, paths from the config file's folder.
      const resolveFrom = isPathSpecifier(specifier) ? options.configDir : options.installDir;
      const [loaded] = await loadRulePacks([specifier], { resolveFrom });
      if (loaded) packs.push(loaded);
    } catch (err) {
      if (!(err instanceof RulePackError)) throw err;
      failed = true;
      options.problems.push({ path: `rulePacks[${index}]`, message: err.message });
    }
  }
  if (failed) return undefined;
  try {
    return new RuleRegistry(packs);
  } catch (err) {
    if (!(err instanceof RulePackError)) throw err;
    options.problems.push({ path: 'rulePacks', message: err.message });
    return undefined;
  }
}

const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  [TIME_OF_DAY_PATTERN]: 'must be a time "HH:MM" (24 h)',
  [DATE_PATTERN]: 'must be a date "YYYY-MM-DD"',
  [ENV_NAME_PATTERN]:
    'must be an environment variable name (letters, digits and _, not starting with a digit)',
  '^https?://[^\\s/]+(/[^\\s]*)?$': 'must be an http(s) URL',
  '^(https?|wss?)://[^\\s/]+(/[^\\s]*)?$': 'must be an http(s) or ws(s) URL',
  '^file:.+': 'must be a file: URL, e.g. "file:./riskd.db"',
};

/** One ajv error as a config problem, in core-engine's style (required and unknown keys point at the key). */
function formatAjvError(error: ErrorObject): ConfigProblem {
  const at = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: appendPath(at, String(params['missingProperty'])), message: 'is required' };
    case 'additionalProperties':
      return {
        path: appendPath(at, String(params['additionalProperty'])),
        message: 'is not a known property',
      };
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[] | undefined) ?? [];
      return { path: at, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    case 'pattern':
      return {
        path: at,
        message: PATTERN_MESSAGES[String(params['pattern'])] ?? error.message ?? 'is malformed',
      };
    default:
      return { path: at, message: error.message ?? `fails "${error.keyword}"` };
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
