import type {
  Account,
  AccountId,
  BrokerPosition,
  Contract,
  ContractId,
  Fill,
  Instant,
  Order,
  OrderId,
} from '../domain/types.js';
import type { BrokerEvent, ConnectionState } from '../events/events.js';

/**
 * Which queue a broker request joins. Enforcement requests are always served before snapshot
 * requests, and snapshots never use the last part of the rate-limit budget.
 */
export type RequestPriority = 'enforcement' | 'snapshot';

/** Why the broker refused an action, normalized across endpoints (whose numeric codes differ). */
export type RejectCode =
  | 'account-not-found'
  | 'account-rejected'
  | 'position-not-found'
  | 'order-not-found'
  | 'contract-not-found'
  | 'contract-not-active'
  | 'invalid-size'
  | 'order-rejected'
  | 'order-pending'
  | 'unknown';

/**
 * The outcome of one action request:
 * - `ok`: the broker accepted it (completion is confirmed later by its own events);
 * - `rejected`: the broker answered and refused, with its normalized code and raw code;
 * - `uncertain`: no usable answer (timeout, transport error, 5xx, 429 after sending): the action
 *   may or may not have happened. The engine reconciles before deciding to resend.
 */
export type ActionResult =
  | { readonly status: 'ok' }
  | {
      readonly status: 'rejected';
      readonly code: RejectCode;
      readonly brokerCode: number;
      readonly message: string;
    }
  | { readonly status: 'uncertain'; readonly reason: string };

export interface ActionOptions {
  readonly priority: RequestPriority;
  /** Key of the enforcement intent, for logs and the broker-side request log. */
  readonly idempotencyKey?: string;
}

/** What a reconciliation found; the differences themselves are emitted as events. */
export interface ReconcileReport {
  readonly accountId: AccountId;
  readonly eventsEmitted: number;
  readonly fillsRecovered: number;
  readonly at: Instant;
}

/** A function that removes the listener it came from. */
export type Unsubscribe = () => void;

/**
 * The broker, as the engine sees it. Implemented by `@riskd/broker-topstepx` (ProjectX Gateway)
 * and by the in-memory `FakeBroker` of core-engine's testing entry.
 *
 * Semantics every implementation keeps:
 * - Events: after `connect()`, every fill, order, position, account and quote change the broker
 *   reports is delivered once to each listener as a normalized {@link BrokerEvent}, in the order the
 *   broker sent it per stream. Connection changes arrive as `connection` events. No ordering holds
 *   across streams (a fill may arrive before or after its position update).
 * - Snapshots read current broker state; they do not emit events.
 * - `reconcile()` compares broker state with what was delivered so far and emits the differences
 *   as events with `origin: 'reconcile'` (a missed fill, a position that closed, an order that
 *   appeared or was cancelled, a `canTrade` change), then resolves with a report.
 * - Quote subscriptions are desired state: the implementation keeps them across reconnects.
 * - Actions are sent once and never retried inside the implementation; the engine owns retries.
 *   `closePosition` answering "position not found" is reported as `ok` (the position is flat).
 *   An account the broker refuses to let us act on answers `rejected` with `account-rejected`.
 */
export interface BrokerGateway {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  connectionState(): ConnectionState;
  onEvent(listener: (event: BrokerEvent) => void): Unsubscribe;

  listAccounts(): Promise<readonly Account[]>;
  openPositions(accountId: AccountId): Promise<readonly BrokerPosition[]>;
  openOrders(accountId: AccountId): Promise<readonly Order[]>;
  fillsSince(accountId: AccountId, since: Instant): Promise<readonly Fill[]>;
  contract(contractId: ContractId): Promise<Contract>;
  /** Close of the one-minute bar containing `at`, or null when the broker has none. */
  barClose(contractId: ContractId, at: Instant): Promise<number | null>;

  subscribeQuotes(contractIds: readonly ContractId[]): void;
  unsubscribeQuotes(contractIds: readonly ContractId[]): void;

  reconcile(accountId: AccountId): Promise<ReconcileReport>;

  /** Closes the whole position of one contract at market. */
  closePosition(accountId: AccountId, contractId: ContractId, options: ActionOptions): Promise<ActionResult>;
  /** Closes `size` contracts of the position (a partial close) at market. */
  partialClosePosition(
    accountId: AccountId,
    contractId: ContractId,
    size: number,
    options: ActionOptions,
  ): Promise<ActionResult>;
  cancelOrder(accountId: AccountId, orderId: OrderId, options: ActionOptions): Promise<ActionResult>;
}
