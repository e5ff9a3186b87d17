import type { Clock } from '../clock/clock.js';
import {
  OrderStatus,
  OrderType,
  WORKING_ORDER_STATUSES,
  type Account,
  type AccountId,
  type BrokerPosition,
  type Contract,
  type ContractId,
  type Fill,
  type Instant,
  type Micros,
  type Order,
  type OrderId,
  type PositionSide,
  type Quote,
  type Side,
} from '../domain/types.js';
import type { BrokerEvent, ConnectionState } from '../events/events.js';
import { priceToTicks } from '../money/money.js';
import type {
  ActionOptions,
  ActionResult,
  BrokerGateway,
  ReconcileReport,
  RejectCode,
  RequestPriority,
  Unsubscribe,
} from '../ports/broker-gateway.js';
import { DEFAULT_FAKE_FEES, FAKE_CONTRACTS } from './fake-contracts.js';
import { FakeBrokerError } from './testing-errors.js';

/** The three mutations the engine can ask of the broker. */
export type FakeActionKind = 'close' | 'partial-close' | 'cancel';

/** One action request as the fake broker received it (the "broker-side request log"). */
export interface FakeBrokerRequest {
  /** Order of arrival, from 1. */
  readonly seq: number;
  readonly at: Instant;
  readonly kind: FakeActionKind;
  readonly accountId: AccountId;
  /** The contract acted on (for a cancel: the order's contract, when the order is known). */
  readonly contractId: ContractId | null;
  readonly orderId: OrderId | null;
  /** Contracts to close for `partial-close`. */
  readonly size: number | null;
  readonly priority: RequestPriority;
  readonly idempotencyKey: string | null;
  /** The answer the broker gave (also when it reaches the caller later because of a delay). */
  readonly result: ActionResult;
  /** Whether the broker changed its state for this request. */
  readonly executed: boolean;
}

/**
 * What an injected action fault does:
 * - `reject`: answered `rejected` with that code; nothing happens;
 * - `uncertain`: answered `uncertain` (a lost answer); the action happened when `executed`;
 * - `accept-without-executing`: answered `ok`, but the order never executes (e.g. a market halt);
 * - `ok`: executed and answered normally (use with `delayMs` to delay the answer only).
 */
export type FakeActionEffect =
  | { readonly type: 'reject'; readonly code: RejectCode; readonly message?: string }
  | { readonly type: 'uncertain'; readonly executed: boolean; readonly reason?: string }
  | { readonly type: 'accept-without-executing' }
  | { readonly type: 'ok' };

/** A fault applied to the next matching action requests. */
export interface FakeActionFault {
  /** Kinds it applies to; all when absent. */
  readonly kinds?: readonly FakeActionKind[];
  readonly accountId?: AccountId;
  readonly contractId?: ContractId;
  /** How many matching requests it applies to (default 1; `Infinity` for every one). */
  readonly times?: number;
  readonly effect: FakeActionEffect;
  /** Answer after this many ms on the clock (the action itself happens on arrival). */
  readonly delayMs?: number;
}

/**
 * What an injected event fault does to a matching event the broker sends: `drop` it (a missing
 * confirmation: only `reconcile()` recovers it), `delay` it by `ms` on the clock (a late
 * confirmation), or `duplicate` it (`count` extra copies, delivered right after it).
 */
export type FakeEventEffect =
  | { readonly type: 'drop' }
  | { readonly type: 'delay'; readonly ms: number }
  | { readonly type: 'duplicate'; readonly count?: number };

/** A fault applied to the next matching events the broker sends. */
export interface FakeEventFault {
  /** Event kinds it applies to; all when absent. */
  readonly kinds?: readonly BrokerEvent['kind'][];
  readonly accountId?: AccountId;
  readonly contractId?: ContractId;
  /** How many matching events it applies to (default 1; `Infinity` for every one). */
  readonly times?: number;
  readonly effect: FakeEventEffect;
}

/** Removes an injected fault before it is used up. */
export interface FaultHandle {
  remove(): void;
}

/** An account to create; everything but the id has a default. */
export interface FakeAccountInit {
  readonly id: AccountId;
  readonly name?: string;
  /** Micro-dollars (default 50,000.00). */
  readonly balance?: Micros;
  readonly canTrade?: boolean;
  readonly isVisible?: boolean;
  readonly simulated?: boolean;
}

export interface FakeBrokerOptions {
  readonly clock: Clock;
  /** Contracts the broker knows (default: the four of {@link FAKE_CONTRACTS}). */
  readonly contracts?: readonly Contract[];
  readonly accounts?: readonly FakeAccountInit[];
  /**
   * Fee per contract per fill side by symbol, micro-dollars (default {@link DEFAULT_FAKE_FEES});
   * symbols not listed pay nothing.
   */
  readonly feesPerSide?: Readonly<Record<string, Micros>>;
  /** Answer delay of every action in ms on the clock (default 0: answered at once). */
  readonly responseDelayMs?: number;
  /**
   * Deliver quotes only for subscribed contracts, as the market hub does (default false: every
   * quote is delivered, so tests need not subscribe).
   */
  readonly requireQuoteSubscription?: boolean;
  /** Keep every delivered event in {@link FakeBroker.events} (default true; benchmarks turn it off). */
  readonly recordEvents?: boolean;
}

/** A trader's order request. */
export interface FakeOrderRequest {
  readonly type: OrderType;
  readonly side: Side;
  readonly size: number;
  readonly limitPrice?: number | null;
  readonly stopPrice?: number | null;
  readonly customTag?: string | null;
}

/** What a trader's market order or a fill of a working order produced. */
export interface FakeTradeResult {
  readonly order: Order;
  readonly fills: readonly Fill[];
}

/** The broker's own view of one open position. */
export interface FakePositionState {
  readonly id: number;
  readonly side: PositionSide;
  readonly size: number;
  /** Average entry in ticks (fractional when the entries average between ticks). */
  readonly averageTicks: number;
  readonly averagePrice: number;
  readonly openedAt: Instant;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event as the broker sends it, before it is stamped with the local receive time at delivery. */
export type FakeEventDraft = DistributiveOmit<BrokerEvent, 'receivedAt' | 'receivedNs'>;

interface MutablePosition {
  id: number;
  side: PositionSide;
  size: number;
  avgTicks: number;
  openedAt: Instant;
}

type MutableRequest = { -readonly [K in keyof FakeBrokerRequest]: FakeBrokerRequest[K] };

/** An action's answer and whether the broker changed its state for it. */
type Executed = [ActionResult, boolean];

interface ActiveFault<F> {
  readonly fault: F;
  remaining: number;
}

/** ProjectX's per-endpoint error codes (PROJECTX-GATEWAY.md section 4.2), by normalized code. */
const BROKER_CODES: Readonly<Record<FakeActionKind, Partial<Record<RejectCode, number>>>> = {
  close: {
    'account-not-found': 1,
    'position-not-found': 2,
    'contract-not-found': 3,
    'contract-not-active': 4,
    'order-rejected': 5,
    'order-pending': 6,
    unknown: 7,
    'account-rejected': 8,
  },
  'partial-close': {
    'account-not-found': 1,
    'position-not-found': 2,
    'contract-not-found': 3,
    'contract-not-active': 4,
    'invalid-size': 5,
    'order-rejected': 6,
    'order-pending': 7,
    unknown: 8,
    'account-rejected': 9,
  },
  cancel: {
    'account-not-found': 1,
    'order-not-found': 2,
    'order-rejected': 3,
    'order-pending': 4,
    unknown: 5,
    'account-rejected': 6,
  },
};

const DEFAULT_BALANCE: Micros = 50_000_000_000;
const FIRST_ORDER_ID = 1_000_001;
const FIRST_FILL_ID = 5_000_001;
const FIRST_POSITION_ID = 101;

function roundPrice(value: number): number {
  return Number(value.toFixed(9));
}

function sameOrder(a: Order, b: Order): boolean {
  return (
    a.status === b.status &&
    a.fillVolume === b.fillVolume &&
    a.size === b.size &&
    a.limitPrice === b.limitPrice &&
    a.stopPrice === b.stopPrice &&
    a.filledPrice === b.filledPrice
  );
}

function samePosition(a: BrokerPosition, b: BrokerPosition): boolean {
  return a.id === b.id && a.side === b.side && a.size === b.size && a.averagePrice === b.averagePrice;
}

/**
 * An in-memory broker with ProjectX's behaviour, for tests and benchmarks of every package. It
 * keeps accounts, contracts, positions (weighted average price, adds, partial closes, flips),
 * working orders, fills (profitAndLoss on closing fills, fees per side) and quotes, and delivers
 * normalized events to listeners in the order ProjectX sends them (order, fills, order update,
 * position, account; PROJECTX-GATEWAY.md appendix B). It is deterministic: time comes from the
 * Clock, ids are sequential, and nothing runs on its own except timers the test scheduled.
 *
 * Delivery: events caused by a test control (`trade`, `setQuote`, ...) are delivered before the
 * control returns; events caused by an action request (`closePosition`, ...) are delivered on the
 * microtask queue right after the request (before the caller sees the answer), or later when a
 * fault delays them. Events are delivered only while connected; what was not delivered (not
 * connected, dropped by a fault) is what `reconcile()` emits.
 *
 * Test controls imitate the trader and the market; failure injection imitates a real broker's
 * misbehaviour (rejections, lost answers, slow answers, late, missing or duplicated events).
 */
export class FakeBroker implements BrokerGateway {
  /** Every action request received, in arrival order. */
  readonly requests: FakeBrokerRequest[] = [];
  /** Every event delivered to listeners, in delivery order (when `recordEvents`). */
  readonly events: BrokerEvent[] = [];
  /** Events a fault dropped or that were sent while disconnected. */
  readonly undelivered: FakeEventDraft[] = [];

  private readonly clock: Clock;
  private readonly fees: Readonly<Record<string, Micros>>;
  private readonly responseDelayMs: number;
  private readonly requireQuoteSubscription: boolean;
  private readonly recordEvents: boolean;

  private readonly accountsById = new Map<AccountId, Account>();
  private readonly refused = new Set<AccountId>();
  private readonly contracts = new Map<ContractId, Contract>();
  private readonly positions = new Map<AccountId, Map<ContractId, MutablePosition>>();
  private readonly orders = new Map<OrderId, Order>();
  private readonly fills = new Map<AccountId, Fill[]>();
  private readonly quotes = new Map<ContractId, Quote>();
  private readonly bars = new Map<string, number>();
  private readonly subscriptions = new Set<ContractId>();

  private readonly listeners = new Set<(event: BrokerEvent) => void>();
  private readonly requestListeners = new Set<(request: FakeBrokerRequest) => void>();
  private readonly actionFaults: ActiveFault<FakeActionFault>[] = [];
  private readonly eventFaults: ActiveFault<FakeEventFault>[] = [];

  // What listeners have been given, per fact: reconcile() emits the difference to the truth.
  private readonly deliveredFills = new Map<number, boolean>();
  private readonly deliveredOrders = new Map<OrderId, Order>();
  private readonly deliveredPositions = new Map<string, BrokerPosition>();
  private readonly deliveredAccounts = new Map<AccountId, Account>();
  /** The last position each contract was reported with, for the size-0 report when it closes. */
  private readonly lastPositionSent = new Map<string, BrokerPosition>();

  private readonly outbox: BrokerEvent[] = [];
  private flushing = false;
  private flushScheduled = false;
  private state: ConnectionState = 'disconnected';
  private nextOrderId = FIRST_ORDER_ID;
  private nextFillId = FIRST_FILL_ID;
  private nextPositionId = FIRST_POSITION_ID;
  private nextRequestSeq = 1;

  constructor(options: FakeBrokerOptions) {
    this.clock = options.clock;
    this.fees = options.feesPerSide ?? DEFAULT_FAKE_FEES;
    this.responseDelayMs = options.responseDelayMs ?? 0;
    this.requireQuoteSubscription = options.requireQuoteSubscription ?? false;
    this.recordEvents = options.recordEvents ?? true;
    for (const contract of options.contracts ?? Object.values(FAKE_CONTRACTS)) this.addContract(contract);
    for (const account of options.accounts ?? []) this.addAccount(account);
  }

  // ---------------------------------------------------------------- BrokerGateway: connection

  async connect(): Promise<void> {
    if (this.state === 'connected') return;
    this.state = 'connected';
    this.send({
      kind: 'connection',
      channel: 'user-hub',
      state: 'connected',
      brokerTime: null,
      origin: 'stream',
    });
    this.send({
      kind: 'connection',
      channel: 'market-hub',
      state: 'connected',
      brokerTime: null,
      origin: 'stream',
    });
    this.flush();
  }

  async disconnect(): Promise<void> {
    if (this.state === 'disconnected') return;
    for (const channel of ['user-hub', 'market-hub'] as const) {
      this.send({ kind: 'connection', channel, state: 'disconnected', brokerTime: null, origin: 'stream' });
    }
    this.flush();
    this.state = 'disconnected';
  }

  connectionState(): ConnectionState {
    return this.state;
  }

  onEvent(listener: (event: BrokerEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // ---------------------------------------------------------------- BrokerGateway: snapshots

  async listAccounts(): Promise<readonly Account[]> {
    return [...this.accountsById.values()];
  }

  async openPositions(accountId: AccountId): Promise<readonly BrokerPosition[]> {
    const out: BrokerPosition[] = [];
    for (const [contractId, p] of this.positions.get(accountId) ?? []) {
      out.push(this.toBrokerPosition(accountId, contractId, p));
    }
    return out;
  }

  async openOrders(accountId: AccountId): Promise<readonly Order[]> {
    return [...this.orders.values()].filter(
      (o) => o.accountId === accountId && WORKING_ORDER_STATUSES.has(o.status),
    );
  }

  async fillsSince(accountId: AccountId, since: Instant): Promise<readonly Fill[]> {
    return (this.fills.get(accountId) ?? []).filter((f) => f.time >= since);
  }

  async contract(contractId: ContractId): Promise<Contract> {
    return this.contractOrThrow(contractId);
  }

  async barClose(contractId: ContractId, at: Instant): Promise<number | null> {
    return this.bars.get(`${contractId}|${Math.floor(at / 60_000) * 60_000}`) ?? null;
  }

  subscribeQuotes(contractIds: readonly ContractId[]): void {
    for (const id of contractIds) this.subscriptions.add(id);
  }

  unsubscribeQuotes(contractIds: readonly ContractId[]): void {
    for (const id of contractIds) this.subscriptions.delete(id);
  }

  // ---------------------------------------------------------------- BrokerGateway: reconcile

  async reconcile(accountId: AccountId): Promise<ReconcileReport> {
    const drafts: FakeEventDraft[] = [];
    let fillsRecovered = 0;
    for (const fill of this.fills.get(accountId) ?? []) {
      if (this.deliveredFills.get(fill.id) !== fill.voided) {
        drafts.push({ kind: 'fill', accountId, fill, brokerTime: fill.time, origin: 'reconcile' });
        fillsRecovered++;
      }
    }
    for (const order of this.orders.values()) {
      if (order.accountId !== accountId) continue;
      const seen = this.deliveredOrders.get(order.id);
      if (!seen || !sameOrder(seen, order)) {
        drafts.push({
          kind: 'order',
          accountId,
          order,
          brokerTime: order.updatedAt ?? order.createdAt,
          origin: 'reconcile',
        });
      }
    }
    const contractIds = new Set<ContractId>(this.positions.get(accountId)?.keys() ?? []);
    for (const key of this.deliveredPositions.keys()) {
      const [acc, contractId] = splitPositionKey(key);
      if (acc === accountId) contractIds.add(contractId);
    }
    for (const contractId of contractIds) {
      const truth = this.positions.get(accountId)?.get(contractId);
      const seen = this.deliveredPositions.get(positionKey(accountId, contractId));
      if (truth) {
        const now = this.toBrokerPosition(accountId, contractId, truth);
        if (!seen || !samePosition(seen, now)) {
          drafts.push({
            kind: 'position',
            accountId,
            position: now,
            brokerTime: this.clock.now(),
            origin: 'reconcile',
          });
        }
      } else if (seen && seen.size > 0) {
        drafts.push({
          kind: 'position',
          accountId,
          position: { ...seen, size: 0 },
          brokerTime: this.clock.now(),
          origin: 'reconcile',
        });
      }
    }
    const account = this.accountsById.get(accountId);
    const seenAccount = this.deliveredAccounts.get(accountId);
    if (
      account &&
      (!seenAccount || seenAccount.balance !== account.balance || seenAccount.canTrade !== account.canTrade)
    ) {
      drafts.push({ kind: 'account', accountId, account, brokerTime: this.clock.now(), origin: 'reconcile' });
    }
    // Reconciliation is the recovery path: its events are not subject to the injected faults.
    for (const draft of drafts) this.enqueue(draft);
    this.flush();
    return { accountId, eventsEmitted: drafts.length, fillsRecovered, at: this.clock.now() };
  }

  // ---------------------------------------------------------------- BrokerGateway: actions

  closePosition(accountId: AccountId, contractId: ContractId, options: ActionOptions): Promise<ActionResult> {
    return this.act('close', accountId, contractId, null, null, options, () => {
      const problem = this.checkAccount('close', accountId) ?? this.checkContract('close', contractId);
      if (problem) return [problem, false];
      const position = this.positions.get(accountId)?.get(contractId);
      // ProjectX answers PositionNotFound; the gateway contract reports that as `ok` (the goal is met).
      if (!position) return [{ status: 'ok' }, false];
      return this.closeAtMarket('close', accountId, contractId, position, position.size);
    });
  }

  partialClosePosition(
    accountId: AccountId,
    contractId: ContractId,
    size: number,
    options: ActionOptions,
  ): Promise<ActionResult> {
    return this.act('partial-close', accountId, contractId, null, size, options, () => {
      const problem =
        this.checkAccount('partial-close', accountId) ?? this.checkContract('partial-close', contractId);
      if (problem) return [problem, false];
      const position = this.positions.get(accountId)?.get(contractId);
      if (!position)
        return [this.rejection('partial-close', 'position-not-found', 'Position not found'), false];
      if (!Number.isInteger(size) || size <= 0 || size > position.size) {
        return [this.rejection('partial-close', 'invalid-size', `Invalid close size ${size}`), false];
      }
      return this.closeAtMarket('partial-close', accountId, contractId, position, size);
    });
  }

  cancelOrder(accountId: AccountId, orderId: OrderId, options: ActionOptions): Promise<ActionResult> {
    const known = this.orders.get(orderId);
    return this.act('cancel', accountId, known?.contractId ?? null, orderId, null, options, () => {
      const problem = this.checkAccount('cancel', accountId);
      if (problem) return [problem, false];
      const order = this.orders.get(orderId);
      if (!order || order.accountId !== accountId || !WORKING_ORDER_STATUSES.has(order.status)) {
        return [this.rejection('cancel', 'order-not-found', 'Order not found'), false];
      }
      this.cancelNow(order);
      return [{ status: 'ok' }, true];
    });
  }

  // ---------------------------------------------------------------- test controls: setup

  addAccount(init: FakeAccountInit): Account {
    const account: Account = {
      id: init.id,
      name: init.name ?? `PRAC-V2-${init.id}`,
      balance: init.balance ?? DEFAULT_BALANCE,
      canTrade: init.canTrade ?? true,
      isVisible: init.isVisible ?? true,
      simulated: init.simulated ?? true,
    };
    this.accountsById.set(account.id, account);
    return account;
  }

  addContract(contract: Contract): void {
    this.contracts.set(contract.id, contract);
  }

  /** Close of the one-minute bar containing `at`, answered by `barClose`. */
  setBarClose(contractId: ContractId, at: Instant, close: number): void {
    this.bars.set(`${contractId}|${Math.floor(at / 60_000) * 60_000}`, close);
  }

  /** Subscribed quote contracts (the desired market-hub subscriptions). */
  quoteSubscriptions(): ReadonlySet<ContractId> {
    return this.subscriptions;
  }

  // ---------------------------------------------------------------- test controls: market and trader

  /**
   * Sets the best bid/ask and last price and emits a quote; working limit and stop orders of the
   * contract that the new prices reach are filled (limits at their limit price, stops at the bid or
   * ask, stop-limits at their limit price).
   */
  setQuote(
    contractId: ContractId,
    prices: { readonly bid?: number | null; readonly ask?: number | null; readonly last?: number | null },
  ): Quote {
    this.contractOrThrow(contractId);
    const previous = this.quotes.get(contractId);
    const quote: Quote = {
      contractId,
      bid: prices.bid !== undefined ? prices.bid : (previous?.bid ?? null),
      ask: prices.ask !== undefined ? prices.ask : (previous?.ask ?? null),
      last: prices.last !== undefined ? prices.last : (previous?.last ?? null),
      time: this.clock.now(),
    };
    this.quotes.set(contractId, quote);
    if (!this.requireQuoteSubscription || this.subscriptions.has(contractId)) {
      this.send({ kind: 'quote', quote, brokerTime: quote.time, origin: 'stream' });
    }
    for (const order of [...this.orders.values()]) {
      if (order.contractId !== contractId || order.status !== OrderStatus.Open) continue;
      const price = this.triggerPrice(order, quote);
      if (price !== null) this.fillWorking(order, order.size - order.fillVolume, price);
    }
    this.flush();
    return quote;
  }

  quote(contractId: ContractId): Quote | undefined {
    return this.quotes.get(contractId);
  }

  /**
   * The trader trades at market: `size` contracts filled at `price`, or at the ask (buy) / bid
   * (sell), else the last price. While the broker reports `canTrade: false` the order is rejected.
   */
  trade(
    accountId: AccountId,
    contractId: ContractId,
    side: Side,
    size: number,
    price?: number,
  ): FakeTradeResult {
    this.accountOrThrow(accountId);
    this.contractOrThrow(contractId);
    this.checkSize(size);
    const fillPrice = price ?? this.marketPrice(contractId, side);
    if (fillPrice === null) {
      throw new FakeBrokerError('FAKE_BROKER_NO_PRICE', `no quote for ${contractId}: pass a price`);
    }
    const order = this.newOrder(accountId, contractId, { type: OrderType.Market, side, size });
    const result = this.runMarketOrder(order, fillPrice);
    this.flush();
    return result;
  }

  /** The trader places an order; a market order fills at once (like {@link trade}), others work. */
  placeOrder(accountId: AccountId, contractId: ContractId, request: FakeOrderRequest): Order {
    this.accountOrThrow(accountId);
    this.contractOrThrow(contractId);
    this.checkSize(request.size);
    const order = this.newOrder(accountId, contractId, request);
    if (order.status === OrderStatus.Rejected) {
      this.flush();
      return order;
    }
    if (request.type === OrderType.Market) {
      const price = this.marketPrice(contractId, request.side);
      if (price === null) {
        throw new FakeBrokerError('FAKE_BROKER_NO_PRICE', `no quote for ${contractId}: set a quote first`);
      }
      const result = this.runMarketOrder(order, price);
      this.flush();
      return result.order;
    }
    this.send(this.orderDraft(order));
    this.flush();
    return order;
  }

  /** Fills a working order (all of what is left, or `size`) at `price` (default: its limit or stop price, else the market). */
  fillOrder(
    orderId: OrderId,
    options: { readonly price?: number; readonly size?: number } = {},
  ): FakeTradeResult {
    const order = this.orderOrThrow(orderId);
    if (!WORKING_ORDER_STATUSES.has(order.status)) {
      throw new FakeBrokerError('FAKE_BROKER_INVALID_ARGUMENT', `order ${orderId} is not working`);
    }
    const size = options.size ?? order.size - order.fillVolume;
    if (!Number.isInteger(size) || size <= 0 || size > order.size - order.fillVolume) {
      throw new FakeBrokerError(
        'FAKE_BROKER_INVALID_ARGUMENT',
        `invalid fill size ${size} for order ${orderId}`,
      );
    }
    const price =
      options.price ?? order.limitPrice ?? order.stopPrice ?? this.marketPrice(order.contractId, order.side);
    if (price === null) {
      throw new FakeBrokerError('FAKE_BROKER_NO_PRICE', `no price to fill order ${orderId}: pass one`);
    }
    const result = this.fillWorking(order, size, price);
    this.flush();
    return result;
  }

  /** The trader cancels a working order. */
  traderCancel(orderId: OrderId): Order {
    const order = this.orderOrThrow(orderId);
    if (!WORKING_ORDER_STATUSES.has(order.status)) {
      throw new FakeBrokerError('FAKE_BROKER_INVALID_ARGUMENT', `order ${orderId} is not working`);
    }
    const cancelled = this.cancelNow(order);
    this.flush();
    return cancelled;
  }

  /** The broker voids a fill: its P&L and fees are taken back out of the balance. */
  voidFill(fillId: number): Fill {
    for (const [accountId, list] of this.fills) {
      const index = list.findIndex((f) => f.id === fillId);
      const fill = list[index];
      if (!fill) continue;
      if (fill.voided) return fill;
      const voided: Fill = { ...fill, voided: true };
      list[index] = voided;
      this.send({ kind: 'fill', accountId, fill: voided, brokerTime: this.clock.now(), origin: 'stream' });
      this.adjustBalance(accountId, -((fill.profitAndLoss ?? 0) - fill.fees));
      this.flush();
      return voided;
    }
    throw new FakeBrokerError('FAKE_BROKER_INVALID_ARGUMENT', `unknown fill ${fillId}`);
  }

  /** The broker's `canTrade` flag changes (an account event is emitted). */
  setCanTrade(accountId: AccountId, canTrade: boolean): void {
    const account = this.accountOrThrow(accountId);
    if (account.canTrade === canTrade) return;
    this.updateAccount({ ...account, canTrade });
    this.flush();
  }

  setBalance(accountId: AccountId, balance: Micros): void {
    this.updateAccount({ ...this.accountOrThrow(accountId), balance });
    this.flush();
  }

  /**
   * Makes the broker refuse every action on the account with `account-rejected` (ProjectX does so
   * for live accounts), until called again with `false`.
   */
  refuseActions(accountId: AccountId, refuse = true): void {
    if (refuse) this.refused.add(accountId);
    else this.refused.delete(accountId);
  }

  // ---------------------------------------------------------------- test controls: inspection

  /** The broker's own position (undefined when flat). */
  position(accountId: AccountId, contractId: ContractId): FakePositionState | undefined {
    const p = this.positions.get(accountId)?.get(contractId);
    if (!p) return undefined;
    const contract = this.contractOrThrow(contractId);
    return {
      id: p.id,
      side: p.side,
      size: p.size,
      averageTicks: p.avgTicks,
      averagePrice: roundPrice(p.avgTicks * contract.tickSize),
      openedAt: p.openedAt,
    };
  }

  /** Signed size: + long, - short, 0 flat. */
  netSize(accountId: AccountId, contractId: ContractId): number {
    const p = this.positions.get(accountId)?.get(contractId);
    if (!p) return 0;
    return p.side === 'long' ? p.size : -p.size;
  }

  account(accountId: AccountId): Account {
    return this.accountOrThrow(accountId);
  }

  order(orderId: OrderId): Order {
    return this.orderOrThrow(orderId);
  }

  accountFills(accountId: AccountId): readonly Fill[] {
    return this.fills.get(accountId) ?? [];
  }

  /** Requests of one kind (all when absent), optionally for one account and contract. */
  requestsOf(kind?: FakeActionKind, accountId?: AccountId, contractId?: ContractId): FakeBrokerRequest[] {
    return this.requests.filter(
      (r) =>
        (kind === undefined || r.kind === kind) &&
        (accountId === undefined || r.accountId === accountId) &&
        (contractId === undefined || r.contractId === contractId),
    );
  }

  /** Called synchronously when a request arrives, before the broker acts on it. */
  onRequest(listener: (request: FakeBrokerRequest) => void): Unsubscribe {
    this.requestListeners.add(listener);
    return () => {
      this.requestListeners.delete(listener);
    };
  }

  // ---------------------------------------------------------------- failure injection

  /** Applies `fault` to the next matching action requests (first injected, first used). */
  injectActionFault(fault: FakeActionFault): FaultHandle {
    return this.addFault(this.actionFaults, fault);
  }

  /** The next `times` requests of `kind` are rejected with `code`. */
  rejectNext(kind: FakeActionKind, code: RejectCode, times = 1, message?: string): FaultHandle {
    return this.injectActionFault({
      kinds: [kind],
      times,
      effect: message === undefined ? { type: 'reject', code } : { type: 'reject', code, message },
    });
  }

  /** The next `times` requests of `kind` get no usable answer; they happened when `executed`. */
  uncertainNext(kind: FakeActionKind, executed: boolean, times = 1): FaultHandle {
    return this.injectActionFault({ kinds: [kind], times, effect: { type: 'uncertain', executed } });
  }

  /** The next `times` requests of `kind` are answered `ok` but never execute. */
  acceptWithoutExecuting(kind: FakeActionKind, times = 1): FaultHandle {
    return this.injectActionFault({ kinds: [kind], times, effect: { type: 'accept-without-executing' } });
  }

  /** The answers to the next `times` requests (of `kind`, or any) arrive `ms` late. */
  delayResponses(ms: number, times = 1, kind?: FakeActionKind): FaultHandle {
    return this.injectActionFault({
      ...(kind ? { kinds: [kind] } : {}),
      times,
      effect: { type: 'ok' },
      delayMs: ms,
    });
  }

  /** Applies `fault` to the next matching events the broker sends. */
  injectEventFault(fault: FakeEventFault): FaultHandle {
    return this.addFault(this.eventFaults, fault);
  }

  /** Drops the next matching events (default: the next one of any kind). */
  dropEvents(match: Omit<FakeEventFault, 'effect'> = {}): FaultHandle {
    return this.injectEventFault({ ...match, effect: { type: 'drop' } });
  }

  /** Delays the next matching events by `ms` on the clock. */
  delayEvents(ms: number, match: Omit<FakeEventFault, 'effect'> = {}): FaultHandle {
    return this.injectEventFault({ ...match, effect: { type: 'delay', ms } });
  }

  /** Delivers the next matching events twice (or `count` extra times). */
  duplicateEvents(match: Omit<FakeEventFault, 'effect'> = {}, count = 1): FaultHandle {
    return this.injectEventFault({ ...match, effect: { type: 'duplicate', count } });
  }

  /** Removes every injected fault. */
  clearFaults(): void {
    this.actionFaults.length = 0;
    this.eventFaults.length = 0;
  }

  // ---------------------------------------------------------------- internals: actions

  private act(
    kind: FakeActionKind,
    accountId: AccountId,
    contractId: ContractId | null,
    orderId: OrderId | null,
    size: number | null,
    options: ActionOptions,
    execute: () => Executed,
  ): Promise<ActionResult> {
    const request: MutableRequest = {
      seq: this.nextRequestSeq++,
      at: this.clock.now(),
      kind,
      accountId,
      contractId,
      orderId,
      size,
      priority: options.priority,
      idempotencyKey: options.idempotencyKey ?? null,
      result: { status: 'uncertain', reason: 'not answered yet' },
      executed: false,
    };
    this.requests.push(request);
    for (const listener of this.requestListeners) listener(request);

    const refused = this.refused.has(accountId);
    const fault = refused
      ? undefined
      : this.takeFault(this.actionFaults, (f) => this.matchesAction(f, kind, accountId, contractId));
    let result: ActionResult;
    if (refused) {
      result = this.rejection(kind, 'account-rejected', 'Live accounts not supported');
    } else if (!fault || fault.effect.type === 'ok') {
      [result, request.executed] = execute();
    } else if (fault.effect.type === 'reject') {
      result = this.rejection(kind, fault.effect.code, fault.effect.message);
    } else if (fault.effect.type === 'uncertain') {
      if (fault.effect.executed) request.executed = execute()[1];
      result = { status: 'uncertain', reason: fault.effect.reason ?? 'no answer from the broker' };
    } else {
      result = { status: 'ok' };
    }
    request.result = result;
    this.scheduleFlush();
    const delay = fault?.delayMs ?? this.responseDelayMs;
    if (delay <= 0) return Promise.resolve(result);
    return new Promise((resolve) => {
      this.clock.scheduleIn(delay, () => resolve(result));
    });
  }

  private matchesAction(
    fault: FakeActionFault,
    kind: FakeActionKind,
    accountId: AccountId,
    contractId: ContractId | null,
  ): boolean {
    return (
      (!fault.kinds || fault.kinds.includes(kind)) &&
      (fault.accountId === undefined || fault.accountId === accountId) &&
      (fault.contractId === undefined || fault.contractId === contractId)
    );
  }

  private rejection(kind: FakeActionKind, code: RejectCode, message?: string): ActionResult {
    return {
      status: 'rejected',
      code,
      brokerCode: BROKER_CODES[kind][code] ?? BROKER_CODES[kind].unknown ?? 0,
      message: message ?? code,
    };
  }

  private checkAccount(kind: FakeActionKind, accountId: AccountId): ActionResult | undefined {
    return this.accountsById.has(accountId)
      ? undefined
      : this.rejection(kind, 'account-not-found', 'Account not found');
  }

  private checkContract(kind: FakeActionKind, contractId: ContractId): ActionResult | undefined {
    const contract = this.contracts.get(contractId);
    if (!contract) return this.rejection(kind, 'contract-not-found', 'Contract not found');
    if (!contract.active) return this.rejection(kind, 'contract-not-active', 'Contract not active');
    return undefined;
  }

  private closeAtMarket(
    kind: FakeActionKind,
    accountId: AccountId,
    contractId: ContractId,
    position: MutablePosition,
    size: number,
  ): Executed {
    const side: Side = position.side === 'long' ? 'sell' : 'buy';
    const price = this.marketPrice(contractId, side);
    // ProjectX answers OrderRejected (with no message) when it has no current price.
    if (price === null) return [this.rejection(kind, 'order-rejected', 'No current price'), false];
    // Closing orders are accepted even while the broker reports canTrade: false (they reduce risk).
    const order = this.newOrder(accountId, contractId, { type: OrderType.Market, side, size }, true);
    this.runMarketOrder(order, price);
    return [{ status: 'ok' }, true];
  }

  // ---------------------------------------------------------------- internals: orders and fills

  private newOrder(
    accountId: AccountId,
    contractId: ContractId,
    request: FakeOrderRequest,
    closing = false,
  ): Order {
    const account = this.accountOrThrow(accountId);
    const now = this.clock.now();
    const order: Order = {
      id: this.nextOrderId++,
      accountId,
      contractId,
      type: request.type,
      side: request.side,
      size: request.size,
      status: account.canTrade || closing ? OrderStatus.Open : OrderStatus.Rejected,
      limitPrice: request.limitPrice ?? null,
      stopPrice: request.stopPrice ?? null,
      fillVolume: 0,
      filledPrice: null,
      customTag: request.customTag ?? null,
      createdAt: now,
      updatedAt: now,
    };
    this.orders.set(order.id, order);
    if (order.status === OrderStatus.Rejected) this.send(this.orderDraft(order));
    return order;
  }

  private runMarketOrder(order: Order, price: number): FakeTradeResult {
    if (order.status === OrderStatus.Rejected) return { order, fills: [] };
    this.send(this.orderDraft(order));
    return this.fillWorking(order, order.size, price);
  }

  /** Fills `size` of a working order at `price`: fills, order update, position, account. */
  private fillWorking(order: Order, size: number, price: number): FakeTradeResult {
    const contract = this.contractOrThrow(order.contractId);
    const fills = this.applyFill(order, size, price, contract);
    const fillVolume = order.fillVolume + size;
    const filledPrice =
      order.filledPrice === null
        ? price
        : roundPrice((order.filledPrice * order.fillVolume + price * size) / fillVolume);
    const updated: Order = {
      ...order,
      fillVolume,
      filledPrice,
      status: fillVolume >= order.size ? OrderStatus.Filled : order.status,
      updatedAt: this.clock.now(),
    };
    this.orders.set(order.id, updated);
    this.send(this.orderDraft(updated));
    this.sendPosition(order.accountId, order.contractId);
    let delta = 0;
    for (const fill of fills) delta += (fill.profitAndLoss ?? 0) - fill.fees;
    this.adjustBalance(order.accountId, delta);
    return { order: updated, fills };
  }

  /** Position arithmetic of one execution; returns its fills (a flip is a closing and an opening fill). */
  private applyFill(order: Order, size: number, price: number, contract: Contract): Fill[] {
    const accountId = order.accountId;
    const ticks = priceToTicks(price, contract.tickSize);
    const book = this.positionsOf(accountId);
    const position = book.get(contract.id);
    const direction: PositionSide = order.side === 'buy' ? 'long' : 'short';
    const now = this.clock.now();
    const fills: Fill[] = [];
    const feePerContract = this.fees[contract.symbol] ?? 0;
    const record = (fillSize: number, pnl: Micros | null): void => {
      const fill: Fill = {
        id: this.nextFillId++,
        accountId,
        contractId: contract.id,
        orderId: order.id,
        side: order.side,
        size: fillSize,
        price,
        profitAndLoss: pnl,
        fees: feePerContract * fillSize,
        voided: false,
        time: now,
      };
      fills.push(fill);
      this.fillsOf(accountId).push(fill);
      this.send({ kind: 'fill', accountId, fill, brokerTime: now, origin: 'stream' });
    };

    if (!position || position.side === direction) {
      if (position) {
        position.avgTicks = (position.avgTicks * position.size + ticks * size) / (position.size + size);
        position.size += size;
      } else {
        book.set(contract.id, {
          id: this.nextPositionId++,
          side: direction,
          size,
          avgTicks: ticks,
          openedAt: now,
        });
      }
      record(size, null);
      return fills;
    }

    const closing = Math.min(size, position.size);
    const sign = position.side === 'long' ? 1 : -1;
    // Gross P&L of the closed part, exact in ticks; rounded to whole micros only when the average
    // entry lies between ticks.
    record(closing, Math.round((ticks - position.avgTicks) * sign * closing * contract.tickValue));
    position.size -= closing;
    const rest = size - closing;
    if (position.size === 0) book.delete(contract.id);
    if (rest > 0) {
      book.set(contract.id, {
        id: this.nextPositionId++,
        side: direction,
        size: rest,
        avgTicks: ticks,
        openedAt: now,
      });
      record(rest, null);
    }
    return fills;
  }

  private cancelNow(order: Order): Order {
    const cancelled: Order = { ...order, status: OrderStatus.Cancelled, updatedAt: this.clock.now() };
    this.orders.set(order.id, cancelled);
    this.send(this.orderDraft(cancelled));
    return cancelled;
  }

  private triggerPrice(order: Order, quote: Quote): number | null {
    const buy = order.side === 'buy';
    const ask = quote.ask ?? quote.last;
    const bid = quote.bid ?? quote.last;
    switch (order.type) {
      case OrderType.Limit:
        if (order.limitPrice === null) return null;
        if (buy) return quote.ask !== null && quote.ask <= order.limitPrice ? order.limitPrice : null;
        return quote.bid !== null && quote.bid >= order.limitPrice ? order.limitPrice : null;
      case OrderType.Stop:
      case OrderType.TrailingStop:
      case OrderType.StopLimit: {
        if (order.stopPrice === null) return null;
        const reached = buy ? ask !== null && ask >= order.stopPrice : bid !== null && bid <= order.stopPrice;
        if (!reached) return null;
        if (order.type === OrderType.StopLimit && order.limitPrice !== null) return order.limitPrice;
        return buy ? ask : bid;
      }
      default:
        return null;
    }
  }

  private marketPrice(contractId: ContractId, side: Side): number | null {
    const quote = this.quotes.get(contractId);
    if (!quote) return null;
    return (side === 'buy' ? quote.ask : quote.bid) ?? quote.last;
  }

  private adjustBalance(accountId: AccountId, delta: Micros): void {
    const account = this.accountOrThrow(accountId);
    this.updateAccount({ ...account, balance: account.balance + delta });
  }

  private updateAccount(account: Account): void {
    this.accountsById.set(account.id, account);
    this.send({
      kind: 'account',
      accountId: account.id,
      account,
      brokerTime: this.clock.now(),
      origin: 'stream',
    });
  }

  private sendPosition(accountId: AccountId, contractId: ContractId): void {
    const truth = this.positions.get(accountId)?.get(contractId);
    let position: BrokerPosition;
    if (truth) {
      position = this.toBrokerPosition(accountId, contractId, truth);
    } else {
      // A closed position is reported once more with size 0 (the last one the broker had).
      const last = this.lastPositionSent.get(positionKey(accountId, contractId));
      if (!last) return;
      position = { ...last, size: 0 };
    }
    this.lastPositionSent.set(positionKey(accountId, contractId), position);
    this.send({ kind: 'position', accountId, position, brokerTime: this.clock.now(), origin: 'stream' });
  }

  private toBrokerPosition(accountId: AccountId, contractId: ContractId, p: MutablePosition): BrokerPosition {
    const contract = this.contractOrThrow(contractId);
    return {
      id: p.id,
      accountId,
      contractId,
      side: p.side,
      size: p.size,
      averagePrice: roundPrice(p.avgTicks * contract.tickSize),
      openedAt: p.openedAt,
    };
  }

  private orderDraft(order: Order): FakeEventDraft {
    return {
      kind: 'order',
      accountId: order.accountId,
      order,
      brokerTime: order.updatedAt ?? order.createdAt,
      origin: 'stream',
    };
  }

  // ---------------------------------------------------------------- internals: delivery

  /** The broker sends an event: faults apply; while disconnected it is lost. */
  private send(draft: FakeEventDraft): void {
    if (this.state !== 'connected') {
      this.undelivered.push(draft);
      return;
    }
    const fault = this.takeFault(this.eventFaults, (f) => this.matchesEvent(f, draft));
    if (!fault) {
      this.enqueue(draft);
      return;
    }
    switch (fault.effect.type) {
      case 'drop':
        this.undelivered.push(draft);
        return;
      case 'delay':
        this.clock.scheduleIn(fault.effect.ms, () => {
          if (this.state !== 'connected') {
            this.undelivered.push(draft);
            return;
          }
          this.enqueue(draft);
          this.flush();
        });
        return;
      case 'duplicate':
        for (let i = 0; i <= (fault.effect.count ?? 1); i++) this.enqueue(draft);
        return;
    }
  }

  private matchesEvent(fault: FakeEventFault, draft: FakeEventDraft): boolean {
    if (fault.kinds && !fault.kinds.includes(draft.kind)) return false;
    if (fault.accountId !== undefined && (!('accountId' in draft) || draft.accountId !== fault.accountId)) {
      return false;
    }
    if (fault.contractId !== undefined && draftContractId(draft) !== fault.contractId) return false;
    return true;
  }

  private enqueue(draft: FakeEventDraft): void {
    // Stamped when it is handed over, as the adapter does on receipt.
    this.outbox.push({ ...draft, receivedAt: 0, receivedNs: 0n } as BrokerEvent);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Delivers queued events in order; events queued by listeners meanwhile join the same loop. */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    let failure: unknown;
    let failed = false;
    try {
      for (let event = this.outbox.shift(); event; event = this.outbox.shift()) {
        const stamped = { ...event, receivedAt: this.clock.now(), receivedNs: this.clock.monotonicNs() };
        this.remember(stamped);
        if (this.recordEvents) this.events.push(stamped);
        for (const listener of [...this.listeners]) {
          try {
            listener(stamped);
          } catch (err) {
            if (!failed) {
              failed = true;
              failure = err;
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
    if (failed) throw failure;
  }

  private remember(event: BrokerEvent): void {
    switch (event.kind) {
      case 'fill':
        this.deliveredFills.set(event.fill.id, event.fill.voided);
        break;
      case 'order':
        this.deliveredOrders.set(event.order.id, event.order);
        break;
      case 'position':
        this.deliveredPositions.set(positionKey(event.accountId, event.position.contractId), event.position);
        break;
      case 'account':
        this.deliveredAccounts.set(event.accountId, event.account);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- internals: faults and lookups

  private addFault<F extends { readonly times?: number }>(list: ActiveFault<F>[], fault: F): FaultHandle {
    const times = fault.times ?? 1;
    if (!(times > 0)) throw new FakeBrokerError('FAKE_BROKER_INVALID_ARGUMENT', `fault times must be > 0`);
    const entry: ActiveFault<F> = { fault, remaining: times };
    list.push(entry);
    return {
      remove: () => {
        const index = list.indexOf(entry);
        if (index >= 0) list.splice(index, 1);
      },
    };
  }

  private takeFault<F>(list: ActiveFault<F>[], matches: (fault: F) => boolean): F | undefined {
    const index = list.findIndex((entry) => matches(entry.fault));
    const entry = list[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) list.splice(index, 1);
    return entry.fault;
  }

  private positionsOf(accountId: AccountId): Map<ContractId, MutablePosition> {
    let book = this.positions.get(accountId);
    if (!book) {
      book = new Map();
      this.positions.set(accountId, book);
    }
    return book;
  }

  private fillsOf(accountId: AccountId): Fill[] {
    let list = this.fills.get(accountId);
    if (!list) {
      list = [];
      this.fills.set(accountId, list);
    }
    return list;
  }

  private accountOrThrow(accountId: AccountId): Account {
    const account = this.accountsById.get(accountId);
    if (!account) throw new FakeBrokerError('FAKE_BROKER_UNKNOWN_ACCOUNT', `unknown account ${accountId}`);
    return account;
  }

  private contractOrThrow(contractId: ContractId): Contract {
    const contract = this.contracts.get(contractId);
    if (!contract)
      throw new FakeBrokerError('FAKE_BROKER_UNKNOWN_CONTRACT', `unknown contract ${contractId}`);
    return contract;
  }

  private orderOrThrow(orderId: OrderId): Order {
    const order = this.orders.get(orderId);
    if (!order) throw new FakeBrokerError('FAKE_BROKER_UNKNOWN_ORDER', `unknown order ${orderId}`);
    return order;
  }

  private checkSize(size: number): void {
    if (!Number.isInteger(size) || size <= 0) {
      throw new FakeBrokerError(
        'FAKE_BROKER_INVALID_ARGUMENT',
        `size must be a positive integer, got ${size}`,
      );
    }
  }
}

function positionKey(accountId: AccountId, contractId: ContractId): string {
  return `${accountId}|${contractId}`;
}

function splitPositionKey(key: string): [AccountId, ContractId] {
  const bar = key.indexOf('|');
  return [Number(key.slice(0, bar)), key.slice(bar + 1)];
}

function draftContractId(draft: FakeEventDraft): ContractId | undefined {
  switch (draft.kind) {
    case 'fill':
      return draft.fill.contractId;
    case 'order':
      return draft.order.contractId;
    case 'position':
      return draft.position.contractId;
    case 'quote':
      return draft.quote.contractId;
    case 'contract':
      return draft.contract.id;
    default:
      return undefined;
  }
}
