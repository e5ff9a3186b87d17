import type { AccountId, Clock, ConnectionState, Logger } from '@riskd/core-engine';
import { TopstepXMalformedPayloadError, describeError } from '../errors.js';
import {
  normalizeAccount,
  normalizeFill,
  normalizeOrder,
  normalizePosition,
  unwrapUserPayloads,
} from '../normalize.js';
import { UserHubMethod } from '../wire-types.js';
import { HubChannel, frameForLog, type ConnectedKind, type FrameHandler } from './hub-channel.js';
import {
  UserHubEvent,
  type MalformedPayload,
  type PositionSideLookup,
  type UserHubListeners,
} from './hub-events.js';

export interface UserHubOptions {
  readonly url: string;
  readonly token: () => string | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly reconnectDelaysMs: readonly number[];
  readonly serverTimeoutMs: number;
  readonly keepAliveMs: number;
  readonly listeners: UserHubListeners;
  readonly positionSide: PositionSideLookup;
  readonly onState: (state: ConnectionState, detail: string | undefined) => void;
  /** After the subscriptions were replayed on a new connection. */
  readonly onSubscribed: (kind: ConnectedKind) => Promise<void>;
  readonly onMalformed: (payload: MalformedPayload) => void;
  /** See `HubChannelOptions.onRetry`. */
  readonly onRetry?: (failedAttempts: number) => void;
}

/**
 * The user hub: `SubscribeAccounts()` plus orders, positions and trades of every protected account,
 * replayed on every new connection; events unwrapped (bare, `{action, data}`, lists) and normalized.
 */
export class UserHub {
  private readonly accounts = new Set<AccountId>();
  private readonly channel: HubChannel;
  private readonly log: Logger;

  constructor(private readonly options: UserHubOptions) {
    this.log = options.logger.child({ component: 'user-hub' });
    const { listeners } = options;
    const handlers: Record<string, FrameHandler> = {
      [UserHubEvent.account]: (args, raw) =>
        this.dispatch(UserHubEvent.account, args, raw, (p) => listeners.account(normalizeAccount(p))),
      [UserHubEvent.position]: (args, raw) =>
        this.dispatch(UserHubEvent.position, args, raw, (p) =>
          listeners.position(normalizePosition(p, this.closedSide(p))),
        ),
      [UserHubEvent.order]: (args, raw) =>
        this.dispatch(UserHubEvent.order, args, raw, (p) => listeners.order(normalizeOrder(p))),
      [UserHubEvent.trade]: (args, raw) =>
        this.dispatch(UserHubEvent.trade, args, raw, (p) => listeners.fill(normalizeFill(p))),
      [UserHubEvent.logout]: () => this.log.warn({}, 'the gateway sent GatewayLogout'),
    };
    this.channel = new HubChannel({
      channel: 'user-hub',
      url: options.url,
      token: options.token,
      clock: options.clock,
      logger: options.logger,
      reconnectDelaysMs: options.reconnectDelaysMs,
      serverTimeoutMs: options.serverTimeoutMs,
      keepAliveMs: options.keepAliveMs,
      handlers,
      onState: options.onState,
      onConnected: async (kind) => {
        await this.subscribeAll();
        await options.onSubscribed(kind);
      },
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      onMalformedFrame: (raw, err) =>
        this.malformed('(frame)', `not valid SignalR JSON: ${describeError(err)}`, raw),
    });
  }

  state(): ConnectionState {
    return this.channel.state();
  }

  start(): Promise<boolean> {
    return this.channel.start();
  }

  restart(reason: string): Promise<boolean> {
    return this.channel.restart(reason);
  }

  stop(): Promise<void> {
    return this.channel.stop();
  }

  subscribedAccounts(): readonly AccountId[] {
    return [...this.accounts];
  }

  /** Adds an account to the desired subscriptions and subscribes it now when connected. */
  async addAccount(accountId: AccountId): Promise<void> {
    if (this.accounts.has(accountId)) return;
    this.accounts.add(accountId);
    if (this.channel.isConnected()) await this.subscribeAccount(accountId);
  }

  private async subscribeAll(): Promise<void> {
    const calls = [this.invoke(UserHubMethod.subscribeAccounts)];
    for (const accountId of this.accounts) calls.push(this.subscribeAccount(accountId));
    await Promise.all(calls);
  }

  private async subscribeAccount(accountId: AccountId): Promise<void> {
    await Promise.all([
      this.invoke(UserHubMethod.subscribeOrders, accountId),
      this.invoke(UserHubMethod.subscribePositions, accountId),
      this.invoke(UserHubMethod.subscribeTrades, accountId),
    ]);
  }

  private async invoke(method: string, ...args: unknown[]): Promise<void> {
    try {
      await this.channel.invoke(method, ...args);
    } catch (err) {
      this.log.warn({ method, args, err: describeError(err) }, 'user-hub subscription failed');
    }
  }

  private closedSide(payload: unknown): ReturnType<PositionSideLookup> {
    const raw = payload as { accountId?: unknown; contractId?: unknown } | null;
    if (raw && typeof raw.accountId === 'number' && typeof raw.contractId === 'string') {
      return this.options.positionSide(raw.accountId, raw.contractId);
    }
    return undefined;
  }

  private dispatch(
    event: string,
    args: unknown[],
    raw: () => string,
    deliver: (payload: unknown) => void,
  ): void {
    let payloads: unknown[];
    try {
      payloads = unwrapUserPayloads(args, event);
    } catch (err) {
      this.malformed(event, describeError(err), raw());
      return;
    }
    for (const payload of payloads) {
      try {
        deliver(payload);
      } catch (err) {
        if (err instanceof TopstepXMalformedPayloadError) this.malformed(event, err.message, raw());
        else this.log.error({ event, err: describeError(err) }, 'user-hub listener failed');
      }
    }
  }

  private malformed(event: string, reason: string, rawFrame: string): void {
    const frame = frameForLog(rawFrame);
    this.log.warn({ event, reason, raw: frame }, 'malformed payload skipped');
    this.options.onMalformed({ channel: 'user-hub', event, reason, rawFrame: frame });
  }
}
