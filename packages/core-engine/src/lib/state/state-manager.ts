import { sameAccount, sameOrder } from '../domain/equality.js';
import type { TradingDay } from '../calendar/calendar-types.js';
import type { MarketCalendarView } from '../calendar/market-calendar-view.js';
import type { Clock } from '../clock/clock.js';
import { isLockoutHold, type Lockout } from '../domain/lockout.js';
import {
  OrderStatus,
  WORKING_ORDER_STATUSES,
  type AccountId,
  type Contract,
  type ContractId,
  type Fill,
  type Instant,
  type Order,
  type OrderId,
} from '../domain/types.js';
import type {
  AccountEvent,
  ContractEvent,
  EngineEvent,
  FillEvent,
  OrderEvent,
  PositionEvent,
  QuoteEvent,
  ResetEvent,
  TimerEvent,
} from '../events/events.js';
import type { Logger } from '../ports/logger.js';
import type { StateNamespace, StateRecord } from '../ports/state-store.js';
import type { RuleInstanceState, RuleTimers } from '../rules/rule-api.js';
import { AccountState, type FillRecord, type StateContext } from './account-state.js';
import type { AccountsView, AccountView } from './account-view.js';
import { ContractEntry, PositionBook, type EpochAnchor, type RoundTripAccumulator } from './position-book.js';
import { roundHalfAway } from './pnl.js';
import { RuleStateHandle, RuleTimersHandle, type RuleStoreSink } from './rule-store.js';
import { composeKey, splitKey } from './state-keys.js';
import {
  DUPLICATE_UPDATE,
  EMPTY_UPDATE,
  NO_ACCOUNTS,
  NO_CHANGES,
  type ClosedRoundTrip,
  type EntryFill,
  type PositionChange,
  type RuleTimerRecord,
  type StateUpdate,
} from './state-update.js';

export interface StateManagerOptions {
  readonly clock: Clock;
  readonly calendar: MarketCalendarView;
  /** Whether fees count in realized P&L (RULES.md section 1, default true). */
  readonly includeFees: boolean;
  readonly logger: Logger;
  /** Called when a rule instance sets or moves a timer (the facade schedules it on the Clock). */
  readonly onRuleTimerSet?: (timer: RuleTimerRecord) => void;
  /** Called when a rule instance cancels a timer. */
  readonly onRuleTimerCancelled?: (accountId: AccountId, instanceId: string, key: string) => void;
}

/** A reset mark recorded outside a `reset` event (the daemon was down at the reset). */
export interface ResetMarkInput {
  /** The mark at the reset, e.g. the close of the one-minute bar at the reset. */
  readonly price: number;
  /** Signed size at the reset; used only when the position is not open in state yet. */
  readonly size?: number;
  /** Average price of that position (defaults to `price`). */
  readonly averagePrice?: number;
  /** When that position opened (defaults to the reset). */
  readonly openedAt?: Instant;
}

/** Persisted value of a position's reset mark (ns `reset-mark`, key `<account>:<contract>`). */
interface ResetMarkValue {
  readonly day: string;
  readonly at: Instant;
  readonly price: number;
  readonly size: number;
  readonly averagePrice: number;
  /** The exact average, `[num, den]` ticks (the decimal above is rounded for display). */
  readonly averageTicks?: readonly [number, number];
  readonly openedAt: Instant;
  /** The open round trip at the reset, so its result stays whole across a restart. */
  readonly roundTrip?: RoundTripAccumulator;
}

/** Persisted balance at the reset (ns `reset-mark`, key `<account>`). */
interface BalanceMarkValue {
  readonly day: string;
  readonly at: Instant;
  readonly balance: number | null;
}

interface PeakValue {
  readonly day: string;
  readonly realized: number;
  readonly combined: number;
}

const META_LAST_RESET = 'last-reset';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNum(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function sameContract(a: Contract, b: Contract): boolean {
  return (
    a.name === b.name &&
    a.description === b.description &&
    a.tickSize === b.tickSize &&
    a.tickValue === b.tickValue &&
    a.symbol === b.symbol &&
    a.symbolId === b.symbolId &&
    a.active === b.active
  );
}

/**
 * Riskd's in-memory picture of every account: positions, working orders, the trading day's P&L,
 * round trips, entries, lockouts, and rule instances' state and timers (RULES.md section 1).
 *
 * `apply(event)` is synchronous and cheap; persistence happens off the hot path through
 * `drainDirty()`, and `restore()` rebuilds what the records hold at start. The views it hands out
 * are live: they always show the current state.
 */
export class StateManager {
  /** All accounts, for rules that look across accounts. */
  readonly accounts: AccountsView;
  private readonly clock: Clock;
  private readonly calendar: MarketCalendarView;
  private readonly includeFees: boolean;
  private readonly logger: Logger;
  private readonly ctx: StateContext;
  private readonly accountStates = new Map<AccountId, AccountState>();
  private readonly contracts = new Map<ContractId, ContractEntry>();
  private readonly lockoutOwners = new Map<string, AccountId>();
  private readonly ruleStates = new Map<AccountId, Map<string, RuleStateHandle>>();
  private readonly ruleTimerSets = new Map<AccountId, Map<string, RuleTimersHandle>>();
  private readonly ruleSink: RuleStoreSink;
  private readonly dirty = new Map<string, StateRecord>();
  private readonly dirtyPeaks = new Set<AccountId>();
  /** Keys of the reset marks written at the last reset (replaced at the next one). */
  private resetMarkKeys = new Set<string>();
  private lastReset: Instant | null = null;

  constructor(options: StateManagerOptions) {
    this.clock = options.clock;
    this.calendar = options.calendar;
    this.includeFees = options.includeFees;
    this.logger = options.logger.child({ component: 'StateManager' });
    const now = this.clock.now();
    const contracts = this.contracts;
    const dirtyPeaks = this.dirtyPeaks;
    this.ctx = {
      clock: this.clock,
      includeFees: this.includeFees,
      tradingDay: this.calendar.tradingDayAt(now),
      weekStart: this.calendar.weekStartAt(now),
      contract: (id) => contracts.get(id)?.contract,
      peakRaised: (id) => dirtyPeaks.add(id),
    };
    const states = this.accountStates;
    this.accounts = {
      get: (id) => states.get(id),
      all: () => states.values(),
    };
    const onSet = options.onRuleTimerSet;
    const onCancelled = options.onRuleTimerCancelled;
    this.ruleSink = {
      persist: (ns, key, value) => this.persist(ns, key, value),
      timerSet: (record) => onSet?.(record),
      timerCancelled: (accountId, instanceId, key) => onCancelled?.(accountId, instanceId, key),
    };
  }

  /** The current trading day (moved by `reset` events and by `restore`). */
  get tradingDay(): TradingDay {
    return this.ctx.tradingDay;
  }

  /** Start of the current trading week. */
  get weekStart(): Instant {
    return this.ctx.weekStart;
  }

  /** Instant of the last reset applied (persisted), or null if none was applied yet. */
  get lastResetAt(): Instant | null {
    return this.lastReset;
  }

  apply(event: EngineEvent): StateUpdate {
    switch (event.kind) {
      case 'quote':
        return this.applyQuote(event);
      case 'fill':
        return this.applyFill(event);
      case 'order':
        return this.applyOrder(event);
      case 'position':
        return this.applyPosition(event);
      case 'account':
        return this.applyAccount(event);
      case 'contract':
        return this.applyContract(event);
      case 'reset':
        return this.applyReset(event);
      case 'timer':
        return this.applyTimer(event);
      case 'connection':
        return EMPTY_UPDATE;
    }
  }

  account(accountId: AccountId): AccountView | undefined {
    return this.accountStates.get(accountId);
  }

  ensureAccount(accountId: AccountId): AccountView {
    return this.ensure(accountId);
  }

  /** Accounts with an open position in the contract. The array is shared: do not modify it. */
  accountsHolding(contractId: ContractId): readonly AccountId[] {
    return this.contracts.get(contractId)?.holders ?? NO_ACCOUNTS;
  }

  upsertContract(contract: Contract): void {
    this.updateContract(contract);
  }

  contract(contractId: ContractId): Contract | undefined {
    return this.contracts.get(contractId)?.contract;
  }

  /**
   * Sets a lockout record, replacing the one with the same id. The caller combines holds first
   * (`addLockoutHold`, `releaseLockout`): a record is the whole truth about its scope.
   */
  setLockout(lockout: Lockout): void {
    const previousOwner = this.lockoutOwners.get(lockout.id);
    if (previousOwner !== undefined && previousOwner !== lockout.accountId) {
      this.accountStates.get(previousOwner)?.lockouts.delete(lockout.id);
    }
    this.ensure(lockout.accountId).lockouts.set(lockout.id, lockout);
    this.lockoutOwners.set(lockout.id, lockout.accountId);
    this.persist('lockout', lockout.id, lockout);
  }

  removeLockout(lockoutId: string): Lockout | undefined {
    const owner = this.lockoutOwners.get(lockoutId);
    if (owner === undefined) return undefined;
    this.lockoutOwners.delete(lockoutId);
    const account = this.accountStates.get(owner);
    const lockout = account?.lockouts.get(lockoutId);
    account?.lockouts.delete(lockoutId);
    this.persist('lockout', lockoutId, null);
    return lockout;
  }

  allLockouts(): readonly Lockout[] {
    const all: Lockout[] = [];
    for (const account of this.accountStates.values()) for (const l of account.lockouts.values()) all.push(l);
    return all;
  }

  ruleState(accountId: AccountId, instanceId: string): RuleInstanceState {
    return this.ruleStateHandle(accountId, instanceId);
  }

  ruleTimers(accountId: AccountId, instanceId: string): RuleTimers {
    return this.ruleTimersHandle(accountId, instanceId);
  }

  allRuleTimers(): readonly RuleTimerRecord[] {
    const all: RuleTimerRecord[] = [];
    for (const perAccount of this.ruleTimerSets.values()) {
      for (const handle of perAccount.values()) for (const record of handle.records()) all.push(record);
    }
    return all;
  }

  /** Marks Riskd's own orders (close/reduce orders it sent) so their fills are never entries. */
  markOwnOrder(accountId: AccountId, orderId: OrderId): void {
    this.ensure(accountId).ownOrders.add(orderId);
  }

  /**
   * Records the reset mark of a position carried into the current trading day when no `reset`
   * event could record it (the daemon was down at the reset: the facade passes the close of the
   * one-minute bar at the reset). An open position becomes carried with its basis at `price`; a
   * position not open in state is first opened with `size` and `averagePrice`.
   */
  setResetMark(accountId: AccountId, contractId: ContractId, mark: ResetMarkInput): void {
    const account = this.ensure(accountId);
    const book = this.book(account, contractId);
    const day = this.ctx.tradingDay;
    if (book.signed === 0) {
      if (!mark.size) return;
      book.seedCarried(mark.size, mark.averagePrice ?? mark.price, mark.openedAt ?? day.start, mark.price);
    } else {
      book.makeCarried(mark.price);
    }
    this.writeResetMark(account, book);
    account.raisePeaks();
  }

  /** Records changed since the last drain, for the StateStore (batched, off the hot path). */
  drainDirty(): StateRecord[] {
    const out = Array.from(this.dirty.values());
    this.dirty.clear();
    const day = this.ctx.tradingDay.id;
    for (const id of this.dirtyPeaks) {
      const account = this.accountStates.get(id);
      if (!account) continue;
      const value: PeakValue = { day, realized: account.peakRealized, combined: account.peakCombined };
      out.push({ ns: 'peak', key: composeKey(id), value });
    }
    this.dirtyPeaks.clear();
    return out;
  }

  /**
   * Restores from StateStore records, at start and before any event: lockouts, rule state and
   * timers, epochs, the trading day of the last reset, peaks and reset marks of that day (positions
   * carried into it are opened again from their marks). Records of other namespaces are ignored.
   * Timer hooks are not called: the facade schedules `allRuleTimers()` after restoring.
   */
  restore(records: readonly StateRecord[]): void {
    for (const record of records) {
      if (record.ns === 'meta' && record.key === META_LAST_RESET && isRecord(record.value)) {
        const at = record.value['at'];
        if (isNum(at)) {
          this.lastReset = at;
          this.ctx.tradingDay = this.calendar.tradingDayAt(at);
          this.ctx.weekStart = this.calendar.weekStartAt(at);
        }
      }
    }
    for (const record of records) {
      if (record.value === null) continue;
      try {
        this.restoreRecord(record);
      } catch (err) {
        this.logger.warn({ err, ns: record.ns, key: record.key }, 'ignored a malformed state record');
      }
    }
    for (const account of this.accountStates.values()) account.raisePeaks();
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  private applyQuote(event: QuoteEvent): StateUpdate {
    const entry = this.entry(event.quote.contractId);
    entry.applyQuote(event.quote, event.receivedAt);
    const books = entry.books;
    for (let i = 0; i < books.length; i++) {
      const book = books[i] as PositionBook;
      book.remark();
      book.owner.raisePeaks();
    }
    return entry.quoteUpdate;
  }

  private applyFill(event: FillEvent): StateUpdate {
    const fill = event.fill;
    const account = this.ensure(event.accountId);
    const seen = account.fills.get(fill.id);
    if (seen) {
      if (fill.voided && !seen.voided) return this.voidFill(account, seen);
      return DUPLICATE_UPDATE;
    }
    const signed = fill.side === 'buy' ? fill.size : -fill.size;
    const record: FillRecord = {
      id: fill.id,
      time: fill.time,
      contractId: fill.contractId,
      price: fill.price,
      signed,
      voided: fill.voided,
      positionApplied: false,
      realized: 0,
      fees: 0,
      roundTrip: null,
      roundTripPnl: 0,
      roundTripFees: 0,
    };
    account.fills.set(fill.id, record);
    // A fill first seen already voided never happened: remembered (so it is not counted later), no more.
    if (fill.voided) return EMPTY_UPDATE;
    this.noteOrderFill(account, fill);
    const day = this.ctx.tradingDay;
    const own = account.ownOrders.has(fill.orderId);

    if (event.origin === 'snapshot' && fill.time < day.start) {
      // History from before the trading day (fetched at start to rebuild the week's entries): the
      // positions it built are in the reset marks and the broker's snapshot, so it only counts as an
      // entry, recognised by the broker's opening-fill marker (no profitAndLoss).
      const entryFill =
        fill.profitAndLoss === null && !own ? this.recordEntry(account, fill, fill.size) : undefined;
      return entryFill
        ? { accountIds: account.idList, positionChanges: NO_CHANGES, entryFill, duplicate: false }
        : { accountIds: account.idList, positionChanges: NO_CHANGES, duplicate: false };
    }

    const book = this.book(account, fill.contractId);
    // Classification follows the fills' own view of the position: the effective size minus what
    // position events reported ahead of their fills.
    const before = book.signed - book.ahead;
    const after = before + signed;
    const closedQty =
      before !== 0 && before > 0 !== signed > 0 ? Math.min(Math.abs(signed), Math.abs(before)) : 0;
    const flipped = before !== 0 && after !== 0 && before > 0 !== after > 0;
    const addedQty =
      after === 0
        ? 0
        : before === 0 || flipped
          ? Math.abs(after)
          : Math.max(0, Math.abs(after) - Math.abs(before));

    // Realized P&L of the trading day.
    const pnl = fill.profitAndLoss;
    if (fill.time >= day.start) {
      let realized = pnl ?? 0;
      if (pnl !== null && closedQty > 0 && book.carried) {
        // Only today's part: measured from the reset mark (the basis), not from the average price.
        const todayPart = book.closedPartPnl(before > 0 ? 1 : -1, closedQty, fill.price);
        if (todayPart !== null) realized = todayPart;
      }
      record.realized = realized - (this.includeFees ? fill.fees : 0);
      record.fees = fill.fees;
      account.addRealized(record.realized, record.fees);
    }

    // Round trips: flat -> flat on the fills' view.
    let roundTripClosed: ClosedRoundTrip | undefined;
    if (before === 0) {
      if (after !== 0) {
        book.roundTrip = {
          side: after > 0 ? 'long' : 'short',
          openedAt: fill.time,
          pnl: 0,
          fees: fill.fees,
          maxSize: Math.abs(after),
        };
        record.roundTripFees = fill.fees;
      }
    } else {
      const rt = (book.roundTrip ??= {
        side: before > 0 ? 'long' : 'short',
        openedAt: book.openedAt || fill.time,
        pnl: 0,
        fees: 0,
        maxSize: Math.abs(before),
      });
      if (closedQty > 0) rt.pnl += pnl ?? 0;
      if (after === 0 || flipped) {
        // A flip's fees are split by contracts between the round trip it ends and the one it starts.
        const closingFees = flipped ? roundHalfAway((fill.fees * closedQty) / Math.abs(signed)) : fill.fees;
        rt.fees += closingFees;
        roundTripClosed = this.completeRoundTrip(account, book, fill.time);
        book.roundTrip = flipped
          ? {
              side: after > 0 ? 'long' : 'short',
              openedAt: fill.time,
              pnl: 0,
              fees: fill.fees - closingFees,
              maxSize: Math.abs(after),
            }
          : null;
        record.roundTripFees = fill.fees - closingFees;
      } else {
        rt.fees += fill.fees;
        rt.maxSize = Math.max(rt.maxSize, Math.abs(after));
        record.roundTripPnl = closedQty > 0 ? (pnl ?? 0) : 0;
        record.roundTripFees = fill.fees;
      }
    }
    record.roundTrip = book.roundTrip;

    // Effective size: the part a position event already reported is not moved again.
    let absorbed = 0;
    if (book.ahead !== 0 && book.ahead > 0 === signed > 0) {
      absorbed = signed > 0 ? Math.min(signed, book.ahead) : Math.max(signed, book.ahead);
      book.ahead -= absorbed;
    }
    book.fallbackPrice = fill.price;
    record.positionApplied = true;
    const change = book.setEffective(book.signed + signed - absorbed, fill.time, fill.price);
    if (change === null) book.remark();
    if (change?.opened || change?.flipped) {
      this.writeEpoch(account, book);
    } else if (before === 0 && after !== 0 && absorbed !== 0) {
      // The position event opened the position; remember this fill's time too, for replays.
      book.noteOpeningFill(fill.time);
      this.writeEpoch(account, book);
    }

    const entryFill = addedQty > 0 && !own ? this.recordEntry(account, fill, addedQty) : undefined;
    account.raisePeaks();
    const update: {
      accountIds: readonly AccountId[];
      positionChanges: readonly PositionChange[];
      entryFill?: EntryFill;
      roundTripClosed?: ClosedRoundTrip;
      duplicate: boolean;
    } = { accountIds: account.idList, positionChanges: change ? [change] : NO_CHANGES, duplicate: false };
    if (entryFill) update.entryFill = entryFill;
    if (roundTripClosed) update.roundTripClosed = roundTripClosed;
    return update;
  }

  /**
   * A fill counted before arrives again voided: its P&L and fees are taken back out and its size
   * reversed. Completed round trips and entries stay as they were recorded.
   */
  private voidFill(account: AccountState, record: FillRecord): StateUpdate {
    record.voided = true;
    account.addRealized(-record.realized, -record.fees);
    record.realized = 0;
    record.fees = 0;
    let change: PositionChange | null = null;
    const book = account.books.get(record.contractId);
    if (book && record.positionApplied) {
      const rt = book.roundTrip;
      if (rt && rt === record.roundTrip) {
        rt.pnl -= record.roundTripPnl;
        rt.fees -= record.roundTripFees;
      }
      const signed = -record.signed;
      let absorbed = 0;
      if (book.ahead !== 0 && book.ahead > 0 === signed > 0) {
        absorbed = signed > 0 ? Math.min(signed, book.ahead) : Math.max(signed, book.ahead);
        book.ahead -= absorbed;
      }
      change = book.setEffective(book.signed + signed - absorbed, record.time, record.price);
      if (book.signed - book.ahead === 0) book.roundTrip = null;
      if (change?.opened || change?.flipped) this.writeEpoch(account, book);
    }
    account.raisePeaks();
    return { accountIds: account.idList, positionChanges: change ? [change] : NO_CHANGES, duplicate: false };
  }

  private completeRoundTrip(
    account: AccountState,
    book: PositionBook,
    closedAt: Instant,
  ): ClosedRoundTrip | undefined {
    const rt = book.roundTrip;
    if (!rt) return undefined;
    // Round trips of the current trading day only (a late fill of the previous day closes none).
    if (closedAt < this.ctx.tradingDay.start) return undefined;
    const roundTrip: ClosedRoundTrip = {
      accountId: account.accountId,
      contractId: book.contractId,
      symbol: book.symbol,
      side: rt.side,
      openedAt: rt.openedAt,
      closedAt,
      pnl: rt.pnl - (this.includeFees ? rt.fees : 0),
      fees: rt.fees,
      maxSize: rt.maxSize,
    };
    account.roundTrips.push(roundTrip);
    return roundTrip;
  }

  private recordEntry(account: AccountState, fill: Fill, added: number): EntryFill {
    if (fill.time >= this.ctx.weekStart) {
      const existing = account.entriesByOrder.get(fill.orderId);
      if (existing) {
        existing.size += added;
      } else {
        const entry = {
          orderId: fill.orderId,
          contractId: fill.contractId,
          symbol: this.contracts.get(fill.contractId)?.contract?.symbol ?? fill.contractId,
          at: fill.time,
          size: added,
        };
        account.entries.push(entry);
        account.entriesByOrder.set(fill.orderId, entry);
      }
    }
    return { accountId: account.accountId, orderId: fill.orderId, contractId: fill.contractId, size: added };
  }

  private applyPosition(event: PositionEvent): StateUpdate {
    const position = event.position;
    const account = this.ensure(event.accountId);
    const book = this.book(account, position.contractId);
    const next = position.size === 0 ? 0 : position.side === 'long' ? position.size : -position.size;
    const snapshot = event.origin === 'snapshot';
    const sameAverage = next === 0 || book.lastBrokerAverage === position.averagePrice;
    if (snapshot) {
      if (book.signed === next && book.ahead === 0 && sameAverage && book.lastBrokerSigned === next) {
        return DUPLICATE_UPDATE;
      }
    } else if (book.lastBrokerSigned === next && sameAverage) {
      // The broker said exactly this last time: a replay, which must not move the size again.
      return DUPLICATE_UPDATE;
    }
    book.lastBrokerSigned = next;
    book.lastBrokerAverage = position.averagePrice;
    const prev = book.signed;
    // A snapshot is the whole truth at its time; a streamed event may be ahead of its fills.
    book.ahead = snapshot ? 0 : book.ahead + (next - prev);
    const opening = next !== 0 && (prev === 0 || prev > 0 !== next > 0);
    let price: number | null = null;
    let at = event.brokerTime ?? event.receivedAt;
    if (opening) {
      price = position.averagePrice;
      at = position.openedAt;
    } else if (Math.abs(next) > Math.abs(prev)) {
      // Price of the added contracts, implied by the broker's old and new averages.
      price =
        (position.averagePrice * Math.abs(next) - book.averagePrice * Math.abs(prev)) /
        (Math.abs(next) - Math.abs(prev));
    }
    const change = book.setEffective(next, at, price);
    if (next !== 0) book.setBrokerAverage(position.averagePrice);
    book.fallbackPrice ??= position.averagePrice;
    if (book.ahead === 0) this.syncRoundTrip(book);
    book.remark();
    if (change?.opened || change?.flipped) this.writeEpoch(account, book);
    account.raisePeaks();
    return { accountIds: account.idList, positionChanges: change ? [change] : NO_CHANGES, duplicate: false };
  }

  /**
   * When fills and position events agree, the round trip follows the position: one the fills never
   * showed (a snapshot at start) is started from the broker's open time, one whose closing fills
   * never came is dropped unrecorded.
   */
  private syncRoundTrip(book: PositionBook): void {
    const rt = book.roundTrip;
    if (book.signed === 0) {
      book.roundTrip = null;
      return;
    }
    if (!rt || rt.side !== book.side) {
      book.roundTrip = { side: book.side, openedAt: book.openedAt, pnl: 0, fees: 0, maxSize: book.size };
    } else {
      rt.maxSize = Math.max(rt.maxSize, book.size);
    }
  }

  /**
   * ProjectX sends an order's fills before the order's own update, so the view's working order
   * counts the fills seen: a filled order stops counting as working at its last fill, instead of
   * looking like an unfilled entry (its size counted twice, in the position and in the order) until
   * the update arrives.
   */
  private noteOrderFill(account: AccountState, fill: Fill): void {
    const filled = (account.filledByOrder.get(fill.orderId) ?? 0) + fill.size;
    account.filledByOrder.set(fill.orderId, filled);
    const order = account.workingOrders.get(fill.orderId);
    if (!order || filled <= order.fillVolume) return;
    const fillVolume = Math.min(order.size, filled);
    const updated: Order =
      fillVolume >= order.size
        ? { ...order, fillVolume, status: OrderStatus.Filled }
        : { ...order, fillVolume };
    account.orders.set(order.id, updated);
    if (updated.status === OrderStatus.Filled) account.workingOrders.delete(order.id);
    else account.workingOrders.set(order.id, updated);
  }

  private applyOrder(event: OrderEvent): StateUpdate {
    const order = event.order;
    const account = this.ensure(event.accountId);
    const previous = account.orders.get(order.id);
    const working = WORKING_ORDER_STATUSES.has(order.status);
    if (previous) {
      if (sameOrder(previous, order)) return DUPLICATE_UPDATE;
      // A final status is final: a working snapshot of a filled or cancelled order is a replay.
      if (working && !WORKING_ORDER_STATUSES.has(previous.status)) return DUPLICATE_UPDATE;
      if (previous.updatedAt !== null && order.updatedAt !== null && order.updatedAt < previous.updatedAt) {
        return DUPLICATE_UPDATE;
      }
    }
    account.orders.set(order.id, order);
    if (working) account.workingOrders.set(order.id, order);
    else account.workingOrders.delete(order.id);
    return { accountIds: account.idList, positionChanges: NO_CHANGES, duplicate: false };
  }

  private applyAccount(event: AccountEvent): StateUpdate {
    const account = this.ensure(event.accountId);
    if (account.account && sameAccount(account.account, event.account)) return DUPLICATE_UPDATE;
    account.account = event.account;
    return { accountIds: account.idList, positionChanges: NO_CHANGES, duplicate: false };
  }

  private applyContract(event: ContractEvent): StateUpdate {
    const existing = this.contracts.get(event.contract.id)?.contract;
    if (existing && sameContract(existing, event.contract)) return DUPLICATE_UPDATE;
    const entry = this.updateContract(event.contract);
    return { accountIds: entry.holders, positionChanges: NO_CHANGES, duplicate: false };
  }

  private updateContract(contract: Contract): ContractEntry {
    const entry = this.entry(contract.id);
    const ticksChanged = entry.setContract(contract);
    if (ticksChanged) {
      // Positions opened before the record was known get their exact averages and P&L now.
      for (const account of this.accountStates.values()) {
        const book = account.books.get(contract.id);
        if (book) {
          book.rebase();
          account.raisePeaks();
        }
      }
    }
    return entry;
  }

  private applyTimer(event: TimerEvent): StateUpdate {
    const handle = this.ruleTimerSets.get(event.accountId)?.get(event.instanceId);
    if (!handle || !handle.fire(event.key, event.dueAt)) return DUPLICATE_UPDATE;
    return { accountIds: this.ensure(event.accountId).idList, positionChanges: NO_CHANGES, duplicate: false };
  }

  /**
   * A trading-day reset: balance and reset marks recorded, realized P&L, fees, peaks and round
   * trips back to zero, open positions carried with their current mark as basis, and on a week
   * reset the week's entries cleared.
   */
  private applyReset(event: ResetEvent): StateUpdate {
    const nextDay = this.calendar.tradingDayAt(event.at);
    // On a first start (nothing persisted), the reset that began the current trading day anchors
    // the catch-up of later restarts: it is recorded, but resets nothing.
    if (
      this.lastReset === null &&
      nextDay.start === this.ctx.tradingDay.start &&
      event.at === nextDay.start
    ) {
      this.lastReset = event.at;
      this.persist('meta', META_LAST_RESET, { at: event.at, day: nextDay.id });
      return EMPTY_UPDATE;
    }
    // Already applied, or not a new trading day at all: nothing may be reset twice.
    if (nextDay.start <= this.ctx.tradingDay.start) return DUPLICATE_UPDATE;
    const previousDayStart = this.ctx.tradingDay.start;
    this.ctx.tradingDay = nextDay;
    if (event.weekStart) this.ctx.weekStart = event.at;
    this.lastReset = event.at;
    const day = this.ctx.tradingDay;
    const previousMarkKeys = this.resetMarkKeys;
    this.resetMarkKeys = new Set();
    for (const account of this.accountStates.values()) {
      account.balanceAtReset = account.account?.balance ?? null;
      const balance: BalanceMarkValue = { day: day.id, at: event.at, balance: account.balanceAtReset };
      this.persist('reset-mark', composeKey(account.accountId), balance);
      account.startDay(event.weekStart);
      this.dirtyPeaks.add(account.accountId);
      // Fills of the day before the one that just ended are no longer needed to recognise replays.
      for (const [id, fill] of account.fills) {
        if (fill.time < previousDayStart) {
          account.fills.delete(id);
        } else {
          // What it added belongs to the day that ended: voiding it later must not touch today's totals.
          fill.realized = 0;
          fill.fees = 0;
        }
      }
      for (const [id, order] of account.orders) {
        if (!WORKING_ORDER_STATUSES.has(order.status)) account.orders.delete(id);
      }
      for (const id of account.filledByOrder.keys())
        if (!account.orders.has(id)) account.filledByOrder.delete(id);
      for (const book of account.positions.values()) {
        book.makeCarried(book.mark);
        this.writeResetMark(account, book);
      }
      account.raisePeaks();
    }
    for (const key of previousMarkKeys)
      if (!this.resetMarkKeys.has(key)) this.persist('reset-mark', key, null);
    this.persist('meta', META_LAST_RESET, { at: event.at, day: day.id });
    const accountIds = Array.from(this.accountStates.keys());
    return { accountIds, positionChanges: NO_CHANGES, duplicate: false };
  }

  // ---------------------------------------------------------------------------------------------
  // Restore

  private restoreRecord(record: StateRecord): void {
    const value = record.value;
    switch (record.ns) {
      case 'lockout': {
        if (!isRecord(value) || typeof value['id'] !== 'string' || !isNum(value['accountId'])) {
          throw new Error('not a lockout');
        }
        let lockout = value as unknown as Lockout;
        // Records written before holds existed have none. A malformed hold is left out rather than
        // the whole record, so the scope stays locked by what can be read.
        const holds: unknown = value['holds'];
        if (holds !== undefined) {
          const valid = Array.isArray(holds) ? holds.filter(isLockoutHold) : [];
          if (!Array.isArray(holds) || valid.length !== holds.length) {
            this.logger.warn({ key: record.key }, 'ignoring malformed holds of a restored lockout');
          }
          const { holds: _dropped, ...rest } = lockout;
          lockout = valid.length > 0 ? { ...rest, holds: valid } : rest;
        }
        this.ensure(lockout.accountId).lockouts.set(lockout.id, lockout);
        this.lockoutOwners.set(lockout.id, lockout.accountId);
        return;
      }
      case 'rule-state': {
        const [accountId, instanceId, key] = splitKey(record.key);
        if (!isRecord(value) || instanceId === undefined || key === undefined)
          throw new Error('bad rule state');
        this.ruleStateHandle(Number(accountId), instanceId).restore(key, value['value']);
        return;
      }
      case 'rule-timer': {
        if (!isRecord(value) || !isNum(value['accountId']) || !isNum(value['at']))
          throw new Error('bad rule timer');
        const timer = value as unknown as RuleTimerRecord;
        this.ruleTimersHandle(timer.accountId, timer.instanceId).restore(timer);
        return;
      }
      case 'epoch': {
        const [accountId, contractId] = splitKey(record.key);
        if (!isRecord(value) || !isNum(value['epoch']) || contractId === undefined)
          throw new Error('bad epoch');
        const book = this.book(this.ensure(Number(accountId)), contractId);
        const anchor: EpochAnchor = {
          epoch: value['epoch'],
          openedAt: isNum(value['openedAt']) ? value['openedAt'] : 0,
          fillAt: isNum(value['fillAt']) ? value['fillAt'] : null,
        };
        book.epoch = Math.max(book.epoch, anchor.epoch);
        book.anchor = anchor;
        book.epochOpenedAt = anchor.openedAt;
        book.openFillAt = anchor.fillAt;
        return;
      }
      case 'peak': {
        if (!isRecord(value) || value['day'] !== this.ctx.tradingDay.id) return;
        const account = this.ensure(Number(splitKey(record.key)[0]));
        if (isNum(value['realized']))
          account.peakRealized = Math.max(account.peakRealized, value['realized']);
        if (isNum(value['combined']))
          account.peakCombined = Math.max(account.peakCombined, value['combined']);
        return;
      }
      case 'reset-mark': {
        const [accountId, contractId] = splitKey(record.key);
        if (!isRecord(value)) throw new Error('bad reset mark');
        const account = this.ensure(Number(accountId));
        if (contractId === undefined) {
          account.balanceAtReset = isNum(value['balance']) ? value['balance'] : null;
          return;
        }
        this.resetMarkKeys.add(record.key);
        if (value['day'] !== this.ctx.tradingDay.id) return;
        const mark = value as unknown as ResetMarkValue;
        if (!isNum(mark.price) || !isNum(mark.size) || mark.size === 0) throw new Error('bad reset mark');
        const book = this.book(account, contractId);
        if (book.signed === 0) {
          const averagePrice = isNum(mark.averagePrice) ? mark.averagePrice : mark.price;
          const openedAt = isNum(mark.openedAt) ? mark.openedAt : this.ctx.tradingDay.start;
          const ticks = mark.averageTicks;
          const averageTicks =
            Array.isArray(ticks) && isNum(ticks[0]) && isNum(ticks[1]) && ticks[1] > 0
              ? { num: ticks[0], den: ticks[1] }
              : undefined;
          const rt = isRecord(mark.roundTrip) ? { ...mark.roundTrip } : undefined;
          book.seedCarried(mark.size, averagePrice, openedAt, mark.price, averageTicks, rt);
        }
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private ensure(accountId: AccountId): AccountState {
    let account = this.accountStates.get(accountId);
    if (!account) {
      account = new AccountState(accountId, this.ctx);
      this.accountStates.set(accountId, account);
    }
    return account;
  }

  private entry(contractId: ContractId): ContractEntry {
    let entry = this.contracts.get(contractId);
    if (!entry) {
      entry = new ContractEntry(contractId);
      this.contracts.set(contractId, entry);
    }
    return entry;
  }

  private book(account: AccountState, contractId: ContractId): PositionBook {
    let book = account.books.get(contractId);
    if (!book) {
      const entry = this.entry(contractId);
      if (!entry.contract) {
        this.logger.debug(
          { accountId: account.accountId, contractId },
          'position in a contract whose record is unknown: P&L stays stale until it arrives',
        );
      }
      book = new PositionBook(account, entry);
      account.books.set(contractId, book);
    }
    return book;
  }

  private ruleStateHandle(accountId: AccountId, instanceId: string): RuleStateHandle {
    let perAccount = this.ruleStates.get(accountId);
    if (!perAccount) {
      perAccount = new Map();
      this.ruleStates.set(accountId, perAccount);
    }
    let handle = perAccount.get(instanceId);
    if (!handle) {
      handle = new RuleStateHandle(accountId, instanceId, this.ruleSink);
      perAccount.set(instanceId, handle);
    }
    return handle;
  }

  private ruleTimersHandle(accountId: AccountId, instanceId: string): RuleTimersHandle {
    let perAccount = this.ruleTimerSets.get(accountId);
    if (!perAccount) {
      perAccount = new Map();
      this.ruleTimerSets.set(accountId, perAccount);
    }
    let handle = perAccount.get(instanceId);
    if (!handle) {
      handle = new RuleTimersHandle(accountId, instanceId, this.ruleSink);
      perAccount.set(instanceId, handle);
    }
    return handle;
  }

  private writeEpoch(account: AccountState, book: PositionBook): void {
    this.persist('epoch', composeKey(account.accountId, book.contractId), {
      epoch: book.epoch,
      openedAt: book.epochOpenedAt,
      fillAt: book.openFillAt,
    });
  }

  private writeResetMark(account: AccountState, book: PositionBook): void {
    const key = composeKey(account.accountId, book.contractId);
    const average = book.averageTicks;
    const value: ResetMarkValue = {
      day: this.ctx.tradingDay.id,
      at: this.ctx.tradingDay.start,
      price: book.resetMarkPrice ?? book.mark,
      size: book.signed,
      averagePrice: book.averagePrice,
      ...(this.contracts.get(book.contractId)?.known
        ? { averageTicks: [average.num, average.den] as const }
        : {}),
      openedAt: book.openedAt,
      ...(book.roundTrip ? { roundTrip: { ...book.roundTrip } } : {}),
    };
    this.resetMarkKeys.add(key);
    this.persist('reset-mark', key, value);
  }

  private persist(ns: StateNamespace, key: string, value: unknown): void {
    this.dirty.set(`${ns}\u0000${key}`, { ns, key, value });
  }
}
