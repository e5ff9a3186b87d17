import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareCents,
  decimalStringToScaled,
  dollarsToMicros,
  formatMoney,
  microsToCents,
  MoneyError,
  priceToTicks,
  toMicros,
} from './money.js';

describe('money', () => {
  it('when broker decimals are converted then micro-dollars are exact', () => {
    expect(toMicros(1.4)).toBe(1_400_000);
    expect(toMicros(-512.5)).toBe(-512_500_000);
    expect(toMicros(0.1 + 0.2)).toBe(300_000);
    expect(toMicros(0)).toBe(0);
    expect(toMicros(1e9)).toBe(1e15);
    expect(toMicros(2.5e-6)).toBe(3);
    expect(toMicros(1e-7)).toBe(0);
    expect(toMicros(5e-7)).toBe(1);
    expect(toMicros(-5e-7)).toBe(-1);
    expect(toMicros(4e-7)).toBe(0);
    expect(Object.is(toMicros(-4e-7), 0)).toBe(true);
    expect(dollarsToMicros(512.5)).toBe(512_500_000);
  });

  it('when any whole number of cents is converted then the micros are exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), (cents) => {
        expect(toMicros(cents / 100)).toBe(cents * 10_000);
      }),
    );
  });

  it('when decimal text is scaled then exponents and rounding half away from zero apply', () => {
    expect(decimalStringToScaled('6335.250000000', 6)).toBe(6_335_250_000);
    expect(decimalStringToScaled('1.5e-3', 6)).toBe(1_500);
    expect(decimalStringToScaled('-0.0000025', 6)).toBe(-3);
    expect(decimalStringToScaled('12', 2)).toBe(1_200);
    expect(decimalStringToScaled('.5', 0)).toBe(1);
    expect(decimalStringToScaled('2.', 0)).toBe(2);
  });

  it('when the input is not a decimal number then a MoneyError with its code is thrown', () => {
    expect(() => toMicros(Number.NaN)).toThrow(MoneyError);
    expect(() => toMicros(Number.POSITIVE_INFINITY)).toThrow(MoneyError);
    expect(() => decimalStringToScaled('.', 6)).toThrow(MoneyError);
    expect(() => decimalStringToScaled('1,5', 6)).toThrow(expect.objectContaining({ code: 'MONEY_INVALID' }));
    expect(() => decimalStringToScaled('1e30', 6)).toThrow(/out of range/);
  });

  it('when micros are rounded to cents then halves go away from zero', () => {
    expect(microsToCents(5_000)).toBe(1);
    expect(microsToCents(4_999)).toBe(0);
    expect(microsToCents(-5_000)).toBe(-1);
    expect(microsToCents(-4_999)).toBe(-0);
    expect(microsToCents(-512_505_000)).toBe(-51_251);
    expect(compareCents(-500_004_999, -500_000_000)).toBe(0);
    expect(compareCents(-500_005_000, -500_000_000)).toBeLessThan(0);
  });

  it('when micros are formatted then they show two decimals and a sign only when non-zero', () => {
    expect(formatMoney(-512_500_000)).toBe('-512.50');
    expect(formatMoney(1_234_000_000)).toBe('1234.00');
    expect(formatMoney(-4_000)).toBe('0.00');
    expect(formatMoney(5_000)).toBe('0.01');
    expect(formatMoney(0)).toBe('0.00');
  });

  it('when prices are turned into ticks then they are whole numbers of the tick size', () => {
    expect(priceToTicks(6335.25, 0.25)).toBe(25_341);
    expect(priceToTicks(0.3, 0.1)).toBe(3);
    expect(priceToTicks(21000.125, 0.25)).toBe(84_001);
    expect(priceToTicks(1.1001, 0.0001)).toBe(11_001);
  });
});
