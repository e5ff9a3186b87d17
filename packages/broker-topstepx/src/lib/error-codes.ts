import type { RejectCode } from '@riskd/core-engine';
import { Endpoint } from './wire-types.js';

/**
 * Per-endpoint `errorCode` enums (PROJECTX-GATEWAY.md section 4.2). The same integer means
 * different things on different endpoints: closeContract and partialCloseContract are shifted
 * from code 5 on (InvalidCloseSize is 5 only on the partial close).
 */
export const CLOSE_POSITION_CODES: Readonly<Record<number, RejectCode | 'ok'>> = {
  0: 'ok',
  1: 'account-not-found',
  // PositionNotFound: the position is already flat, which is what a close wants.
  2: 'ok',
  3: 'contract-not-found',
  4: 'contract-not-active',
  5: 'order-rejected',
  6: 'order-pending',
  7: 'unknown',
  8: 'account-rejected',
};

export const PARTIAL_CLOSE_POSITION_CODES: Readonly<Record<number, RejectCode | 'ok'>> = {
  0: 'ok',
  1: 'account-not-found',
  2: 'position-not-found',
  3: 'contract-not-found',
  4: 'contract-not-active',
  5: 'invalid-size',
  6: 'order-rejected',
  7: 'order-pending',
  8: 'unknown',
  9: 'account-rejected',
};

export const CANCEL_ORDER_CODES: Readonly<Record<number, RejectCode | 'ok'>> = {
  0: 'ok',
  1: 'account-not-found',
  2: 'order-not-found',
  3: 'order-rejected',
  4: 'order-pending',
  5: 'unknown',
  6: 'account-rejected',
};

export const PLACE_ORDER_CODES: Readonly<Record<number, RejectCode | 'ok'>> = {
  0: 'ok',
  1: 'account-not-found',
  2: 'order-rejected',
  3: 'order-rejected', // InsufficientFunds
  4: 'order-rejected', // AccountViolation
  5: 'order-rejected', // OutsideTradingHours
  6: 'order-pending',
  7: 'unknown',
  8: 'contract-not-found',
  9: 'contract-not-active',
  10: 'account-rejected',
};

const TABLES: Readonly<Record<string, Readonly<Record<number, RejectCode | 'ok'>>>> = {
  [Endpoint.positionClose]: CLOSE_POSITION_CODES,
  [Endpoint.positionPartialClose]: PARTIAL_CLOSE_POSITION_CODES,
  [Endpoint.orderCancel]: CANCEL_ORDER_CODES,
  [Endpoint.orderPlace]: PLACE_ORDER_CODES,
};

/**
 * Maps an action endpoint's answer to `ok` or a normalized reject code. `success: true` is `ok`
 * whatever the code; `success: false` with code 0 (contradictory) or an unlisted code is `unknown`.
 */
export function mapActionCode(endpoint: string, success: boolean, errorCode: number): RejectCode | 'ok' {
  if (success) return 'ok';
  const mapped = TABLES[endpoint]?.[errorCode];
  if (mapped === undefined || (mapped === 'ok' && errorCode === 0)) return 'unknown';
  return mapped;
}
