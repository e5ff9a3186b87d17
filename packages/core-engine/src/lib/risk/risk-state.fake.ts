import type { TradingDay } from '../calendar/calendar-types.js';
import { lockoutId, type Lockout, type LockoutEnd, type LockoutScope } from '../domain/lockout.js';
import {
  OrderStatus,
  OrderType,
  type Account,
  type AccountId,
  type Contract,
  type ContractId,
  type Instant,
  type Micros,
  type Order,
  type OrderId,
  type PositionSide,
  type Side,
} from '../domain/types.js';
import type { EngineEvent } from '../events/events.js';
import type { RuleInstanceState, RuleTimers } from '../rules/rule-api.js';
import type {
  AccountsView,
  AccountView,
  EntryRecord,
  PnlView,
  PositionView,
  RoundTrip,
} from '../state/account-view.js';
import type { RiskStateSource, RiskStateUpdate } from './risk-inputs.js';

/**
 * A hand-driven stand-in for the state manager, for unit tests of the risk engine: tests set
 * positions, orders, P&L and lockouts directly instead of replaying fills. It implements the same
 * read interface the engine uses ({@link RiskStateSource}).
 */

const DAY: TradingDay = { id: '2026-01-06', start: Date.UTC(2026, 0, 5, 23), end: Date.UTC(2026, 0, 6, 23) };

export class FakeAccountView implements AccountView {
  account: Account | undefined;
  readonly positions = new Map<ContractId, PositionView>();
  readonly workingOrders = new Map<OrderId, Order>();
  pnl: PnlView = {
    realized: 0,
    unrealized: 0,
    combined: 0,
    fees: 0,
    stale: false,
    peakRealized: 0,
    peakCombined: 0,
  };
  tradingDay: TradingDay = DAY;
  roundTrips: RoundTrip[] = [];
  entries: EntryRecord[] = [];
  readonly lockouts = new Map<string, Lockout>();
  balanceAtReset: Micros | null = null;
  equity: Micros | null = null;
  private readonly contracts = new Map<ContractId, Contract>();

  constructor(
    readonly accountId: AccountId,
    name?: string,
  ) {
    if (name !== undefined) {
      this.account = {
        id: accountId,
        name,
        balance: 50_000_000_000,
        canTrade: true,
        isVisible: true,
        simulated: true,
      };
    }
  }

  contract(contractId: ContractId): Contract | undefined {
    return this.contracts.get(contractId);
  }

  isLocked(symbol?: string): boolean {
    for (const lockout of this.lockouts.values()) {
      if (lockout.scope.kind === 'account' || (symbol !== undefined && lockout.scope.symbol === symbol))
        return true;
    }
    return false;
  }

  addContract(contract: Contract): this {
    this.contracts.set(contract.id, contract);
    return this;
  }

  /** Sets (or with size 0 removes) a position; P&L fields are whatever the test gives. */
  setPosition(
    contract: Contract,
    side: PositionSide,
    size: number,
    more: Partial<
      Omit<PositionView, 'contract' | 'contractId' | 'side' | 'size' | 'accountId' | 'symbol'>
    > = {},
  ): this {
    this.addContract(contract);
    if (size === 0) {
      this.positions.delete(contract.id);
      return this;
    }
    this.positions.set(contract.id, {
      accountId: this.accountId,
      contractId: contract.id,
      contract,
      symbol: contract.symbol,
      side,
      size,
      averagePrice: 100,
      basisPrice: 100,
      carried: false,
      openedAt: DAY.start + 60_000,
      epoch: 1,
      lastIncreaseAt: DAY.start + 60_000,
      mark: 100,
      markStale: false,
      lastQuoteAt: null,
      unrealized: 0,
      ...more,
    });
    return this;
  }

  /** Adds a working order (status Open unless given). */
  addOrder(
    contract: Contract,
    id: OrderId,
    side: Side,
    size: number,
    more: Partial<Omit<Order, 'id' | 'contractId' | 'side' | 'size' | 'accountId'>> = {},
  ): Order {
    this.addContract(contract);
    const order: Order = {
      id,
      accountId: this.accountId,
      contractId: contract.id,
      type: OrderType.Limit,
      side,
      size,
      status: OrderStatus.Open,
      limitPrice: 100,
      stopPrice: null,
      fillVolume: 0,
      filledPrice: null,
      customTag: null,
      createdAt: DAY.start + id * 1000,
      updatedAt: null,
      ...more,
    };
    this.workingOrders.set(id, order);
    return order;
  }

  setPnl(realized: Micros, unrealized: Micros): this {
    this.pnl = { ...this.pnl, realized, unrealized, combined: realized + unrealized };
    return this;
  }

  addLockout(scope: LockoutScope, end: LockoutEnd, startedAt: Instant, code = 'TEST_LOCK'): Lockout {
    const lockout: Lockout = {
      id: lockoutId(this.accountId, scope),
      accountId: this.accountId,
      scope,
      ruleId: 'test',
      instanceId: 'test',
      code,
      reason: 'test lockout',
      startedAt,
      end,
    };
    this.lockouts.set(lockout.id, lockout);
    return lockout;
  }
}

/** In-memory rule state: one map per (account, instance). */
class MemoryRuleState implements RuleInstanceState {
  readonly values = new Map<string, unknown>();
  get<T = unknown>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  set(key: string, value: unknown): void {
    this.values.set(key, structuredClone(value));
  }
  delete(key: string): void {
    this.values.delete(key);
  }
}

class MemoryRuleTimers implements RuleTimers {
  readonly timers = new Map<string, { at: Instant; payload: unknown }>();
  set(key: string, at: Instant, payload?: unknown): void {
    this.timers.set(key, { at, payload });
  }
  cancel(key: string): void {
    this.timers.delete(key);
  }
  get(key: string): { readonly at: Instant; readonly payload: unknown } | undefined {
    return this.timers.get(key);
  }
}

export class FakeRiskState implements RiskStateSource {
  private readonly views = new Map<AccountId, FakeAccountView>();
  private readonly states = new Map<string, MemoryRuleState>();
  private readonly timerSets = new Map<string, MemoryRuleTimers>();
  readonly accounts: AccountsView = {
    get: (accountId) => this.views.get(accountId),
    all: () => this.views.values(),
  };

  addAccount(accountId: AccountId, name?: string): FakeAccountView {
    const view = new FakeAccountView(accountId, name);
    this.views.set(accountId, view);
    return view;
  }

  account(accountId: AccountId): FakeAccountView | undefined {
    return this.views.get(accountId);
  }

  accountsHolding(contractId: ContractId): readonly AccountId[] {
    const holders: AccountId[] = [];
    for (const view of this.views.values()) if (view.positions.has(contractId)) holders.push(view.accountId);
    return holders;
  }

  ruleState(accountId: AccountId, instanceId: string): MemoryRuleState {
    const key = `${accountId}:${instanceId}`;
    let state = this.states.get(key);
    if (!state) this.states.set(key, (state = new MemoryRuleState()));
    return state;
  }

  ruleTimers(accountId: AccountId, instanceId: string): MemoryRuleTimers {
    const key = `${accountId}:${instanceId}`;
    let timers = this.timerSets.get(key);
    if (!timers) this.timerSets.set(key, (timers = new MemoryRuleTimers()));
    return timers;
  }
}

/** An update that changed nothing in particular. */
export const PLAIN_UPDATE: RiskStateUpdate = Object.freeze({ duplicate: false, positionChanges: [] });

const META = { brokerTime: null, receivedNs: 0n, origin: 'stream' } as const;

/** Event builders for tests (only the fields the engine and the test rules read matter). */
export const testEvents = {
  quote(contractId: ContractId, at: Instant, bid = 100, ask = 100.25): EngineEvent {
    return { ...META, kind: 'quote', receivedAt: at, quote: { contractId, bid, ask, last: bid, time: at } };
  },
  order(order: Order, at: Instant): EngineEvent {
    return { ...META, kind: 'order', receivedAt: at, accountId: order.accountId, order };
  },
  fill(
    accountId: AccountId,
    contractId: ContractId,
    orderId: OrderId,
    side: Side,
    size: number,
    at: Instant,
  ): EngineEvent {
    return {
      ...META,
      kind: 'fill',
      receivedAt: at,
      accountId,
      fill: {
        id: orderId * 10,
        accountId,
        contractId,
        orderId,
        side,
        size,
        price: 100,
        profitAndLoss: null,
        fees: 0,
        voided: false,
        time: at,
      },
    };
  },
  position(
    accountId: AccountId,
    contractId: ContractId,
    side: PositionSide,
    size: number,
    at: Instant,
  ): EngineEvent {
    return {
      ...META,
      kind: 'position',
      receivedAt: at,
      accountId,
      position: { id: 1, accountId, contractId, side, size, averagePrice: 100, openedAt: at },
    };
  },
  account(accountId: AccountId, canTrade: boolean, at: Instant, name = `ACC-${accountId}`): EngineEvent {
    return {
      ...META,
      kind: 'account',
      receivedAt: at,
      accountId,
      account: { id: accountId, name, balance: 0, canTrade, isVisible: true, simulated: true },
    };
  },
  reset(at: Instant, weekStart = false): EngineEvent {
    return { ...META, kind: 'reset', receivedAt: at, at, weekStart };
  },
  timer(
    accountId: AccountId,
    instanceId: string,
    key: string,
    at: Instant,
    payload: unknown = null,
  ): EngineEvent {
    return { ...META, kind: 'timer', receivedAt: at, accountId, instanceId, key, dueAt: at, payload };
  },
  connection(at: Instant): EngineEvent {
    return { ...META, kind: 'connection', receivedAt: at, channel: 'user-hub', state: 'connected' };
  },
};
