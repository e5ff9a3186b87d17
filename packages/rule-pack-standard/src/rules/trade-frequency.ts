import {
  defineRule,
  type EntryRecord,
  type LockoutEndSpec,
  type Instant,
  type OrderId,
  parseDuration,
  type RuleContext,
  type RuleDecision,
  type Strictness,
} from '@riskd/core-engine';
import { ACCOUNT_SCOPE } from '../lib/account-helpers.js';
import { usableWarnAt } from '../lib/money-checks.js';
import { boolean, duration, optionsObject } from '../lib/schema.js';
import { combineStrictness, compareDuration, compareFlag, compareOptionalLimit } from '../lib/strictness.js';

/** One counting window: at most `limit` entries, else a lockout for `cooldown`. */
export interface FrequencyWindow {
  readonly limit: number;
  readonly cooldown: string;
}

/** Options of `trade-frequency`. */
export interface TradeFrequencyOptions {
  readonly perMinute: FrequencyWindow | null;
  readonly perHour: FrequencyWindow | null;
  readonly perDay: FrequencyWindow | null;
  readonly perWeek: FrequencyWindow | null;
  /** Also reduce the position opened or increased by the excess entry by that entry's size. */
  readonly closeExcess: boolean;
}

type WindowKey = 'perMinute' | 'perHour' | 'perDay' | 'perWeek';

/** Reason codes of `trade-frequency`. */
export const TRADE_FREQUENCY_CODES = {
  perMinute: 'TRADE_FREQUENCY_PER_MINUTE',
  perHour: 'TRADE_FREQUENCY_PER_HOUR',
  perDay: 'TRADE_FREQUENCY_PER_DAY',
  perWeek: 'TRADE_FREQUENCY_PER_WEEK',
  excess: 'TRADE_FREQUENCY_EXCESS_CLOSED',
  warning: 'TRADE_FREQUENCY_WARNING',
} as const;

const WINDOWS: readonly {
  readonly key: WindowKey;
  readonly label: string;
  readonly cooldown: string;
  /** Rolling length; absent for the calendar windows (trading day, trading week). */
  readonly ms?: number;
}[] = [
  { key: 'perMinute', label: 'in the last minute', cooldown: '60s', ms: 60_000 },
  { key: 'perHour', label: 'in the last hour', cooldown: '30m', ms: 3_600_000 },
  { key: 'perDay', label: 'in the trading day', cooldown: 'until-reset' },
  { key: 'perWeek', label: 'in the trading week', cooldown: 'until-week-reset' },
];

function windowSchema(description: string, cooldown: string): Readonly<Record<string, unknown>> {
  return {
    type: 'object',
    nullable: true,
    additionalProperties: false,
    required: ['limit'],
    properties: {
      limit: {
        type: 'integer',
        minimum: 1,
        description: 'Entries allowed in the window; the entry after the limit-th one trips the rule.',
      },
      cooldown: duration(`Lockout after the window is exceeded (default ${cooldown}).`, cooldown),
    },
    default: null,
    description,
  };
}

interface ExcessRecord {
  readonly orderId: OrderId;
  readonly contractId: string;
  readonly epoch: number;
  readonly reduceTo: number;
}

interface FrequencyState {
  /**
   * Entries already judged, as [order id, time of its first fill], so partial fills of one order
   * are one entry and the fills the engine replays after a restart are not judged again.
   */
  readonly seen: readonly (readonly [OrderId, Instant])[];
  /** Excess entries being closed (`closeExcess`), re-applied to later partial fills of the same order. */
  readonly excess: readonly (ExcessRecord & { readonly at: Instant })[];
}

/**
 * `trade-frequency`: counts entries (orders that open or increase a position) in rolling minute
 * and hour windows and in the trading day and week; the entry that makes a window exceed its
 * limit locks the account for that window's cooldown (and with `closeExcess` is taken back out).
 */
export const tradeFrequencyRule = defineRule<TradeFrequencyOptions>({
  id: 'trade-frequency',
  title: 'Trade frequency',
  description:
    'Locks the account for a cooldown when an entry exceeds the number of entries allowed per minute, hour, trading day or trading week.',
  optionsSchema: optionsObject({
    perMinute: windowSchema('Entries per rolling 60 seconds, e.g. {"limit": 3}. Empty: not counted.', '60s'),
    perHour: windowSchema('Entries per rolling 60 minutes, e.g. {"limit": 10}. Empty: not counted.', '30m'),
    perDay: windowSchema('Entries per trading day, e.g. {"limit": 30}. Empty: not counted.', 'until-reset'),
    perWeek: windowSchema(
      'Entries per trading week, e.g. {"limit": 100}. Empty: not counted.',
      'until-week-reset',
    ),
    closeExcess: boolean(
      "Also take the excess entry back out: reduce its position by that entry's size.",
      false,
    ),
  }),
  events: ['fill'],
  create(options) {
    return {
      evaluate(event, ctx) {
        if (event.kind !== 'fill' || event.fill.voided) return [];
        const entries = ctx.account.entries;
        let index = -1;
        for (let i = entries.length - 1; i >= 0; i--) {
          if (entries[i]?.orderId === event.fill.orderId) {
            index = i;
            break;
          }
        }
        const entry = entries[index];
        if (!entry) return [];
        const state = loadState(ctx);
        // Fills replayed from the broker's history at start never take contracts back out: the
        // position may have changed since, and what was decided then was acted on then.
        const live = event.origin !== 'snapshot';
        if (state.seen.some(([id]) => id === entry.orderId))
          return live ? reapplyExcess(ctx, state, entry) : [];

        const out: RuleDecision[] = [];
        const warnAt = usableWarnAt(ctx.instance.warnAt);
        let exceeded = false;
        for (const w of WINDOWS) {
          const configured = options[w.key];
          if (!configured) continue;
          const rank = rankInWindow(
            entries,
            index,
            w.ms,
            w.key === 'perDay' ? ctx.account.tradingDay.start : null,
          );
          if (rank > configured.limit) {
            // A fixed cooldown counts from the excess entry, so seeing it again later sets the same end.
            const spec = parseDuration(configured.cooldown);
            const end: LockoutEndSpec =
              spec.kind === 'duration' ? { kind: 'at', at: entry.at + spec.ms } : spec;
            if (end.kind === 'at' && end.at <= ctx.now) continue;
            exceeded = true;
            out.push({
              action: 'none',
              lockout: { scope: ACCOUNT_SCOPE, end },
              code: TRADE_FREQUENCY_CODES[w.key],
              reason: `entry ${rank} ${w.label} exceeded the limit of ${configured.limit}: cooldown ${configured.cooldown}`,
              data: {
                window: w.key,
                count: rank,
                limit: configured.limit,
                cooldown: configured.cooldown,
                orderId: entry.orderId,
              },
            });
          } else if (warnAt !== undefined && rank >= Math.ceil(configured.limit * warnAt)) {
            const warning = ctx.warnOnce(
              TRADE_FREQUENCY_CODES.warning,
              `entry ${rank} ${w.label} of ${configured.limit} allowed`,
              { window: w.key, count: rank, limit: configured.limit, warnAt },
            );
            if (warning) out.push(warning);
          }
        }
        let excess = state.excess;
        if (exceeded && options.closeExcess && live) {
          const position = ctx.account.positions.get(entry.contractId);
          if (position) {
            const record = {
              at: entry.at,
              orderId: entry.orderId,
              contractId: entry.contractId,
              epoch: position.epoch,
              reduceTo: Math.max(0, position.size - entry.size),
            };
            excess = [...excess, record];
            out.push(excessDecision(ctx, record, entry));
          }
        }
        saveState(ctx, { seen: [...state.seen, [entry.orderId, entry.at]], excess });
        return out;
      },
    };
  },
  compare(previous, next): Strictness {
    const parts: Strictness[] = [compareFlag(previous.closeExcess, next.closeExcess)];
    for (const w of WINDOWS) {
      const p = previous[w.key];
      const n = next[w.key];
      parts.push(compareOptionalLimit(p?.limit, n?.limit));
      if (p && n) parts.push(compareDuration(p.cooldown, n.cooldown));
    }
    return combineStrictness(parts);
  },
});

/**
 * Position of the entry at `index` among the entries of its window: rolling windows hold the
 * entries in (at - length, at]; the day window those since the trading day's start; the week
 * window every entry of the week (the view holds the current week's entries only).
 */
function rankInWindow(
  entries: readonly EntryRecord[],
  index: number,
  ms: number | undefined,
  from: Instant | null,
): number {
  const at = (entries[index] as EntryRecord).at;
  let rank = 0;
  for (let i = 0; i <= index; i++) {
    const e = entries[i] as EntryRecord;
    if (ms !== undefined ? e.at > at - ms : from === null || e.at >= from) rank++;
  }
  return rank;
}

function loadState(ctx: RuleContext): FrequencyState {
  const stored = ctx.state.get<FrequencyState>('frequency');
  // Entries of earlier weeks are never counted again: forget them.
  const weekStart = ctx.calendar.weekStartAt(ctx.now);
  return {
    seen: (stored?.seen ?? []).filter(([, at]) => at >= weekStart),
    excess: (stored?.excess ?? []).filter((r) => r.at >= weekStart),
  };
}

function saveState(ctx: RuleContext, state: FrequencyState): void {
  ctx.state.set('frequency', state);
}

/** Later partial fills of an excess entry: keep reducing to the size the position had before it. */
function reapplyExcess(ctx: RuleContext, state: FrequencyState, entry: EntryRecord): RuleDecision[] {
  const record = state.excess.find((r) => r.orderId === entry.orderId);
  if (!record) return [];
  const position = ctx.account.positions.get(record.contractId);
  if (!position || position.epoch !== record.epoch || position.size <= record.reduceTo) return [];
  return [excessDecision(ctx, record, entry)];
}

function excessDecision(ctx: RuleContext, record: ExcessRecord, entry: EntryRecord): RuleDecision {
  const position = ctx.account.positions.get(record.contractId);
  const label = position ? `${position.symbol} ${position.side} ${position.size}` : entry.symbol;
  return {
    action: record.reduceTo === 0 ? 'close-position' : 'reduce-position',
    contractId: record.contractId,
    ...(record.reduceTo === 0 ? {} : { reduceTo: record.reduceTo }),
    code: TRADE_FREQUENCY_CODES.excess,
    reason: `excess entry order ${entry.orderId} (${entry.size} contracts) taken back out: ${record.reduceTo === 0 ? `closing ${label}` : `reducing ${label} to ${record.reduceTo}`}`,
    data: { orderId: entry.orderId, entrySize: entry.size, reduceTo: record.reduceTo },
  };
}
