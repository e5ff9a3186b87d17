import type { Clock, Instant, Logger, MarketCalendarView } from '@riskd/core-engine';

/** A change of the market's state, as the calendar defines it. */
export interface SessionTransition {
  readonly open: boolean;
  /** When the check noticed it. */
  readonly at: Instant;
  /** The session's start (open) or the instant it ended (closed), per the calendar. */
  readonly boundary: Instant;
  /** For an open market: when the current session ends; for a closed one: the next start. */
  readonly next: Instant | null;
  readonly earlyClose: boolean;
}

/** Options of {@link SessionWatch}. */
export interface SessionWatchOptions {
  readonly clock: Clock;
  readonly calendar: Pick<MarketCalendarView, 'sessionAt' | 'nextSessionStart'>;
  readonly onTransition: (transition: SessionTransition) => void;
  readonly logger: Logger;
}

/**
 * Notices market opens and closes from the calendar at each check, so the log, the audit trail
 * and the live stream show them. Rules that act at session boundaries schedule their own Clock
 * timers; this watch only reports. The first check reports the current state.
 */
export class SessionWatch {
  private lastOpen: boolean | undefined;
  private lastEnd: Instant | null = null;
  private readonly logger: Logger;

  constructor(private readonly options: SessionWatchOptions) {
    this.logger = options.logger.child({ component: 'session-watch' });
  }

  check(): SessionTransition | undefined {
    const now = this.options.clock.now();
    const session = this.options.calendar.sessionAt(now);
    const open = session !== null;
    if (open === this.lastOpen) {
      if (session) this.lastEnd = session.end;
      return undefined;
    }
    let next: Instant | null = null;
    if (session) next = session.end;
    else {
      try {
        next = this.options.calendar.nextSessionStart(now);
      } catch {
        next = null; // no session configured at all
      }
    }
    const transition: SessionTransition = {
      open,
      at: now,
      boundary: session ? session.start : (this.lastEnd ?? now),
      next,
      earlyClose: session ? session.earlyClose : false,
    };
    this.lastOpen = open;
    this.lastEnd = session ? session.end : null;
    this.logger.info(
      {
        open,
        boundary: new Date(transition.boundary).toISOString(),
        next: next === null ? null : new Date(next).toISOString(),
      },
      open ? 'market session open' : 'market closed',
    );
    this.options.onTransition(transition);
    return transition;
  }
}
