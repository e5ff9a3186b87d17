/**
 * JSON schemas of the wire types, one per type of `wire-types.ts` and in the same order. Response
 * objects are closed (`additionalProperties: false`): the server's serializer drops any field a
 * schema does not list, so a read route cannot leak a field nobody declared.
 */
import {
  arrayOf,
  boolean,
  closedObject,
  instant,
  integer,
  money,
  NOT_BLANK_PATTERN,
  nullable,
  number,
  openObject,
  stringEnum,
  text,
  TIME_OF_DAY_PATTERN,
  type JsonSchema,
} from './schema-helpers.js';

export const ROLE_VALUES = ['admin', 'trader'] as const;
export const CREDENTIAL_STATE_VALUES = ['set', 'unset', 'none'] as const;
export const RULE_MODE_VALUES = ['enforce', 'alert-only', 'dry-run'] as const;
export const ALERT_SEVERITY_VALUES = ['info', 'warning', 'critical'] as const;
export const LOCKOUT_CONDITION_VALUES = ['can-trade', 'config-valid', 'symbol-unblocked'] as const;
export const LOG_LEVEL_VALUES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export const API_ERROR_CODE_VALUES = [
  'VALIDATION_FAILED',
  'INVALID_BODY',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'THROTTLED',
  'PASSWORD_NOT_SET',
  'UNAVAILABLE',
  'NOT_ACCEPTABLE',
  'INTERNAL',
] as const;

/** Instance keys of rule entries (same pattern as the config's). */
const INSTANCE_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

const accountId = integer({ minimum: 1, description: 'ProjectX account id.' });
const reasonText = (description: string): JsonSchema =>
  text({ minLength: 3, maxLength: 500, pattern: NOT_BLANK_PATTERN, description });

// Errors ----------------------------------------------------------------------------------------

export const PROBLEM_SCHEMA = closedObject({
  path: text({ description: 'JSON path of the offending value, e.g. `body.rules[0].mode`.' }),
  message: text(),
});

export const API_ERROR_SCHEMA = closedObject(
  {
    statusCode: integer(),
    error: text({ description: 'HTTP reason phrase.' }),
    code: stringEnum(API_ERROR_CODE_VALUES),
    message: text(),
    problems: arrayOf(PROBLEM_SCHEMA),
    retryAfterSeconds: integer({ minimum: 1 }),
    requestId: text(),
  },
  ['statusCode', 'error', 'message'],
  'Every error response. 5xx bodies never carry details: look the request id up in the log.',
);

// Root and auth ---------------------------------------------------------------------------------

export const HEALTH_SCHEMA = closedObject({
  status: stringEnum(['ok', 'starting', 'stopping']),
  ready: boolean(),
  now: instant(),
});

export const LOGIN_REQUEST_SCHEMA = closedObject({
  role: stringEnum(ROLE_VALUES),
  password: text({ minLength: 1, maxLength: 1024 }),
});

export const LOGIN_RESPONSE_SCHEMA = closedObject({
  token: text({ description: 'Bearer token (opaque).' }),
  expiresAt: instant(),
  role: stringEnum(ROLE_VALUES),
});

// Read routes -----------------------------------------------------------------------------------

export const TRADING_DAY_SCHEMA = closedObject({
  id: text({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  start: instant(),
  end: instant(),
});

export const STATUS_SCHEMA = closedObject({
  version: text(),
  startedAt: instant(),
  now: instant(),
  phase: stringEnum(['starting', 'running', 'stopping']),
  ready: boolean(),
  broker: closedObject({
    provider: text(),
    state: stringEnum(['connected', 'connecting', 'reconnecting', 'disconnected']),
    since: nullable(instant()),
  }),
  tradingDay: TRADING_DAY_SCHEMA,
  lastResetAt: nullable(instant()),
  market: closedObject({ open: boolean(), nextChangeAt: nullable(instant()) }),
  config: closedObject({
    revision: integer({ minimum: 0 }),
    loadedAt: nullable(instant()),
    failsafe: boolean(),
    problems: arrayOf(PROBLEM_SCHEMA),
  }),
  counts: closedObject({
    accounts: integer({ minimum: 0 }),
    protectedAccounts: integer({ minimum: 0 }),
    openPositions: integer({ minimum: 0 }),
    lockouts: integer({ minimum: 0 }),
  }),
  auth: closedObject({
    admin: stringEnum(CREDENTIAL_STATE_VALUES),
    trader: stringEnum(CREDENTIAL_STATE_VALUES),
  }),
});

export const PNL_SCHEMA = closedObject({
  realized: money(),
  unrealized: money(),
  combined: money(),
  fees: money(),
  peakRealized: money(),
  peakCombined: money(),
  stale: boolean(),
});

const ACCOUNT_SUMMARY_PROPERTIES: Record<string, JsonSchema> = {
  id: accountId,
  name: text(),
  protected: boolean(),
  alertOnly: boolean(),
  canTrade: boolean(),
  simulated: boolean(),
  balance: nullable(money()),
  equity: nullable(money()),
  balanceAtReset: nullable(money()),
  pnl: PNL_SCHEMA,
  openPositions: integer({ minimum: 0 }),
  workingOrders: integer({ minimum: 0 }),
  locked: boolean(),
  lockoutIds: arrayOf(text()),
};

export const ACCOUNT_SUMMARY_SCHEMA = closedObject(ACCOUNT_SUMMARY_PROPERTIES);

export const POSITION_SCHEMA = closedObject({
  contractId: text(),
  contractName: text(),
  symbol: text(),
  side: stringEnum(['long', 'short']),
  size: integer({ minimum: 1 }),
  averagePrice: number(),
  basisPrice: number(),
  mark: number(),
  markStale: boolean(),
  carried: boolean(),
  openedAt: instant(),
  lastQuoteAt: nullable(instant()),
  unrealized: money(),
});

export const WORKING_ORDER_SCHEMA = closedObject({
  id: integer(),
  contractId: text(),
  symbol: text(),
  type: stringEnum([
    'unknown',
    'limit',
    'market',
    'stop-limit',
    'stop',
    'trailing-stop',
    'join-bid',
    'join-ask',
  ]),
  side: stringEnum(['buy', 'sell']),
  size: integer({ minimum: 0 }),
  status: stringEnum(['open', 'pending', 'suspended', 'pending-cancellation']),
  limitPrice: nullable(number()),
  stopPrice: nullable(number()),
  fillVolume: integer({ minimum: 0 }),
  createdAt: instant(),
});

export const ROUND_TRIP_SCHEMA = closedObject({
  contractId: text(),
  symbol: text(),
  side: stringEnum(['long', 'short']),
  openedAt: instant(),
  closedAt: instant(),
  pnl: money(),
  fees: money(),
  maxSize: integer({ minimum: 1 }),
});

/** What a lockout and each of its holds say: who asked, why, since when and until when. */
const LOCKOUT_HOLD_PROPERTIES = {
  ruleId: text(),
  instanceId: text(),
  code: text(),
  reason: text(),
  startedAt: instant(),
  endsAt: nullable(instant('The instant it ends; null when a condition ends it.')),
  endCondition: nullable(stringEnum(LOCKOUT_CONDITION_VALUES)),
};

export const LOCKOUT_HOLD_SCHEMA = closedObject(LOCKOUT_HOLD_PROPERTIES);

const LOCKOUT_PROPERTIES = {
  id: text({ description: '`<accountId>:account` or `<accountId>:symbol:<SYMBOL>`.' }),
  accountId,
  scope: stringEnum(['account', 'symbol']),
  symbol: nullable(text()),
  ...LOCKOUT_HOLD_PROPERTIES,
  holds: arrayOf(LOCKOUT_HOLD_SCHEMA, {
    description:
      'The other holds on this scope, latest end first: the scope is locked until every one has ended too.',
  }),
};

/** `holds` is the one optional field: lockouts written by a daemon before holds existed lack it. */
export const LOCKOUT_SCHEMA = closedObject(
  LOCKOUT_PROPERTIES,
  Object.keys(LOCKOUT_PROPERTIES).filter((key) => key !== 'holds'),
);

export const ACCOUNT_DETAIL_SCHEMA = closedObject({
  ...ACCOUNT_SUMMARY_PROPERTIES,
  tradingDay: TRADING_DAY_SCHEMA,
  positions: arrayOf(POSITION_SCHEMA),
  orders: arrayOf(WORKING_ORDER_SCHEMA),
  lockouts: arrayOf(LOCKOUT_SCHEMA),
  roundTrips: arrayOf(ROUND_TRIP_SCHEMA),
});

export const ACCOUNTS_RESPONSE_SCHEMA = closedObject({ accounts: arrayOf(ACCOUNT_SUMMARY_SCHEMA) });

export const PNL_POINT_SCHEMA = closedObject({
  at: instant(),
  realized: money(),
  unrealized: money(),
  combined: money(),
});

export const PNL_SERIES_SCHEMA = closedObject({
  accountId,
  tradingDay: TRADING_DAY_SCHEMA,
  points: arrayOf(PNL_POINT_SCHEMA),
});

export const RULE_INSTANCE_SCHEMA = closedObject({
  ruleId: text(),
  instanceId: text(),
  title: nullable(text()),
  mode: stringEnum(RULE_MODE_VALUES),
  warnAt: nullable(number()),
  options: openObject('Validated options with defaults applied.'),
  source: text(),
});

export const PENDING_CHANGE_SCHEMA = closedObject({
  path: text(),
  summary: text(),
  appliesAt: instant(),
});

export const ACCOUNT_RULES_SCHEMA = closedObject({
  accountId,
  name: nullable(text()),
  protected: boolean(),
  source: nullable(text()),
  preset: nullable(text()),
  rules: arrayOf(RULE_INSTANCE_SCHEMA),
  pending: arrayOf(PENDING_CHANGE_SCHEMA),
});

export const RULES_IN_FORCE_SCHEMA = closedObject({ accounts: arrayOf(ACCOUNT_RULES_SCHEMA) });

export const RULE_TIMER_SCHEMA = closedObject({
  accountId,
  ruleId: nullable(text()),
  instanceId: text(),
  key: text(),
  at: instant(),
});

export const LOCKOUTS_RESPONSE_SCHEMA = closedObject({
  now: instant(),
  lockouts: arrayOf(LOCKOUT_SCHEMA),
  timers: arrayOf(RULE_TIMER_SCHEMA),
});

export const ENFORCEMENT_TIMINGS_SCHEMA = closedObject({
  receivedAt: nullable(instant()),
  decidedAt: nullable(instant()),
  sentAt: nullable(instant()),
  confirmedAt: nullable(instant()),
});

export const ENFORCEMENT_SCHEMA = closedObject({
  id: text(),
  at: instant(),
  accountId,
  contractId: nullable(text()),
  symbol: nullable(text()),
  ruleId: nullable(text()),
  instanceId: nullable(text()),
  code: text(),
  reason: text(),
  mode: stringEnum(RULE_MODE_VALUES),
  action: stringEnum(['alert', 'cancel', 'reduce', 'close', 'flatten', 'lockout']),
  outcome: stringEnum(['in-progress', 'confirmed', 'failed', 'superseded', 'aborted', 'recorded']),
  idempotencyKey: nullable(text()),
  attempts: integer({ minimum: 0 }),
  timings: ENFORCEMENT_TIMINGS_SCHEMA,
  latencyMs: nullable(number({ minimum: 0 })),
});

export function pageSchema(item: JsonSchema): JsonSchema {
  return closedObject({
    items: arrayOf(item),
    nextCursor: nullable(
      text({ description: 'Pass back as `cursor` for the next page; null on the last page.' }),
    ),
  });
}

export const AUDIT_RECORD_SCHEMA = closedObject({
  seq: integer({ minimum: 1 }),
  at: instant(),
  kind: text(),
  accountId: nullable(accountId),
  contractId: nullable(text()),
  ruleId: nullable(text()),
  instanceId: nullable(text()),
  code: nullable(text()),
  reason: nullable(text()),
  mode: nullable(stringEnum(RULE_MODE_VALUES)),
  idempotencyKey: nullable(text()),
  event: { description: 'A compact description of the triggering event (any JSON), or null.' },
  timings: nullable(ENFORCEMENT_TIMINGS_SCHEMA),
  data: { description: 'The numbers behind the reason (any JSON), or null.' },
  hash: text({ pattern: '^[0-9a-f]+$' }),
});

// Live stream -----------------------------------------------------------------------------------

export const ALERT_SCHEMA = closedObject({
  id: text(),
  at: instant(),
  severity: stringEnum(ALERT_SEVERITY_VALUES),
  kind: text(),
  accountId: nullable(accountId),
  ruleId: nullable(text()),
  code: nullable(text()),
  title: text(),
  message: text(),
  fields: { type: 'object', additionalProperties: { type: 'string' } },
});

export const HELLO_EVENT_SCHEMA = closedObject({
  type: { const: 'hello' },
  bootId: text(),
  now: instant(),
  resync: boolean(),
  replayed: integer({ minimum: 0 }),
});

/** Every live event, as a union tagged by `type` (also the SSE `event:` name). */
export const LIVE_EVENT_SCHEMA: JsonSchema = {
  anyOf: [
    HELLO_EVENT_SCHEMA,
    closedObject({ type: { const: 'alert' }, alert: ALERT_SCHEMA }),
    closedObject({ type: { const: 'enforcement' }, enforcement: ENFORCEMENT_SCHEMA }),
    closedObject({
      type: { const: 'lockout' },
      change: stringEnum(['started', 'updated', 'ended', 'cleared']),
      lockout: LOCKOUT_SCHEMA,
    }),
    closedObject({ type: { const: 'account' }, account: ACCOUNT_SUMMARY_SCHEMA }),
    closedObject({ type: { const: 'status' }, status: STATUS_SCHEMA }),
    closedObject({ type: { const: 'audit' }, record: AUDIT_RECORD_SCHEMA }),
  ],
};

// Trader routes ---------------------------------------------------------------------------------

export const CLOCK_REQUEST_SCHEMA = closedObject({ note: text({ maxLength: 500 }) }, []);

export const WORK_SESSION_SCHEMA = closedObject({
  id: text(),
  clockedInAt: instant(),
  clockedOutAt: nullable(instant()),
  noteIn: nullable(text()),
  noteOut: nullable(text()),
});

export const CLOCK_RESPONSE_SCHEMA = closedObject({ session: WORK_SESSION_SCHEMA });

export const NOTIFICATION_PREFERENCES_SCHEMA = closedObject({
  kinds: {
    anyOf: [
      { type: 'string', const: 'all' },
      arrayOf(text({ minLength: 1, maxLength: 64 }), { maxItems: 100 }),
    ],
    description: 'Alert kinds to deliver, or "all".',
  },
  channels: arrayOf(text({ minLength: 1, maxLength: 64 }), { maxItems: 20 }),
  quietHours: nullable(
    closedObject({
      start: text({ pattern: TIME_OF_DAY_PATTERN }),
      end: text({ pattern: TIME_OF_DAY_PATTERN }),
    }),
  ),
});

export const SELF_LOCKOUT_REQUEST_SCHEMA = closedObject(
  {
    accountId: { ...accountId, description: 'The account to lock; omitted: every protected account.' },
    until: {
      anyOf: [{ type: 'string', const: 'reset' }, instant()],
      description: '"reset" (the next trading-day reset) or an ISO instant in the future.',
    },
    reason: text({ maxLength: 500 }),
  },
  ['until'],
);

export const SELF_LOCKOUT_RESPONSE_SCHEMA = closedObject({ lockouts: arrayOf(LOCKOUT_SCHEMA) });

// Admin routes ----------------------------------------------------------------------------------

export const RULE_ENTRY_WIRE_SCHEMA = closedObject(
  {
    rule: text({ minLength: 1, description: 'Id of the rule, e.g. "daily-loss-limit".' }),
    id: text({ pattern: INSTANCE_KEY_PATTERN, description: 'Instance key; defaults to the rule id.' }),
    options: openObject("The rule's options (see the rule's own schema)."),
    mode: stringEnum(RULE_MODE_VALUES),
    enabled: boolean(),
    warnAt: number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
  },
  ['rule'],
);

export const ACCOUNT_ENTRY_WIRE_SCHEMA = closedObject(
  {
    id: accountId,
    name: text({ minLength: 1 }),
    enabled: boolean(),
    preset: text({ minLength: 1 }),
    rules: arrayOf(RULE_ENTRY_WIRE_SCHEMA),
  },
  [],
);

export const RULES_CONFIG_RESPONSE_SCHEMA = closedObject({
  revision: integer({ minimum: 0 }),
  rules: arrayOf(RULE_ENTRY_WIRE_SCHEMA),
});

export const ACCOUNTS_CONFIG_RESPONSE_SCHEMA = closedObject({
  revision: integer({ minimum: 0 }),
  accounts: arrayOf(ACCOUNT_ENTRY_WIRE_SCHEMA),
});

const CONFIG_WRITE_PROPERTIES: Record<string, JsonSchema> = {
  expectedRevision: integer({
    minimum: 0,
    description: 'Refuse the write (409) unless the config is at this revision.',
  }),
  force: boolean({
    description: 'Apply loosening changes now instead of at the next reset (needs a reason).',
  }),
  reason: reasonText('Why; required with `force` (audited and alerted).'),
};

/** `force: true` needs a reason (RULES.md section 2). */
const FORCE_NEEDS_REASON = {
  if: { required: ['force'], properties: { force: { const: true } } },
  then: { required: ['reason'] },
};

export const PUT_RULES_CONFIG_REQUEST_SCHEMA: JsonSchema = {
  ...closedObject({ rules: arrayOf(RULE_ENTRY_WIRE_SCHEMA), ...CONFIG_WRITE_PROPERTIES }, ['rules']),
  ...FORCE_NEEDS_REASON,
};

export const PUT_ACCOUNTS_CONFIG_REQUEST_SCHEMA: JsonSchema = {
  ...closedObject({ accounts: arrayOf(ACCOUNT_ENTRY_WIRE_SCHEMA), ...CONFIG_WRITE_PROPERTIES }, ['accounts']),
  ...FORCE_NEEDS_REASON,
};

export const CONFIG_CHANGE_RESPONSE_SCHEMA = closedObject({
  revision: integer({ minimum: 0 }),
  changes: arrayOf(
    closedObject({
      path: text(),
      summary: text(),
      strictness: stringEnum(['tighter', 'looser']),
      appliesAt: nullable(instant('Null when applied at once; else the reset at which it applies.')),
      forced: boolean(),
    }),
  ),
});

export const BROKER_CREDENTIALS_REQUEST_SCHEMA = closedObject({
  userName: text({ minLength: 1, maxLength: 200, pattern: NOT_BLANK_PATTERN }),
  apiKey: text({ minLength: 1, maxLength: 4096, pattern: NOT_BLANK_PATTERN, writeOnly: true }),
});

export const BROKER_CREDENTIALS_RESPONSE_SCHEMA = closedObject({
  userName: text(),
  apiKeyStored: { type: 'boolean', const: true },
  reconnecting: boolean(),
});

export const CLEAR_LOCKOUT_REQUEST_SCHEMA = closedObject({
  reason: reasonText('Why the lockout is lifted (mandatory, audited).'),
});

export const CLEAR_LOCKOUT_RESPONSE_SCHEMA = closedObject({ lockout: LOCKOUT_SCHEMA, clearedAt: instant() });

export const STOP_REQUEST_SCHEMA = closedObject(
  {
    reason: reasonText('Why the daemon stops (mandatory, audited, sent as a critical alert).'),
    flatten: boolean({ description: 'Flatten every protected account first (default false).' }),
    lock: boolean({
      description: 'Lock every protected account until the next reset first (default false).',
    }),
  },
  ['reason'],
);

export const STOP_RESPONSE_SCHEMA = closedObject({
  accepted: { type: 'boolean', const: true },
  exitCode: integer(),
  flattened: arrayOf(accountId),
  locked: arrayOf(accountId),
  stoppingAt: instant(),
});

export const RESTART_REQUEST_SCHEMA = closedObject({
  reason: reasonText('Why the daemon restarts (audited).'),
});

export const RESTART_RESPONSE_SCHEMA = closedObject({
  accepted: { type: 'boolean', const: true },
  restartingAt: instant(),
});

export const LOG_LINE_SCHEMA = closedObject({
  time: instant(),
  level: stringEnum(LOG_LEVEL_VALUES),
  component: nullable(text()),
  msg: text(),
  fields: openObject('The other fields of the line, secrets redacted.'),
});

export const LOGS_RESPONSE_SCHEMA = closedObject({ lines: arrayOf(LOG_LINE_SCHEMA) });

export const OPENAPI_DOCUMENT_SCHEMA = openObject('An OpenAPI 3.1 document.');
