import type { AccountSummary, PnlPoint } from '@riskd/api-client';
import type { AccountId, AccountView, Clock, Instant, Micros, TimerHandle } from '@riskd/core-engine';
import { formatMoney } from '@riskd/core-engine';
import type { EventHub } from './event-hub.js';
import { iso } from './wire-mappers.js';

interface RawPoint {
  readonly at: Instant;
  readonly realized: Micros;
  readonly unrealized: Micros;
  readonly combined: Micros;
}

interface Series {
  dayId: string;
  points: RawPoint[];
}

/** Options of {@link AccountMonitor}. */
export interface AccountMonitorOptions {
  readonly clock: Clock;
  readonly hub: EventHub;
  readonly accounts: () => Iterable<AccountView>;
  readonly summary: (view: AccountView) => AccountSummary;
  /** Sampling interval (default 1 s). */
  readonly intervalMs?: number;
  /** Points kept per account and trading day (default 50,000: 14 h at one per second). */
  readonly maxPoints?: number;
  /** Called once for each account the monitor sees for the first time. */
  readonly onNewAccount?: (view: AccountView) => void;
}

/**
 * Samples every account once per interval on the Clock: publishes an `account` event when its
 * summary changed, and records a P&L point when its P&L changed, for the trading day's series.
 * The series lives in memory: after a restart it starts again from the restart.
 */
export class AccountMonitor {
  private readonly series = new Map<AccountId, Series>();
  private readonly lastSummary = new Map<AccountId, string>();
  private timer: TimerHandle | undefined;
  private readonly intervalMs: number;
  private readonly maxPoints: number;

  constructor(private readonly options: AccountMonitorOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.maxPoints = options.maxPoints ?? 50_000;
  }

  start(): void {
    const tick = (): void => {
      this.timer = this.options.clock.scheduleIn(this.intervalMs, () => {
        this.sample();
        tick();
      });
    };
    this.sample();
    tick();
  }

  stop(): void {
    if (this.timer) this.options.clock.cancel(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample now. */
  sample(): void {
    const now = this.options.clock.now();
    for (const view of this.options.accounts()) {
      const summary = this.options.summary(view);
      const text = JSON.stringify(summary);
      if (!this.lastSummary.has(view.accountId)) this.options.onNewAccount?.(view);
      if (this.lastSummary.get(view.accountId) !== text) {
        this.lastSummary.set(view.accountId, text);
        this.options.hub.publish({ type: 'account', account: summary });
      }
      this.record(view, now);
    }
  }

  private record(view: AccountView, now: Instant): void {
    let series = this.series.get(view.accountId);
    if (!series || series.dayId !== view.tradingDay.id) {
      series = { dayId: view.tradingDay.id, points: [] };
      this.series.set(view.accountId, series);
    }
    const pnl = view.pnl;
    const last = series.points.at(-1);
    if (last && last.realized === pnl.realized && last.unrealized === pnl.unrealized) return;
    series.points.push({
      at: now,
      realized: pnl.realized,
      unrealized: pnl.unrealized,
      combined: pnl.combined,
    });
    if (series.points.length > this.maxPoints) series.points.splice(0, series.points.length - this.maxPoints);
  }

  /** The points in `[from, to]`, evenly thinned to at most `maxPoints` (the last point kept). */
  points(accountId: AccountId, from: Instant, to: Instant, maxPoints: number): PnlPoint[] {
    const all = (this.series.get(accountId)?.points ?? []).filter((p) => p.at >= from && p.at <= to);
    let chosen = all;
    if (all.length > maxPoints && maxPoints > 0) {
      const step = all.length / maxPoints;
      chosen = [];
      for (let i = 0; i < maxPoints; i++)
        chosen.push(all[Math.min(all.length - 1, Math.floor((i + 1) * step) - 1)] as RawPoint);
    }
    return chosen.map((p) => ({
      at: iso(p.at),
      realized: formatMoney(p.realized),
      unrealized: formatMoney(p.unrealized),
      combined: formatMoney(p.combined),
    }));
  }
}
