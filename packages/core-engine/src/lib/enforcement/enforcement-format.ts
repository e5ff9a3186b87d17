import type { LockoutScope } from '../domain/lockout.js';
import type { EngineEvent } from '../events/events.js';
import type { AlertSeverity } from '../ports/notifier.js';
import type { Decision } from '../rules/rule-api.js';

/**
 * A small, JSON-safe description of the event that triggered a decision, for the audit trail
 * (RULES.md guarantee 7): what it was and the numbers that matter, never the whole payload.
 */
export function compactEvent(event: EngineEvent): Record<string, unknown> {
  const base = {
    kind: event.kind,
    origin: event.origin,
    receivedAt: event.receivedAt,
    brokerTime: event.brokerTime,
  };
  switch (event.kind) {
    case 'fill': {
      const f = event.fill;
      return {
        ...base,
        accountId: event.accountId,
        fillId: f.id,
        orderId: f.orderId,
        contractId: f.contractId,
        side: f.side,
        size: f.size,
        price: f.price,
        profitAndLoss: f.profitAndLoss,
        voided: f.voided,
      };
    }
    case 'order': {
      const o = event.order;
      return {
        ...base,
        accountId: event.accountId,
        orderId: o.id,
        contractId: o.contractId,
        type: o.type,
        side: o.side,
        size: o.size,
        status: o.status,
        fillVolume: o.fillVolume,
      };
    }
    case 'position': {
      const p = event.position;
      return {
        ...base,
        accountId: event.accountId,
        contractId: p.contractId,
        side: p.side,
        size: p.size,
        averagePrice: p.averagePrice,
      };
    }
    case 'account':
      return {
        ...base,
        accountId: event.accountId,
        balance: event.account.balance,
        canTrade: event.account.canTrade,
      };
    case 'quote': {
      const q = event.quote;
      return { ...base, contractId: q.contractId, bid: q.bid, ask: q.ask, last: q.last };
    }
    case 'contract':
      return { ...base, contractId: event.contract.id };
    case 'connection':
      return { ...base, channel: event.channel, state: event.state };
    case 'timer':
      return {
        ...base,
        accountId: event.accountId,
        instanceId: event.instanceId,
        key: event.key,
        dueAt: event.dueAt,
      };
    case 'reset':
      return { ...base, at: event.at, weekStart: event.weekStart };
  }
}

const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { info: 0, warning: 1, critical: 2 };

/** The most severe of the decisions' severities (`info` when there are none). */
export function maxSeverity(decisions: readonly Decision[]): AlertSeverity {
  let best: AlertSeverity = 'info';
  for (const d of decisions) if (SEVERITY_RANK[d.severity] > SEVERITY_RANK[best]) best = d.severity;
  return best;
}

export function formatScope(scope: LockoutScope): string {
  return scope.kind === 'account' ? 'account' : `symbol ${scope.symbol}`;
}

// Lives with the lockout model (it is public there); kept here for the enforcement texts.
export { formatLockoutEnd } from '../domain/lockout.js';

/** What a decision asks for, as a past-tense phrase for "would have ..." rows. */
export function describeDecision(d: Decision, contractName: string | undefined): string {
  const target = contractName ?? d.contractId ?? 'the account';
  let text: string;
  switch (d.action) {
    case 'alert':
      text = 'alerted';
      break;
    case 'cancel-orders':
      text = `cancelled orders on ${target}`;
      break;
    case 'reduce-position':
      text = `reduced ${target} to ${d.reduceTo ?? 0}`;
      break;
    case 'close-position':
      text = `closed ${target}`;
      break;
    case 'flatten':
      text = 'flattened the account';
      break;
    case 'none':
      text = d.lockout ? '' : 'done nothing';
      break;
  }
  if (d.lockout) {
    const lock = `locked the ${formatScope(d.lockout.scope)}`;
    text = text ? `${text} and ${lock}` : lock;
  }
  return text;
}
