import {
  type Account,
  type AccountId,
  type AccountsView,
  type AccountView,
  type Contract,
  type ContractId,
  dollarsToMicros,
  type EngineEvent,
  type EntryRecord,
  type EventMeta,
  type Fill,
  type Instant,
  type Lockout,
  type LockoutEndSpec,
  lockoutId,
  type LockoutScope,
  MarketCalendar,
  type MarketCalendarView,
  type Micros,
  type Order,
  OrderStatus,
  OrderType,
  type PnlView,
  type PositionSide,
  type PositionView,
  type RoundTrip,
  type RuleContext,
  type RuleDecision,
  type RuleDefinition,
  type RuleEvaluator,
  type RuleInstanceInfo,
  type RuleInstanceState,
  type RuleTimers,
  type Side,
  type TradingDay,
} from '@riskd/core-engine';

/**
 * A hand-built rule context: real code implementing the rule API's interfaces over plain data,
 * so evaluators can be driven without the engine. The calendar is the real `MarketCalendar`
 * (default TopstepX day, CME holidays).
 */

export const CALENDAR: MarketCalendarView = new MarketCalendar();

/** Contracts with the broker's tick economics (PROJECTX-GATEWAY.md section 8). */
export const CONTRACTS = {
  MNQ: contract('CON.F.US.MNQ.H26', 'MNQH6', 'MNQ', 0.25, 0.5),
  MNQM: contract('CON.F.US.MNQ.M26', 'MNQM6', 'MNQ', 0.25, 0.5),
  NQ: contract('CON.F.US.ENQ.H26', 'NQH6', 'NQ', 0.25, 5),
  ES: contract('CON.F.US.EP.H26', 'ESH6', 'ES', 0.25, 12.5),
  ESM: contract('CON.F.US.EP.M26', 'ESM6', 'ES', 0.25, 12.5),
  MES: contract('CON.F.US.MES.H26', 'MESH6', 'MES', 0.25, 1.25),
  CL: contract('CON.F.US.CLE.H26', 'CLH6', 'CL', 0.01, 10),
  MCL: contract('CON.F.US.MCLE.H26', 'MCLH6', 'MCL', 0.01, 1),
} as const;

export type ContractKey = keyof typeof CONTRACTS;

function contract(id: string, name: string, symbol: string, tickSize: number, tickValue: number): Contract {
  return {
    id,
    name,
    description: name,
    tickSize,
    tickValue: dollarsToMicros(tickValue),
    symbol,
    symbolId: id.split('.').slice(1, 4).join('.'),
    active: true,
  };
}

/** Chicago wall-clock time to an instant (DST-exact through the real calendar). */
export function ct(date: string, time: string): Instant {
  return CALENDAR.instantOf(date, time.slice(0, 5)) + (time.length > 5 ? Number(time.slice(6)) * 1000 : 0);
}

export interface PositionInit {
  readonly side?: PositionSide;
  readonly size?: number;
  /** Unrealized P&L in dollars. */
  readonly unrealized?: number;
  readonly averagePrice?: number;
  readonly mark?: number;
  readonly openedAt?: Instant;
  readonly lastIncreaseAt?: Instant;
  readonly epoch?: number;
  readonly lastQuoteAt?: Instant | null;
  readonly carried?: boolean;
}

/** A mutable account behind the read-only `AccountView`. */
export class FakeAccount implements AccountView {
  account: Account | undefined;
  readonly positions = new Map<ContractId, PositionView>();
  readonly workingOrders = new Map<number, Order>();
  pnl: PnlView = {
    realized: 0,
    unrealized: 0,
    combined: 0,
    fees: 0,
    stale: false,
    peakRealized: 0,
    peakCombined: 0,
  };
  tradingDay: TradingDay;
  roundTrips: RoundTrip[] = [];
  entries: EntryRecord[] = [];
  readonly lockouts = new Map<string, Lockout>();
  balanceAtReset: Micros | null = null;
  equity: Micros | null = null;
  private nextOrderId = 1_000;

  constructor(
    readonly accountId: AccountId,
    now: Instant,
    name = `ACC-${accountId}`,
  ) {
    this.account = {
      id: accountId,
      name,
      balance: dollarsToMicros(50_000),
      canTrade: true,
      isVisible: true,
      simulated: true,
    };
    this.tradingDay = CALENDAR.tradingDayAt(now);
  }

  contract(contractId: ContractId): Contract | undefined {
    return Object.values(CONTRACTS).find((c) => c.id === contractId);
  }

  isLocked(symbol?: string): boolean {
    for (const l of this.lockouts.values()) {
      if (l.scope.kind === 'account' || (symbol !== undefined && l.scope.symbol === symbol)) return true;
    }
    return false;
  }

  /** Sets P&L in dollars; combined is realized + unrealized unless given. */
  setPnl(p: {
    realized?: number;
    unrealized?: number;
    peakRealized?: number;
    peakCombined?: number;
    stale?: boolean;
    fees?: number;
  }): this {
    const realized = dollarsToMicros(p.realized ?? 0);
    const unrealized = dollarsToMicros(p.unrealized ?? 0);
    this.pnl = {
      realized,
      unrealized,
      combined: realized + unrealized,
      fees: dollarsToMicros(p.fees ?? 0),
      stale: p.stale ?? false,
      peakRealized: dollarsToMicros(p.peakRealized ?? Math.max(0, p.realized ?? 0)),
      peakCombined: dollarsToMicros(p.peakCombined ?? Math.max(0, (p.realized ?? 0) + (p.unrealized ?? 0))),
    };
    return this;
  }

  setBalance(balance: number, unrealized = 0): this {
    if (this.account) this.account = { ...this.account, balance: dollarsToMicros(balance) };
    this.equity = dollarsToMicros(balance + unrealized);
    return this;
  }

  setCanTrade(canTrade: boolean): this {
    if (this.account) this.account = { ...this.account, canTrade };
    return this;
  }

  open(key: ContractKey, init: PositionInit = {}): PositionView {
    const c = CONTRACTS[key];
    const at = init.openedAt ?? this.tradingDay.start + 3_600_000;
    const position: PositionView = {
      accountId: this.accountId,
      contractId: c.id,
      contract: c,
      symbol: c.symbol,
      side: init.side ?? 'long',
      size: init.size ?? 1,
      averagePrice: init.averagePrice ?? 100,
      basisPrice: init.averagePrice ?? 100,
      carried: init.carried ?? false,
      openedAt: at,
      epoch: init.epoch ?? 1,
      lastIncreaseAt: init.lastIncreaseAt ?? at,
      mark: init.mark ?? init.averagePrice ?? 100,
      markStale: init.lastQuoteAt === null,
      lastQuoteAt: init.lastQuoteAt === undefined ? at : init.lastQuoteAt,
      unrealized: dollarsToMicros(init.unrealized ?? 0),
    };
    this.positions.set(c.id, position);
    return position;
  }

  /** A position in a contract whose record is not known yet (the engine's stand-in: symbol = id, tick size 0). */
  openUnknown(contractId: string, init: PositionInit = {}): PositionView {
    const standIn: Contract = {
      id: contractId,
      name: contractId,
      description: '',
      tickSize: 0,
      tickValue: 0,
      symbol: contractId,
      symbolId: contractId,
      active: true,
    };
    const at = init.openedAt ?? this.tradingDay.start + 3_600_000;
    const position: PositionView = {
      accountId: this.accountId,
      contractId,
      contract: standIn,
      symbol: contractId,
      side: init.side ?? 'long',
      size: init.size ?? 1,
      averagePrice: 100,
      basisPrice: 100,
      carried: false,
      openedAt: at,
      epoch: 1,
      lastIncreaseAt: init.lastIncreaseAt ?? at,
      mark: 100,
      markStale: true,
      lastQuoteAt: null,
      unrealized: 0,
    };
    this.positions.set(contractId, position);
    return position;
  }

  close(key: ContractKey): void {
    this.positions.delete(CONTRACTS[key].id);
  }

  order(
    key: ContractKey,
    side: Side,
    size: number,
    init: {
      type?: OrderType;
      status?: OrderStatus;
      createdAt?: Instant;
      id?: number;
      fillVolume?: number;
    } = {},
  ): Order {
    const order: Order = {
      id: init.id ?? this.nextOrderId++,
      accountId: this.accountId,
      contractId: CONTRACTS[key].id,
      type: init.type ?? OrderType.Limit,
      side,
      size,
      status: init.status ?? OrderStatus.Open,
      limitPrice: 100,
      stopPrice: init.type === OrderType.Stop ? 90 : null,
      fillVolume: init.fillVolume ?? 0,
      filledPrice: null,
      customTag: null,
      createdAt: init.createdAt ?? this.tradingDay.start + 3_600_000 + this.nextOrderId,
      updatedAt: null,
    };
    this.workingOrders.set(order.id, order);
    return order;
  }

  roundTrip(
    key: ContractKey,
    pnl: number,
    closedAt: Instant,
    side: PositionSide = 'long',
    fees = 0,
  ): RoundTrip {
    const c = CONTRACTS[key];
    const trip: RoundTrip = {
      contractId: c.id,
      symbol: c.symbol,
      side,
      openedAt: closedAt - 60_000,
      closedAt,
      pnl: dollarsToMicros(pnl),
      fees: dollarsToMicros(fees),
      maxSize: 1,
    };
    this.roundTrips.push(trip);
    return trip;
  }

  entry(key: ContractKey, orderId: number, at: Instant, size = 1): EntryRecord {
    const c = CONTRACTS[key];
    const e: EntryRecord = { orderId, contractId: c.id, symbol: c.symbol, at, size };
    this.entries.push(e);
    return e;
  }

  lock(scope: LockoutScope, end: Lockout['end'], code = 'TEST'): Lockout {
    const l: Lockout = {
      id: lockoutId(this.accountId, scope),
      accountId: this.accountId,
      scope,
      ruleId: 'test',
      instanceId: 'test',
      code,
      reason: 'test',
      startedAt: this.tradingDay.start,
      end,
    };
    this.lockouts.set(l.id, l);
    return l;
  }
}

/** Persisted-state stand-in: a map of JSON values (deep-copied, as a store would). */
export class MapState implements RuleInstanceState {
  readonly values = new Map<string, string>();
  get<T = unknown>(key: string): T | undefined {
    const v = this.values.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  set(key: string, value: unknown): void {
    this.values.set(key, JSON.stringify(value));
  }
  delete(key: string): void {
    this.values.delete(key);
  }
}

export class MapTimers implements RuleTimers {
  readonly timers = new Map<string, { at: Instant; payload: unknown }>();
  set(key: string, at: Instant, payload?: unknown): void {
    this.timers.set(key, { at, payload: payload ?? null });
  }
  cancel(key: string): void {
    this.timers.delete(key);
  }
  get(key: string): { readonly at: Instant; readonly payload: unknown } | undefined {
    return this.timers.get(key);
  }
}

/** The rule context over fake accounts; `warnOnce` behaves as the engine's (per code per trading day). */
export class FakeContext implements RuleContext {
  now: Instant;
  readonly state = new MapState();
  readonly timers = new MapTimers();
  readonly accountsById = new Map<AccountId, FakeAccount>();
  readonly accounts: AccountsView;
  readonly calendar: MarketCalendarView = CALENDAR;
  readonly includeFees = true;
  instance: RuleInstanceInfo;

  constructor(
    readonly account: FakeAccount,
    now: Instant,
    ruleId = 'rule',
    warnAt?: number,
  ) {
    this.now = now;
    this.accountsById.set(account.accountId, account);
    this.accounts = { get: (id) => this.accountsById.get(id), all: () => this.accountsById.values() };
    this.instance = { accountId: account.accountId, ruleId, instanceId: ruleId, mode: 'enforce', warnAt };
  }

  addAccount(account: FakeAccount): FakeAccount {
    this.accountsById.set(account.accountId, account);
    return account;
  }

  warnOnce(code: string, reason: string, data?: Readonly<Record<string, unknown>>): RuleDecision | undefined {
    const key = `warnOnce:${code}`;
    if (this.state.get(key) === this.account.tradingDay.id) return undefined;
    this.state.set(key, this.account.tradingDay.id);
    return { action: 'alert', code, reason, severity: 'warning', ...(data ? { data } : {}) };
  }
}

/** Applies the schema's defaults, as the registry's ajv does (`useDefaults`). */
export function withDefaults<O>(
  schema: Readonly<Record<string, unknown>>,
  options: Record<string, unknown> = {},
): O {
  return applyDefaults(schema, structuredClone(options)) as O;
}

function applyDefaults(schema: Readonly<Record<string, unknown>>, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    if (Array.isArray(value) && schema['items'] && typeof schema['items'] === 'object') {
      return value.map((v) => applyDefaults(schema['items'] as Record<string, unknown>, v));
    }
    return value;
  }
  const props = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
  const out = value as Record<string, unknown>;
  for (const [key, sub] of Object.entries(props ?? {})) {
    if (out[key] === undefined && 'default' in sub) out[key] = structuredClone(sub['default']);
    if (out[key] !== undefined) out[key] = applyDefaults(sub, out[key]);
  }
  return out;
}

/** Builds an evaluator from options with defaults applied. */
export function build<O>(rule: RuleDefinition<O>, options: Record<string, unknown> = {}): RuleEvaluator {
  return rule.create(withDefaults<O>(rule.optionsSchema, options));
}

/** The options a rule sees for `options` (defaults applied). */
export function opts<O>(rule: RuleDefinition<O>, options: Record<string, unknown> = {}): O {
  return withDefaults<O>(rule.optionsSchema, options);
}

// ------------------------------------------------------------------------------------------ events

function meta(at: Instant): EventMeta {
  return { brokerTime: at, receivedAt: at, receivedNs: BigInt(at) * 1_000_000n, origin: 'stream' };
}

let nextFillId = 1;

export function fillEvent(
  accountId: AccountId,
  key: ContractKey,
  side: Side,
  size: number,
  at: Instant,
  init: Partial<Fill> = {},
): EngineEvent {
  const fill: Fill = {
    id: nextFillId++,
    accountId,
    contractId: CONTRACTS[key].id,
    orderId: 1,
    side,
    size,
    price: 100,
    profitAndLoss: null,
    fees: 0,
    voided: false,
    time: at,
    ...init,
  };
  return { kind: 'fill', accountId, fill, ...meta(at) };
}

export function quoteEvent(key: ContractKey, at: Instant, price = 100): EngineEvent {
  return {
    kind: 'quote',
    quote: { contractId: CONTRACTS[key].id, bid: price, ask: price, last: price, time: at },
    ...meta(at),
  };
}

export function positionEvent(account: FakeAccount, key: ContractKey, at: Instant): EngineEvent {
  const p = account.positions.get(CONTRACTS[key].id);
  return {
    kind: 'position',
    accountId: account.accountId,
    position: {
      id: 1,
      accountId: account.accountId,
      contractId: CONTRACTS[key].id,
      side: p?.side ?? 'long',
      size: p?.size ?? 0,
      averagePrice: p?.averagePrice ?? 100,
      openedAt: p?.openedAt ?? at,
    },
    ...meta(at),
  };
}

export function orderEvent(account: FakeAccount, order: Order, at: Instant): EngineEvent {
  return { kind: 'order', accountId: account.accountId, order, ...meta(at) };
}

export function accountEvent(account: FakeAccount, at: Instant): EngineEvent {
  return { kind: 'account', accountId: account.accountId, account: account.account as Account, ...meta(at) };
}

export function timerEvent(ctx: FakeContext, key: string): EngineEvent {
  const t = ctx.timers.get(key);
  if (!t) throw new Error(`no timer ${key}`);
  ctx.timers.cancel(key);
  return {
    kind: 'timer',
    accountId: ctx.account.accountId,
    instanceId: ctx.instance.instanceId,
    key,
    dueAt: t.at,
    payload: t.payload,
    ...meta(t.at),
  };
}

export function resetEvent(at: Instant, weekStart = false): EngineEvent {
  return { kind: 'reset', at, weekStart, ...meta(at) };
}

/** A lockout end spec resolved like the engine does, for assertions. */
export function lockoutEnd(decision: RuleDecision): LockoutEndSpec | undefined {
  return decision.lockout?.end;
}
