import {
  DEFAULT_TRADING_DAY_CONFIG,
  type AccountConfig,
  type AlertSeverity,
  type RuleEntryConfig,
  type RuleRegistry,
  type TradingDayConfig,
} from '@riskd/core-engine';

/**
 * The Riskd config file (ARCHITECTURE.md "Configuration"): its model and its JSON Schema, in one
 * place. The schema carries every default (ajv's `useDefaults` fills them in when the file loads)
 * and refuses unknown keys at every level (`additionalProperties: false`), so a typo is an error,
 * not a silently ignored setting.
 *
 * Two schemas come out of it:
 * - {@link configValidationSchema}: what the loader validates with ajv. `rules` and `accounts` are
 *   only checked to be arrays there; core-engine's `validateRulesConfig` checks their entries
 *   against the loaded rule packs, with its own precise paths.
 * - {@link buildConfigJsonSchema}: the published schema (`riskd config schema`,
 *   `riskd.config.schema.json`) with every rule's options schema attached to the entries naming
 *   that rule, so editors complete and check the whole file.
 */

/** The default TopstepX endpoints (PROJECTX-GATEWAY.md section 1). */
export const TOPSTEPX_URLS = Object.freeze({
  apiUrl: 'https://api.topstepx.com',
  userHubUrl: 'https://rtc.topstepx.com/hubs/user',
  marketHubUrl: 'https://rtc.topstepx.com/hubs/market',
});

/** The control API's default port. */
export const DEFAULT_API_PORT = 7311;

/** The rule packs loaded when `rulePacks` is not set. */
export const DEFAULT_RULE_PACKS: readonly string[] = Object.freeze(['@riskd/rule-pack-standard']);

/** File name of the SQLite database in the data directory (the default `storage.url`). */
export const DEFAULT_DATABASE_FILE = 'riskd.db';

/** pino's levels, lowest first. */
export const LOG_LEVELS = Object.freeze(['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const);
export type ConfigLogLevel = (typeof LOG_LEVELS)[number];

/** Who a notification channel is for. */
export type NotificationAudience = 'admin' | 'trader' | 'all';

/** Client-side request budget of the broker adapter; absent fields keep the adapter's defaults. */
export interface RateLimitSettings {
  /** Requests per window (the gateway allows 200 per 60 s); `null` turns the client-side limit off (simulators). */
  readonly limit?: number | null;
  readonly windowMs?: number;
  /** The last requests of each window that only enforcement may use. */
  readonly snapshotReserve?: number;
}

/** `broker`: the ProjectX login and endpoints. */
export interface BrokerSettings {
  readonly provider: 'topstepx';
  /** ProjectX user name (not the e-mail, not an account name). */
  readonly userName: string;
  /** The API key: from the file, or read from the environment variable {@link apiKeyEnv}. A secret. */
  readonly apiKey: string;
  /** Name of the environment variable holding the API key, when it is not in the file. */
  readonly apiKeyEnv?: string;
  /** Gateway origin without `/api`. */
  readonly apiUrl: string;
  readonly userHubUrl: string;
  readonly marketHubUrl: string;
  readonly rateLimit?: RateLimitSettings;
  /** A subscribed contract without a quote this long while the market is open is stale. */
  readonly staleQuoteSeconds: number;
}

/** Fields every notification channel has. */
export interface ChannelSettingsBase {
  /** Channel name, unique across channels; trader notification preferences refer to it. */
  readonly id: string;
  readonly enabled: boolean;
  readonly audience: NotificationAudience;
  /** Alerts below this severity are not sent to the channel. */
  readonly minSeverity: AlertSeverity;
}

/** A Discord webhook. */
export interface DiscordChannelSettings extends ChannelSettingsBase {
  /** The webhook URL (a secret): from the file or from {@link webhookUrlEnv}. Empty when disabled and unset. */
  readonly webhookUrl: string;
  readonly webhookUrlEnv?: string;
  /** The name the webhook posts under. */
  readonly username?: string;
}

/** A Telegram bot and chat. */
export interface TelegramChannelSettings extends ChannelSettingsBase {
  /** The bot token (a secret): from the file or from {@link botTokenEnv}. Empty when disabled and unset. */
  readonly botToken: string;
  readonly botTokenEnv?: string;
  /** Chat id (`-100…` for groups) or `@channelname`. */
  readonly chatId: string;
  /** The Bot API origin, {@link TELEGRAM_API_BASE_URL} unless a local Bot API server is used. */
  readonly apiBaseUrl: string;
}

/** Telegram's Bot API origin. */
export const TELEGRAM_API_BASE_URL = 'https://api.telegram.org';

/** `notifications`: where alerts are delivered besides the log and the live stream. */
export interface NotificationSettings {
  readonly discord: readonly DiscordChannelSettings[];
  readonly telegram: readonly TelegramChannelSettings[];
}

/** `api`: the control API (always on 127.0.0.1). */
export interface ApiSettings {
  readonly port: number;
}

/** `storage`: the database. */
export interface StorageSettings {
  /** `file:` URL of the SQLite database, absolute after loading. */
  readonly url: string;
}

/** `logging`. */
export interface LoggingSettings {
  readonly level: ConfigLogLevel;
  /** Verbose logging (debug level and per-event detail); the admin can switch it on and off. */
  readonly verbose: boolean;
}

/**
 * The config as Riskd uses it: every default applied, secrets resolved from the environment,
 * relative paths resolved, `tradingDay.holidays` merged with `extraHolidays`. Deep-frozen.
 */
export interface RiskdConfig {
  readonly broker: BrokerSettings;
  /** The market calendar, ready for `MarketCalendar` (holidays already merged). */
  readonly tradingDay: TradingDayConfig;
  /** Whether fees count in realized P&L (RULES.md section 1). */
  readonly includeFees: boolean;
  readonly rulePacks: readonly string[];
  /** Universal rules, as written (validated against the rule packs). */
  readonly rules: readonly RuleEntryConfig[];
  /** Per-account settings and rules, as written (validated against the rule packs). */
  readonly accounts: readonly AccountConfig[];
  readonly notifications: NotificationSettings;
  readonly api: ApiSettings;
  readonly storage: StorageSettings;
  readonly logging: LoggingSettings;
}

/** The file as written: untrusted JSON until validated. */
export type ConfigDocument = Readonly<Record<string, unknown>>;

/** `HH:MM`, 24 h. */
export const TIME_OF_DAY_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
/** `YYYY-MM-DD` (the calendar check that the date exists comes after the schema). */
export const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
/** A portable environment variable name. */
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
const HTTP_URL_PATTERN = '^https?://[^\\s/]+(/[^\\s]*)?$';
const HUB_URL_PATTERN = '^(https?|wss?)://[^\\s/]+(/[^\\s]*)?$';
const CHANNEL_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

type Schema = Record<string, unknown>;

function sessionWindowSchema(): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['start', 'end'],
    properties: {
      start: { type: 'string', pattern: TIME_OF_DAY_PATTERN, description: 'Session start, "HH:MM".' },
      end: {
        type: 'string',
        pattern: TIME_OF_DAY_PATTERN,
        description: 'Session end, "HH:MM"; at or before the start means the next day (17:00 -> 15:10).',
      },
    },
  };
}

function holidaySchema(): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['date', 'name', 'kind'],
    properties: {
      date: { type: 'string', pattern: DATE_PATTERN, description: 'Calendar date "YYYY-MM-DD" in the zone.' },
      name: {
        type: 'string',
        minLength: 1,
        description: 'What the day is, e.g. "National Day of Mourning".',
      },
      kind: {
        enum: ['closed', 'early-close'],
        description: '`closed`: no trading for that trade date; `early-close`: trading stops at `close`.',
      },
      close: {
        type: 'string',
        pattern: TIME_OF_DAY_PATTERN,
        description: 'Early closes only: the flat deadline "HH:MM" (Topstep: 15 minutes before the halt).',
      },
      reopen: {
        type: 'string',
        pattern: TIME_OF_DAY_PATTERN,
        description:
          'Early closes only: when trading resumes the same date (e.g. "17:00" after a noon halt).',
      },
      noEveningSession: {
        type: 'boolean',
        description: 'Closed days only: also drop the session that opens on this date.',
      },
      note: { type: 'string', description: 'Free text: sources, the exchange times.' },
      status: { enum: ['confirmed', 'derived'], description: 'How well the row is sourced.' },
    },
  };
}

function channelBaseProperties(): Record<string, Schema> {
  return {
    id: {
      type: 'string',
      pattern: CHANNEL_ID_PATTERN,
      description: 'Channel name, unique across all channels (trader preferences refer to it).',
    },
    enabled: {
      type: 'boolean',
      default: true,
      description: '`false` keeps the channel configured but silent.',
    },
    audience: {
      enum: ['admin', 'trader', 'all'],
      default: 'all',
      description: 'Who the channel is for: admin alerts (config, stop, failures), trader alerts, or both.',
    },
    minSeverity: {
      enum: ['info', 'warning', 'critical'],
      default: 'info',
      description: 'Alerts below this severity are not sent here.',
    },
  };
}

function brokerSchema(): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['userName'],
    description: 'The ProjectX login whose accounts Riskd protects.',
    properties: {
      provider: {
        enum: ['topstepx'],
        default: 'topstepx',
        description: 'The broker API: TopstepX (ProjectX).',
      },
      userName: {
        type: 'string',
        minLength: 1,
        description: 'ProjectX user name (not the e-mail, not an account name).',
      },
      apiKey: {
        type: 'string',
        minLength: 1,
        description: 'ProjectX API key (a secret: keep the file owner-only). Give `apiKey` or `apiKeyEnv`.',
      },
      apiKeyEnv: {
        type: 'string',
        pattern: ENV_NAME_PATTERN,
        description: 'Name of the environment variable that holds the API key, instead of `apiKey`.',
      },
      apiUrl: {
        type: 'string',
        pattern: HTTP_URL_PATTERN,
        default: TOPSTEPX_URLS.apiUrl,
        description: 'Gateway origin without `/api`.',
      },
      userHubUrl: {
        type: 'string',
        pattern: HUB_URL_PATTERN,
        default: TOPSTEPX_URLS.userHubUrl,
        description: 'SignalR user hub URL.',
      },
      marketHubUrl: {
        type: 'string',
        pattern: HUB_URL_PATTERN,
        default: TOPSTEPX_URLS.marketHubUrl,
        description: 'SignalR market hub URL.',
      },
      rateLimit: {
        type: 'object',
        additionalProperties: false,
        description:
          "Client-side request budget; absent fields keep the adapter's defaults (200 per 60 s, 40 reserved).",
        properties: {
          limit: {
            type: ['integer', 'null'],
            minimum: 1,
            description: 'Requests per window; null turns the client-side limit off (simulators only).',
          },
          windowMs: { type: 'integer', minimum: 1, description: 'Window length in milliseconds.' },
          snapshotReserve: {
            type: 'integer',
            minimum: 0,
            description: 'The last requests of each window that only enforcement may use.',
          },
        },
      },
      staleQuoteSeconds: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 15,
        description: 'A subscribed contract without a quote this long while the market is open is stale.',
      },
    },
  };
}

function tradingDaySchema(): Schema {
  const sessions = Object.fromEntries(
    WEEKDAYS.map((day) => [
      day,
      { type: 'array', items: sessionWindowSchema(), description: `Sessions starting on ${day}.` },
    ]),
  );
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'The market calendar: time zone, daily reset, weekly sessions and holidays.',
    properties: {
      timezone: {
        type: 'string',
        minLength: 1,
        default: DEFAULT_TRADING_DAY_CONFIG.timezone,
        description: 'IANA time zone of the reset, sessions and holidays.',
      },
      resetTime: {
        type: 'string',
        pattern: TIME_OF_DAY_PATTERN,
        default: DEFAULT_TRADING_DAY_CONFIG.resetTime,
        description: 'Daily trading-day reset, "HH:MM".',
      },
      sessions: {
        type: 'object',
        additionalProperties: false,
        default: structuredClone(DEFAULT_TRADING_DAY_CONFIG.sessions),
        description:
          'Sessions by the weekday on which each starts; replaces the default (the TopstepX day, Sun-Thu 17:00 -> 15:10) whole.',
        properties: sessions,
      },
      holidays: {
        type: 'array',
        items: holidaySchema(),
        description:
          "Closed days and early closes. Default: Riskd's shipped CME equity-index calendar for 2026-2027. Setting it replaces that calendar whole; to add to it use `extraHolidays`.",
      },
      extraHolidays: {
        type: 'array',
        items: holidaySchema(),
        default: [],
        description:
          'Closures laid over `holidays` (e.g. a national day of mourning); an entry on a date already listed replaces that row.',
      },
    },
  };
}

function notificationsSchema(): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'Chat channels alerts are delivered to (besides the log and the live stream).',
    properties: {
      discord: {
        type: 'array',
        default: [],
        description: 'Discord webhooks.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id'],
          properties: {
            ...channelBaseProperties(),
            webhookUrl: {
              type: 'string',
              pattern: HTTP_URL_PATTERN,
              description: 'Webhook URL (a secret). Give `webhookUrl` or `webhookUrlEnv`.',
            },
            webhookUrlEnv: {
              type: 'string',
              pattern: ENV_NAME_PATTERN,
              description: 'Name of the environment variable that holds the webhook URL.',
            },
            username: { type: 'string', minLength: 1, description: 'The name the webhook posts under.' },
          },
        },
      },
      telegram: {
        type: 'array',
        default: [],
        description: 'Telegram bots and chats.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'chatId'],
          properties: {
            ...channelBaseProperties(),
            botToken: {
              type: 'string',
              minLength: 1,
              description: 'Bot token (a secret). Give `botToken` or `botTokenEnv`.',
            },
            botTokenEnv: {
              type: 'string',
              pattern: ENV_NAME_PATTERN,
              description: 'Name of the environment variable that holds the bot token.',
            },
            chatId: {
              type: ['string', 'integer'],
              pattern: '^(-?[0-9]+|@[A-Za-z0-9_]{5,})$',
              description: 'Chat id (e.g. -1001234567890) or @channelname.',
            },
            apiBaseUrl: {
              type: 'string',
              pattern: HTTP_URL_PATTERN,
              default: 'https://api.telegram.org',
              description:
                'The Bot API origin (a local Bot API server, for instance); requests go to <apiBaseUrl>/bot<token>/sendMessage.',
            },
          },
        },
      },
    },
  };
}

/**
 * The schema of the whole file with `rules` and `accounts` checked only as arrays. `rules` and
 * `accounts` entries are validated against the rule packs by `validateRulesConfig` (their paths
 * and messages are core-engine's).
 */
export function configValidationSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Riskd config',
    description: 'The configuration of the Riskd risk daemon (riskd.config.json).',
    type: 'object',
    additionalProperties: false,
    required: ['broker'],
    properties: {
      $schema: { type: 'string', description: 'The JSON Schema this file follows (for editors).' },
      broker: brokerSchema(),
      tradingDay: tradingDaySchema(),
      includeFees: {
        type: 'boolean',
        default: true,
        description: 'Whether fees count in realized P&L (RULES.md section 1).',
      },
      rulePacks: {
        type: 'array',
        default: [...DEFAULT_RULE_PACKS],
        uniqueItems: true,
        items: { type: 'string', minLength: 1 },
        description:
          "Rule packs to load: npm package names (resolved from Riskd's installation) or paths (relative to this file). Changes apply on restart.",
      },
      rules: {
        type: 'array',
        default: [],
        description: 'Universal rules: every protected account gets them.',
      },
      accounts: {
        type: 'array',
        default: [],
        description: 'Per-account settings and rules.',
      },
      notifications: notificationsSchema(),
      api: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'The control API (always on 127.0.0.1).',
        properties: {
          port: {
            type: 'integer',
            minimum: 0,
            maximum: 65535,
            default: DEFAULT_API_PORT,
            description: 'TCP port on 127.0.0.1; 0 picks a free port.',
          },
        },
      },
      storage: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'The database.',
        properties: {
          url: {
            type: 'string',
            pattern: '^file:.+',
            description: `SQLite database as a file: URL; relative paths are relative to this file. Default: file:<data directory>/${DEFAULT_DATABASE_FILE}.`,
          },
        },
      },
      logging: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'Logs (JSON to a rotating file in the data directory).',
        properties: {
          level: { enum: [...LOG_LEVELS], default: 'info', description: 'Lowest level written.' },
          verbose: {
            type: 'boolean',
            default: false,
            description: 'Verbose logging (debug detail per event); the admin can switch it at run time.',
          },
        },
      },
    },
  };
}

/**
 * The published JSON Schema of the whole file: {@link configValidationSchema} with the rule
 * registry's `rules` and `accounts` schemas (every rule id, every preset id, and each rule's
 * options schema attached to entries naming it), so editors complete rule options.
 */
export function buildConfigJsonSchema(registry: RuleRegistry): Record<string, unknown> {
  const schema = configValidationSchema();
  const properties = schema['properties'] as Record<string, Schema>;
  const rulesSchema = registry.rulesConfigJsonSchema()['properties'] as Record<string, Schema>;
  const rules = rulesSchema['rules'] as Schema;
  const accounts = rulesSchema['accounts'] as Schema;
  // The rule entry (with every rule's options) is defined once and referenced from both lists.
  const ruleEntry = rules['items'] as Schema;
  const entryRef = { $ref: '#/definitions/ruleEntry' };
  const accountEntry = structuredClone(accounts['items']) as Schema;
  const accountProperties = accountEntry['properties'] as Record<string, Schema>;
  accountProperties['rules'] = { ...accountProperties['rules'], items: entryRef };
  properties['rules'] = { ...rules, items: entryRef, default: [] };
  properties['accounts'] = { ...accounts, items: accountEntry, default: [] };
  return { ...schema, definitions: { ruleEntry } };
}

/** The published schema as the committed file holds it (2-space JSON and a final newline). */
export function renderConfigJsonSchema(registry: RuleRegistry): string {
  return `${JSON.stringify(buildConfigJsonSchema(registry), null, 2)}\n`;
}

/** The sections of the config file (its top-level keys, without `$schema`). */
export const CONFIG_SECTIONS = Object.freeze([
  'broker',
  'tradingDay',
  'includeFees',
  'rulePacks',
  'rules',
  'accounts',
  'notifications',
  'api',
  'storage',
  'logging',
] as const);
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];
