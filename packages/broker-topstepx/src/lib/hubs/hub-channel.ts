import {
  HttpTransportType,
  HubConnectionBuilder,
  HubConnectionState,
  JsonHubProtocol,
  LogLevel,
  type HubConnection,
  type HubMessage,
  type ILogger,
  type IRetryPolicy,
  type RetryContext,
} from '@microsoft/signalr';
import type { Clock, ConnectionChannel, ConnectionState, Logger, TimerHandle } from '@riskd/core-engine';
import { describeError, redactSecrets } from '../errors.js';

/** Longest raw frame kept in a log line. */
const MAX_LOGGED_FRAME = 4096;

/** How a connection came up: the first time, by signalr's automatic reconnect, or by a restart. */
export type ConnectedKind = 'initial' | 'reconnected' | 'restarted';

/** A hub event handler: the invocation's arguments and the raw frame they came in (for logs). */
export type FrameHandler = (args: unknown[], rawFrame: () => string) => void;

export interface HubChannelOptions {
  readonly channel: ConnectionChannel;
  /** Hub URL without the token, e.g. `https://rtc.topstepx.com/hubs/user`. */
  readonly url: string;
  /** The current session token (read at every connection attempt). */
  readonly token: () => string | null;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Delays between reconnection attempts; the last one repeats for ever. */
  readonly reconnectDelaysMs: readonly number[];
  /** signalr's server timeout (no frame from the server for this long drops the connection). */
  readonly serverTimeoutMs: number;
  readonly keepAliveMs: number;
  /** Handlers by event name. */
  readonly handlers: Readonly<Record<string, FrameHandler>>;
  /** Every state change. */
  readonly onState: (state: ConnectionState, detail: string | undefined) => void;
  /** After every successful connection: resubscribe (and reconcile) here. Errors are logged. */
  readonly onConnected: (kind: ConnectedKind) => Promise<void>;
  /** A frame that is not valid SignalR JSON (it is skipped; the connection stays up). */
  readonly onMalformedFrame: (raw: string, err: unknown) => void;
  /**
   * Before every reconnection attempt, with the number of attempts that failed in a row. The
   * gateway uses it to check the session: a hub refuses an expired token (HTTP 401 on the upgrade)
   * and signalr does not say why an attempt failed.
   */
  readonly onRetry?: (failedAttempts: number) => void;
}

/**
 * The JSON hub protocol that remembers the frame it is parsing (so handlers can log it) and skips a
 * record that is not valid JSON instead of failing the whole connection, which is what signalr's
 * own protocol does.
 */
export class TolerantJsonHubProtocol extends JsonHubProtocol {
  lastFrame = '';

  constructor(private readonly onMalformed: (raw: string, err: unknown) => void) {
    super();
  }

  override parseMessages(input: string, logger: ILogger): HubMessage[] {
    if (typeof input === 'string') this.lastFrame = input;
    try {
      return super.parseMessages(input, logger);
    } catch (err) {
      if (typeof input !== 'string') throw err;
      const out: HubMessage[] = [];
      for (const record of input.split('\x1e')) {
        if (record.length === 0) continue;
        try {
          out.push(...super.parseMessages(`${record}\x1e`, logger));
        } catch (recordErr) {
          this.onMalformed(record, recordErr);
        }
      }
      return out;
    }
  }
}

/** Appends the token as `access_token` (the gateway reads it from the query string). */
export function hubUrlWithToken(url: string, token: string | null): string {
  if (token === null) return url;
  return `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}

/** Truncates and redacts a frame for a log line. */
export function frameForLog(raw: string): string {
  const text =
    raw.length > MAX_LOGGED_FRAME ? `${raw.slice(0, MAX_LOGGED_FRAME)}...(${raw.length} chars)` : raw;
  return redactSecrets(text.replace(/\x1e/g, '\\u001e'));
}

/**
 * One SignalR connection to a ProjectX hub: WebSockets with `skipNegotiation` (as the official
 * sample), the token in the query string and the Authorization header, automatic reconnection
 * that never gives up, restarts (a new token, a stale feed), and a connection-state machine the
 * adapter exposes to the engine. Subscriptions are not kept here: `onConnected` replays them.
 */
export class HubChannel {
  private connection: HubConnection | null = null;
  private generation = 0;
  private currentState: ConnectionState = 'disconnected';
  private retryTimer: TimerHandle | null = null;
  private retryCount = 0;
  private everConnected = false;
  private stopped = true;
  private readonly log: Logger;
  private readonly protocol: TolerantJsonHubProtocol;
  private readonly signalrLogger: ILogger;

  constructor(private readonly options: HubChannelOptions) {
    this.log = options.logger.child({ component: options.channel });
    this.protocol = new TolerantJsonHubProtocol((raw, err) => options.onMalformedFrame(raw, err));
    this.signalrLogger = {
      log: (level: LogLevel, message: string) => {
        if (level >= LogLevel.Error) this.log.warn({ signalr: redactSecrets(message) }, 'signalr error');
        else if (level >= LogLevel.Warning)
          this.log.debug({ signalr: redactSecrets(message) }, 'signalr warning');
      },
    };
  }

  state(): ConnectionState {
    return this.currentState;
  }

  isConnected(): boolean {
    return this.currentState === 'connected' && this.connection?.state === HubConnectionState.Connected;
  }

  /** The frame being dispatched (valid while a handler runs). */
  currentFrame(): string {
    return this.protocol.lastFrame;
  }

  /**
   * Connects. Resolves true once connected (after `onConnected`), or false when the first attempt
   * failed; attempts then continue in the background with the reconnect delays.
   */
  async start(): Promise<boolean> {
    if (!this.stopped) return this.isConnected();
    this.stopped = false;
    this.setState('connecting', undefined);
    return this.attempt(++this.generation);
  }

  /** Drops the current connection and connects again (a new token, a stale feed). */
  async restart(reason: string): Promise<boolean> {
    if (this.stopped) return false;
    this.log.info({ reason }, 'restarting hub connection');
    const generation = ++this.generation;
    this.clearRetry();
    const old = this.connection;
    this.connection = null;
    this.setState('reconnecting', reason);
    if (old) await old.stop().catch(() => undefined);
    if (generation !== this.generation) return false;
    return this.attempt(generation);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.clearRetry();
    const old = this.connection;
    this.connection = null;
    if (old) await old.stop().catch(() => undefined);
    this.setState('disconnected', 'stopped');
  }

  /** Invokes a server method; rejects when not connected. */
  invoke(method: string, ...args: unknown[]): Promise<unknown> {
    const connection = this.connection;
    if (!connection || connection.state !== HubConnectionState.Connected) {
      return Promise.reject(new Error(`${this.options.channel} is not connected`));
    }
    return connection.invoke(method, ...args);
  }

  private build(generation: number): HubConnection {
    const { url, token, reconnectDelaysMs } = this.options;
    const policy: IRetryPolicy = {
      nextRetryDelayInMilliseconds: (context: RetryContext) => {
        if (generation !== this.generation || this.stopped) return null;
        if (context.previousRetryCount > 0) {
          this.refreshUrl(connection);
          this.options.onRetry?.(context.previousRetryCount);
        }
        const index = Math.min(context.previousRetryCount, reconnectDelaysMs.length - 1);
        return reconnectDelaysMs[index] ?? 1000;
      },
    };
    const connection = new HubConnectionBuilder()
      .withUrl(hubUrlWithToken(url, token()), {
        skipNegotiation: true,
        transport: HttpTransportType.WebSockets,
        accessTokenFactory: () => token() ?? '',
        logger: this.signalrLogger,
      })
      .withHubProtocol(this.protocol)
      .withAutomaticReconnect(policy)
      .configureLogging(this.signalrLogger)
      .build();
    connection.serverTimeoutInMilliseconds = this.options.serverTimeoutMs;
    connection.keepAliveIntervalInMilliseconds = this.options.keepAliveMs;
    for (const [event, handler] of Object.entries(this.options.handlers)) {
      connection.on(event, (...args: unknown[]) => {
        if (generation !== this.generation) return;
        handler(args, () => this.protocol.lastFrame);
      });
    }
    connection.onreconnecting((err) => {
      if (generation !== this.generation) return;
      this.refreshUrl(connection);
      this.setState('reconnecting', err ? describeError(err) : 'connection lost');
    });
    connection.onreconnected(() => {
      if (generation !== this.generation) return;
      this.setState('connected', 'reconnected');
      this.runOnConnected('reconnected');
    });
    connection.onclose((err) => {
      if (generation !== this.generation || this.stopped) return;
      this.connection = null;
      this.setState('reconnecting', err ? describeError(err) : 'connection closed');
      this.scheduleRetry(generation);
    });
    return connection;
  }

  /** A reconnect must present the current token, which may have changed since the build. */
  private refreshUrl(connection: HubConnection): void {
    try {
      connection.baseUrl = hubUrlWithToken(this.options.url, this.options.token());
    } catch {
      // Only allowed while Disconnected or Reconnecting; the next attempt refreshes it.
    }
  }

  private async attempt(generation: number): Promise<boolean> {
    if (generation !== this.generation || this.stopped) return false;
    const connection = this.build(generation);
    this.connection = connection;
    try {
      await connection.start();
    } catch (err) {
      if (generation !== this.generation || this.stopped) return false;
      this.connection = null;
      this.log.warn({ err: describeError(err), attempt: this.retryCount }, 'hub connection failed');
      this.setState(this.everConnected ? 'reconnecting' : 'connecting', describeError(err));
      this.scheduleRetry(generation);
      return false;
    }
    if (generation !== this.generation || this.stopped) {
      await connection.stop().catch(() => undefined);
      return false;
    }
    const kind: ConnectedKind = this.everConnected ? 'restarted' : 'initial';
    this.everConnected = true;
    this.retryCount = 0;
    this.setState('connected', kind);
    await this.runOnConnected(kind);
    return true;
  }

  private async runOnConnected(kind: ConnectedKind): Promise<void> {
    try {
      await this.options.onConnected(kind);
    } catch (err) {
      this.log.error({ err: describeError(err), kind }, 'post-connection work failed');
    }
  }

  private scheduleRetry(generation: number): void {
    this.clearRetry();
    const delays = this.options.reconnectDelaysMs;
    const delay = delays[Math.min(this.retryCount, delays.length - 1)] ?? 1000;
    this.retryCount++;
    this.options.onRetry?.(this.retryCount);
    this.retryTimer = this.options.clock.scheduleIn(delay, () => {
      this.retryTimer = null;
      void this.attempt(generation);
    });
  }

  private clearRetry(): void {
    if (this.retryTimer) this.options.clock.cancel(this.retryTimer);
    this.retryTimer = null;
  }

  private setState(state: ConnectionState, detail: string | undefined): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.log.info({ state, detail }, 'hub connection state');
    this.options.onState(state, detail);
  }
}
