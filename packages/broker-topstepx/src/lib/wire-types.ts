/**
 * ProjectX Gateway wire models (PROJECTX-GATEWAY.md Appendix A). Names and casing are the wire
 * names. These types describe what the gateway documents; every payload is still validated by
 * `normalize.ts` before use, because the gateway is outside our control.
 */

export interface WireEnvelope {
  readonly success: boolean;
  readonly errorCode: number;
  readonly errorMessage?: string | null;
}

export interface WireLoginResponse extends WireEnvelope {
  readonly token?: string | null;
}

export interface WireValidateResponse extends WireEnvelope {
  readonly newToken?: string | null;
}

export interface WireAccount {
  readonly id: number;
  readonly name: string;
  readonly balance: number;
  readonly canTrade: boolean;
  readonly isVisible: boolean;
  readonly simulated: boolean;
}

export interface WireContract {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly tickSize: number;
  readonly tickValue: number;
  readonly activeContract: boolean;
  readonly symbolId: string;
}

export interface WirePosition {
  readonly id: number;
  readonly accountId: number;
  readonly contractId: string;
  readonly creationTimestamp: string;
  /** PositionType: 0 Undefined, 1 Long, 2 Short. */
  readonly type: number;
  readonly size: number;
  readonly averagePrice: number;
}

export interface WireOrder {
  readonly id: number;
  readonly accountId: number;
  readonly contractId: string;
  readonly symbolId?: string;
  readonly creationTimestamp: string;
  readonly updateTimestamp?: string | null;
  readonly status: number;
  readonly type: number;
  /** OrderSide: 0 Bid (buy), 1 Ask (sell). */
  readonly side: number;
  readonly size: number;
  readonly limitPrice?: number | null;
  readonly stopPrice?: number | null;
  readonly fillVolume: number;
  readonly filledPrice?: number | null;
  readonly customTag?: string | null;
}

/** One fill ("half-turn trade"). `profitAndLoss` is null on opening fills. */
export interface WireTrade {
  readonly id: number;
  readonly accountId: number;
  readonly contractId: string;
  readonly creationTimestamp: string;
  readonly price: number;
  readonly profitAndLoss?: number | null;
  readonly fees: number;
  readonly side: number;
  readonly size: number;
  readonly voided: boolean;
  readonly orderId: number;
}

export interface WireQuote {
  readonly symbol?: string;
  readonly symbolName?: string;
  readonly lastPrice?: number | null;
  readonly bestBid?: number | null;
  readonly bestAsk?: number | null;
  readonly change?: number;
  readonly changePercent?: number;
  readonly open?: number;
  readonly high?: number;
  readonly low?: number;
  readonly volume?: number;
  readonly lastUpdated?: string;
  readonly timestamp?: string;
}

export interface WireBar {
  readonly t: string;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
}

/** REST endpoint paths (after `/api/`). */
export const Endpoint = {
  loginKey: 'Auth/loginKey',
  validate: 'Auth/validate',
  accountSearch: 'Account/search',
  positionSearchOpen: 'Position/searchOpen',
  positionClose: 'Position/closeContract',
  positionPartialClose: 'Position/partialCloseContract',
  orderPlace: 'Order/place',
  orderCancel: 'Order/cancel',
  orderSearch: 'Order/search',
  orderSearchOpen: 'Order/searchOpen',
  tradeSearch: 'Trade/search',
  contractSearchById: 'Contract/searchById',
  contractSearch: 'Contract/search',
  retrieveBars: 'History/retrieveBars',
} as const;

export type EndpointPath = (typeof Endpoint)[keyof typeof Endpoint];

/** User-hub server methods and events (PROJECTX-GATEWAY.md section 7.2). */
export const UserHubMethod = {
  subscribeAccounts: 'SubscribeAccounts',
  subscribeOrders: 'SubscribeOrders',
  subscribePositions: 'SubscribePositions',
  subscribeTrades: 'SubscribeTrades',
  unsubscribeOrders: 'UnsubscribeOrders',
  unsubscribePositions: 'UnsubscribePositions',
  unsubscribeTrades: 'UnsubscribeTrades',
} as const;

export const MarketHubMethod = {
  subscribeQuotes: 'SubscribeContractQuotes',
  unsubscribeQuotes: 'UnsubscribeContractQuotes',
} as const;
