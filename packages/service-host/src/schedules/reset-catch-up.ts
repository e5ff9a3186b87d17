import type { Clock, Instant, Logger, MarketCalendarView } from '@riskd/core-engine';

/** Options of {@link ResetCatchUp}. */
export interface ResetCatchUpOptions {
  readonly clock: Clock;
  readonly calendar: Pick<MarketCalendarView, 'resetsBetween'>;
  /** The last reset the engine applied (null before it started). */
  readonly lastResetAt: () => Instant | null;
  /** Applies one reset at its instant (the engine ignores a reset it already applied). */
  readonly applyReset: (at: Instant) => void;
  readonly logger: Logger;
  /**
   * A reset younger than this is left to the engine's own Clock timer, which fires at the exact
   * instant; the safety net only acts on a reset that is clearly overdue. Default 5 s.
   */
  readonly graceMs?: number;
}

/**
 * The reset safety net: asks the Clock and the calendar which resets are due since the last one
 * the engine applied, and applies the overdue ones, each once, in order. Normally it finds
 * nothing: the engine schedules each reset on the Clock.
 */
export class ResetCatchUp {
  private readonly graceMs: number;
  private readonly logger: Logger;

  constructor(private readonly options: ResetCatchUpOptions) {
    this.graceMs = options.graceMs ?? 5_000;
    this.logger = options.logger.child({ component: 'reset-catch-up' });
  }

  /** Returns the resets it applied. */
  check(): Instant[] {
    const last = this.options.lastResetAt();
    if (last === null) return [];
    const now = this.options.clock.now();
    const overdue = this.options.calendar.resetsBetween(last, now).filter((at) => now - at >= this.graceMs);
    for (const at of overdue) {
      this.logger.warn(
        { resetAt: new Date(at).toISOString(), lastResetAt: new Date(last).toISOString() },
        'a due trading-day reset had not been applied: applying it now',
      );
      this.options.applyReset(at);
    }
    return overdue;
  }
}
