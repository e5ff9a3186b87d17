import {
  MarketCalendar,
  type Instant,
  type LocalParts,
  type MarketCalendarView,
  type SessionInterval,
  type TradingDay,
  type TradingDayConfig,
} from '@riskd/core-engine';

/**
 * The market calendar in force, replaceable when a `tradingDay` change takes effect (at a reset,
 * per the rule-change discipline) without rebuilding the engine that holds it.
 */
export class SwitchableCalendar implements MarketCalendarView {
  private current: MarketCalendar;

  constructor(config: TradingDayConfig) {
    this.current = new MarketCalendar(config);
  }

  replace(config: TradingDayConfig): void {
    this.current = new MarketCalendar(config);
  }

  get calendar(): MarketCalendar {
    return this.current;
  }

  get timezone(): string {
    return this.current.timezone;
  }

  tradingDayAt(at: Instant): TradingDay {
    return this.current.tradingDayAt(at);
  }
  nextReset(after: Instant): Instant {
    return this.current.nextReset(after);
  }
  nextWeekReset(after: Instant): Instant {
    return this.current.nextWeekReset(after);
  }
  weekStartAt(at: Instant): Instant {
    return this.current.weekStartAt(at);
  }
  resetsBetween(from: Instant, to: Instant): Instant[] {
    return this.current.resetsBetween(from, to);
  }
  isOpen(at: Instant): boolean {
    return this.current.isOpen(at);
  }
  sessionAt(at: Instant): SessionInterval | null {
    return this.current.sessionAt(at);
  }
  nextSessionStart(after: Instant): Instant {
    return this.current.nextSessionStart(after);
  }
  localParts(at: Instant): LocalParts {
    return this.current.localParts(at);
  }
  instantOf(date: string, time: string): Instant {
    return this.current.instantOf(date, time);
  }
}
