/**
 * Riskd's normalized domain model: what the broker adapter produces and the engine consumes.
 * Wire formats (ProjectX payloads) never reach past the adapter; numeric enums are kept where
 * they are the broker's own vocabulary (order type and status) so nothing is lost in mapping.
 */

/** ProjectX account id (int32). */
export type AccountId = number;
/** ProjectX contract id, e.g. `CON.F.US.MNQ.Z25`. Opaque: never parsed for economics. */
export type ContractId = string;
/** ProjectX order id (int64; observed values are far below 2^53). */
export type OrderId = number;
/** Epoch milliseconds (UTC). */
export type Instant = number;
/** Whole micro-dollars (1e-6 USD). All money inside the engine is an integer of this unit. */
export type Micros = number;

export type Side = 'buy' | 'sell';
export type PositionSide = 'long' | 'short';

/** ProjectX OrderType, numerically identical to the wire enum. */
export enum OrderType {
  Unknown = 0,
  Limit = 1,
  Market = 2,
  StopLimit = 3,
  Stop = 4,
  TrailingStop = 5,
  JoinBid = 6,
  JoinAsk = 7,
}

/** ProjectX OrderStatus, numerically identical to the wire enum. */
export enum OrderStatus {
  None = 0,
  Open = 1,
  Filled = 2,
  Cancelled = 3,
  Expired = 4,
  Rejected = 5,
  Pending = 6,
  PendingCancellation = 7,
  Suspended = 8,
}

/** Statuses in which an order can still fill (and so counts as working). */
export const WORKING_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set([
  OrderStatus.Open,
  OrderStatus.Pending,
  OrderStatus.Suspended,
  OrderStatus.PendingCancellation,
]);

/** Order types that protect a position when on the opposite side (RULES.md stop-loss-required). */
export const STOP_ORDER_TYPES: ReadonlySet<OrderType> = new Set([
  OrderType.StopLimit,
  OrderType.Stop,
  OrderType.TrailingStop,
]);

export interface Account {
  readonly id: AccountId;
  readonly name: string;
  /** Balance as the broker reports it, in micro-dollars. */
  readonly balance: Micros;
  readonly canTrade: boolean;
  readonly isVisible: boolean;
  readonly simulated: boolean;
}

export interface Contract {
  readonly id: ContractId;
  /** Exchange-style name with a single-digit year, e.g. `MNQZ5`. */
  readonly name: string;
  readonly description: string;
  /** Price increment, as the broker states it (e.g. 0.25). */
  readonly tickSize: number;
  /** Dollar value of one tick for one contract, in micro-dollars. */
  readonly tickValue: Micros;
  /** Product root as traders write it, derived from `name` (`MNQZ5` -> `MNQ`). */
  readonly symbol: string;
  readonly symbolId: string;
  readonly active: boolean;
}

/** An open position as the broker reports it. `size` is 0 when the position closed. */
export interface BrokerPosition {
  readonly id: number;
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  readonly side: PositionSide;
  /** Number of contracts, never negative; 0 means flat. */
  readonly size: number;
  readonly averagePrice: number;
  readonly openedAt: Instant;
}

/** An order snapshot; every broker order event carries the full order. */
export interface Order {
  readonly id: OrderId;
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  readonly type: OrderType;
  readonly side: Side;
  readonly size: number;
  readonly status: OrderStatus;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
  readonly fillVolume: number;
  readonly filledPrice: number | null;
  readonly customTag: string | null;
  readonly createdAt: Instant;
  readonly updatedAt: Instant | null;
}

/** One fill (a ProjectX half-turn trade). */
export interface Fill {
  readonly id: number;
  readonly accountId: AccountId;
  readonly contractId: ContractId;
  readonly orderId: OrderId;
  readonly side: Side;
  readonly size: number;
  readonly price: number;
  /** Realized P&L of a closing fill in micro-dollars, gross of fees; null on opening fills. */
  readonly profitAndLoss: Micros | null;
  readonly fees: Micros;
  readonly voided: boolean;
  readonly time: Instant;
}

/** Best bid/ask and last price of a contract. A missing side is null. */
export interface Quote {
  readonly contractId: ContractId;
  readonly bid: number | null;
  readonly ask: number | null;
  readonly last: number | null;
  readonly time: Instant;
}
