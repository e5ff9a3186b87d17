import type { Micros } from '../domain/types.js';

/** Micro-dollars per dollar. */
export const MICROS_PER_DOLLAR = 1_000_000;
const MICROS_PER_CENT = 10_000;

export class MoneyError extends Error {
  readonly code = 'MONEY_INVALID';
}

/**
 * Converts a decimal amount as the broker sends it (a JSON number such as `1.4` or `-512.5`) to
 * whole micro-dollars without binary floating-point error: the number's shortest decimal
 * representation is parsed digit by digit. Digits beyond the sixth decimal are rounded half away
 * from zero.
 */
export function toMicros(amount: number): Micros {
  if (!Number.isFinite(amount)) throw new MoneyError(`amount is not a finite number: ${amount}`);
  return decimalStringToScaled(String(amount), 6);
}

/** Parses a decimal string (optionally with exponent) and scales it to an integer with `scale` decimals. */
export function decimalStringToScaled(text: string, scale: number): number {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new MoneyError(`not a decimal number: ${JSON.stringify(text)}`);
  }
  const negative = match[1] === '-';
  let digits = (match[2] ?? '') + (match[3] ?? '');
  let pointPos = (match[2] ?? '').length + Number(match[4] ?? 0) + scale;
  if (pointPos < 0) {
    digits = '0'.repeat(-pointPos) + digits;
    pointPos = 0;
  }
  if (pointPos > digits.length) digits = digits + '0'.repeat(pointPos - digits.length);
  const whole = digits.slice(0, pointPos) || '0';
  const rest = digits.slice(pointPos);
  let value = Number(whole);
  if (rest.length > 0 && rest.charCodeAt(0) >= 53 /* '5' */) value += 1; // half away from zero
  if (!Number.isSafeInteger(value)) throw new MoneyError(`amount out of range: ${text}`);
  return negative && value !== 0 ? -value : value;
}

/** Rounds micro-dollars to whole cents, half away from zero (RULES.md section 1). */
export function microsToCents(micros: Micros): number {
  const abs = Math.abs(micros);
  const cents = Math.floor((abs + MICROS_PER_CENT / 2) / MICROS_PER_CENT);
  return micros < 0 ? -cents : cents;
}

/** Whole dollars (from config, which may carry cents: 512.5) to micro-dollars. */
export function dollarsToMicros(dollars: number): Micros {
  return toMicros(dollars);
}

/** Compares two amounts at cent precision: negative, zero or positive like a comparator. */
export function compareCents(a: Micros, b: Micros): number {
  return microsToCents(a) - microsToCents(b);
}

/** Formats micro-dollars as a plain amount with two decimals: `-512.50`, `1234.00`. */
export function formatMoney(micros: Micros): string {
  const cents = microsToCents(micros);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Converts a price to a whole number of ticks of the contract. Broker prices are on the tick grid;
 * a price off the grid (beyond floating-point noise) is rounded to the nearest tick.
 */
export function priceToTicks(price: number, tickSize: number): number {
  return Math.round(price / tickSize);
}
