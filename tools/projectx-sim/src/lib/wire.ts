/**
 * Wire models of the ProjectX Gateway as the simulator serves them (PROJECTX-GATEWAY.md,
 * Appendix A). Field names and casing are the wire names; numeric enums are plain numbers.
 */

/** OrderType: 0 Unknown, 1 Limit, 2 Market, 3 StopLimit, 4 Stop, 5 TrailingStop, 6 JoinBid, 7 JoinAsk. */
export const OrderType = {
  Unknown: 0,
  Limit: 1,
  Market: 2,
  StopLimit: 3,
  Stop: 4,
  TrailingStop: 5,
  JoinBid: 6,
  JoinAsk: 7,
} as const;
export type OrderTypeValue = (typeof OrderType)[keyof typeof OrderType];

/** OrderSide: 0 Bid (buy), 1 Ask (sell). */
export const OrderSide = { Bid: 0, Ask: 1 } as const;
export type OrderSideValue = (typeof OrderSide)[keyof typeof OrderSide];

/** OrderStatus: 0 None … 8 Suspended (bracket children waiting for their parent). */
export const OrderStatus = {
  None: 0,
  Open: 1,
  Filled: 2,
  Cancelled: 3,
  Expired: 4,
  Rejected: 5,
  Pending: 6,
  PendingCancellation: 7,
  Suspended: 8,
} as const;
export type OrderStatusValue = (typeof OrderStatus)[keyof typeof OrderStatus];

/** PositionType: 0 Undefined, 1 Long, 2 Short. */
export const PositionType = { Undefined: 0, Long: 1, Short: 2 } as const;
export type PositionTypeValue = (typeof PositionType)[keyof typeof PositionType];

/** AggregateBarUnit of History/retrieveBars (7 Tick only with the `tickBars` variant). */
export const BarUnit = { Second: 1, Minute: 2, Hour: 3, Day: 4, Week: 5, Month: 6, Tick: 7 } as const;

/** DomType of GatewayDepth entries. */
export const DomType = {
  Unknown: 0,
  Ask: 1,
  Bid: 2,
  BestAsk: 3,
  BestBid: 4,
  Trade: 5,
  Reset: 6,
  Low: 7,
  High: 8,
  NewBestBid: 9,
  NewBestAsk: 10,
  Fill: 11,
} as const;

/** TradeLogType of GatewayTrade (aggressor side): 0 Buy, 1 Sell. */
export const TradeLogType = { Buy: 0, Sell: 1 } as const;

/** The envelope of every REST answer; `errorCode` numbering is endpoint-specific. */
export interface Envelope {
  success: boolean;
  errorCode: number;
  errorMessage: string | null;
}

/** TradingAccountModel / GatewayUserAccount. */
export interface WireAccount {
  id: number;
  name: string;
  balance: number;
  canTrade: boolean;
  isVisible: boolean;
  simulated: boolean;
}

/** ContractModel. */
export interface WireContract {
  id: string;
  name: string;
  description: string;
  tickSize: number;
  tickValue: number;
  activeContract: boolean;
  symbolId: string;
}

/** OrderModel / GatewayUserOrder. */
export interface WireOrder {
  id: number;
  accountId: number;
  contractId: string;
  symbolId: string;
  creationTimestamp: string;
  updateTimestamp: string | null;
  status: number;
  type: number;
  side: number;
  size: number;
  limitPrice: number | null;
  stopPrice: number | null;
  fillVolume: number;
  filledPrice: number | null;
  customTag: string | null;
}

/** PositionModel / GatewayUserPosition. */
export interface WirePosition {
  id: number;
  accountId: number;
  contractId: string;
  creationTimestamp: string;
  type: number;
  size: number;
  averagePrice: number;
}

/** HalfTradeModel / GatewayUserTrade: one fill; `profitAndLoss` null on opening fills. */
export interface WireTrade {
  id: number;
  accountId: number;
  contractId: string;
  creationTimestamp: string;
  price: number;
  profitAndLoss: number | null;
  fees: number;
  side: number;
  size: number;
  voided: boolean;
  orderId: number;
}

/** AggregateBarModel. */
export interface WireBar {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

/** GatewayQuote data (second argument of the market hub event). */
export interface WireQuote {
  symbol: string;
  symbolName: string;
  lastPrice: number;
  bestBid: number;
  bestAsk: number;
  change: number;
  changePercent: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  lastUpdated: string;
  timestamp: string;
}

/** GatewayTrade data. */
export interface WireMarketTrade {
  symbolId: string;
  price: number;
  timestamp: string;
  type: number;
  volume: number;
}

/** GatewayDepth data. */
export interface WireDepth {
  timestamp: string;
  type: number;
  price: number;
  volume: number;
  currentVolume: number;
}

/** Names of the user hub's server-to-client events. */
export type UserEventName =
  'GatewayUserAccount' | 'GatewayUserOrder' | 'GatewayUserPosition' | 'GatewayUserTrade';
/** Names of the market hub's server-to-client events. */
export type MarketEventName = 'GatewayQuote' | 'GatewayTrade' | 'GatewayDepth';
