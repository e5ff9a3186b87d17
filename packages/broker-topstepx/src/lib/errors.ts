/**
 * Errors of the TopstepX adapter. Every error carries a stable `code`; messages never contain the
 * API key or a session token (see {@link redactSecrets}).
 */

const REDACTED = '[redacted]';

/** Strings registered here are removed from every error message and log line the adapter writes. */
const registeredSecrets = new Set<string>();

/** A JWT (three base64url parts, the first starting `eyJ`). */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** Query-string and header forms a token can take. */
const TOKEN_PARAM_PATTERN = /(access_token=)[^&\s"']+/gi;
const BEARER_PATTERN = /(Bearer\s+)[^\s"',]+/gi;
const API_KEY_FIELD_PATTERN = /("apiKey"\s*:\s*")[^"]*(")/gi;

/**
 * Registers a secret (the API key, a session token) so that {@link redactSecrets} removes it.
 * Secrets shorter than 4 characters are ignored: removing them would garble ordinary text.
 */
export function registerSecret(secret: string | null | undefined): void {
  if (secret && secret.length >= 4) registeredSecrets.add(secret);
}

/** Forgets a secret that is no longer in use (an expired token). */
export function forgetSecret(secret: string | null | undefined): void {
  if (secret) registeredSecrets.delete(secret);
}

/** Removes registered secrets, JWTs, `access_token=` values, bearer tokens and `"apiKey"` values. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(JWT_PATTERN, REDACTED)
    .replace(TOKEN_PARAM_PATTERN, `$1${REDACTED}`)
    .replace(BEARER_PATTERN, `$1${REDACTED}`)
    .replace(API_KEY_FIELD_PATTERN, `$1${REDACTED}$2`);
}

export type TopstepXErrorCode =
  | 'TOPSTEPX_CONFIG_INVALID'
  | 'TOPSTEPX_AUTH_FAILED'
  | 'TOPSTEPX_HTTP_STATUS'
  | 'TOPSTEPX_TRANSPORT'
  | 'TOPSTEPX_TIMEOUT'
  | 'TOPSTEPX_RATE_LIMITED'
  | 'TOPSTEPX_BROKER_ERROR'
  | 'TOPSTEPX_MALFORMED_PAYLOAD'
  | 'TOPSTEPX_NOT_CONNECTED'
  | 'TOPSTEPX_CLOSED';

/** Base error of `@riskd/broker-topstepx`. The message is redacted when the error is built. */
export class TopstepXError extends Error {
  readonly code: TopstepXErrorCode;

  constructor(code: TopstepXErrorCode, message: string, options?: { cause?: unknown }) {
    super(
      redactSecrets(message),
      options?.cause === undefined ? undefined : { cause: sanitizeCause(options.cause) },
    );
    this.name = new.target.name;
    this.code = code;
  }
}

/** The adapter's options are unusable (missing credentials, a bad URL, a non-positive limit). */
export class TopstepXConfigError extends TopstepXError {
  constructor(message: string) {
    super('TOPSTEPX_CONFIG_INVALID', message);
  }
}

/** Login or session renewal failed; `brokerCode` is the LoginErrorCode / ValidateErrorCode. */
export class TopstepXAuthError extends TopstepXError {
  constructor(
    message: string,
    readonly brokerCode: number | null,
    options?: { cause?: unknown },
  ) {
    super('TOPSTEPX_AUTH_FAILED', message, options);
  }
}

/** The gateway answered with an HTTP status other than 200 (after the adapter's own handling). */
export class TopstepXHttpError extends TopstepXError {
  constructor(
    readonly endpoint: string,
    readonly status: number,
  ) {
    super('TOPSTEPX_HTTP_STATUS', `${endpoint} answered HTTP ${status}`);
  }
}

/** The request did not get an answer: connection refused or reset, or an unreadable body. */
export class TopstepXTransportError extends TopstepXError {
  constructor(
    readonly endpoint: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('TOPSTEPX_TRANSPORT', `${endpoint} failed: ${detail}`, options);
  }
}

export class TopstepXTimeoutError extends TopstepXError {
  constructor(
    readonly endpoint: string,
    readonly timeoutMs: number,
  ) {
    super('TOPSTEPX_TIMEOUT', `${endpoint} did not answer within ${timeoutMs} ms`);
  }
}

/** HTTP 429 that outlasted the retries of a read. */
export class TopstepXRateLimitedError extends TopstepXError {
  constructor(readonly endpoint: string) {
    super('TOPSTEPX_RATE_LIMITED', `${endpoint} answered HTTP 429 (rate limited)`);
  }
}

/** HTTP 200 with `success: false`: a business error with the endpoint's own `errorCode`. */
export class TopstepXBrokerError extends TopstepXError {
  constructor(
    readonly endpoint: string,
    readonly brokerCode: number,
    readonly brokerMessage: string,
  ) {
    super(
      'TOPSTEPX_BROKER_ERROR',
      `${endpoint} refused: errorCode ${brokerCode}${brokerMessage ? ` (${brokerMessage})` : ''}`,
    );
  }
}

/** A payload that does not have the documented shape. `field` names the first offending field. */
export class TopstepXMalformedPayloadError extends TopstepXError {
  constructor(
    readonly what: string,
    readonly field: string,
    detail: string,
  ) {
    super('TOPSTEPX_MALFORMED_PAYLOAD', `malformed ${what}: ${field} ${detail}`);
  }
}

/** An operation that needs a session ran before `connect()` or after `disconnect()`. */
export class TopstepXNotConnectedError extends TopstepXError {
  constructor(what: string) {
    super('TOPSTEPX_NOT_CONNECTED', `${what}: the adapter is not connected`);
  }
}

/** A queued request was dropped because the adapter is shutting down. */
export class TopstepXClosedError extends TopstepXError {
  constructor() {
    super('TOPSTEPX_CLOSED', 'the adapter was disconnected');
  }
}

/** Causes may carry request details (headers, bodies): keep only a redacted message and name. */
function sanitizeCause(cause: unknown): unknown {
  if (cause instanceof TopstepXError) return cause;
  if (cause instanceof Error) {
    const copy = new Error(redactSecrets(cause.message));
    copy.name = cause.name;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
    return copy;
  }
  return redactSecrets(String(cause));
}

/** A short, redacted description of anything thrown, for logs and `uncertain` reasons. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const causeCode = (err.cause as { code?: unknown } | undefined)?.code;
    const suffix = typeof causeCode === 'string' ? ` (${causeCode})` : '';
    return redactSecrets(`${typeof code === 'string' ? `${code}: ` : ''}${err.message}${suffix}`);
  }
  return redactSecrets(String(err));
}
