import { ControlError } from './errors.js';
import {
  CancelOrderErrorCode,
  ClosePositionErrorCode,
  ModifyOrderErrorCode,
  PartialClosePositionErrorCode,
  PlaceOrderErrorCode,
  SearchOrderErrorCode,
  SearchPositionErrorCode,
  SearchTradeErrorCode,
} from './error-codes.js';
import type { FaultController } from './faults.js';
import type { BracketMode, FixtureAccount, FixtureIds, FixtureUser } from './fixture.js';
import { isTickAligned, roundCents, roundPrice, wireTimestamp } from './format.js';
import type { ContractState, MarketData } from './market-data.js';
import { applyFill, fillFees, type PositionBook } from './position-math.js';
import type { Variants } from './variants.js';
import {
  OrderStatus,
  OrderType,
  type UserEventName,
  type WireAccount,
  type WireOrder,
  type WirePosition,
  type WireTrade,
} from './wire.js';

/** Where the engine sends user-hub events (the hub server fans them out per subscription). */
export type UserEventSink = (accountId: number, name: UserEventName, payload: object) => void;

/** An account as the engine keeps it: the wire model plus owner and simulator settings. */
export interface AccountState extends WireAccount {
  userName: string;
  bracketMode: BracketMode;
  rejecting: boolean;
}

/** Changes the control API may make to an account. */
export interface AccountPatch {
  name?: string;
  balance?: number;
  canTrade?: boolean;
  isVisible?: boolean;
  simulated?: boolean;
  bracketMode?: BracketMode;
  rejecting?: boolean;
}

interface BracketSpec {
  ticks: number;
  type: number;
}

interface OrderState {
  wire: WireOrder;
  /** Trailing distance in price units (TrailingStop only). */
  trailDistance: number | null;
  /** StopLimit: the stop has triggered and the order now works as a limit. */
  triggered: boolean;
  /** Auto-OCO parent: its suspended children. */
  children: number[];
  /** Auto-OCO child: its role, parent and the other leg. */
  bracket: { role: 'stopLoss' | 'takeProfit'; parentId: number; ticks: number; peerId: number | null } | null;
}

/** The engine's answer to a REST action: the endpoint's errorCode and message, plus payload. */
export interface EngineResult {
  errorCode: number;
  errorMessage: string | null;
}

type Body = Record<string, unknown>;

const WORKING = new Set<number>([OrderStatus.Open, OrderStatus.Pending, OrderStatus.Suspended]);

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function ok(): EngineResult {
  return { errorCode: 0, errorMessage: null };
}

function fail(errorCode: number, errorMessage: string | null): EngineResult {
  return { errorCode, errorMessage };
}

/**
 * Accounts, orders, positions and fills. Orders match against each contract's quote: market
 * orders and marketable limits fill at the touch (buy at the ask, sell at the bid), resting limits
 * at their limit price, stops trigger when the touch reaches the stop price and fill at the touch.
 * Every state change emits the user-hub events of Appendix B, in its order.
 */
export class TradingEngine {
  private readonly users = new Map<string, FixtureUser>();
  private readonly accounts = new Map<number, AccountState>();
  private readonly orders = new Map<number, OrderState>();
  private readonly working = new Map<string, Set<OrderState>>();
  private readonly positions = new Map<string, WirePosition>();
  private readonly trades: WireTrade[] = [];
  private nextOrderId: number;
  private nextTradeId: number;
  private nextPositionId: number;

  constructor(
    private readonly deps: {
      now: () => number;
      market: MarketData;
      variants: () => Variants;
      faults: FaultController;
      emit: UserEventSink;
      ids?: FixtureIds;
    },
  ) {
    this.nextOrderId = deps.ids?.order ?? 1_800_000_001;
    this.nextTradeId = deps.ids?.trade ?? 1_300_000_001;
    this.nextPositionId = deps.ids?.position ?? 500_001;
  }

  // ---- users and accounts --------------------------------------------------------------------

  addUser(user: FixtureUser): void {
    const key = user.userName.toLowerCase();
    if (this.users.has(key)) throw new ControlError('CONFLICT', `user ${user.userName} exists`);
    this.users.set(key, { ...user, userId: user.userId ?? 100_001 + this.users.size });
  }

  /** User names compare case-insensitively (QM-API §5.1). */
  findUser(userName: string): FixtureUser | undefined {
    return this.users.get(userName.toLowerCase());
  }

  listUsers(): FixtureUser[] {
    return [...this.users.values()];
  }

  addAccount(account: FixtureAccount, defaultUser: string): AccountState {
    if (this.accounts.has(account.id)) throw new ControlError('CONFLICT', `account ${account.id} exists`);
    const owner = account.userName ?? defaultUser;
    const user = this.findUser(owner);
    if (!user) throw new ControlError('NOT_FOUND', `no user ${owner}`);
    const state: AccountState = {
      id: account.id,
      name: account.name,
      balance: account.balance,
      canTrade: account.canTrade,
      isVisible: account.isVisible,
      simulated: account.simulated,
      userName: user.userName,
      bracketMode: account.bracketMode ?? 'position',
      rejecting: account.rejecting ?? false,
    };
    this.accounts.set(state.id, state);
    return state;
  }

  /** Applies a control change; balance and canTrade changes (any wire field) emit GatewayUserAccount. */
  updateAccount(id: number, patch: AccountPatch): AccountState {
    const account = this.accounts.get(id);
    if (!account) throw new ControlError('NOT_FOUND', `no account ${id}`);
    const before = JSON.stringify(wireAccount(account));
    if (patch.name !== undefined) account.name = patch.name;
    if (patch.balance !== undefined) account.balance = roundCents(patch.balance);
    if (patch.canTrade !== undefined) account.canTrade = patch.canTrade;
    if (patch.isVisible !== undefined) account.isVisible = patch.isVisible;
    if (patch.simulated !== undefined) account.simulated = patch.simulated;
    if (patch.bracketMode !== undefined) account.bracketMode = patch.bracketMode;
    if (patch.rejecting !== undefined) account.rejecting = patch.rejecting;
    if (JSON.stringify(wireAccount(account)) !== before) this.emitAccount(account);
    return account;
  }

  getAccount(id: number): AccountState | undefined {
    return this.accounts.get(id);
  }

  listAccounts(): AccountState[] {
    return [...this.accounts.values()];
  }

  /** Account/search: the user's accounts; `onlyActiveAccounts` keeps the visible ones. */
  searchAccounts(userName: string | null, onlyActive: boolean): WireAccount[] {
    return this.listAccounts()
      .filter((a) => userName === null || a.userName.toLowerCase() === userName.toLowerCase())
      .filter((a) => !onlyActive || a.isVisible)
      .map(wireAccount);
  }

  /** The account if it exists and belongs to the user (null user = the control API: any account). */
  private account(userName: string | null, accountId: unknown): AccountState | undefined {
    const id = num(accountId);
    if (id === null) return undefined;
    const account = this.accounts.get(id);
    if (!account) return undefined;
    if (userName !== null && account.userName.toLowerCase() !== userName.toLowerCase()) return undefined;
    return account;
  }

  /** Whether the user owns the account (hub subscriptions check this). */
  ownsAccount(userName: string, accountId: number): boolean {
    return this.account(userName, accountId) !== undefined;
  }

  // ---- searches -------------------------------------------------------------------------------

  searchOrders(
    userName: string | null,
    body: Body,
    range: { startMs: number; endMs: number },
  ): EngineResult & { orders: WireOrder[] } {
    const account = this.account(userName, body['accountId']);
    if (!account) return { ...fail(SearchOrderErrorCode.AccountNotFound, 'Account not found.'), orders: [] };
    const orders = [...this.orders.values()]
      .filter((o) => o.wire.accountId === account.id)
      .filter((o) => {
        const t = Date.parse(o.wire.creationTimestamp);
        return t >= range.startMs && t <= range.endMs;
      })
      .map((o) => ({ ...o.wire }));
    return { ...ok(), orders };
  }

  /** Order/searchOpen: Open and Pending orders (Suspended bracket children are excluded, §5.6). */
  searchOpenOrders(userName: string | null, body: Body): EngineResult & { orders: WireOrder[] } {
    const account = this.account(userName, body['accountId']);
    if (!account) return { ...fail(SearchOrderErrorCode.AccountNotFound, 'Account not found.'), orders: [] };
    const orders = [...this.orders.values()]
      .filter(
        (o) =>
          o.wire.accountId === account.id &&
          (o.wire.status === OrderStatus.Open || o.wire.status === OrderStatus.Pending),
      )
      .map((o) => ({ ...o.wire }));
    return { ...ok(), orders };
  }

  searchOpenPositions(userName: string | null, body: Body): EngineResult & { positions: WirePosition[] } {
    const account = this.account(userName, body['accountId']);
    if (!account) {
      return { ...fail(SearchPositionErrorCode.AccountNotFound, 'Account not found.'), positions: [] };
    }
    const positions: WirePosition[] = [];
    for (const p of this.positions.values()) if (p.accountId === account.id) positions.push({ ...p });
    return { ...ok(), positions };
  }

  searchTrades(
    userName: string | null,
    body: Body,
    range: { startMs: number; endMs: number },
  ): EngineResult & { trades: WireTrade[] } {
    const account = this.account(userName, body['accountId']);
    if (!account) return { ...fail(SearchTradeErrorCode.AccountNotFound, 'Account not found.'), trades: [] };
    const trades = this.trades
      .filter((t) => t.accountId === account.id)
      .filter((t) => {
        const ms = Date.parse(t.creationTimestamp);
        return ms >= range.startMs && ms <= range.endMs;
      })
      .map((t) => ({ ...t }));
    return { ...ok(), trades };
  }

  /** Every order, position and trade (the control API's state view). */
  snapshot(): { orders: WireOrder[]; positions: WirePosition[]; trades: WireTrade[] } {
    return {
      orders: [...this.orders.values()].map((o) => ({ ...o.wire })),
      positions: [...this.positions.values()].map((p) => ({ ...p })),
      trades: this.trades.map((t) => ({ ...t })),
    };
  }

  // ---- Order/place ----------------------------------------------------------------------------

  placeOrder(userName: string | null, body: Body): EngineResult & { orderId: number | null } {
    const E = PlaceOrderErrorCode;
    const reject = (code: number, message: string | null) => ({ ...fail(code, message), orderId: null });
    const account = this.account(userName, body['accountId']);
    if (!account) return reject(E.AccountNotFound, 'Account not found.');
    if (account.rejecting) return reject(E.AccountRejected, 'Live accounts not supported');
    const contractId = typeof body['contractId'] === 'string' ? body['contractId'] : '';
    const state = this.deps.market.get(contractId);
    if (!state) return reject(E.ContractNotFound, 'Invalid symbol');
    if (!state.contract.activeContract) return reject(E.ContractNotActive, 'Contract is not active');
    if (!account.canTrade) return reject(E.AccountViolation, 'Account is not allowed to trade');
    if (account.balance <= 0) return reject(E.InsufficientFunds, 'Insufficient funds');
    if (!state.marketOpen) return reject(E.OutsideTradingHours, 'Outside of trading hours');

    const type = num(body['type']);
    const side = num(body['side']);
    const size = num(body['size']);
    const tick = state.contract.tickSize;
    if (type === null || !Number.isInteger(type) || type < 1 || type > 7)
      return reject(E.OrderRejected, 'Invalid order type');
    if (type === OrderType.StopLimit && !this.deps.variants().stopLimitPlaceable) {
      return reject(E.OrderRejected, 'Invalid order type');
    }
    if (side !== 0 && side !== 1) return reject(E.OrderRejected, 'Invalid order side');
    if (size === null || !Number.isInteger(size) || size <= 0)
      return reject(E.OrderRejected, 'Invalid order size');
    const customTag =
      typeof body['customTag'] === 'string' && body['customTag'] !== '' ? body['customTag'] : null;
    if (customTag !== null) {
      for (const o of this.orders.values()) {
        if (o.wire.accountId === account.id && o.wire.customTag === customTag) {
          return reject(E.OrderRejected, 'Custom tag must be unique for the account');
        }
      }
    }
    const buy = side === 0;
    let limitPrice: number | null = null;
    let stopPrice: number | null = null;
    let trailDistance: number | null = null;
    const needs = (value: unknown, what: string): number | string => {
      const price = num(value);
      if (price === null || price <= 0) return `${what} is required`;
      if (!isTickAligned(price, tick))
        return `Invalid ${what.toLowerCase()}. Price is not aligned to tick size.`;
      return roundPrice(price);
    };
    if (type === OrderType.Limit || type === OrderType.StopLimit) {
      const p = needs(body['limitPrice'], 'Limit price');
      if (typeof p === 'string') return reject(E.OrderRejected, p);
      limitPrice = p;
    }
    if (type === OrderType.Stop || type === OrderType.StopLimit) {
      const p = needs(body['stopPrice'], 'Stop price');
      if (typeof p === 'string') return reject(E.OrderRejected, p);
      if (buy ? state.ask >= p : state.bid <= p) {
        return reject(E.OrderRejected, 'Invalid stop price: the stop is through the market');
      }
      stopPrice = p;
    }
    if (type === OrderType.TrailingStop) {
      const trail = num(body['trailPrice']);
      if (trail === null) return reject(E.OrderRejected, 'Trail Distance not set.');
      if (!isTickAligned(trail, tick))
        return reject(E.OrderRejected, 'Invalid trail price. Price is not aligned to tick size.');
      if (!(state.last > 0)) return reject(E.OrderRejected, 'Cannot trail without a last price');
      // The trail price is an absolute level; the distance is whole ticks from the last price (§5.4).
      const ticks = Math.floor(Math.abs(state.last - trail) / tick + 1e-9);
      if (ticks === 0) return reject(E.OrderRejected, 'Trail Distance not set.');
      if (ticks > 1000) return reject(E.OrderRejected, 'Trail Distance exceeds maximum (1000)');
      trailDistance = roundPrice(ticks * tick);
      stopPrice = roundPrice(buy ? state.ask + trailDistance : state.bid - trailDistance);
    }
    if (type === OrderType.JoinBid) limitPrice = state.bid;
    if (type === OrderType.JoinAsk) limitPrice = state.ask;

    const stopLoss = parseBracket(body['stopLossBracket']);
    const takeProfit = parseBracket(body['takeProfitBracket']);
    const hasBrackets = stopLoss !== undefined || takeProfit !== undefined;
    const order = this.newOrder(account, state, { type, side, size, limitPrice, stopPrice, customTag });
    order.trailDistance = trailDistance;
    if (hasBrackets && (account.bracketMode === 'position' || stopLoss === null || takeProfit === null)) {
      // The order is recorded (and its id returned) but rejected, as the gateway does (§5.4).
      order.wire.status = OrderStatus.Rejected;
      this.orders.set(order.wire.id, order);
      this.emitOrder(order);
      const message =
        account.bracketMode === 'position'
          ? 'Brackets cannot be used with Position Brackets enabled. Enable Auto OCO Brackets in your account settings.'
          : 'Invalid bracket';
      return { ...fail(E.OrderRejected, message), orderId: order.wire.id };
    }
    this.orders.set(order.wire.id, order);
    const initial = this.deps.variants().initialOrderStatus;
    order.wire.status = initial;
    this.emitOrder(order);
    if (initial === OrderStatus.Pending) order.wire.status = OrderStatus.Open;
    if (stopLoss || takeProfit)
      this.createBracketChildren(order, account, state, stopLoss ?? null, takeProfit ?? null);
    this.addWorking(order);
    const filled = this.evaluate(order, state, true);
    if (!filled && initial === OrderStatus.Pending) this.emitOrder(order);
    return { ...ok(), orderId: order.wire.id };
  }

  private newOrder(
    account: AccountState,
    state: ContractState,
    fields: {
      type: number;
      side: number;
      size: number;
      limitPrice: number | null;
      stopPrice: number | null;
      customTag: string | null;
    },
  ): OrderState {
    const ts = wireTimestamp(this.deps.now());
    return {
      wire: {
        id: this.nextOrderId++,
        accountId: account.id,
        contractId: state.contract.id,
        symbolId: state.contract.symbolId,
        creationTimestamp: ts,
        updateTimestamp: ts,
        status: OrderStatus.Open,
        type: fields.type,
        side: fields.side,
        size: fields.size,
        limitPrice: fields.limitPrice,
        stopPrice: fields.stopPrice,
        fillVolume: 0,
        filledPrice: null,
        customTag: fields.customTag,
      },
      trailDistance: null,
      triggered: false,
      children: [],
      bracket: null,
    };
  }

  private createBracketChildren(
    parent: OrderState,
    account: AccountState,
    state: ContractState,
    stopLoss: BracketSpec | null,
    takeProfit: BracketSpec | null,
  ): void {
    const legs: OrderState[] = [];
    for (const [role, spec] of [
      ['stopLoss', stopLoss],
      ['takeProfit', takeProfit],
    ] as const) {
      if (!spec) continue;
      const child = this.newOrder(account, state, {
        type: spec.type,
        side: 1 - parent.wire.side,
        size: parent.wire.size,
        limitPrice: null,
        stopPrice: null,
        customTag: null,
      });
      child.wire.status = OrderStatus.Suspended;
      child.bracket = { role, parentId: parent.wire.id, ticks: spec.ticks, peerId: null };
      this.orders.set(child.wire.id, child);
      parent.children.push(child.wire.id);
      legs.push(child);
    }
    if (legs.length === 2) {
      (legs[0] as OrderState).bracket!.peerId = (legs[1] as OrderState).wire.id;
      (legs[1] as OrderState).bracket!.peerId = (legs[0] as OrderState).wire.id;
    }
    for (const leg of legs) {
      this.addWorking(leg);
      this.emitOrder(leg);
    }
  }

  /** Prices the children of a filled auto-OCO parent from its fill price and opens them. */
  private activateChildren(parent: OrderState, state: ContractState, fillPrice: number): void {
    const tick = state.contract.tickSize;
    const buyParent = parent.wire.side === 0;
    for (const id of parent.children) {
      const child = this.orders.get(id);
      if (!child || !child.bracket || child.wire.status !== OrderStatus.Suspended) continue;
      const away = child.bracket.ticks * tick;
      const losing = roundPrice(buyParent ? fillPrice - away : fillPrice + away);
      const winning = roundPrice(buyParent ? fillPrice + away : fillPrice - away);
      const level = child.bracket.role === 'stopLoss' ? losing : winning;
      child.wire.size = parent.wire.fillVolume;
      switch (child.wire.type) {
        case OrderType.Limit:
          child.wire.limitPrice = level;
          break;
        case OrderType.StopLimit:
          child.wire.limitPrice = level;
          child.wire.stopPrice = level;
          break;
        case OrderType.TrailingStop:
          child.trailDistance = roundPrice(away);
          child.wire.stopPrice = level;
          break;
        default:
          child.wire.type = child.wire.type === OrderType.Market ? OrderType.Stop : child.wire.type;
          child.wire.stopPrice = level;
      }
      child.wire.status = OrderStatus.Open;
      child.wire.updateTimestamp = wireTimestamp(this.deps.now());
      this.emitOrder(child);
    }
    for (const id of parent.children) {
      const child = this.orders.get(id);
      if (child && child.wire.status === OrderStatus.Open) this.evaluate(child, state, false);
    }
  }

  // ---- Order/cancel, Order/modify ---------------------------------------------------------------

  cancelOrder(userName: string | null, body: Body): EngineResult {
    const E = CancelOrderErrorCode;
    const account = this.account(userName, body['accountId']);
    if (!account) return fail(E.AccountNotFound, 'Account not found.');
    if (account.rejecting) return fail(E.AccountRejected, 'Follower accounts cannot cancel orders');
    if (!account.simulated && this.deps.variants().restrictCancelOnLiveAccounts) {
      return fail(E.AccountRejected, 'Live accounts not supported');
    }
    const order = this.orders.get(num(body['orderId']) ?? -1);
    if (!order || order.wire.accountId !== account.id) return fail(E.OrderNotFound, 'Order not found.');
    if (!WORKING.has(order.wire.status)) return fail(E.Rejected, 'Order is not working');
    this.cancel(order);
    for (const id of order.children) {
      const child = this.orders.get(id);
      if (child && child.wire.status === OrderStatus.Suspended) this.cancel(child);
    }
    return ok();
  }

  private cancel(order: OrderState): void {
    order.wire.status = OrderStatus.Cancelled;
    order.wire.updateTimestamp = wireTimestamp(this.deps.now());
    this.removeWorking(order);
    this.emitOrder(order);
  }

  modifyOrder(userName: string | null, body: Body): EngineResult {
    const E = ModifyOrderErrorCode;
    const account = this.account(userName, body['accountId']);
    if (!account) return fail(E.AccountNotFound, 'Account not found.');
    if (account.rejecting) return fail(E.AccountRejected, 'Live accounts not supported');
    const order = this.orders.get(num(body['orderId']) ?? -1);
    if (!order || order.wire.accountId !== account.id) return fail(E.OrderNotFound, 'Order not found.');
    const state = this.deps.market.get(order.wire.contractId);
    if (!state) return fail(E.ContractNotFound, 'Contract not found.');
    if (!WORKING.has(order.wire.status)) return fail(E.Rejected, 'Order is not working');
    const tick = state.contract.tickSize;
    const t = order.wire.type;
    const buy = order.wire.side === 0;
    const next = {
      size: order.wire.size,
      limitPrice: order.wire.limitPrice,
      stopPrice: order.wire.stopPrice,
    };
    let trailDistance = order.trailDistance;
    const size = body['size'];
    if (size !== undefined && size !== null) {
      if (num(size) === null || !Number.isInteger(size) || (size as number) <= 0)
        return fail(E.Rejected, 'Invalid order size');
      next.size = size as number;
    }
    const price = (
      key: 'limitPrice' | 'stopPrice' | 'trailPrice',
      allowed: boolean,
    ): number | null | string => {
      const value = body[key];
      if (value === undefined || value === null) return null;
      if (!allowed) return `Cannot modify ${key} of this order type`;
      const p = num(value);
      if (p === null || p <= 0) return `Invalid ${key}`;
      if (!isTickAligned(p, tick)) return `Invalid ${key}. Price is not aligned to tick size.`;
      return roundPrice(p);
    };
    const limit = price(
      'limitPrice',
      t === OrderType.Limit ||
        t === OrderType.StopLimit ||
        t === OrderType.JoinBid ||
        t === OrderType.JoinAsk,
    );
    if (typeof limit === 'string') return fail(E.Rejected, limit);
    if (limit !== null) next.limitPrice = limit;
    const stop = price(
      'stopPrice',
      t === OrderType.Stop || t === OrderType.StopLimit || t === OrderType.TrailingStop,
    );
    if (typeof stop === 'string') return fail(E.Rejected, stop);
    if (stop !== null) next.stopPrice = stop;
    const trail = price('trailPrice', t === OrderType.TrailingStop);
    if (typeof trail === 'string') return fail(E.Rejected, trail);
    if (trail !== null) {
      if (!(state.last > 0)) return fail(E.Rejected, 'Cannot trail without a last price');
      const ticks = Math.floor(Math.abs(state.last - trail) / tick + 1e-9);
      if (ticks === 0) return fail(E.Rejected, 'Trail Distance not set.');
      trailDistance = roundPrice(ticks * tick);
      next.stopPrice = roundPrice(buy ? state.ask + trailDistance : state.bid - trailDistance);
    }
    const isStop =
      t === OrderType.Stop || (t === OrderType.StopLimit && !order.triggered) || t === OrderType.TrailingStop;
    if (
      isStop &&
      order.wire.status !== OrderStatus.Suspended &&
      next.stopPrice !== null &&
      (buy ? state.ask >= next.stopPrice : state.bid <= next.stopPrice)
    ) {
      return fail(E.Rejected, 'Invalid stop price: the stop is through the market');
    }
    order.wire.size = next.size;
    order.wire.limitPrice = next.limitPrice;
    order.wire.stopPrice = next.stopPrice;
    order.trailDistance = trailDistance;
    order.wire.updateTimestamp = wireTimestamp(this.deps.now());
    this.emitOrder(order);
    if (order.wire.status === OrderStatus.Open) this.evaluate(order, state, true);
    return ok();
  }

  // ---- Position/closeContract, Position/partialCloseContract -------------------------------------

  closeContract(userName: string | null, body: Body): EngineResult {
    const E = ClosePositionErrorCode;
    const account = this.account(userName, body['accountId']);
    if (!account) return fail(E.AccountNotFound, 'Account not found.');
    if (account.rejecting) return fail(E.AccountRejected, 'Live accounts not supported');
    const contractId = typeof body['contractId'] === 'string' ? body['contractId'] : '';
    const state = this.deps.market.get(contractId);
    if (!state) return fail(E.ContractNotFound, 'Contract not found.');
    if (!state.contract.activeContract) return fail(E.ContractNotActive, 'Contract is not active');
    const position = this.positions.get(positionKey(account.id, contractId));
    if (!position) return fail(E.PositionNotFound, 'Position not found.');
    if (this.deps.faults.rejectCloses > 0) {
      this.deps.faults.rejectCloses -= 1;
      return fail(E.OrderRejected, null);
    }
    if (!state.marketOpen) return fail(E.OrderRejected, null);
    this.closeWithMarketOrder(account, state, position, position.size);
    return ok();
  }

  partialCloseContract(userName: string | null, body: Body): EngineResult {
    const E = PartialClosePositionErrorCode;
    const account = this.account(userName, body['accountId']);
    if (!account) return fail(E.AccountNotFound, 'Account not found.');
    if (account.rejecting) return fail(E.AccountRejected, 'Live accounts not supported');
    const contractId = typeof body['contractId'] === 'string' ? body['contractId'] : '';
    const state = this.deps.market.get(contractId);
    if (!state) return fail(E.ContractNotFound, 'Contract not found.');
    if (!state.contract.activeContract) return fail(E.ContractNotActive, 'Contract is not active');
    const position = this.positions.get(positionKey(account.id, contractId));
    if (!position) return fail(E.PositionNotFound, 'Position not found.');
    const size = num(body['size']);
    if (size === null || !Number.isInteger(size) || size <= 0 || size > position.size) {
      return fail(E.InvalidCloseSize, 'Invalid close size.');
    }
    if (this.deps.faults.rejectCloses > 0) {
      this.deps.faults.rejectCloses -= 1;
      return fail(E.OrderRejected, null);
    }
    if (!state.marketOpen) return fail(E.OrderRejected, null);
    this.closeWithMarketOrder(account, state, position, size);
    return ok();
  }

  /** A close is a market order on the other side; working orders of the contract stay (§5.3). */
  private closeWithMarketOrder(
    account: AccountState,
    state: ContractState,
    position: WirePosition,
    size: number,
  ): void {
    const side = position.type === 1 ? 1 : 0;
    const order = this.newOrder(account, state, {
      type: OrderType.Market,
      side,
      size,
      limitPrice: null,
      stopPrice: null,
      customTag: null,
    });
    this.orders.set(order.wire.id, order);
    const initial = this.deps.variants().initialOrderStatus;
    order.wire.status = initial;
    this.emitOrder(order);
    order.wire.status = OrderStatus.Open;
    this.addWorking(order);
    this.evaluate(order, state, true);
  }

  // ---- matching -------------------------------------------------------------------------------

  /** Matches the working orders of a contract against its new quote. */
  onMarket(state: ContractState): void {
    if (!state.marketOpen) return;
    const set = this.working.get(state.contract.id);
    if (!set || set.size === 0) return;
    for (const order of [...set]) {
      if (order.wire.status === OrderStatus.Open) this.evaluate(order, state, false);
    }
  }

  /**
   * Fills or triggers one order against the quote. `atEntry` (placement or modification): a
   * marketable limit fills at the touch; a resting limit reached later fills at its limit price.
   * Returns whether the order filled.
   */
  private evaluate(order: OrderState, state: ContractState, atEntry: boolean): boolean {
    if (!state.marketOpen) return false;
    const w = order.wire;
    const buy = w.side === 0;
    const touch = buy ? state.ask : state.bid;
    const limitReached = (limit: number) => (buy ? state.ask <= limit : state.bid >= limit);
    const stopReached = (stop: number) => (buy ? state.ask >= stop : state.bid <= stop);
    switch (w.type) {
      case OrderType.Market:
        this.execute(order, state, touch);
        return true;
      case OrderType.Limit:
      case OrderType.JoinBid:
      case OrderType.JoinAsk: {
        const limit = w.limitPrice as number;
        if (!limitReached(limit)) return false;
        this.execute(order, state, atEntry ? touch : limit);
        return true;
      }
      case OrderType.Stop:
        if (!stopReached(w.stopPrice as number)) return false;
        this.execute(order, state, touch);
        return true;
      case OrderType.TrailingStop: {
        const distance = order.trailDistance as number;
        const candidate = roundPrice(buy ? state.ask + distance : state.bid - distance);
        const current = w.stopPrice as number;
        if (buy ? candidate < current : candidate > current) {
          w.stopPrice = candidate;
          w.updateTimestamp = wireTimestamp(this.deps.now());
          this.emitOrder(order);
        }
        if (!stopReached(w.stopPrice as number)) return false;
        this.execute(order, state, touch);
        return true;
      }
      case OrderType.StopLimit: {
        let entry = atEntry;
        if (!order.triggered) {
          if (!stopReached(w.stopPrice as number)) return false;
          order.triggered = true;
          entry = true;
        }
        const limit = w.limitPrice as number;
        if (!limitReached(limit)) return false;
        this.execute(order, state, entry ? touch : limit);
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * Fills the rest of an order at one price. Events, in Appendix B order: GatewayUserTrade per
   * fill, GatewayUserOrder (Filled), GatewayUserPosition (size 0 for a closed position, then the
   * new one after a flip), GatewayUserAccount (balance += realized − fees).
   */
  private execute(order: OrderState, state: ContractState, price: number): void {
    const w = order.wire;
    const account = this.accounts.get(w.accountId) as AccountState;
    const variants = this.deps.variants();
    const qty = w.size - w.fillVolume;
    const lot = variants.splitFills && variants.splitFills > 0 ? variants.splitFills : qty;
    const key = positionKey(w.accountId, w.contractId);
    const { tickSize, tickValue } = state.contract;
    const side = w.side as 0 | 1;
    let position = this.positions.get(key) ?? null;
    const positionEvents: WirePosition[] = [];
    let balanceDelta = 0;
    let touched = false;
    for (let left = qty; left > 0;) {
      const piece = Math.min(lot, left);
      left -= piece;
      const book: PositionBook | null = position
        ? { type: position.type as 1 | 2, size: position.size, averagePrice: position.averagePrice }
        : null;
      const outcome = applyFill(book, side, piece, price, tickSize, tickValue);
      const pieces: { size: number; pnl: number | null }[] =
        outcome.closedQty > 0 && outcome.openedQty > 0 && variants.flipFill === 'split'
          ? [
              { size: outcome.closedQty, pnl: outcome.realized },
              { size: outcome.openedQty, pnl: null },
            ]
          : [{ size: piece, pnl: outcome.closedQty > 0 ? outcome.realized : null }];
      for (const p of pieces) {
        const fees = fillFees(state.feePerSide, p.size);
        balanceDelta += (p.pnl ?? 0) - fees;
        const trade: WireTrade = {
          id: this.nextTradeId++,
          accountId: w.accountId,
          contractId: w.contractId,
          creationTimestamp: wireTimestamp(this.deps.now()),
          price,
          profitAndLoss: p.pnl,
          fees,
          side,
          size: p.size,
          voided: false,
          orderId: w.id,
        };
        this.trades.push(trade);
        this.deps.emit(w.accountId, 'GatewayUserTrade', { ...trade });
      }
      if (outcome.closedPrevious && position) {
        positionEvents.push({ ...position, size: 0 });
        this.positions.delete(key);
        position = null;
        touched = false;
      }
      if (outcome.after) {
        if (!position) {
          position = {
            id: this.nextPositionId++,
            accountId: w.accountId,
            contractId: w.contractId,
            creationTimestamp: wireTimestamp(this.deps.now()),
            type: outcome.after.type,
            size: outcome.after.size,
            averagePrice: outcome.after.averagePrice,
          };
          this.positions.set(key, position);
        } else {
          position.type = outcome.after.type;
          position.size = outcome.after.size;
          position.averagePrice = outcome.after.averagePrice;
        }
        touched = true;
      }
    }
    w.fillVolume = w.size;
    w.filledPrice = price;
    w.status = OrderStatus.Filled;
    w.updateTimestamp = wireTimestamp(this.deps.now());
    this.removeWorking(order);
    this.emitOrder(order);
    if (position && touched) positionEvents.push({ ...position });
    for (const p of positionEvents) this.deps.emit(w.accountId, 'GatewayUserPosition', p);
    account.balance = roundCents(account.balance + balanceDelta);
    this.emitAccount(account);

    if (order.children.length > 0) this.activateChildren(order, state, price);
    if (order.bracket?.peerId) {
      const peer = this.orders.get(order.bracket.peerId);
      if (peer && WORKING.has(peer.wire.status)) this.cancel(peer);
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private addWorking(order: OrderState): void {
    let set = this.working.get(order.wire.contractId);
    if (!set) {
      set = new Set();
      this.working.set(order.wire.contractId, set);
    }
    set.add(order);
  }

  private removeWorking(order: OrderState): void {
    this.working.get(order.wire.contractId)?.delete(order);
  }

  private emitOrder(order: OrderState): void {
    this.deps.emit(order.wire.accountId, 'GatewayUserOrder', { ...order.wire });
  }

  private emitAccount(account: AccountState): void {
    this.deps.emit(account.id, 'GatewayUserAccount', wireAccount(account));
  }
}

/** The wire view of an account. */
export function wireAccount(a: AccountState): WireAccount {
  return {
    id: a.id,
    name: a.name,
    balance: a.balance,
    canTrade: a.canTrade,
    isVisible: a.isVisible,
    simulated: a.simulated,
  };
}

function positionKey(accountId: number, contractId: string): string {
  return `${accountId}|${contractId}`;
}

/** undefined = no bracket given; null = a bracket that is not valid. */
function parseBracket(value: unknown): BracketSpec | null | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') return null;
  const rec = value as Record<string, unknown>;
  const ticks = num(rec['ticks']);
  const type = num(rec['type']);
  if (ticks === null || !Number.isInteger(ticks) || ticks === 0) return null;
  if (type === null || !Number.isInteger(type) || type < 1 || type > 5) return null;
  // Brackets are distances: the sign of `ticks` is ignored, the side follows the parent.
  return { ticks: Math.abs(ticks), type };
}
