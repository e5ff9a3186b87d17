import {
  lockedSince,
  lockoutHolds,
  lockoutInForce,
  type Lockout,
  type LockoutScope,
} from '../domain/lockout.js';
import {
  OrderStatus,
  STOP_ORDER_TYPES,
  type ContractId,
  type Instant,
  type Order,
  type OrderId,
  type PositionSide,
} from '../domain/types.js';
import type { EngineEvent } from '../events/events.js';
import type { RuleDecision, RuleInstanceState } from '../rules/rule-api.js';
import type { AccountView, PositionView } from '../state/account-view.js';
import type { RiskPositionChange, RiskStateUpdate } from './risk-inputs.js';

/** Rule id the lockout guard's decisions carry. */
export const LOCKOUT_GUARD_RULE_ID = 'lockout-guard';
/** Instance id of the guard (its persisted memory lives under it; `@` keeps it apart from config keys). */
export const LOCKOUT_GUARD_INSTANCE_ID = '@lockout-guard';
/** A working order that would open or increase exposure in a locked scope was cancelled. */
export const LOCKOUT_ENTRY_CANCELLED = 'LOCKOUT_ENTRY_CANCELLED';
/** A fill opened or increased exposure in a locked scope: the position is closed or reduced back. */
export const LOCKOUT_FILL_CLOSED = 'LOCKOUT_FILL_CLOSED';

/** A lockout this event starts (from an enforce decision), before it is in state. */
export interface StartingLockout {
  readonly scope: LockoutScope;
  readonly ruleId: string;
  readonly code: string;
}

/** Input of {@link lockoutGuard} for one account. */
export interface LockoutGuardInput {
  readonly event: EngineEvent;
  readonly now: Instant;
  readonly account: AccountView;
  readonly update: RiskStateUpdate;
  /** Lockouts that this event's enforce decisions start on this account. */
  readonly starting: readonly StartingLockout[];
  /** The guard's persisted memory for this account (allowed sizes during a lockout). */
  readonly memory: RuleInstanceState;
}

/** What the guard remembers per contract: the size a position may keep while a lockout holds. */
interface AllowedRecord {
  readonly epoch: number;
  readonly side: PositionSide;
  /** Start of the earliest lockout covering the contract when the record was made. */
  readonly since: Instant;
  readonly size: number;
}

// Lives with the lockout model (the state's `isLocked` asks it too); re-exported where it always was.
export { lockoutInForce } from '../domain/lockout.js';

/**
 * The built-in lockout guard (always enforce; RULES.md section 1 "Lockout"). While a lockout holds
 * on an account or one of its symbols:
 * - on an order event, and when a lockout starts, working orders in scope that would open or
 *   increase exposure if filled are cancelled: every order of a flat contract, every order on the
 *   position's side, and closing-side orders beyond the position's size (protective orders, the
 *   opposite side with a total size not above the position, are kept; when they are too many,
 *   non-stop orders go first, newest first, so the stop loss stays);
 * - on a fill that opened or increased exposure in scope (a lockout already in force before the
 *   event), the position is brought back to what it may hold: a position that existed before the
 *   lockout is reduced to its size before the first such fill; one opened (or flipped) during the
 *   lockout is closed. The allowed size is remembered per position epoch, so several fills in a row
 *   never ratchet it up;
 * - closing orders and closing fills are never touched.
 * Returns rule decisions (unstamped): the engine stamps them with the guard's rule id, always in
 * enforce mode.
 */
export function lockoutGuard(input: LockoutGuardInput): RuleDecision[] {
  const { account, now, starting } = input;
  const inForce: Lockout[] = [];
  for (const lockout of account.lockouts.values()) if (lockoutInForce(lockout, now)) inForce.push(lockout);
  if (inForce.length === 0 && starting.length === 0) return [];
  const decisions: RuleDecision[] = [];

  const fill = input.update.entryFill;
  if (fill && fill.accountId === account.accountId && inForce.length > 0) {
    // A fill the broker stamped before a lockout started (history replayed at start, or a late
    // report) happened while trading was allowed: only lockouts that started before it count. A
    // lockout's start is its earliest hold in force (its primary may have started later).
    const fillTime = input.event.kind === 'fill' ? input.event.fill.time : now;
    const applicable = inForce.filter((l) => (lockedSince(l, now) ?? Infinity) <= fillTime);
    const decision =
      applicable.length > 0
        ? guardEntryFill(input, applicable, fill.contractId, fill.orderId, fill.size)
        : undefined;
    if (decision) decisions.push(decision);
  }

  const contracts = new Set<ContractId>();
  if (starting.length > 0) {
    for (const order of account.workingOrders.values()) contracts.add(order.contractId);
  }
  const event = input.event;
  if (event.kind === 'order' && event.accountId === account.accountId) contracts.add(event.order.contractId);
  for (const contractId of contracts) {
    const covering = coveringScope(account, contractId, inForce, starting);
    if (!covering) continue;
    const decision = guardOrders(account, contractId, covering);
    if (decision) decisions.push(decision);
  }
  return decisions;
}

/**
 * Lockout ids with a hold whose condition clears on this event: the `can-trade` holds of an
 * account when the broker reports `canTrade: true` for it. Only that hold ends; the lockout stays
 * while another holds. (Time ends are expired by the facade; `config-valid` and
 * `symbol-unblocked` clear on config loads, not on events.)
 */
export function lockoutsClearedBy(event: EngineEvent, lockouts: Iterable<Lockout>): string[] {
  if (event.kind !== 'account' || !event.account.canTrade) return [];
  const cleared: string[] = [];
  for (const lockout of lockouts) {
    if (lockout.accountId !== event.accountId) continue;
    if (lockoutHolds(lockout).some((h) => h.end.kind === 'condition' && h.end.condition === 'can-trade'))
      cleared.push(lockout.id);
  }
  return cleared;
}

function symbolOf(account: AccountView, contractId: ContractId): string | undefined {
  return account.contract(contractId)?.symbol ?? account.positions.get(contractId)?.symbol;
}

function covers(scope: LockoutScope, symbol: string | undefined): boolean {
  // A symbol lockout never widens: a contract whose symbol is unknown is outside every symbol scope.
  return scope.kind === 'account' || (symbol !== undefined && scope.symbol === symbol);
}

/** Describes the lockout that covers a contract, for reasons; undefined when none does. */
function coveringScope(
  account: AccountView,
  contractId: ContractId,
  inForce: readonly Lockout[],
  starting: readonly StartingLockout[],
): string | undefined {
  const symbol = symbolOf(account, contractId);
  for (const lockout of inForce)
    if (covers(lockout.scope, symbol)) return describeLockout(lockout.scope, lockout.code);
  for (const lockout of starting)
    if (covers(lockout.scope, symbol)) return describeLockout(lockout.scope, lockout.code);
  return undefined;
}

function describeLockout(scope: LockoutScope, code: string): string {
  return `${scope.kind === 'account' ? 'the account' : scope.symbol} is locked out (${code})`;
}

/** Remaining size of an order (what can still fill). */
function remaining(order: Order): number {
  return Math.max(0, order.size - order.fillVolume);
}

/** Newest first: later creation, then higher id. */
function newestFirst(a: Order, b: Order): number {
  return b.createdAt - a.createdAt || b.id - a.id;
}

/**
 * Working orders of one contract that would open or increase exposure if filled: every order of a
 * flat contract, every order on the position's side, and closing-side orders beyond the position's
 * size (protective orders, opposite side with a total size not above the position, are not
 * included; when there are too many, non-stop orders are taken first, newest first, so the stop
 * loss stays). Orders already pending cancellation are left out.
 */
export function entryOrders(account: AccountView, contractId: ContractId): Order[] {
  const position = account.positions.get(contractId);
  const closingSide = position ? (position.side === 'long' ? 'sell' : 'buy') : undefined;
  const entries: Order[] = [];
  const closing: Order[] = [];
  for (const order of account.workingOrders.values()) {
    if (order.contractId !== contractId) continue;
    // A cancel is already on its way for these.
    if (order.status === OrderStatus.PendingCancellation) continue;
    if (order.side === closingSide) closing.push(order);
    else entries.push(order);
  }
  if (position && closing.length > 0) {
    let total = 0;
    for (const order of closing) total += remaining(order);
    if (total > position.size) {
      closing.sort(
        (a, b) =>
          Number(STOP_ORDER_TYPES.has(a.type)) - Number(STOP_ORDER_TYPES.has(b.type)) || newestFirst(a, b),
      );
      for (const order of closing) {
        if (total <= position.size) break;
        entries.push(order);
        total -= remaining(order);
      }
    }
  }
  return entries.sort((a, b) => a.id - b.id);
}

function guardOrders(
  account: AccountView,
  contractId: ContractId,
  lockedBecause: string,
): RuleDecision | undefined {
  const position = account.positions.get(contractId);
  const cancel = entryOrders(account, contractId);
  if (cancel.length === 0) return undefined;
  const orderIds: OrderId[] = cancel.map((o) => o.id);
  const name = account.contract(contractId)?.name ?? contractId;
  const describe = cancel.map((o) => `${o.id} (${o.side} ${remaining(o)})`).join(', ');
  return {
    action: 'cancel-orders',
    contractId,
    orderIds,
    code: LOCKOUT_ENTRY_CANCELLED,
    reason: `cancelling ${name} order${cancel.length === 1 ? '' : 's'} ${describe}: would open or increase exposure while ${lockedBecause}`,
    severity: 'warning',
    data: { orderIds, position: position ? signedSize(position) : 0 },
  };
}

function guardEntryFill(
  input: LockoutGuardInput,
  inForce: readonly Lockout[],
  contractId: ContractId,
  orderId: OrderId,
  fillSize: number,
): RuleDecision | undefined {
  const { account, memory } = input;
  const symbol = symbolOf(account, contractId);
  let since = Number.POSITIVE_INFINITY;
  let first: Lockout | undefined;
  for (const lockout of inForce) {
    const start = lockedSince(lockout, input.now) ?? Number.POSITIVE_INFINITY;
    if (covers(lockout.scope, symbol) && start < since) {
      since = start;
      first = lockout;
    }
  }
  const position = account.positions.get(contractId);
  if (!first || !position) return undefined;

  const key = `allowed:${contractId}`;
  const record = memory.get<AllowedRecord>(key);
  let allowed: number;
  if (record && record.epoch === position.epoch && record.side === position.side && record.since === since) {
    allowed = record.size;
  } else {
    allowed = sizeBeforeFill(position, input.update.positionChanges, account.accountId, contractId, fillSize);
    // Only a position held from before the lockout may stay; one opened during it is closed whole.
    if (position.openedAt >= since) allowed = 0;
    memory.set(key, {
      epoch: position.epoch,
      side: position.side,
      since,
      size: allowed,
    } satisfies AllowedRecord);
  }
  if (position.size <= allowed) return undefined;
  const name = account.contract(contractId)?.name ?? contractId;
  const what =
    allowed === 0
      ? `closing the ${position.side} ${position.size}`
      : `reducing the ${position.side} ${position.size} to ${allowed} (the size held before the lockout)`;
  return {
    action: allowed === 0 ? 'close-position' : 'reduce-position',
    contractId,
    ...(allowed === 0 ? {} : { reduceTo: allowed }),
    code: LOCKOUT_FILL_CLOSED,
    reason: `fill of order ${orderId} added ${fillSize} ${name} while ${describeLockout(first.scope, first.code)}: ${what}`,
    severity: 'warning',
    data: { orderId, fillSize, size: position.size, allowed, lockoutId: first.id },
  };
}

/** The position's size on its current side before this fill (0 when it opened or flipped). */
function sizeBeforeFill(
  position: PositionView,
  changes: readonly RiskPositionChange[],
  accountId: number,
  contractId: ContractId,
  fillSize: number,
): number {
  for (const change of changes) {
    if (change.accountId !== accountId || change.contractId !== contractId) continue;
    if (change.flipped || change.before === 0 || Math.sign(change.before) !== Math.sign(change.after))
      return 0;
    // An increase seen by this fill; an unchanged size means a position event already applied it.
    if (Math.abs(change.after) > Math.abs(change.before)) return Math.abs(change.before);
  }
  // No increase reported (the position event came first): take the fill back out of the size.
  return Math.max(0, position.size - fillSize);
}

function signedSize(position: PositionView): number {
  return position.side === 'long' ? position.size : -position.size;
}
