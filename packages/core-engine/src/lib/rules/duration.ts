import type { LockoutEndSpec } from '../domain/lockout.js';

/** Duration strings of the config (RULES.md section 2). */
export type DurationString = string;

export class DurationError extends Error {
  readonly code = 'DURATION_INVALID';
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** JSON Schema pattern that accepts every valid duration string. */
export const DURATION_PATTERN = '^(\\d+(s|m|h|d)|until-reset|until-session-start|until-week-reset)$';

/**
 * Parses `"90s"`, `"15m"`, `"2h"`, `"1d"`, `"until-reset"`, `"until-session-start"` or
 * `"until-week-reset"` into a lockout end. A fixed duration counts from the moment the lockout starts.
 */
export function parseDuration(text: DurationString): LockoutEndSpec {
  switch (text) {
    case 'until-reset':
      return { kind: 'reset' };
    case 'until-session-start':
      return { kind: 'session-start' };
    case 'until-week-reset':
      return { kind: 'week-reset' };
  }
  const match = /^(\d+)(s|m|h|d)$/.exec(text);
  const unit = match?.[2] ? UNIT_MS[match[2]] : undefined;
  if (!match || unit === undefined) {
    throw new DurationError(
      `invalid duration ${JSON.stringify(text)}: expected e.g. "90s", "15m", "2h", "1d", "until-reset", "until-session-start" or "until-week-reset"`,
    );
  }
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new DurationError(`invalid duration ${JSON.stringify(text)}: must be positive`);
  return { kind: 'duration', ms };
}

/** Parses `HH:MM` (24 h) into minutes since midnight. */
export function parseTimeOfDay(text: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) throw new DurationError(`invalid time of day ${JSON.stringify(text)}: expected "HH:MM" (24 h)`);
  return Number(match[1]) * 60 + Number(match[2]);
}
