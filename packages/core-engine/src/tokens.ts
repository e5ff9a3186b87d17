import type { InjectionToken } from 'tsyringe';
import type { Clock } from './lib/clock/clock.js';
import type { AuditLog } from './lib/ports/audit-log.js';
import type { BrokerGateway } from './lib/ports/broker-gateway.js';
import type { Logger } from './lib/ports/logger.js';
import type { NotificationStore, Notifier } from './lib/ports/notifier.js';
import type { StateStore } from './lib/ports/state-store.js';

/** DI tokens of the ports. Other packages import these; they never define their own for ports. */
export const CLOCK: InjectionToken<Clock> = Symbol.for('riskd.Clock');
export const LOGGER: InjectionToken<Logger> = Symbol.for('riskd.Logger');
export const BROKER_GATEWAY: InjectionToken<BrokerGateway> = Symbol.for('riskd.BrokerGateway');
export const STATE_STORE: InjectionToken<StateStore> = Symbol.for('riskd.StateStore');
export const AUDIT_LOG: InjectionToken<AuditLog> = Symbol.for('riskd.AuditLog');
export const NOTIFICATION_STORE: InjectionToken<NotificationStore> = Symbol.for('riskd.NotificationStore');
export const NOTIFIER: InjectionToken<Notifier> = Symbol.for('riskd.Notifier');
