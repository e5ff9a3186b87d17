import { isRecord } from './config-util.js';

/**
 * Keys whose values are secrets wherever they appear in the config: the ProjectX API key, webhook
 * URLs and bot tokens. Their `...Env` companions hold variable names, which are not secret.
 */
export const CONFIG_SECRET_KEYS: readonly string[] = Object.freeze(['apiKey', 'webhookUrl', 'botToken']);

/** pino redaction paths of the secrets of a config logged under `config` (or at the top level). */
export const CONFIG_SECRET_LOG_PATHS: readonly string[] = Object.freeze([
  'broker.apiKey',
  'notifications.discord[*].webhookUrl',
  'notifications.telegram[*].botToken',
  'config.broker.apiKey',
  'config.notifications.discord[*].webhookUrl',
  'config.notifications.telegram[*].botToken',
]);

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

const SECRET_KEY_SET = new Set(CONFIG_SECRET_KEYS);

/** Whether a config key holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY_SET.has(key);
}

/**
 * A deep copy of a config (the loaded `RiskdConfig` or a document as written) with every secret
 * replaced by `"[redacted]"`, for logs, the control API and revision diffs. Empty secrets (a
 * disabled channel without one) stay empty so the copy still shows what is missing.
 */
export function redactConfig<T>(config: T): T {
  return redactValue(config) as T;
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) && typeof item === 'string' && item !== '' ? REDACTED : redactValue(item);
  }
  return out;
}

/** The paths of the secrets written in a document itself (not taken from the environment). */
export function inlineSecretPaths(document: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    if (!isRecord(value)) return;
    for (const [key, item] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (isSecretKey(key) && typeof item === 'string' && item !== '') found.push(at);
      else walk(item, at);
    }
  };
  walk(document, '');
  return found;
}
