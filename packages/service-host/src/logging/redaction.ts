/**
 * Keys whose values are secrets: the ProjectX API key, tokens, passwords and password hashes,
 * webhook URLs and chat bot tokens, HTTP authorization headers.
 */
export const SECRET_KEYS: readonly string[] = [
  'apiKey',
  'token',
  'accessToken',
  'newToken',
  'botToken',
  'password',
  'newPassword',
  'passwordHash',
  'hash',
  'secret',
  'webhookUrl',
  'authorization',
  'Authorization',
  'cookie',
];

/** What a redacted value reads as in the logs. */
export const REDACTED = '[redacted]';

/**
 * pino redaction paths for {@link SECRET_KEYS}: at the top of a log object and nested up to three
 * levels deep (`config.broker.apiKey`, `req.headers.authorization`,
 * `config.notifications.discord.webhookUrl`). Redaction is by path, so a secret under another key
 * name is not caught: code that logs objects holding secrets must use these names.
 */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
  `*.*.*.${key}`,
]);
