import type { MarketCalendarView, ResolvedRuleSet, RiskdEngine, RuleRegistry } from '@riskd/core-engine';
import type { InjectionToken } from 'tsyringe';
import type { LoadedConfig } from '../config/config-loader.js';
import type { RootLogger } from '../logging/root-logger.js';
import type { EventHub } from './event-hub.js';

/** DI tokens of the daemon's own services (the ports use core-engine's tokens). */
export const LOADED_CONFIG: InjectionToken<LoadedConfig> = Symbol.for('riskd.host.LoadedConfig');
export const ROOT_LOGGER: InjectionToken<RootLogger> = Symbol.for('riskd.host.RootLogger');
export const MARKET_CALENDAR: InjectionToken<MarketCalendarView> = Symbol.for('riskd.host.MarketCalendar');
export const ENGINE_RULE_REGISTRY: InjectionToken<RuleRegistry> = Symbol.for('riskd.host.EngineRuleRegistry');
export const ENGINE_RULE_SET: InjectionToken<ResolvedRuleSet> = Symbol.for('riskd.host.EngineRuleSet');
export const RISKD_ENGINE: InjectionToken<RiskdEngine> = Symbol.for('riskd.host.RiskdEngine');
export const EVENT_HUB: InjectionToken<EventHub> = Symbol.for('riskd.host.EventHub');
