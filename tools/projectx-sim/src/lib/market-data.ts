import { ControlError } from './errors.js';
import type { FixtureContract } from './fixture.js';
import { isTickAligned, roundPrice, toTick, wireTimestamp } from './format.js';
import { Prng, deriveSeed } from './prng.js';
import {
  BarUnit,
  DomType,
  TradeLogType,
  type WireBar,
  type WireContract,
  type WireDepth,
  type WireMarketTrade,
  type WireQuote,
} from './wire.js';

/** Bounded tick history of one contract (parallel arrays: time ms, price, volume). */
interface TickHistory {
  t: number[];
  p: number[];
  v: number[];
}

const HISTORY_MAX = 200_000;
const HISTORY_TRIM = 20_000;

/** A trade print on the tape: price, volume and aggressor side (TradeLogType). */
export interface Print {
  price: number;
  volume: number;
  aggressor: 0 | 1;
}

/** Live state of one contract: the ContractModel, its quote, its tape and its feed settings. */
export interface ContractState {
  contract: WireContract;
  feePerSide: number;
  walkTicks: number;
  bid: number;
  ask: number;
  last: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  /** Reference for `change`/`changePercent` (the initial last price). */
  settlement: number;
  lastUpdatedMs: number;
  /** False while the market is closed for this contract (orders answer OutsideTradingHours). */
  marketOpen: boolean;
  /** True while the quote stream is frozen: prices move, market hub events are not sent. */
  frozen: boolean;
  prng: Prng;
  history: TickHistory;
}

/** A price update: any of bid, ask, last; a `last` is also a print of `volume` (default 1). */
export interface PriceUpdate {
  bid?: number;
  ask?: number;
  last?: number;
  volume?: number;
}

/** Called after every applied update (the hub publishes, the matching engine matches). */
export type MarketListener = (state: ContractState, print: Print | null) => void;

/** A History/retrieveBars query after validation. */
export interface BarQuery {
  startMs: number;
  endMs: number;
  unit: number;
  unitNumber: number;
  limit: number;
  includePartialBar: boolean;
}

const UNIT_MS: Record<number, number> = {
  [BarUnit.Second]: 1000,
  [BarUnit.Minute]: 60_000,
  [BarUnit.Hour]: 3_600_000,
  [BarUnit.Day]: 86_400_000,
  [BarUnit.Week]: 7 * 86_400_000,
};
/** 1970-01-04 was a Sunday: weekly bars start Sunday 00:00 UTC. */
const WEEK_ORIGIN_MS = 3 * 86_400_000;

/**
 * Quotes, tapes and bars of every contract. Updates come from the price feeds (walk, path, replay)
 * or the control API; listeners run synchronously after each update.
 */
export class MarketData {
  private readonly states = new Map<string, ContractState>();
  private readonly listeners: MarketListener[] = [];

  constructor(
    private readonly seed: number,
    private readonly now: () => number,
  ) {}

  onUpdate(listener: MarketListener): void {
    this.listeners.push(listener);
  }

  /** Adds a contract with its initial quote and a synthetic back-history of one print a minute. */
  addContract(fixture: FixtureContract, historyHours: number): ContractState {
    if (this.states.has(fixture.id)) throw new ControlError('CONFLICT', `contract ${fixture.id} exists`);
    const tick = fixture.tickSize;
    const last = fixture.price.last;
    const bid = fixture.price.bid ?? last;
    const ask = fixture.price.ask ?? roundPrice(Math.max(bid, last) + tick);
    if (ask < bid) throw new ControlError('CONTROL_INVALID', `contract ${fixture.id}: ask below bid`);
    const now = this.now();
    const state: ContractState = {
      contract: {
        id: fixture.id,
        name: fixture.name,
        description: fixture.description,
        tickSize: fixture.tickSize,
        tickValue: fixture.tickValue,
        activeContract: fixture.activeContract,
        symbolId: fixture.symbolId,
      },
      feePerSide: fixture.feePerSide,
      walkTicks: fixture.walkTicks ?? 2,
      bid,
      ask,
      last,
      open: last,
      high: last,
      low: last,
      volume: 0,
      settlement: last,
      lastUpdatedMs: now,
      marketOpen: true,
      frozen: false,
      prng: new Prng(deriveSeed(this.seed, `walk:${fixture.id}`)),
      history: { t: [], p: [], v: [] },
    };
    this.backfill(state, now, historyHours);
    this.states.set(fixture.id, state);
    return state;
  }

  /** A walk backwards from the initial price, so History/retrieveBars has data from the start. */
  private backfill(state: ContractState, now: number, hours: number): void {
    const points = Math.max(0, Math.floor(hours * 60));
    const prng = new Prng(deriveSeed(this.seed, `history:${state.contract.id}`));
    const tick = state.contract.tickSize;
    const prices: number[] = [];
    let price = state.last;
    for (let i = 0; i < points; i++) {
      prices.push(price);
      price = Math.max(tick, roundPrice(price + prng.int(-4, 4) * tick));
    }
    prices.reverse();
    const start = Math.floor(now / 60_000) * 60_000 - points * 60_000;
    prices.forEach((p, i) => {
      state.history.t.push(start + i * 60_000);
      state.history.p.push(p);
      state.history.v.push(prng.int(1, 40));
    });
  }

  get(contractId: string): ContractState | undefined {
    return this.states.get(contractId);
  }

  require(contractId: string): ContractState {
    const state = this.states.get(contractId);
    if (!state) throw new ControlError('NOT_FOUND', `no contract ${contractId}`);
    return state;
  }

  all(): ContractState[] {
    return [...this.states.values()];
  }

  /**
   * Applies a price update. When only `last` is given the quote becomes bid = last,
   * ask = last + 1 tick; when only one side is given the other keeps its value unless that would
   * cross, in which case it moves one tick away. Throws on prices off the tick grid.
   */
  apply(contractId: string, update: PriceUpdate): void {
    const state = this.require(contractId);
    const tick = state.contract.tickSize;
    for (const key of ['bid', 'ask', 'last'] as const) {
      const value = update[key];
      if (value === undefined) continue;
      if (!Number.isFinite(value) || value <= 0 || !isTickAligned(value, tick)) {
        throw new ControlError(
          'CONTROL_INVALID',
          `${key} ${value} is not a positive price on the ${tick} tick grid`,
        );
      }
    }
    let { bid, ask } = state;
    const last = update.last !== undefined ? toTick(update.last, tick) : state.last;
    if (update.bid === undefined && update.ask === undefined) {
      if (update.last !== undefined) {
        bid = last;
        ask = roundPrice(last + tick);
      }
    } else {
      if (update.bid !== undefined) bid = toTick(update.bid, tick);
      if (update.ask !== undefined) ask = toTick(update.ask, tick);
      if (ask < bid) {
        if (update.ask === undefined) ask = roundPrice(bid + tick);
        else if (update.bid === undefined) bid = roundPrice(ask - tick);
        else throw new ControlError('CONTROL_INVALID', `ask ${ask} is below bid ${bid}`);
      }
    }
    let print: Print | null = null;
    if (update.last !== undefined) {
      const volume = update.volume ?? 1;
      print = { price: last, volume, aggressor: last >= ask ? TradeLogType.Buy : TradeLogType.Sell };
    }
    this.commit(state, bid, ask, print);
  }

  /** One random-walk step: the last price moves by up to `walkTicks` ticks; spread stays one tick. */
  walkStep(contractId: string): void {
    const state = this.require(contractId);
    const tick = state.contract.tickSize;
    const delta = state.prng.int(-state.walkTicks, state.walkTicks);
    const volume = state.prng.int(1, 10);
    let last = roundPrice(state.last + delta * tick);
    if (last < tick) last = tick;
    // Up-ticks print at the ask (buyer aggressor), down and flat ticks at the bid.
    const buy = delta > 0;
    const bid = buy ? roundPrice(last - tick) : last;
    const ask = buy ? last : roundPrice(last + tick);
    this.commit(state, Math.max(bid, tick), ask, {
      price: last,
      volume,
      aggressor: buy ? TradeLogType.Buy : TradeLogType.Sell,
    });
  }

  private commit(state: ContractState, bid: number, ask: number, print: Print | null): void {
    const now = this.now();
    state.bid = bid;
    state.ask = ask;
    state.lastUpdatedMs = now;
    if (print) {
      state.last = print.price;
      state.volume += print.volume;
      if (print.price > state.high) state.high = print.price;
      if (print.price < state.low) state.low = print.price;
      const h = state.history;
      h.t.push(now);
      h.p.push(print.price);
      h.v.push(print.volume);
      if (h.t.length > HISTORY_MAX) {
        h.t.splice(0, HISTORY_TRIM);
        h.p.splice(0, HISTORY_TRIM);
        h.v.splice(0, HISTORY_TRIM);
      }
    }
    for (const listener of this.listeners) listener(state, print);
  }

  /** GatewayQuote data of a contract. */
  quote(state: ContractState): WireQuote {
    const ts = wireTimestamp(state.lastUpdatedMs);
    const change = roundPrice(state.last - state.settlement);
    return {
      symbol: state.contract.symbolId,
      symbolName: state.contract.name,
      lastPrice: state.last,
      bestBid: state.bid,
      bestAsk: state.ask,
      change,
      changePercent: Math.round((change / state.settlement) * 100 * 1e4) / 1e4,
      open: state.open,
      high: state.high,
      low: state.low,
      volume: state.volume,
      lastUpdated: ts,
      timestamp: ts,
    };
  }

  /** GatewayTrade data of a print. */
  marketTrade(state: ContractState, print: Print): WireMarketTrade {
    return {
      symbolId: state.contract.symbolId,
      price: print.price,
      timestamp: wireTimestamp(state.lastUpdatedMs),
      type: print.aggressor,
      volume: print.volume,
    };
  }

  /** GatewayDepth entries for the top of book (best bid and best ask). */
  depth(state: ContractState): WireDepth[] {
    const timestamp = wireTimestamp(state.lastUpdatedMs);
    // The simulator has no real book: the top of book carries a deterministic pseudo size.
    const size = 5 + (Math.round(state.bid / state.contract.tickSize) % 20);
    return [
      { timestamp, type: DomType.BestBid, price: state.bid, volume: size, currentVolume: size },
      { timestamp, type: DomType.BestAsk, price: state.ask, volume: size + 1, currentVolume: size + 1 },
    ];
  }

  /** Aggregates the tape into bars, newest first, keeping the most recent `limit` in the window. */
  bars(state: ContractState, query: BarQuery): WireBar[] {
    const h = state.history;
    const from = lowerBound(h.t, query.startMs);
    const to = lowerBound(h.t, query.endMs); // end exclusive
    const now = this.now();
    type Building = WireBar & { endMs: number; count: number; startMs: number };
    const bars: Building[] = [];
    let current: Building | undefined;
    for (let i = from; i < to; i++) {
      const t = h.t[i] as number;
      const p = h.p[i] as number;
      let startMs: number;
      let endMs: number;
      if (query.unit === BarUnit.Tick) {
        // A tick bar holds `unitNumber` prints; it starts at its first print.
        const continues = current !== undefined && current.count < query.unitNumber;
        startMs = continues ? (current as Building).startMs : t;
        endMs = Number.POSITIVE_INFINITY;
        if (!continues) current = undefined;
      } else {
        [startMs, endMs] = bucketOf(t, query.unit, query.unitNumber);
        if (current && current.startMs !== startMs) current = undefined;
      }
      if (!current) {
        current = { t: wireTimestamp(startMs), o: p, h: p, l: p, c: p, v: 0, startMs, endMs, count: 0 };
        bars.push(current);
      }
      if (p > current.h) current.h = p;
      if (p < current.l) current.l = p;
      current.c = p;
      current.v += h.v[i] as number;
      current.count += 1;
    }
    const newest = bars[bars.length - 1];
    if (newest && !query.includePartialBar) {
      const partial = query.unit === BarUnit.Tick ? newest.count < query.unitNumber : newest.endMs > now;
      if (partial) bars.pop();
    }
    return bars
      .slice(-query.limit)
      .reverse()
      .map(({ t, o, h: high, l, c, v }) => ({ t, o, h: high, l, c, v }));
  }
}

function lowerBound(values: number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The [start, end) of the bar containing `t` (UTC alignment; weeks start Sunday, months on the 1st). */
function bucketOf(t: number, unit: number, n: number): [number, number] {
  if (unit === BarUnit.Month) {
    const d = new Date(t);
    const index = d.getUTCFullYear() * 12 + d.getUTCMonth();
    const startIndex = index - (index % n);
    const start = Date.UTC(Math.floor(startIndex / 12), startIndex % 12, 1);
    const end = Date.UTC(Math.floor((startIndex + n) / 12), (startIndex + n) % 12, 1);
    return [start, end];
  }
  const size = (UNIT_MS[unit] as number) * n;
  const origin = unit === BarUnit.Week ? WEEK_ORIGIN_MS : 0;
  const start = Math.floor((t - origin) / size) * size + origin;
  return [start, start + size];
}
