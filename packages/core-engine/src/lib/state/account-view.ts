import type { Lockout } from '../domain/lockout.js';
import type {
  Account,
  AccountId,
  Contract,
  ContractId,
  Instant,
  Micros,
  Order,
  OrderId,
  PositionSide,
} from '../domain/types.js';
import type { TradingDay } from '../calendar/calendar-types.js';

/**
 * False while a contract's record is not known yet (the engine is fetching it from the broker): a
 * position's `contract` is then a stand-in whose `name` and `symbol` are the contract id and whose
 * tick size is 0 (its P&L cannot be computed and is flagged stale). Rules keyed by symbol should
 * wait for the record; a `contract` event follows when it arrives.
 */
export function isContractKnown(contract: Contract): boolean {
  return contract.tickSize > 0;
}

/** An open position with its P&L, as rules see it. */
export interface PositionView {
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  readonly contract: Contract;
  readonly symbol: string;
  readonly side: PositionSide;
  /** Contracts, > 0 (flat positions are not in the view). */
  readonly size: number;
  /** The broker's average price. */
  readonly averagePrice: number;
  /** Price the unrealized P&L is measured from: the average price, or the reset mark if carried over a reset. */
  readonly basisPrice: number;
  /** True when the position was open at the last trading-day reset. */
  readonly carried: boolean;
  readonly openedAt: Instant;
  /** Increments each time the position opens from flat (idempotency of enforcement). */
  readonly epoch: number;
  /** Time of the most recent fill that opened or increased the position (LIFO reductions). */
  readonly lastIncreaseAt: Instant;
  /** The conservative mark (bid for longs, ask for shorts, else last, else the last fill price). */
  readonly mark: number;
  /** True until the contract's first quote arrives (the mark is then the last fill price). */
  readonly markStale: boolean;
  readonly lastQuoteAt: Instant | null;
  /** Unrealized P&L in micro-dollars, negative for a loss. */
  readonly unrealized: Micros;
}

/** The trading day's P&L of an account, in micro-dollars. */
export interface PnlView {
  /** Closing fills' profitAndLoss since the reset minus fees (if `includeFees`), less the carried part. */
  readonly realized: Micros;
  readonly unrealized: Micros;
  readonly combined: Micros;
  readonly fees: Micros;
  /** True while any open position's contract has had no quote yet. */
  readonly stale: boolean;
  /** Highest realized P&L of the day so far (starts at 0 at the reset). */
  readonly peakRealized: Micros;
  /** Highest combined P&L of the day so far (starts at 0 at the reset). */
  readonly peakCombined: Micros;
}

/** A completed round trip: a contract's position going from flat to flat. */
export interface RoundTrip {
  readonly contractId: ContractId;
  readonly symbol: string;
  readonly side: PositionSide;
  readonly openedAt: Instant;
  readonly closedAt: Instant;
  /** Sum of its closing fills' P&L minus all its fees (fees only when `includeFees`). */
  readonly pnl: Micros;
  readonly fees: Micros;
  /** Largest size the position reached. */
  readonly maxSize: number;
}

/** An entry: an order whose fills opened or increased a position (partial fills are one entry). */
export interface EntryRecord {
  readonly orderId: OrderId;
  readonly contractId: ContractId;
  readonly symbol: string;
  /** Time of the entry's first fill. */
  readonly at: Instant;
  /** Contracts it added so far. */
  readonly size: number;
}

/**
 * Read-only live view of one account. Views are not copied per evaluation: they read the state
 * manager's current data, so a rule must not keep one across evaluations expecting it to stay fixed.
 */
export interface AccountView {
  readonly accountId: AccountId;
  /** The broker's account record, once seen. */
  readonly account: Account | undefined;
  readonly positions: ReadonlyMap<ContractId, PositionView>;
  /** Orders that can still fill (Open, Pending, Suspended, PendingCancellation). */
  readonly workingOrders: ReadonlyMap<OrderId, Order>;
  readonly pnl: PnlView;
  readonly tradingDay: TradingDay;
  /** Round trips completed in the current trading day, oldest first. */
  readonly roundTrips: readonly RoundTrip[];
  /** Entries of the current trading week, oldest first. */
  readonly entries: readonly EntryRecord[];
  /** Lockouts in force, by lockout id. */
  readonly lockouts: ReadonlyMap<string, Lockout>;
  /** Balance recorded at the last trading-day reset (end-of-day balance), if known. */
  readonly balanceAtReset: Micros | null;
  /** Equity: broker balance plus unrealized P&L. */
  readonly equity: Micros | null;
  contract(contractId: ContractId): Contract | undefined;
  /** True when an account lockout, or a lockout of `symbol`, is in force. */
  isLocked(symbol?: string): boolean;
}

/** All protected accounts, for rules that look across accounts (no-cross-account-hedge). */
export interface AccountsView {
  get(accountId: AccountId): AccountView | undefined;
  all(): Iterable<AccountView>;
}
