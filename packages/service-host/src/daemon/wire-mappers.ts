import type {
  AccountDetail,
  AccountSummary,
  AlertWire,
  LockoutHoldWire,
  LockoutWire,
  OrderStatusWire,
  OrderTypeWire,
  PositionWire,
  RoundTripWire,
  TradingDayWire,
  WorkingOrderWire,
  PnlWire,
} from '@riskd/api-client';
import {
  formatMoney,
  lockoutInForce,
  OrderStatus,
  OrderType,
  type AccountView,
  type Alert,
  type Instant,
  type Lockout,
  type LockoutHold,
  type Micros,
  type Order,
  type PnlView,
  type PositionView,
  type RoundTrip,
  type TradingDay,
} from '@riskd/core-engine';

/** An instant on the wire. */
export function iso(at: Instant): string {
  return new Date(at).toISOString();
}

export function isoOrNull(at: Instant | null | undefined): string | null {
  return at === null || at === undefined ? null : iso(at);
}

export function moneyOrNull(micros: Micros | null | undefined): string | null {
  return micros === null || micros === undefined ? null : formatMoney(micros);
}

export function tradingDayWire(day: TradingDay): TradingDayWire {
  return { id: day.id, start: iso(day.start), end: iso(day.end) };
}

export function pnlWire(pnl: PnlView): PnlWire {
  return {
    realized: formatMoney(pnl.realized),
    unrealized: formatMoney(pnl.unrealized),
    combined: formatMoney(pnl.combined),
    fees: formatMoney(pnl.fees),
    peakRealized: formatMoney(pnl.peakRealized),
    peakCombined: formatMoney(pnl.peakCombined),
    stale: pnl.stale,
  };
}

/** One hold of a lockout on the wire (the same flat shape as the lockout's own fields). */
export function lockoutHoldWire(hold: LockoutHold): LockoutHoldWire {
  return {
    ruleId: hold.ruleId,
    instanceId: hold.instanceId,
    code: hold.code,
    reason: hold.reason,
    startedAt: iso(hold.startedAt),
    endsAt: hold.end.kind === 'at' ? iso(hold.end.at) : null,
    endCondition: hold.end.kind === 'condition' ? hold.end.condition : null,
  };
}

/** A lockout on the wire: its primary hold flat, the other holds in `holds` (always sent, maybe empty). */
export function lockoutWire(lockout: Lockout): LockoutWire {
  return {
    id: lockout.id,
    accountId: lockout.accountId,
    scope: lockout.scope.kind,
    symbol: lockout.scope.kind === 'symbol' ? lockout.scope.symbol : null,
    ...lockoutHoldWire(lockout),
    holds: (lockout.holds ?? []).map(lockoutHoldWire),
  };
}

export function positionWire(p: PositionView): PositionWire {
  return {
    contractId: p.contractId,
    contractName: p.contract.name,
    symbol: p.symbol,
    side: p.side,
    size: p.size,
    averagePrice: p.averagePrice,
    basisPrice: p.basisPrice,
    mark: p.mark,
    markStale: p.markStale,
    carried: p.carried,
    openedAt: iso(p.openedAt),
    lastQuoteAt: isoOrNull(p.lastQuoteAt),
    unrealized: formatMoney(p.unrealized),
  };
}

const ORDER_TYPES: Record<OrderType, OrderTypeWire> = {
  [OrderType.Unknown]: 'unknown',
  [OrderType.Limit]: 'limit',
  [OrderType.Market]: 'market',
  [OrderType.StopLimit]: 'stop-limit',
  [OrderType.Stop]: 'stop',
  [OrderType.TrailingStop]: 'trailing-stop',
  [OrderType.JoinBid]: 'join-bid',
  [OrderType.JoinAsk]: 'join-ask',
};

function orderStatusWire(status: OrderStatus): OrderStatusWire {
  switch (status) {
    case OrderStatus.Pending:
      return 'pending';
    case OrderStatus.Suspended:
      return 'suspended';
    case OrderStatus.PendingCancellation:
      return 'pending-cancellation';
    default:
      return 'open';
  }
}

export function orderWire(order: Order, symbol: string): WorkingOrderWire {
  return {
    id: order.id,
    contractId: order.contractId,
    symbol,
    type: ORDER_TYPES[order.type] ?? 'unknown',
    side: order.side,
    size: order.size,
    status: orderStatusWire(order.status),
    limitPrice: order.limitPrice,
    stopPrice: order.stopPrice,
    fillVolume: order.fillVolume,
    createdAt: iso(order.createdAt),
  };
}

export function roundTripWire(r: RoundTrip): RoundTripWire {
  return {
    contractId: r.contractId,
    symbol: r.symbol,
    side: r.side,
    openedAt: iso(r.openedAt),
    closedAt: iso(r.closedAt),
    pnl: formatMoney(r.pnl),
    fees: formatMoney(r.fees),
    maxSize: r.maxSize,
  };
}

/** What the daemon knows about an account besides its engine view. */
export interface AccountFlags {
  readonly protected: boolean;
  readonly alertOnly: boolean;
}

/** The lockouts of an account that are still in force at `now`. */
export function lockoutsInForce(view: AccountView, now: Instant): Lockout[] {
  return [...view.lockouts.values()]
    .filter((l) => lockoutInForce(l, now))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export function accountSummary(view: AccountView, flags: AccountFlags, now: Instant): AccountSummary {
  const lockouts = lockoutsInForce(view, now);
  const account = view.account;
  return {
    id: view.accountId,
    name: account?.name ?? String(view.accountId),
    protected: flags.protected,
    alertOnly: flags.alertOnly,
    canTrade: account?.canTrade ?? false,
    simulated: account?.simulated ?? false,
    balance: moneyOrNull(account?.balance),
    equity: moneyOrNull(view.equity),
    balanceAtReset: moneyOrNull(view.balanceAtReset),
    pnl: pnlWire(view.pnl),
    openPositions: view.positions.size,
    workingOrders: view.workingOrders.size,
    locked: lockouts.length > 0,
    lockoutIds: lockouts.map((l) => l.id),
  };
}

export function accountDetail(view: AccountView, flags: AccountFlags, now: Instant): AccountDetail {
  return {
    ...accountSummary(view, flags, now),
    tradingDay: tradingDayWire(view.tradingDay),
    positions: [...view.positions.values()].map(positionWire),
    orders: [...view.workingOrders.values()].map((o) =>
      orderWire(o, view.contract(o.contractId)?.symbol ?? o.contractId),
    ),
    lockouts: lockoutsInForce(view, now).map(lockoutWire),
    roundTrips: view.roundTrips.map(roundTripWire),
  };
}

export function alertWire(alert: Alert): AlertWire {
  return {
    id: alert.id,
    at: iso(alert.at),
    severity: alert.severity,
    kind: alert.kind,
    accountId: alert.accountId ?? null,
    ruleId: alert.ruleId ?? null,
    code: alert.code ?? null,
    title: alert.title,
    message: alert.message,
    fields: alert.fields ?? {},
  };
}
