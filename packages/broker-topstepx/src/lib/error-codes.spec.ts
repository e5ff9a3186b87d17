import { describe, expect, it } from 'vitest';
import { mapActionCode } from './error-codes.js';
import { Endpoint } from './wire-types.js';

describe('mapActionCode', () => {
  it.each([
    [1, 'account-not-found'],
    [2, 'ok'],
    [3, 'contract-not-found'],
    [4, 'contract-not-active'],
    [5, 'order-rejected'],
    [6, 'order-pending'],
    [7, 'unknown'],
    [8, 'account-rejected'],
  ])('when closeContract answers errorCode %i then it maps to %s', (code, expected) => {
    expect(mapActionCode(Endpoint.positionClose, false, code)).toBe(expected);
  });

  it.each([
    [1, 'account-not-found'],
    [2, 'position-not-found'],
    [3, 'contract-not-found'],
    [4, 'contract-not-active'],
    [5, 'invalid-size'],
    [6, 'order-rejected'],
    [7, 'order-pending'],
    [8, 'unknown'],
    [9, 'account-rejected'],
  ])(
    'when partialCloseContract answers errorCode %i then it maps to %s (codes shifted from 5)',
    (code, expected) => {
      expect(mapActionCode(Endpoint.positionPartialClose, false, code)).toBe(expected);
    },
  );

  it.each([
    [1, 'account-not-found'],
    [2, 'order-not-found'],
    [3, 'order-rejected'],
    [4, 'order-pending'],
    [5, 'unknown'],
    [6, 'account-rejected'],
  ])('when Order/cancel answers errorCode %i then it maps to %s', (code, expected) => {
    expect(mapActionCode(Endpoint.orderCancel, false, code)).toBe(expected);
  });

  it('when the same number 5 comes from close and partial close then it means different things', () => {
    expect(mapActionCode(Endpoint.positionClose, false, 5)).toBe('order-rejected');
    expect(mapActionCode(Endpoint.positionPartialClose, false, 5)).toBe('invalid-size');
  });

  it('when success is true then the answer is ok whatever the code', () => {
    expect(mapActionCode(Endpoint.orderCancel, true, 0)).toBe('ok');
  });

  it('when success is false with code 0 or an unlisted code then it is unknown', () => {
    expect(mapActionCode(Endpoint.positionClose, false, 0)).toBe('unknown');
    expect(mapActionCode(Endpoint.orderCancel, false, 42)).toBe('unknown');
    expect(mapActionCode('Some/other', false, 1)).toBe('unknown');
  });
});
