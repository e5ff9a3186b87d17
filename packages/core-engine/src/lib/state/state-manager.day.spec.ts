import { describe, expect, it } from 'vitest';
import { createStateHarness, MNQ, usd } from './state-events.fake.js';

const RESET = Date.parse('2026-01-06T23:00:00Z');
const WEEK_RESET = Date.parse('2026-01-11T23:00:00Z');

function carriedLong() {
  const h = createStateHarness();
  const { state, ev, clock } = h;
  state.apply(ev.account({ id: 1, balance: usd(50000) }));
  state.apply(ev.fill({ side: 'buy', size: 2, price: 21000, fees: 0.74 }));
  state.apply(ev.quote(21010, 21010.25));
  return { ...h, openedAt: clock.now() };
}

describe('StateManager trading-day reset', () => {
  it('when a reset passes then realized, fees, peaks and round trips restart and the balance is recorded', async () => {
    const { state, ev, clock } = createStateHarness();
    state.apply(ev.account({ id: 1, balance: usd(50100) }));
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000, fees: 0.37 }));
    state.apply(ev.fill({ side: 'sell', size: 1, price: 21010, pnl: 20, fees: 0.37 }));
    const account = state.account(1);
    expect(account?.pnl).toMatchObject({ realized: usd(19.26), peakRealized: usd(19.26) });
    await clock.set(RESET);
    const update = state.apply(ev.reset(RESET));
    expect(update).toMatchObject({ accountIds: [1], duplicate: false });
    expect(account?.pnl).toMatchObject({
      realized: 0,
      fees: 0,
      peakRealized: 0,
      peakCombined: 0,
      combined: 0,
    });
    expect(account?.roundTrips).toEqual([]);
    expect(account?.balanceAtReset).toBe(usd(50100));
    expect(account?.tradingDay).toEqual({
      id: '2026-01-07',
      start: RESET,
      end: Date.parse('2026-01-07T23:00:00Z'),
    });
    expect(state.lastResetAt).toBe(RESET);
  });

  it('when the same reset is applied twice then the second is a duplicate', async () => {
    const { state, ev, clock } = createStateHarness();
    await clock.set(RESET);
    state.apply(ev.reset(RESET));
    expect(state.apply(ev.reset(RESET)).duplicate).toBe(true);
  });

  it('when a reset event falls inside the current trading day then it is a duplicate and resets nothing', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000, fees: 0.37 }));
    expect(state.apply(ev.reset(Date.parse('2026-01-06T15:00:00Z'))).duplicate).toBe(true);
    expect(state.account(1)?.pnl.fees).toBe(usd(0.37));
  });

  it('when a fill of the previous trading day is voided after the reset then today realized is unchanged', async () => {
    const { state, ev, clock } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 2, price: 21000, fees: 0.74 }));
    const close = ev.fill({ side: 'sell', size: 1, price: 21004, pnl: 8, fees: 0.37 });
    state.apply(close);
    await clock.set(RESET);
    state.apply(ev.reset(RESET));
    state.apply(ev.fill({ side: 'sell', size: 1, price: 21004, pnl: 8, fees: 0.37 }));
    const before = state.account(1)?.pnl.realized;
    state.apply(ev.again(close, { voided: true }));
    expect(state.account(1)?.pnl.realized).toBe(before);
    expect(state.account(1)?.pnl.fees).toBe(usd(0.37));
  });

  it('when a fill stamped before the reset arrives after it then it moves the position but not today realized', async () => {
    const { state, ev, clock } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 2, price: 21000, fees: 0.74 }));
    await clock.set(RESET + 200);
    state.apply(ev.reset(RESET));
    const late = state.apply(
      ev.fill({ side: 'sell', size: 2, price: 21004, pnl: 16, fees: 0.74, time: RESET - 100 }),
    );
    expect(late.positionChanges[0]).toMatchObject({ before: 2, after: 0, closed: true });
    expect(late.roundTripClosed).toBeUndefined();
    expect(state.account(1)?.pnl).toMatchObject({ realized: 0, fees: 0 });
    expect(state.account(1)?.roundTrips).toEqual([]);
  });

  it('when a position is open at the reset then it is carried with the reset mark as basis', async () => {
    const { state, ev, clock, openedAt } = carriedLong();
    await clock.set(RESET);
    state.apply(ev.reset(RESET));
    const position = state.account(1)?.positions.get(MNQ.id);
    expect(position).toMatchObject({
      carried: true,
      basisPrice: 21010,
      averagePrice: 21000,
      unrealized: 0,
      openedAt,
      epoch: 1,
    });
    state.apply(ev.quote(21012, 21012.25));
    expect(position?.unrealized).toBe(usd(8));
  });

  it('when a carried position is open then equity uses the average price, not the reset mark', async () => {
    const { state, ev, clock } = carriedLong();
    await clock.set(RESET);
    state.apply(ev.reset(RESET));
    // Balance holds realized P&L only: equity adds the whole open P&L from 21000 (40 ticks x 2 x 0.50).
    expect(state.account(1)?.equity).toBe(usd(50040));
    expect(state.account(1)?.pnl.unrealized).toBe(0);
  });

  it('when a carried position closes then the previous-day part of its P&L is not in today realized', async () => {
    const { state, ev, clock } = carriedLong();
    await clock.set(RESET);
    state.apply(ev.reset(RESET));
    await clock.advance(60_000);
    // The broker's P&L is measured from 21000 (80 ticks); today's part from the reset mark 21010 (40 ticks).
    const update = state.apply(ev.fill({ side: 'sell', size: 2, price: 21020, pnl: 80, fees: 0.74 }));
    expect(state.account(1)?.pnl.realized).toBe(usd(40 - 0.74));
    // The round trip is the whole trade: the broker's P&L minus the fees of all its fills.
    expect(update.roundTripClosed).toMatchObject({ pnl: usd(80 - 1.48), fees: usd(1.48), side: 'long' });
  });

  it('when a carried position is added to and partly closed then today realized is measured from the blended basis', async () => {
    const { state, ev, clock } = carriedLong();
    await clock.set(RESET);
    state.apply(ev.reset(RESET));
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21012 }));
    // Broker average (21000 x 2 + 21012) / 3 = 21004; basis (21010 x 2 + 21012) / 3 = 21010 2/3.
    state.apply(ev.position({ size: 3, averagePrice: 21004 }));
    const position = state.account(1)?.positions.get(MNQ.id);
    expect(position).toMatchObject({ averagePrice: 21004, carried: true });
    expect(position?.basisPrice).toBeCloseTo(21010.6667, 4);
    state.apply(ev.fill({ side: 'sell', size: 1, price: 21020, pnl: 32 }));
    // (84080 - 252128/3) ticks x 0.50 = 18.666666... -> 18.666667.
    expect(state.account(1)?.pnl.realized).toBe(18_666_667);
  });

  it('when no quote arrived before the reset then the reset mark is the last fill price', async () => {
    const { state, ev, clock } = createStateHarness();
    state.apply(ev.fill({ side: 'sell', size: 1, price: 21000 }));
    state.apply(ev.fill({ side: 'sell', size: 1, price: 21003 }));
    await clock.set(RESET);
    state.apply(ev.reset(RESET));
    expect(state.account(1)?.positions.get(MNQ.id)).toMatchObject({
      basisPrice: 21003,
      markStale: true,
      unrealized: 0,
    });
    expect(state.drainDirty()).toContainEqual({
      ns: 'reset-mark',
      key: `1:${MNQ.id}`,
      value: {
        day: '2026-01-07',
        at: RESET,
        price: 21003,
        size: -2,
        averagePrice: 21001.5,
        averageTicks: [84006, 1],
        openedAt: expect.any(Number),
        roundTrip: { side: 'short', openedAt: expect.any(Number), pnl: 0, fees: 0, maxSize: 2 },
      },
    });
  });

  it('when the week resets then the week entries are cleared, and a daily reset keeps them', async () => {
    const { state, ev, clock } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000, orderId: 1 }));
    await clock.set(RESET);
    state.apply(ev.reset(RESET));
    expect(state.account(1)?.entries).toHaveLength(1);
    await clock.set(WEEK_RESET);
    state.apply(ev.reset(WEEK_RESET, true));
    expect(state.account(1)?.entries).toEqual([]);
    expect(state.weekStart).toBe(WEEK_RESET);
  });

  it('when the daemon missed the reset then setResetMark carries the position with the given mark', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 2, price: 21000 }));
    state.apply(ev.quote(21010, 21010.25));
    state.setResetMark(1, MNQ.id, { price: 21004 });
    expect(state.account(1)?.positions.get(MNQ.id)).toMatchObject({
      carried: true,
      basisPrice: 21004,
      unrealized: usd(24),
    });
    state.setResetMark(2, MNQ.id, { price: 21004, size: -1, averagePrice: 21001 });
    expect(state.account(2)?.positions.get(MNQ.id)).toMatchObject({
      side: 'short',
      size: 1,
      carried: true,
      averagePrice: 21001,
    });
  });
});

describe('StateManager peaks', () => {
  it('when P&L falls back then the peaks stay at their highs', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.quote(21005, 21005.25));
    state.apply(ev.quote(20990, 20990.25));
    expect(state.account(1)?.pnl).toMatchObject({ combined: usd(-20), peakCombined: usd(10) });
    state.apply(ev.fill({ side: 'sell', size: 1, price: 21002, pnl: 4 }));
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21002 }));
    state.apply(ev.fill({ side: 'sell', size: 1, price: 20999, pnl: -6 }));
    expect(state.account(1)?.pnl).toMatchObject({
      realized: usd(-2),
      peakRealized: usd(4),
      peakCombined: usd(10),
    });
  });

  it('when a fill closes at the mark then the combined peak does not count the profit twice', () => {
    const { state, ev } = createStateHarness({ includeFees: false });
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.quote(21005, 21005.25));
    state.apply(ev.fill({ side: 'sell', size: 1, price: 21005, pnl: 10 }));
    expect(state.account(1)?.pnl).toMatchObject({
      realized: usd(10),
      combined: usd(10),
      peakCombined: usd(10),
    });
  });

  it('when a peak rises then drainDirty carries it once with the trading day', () => {
    const { state, ev } = createStateHarness();
    state.drainDirty();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.quote(21005, 21005.25));
    state.apply(ev.quote(21006, 21006.25));
    const peaks = state.drainDirty().filter((r) => r.ns === 'peak');
    expect(peaks).toEqual([
      { ns: 'peak', key: '1', value: { day: '2026-01-06', realized: 0, combined: usd(12) } },
    ]);
    expect(state.drainDirty()).toEqual([]);
  });
});

describe('StateManager round trips', () => {
  it('when a position is scaled out then it is one round trip with all its fees', () => {
    const { state, ev, clock } = createStateHarness();
    const openedAt = clock.now();
    state.apply(ev.fill({ side: 'buy', size: 3, price: 21000, fees: 1.11 }));
    const first = state.apply(ev.fill({ side: 'sell', size: 1, price: 21002, pnl: 4, fees: 0.37 }));
    expect(first.roundTripClosed).toBeUndefined();
    const last = state.apply(ev.fill({ side: 'sell', size: 2, price: 21004, pnl: 16, fees: 0.74 }));
    const expected = {
      accountId: 1,
      contractId: MNQ.id,
      symbol: 'MNQ',
      side: 'long',
      openedAt,
      closedAt: clock.now(),
      pnl: usd(17.78),
      fees: usd(2.22),
      maxSize: 3,
    };
    expect(last.roundTripClosed).toEqual(expected);
    expect(state.account(1)?.roundTrips).toEqual([expected]);
  });

  it('when a fill flips the position then it ends one round trip and starts the next, fees split by contracts', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 2, price: 21000, fees: 0.74 }));
    const flip = state.apply(ev.fill({ side: 'sell', size: 3, price: 20999, pnl: -2, fees: 1.11 }));
    expect(flip.roundTripClosed).toMatchObject({
      side: 'long',
      pnl: usd(-3.48),
      fees: usd(1.48),
      maxSize: 2,
    });
    const close = state.apply(ev.fill({ side: 'buy', size: 1, price: 20998, pnl: 1, fees: 0.37 }));
    expect(close.roundTripClosed).toMatchObject({
      side: 'short',
      pnl: usd(0.26),
      fees: usd(0.74),
      maxSize: 1,
    });
    expect(state.account(1)?.roundTrips).toHaveLength(2);
  });

  it('when a round trip only loses its fees then its pnl is negative', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000, fees: 0.37 }));
    const close = state.apply(ev.fill({ side: 'sell', size: 1, price: 21000, pnl: 0, fees: 0.37 }));
    expect(close.roundTripClosed?.pnl).toBe(usd(-0.74));
  });
});

describe('StateManager entries', () => {
  it('when one order fills in parts then it is one entry; closing fills and own orders are none', async () => {
    const { state, ev, clock } = createStateHarness();
    const firstAt = clock.now();
    const a = state.apply(ev.fill({ side: 'buy', size: 1, price: 21000, orderId: 50 }));
    await clock.advance(1);
    const b = state.apply(ev.fill({ side: 'buy', size: 2, price: 21000, orderId: 50 }));
    expect(a.entryFill).toEqual({ accountId: 1, orderId: 50, contractId: MNQ.id, size: 1 });
    expect(b.entryFill).toEqual({ accountId: 1, orderId: 50, contractId: MNQ.id, size: 2 });
    const closing = state.apply(ev.fill({ side: 'sell', size: 1, price: 21001, pnl: 2, orderId: 51 }));
    expect(closing.entryFill).toBeUndefined();
    state.markOwnOrder(1, 52);
    const own = state.apply(ev.fill({ side: 'buy', size: 1, price: 21001, orderId: 52 }));
    expect(own.entryFill).toBeUndefined();
    const flip = state.apply(ev.fill({ side: 'sell', size: 4, price: 21001, pnl: 1, orderId: 53 }));
    expect(flip.entryFill).toMatchObject({ orderId: 53, size: 1 });
    expect(state.account(1)?.entries).toEqual([
      { orderId: 50, contractId: MNQ.id, symbol: 'MNQ', at: firstAt, size: 3 },
      { orderId: 53, contractId: MNQ.id, symbol: 'MNQ', at: clock.now(), size: 1 },
    ]);
  });

  it('when history from before the trading day is replayed then only its opening fills count, as entries', () => {
    const { state, ev } = createStateHarness();
    const yesterday = Date.parse('2026-01-05T15:00:00Z');
    const open = state.apply(
      ev.fill({ side: 'buy', size: 2, price: 21000, orderId: 60, time: yesterday, origin: 'snapshot' }),
    );
    const close = state.apply(
      ev.fill({
        side: 'sell',
        size: 2,
        price: 21001,
        pnl: 4,
        orderId: 61,
        time: yesterday + 1,
        origin: 'snapshot',
      }),
    );
    expect(open.entryFill).toMatchObject({ orderId: 60, size: 2 });
    expect(close.entryFill).toBeUndefined();
    const account = state.account(1);
    expect(account?.entries.map((e) => e.orderId)).toEqual([60]);
    expect(account?.positions.size).toBe(0);
    expect(account?.pnl.realized).toBe(0);
  });
});

describe('StateManager epochs', () => {
  it('when a position opens from flat or flips then the epoch increments; adds and reductions keep it', () => {
    const { state, ev } = createStateHarness();
    const epochs: number[] = [];
    const push = (u: ReturnType<typeof state.apply>) => epochs.push(u.positionChanges[0]?.epoch ?? -1);
    push(state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 })));
    push(state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 })));
    push(state.apply(ev.fill({ side: 'sell', size: 1, price: 21000, pnl: 0 })));
    push(state.apply(ev.fill({ side: 'sell', size: 1, price: 21000, pnl: 0 })));
    push(state.apply(ev.fill({ side: 'sell', size: 1, price: 21000 })));
    push(state.apply(ev.fill({ side: 'buy', size: 2, price: 21000, pnl: 0 })));
    expect(epochs).toEqual([1, 1, 1, 1, 2, 3]);
    const epochRecords = state.drainDirty().filter((r) => r.ns === 'epoch');
    expect(epochRecords).toEqual([
      { ns: 'epoch', key: `1:${MNQ.id}`, value: { epoch: 3, openedAt: expect.any(Number), fillAt: null } },
    ]);
  });
});
