/**
 * Wire formatting helpers. Timestamps are ISO-8601 with `+00:00` and six fractional digits, one of
 * the two forms the gateway is observed to send (PROJECTX-GATEWAY.md §3).
 */
export function wireTimestamp(ms: number): string {
  // Quotes come in bursts within one millisecond: remember the last one (a hot path).
  if (ms === lastMs) return lastStamp;
  const iso = new Date(ms).toISOString(); // 2026-11-26T12:00:00.123Z
  lastMs = ms;
  lastStamp = `${iso.slice(0, 23)}000+00:00`;
  return lastStamp;
}
let lastMs = Number.NaN;
let lastStamp = '';

/** Rounds a price or average to 9 decimals, hiding binary floating-point noise. */
export function roundPrice(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/** Rounds dollars to cents, half away from zero. */
export function roundCents(value: number): number {
  const cents = Math.round(Math.abs(value) * 100 + 1e-7);
  const signed = value < 0 ? -cents : cents;
  return signed / 100 + 0; // + 0 turns -0 into 0
}

/** Whether `price` lies on the tick grid of `tickSize` (tolerant of floating-point noise). */
export function isTickAligned(price: number, tickSize: number): boolean {
  const ticks = price / tickSize;
  return Math.abs(ticks - Math.round(ticks)) < 1e-6;
}

/** Snaps a price to the nearest tick. */
export function toTick(price: number, tickSize: number): number {
  return roundPrice(Math.round(price / tickSize) * tickSize);
}
