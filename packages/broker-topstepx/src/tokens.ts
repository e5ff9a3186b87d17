import type { InjectionToken } from 'tsyringe';
import type { TopstepXOptions } from './lib/options.js';
import type { TopstepXGateway } from './lib/topstepx-gateway.js';

/**
 * DI tokens this library provides. The `BrokerGateway` port token belongs to core-engine
 * (`BROKER_GATEWAY`); the module registers the gateway under both.
 */

/** Broker settings without the clock and logger (those come from core-engine's tokens). */
export type TopstepXConfig = Omit<TopstepXOptions, 'clock' | 'logger'>;

/** The adapter's configuration, registered by the composition root. */
export const TOPSTEPX_CONFIG: InjectionToken<TopstepXConfig> = Symbol.for('riskd.broker-topstepx.Config');

/** The concrete gateway (for its extras: flatten, alerts, channel states). */
export const TOPSTEPX_GATEWAY: InjectionToken<TopstepXGateway> = Symbol.for('riskd.broker-topstepx.Gateway');
