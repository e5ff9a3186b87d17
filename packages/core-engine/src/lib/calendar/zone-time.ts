import { IANAZone } from 'luxon';
import type { Instant } from '../domain/types.js';
import { CalendarInputError } from './calendar-errors.js';
import { DAY_MS, MINUTE_MS } from './local-date.js';

/**
 * Wall-clock <-> instant conversion in one IANA zone.
 *
 * Why luxon: it reads the IANA time-zone database through `Intl` (the zone data Node ships and
 * updates with ICU, so DST rule changes arrive with the runtime, not with our code), resolves any
 * IANA name, gives DST-correct UTC offsets for any instant, and is a small, well-kept library with
 * maintained types. Hand-rolled offset tables would go stale; `Date` alone knows only UTC and the
 * host's zone.
 *
 * Only luxon's zone offsets are used, not `DateTime.fromObject`, because its policy for
 * non-existent and ambiguous wall times differs from RULES.md: luxon moves 02:30 on 2026-03-08
 * (Chicago, inside the spring-forward gap) by the length of the gap to 03:30 CDT and resolves
 * 01:30 on 2026-11-01 to the second occurrence (CST). RULES.md wants the first valid instant after
 * a gap time (03:00 CDT) and the first occurrence of an overlap time (01:30 CDT), so the choice
 * between candidate offsets is made here.
 */
export class ZoneTime {
  readonly name: string;
  private readonly zone: IANAZone;

  constructor(name: string) {
    if (!IANAZone.isValidZone(name))
      throw new CalendarInputError(`not a valid IANA time zone: ${JSON.stringify(name)}`);
    this.name = name;
    this.zone = IANAZone.create(name);
  }

  /** UTC offset at `at`, in milliseconds (positive east of Greenwich). */
  offsetMs(at: Instant): number {
    return this.zone.offset(at) * MINUTE_MS;
  }

  /**
   * The instant of a wall-clock time (as wall milliseconds, see local-date.ts). A time that does
   * not exist (DST gap) gives the first instant after it, i.e. the transition itself; a time that
   * exists twice (DST overlap) gives the first occurrence.
   */
  toInstant(wallMs: number): Instant {
    // Offsets a day either side bracket any transition near this wall time: zone offsets are far
    // below a day and no zone changes its offset twice within two days.
    const before = this.offsetMs(wallMs - DAY_MS);
    const after = this.offsetMs(wallMs + DAY_MS);
    let best: Instant | undefined;
    for (const offset of before === after ? [before] : [before, after]) {
      const at = wallMs - offset;
      if (this.offsetMs(at) === offset && (best === undefined || at < best)) best = at;
    }
    if (best !== undefined) return best;
    // In a gap: the transition lies in (wallMs - later offset, wallMs - earlier offset].
    const high = Math.max(before, after);
    const low = Math.min(before, after);
    return this.firstInstantWithOffset(wallMs - high, wallMs - low, this.offsetMs(wallMs - low));
  }

  /**
   * The instant at which the offset changes within [from, to), or undefined when it does not.
   * Assumes at most one change in the range (ranges here are one local day).
   */
  transitionWithin(from: Instant, to: Instant): Instant | undefined {
    const last = this.offsetMs(to - 1);
    if (this.offsetMs(from) === last) return undefined;
    return this.firstInstantWithOffset(from, to - 1, last);
  }

  /** Binary search: `offsetMs(exclusiveLow) !== offset`, `offsetMs(inclusiveHigh) === offset`. */
  private firstInstantWithOffset(exclusiveLow: Instant, inclusiveHigh: Instant, offset: number): Instant {
    let low = exclusiveLow;
    let high = inclusiveHigh;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (this.offsetMs(mid) === offset) high = mid;
      else low = mid;
    }
    return high;
  }
}
