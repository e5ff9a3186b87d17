import type { TradingDay } from '../calendar/calendar-types.js';
import type { Clock } from '../clock/clock.js';
import { lockoutInForce, type Lockout } from '../domain/lockout.js';
import type {
  Account,
  AccountId,
  Contract,
  ContractId,
  Instant,
  Micros,
  Order,
  OrderId,
} from '../domain/types.js';
import type { AccountView, EntryRecord, PnlView, RoundTrip } from './account-view.js';
import type { PositionBook, RoundTripAccumulator } from './position-book.js';

/** What every account shares: the trading day, the clock, the contracts, the dirty-peak set. */
export interface StateContext {
  readonly clock: Clock;
  readonly includeFees: boolean;
  tradingDay: TradingDay;
  /** Start of the current trading week. */
  weekStart: Instant;
  contract(contractId: ContractId): Contract | undefined;
  /** A peak of the account rose: persist it at the next drain. */
  peakRaised(accountId: AccountId): void;
}

/** What the state manager remembers of a fill, to recognise it again and to take it back if voided. */
export interface FillRecord {
  readonly id: number;
  readonly time: Instant;
  readonly contractId: ContractId;
  readonly price: number;
  /** Signed size: + buy, - sell. */
  readonly signed: number;
  voided: boolean;
  /** The fill moved the position (history from before the trading day does not). */
  positionApplied: boolean;
  /** What it added to the day's realized P&L (net of fees when they count) and to the day's fees. */
  realized: Micros;
  fees: Micros;
  /** The round trip still open after the fill, and what the fill added to it. */
  roundTrip: RoundTripAccumulator | null;
  roundTripPnl: Micros;
  roundTripFees: Micros;
}

/** An entry as kept internally (its size grows with later fills of the same order). */
export interface MutableEntryRecord extends EntryRecord {
  size: number;
}

/** The P&L part of an account view: getters over the account's running totals. */
class AccountPnl implements PnlView {
  constructor(private readonly account: AccountState) {}
  get realized(): Micros {
    return this.account.realizedTotal;
  }
  get unrealized(): Micros {
    return this.account.unrealizedTotal;
  }
  get combined(): Micros {
    return this.account.realizedTotal + this.account.unrealizedTotal;
  }
  get fees(): Micros {
    return this.account.feesTotal;
  }
  get stale(): boolean {
    return this.account.staleCount > 0;
  }
  get peakRealized(): Micros {
    return this.account.peakRealized;
  }
  get peakCombined(): Micros {
    return this.account.peakCombined;
  }
}

/**
 * One account's state. It is also the live {@link AccountView} handed to rules: getters read the
 * current values, and P&L totals are kept up to date incrementally (a quote touches only the
 * positions holding its contract).
 */
export class AccountState implements AccountView {
  /** `[accountId]`, shared by every update of this account. */
  readonly idList: readonly AccountId[];
  account: Account | undefined = undefined;
  /** Open positions only (non-zero size). */
  readonly positions = new Map<ContractId, PositionBook>();
  /** Every contract the account has had a position event or fill in (flat ones included). */
  readonly books = new Map<ContractId, PositionBook>();
  readonly workingOrders = new Map<OrderId, Order>();
  /** The last snapshot of every order seen in the trading day (replays are recognised against it). */
  readonly orders = new Map<OrderId, Order>();
  /** Contracts filled per order by the fills seen (a fill may arrive before its order's update). */
  readonly filledByOrder = new Map<OrderId, number>();
  readonly pnl: PnlView;
  roundTrips: RoundTrip[] = [];
  entries: MutableEntryRecord[] = [];
  readonly entriesByOrder = new Map<OrderId, MutableEntryRecord>();
  readonly lockouts = new Map<string, Lockout>();
  balanceAtReset: Micros | null = null;
  readonly fills = new Map<number, FillRecord>();
  readonly ownOrders = new Set<OrderId>();
  realizedTotal: Micros = 0;
  feesTotal: Micros = 0;
  unrealizedTotal: Micros = 0;
  equityUnrealizedTotal: Micros = 0;
  staleCount = 0;
  peakRealized: Micros = 0;
  peakCombined: Micros = 0;

  constructor(
    readonly accountId: AccountId,
    private readonly ctx: StateContext,
  ) {
    this.idList = Object.freeze([accountId]);
    this.pnl = new AccountPnl(this);
  }

  get tradingDay(): TradingDay {
    return this.ctx.tradingDay;
  }

  get equity(): Micros | null {
    return this.account ? this.account.balance + this.equityUnrealizedTotal : null;
  }

  contract(contractId: ContractId): Contract | undefined {
    return this.ctx.contract(contractId);
  }

  /**
   * A lockout holds while any of its holds does: holds whose `at` end has passed no longer count,
   * even before they are removed.
   */
  isLocked(symbol?: string): boolean {
    if (this.lockouts.size === 0) return false;
    const now = this.ctx.clock.now();
    for (const lockout of this.lockouts.values()) {
      if (!lockoutInForce(lockout, now)) continue;
      if (lockout.scope.kind === 'account') return true;
      if (symbol !== undefined && lockout.scope.symbol === symbol) return true;
    }
    return false;
  }

  adjustOpen(dUnrealized: Micros, dEquityUnrealized: Micros, dStale: number): void {
    this.unrealizedTotal += dUnrealized;
    this.equityUnrealizedTotal += dEquityUnrealized;
    this.staleCount += dStale;
  }

  addRealized(dRealized: Micros, dFees: Micros): void {
    this.realizedTotal += dRealized;
    this.feesTotal += dFees;
  }

  /**
   * Peaks only rise: they follow the totals up, never down. Called once an event is fully applied,
   * so that a fill moving realized and unrealized P&L at once never shows a combined value in between.
   */
  raisePeaks(): void {
    let raised = false;
    if (this.realizedTotal > this.peakRealized) {
      this.peakRealized = this.realizedTotal;
      raised = true;
    }
    const combined = this.realizedTotal + this.unrealizedTotal;
    if (combined > this.peakCombined) {
      this.peakCombined = combined;
      raised = true;
    }
    if (raised) this.ctx.peakRaised(this.accountId);
  }

  /** Starts a new trading day: realized, fees, peaks and round trips back to zero. */
  startDay(weekStart: boolean): void {
    this.realizedTotal = 0;
    this.feesTotal = 0;
    this.peakRealized = 0;
    this.peakCombined = 0;
    this.roundTrips = [];
    if (weekStart) {
      this.entries = [];
      this.entriesByOrder.clear();
    }
  }
}
