import {
  BROKER_GATEWAY,
  CLOCK,
  LOGGER,
  NOTIFIER,
  type Clock,
  type Logger,
  type Notifier,
} from '@riskd/core-engine';
import type { DependencyContainer } from 'tsyringe';
import { TOPSTEPX_CONFIG, TOPSTEPX_GATEWAY } from '../tokens.js';
import { TopstepXGateway } from './topstepx-gateway.js';

/**
 * The library's module for the composition root: `register(container)` after the host registered
 * `TOPSTEPX_CONFIG`, `CLOCK` and `LOGGER`. The gateway is one instance per container, available as
 * core-engine's `BROKER_GATEWAY` and as `TOPSTEPX_GATEWAY`. When a `NOTIFIER` is registered, the
 * adapter's warning and critical alerts (stale feed, clock skew, account rejected, failed
 * reconciliation) go to it; malformed payloads (info) stay in the log.
 */
export const brokerTopstepXModule = {
  register(container: DependencyContainer): void {
    let instance: TopstepXGateway | null = null;
    const build = (c: DependencyContainer): TopstepXGateway => {
      if (instance) return instance;
      const gateway = new TopstepXGateway({
        ...c.resolve(TOPSTEPX_CONFIG),
        clock: c.resolve<Clock>(CLOCK),
        logger: c.resolve<Logger>(LOGGER),
      });
      if (c.isRegistered(NOTIFIER, true)) {
        const notifier = c.resolve<Notifier>(NOTIFIER);
        let seq = 0;
        gateway.onAlert((alert) => {
          // Malformed payloads are logged with their frame; they are not worth a message each.
          if (alert.severity === 'info') return;
          notifier.notify({
            id: `broker-topstepx:${alert.kind}:${alert.at}:${seq++}`,
            at: alert.at,
            severity: alert.severity,
            kind: alert.kind === 'stale-feed' ? 'stale-market-data' : `broker-${alert.kind}`,
            ...(alert.accountId === undefined ? {} : { accountId: alert.accountId }),
            code: alert.kind,
            title: `Broker: ${alert.kind}`,
            message: alert.message,
          });
        });
      }
      instance = gateway;
      return gateway;
    };
    container.register(TOPSTEPX_GATEWAY, { useFactory: build });
    container.register(BROKER_GATEWAY, { useFactory: build });
  },

  /** Connects the registered gateway. */
  async start(container: DependencyContainer): Promise<void> {
    await container.resolve(TOPSTEPX_GATEWAY).connect();
  },

  /** Disconnects the registered gateway. */
  async stop(container: DependencyContainer): Promise<void> {
    await container.resolve(TOPSTEPX_GATEWAY).disconnect();
  },
};
