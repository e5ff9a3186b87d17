export * from './tokens.js';
export * from './lib/errors.js';
export * from './lib/error-codes.js';
export * from './lib/wire-types.js';
export * from './lib/normalize.js';
export * from './lib/rate-limiter.js';
export * from './lib/auth.js';
export * from './lib/projectx-rest-client.js';
export * from './lib/account-ledger.js';
export * from './lib/trading-week.js';
export * from './lib/options.js';
export * from './lib/hubs/hub-events.js';
export {
  HubChannel,
  TolerantJsonHubProtocol,
  hubUrlWithToken,
  type ConnectedKind,
} from './lib/hubs/hub-channel.js';
export { UserHub, type UserHubOptions } from './lib/hubs/user-hub.js';
export { MarketHub, type MarketHubOptions } from './lib/hubs/market-hub.js';
export * from './lib/topstepx-gateway.js';
export * from './lib/module.js';
