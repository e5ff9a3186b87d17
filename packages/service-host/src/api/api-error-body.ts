import { REASON_PHRASES, type ApiErrorBody, type ApiErrorCode, type Problem } from '@riskd/api-client';

/** The error body every error answer carries. */
export function errorBody(
  statusCode: number,
  code: ApiErrorCode,
  message: string,
  extra: { problems?: readonly Problem[]; retryAfterSeconds?: number; requestId?: string } = {},
): ApiErrorBody {
  return {
    statusCode,
    error: REASON_PHRASES[statusCode] ?? 'Error',
    code,
    message,
    ...(extra.problems && extra.problems.length > 0 ? { problems: extra.problems } : {}),
    ...(extra.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: extra.retryAfterSeconds }),
    ...(extra.requestId === undefined ? {} : { requestId: extra.requestId }),
  };
}

/** The API error code of a 4xx status Fastify or a plugin produced. */
export function codeOfStatus(status: number): ApiErrorCode {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 406:
      return 'NOT_ACCEPTABLE';
    case 409:
      return 'CONFLICT';
    case 429:
      return 'THROTTLED';
    case 503:
      return 'UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : 'INVALID_BODY';
  }
}
