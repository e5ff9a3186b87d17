import type { ApiErrorBody } from '../wire-types.js';

/** Stable machine codes of the api-client's errors. */
export type ApiClientErrorCode =
  | 'HTTP_ERROR'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'INVALID_REQUEST'
  | 'INVALID_RESPONSE'
  | 'STREAM_CLOSED'
  | 'ROUTE_TABLE_MISMATCH';

/** Base class of every error the api-client throws; catch it with `instanceof`. */
export class ApiClientError extends Error {
  readonly code: ApiClientErrorCode;

  constructor(code: ApiClientErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The API answered with an error status. `body` is the parsed error body (every error Riskd
 * produces is an {@link ApiErrorBody}); `apiCode` is its machine code when present.
 */
export class RiskdApiError extends ApiClientError {
  readonly status: number;
  readonly body: ApiErrorBody | undefined;
  readonly apiCode: ApiErrorBody['code'] | undefined;

  constructor(status: number, body: ApiErrorBody | undefined, method: string, path: string) {
    super('HTTP_ERROR', `${method} ${path} answered ${status}: ${body?.message ?? 'no error body'}`);
    this.status = status;
    this.body = body;
    this.apiCode = body?.code;
  }

  /** Problems of a 400 answer (empty otherwise). */
  get problems(): NonNullable<ApiErrorBody['problems']> {
    return this.body?.problems ?? [];
  }
}

/** The daemon could not be reached (refused, reset, DNS) or the request timed out. */
export class RiskdNetworkError extends ApiClientError {
  constructor(code: 'NETWORK_ERROR' | 'TIMEOUT', message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
