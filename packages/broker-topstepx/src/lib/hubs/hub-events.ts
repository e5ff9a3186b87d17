import type {
  Account,
  AccountId,
  BrokerPosition,
  ContractId,
  Fill,
  Order,
  PositionSide,
  Quote,
} from '@riskd/core-engine';

/** User-hub events (PROJECTX-GATEWAY.md section 7.2), by wire name. */
export const UserHubEvent = {
  account: 'GatewayUserAccount',
  position: 'GatewayUserPosition',
  order: 'GatewayUserOrder',
  trade: 'GatewayUserTrade',
  logout: 'GatewayLogout',
} as const;

/** Market-hub events (section 7.3), by wire name. Trades and depth are not subscribed. */
export const MarketHubEvent = {
  quote: 'GatewayQuote',
  trade: 'GatewayTrade',
  depth: 'GatewayDepth',
} as const;

/** What the user hub delivers after unwrapping and normalization. */
export interface UserHubEventMap {
  account: Account;
  position: BrokerPosition;
  order: Order;
  fill: Fill;
}

/** What the market hub delivers after unwrapping and normalization. */
export interface MarketHubEventMap {
  quote: Quote;
}

/** A payload that failed validation: it was logged with its raw frame and skipped. */
export interface MalformedPayload {
  readonly channel: 'user-hub' | 'market-hub';
  readonly event: string;
  readonly reason: string;
  readonly rawFrame: string;
}

/** Listeners of the user hub; each is called synchronously from the frame's dispatch. */
export type UserHubListeners = {
  readonly [K in keyof UserHubEventMap]: (payload: UserHubEventMap[K]) => void;
};

export type MarketHubListeners = {
  readonly [K in keyof MarketHubEventMap]: (payload: MarketHubEventMap[K]) => void;
};

/** Looks up the side of a delivered open position (a close may come with PositionType 0). */
export type PositionSideLookup = (accountId: AccountId, contractId: ContractId) => PositionSide | undefined;
