/**
 * @riskd/projectx-sim: a stand-alone simulator of the TopstepX ProjectX Gateway (REST + SignalR
 * hubs + matching engine + control API + fault injection + recorder) on 127.0.0.1.
 */
export { startSimulator, type RunningSimulator, type SimulatorOptions } from './lib/simulator.js';
export {
  SimulatorControl,
  type ClockChange,
  type ContractPatch,
  type ControlAccount,
  type ControlContract,
  type SimulatorState,
  type VariantsView,
} from './lib/control.js';
export {
  defaultFixture,
  frontQuarter,
  loadFixtureFile,
  parseFixture,
  quarterlyContract,
  type BracketMode,
  type Fixture,
  type FixtureAccount,
  type FixtureContract,
  type FixtureIds,
  type FixturePrice,
  type FixtureUser,
} from './lib/fixture.js';
export { DEFAULT_VARIANTS, type Variants } from './lib/variants.js';
export { DEFAULT_RATE_LIMITS, type RateLimitRule, type RateLimitSettings } from './lib/rate-limiter.js';
export {
  Recorder,
  type RecordEntry,
  type RecordFilter,
  type RecordKind,
  type RecorderOptions,
} from './lib/recorder.js';
export type { RestFault, RestFaultSpec, FaultsSnapshot, EventFault } from './lib/faults.js';
export type { ConnectionInfo, DropSpec, HubName, HubOptions } from './lib/hub-server.js';
export type { PathSpec, ReplayRecord, ReplaySpec, WalkSettings } from './lib/price-feed.js';
export type { PriceUpdate } from './lib/market-data.js';
export type { AccountPatch } from './lib/trading-engine.js';
export type { ClockMode, ClockOptions, ClockSnapshot } from './lib/sim-clock.js';
export { DEFAULT_TOKEN_LIFETIME_MS } from './lib/auth.js';
export { ControlError, FixtureError, SimulatorError, type SimulatorErrorCode } from './lib/errors.js';
export * from './lib/error-codes.js';
export * from './lib/wire.js';
