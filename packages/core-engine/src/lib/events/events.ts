import type {
  Account,
  AccountId,
  BrokerPosition,
  Contract,
  ContractId,
  Fill,
  Instant,
  Order,
  Quote,
} from '../domain/types.js';

/** Where an event came from: the live stream, a reconciliation diff, or a start-up snapshot. */
export type EventOrigin = 'stream' | 'reconcile' | 'snapshot' | 'engine';

/** Fields every normalized event carries. */
export interface EventMeta {
  /** The broker's own timestamp of the fact, when it gives one. */
  readonly brokerTime: Instant | null;
  /** Local wall-clock time the engine took the event (Clock.now()). */
  readonly receivedAt: Instant;
  /** Local monotonic time the engine took the event, in nanoseconds (Clock.monotonicNs()). */
  readonly receivedNs: bigint;
  readonly origin: EventOrigin;
}

export interface FillEvent extends EventMeta {
  readonly kind: 'fill';
  readonly accountId: AccountId;
  readonly fill: Fill;
}

export interface OrderEvent extends EventMeta {
  readonly kind: 'order';
  readonly accountId: AccountId;
  readonly order: Order;
}

export interface PositionEvent extends EventMeta {
  readonly kind: 'position';
  readonly accountId: AccountId;
  /** `size: 0` means the position closed. */
  readonly position: BrokerPosition;
}

export interface AccountEvent extends EventMeta {
  readonly kind: 'account';
  readonly accountId: AccountId;
  readonly account: Account;
}

/** Quotes are per contract, not per account: the engine routes them to every account holding it. */
export interface QuoteEvent extends EventMeta {
  readonly kind: 'quote';
  readonly quote: Quote;
}

export interface ContractEvent extends EventMeta {
  readonly kind: 'contract';
  readonly contract: Contract;
}

export type ConnectionChannel = 'user-hub' | 'market-hub' | 'rest';
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface ConnectionEvent extends EventMeta {
  readonly kind: 'connection';
  readonly channel: ConnectionChannel;
  readonly state: ConnectionState;
  readonly detail?: string;
}

/** A timer a rule instance asked for has come due. */
export interface TimerEvent extends EventMeta {
  readonly kind: 'timer';
  readonly accountId: AccountId;
  readonly instanceId: string;
  readonly key: string;
  readonly dueAt: Instant;
  readonly payload: unknown;
}

/** A trading-day reset (17:00 Chicago by default) has happened for every account. */
export interface ResetEvent extends EventMeta {
  readonly kind: 'reset';
  /** The instant of the reset (start of the new trading day). */
  readonly at: Instant;
  /** True when this reset starts a new trading week (the Sunday reset). */
  readonly weekStart: boolean;
}

/** Events that come from the broker (through the adapter). */
export type BrokerEvent =
  FillEvent | OrderEvent | PositionEvent | AccountEvent | QuoteEvent | ContractEvent | ConnectionEvent;

/** Everything the engine processes. */
export type EngineEvent = BrokerEvent | TimerEvent | ResetEvent;

export type EngineEventKind = EngineEvent['kind'];

/** Contract id an event concerns, if it concerns one. */
export function eventContractId(event: EngineEvent): ContractId | undefined {
  switch (event.kind) {
    case 'fill':
      return event.fill.contractId;
    case 'order':
      return event.order.contractId;
    case 'position':
      return event.position.contractId;
    case 'quote':
      return event.quote.contractId;
    case 'contract':
      return event.contract.id;
    default:
      return undefined;
  }
}
