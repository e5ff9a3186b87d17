import type { AccountId, Instant, Micros } from '../../src/index.js';
import { FAKE_CONTRACTS, type FakeBroker } from '../../src/testing.js';

const CONTRACTS = Object.values(FAKE_CONTRACTS);

/** Rounds to a whole micro-dollar, half away from zero (as the engine does). */
function roundHalfAway(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}

/**
 * Combined P&L of the trading day from the broker's own records, computed independently of the
 * engine (RULES.md section 1): closing fills' P&L minus the fees of every fill since `dayStart`
 * (voided fills left out), plus each open position's unrealized P&L at the conservative mark (bid
 * for longs, ask for shorts, else last).
 */
export function combinedAtBroker(broker: FakeBroker, accountId: AccountId, dayStart: Instant): Micros {
  let realized = 0;
  for (const fill of broker.accountFills(accountId)) {
    if (fill.voided || fill.time < dayStart) continue;
    realized += (fill.profitAndLoss ?? 0) - fill.fees;
  }
  let unrealized = 0;
  for (const contract of CONTRACTS) {
    const position = broker.position(accountId, contract.id);
    if (!position) continue;
    const quote = broker.quote(contract.id);
    const mark = (position.side === 'long' ? quote?.bid : quote?.ask) ?? quote?.last;
    if (mark === undefined || mark === null) continue;
    const markTicks = Math.round(mark / contract.tickSize);
    const sign = position.side === 'long' ? 1 : -1;
    unrealized += roundHalfAway(
      (markTicks - position.averageTicks) * position.size * contract.tickValue * sign,
    );
  }
  return realized + unrealized;
}

/** Gross open contracts (sum of |size|) of an account at the broker. */
export function grossAtBroker(broker: FakeBroker, accountId: AccountId): number {
  let gross = 0;
  for (const contract of CONTRACTS) gross += Math.abs(broker.netSize(accountId, contract.id));
  return gross;
}
