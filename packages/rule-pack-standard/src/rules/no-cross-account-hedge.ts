import { type AccountView, defineRule, type PositionView, type RuleDecision } from '@riskd/core-engine';
import { knownPositions } from '../lib/symbols.js';
import { optionsObject } from '../lib/schema.js';
import { formatLocal } from '../lib/session-schedule.js';

/** `no-cross-account-hedge` has no options. */
export type NoCrossAccountHedgeOptions = Record<string, never>;

/** Reason codes of `no-cross-account-hedge`. */
export const CROSS_ACCOUNT_HEDGE_CODES = { hedge: 'CROSS_ACCOUNT_HEDGE' } as const;

/** Which of two opposing positions is the newer: opened later, then increased later, then the higher account id. */
export function newerOf(a: PositionView, b: PositionView): PositionView {
  if (a.openedAt !== b.openedAt) return a.openedAt > b.openedAt ? a : b;
  if (a.lastIncreaseAt !== b.lastIncreaseAt) return a.lastIncreaseAt > b.lastIncreaseAt ? a : b;
  return a.accountId > b.accountId ? a : b;
}

function accountLabel(view: AccountView | undefined, accountId: number): string {
  return view?.account?.name ? `${view.account.name} (${accountId})` : String(accountId);
}

/**
 * `no-cross-account-hedge`: Topstep prohibits holding opposite positions in the same symbol across
 * one's own accounts. When the evaluated account's position opposes one on another protected
 * account, the newer of the two is closed (on whichever account it is).
 */
export const noCrossAccountHedgeRule = defineRule<NoCrossAccountHedgeOptions>({
  id: 'no-cross-account-hedge',
  title: 'No hedging across accounts',
  description:
    'Closes the newer of two opposite positions in the same symbol held on different protected accounts of the trader.',
  optionsSchema: optionsObject({}),
  events: ['fill', 'position', 'contract'],
  create() {
    return {
      evaluate(_event, ctx) {
        const me = ctx.account;
        if (me.positions.size === 0) return [];
        const out: RuleDecision[] = [];
        const closing = new Set<string>();
        for (const other of ctx.accounts.all()) {
          if (other.accountId === me.accountId) continue;
          for (const q of knownPositions(other)) {
            for (const p of knownPositions(me)) {
              if (p.symbol !== q.symbol || p.side === q.side) continue;
              const newer = newerOf(p, q);
              const older = newer === p ? q : p;
              const key = `${newer.accountId}:${newer.contractId}`;
              if (closing.has(key)) continue;
              closing.add(key);
              const describe = (x: PositionView) =>
                `${x.symbol} ${x.side} ${x.size} on account ${accountLabel(ctx.accounts.get(x.accountId), x.accountId)} (opened ${formatLocal(ctx.calendar, x.openedAt)})`;
              out.push({
                action: 'close-position',
                accountId: newer.accountId,
                contractId: newer.contractId,
                code: CROSS_ACCOUNT_HEDGE_CODES.hedge,
                reason: `${describe(newer)} hedges ${describe(older)}: closing the newer`,
                data: {
                  symbol: newer.symbol,
                  newer: {
                    accountId: newer.accountId,
                    contractId: newer.contractId,
                    side: newer.side,
                    openedAt: newer.openedAt,
                  },
                  older: {
                    accountId: older.accountId,
                    contractId: older.contractId,
                    side: older.side,
                    openedAt: older.openedAt,
                  },
                },
              });
            }
          }
        }
        return out;
      },
    };
  },
  compare() {
    return 'same';
  },
});
