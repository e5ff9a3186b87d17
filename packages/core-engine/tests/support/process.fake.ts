import type {
  AccountId,
  ActionOptions,
  ActionResult,
  BrokerEvent,
  BrokerGateway,
  Clock,
  ContractId,
  Instant,
  OrderId,
  StateRecord,
  StateStore,
  TimerHandle,
  Unsubscribe,
} from '../../src/index.js';

/** A broker action as the process is about to send it. */
export interface OutgoingAction {
  readonly kind: 'close' | 'partial-close' | 'cancel';
  readonly accountId: AccountId;
  readonly contractId: ContractId | null;
  readonly orderId: OrderId | null;
  readonly size: number | null;
  readonly idempotencyKey: string | null;
}

/**
 * When the process dies at an action: `before` it reaches the broker (the request is lost), or
 * `after` the broker received and executed it (the answer and its events are lost).
 */
export type CrashPoint = 'before' | 'after';

/** A promise that never settles: what a dead process waits on. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/**
 * The boundary of one Riskd process, for crash tests (kill -9). The engine of a process talks to the
 * broker, the clock and the store only through these wrappers; `kill()` cuts all three at once:
 * no event reaches the process, none of its timers run, nothing it writes or sends arrives, and
 * whatever it awaits never settles. The broker, clock and store themselves live on, so a new
 * process can start on them.
 */
export class ProcessBoundary {
  private alive = true;
  /** Decides whether the process dies at an outgoing action (checked before it is sent). */
  crashAt: ((action: OutgoingAction) => CrashPoint | undefined) | undefined;

  constructor(
    private readonly realBroker: BrokerGateway,
    private readonly realClock: Clock,
    private readonly realStore: StateStore,
  ) {}

  get isAlive(): boolean {
    return this.alive;
  }

  kill(): void {
    this.alive = false;
  }

  readonly clock: Clock = {
    now: () => this.realClock.now(),
    monotonicNs: () => this.realClock.monotonicNs(),
    scheduleAt: (at: Instant, callback: () => void): TimerHandle =>
      this.realClock.scheduleAt(at, () => {
        if (this.alive) callback();
      }),
    scheduleIn: (delayMs: number, callback: () => void): TimerHandle =>
      this.realClock.scheduleIn(delayMs, () => {
        if (this.alive) callback();
      }),
    cancel: (handle: TimerHandle) => this.realClock.cancel(handle),
  };

  readonly store: StateStore = {
    load: () => (this.alive ? this.realStore.load() : never()),
    write: (records: readonly StateRecord[], options: { readonly durable: boolean }) =>
      this.alive ? this.realStore.write(records, options) : never(),
  };

  readonly broker: BrokerGateway = {
    connect: () => (this.alive ? this.realBroker.connect() : never()),
    // The broker connection outlives a process only in tests: a dead process never disconnects.
    disconnect: () => (this.alive ? Promise.resolve() : never()),
    connectionState: () => this.realBroker.connectionState(),
    onEvent: (listener: (event: BrokerEvent) => void): Unsubscribe =>
      this.realBroker.onEvent((event) => {
        if (this.alive) listener(event);
      }),
    listAccounts: () => this.live(() => this.realBroker.listAccounts()),
    openPositions: (id) => this.live(() => this.realBroker.openPositions(id)),
    openOrders: (id) => this.live(() => this.realBroker.openOrders(id)),
    fillsSince: (id, since) => this.live(() => this.realBroker.fillsSince(id, since)),
    contract: (id) => this.live(() => this.realBroker.contract(id)),
    barClose: (id, at) => this.live(() => this.realBroker.barClose(id, at)),
    subscribeQuotes: (ids) => {
      if (this.alive) this.realBroker.subscribeQuotes(ids);
    },
    unsubscribeQuotes: (ids) => {
      if (this.alive) this.realBroker.unsubscribeQuotes(ids);
    },
    reconcile: (id) => this.live(() => this.realBroker.reconcile(id)),
    closePosition: (accountId, contractId, options) =>
      this.act(
        { kind: 'close', accountId, contractId, orderId: null, size: null, idempotencyKey: key(options) },
        () => this.realBroker.closePosition(accountId, contractId, options),
      ),
    partialClosePosition: (accountId, contractId, size, options) =>
      this.act(
        { kind: 'partial-close', accountId, contractId, orderId: null, size, idempotencyKey: key(options) },
        () => this.realBroker.partialClosePosition(accountId, contractId, size, options),
      ),
    cancelOrder: (accountId, orderId, options) =>
      this.act(
        { kind: 'cancel', accountId, contractId: null, orderId, size: null, idempotencyKey: key(options) },
        () => this.realBroker.cancelOrder(accountId, orderId, options),
      ),
  };

  private live<T>(call: () => Promise<T>): Promise<T> {
    if (!this.alive) return never();
    return call().then((value) => (this.alive ? value : never<T>()));
  }

  private act(action: OutgoingAction, send: () => Promise<ActionResult>): Promise<ActionResult> {
    if (!this.alive) return never();
    const crash = this.crashAt?.(action);
    if (crash === 'before') {
      this.kill();
      return never();
    }
    const answer = send();
    if (crash === 'after') {
      this.kill();
      return never();
    }
    return answer.then((value) => (this.alive ? value : never<ActionResult>()));
  }
}

function key(options: ActionOptions): string | null {
  return options.idempotencyKey ?? null;
}
