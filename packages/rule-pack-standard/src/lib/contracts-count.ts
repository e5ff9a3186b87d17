/**
 * Contract counts with weights, in whole thousandths of a contract so that weights such as 0.1
 * add up exactly (ten micros weighted 0.1 are exactly one contract, not 0.9999999).
 */
const MILLI = 1000;

export function toMilli(value: number): number {
  return Math.round(value * MILLI);
}

/** `5100` -> `"5.1"`. */
export function formatContracts(milli: number): string {
  const whole = Math.trunc(milli / MILLI);
  const frac = Math.abs(milli % MILLI);
  if (frac === 0) return String(whole);
  const sign = milli < 0 && whole === 0 ? '-' : '';
  return `${sign}${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}
