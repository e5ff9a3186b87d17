import { FakeClock, type Clock } from '../clock/clock.js';
import {
  OrderStatus,
  OrderType,
  type Account,
  type AccountId,
  type Contract,
  type Fill,
  type Order,
  type PositionSide,
  type Side,
} from '../domain/types.js';
import type {
  AccountEvent,
  EventOrigin,
  FillEvent,
  OrderEvent,
  PositionEvent,
  QuoteEvent,
  ResetEvent,
  TimerEvent,
} from '../events/events.js';
import { toMicros } from '../money/money.js';
import { MemoryLogger } from '../ports/logger.js';
import { DEFAULT_TRADING_DAY_CONFIG, MarketCalendar } from '../calendar/index.js';
import { StateManager } from './state-manager.js';
import type { RuleTimerRecord } from './state-update.js';

function contract(id: string, name: string, symbol: string, tickValue: number): Contract {
  return {
    id,
    name,
    description: symbol,
    tickSize: 0.25,
    tickValue: toMicros(tickValue),
    symbol,
    symbolId: `F.US.${symbol}`,
    active: true,
  };
}

/** Contracts of the state tests (tick sizes and values of PROJECTX-GATEWAY.md). */
export const MNQ = contract('CON.F.US.MNQ.H26', 'MNQH6', 'MNQ', 0.5);
export const NQ = contract('CON.F.US.ENQ.H26', 'NQH6', 'NQ', 5);
export const ES = contract('CON.F.US.EP.H26', 'ESH6', 'ES', 12.5);
export const MES = contract('CON.F.US.MES.H26', 'MESH6', 'MES', 1.25);

export interface FillSpec {
  readonly accountId?: AccountId;
  readonly contract?: Contract;
  readonly side: Side;
  readonly size: number;
  readonly price: number;
  /** Dollars (converted to micros), null on opening fills. */
  readonly pnl?: number | null;
  /** Dollars. */
  readonly fees?: number;
  readonly orderId?: number;
  readonly id?: number;
  readonly time?: number;
  readonly voided?: boolean;
  readonly origin?: EventOrigin;
}

/** Builds normalized events stamped with the clock's time; fill and order ids count up. */
export class StateEvents {
  private nextFillId = 1;
  private nextOrderId = 1000;

  constructor(private readonly clock: Clock) {}

  private meta(origin: EventOrigin = 'stream') {
    return {
      brokerTime: null,
      receivedAt: this.clock.now(),
      receivedNs: this.clock.monotonicNs(),
      origin,
    };
  }

  fill(spec: FillSpec): FillEvent {
    const accountId = spec.accountId ?? 1;
    const fill: Fill = {
      id: spec.id ?? this.nextFillId++,
      accountId,
      contractId: (spec.contract ?? MNQ).id,
      orderId: spec.orderId ?? this.nextOrderId++,
      side: spec.side,
      size: spec.size,
      price: spec.price,
      profitAndLoss: spec.pnl === undefined || spec.pnl === null ? null : toMicros(spec.pnl),
      fees: toMicros(spec.fees ?? 0),
      voided: spec.voided ?? false,
      time: spec.time ?? this.clock.now(),
    };
    return { kind: 'fill', accountId, fill, ...this.meta(spec.origin) };
  }

  /** The same fill again (a replay), optionally voided. */
  again(event: FillEvent, changes: Partial<Fill> = {}): FillEvent {
    return { ...event, fill: { ...event.fill, ...changes }, ...this.meta(event.origin) };
  }

  quote(bid: number | null, ask: number | null, last: number | null = null, of: Contract = MNQ): QuoteEvent {
    return {
      kind: 'quote',
      quote: { contractId: of.id, bid, ask, last, time: this.clock.now() },
      ...this.meta(),
    };
  }

  position(spec: {
    readonly accountId?: AccountId;
    readonly contract?: Contract;
    readonly side?: PositionSide;
    readonly size: number;
    readonly averagePrice: number;
    readonly openedAt?: number;
    readonly origin?: EventOrigin;
  }): PositionEvent {
    const accountId = spec.accountId ?? 1;
    return {
      kind: 'position',
      accountId,
      position: {
        id: 1,
        accountId,
        contractId: (spec.contract ?? MNQ).id,
        side: spec.side ?? 'long',
        size: spec.size,
        averagePrice: spec.averagePrice,
        openedAt: spec.openedAt ?? this.clock.now(),
      },
      ...this.meta(spec.origin),
    };
  }

  order(spec: Partial<Order> & { readonly id: number }): OrderEvent {
    const order: Order = {
      accountId: 1,
      contractId: MNQ.id,
      type: OrderType.Limit,
      side: 'buy',
      size: 1,
      status: OrderStatus.Open,
      limitPrice: 21000,
      stopPrice: null,
      fillVolume: 0,
      filledPrice: null,
      customTag: null,
      createdAt: this.clock.now(),
      updatedAt: this.clock.now(),
      ...spec,
    };
    return { kind: 'order', accountId: order.accountId, order, ...this.meta() };
  }

  account(spec: Partial<Account> & { readonly id: AccountId; readonly balance: number }): AccountEvent {
    const account: Account = {
      name: `ACC-${spec.id}`,
      canTrade: true,
      isVisible: true,
      simulated: true,
      ...spec,
    };
    return { kind: 'account', accountId: spec.id, account, ...this.meta() };
  }

  reset(at: number, weekStart = false): ResetEvent {
    return { kind: 'reset', at, weekStart, ...this.meta('engine') };
  }

  timer(accountId: AccountId, instanceId: string, key: string, dueAt: number, payload?: unknown): TimerEvent {
    return { kind: 'timer', accountId, instanceId, key, dueAt, payload, ...this.meta('engine') };
  }
}

/**
 * A state manager on a FakeClock and the default market calendar (resets 17:00 Chicago: 23:00Z in
 * January), with the test contracts known.
 */
export function createStateHarness(
  options: { readonly includeFees?: boolean; readonly start?: string } = {},
) {
  const clock = new FakeClock(options.start ?? '2026-01-06T14:30:00Z');
  const calendar = new MarketCalendar(DEFAULT_TRADING_DAY_CONFIG);
  const logger = new MemoryLogger();
  const timersSet: RuleTimerRecord[] = [];
  const timersCancelled: { accountId: AccountId; instanceId: string; key: string }[] = [];
  const state = new StateManager({
    clock,
    calendar,
    includeFees: options.includeFees ?? true,
    logger,
    onRuleTimerSet: (t) => timersSet.push(t),
    onRuleTimerCancelled: (accountId, instanceId, key) =>
      timersCancelled.push({ accountId, instanceId, key }),
  });
  for (const c of [MNQ, NQ, ES, MES]) state.upsertContract(c);
  return { clock, calendar, logger, state, ev: new StateEvents(clock), timersSet, timersCancelled };
}

/** Dollars to micro-dollars, for readable expectations. */
export const usd = toMicros;
