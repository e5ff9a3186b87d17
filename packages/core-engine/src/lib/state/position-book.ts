import type {
  AccountId,
  Contract,
  ContractId,
  Instant,
  Micros,
  PositionSide,
  Quote,
} from '../domain/types.js';
import { priceToTicks } from '../money/money.js';
import type { PositionView } from './account-view.js';
import { addToAverage, pnlMicros, ratioToPrice, ticksToRatio, type TickRatio } from './pnl.js';
import { NO_ACCOUNTS, NO_CHANGES, type PositionChange, type StateUpdate } from './state-update.js';

const ZERO: TickRatio = Object.freeze({ num: 0, den: 1 });
const NO_BOOKS: readonly PositionBook[] = Object.freeze([]);

/**
 * One contract as the state manager knows it: its record (once seen), its latest quote turned into
 * conservative marks, and the positions holding it. Shared by every account.
 */
export class ContractEntry {
  contract: Contract | undefined = undefined;
  /** Stand-in while the contract record is unknown: P&L cannot be computed (tick size 0). */
  readonly placeholder: Contract;
  tickSize = 0;
  tickValue: Micros = 0;
  bid: number | null = null;
  ask: number | null = null;
  last: number | null = null;
  /** Mark of long positions (bid, else last), in ticks; null until known. */
  markLongTicks: number | null = null;
  markShortTicks: number | null = null;
  markLongPrice = 0;
  markShortPrice = 0;
  lastQuoteAt: Instant | null = null;
  /** Accounts with an open position in the contract. Replaced, never mutated, so it can be handed out. */
  holders: readonly AccountId[] = NO_ACCOUNTS;
  books: readonly PositionBook[] = NO_BOOKS;
  /** The update returned for every quote of the contract (no allocation per quote). */
  quoteUpdate: StateUpdate;

  constructor(readonly id: ContractId) {
    this.placeholder = Object.freeze({
      id,
      name: id,
      description: '',
      tickSize: 0,
      tickValue: 0,
      symbol: id,
      symbolId: id,
      active: true,
    });
    this.quoteUpdate = this.buildQuoteUpdate();
  }

  get known(): boolean {
    return this.tickSize > 0 && Number.isFinite(this.tickValue);
  }

  /** Sets the record; true when tick size or value changed (positions must be re-based). */
  setContract(contract: Contract): boolean {
    const ticksChanged = contract.tickSize !== this.tickSize || contract.tickValue !== this.tickValue;
    this.contract = contract;
    this.tickSize = contract.tickSize > 0 && Number.isFinite(contract.tickSize) ? contract.tickSize : 0;
    this.tickValue = contract.tickValue;
    if (ticksChanged) {
      this.markLongTicks = null;
      this.markShortTicks = null;
      this.recomputeMarks();
    }
    return ticksChanged;
  }

  applyQuote(quote: Quote, receivedAt: Instant): void {
    this.bid = quote.bid;
    this.ask = quote.ask;
    this.last = quote.last;
    this.lastQuoteAt = receivedAt;
    this.recomputeMarks();
  }

  /** A side without a price keeps its previous mark: a one-sided quote does not erase what is known. */
  private recomputeMarks(): void {
    if (!this.known) return;
    const longPrice = this.bid ?? this.last;
    if (longPrice !== null) {
      this.markLongTicks = priceToTicks(longPrice, this.tickSize);
      this.markLongPrice = longPrice;
    }
    const shortPrice = this.ask ?? this.last;
    if (shortPrice !== null) {
      this.markShortTicks = priceToTicks(shortPrice, this.tickSize);
      this.markShortPrice = shortPrice;
    }
  }

  addHolder(book: PositionBook): void {
    if (this.books.includes(book)) return;
    this.books = Object.freeze([...this.books, book]);
    this.holders = Object.freeze(this.books.map((b) => b.accountId));
    this.quoteUpdate = this.buildQuoteUpdate();
  }

  removeHolder(book: PositionBook): void {
    if (!this.books.includes(book)) return;
    const books = this.books.filter((b) => b !== book);
    this.books = books.length === 0 ? NO_BOOKS : Object.freeze(books);
    this.holders = books.length === 0 ? NO_ACCOUNTS : Object.freeze(books.map((b) => b.accountId));
    this.quoteUpdate = this.buildQuoteUpdate();
  }

  private buildQuoteUpdate(): StateUpdate {
    return Object.freeze({ accountIds: this.holders, positionChanges: NO_CHANGES, duplicate: false });
  }
}

/** What a position book reports to its account. */
export interface OpenPositionSink {
  readonly accountId: AccountId;
  readonly positions: Map<ContractId, PositionBook>;
  /** Adds deltas to the account's unrealized P&L (basis and average-price based) and stale count. */
  adjustOpen(dUnrealized: Micros, dEquityUnrealized: Micros, dStale: number): void;
  /** Lets the peaks follow the totals once an event is applied. */
  raisePeaks(): void;
}

/** The open round trip of a contract, accumulated from its fills. */
export interface RoundTripAccumulator {
  readonly side: PositionSide;
  readonly openedAt: Instant;
  /** Sum of its closing fills' profitAndLoss (gross). */
  pnl: Micros;
  fees: Micros;
  maxSize: number;
}

/** The epoch of the last opening as persisted, used to keep epochs stable when fills are replayed. */
export interface EpochAnchor {
  readonly epoch: number;
  readonly openedAt: Instant;
  readonly fillAt: Instant | null;
}

/**
 * The state of one account's position in one contract; it is also the live {@link PositionView}
 * (listed in the account's `positions` while its size is not zero).
 *
 * Size: the broker's position events are authoritative. A fill moves the size too, except for the
 * part that a position event already reported (`ahead`): fills and position events travel on
 * different streams, so either may come first, and neither may count twice.
 */
export class PositionBook implements PositionView {
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  /** Effective signed size. */
  signed = 0;
  /** Signed size change reported by position events that no fill has explained yet. */
  ahead = 0;
  /** Average price (the broker's when known, else from fills). */
  averagePrice = 0;
  basisPrice = 0;
  private avg: TickRatio = ZERO;
  private basis: TickRatio = ZERO;
  carried = false;
  resetMarkPrice: number | null = null;
  epoch = 0;
  /** Persisted anchor of the last opening, while replayed fills may still re-open that position. */
  anchor: EpochAnchor | null = null;
  epochOpenedAt: Instant = 0;
  openFillAt: Instant | null = null;
  openedAt: Instant = 0;
  lastIncreaseAt: Instant = 0;
  /** The mark used until the contract's first quote: the last fill price, else the broker average. */
  fallbackPrice: number | null = null;
  mark = 0;
  markStale = true;
  unrealized: Micros = 0;
  /** Unrealized P&L from the average price (equity), which differs from `unrealized` when carried. */
  equityUnrealized: Micros = 0;
  lastBrokerSigned: number | null = null;
  lastBrokerAverage: number | null = null;
  roundTrip: RoundTripAccumulator | null = null;
  private inView = false;

  constructor(
    readonly owner: OpenPositionSink,
    readonly entry: ContractEntry,
  ) {
    this.accountId = owner.accountId;
    this.contractId = entry.id;
  }

  get contract(): Contract {
    return this.entry.contract ?? this.entry.placeholder;
  }

  get symbol(): string {
    return this.contract.symbol;
  }

  get side(): PositionSide {
    return this.signed < 0 ? 'short' : 'long';
  }

  get size(): number {
    return Math.abs(this.signed);
  }

  get lastQuoteAt(): Instant | null {
    return this.entry.lastQuoteAt;
  }

  /** The basis in ticks, an exact fraction. */
  get basisTicks(): TickRatio {
    return this.basis;
  }

  /** The average price in ticks, an exact fraction. */
  get averageTicks(): TickRatio {
    return this.avg;
  }

  /**
   * Moves the effective size to `next`. `at` is the time of the fact (fill time, broker open time);
   * `price` the price of contracts added (fill price, broker average or implied price).
   */
  setEffective(next: number, at: Instant, price: number | null): PositionChange | null {
    const prev = this.signed;
    if (next === prev) return null;
    const opened = prev === 0;
    const closed = next === 0;
    const flipped = !opened && !closed && prev > 0 !== next > 0;
    const increased = !closed && (opened || flipped || Math.abs(next) > Math.abs(prev));
    if (opened || flipped) {
      this.bumpEpoch(at);
      this.carried = false;
      this.resetMarkPrice = null;
      this.openedAt = at;
      this.signed = next;
      this.resetPrices(price ?? this.fallbackPrice ?? this.averagePrice);
    } else {
      if (increased) this.addPrices(Math.abs(prev), Math.abs(next) - Math.abs(prev), price ?? this.mark);
      this.signed = next;
    }
    if (increased) this.lastIncreaseAt = at;
    if (opened) this.enterView();
    else if (closed) this.leaveView();
    else this.remark();
    return {
      accountId: this.accountId,
      contractId: this.contractId,
      before: prev,
      after: next,
      epoch: this.epoch,
      opened,
      increased,
      closed,
      flipped,
    };
  }

  /**
   * Opens a position carried into the trading day (restore, or a reset mark recorded late) without
   * counting a new epoch. `averageTicks` is the exact average when it was persisted.
   */
  seedCarried(
    signed: number,
    averagePrice: number,
    openedAt: Instant,
    markPrice: number,
    averageTicks?: TickRatio,
    roundTrip?: RoundTripAccumulator,
  ): void {
    this.ahead = 0;
    this.signed = signed;
    this.openedAt = openedAt;
    this.lastIncreaseAt = openedAt;
    this.fallbackPrice = markPrice;
    this.resetPrices(averagePrice);
    if (averageTicks) this.avg = averageTicks;
    this.enterView();
    this.makeCarried(markPrice);
    this.roundTrip = roundTrip ?? {
      side: signed > 0 ? 'long' : 'short',
      openedAt,
      pnl: 0,
      fees: 0,
      maxSize: Math.abs(signed),
    };
  }

  /** The position is carried over a reset: from now on its basis is `markPrice`. */
  makeCarried(markPrice: number): void {
    this.carried = true;
    this.resetMarkPrice = markPrice;
    this.basisPrice = markPrice;
    this.basis = this.entry.known ? ticksToRatio(markPrice / this.entry.tickSize, 1) : ZERO;
    this.remark();
  }

  /** The broker's average price (authoritative); the basis follows it unless the position is carried. */
  setBrokerAverage(averagePrice: number): void {
    this.averagePrice = averagePrice;
    if (this.entry.known) {
      const ticks = averagePrice / this.entry.tickSize;
      // Keep the exact fraction built from fills when the broker's decimal says the same.
      if (Math.abs(this.avg.num / this.avg.den - ticks) > 1e-7) this.avg = ticksToRatio(ticks, this.size);
    }
    if (!this.carried) {
      this.basisPrice = averagePrice;
      this.basis = this.avg;
    }
    this.remark();
  }

  /**
   * Today's P&L of closing `qty` contracts of side `dir` at `price`, measured from the basis (used for
   * carried positions, whose closing fills' broker P&L also holds the previous day's part).
   */
  closedPartPnl(dir: number, qty: number, price: number): Micros | null {
    if (!this.entry.known) return null;
    const ticks = priceToTicks(price, this.entry.tickSize);
    return pnlMicros(dir, qty, this.entry.tickValue, ticks, this.basis.num, this.basis.den);
  }

  /** Recomputes the exact averages after the contract's tick size became known or changed. */
  rebase(): void {
    if (this.entry.known && this.signed !== 0) {
      const ts = this.entry.tickSize;
      // A fraction that already stands for the decimal price (e.g. restored exactly) is kept.
      const fits = (r: TickRatio, price: number): boolean => Math.abs(r.num / r.den - price / ts) <= 1e-6;
      if (!fits(this.avg, this.averagePrice)) this.avg = ticksToRatio(this.averagePrice / ts, this.size);
      if (!this.carried) this.basis = this.avg;
      else if (!fits(this.basis, this.basisPrice)) this.basis = ticksToRatio(this.basisPrice / ts, this.size);
    }
    this.remark();
  }

  /** Recomputes mark and unrealized P&L from the contract's current marks and reports the deltas. */
  remark(): void {
    if (!this.inView) return;
    const e = this.entry;
    let markPrice = this.fallbackPrice ?? this.averagePrice;
    let stale = true;
    let unrealized = 0;
    let equity = 0;
    if (e.known) {
      const long = this.signed > 0;
      const markTicks = long ? e.markLongTicks : e.markShortTicks;
      let ticks: number;
      if (markTicks !== null) {
        ticks = markTicks;
        markPrice = long ? e.markLongPrice : e.markShortPrice;
        stale = false;
      } else {
        ticks = priceToTicks(markPrice, e.tickSize);
      }
      const dir = long ? 1 : -1;
      const size = long ? this.signed : -this.signed;
      unrealized = pnlMicros(dir, size, e.tickValue, ticks, this.basis.num, this.basis.den);
      equity = this.carried
        ? pnlMicros(dir, size, e.tickValue, ticks, this.avg.num, this.avg.den)
        : unrealized;
    }
    const dStale = (stale ? 1 : 0) - (this.markStale ? 1 : 0);
    const dUnrealized = unrealized - this.unrealized;
    const dEquity = equity - this.equityUnrealized;
    this.mark = markPrice;
    this.markStale = stale;
    this.unrealized = unrealized;
    this.equityUnrealized = equity;
    if (dUnrealized !== 0 || dEquity !== 0 || dStale !== 0)
      this.owner.adjustOpen(dUnrealized, dEquity, dStale);
  }

  /** Records the time of the fill that opened the position (it came after the position event). */
  noteOpeningFill(at: Instant): void {
    this.openFillAt = at;
  }

  private bumpEpoch(at: Instant): void {
    const anchor = this.anchor;
    if (anchor) {
      // Replayed history re-opens positions that were counted before the restart: they keep the
      // persisted epoch, so enforcement's idempotency keys stay the same. A later opening is new.
      const latest = Math.max(anchor.openedAt, anchor.fillAt ?? Number.NEGATIVE_INFINITY);
      if (at <= latest) {
        this.epoch = anchor.epoch;
        this.epochOpenedAt = anchor.openedAt;
        this.openFillAt = anchor.fillAt;
        return;
      }
      this.epoch = Math.max(this.epoch, anchor.epoch) + 1;
      this.anchor = null;
    } else {
      this.epoch += 1;
    }
    this.epochOpenedAt = at;
    this.openFillAt = null;
  }

  private resetPrices(price: number): void {
    this.averagePrice = price;
    this.basisPrice = price;
    this.avg = this.entry.known ? ticksToRatio(price / this.entry.tickSize, 1) : ZERO;
    this.basis = this.avg;
  }

  private addPrices(oldSize: number, qty: number, price: number): void {
    this.averagePrice = (this.averagePrice * oldSize + price * qty) / (oldSize + qty);
    this.basisPrice = (this.basisPrice * oldSize + price * qty) / (oldSize + qty);
    if (!this.entry.known) return;
    const priceRatio = ticksToRatio(price / this.entry.tickSize, 1);
    this.avg = addToAverage(this.avg, oldSize, priceRatio, qty);
    this.basis = this.carried ? addToAverage(this.basis, oldSize, priceRatio, qty) : this.avg;
    // Views show the exact average, not the float accumulation.
    this.averagePrice = ratioToPrice(this.avg, this.entry.tickSize);
    this.basisPrice = ratioToPrice(this.basis, this.entry.tickSize);
  }

  private enterView(): void {
    this.inView = true;
    this.markStale = false;
    this.unrealized = 0;
    this.equityUnrealized = 0;
    this.owner.positions.set(this.contractId, this);
    this.entry.addHolder(this);
    this.remark();
  }

  private leaveView(): void {
    if (!this.inView) return;
    this.owner.adjustOpen(-this.unrealized, -this.equityUnrealized, this.markStale ? -1 : 0);
    this.unrealized = 0;
    this.equityUnrealized = 0;
    this.markStale = true;
    this.inView = false;
    this.owner.positions.delete(this.contractId);
    this.entry.removeHolder(this);
  }
}
