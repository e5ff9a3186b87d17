import { API_PREFIX } from '../../route-table.js';
import type { ApiErrorBody, LiveEvent } from '../wire-types.js';
import { ApiClientError, RiskdApiError } from './api-client-errors.js';
import { SseParser } from './sse-parser.js';

/** Where a live stream is. */
export type LiveStreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Options of a live stream (`RiskdClient.events()`). */
export interface LiveStreamOptions {
  /** Resume after this event id (the daemon replays what it still holds, else says `resync`). */
  readonly lastEventId?: string;
  /** First reconnection delay, doubled after each failed attempt up to the maximum (default 1000). */
  readonly reconnectDelayMs?: number;
  /** Longest reconnection delay (default 30000). */
  readonly maxReconnectDelayMs?: number;
  /**
   * Reconnect when nothing, not even a heartbeat, arrived for this long (default 45000: three
   * of the daemon's 15-second heartbeats).
   */
  readonly staleAfterMs?: number;
  /** Events held for a consumer that does not keep up; beyond it the stream fails (default 10000). */
  readonly maxBufferedEvents?: number;
  /** Closes the stream when aborted. */
  readonly signal?: AbortSignal;
  /** Told about every state change; `error` is why a connection ended, when it failed. */
  readonly onStateChange?: (state: LiveStreamState, error?: unknown) => void;
}

/** Opens one connection: resolves with the response of `GET /api/v1/events`. */
export type LiveStreamConnector = (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>;

/** The server refused the stream in a way retrying cannot fix (4xx other than 429, or not SSE). */
function isFatal(error: unknown): boolean {
  return error instanceof ApiClientError && error.code !== 'NETWORK_ERROR' && error.code !== 'TIMEOUT';
}

/**
 * The daemon's live stream as an async iterator of {@link LiveEvent}s that reconnects by itself
 * (with `Last-Event-ID`, so the daemon replays what was missed or answers `hello` with `resync`).
 * `for await (const event of stream)` ends when `close()` is called, the signal aborts, or the
 * loop breaks; it throws when the server refuses the stream for good (e.g. 406) or the consumer
 * falls more than `maxBufferedEvents` behind.
 */
export class LiveEventStream implements AsyncIterableIterator<LiveEvent> {
  private readonly queue: LiveEvent[] = [];
  private readonly waiters: {
    resolve: (r: IteratorResult<LiveEvent>) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private readonly parser: SseParser;
  private readonly options: Required<
    Pick<LiveStreamOptions, 'reconnectDelayMs' | 'maxReconnectDelayMs' | 'staleAfterMs' | 'maxBufferedEvents'>
  >;
  private currentState: LiveStreamState = 'connecting';
  private failure: unknown = undefined;
  private closed = false;
  private attempt: AbortController | undefined;
  private serverRetryMs: number | undefined;
  private wake: (() => void) | undefined;
  private readonly onAbort = (): void => this.close();

  constructor(
    private readonly connect: LiveStreamConnector,
    private readonly settings: LiveStreamOptions = {},
  ) {
    this.options = {
      reconnectDelayMs: settings.reconnectDelayMs ?? 1_000,
      maxReconnectDelayMs: settings.maxReconnectDelayMs ?? 30_000,
      staleAfterMs: settings.staleAfterMs ?? 45_000,
      maxBufferedEvents: settings.maxBufferedEvents ?? 10_000,
    };
    this.parser = new SseParser({
      onMessage: (message) => {
        let event: LiveEvent;
        try {
          event = JSON.parse(message.data) as LiveEvent;
        } catch (error) {
          this.fail(
            new ApiClientError('INVALID_RESPONSE', `live stream: a message is not JSON`, { cause: error }),
          );
          return;
        }
        this.deliver(event);
      },
      onRetry: (ms) => {
        this.serverRetryMs = ms;
      },
    });
    if (settings.lastEventId !== undefined) this.parser.push(`id: ${settings.lastEventId}\n\n`);
    if (settings.signal?.aborted) {
      this.close();
      return;
    }
    settings.signal?.addEventListener('abort', this.onAbort, { once: true });
    void this.run();
  }

  /** The id a reconnection sends as `Last-Event-ID` (undefined before the first event with an id). */
  get lastEventId(): string | undefined {
    return this.parser.lastEventId === '' ? undefined : this.parser.lastEventId;
  }

  get state(): LiveStreamState {
    return this.currentState;
  }

  /** Ends the stream: pending and later `next()` calls resolve as done. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settings.signal?.removeEventListener('abort', this.onAbort);
    this.attempt?.abort();
    this.wake?.();
    this.setState('closed');
    this.settleWaiters();
  }

  next(): Promise<IteratorResult<LiveEvent>> {
    const event = this.queue.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<LiveEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LiveEvent> {
    return this;
  }

  private deliver(event: LiveEvent): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.queue.length >= this.options.maxBufferedEvents) {
      this.fail(
        new ApiClientError('STREAM_CLOSED', `live stream: consumer fell ${this.queue.length} events behind`),
      );
      return;
    }
    this.queue.push(event);
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.failure = error;
    this.close();
  }

  private settleWaiters(): void {
    while (this.waiters.length > 0) {
      const waiter = this.waiters.shift()!;
      if (this.failure !== undefined) {
        const failure = this.failure;
        this.failure = undefined;
        waiter.reject(failure);
      } else {
        waiter.resolve({ value: undefined, done: true });
      }
    }
  }

  private setState(state: LiveStreamState, error?: unknown): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.settings.onStateChange?.(state, error);
  }

  private async run(): Promise<void> {
    let delay = this.options.reconnectDelayMs;
    while (!this.closed) {
      let opened = false;
      try {
        opened = await this.connectOnce();
      } catch (error) {
        if (this.closed) break;
        if (isFatal(error)) {
          this.fail(error);
          break;
        }
        this.setState('reconnecting', error);
      }
      if (this.closed) break;
      this.setState('reconnecting');
      if (opened) delay = this.serverRetryMs ?? this.options.reconnectDelayMs;
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.options.maxReconnectDelayMs);
    }
  }

  /** One connection, read to its end. Resolves true when the stream had opened. */
  private async connectOnce(): Promise<boolean> {
    const attempt = new AbortController();
    this.attempt = attempt;
    let staleTimer: ReturnType<typeof setTimeout> | undefined;
    const armStaleTimer = (): void => {
      if (staleTimer !== undefined) clearTimeout(staleTimer);
      staleTimer = setTimeout(() => attempt.abort(), this.options.staleAfterMs);
    };
    try {
      armStaleTimer();
      const response = await this.connect(this.lastEventId, attempt.signal);
      if (!response.ok) {
        const body = await readErrorBody(response);
        const error = new RiskdApiError(response.status, body, 'GET', `${API_PREFIX}/events`);
        if (response.status >= 500 || response.status === 429) throw retryable(error);
        throw error;
      }
      const type = response.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream') || !response.body) {
        await response.body?.cancel();
        throw new ApiClientError(
          'INVALID_RESPONSE',
          `live stream: expected text/event-stream, got "${type}"`,
        );
      }
      this.parser.reset();
      this.setState('open');
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          armStaleTimer();
          this.parser.push(decoder.decode(value, { stream: true }));
          if (this.closed) break;
        }
      } catch (error) {
        if (!this.closed) this.setState('reconnecting', error);
      } finally {
        reader.releaseLock();
        if (!attempt.signal.aborted) attempt.abort();
      }
      return true;
    } finally {
      if (staleTimer !== undefined) clearTimeout(staleTimer);
      this.attempt = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** A 5xx or 429 is worth retrying: wrapped as a network-class error so the loop retries. */
function retryable(error: RiskdApiError): ApiClientError {
  return new ApiClientError('NETWORK_ERROR', error.message, { cause: error });
}

async function readErrorBody(response: Response): Promise<ApiErrorBody | undefined> {
  try {
    const text = await response.text();
    return text === '' ? undefined : (JSON.parse(text) as ApiErrorBody);
  } catch {
    return undefined;
  }
}
