import { parseDuration, type LockoutEndSpec, type Strictness } from '@riskd/core-engine';

/**
 * Combines the strictness of several independent option dimensions: any looser dimension makes
 * the whole change looser (it must wait for the next reset), otherwise any tighter one makes it
 * tighter, otherwise it is the same.
 */
export function combineStrictness(parts: readonly Strictness[]): Strictness {
  if (parts.includes('looser')) return 'looser';
  if (parts.includes('tighter')) return 'tighter';
  return 'same';
}

/**
 * Compares two numbers of an option where `protectiveDirection` says which direction protects
 * more: `lower` for limits (a lower loss limit is tighter), `higher` for e.g. a buffer.
 */
export function compareNumber(
  previous: number,
  next: number,
  protectiveDirection: 'lower' | 'higher',
): Strictness {
  if (previous === next) return 'same';
  const nextIsLower = next < previous;
  return nextIsLower === (protectiveDirection === 'lower') ? 'tighter' : 'looser';
}

/** Compares an optional limit where absent means "no limit" (absent is the loosest). */
export function compareOptionalLimit(
  previous: number | null | undefined,
  next: number | null | undefined,
): Strictness {
  const p = previous ?? null;
  const n = next ?? null;
  if (p === n) return 'same';
  if (p === null) return 'tighter';
  if (n === null) return 'looser';
  return compareNumber(p, n, 'lower');
}

/** Compares two flags where `true` protects more. */
export function compareFlag(previous: boolean, next: boolean): Strictness {
  if (previous === next) return 'same';
  return next ? 'tighter' : 'looser';
}

/** Compares two enum values by a rank where a higher rank protects more. */
export function compareRank<T extends string>(previous: T, next: T, rank: readonly T[]): Strictness {
  if (previous === next) return 'same';
  return rank.indexOf(next) > rank.indexOf(previous) ? 'tighter' : 'looser';
}

/**
 * Compares two cooldown durations: a longer one is tighter. Fixed durations compare by length;
 * `until-week-reset` outlasts `until-reset`. Other pairs cannot be ordered in general (an
 * `until-reset` cooldown may be a minute or a day long), so a change between them counts as
 * looser and waits for the next reset.
 */
export function compareDuration(previous: string, next: string): Strictness {
  if (previous === next) return 'same';
  const p = durationRank(parseDuration(previous));
  const n = durationRank(parseDuration(next));
  if (p.kind === 'ms' && n.kind === 'ms') return compareNumber(p.value, n.value, 'higher');
  if (p.kind === 'calendar' && n.kind === 'calendar' && p.value !== 0 && n.value !== 0) {
    return compareNumber(p.value, n.value, 'higher');
  }
  return 'looser';
}

function durationRank(spec: LockoutEndSpec): { kind: 'ms' | 'calendar' | 'other'; value: number } {
  switch (spec.kind) {
    case 'duration':
      return { kind: 'ms', value: spec.ms };
    case 'reset':
      return { kind: 'calendar', value: 1 };
    case 'week-reset':
      return { kind: 'calendar', value: 2 };
    default:
      return { kind: 'other', value: 0 };
  }
}

/** Deep equality of JSON values (options are plain JSON after validation). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
