import type { Clock, ConnectionState, ContractId, Instant, Logger, Quote } from '@riskd/core-engine';
import { TopstepXMalformedPayloadError, describeError } from '../errors.js';
import { normalizeQuote, unwrapMarketPayload } from '../normalize.js';
import { MarketHubMethod } from '../wire-types.js';
import { HubChannel, frameForLog, type ConnectedKind, type FrameHandler } from './hub-channel.js';
import { MarketHubEvent, type MalformedPayload, type MarketHubListeners } from './hub-events.js';

export interface MarketHubOptions {
  readonly url: string;
  readonly token: () => string | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly reconnectDelaysMs: readonly number[];
  readonly serverTimeoutMs: number;
  readonly keepAliveMs: number;
  readonly listeners: MarketHubListeners;
  /** The contract of a symbol id (`F.US.MNQ`), for quotes that name only their symbol. */
  readonly contractForSymbol: (symbolId: string) => ContractId | undefined;
  readonly onState: (state: ConnectionState, detail: string | undefined) => void;
  readonly onSubscribed: (kind: ConnectedKind) => Promise<void>;
  readonly onMalformed: (payload: MalformedPayload) => void;
  /** See `HubChannelOptions.onRetry`. */
  readonly onRetry?: (failedAttempts: number) => void;
}

interface Subscription {
  /** When the subscription was (re)made: the stale-feed clock starts here. */
  since: Instant;
  lastQuoteAt: Instant | null;
}

/**
 * The market hub: quote subscriptions as desired state (replayed on every new connection), quotes
 * normalized with partial updates merged into the last quote, and the per-contract "last quote"
 * times the stale-feed watchdog reads.
 */
export class MarketHub {
  private readonly subscriptions = new Map<ContractId, Subscription>();
  private readonly lastQuotes = new Map<ContractId, Quote>();
  private readonly channel: HubChannel;
  private readonly log: Logger;

  constructor(private readonly options: MarketHubOptions) {
    this.log = options.logger.child({ component: 'market-hub' });
    const handlers: Record<string, FrameHandler> = {
      [MarketHubEvent.quote]: (args, raw) => this.onQuote(args, raw),
    };
    this.channel = new HubChannel({
      channel: 'market-hub',
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
        const now = options.clock.now();
        for (const sub of this.subscriptions.values()) sub.since = now;
        await Promise.all(
          [...this.subscriptions.keys()].map((id) => this.invoke(MarketHubMethod.subscribeQuotes, id)),
        );
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

  isConnected(): boolean {
    return this.channel.isConnected();
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

  subscribed(): readonly ContractId[] {
    return [...this.subscriptions.keys()];
  }

  isSubscribed(contractId: ContractId): boolean {
    return this.subscriptions.has(contractId);
  }

  lastQuote(contractId: ContractId): Quote | undefined {
    return this.lastQuotes.get(contractId);
  }

  /** Subscribed contracts with no quote since `staleBefore` (nor a (re)subscription since then). */
  staleContracts(staleBefore: Instant): ContractId[] {
    const out: ContractId[] = [];
    for (const [id, sub] of this.subscriptions) {
      if (Math.max(sub.since, sub.lastQuoteAt ?? 0) <= staleBefore) out.push(id);
    }
    return out;
  }

  subscribe(contractId: ContractId): void {
    if (this.subscriptions.has(contractId)) return;
    this.subscriptions.set(contractId, { since: this.options.clock.now(), lastQuoteAt: null });
    if (this.channel.isConnected()) void this.invoke(MarketHubMethod.subscribeQuotes, contractId);
  }

  unsubscribe(contractId: ContractId): void {
    if (!this.subscriptions.delete(contractId)) return;
    this.lastQuotes.delete(contractId);
    if (this.channel.isConnected()) void this.invoke(MarketHubMethod.unsubscribeQuotes, contractId);
  }

  private async invoke(method: string, contractId: ContractId): Promise<void> {
    try {
      await this.channel.invoke(method, contractId);
    } catch (err) {
      this.log.warn({ method, contractId, err: describeError(err) }, 'market-hub subscription call failed');
    }
  }

  private onQuote(args: unknown[], raw: () => string): void {
    const now = this.options.clock.now();
    let quote: Quote;
    try {
      const { contractId, data } = unwrapMarketPayload(
        args,
        MarketHubEvent.quote,
        this.options.contractForSymbol,
      );
      quote = normalizeQuote(contractId, data, this.lastQuotes.get(contractId), now);
    } catch (err) {
      if (err instanceof TopstepXMalformedPayloadError)
        this.malformed(MarketHubEvent.quote, err.message, raw());
      else this.log.error({ err: describeError(err) }, 'quote handling failed');
      return;
    }
    this.lastQuotes.set(quote.contractId, quote);
    const sub = this.subscriptions.get(quote.contractId);
    if (sub) sub.lastQuoteAt = now;
    try {
      this.options.listeners.quote(quote);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'quote listener failed');
    }
  }

  private malformed(event: string, reason: string, rawFrame: string): void {
    const frame = frameForLog(rawFrame);
    this.log.warn({ event, reason, raw: frame }, 'malformed payload skipped');
    this.options.onMalformed({ channel: 'market-hub', event, reason, rawFrame: frame });
  }
}
