import { describe, expect, it } from 'vitest';
import { createStateHarness, ES, MES, MNQ, NQ, usd } from './state-events.fake.js';

describe('StateManager positions', () => {
  it('when a buy fill opens a position then the view shows it long with epoch 1 and the change says opened', () => {
    const { state, ev } = createStateHarness();
    const update = state.apply(ev.fill({ side: 'buy', size: 2, price: 21000 }));
    const position = state.account(1)?.positions.get(MNQ.id);
    expect(position).toMatchObject({ side: 'long', size: 2, averagePrice: 21000, epoch: 1, symbol: 'MNQ' });
    expect(update.duplicate).toBe(false);
    expect(update.accountIds).toEqual([1]);
    expect(update.positionChanges).toEqual([
      {
        accountId: 1,
        contractId: MNQ.id,
        before: 0,
        after: 2,
        epoch: 1,
        opened: true,
        increased: true,
        closed: false,
        flipped: false,
      },
    ]);
  });

  it('when fills add to a position then the average is exact and the change says increased', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    const update = state.apply(ev.fill({ side: 'buy', size: 1, price: 21000.25 }));
    expect(update.positionChanges[0]).toMatchObject({ before: 1, after: 2, opened: false, increased: true });
    expect(state.account(1)?.positions.get(MNQ.id)).toMatchObject({
      size: 2,
      averagePrice: 21000.125,
      epoch: 1,
    });
  });

  it('when a fill partially closes then the size drops, the average stays and the change is not an increase', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000.25 }));
    const update = state.apply(ev.fill({ side: 'sell', size: 1, price: 21001, pnl: 0.875 }));
    expect(update.positionChanges[0]).toMatchObject({ before: 2, after: 1, increased: false, closed: false });
    const position = state.account(1)?.positions.get(MNQ.id);
    expect(position).toMatchObject({ size: 1, averagePrice: 21000.125 });
    // Mark 21001.00 against 21000.125: 3.5 ticks of 0.50 = 1.75, exactly.
    state.apply(ev.quote(21001, 21001.25));
    expect(position?.unrealized).toBe(usd(1.75));
  });

  it('when a fill closes the position then it leaves the view and the change says closed', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'sell', size: 2, price: 21000 }));
    const update = state.apply(ev.fill({ side: 'buy', size: 2, price: 20999, pnl: 4 }));
    expect(update.positionChanges[0]).toMatchObject({ before: -2, after: 0, closed: true, epoch: 1 });
    expect(state.account(1)?.positions.size).toBe(0);
    expect(state.accountsHolding(MNQ.id)).toEqual([]);
  });

  it('when a fill flips the position then the epoch increments and the change says flipped and increased', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 2, price: 21000 }));
    const update = state.apply(ev.fill({ side: 'sell', size: 3, price: 20999, pnl: -1, fees: 0.3 }));
    expect(update.positionChanges[0]).toMatchObject({
      before: 2,
      after: -1,
      flipped: true,
      increased: true,
      opened: false,
      epoch: 2,
    });
    expect(state.account(1)?.positions.get(MNQ.id)).toMatchObject({
      side: 'short',
      size: 1,
      averagePrice: 20999,
    });
    expect(update.entryFill).toEqual({
      accountId: 1,
      orderId: expect.any(Number),
      contractId: MNQ.id,
      size: 1,
    });
  });

  it('when the position event comes before its fill then the fill does not move the size again', () => {
    const { state, ev } = createStateHarness();
    const positionUpdate = state.apply(ev.position({ size: 2, averagePrice: 21000 }));
    expect(positionUpdate.positionChanges[0]).toMatchObject({ before: 0, after: 2, opened: true, epoch: 1 });
    const fillUpdate = state.apply(ev.fill({ side: 'buy', size: 2, price: 21000 }));
    expect(fillUpdate.positionChanges).toEqual([]);
    expect(fillUpdate.entryFill).toMatchObject({ size: 2 });
    expect(state.account(1)?.positions.get(MNQ.id)).toMatchObject({ size: 2, epoch: 1 });
    // Later fills move it again.
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21001 }));
    expect(state.account(1)?.positions.get(MNQ.id)?.size).toBe(3);
  });

  it('when the fill comes before its position event then the event confirms without a change and is no duplicate', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 2, price: 21000 }));
    const update = state.apply(ev.position({ size: 2, averagePrice: 21000 }));
    expect(update.duplicate).toBe(false);
    expect(update.positionChanges).toEqual([]);
    expect(state.account(1)?.positions.get(MNQ.id)?.size).toBe(2);
  });

  it('when a position event of size 0 closes first then the late closing fill leaves the account flat', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 2, price: 21000 }));
    state.apply(ev.position({ size: 2, averagePrice: 21000 }));
    const closeUpdate = state.apply(ev.position({ size: 0, averagePrice: 0 }));
    expect(closeUpdate.positionChanges[0]).toMatchObject({ before: 2, after: 0, closed: true });
    const fillUpdate = state.apply(ev.fill({ side: 'sell', size: 2, price: 21002, pnl: 4 }));
    expect(fillUpdate.positionChanges).toEqual([]);
    expect(fillUpdate.roundTripClosed).toMatchObject({ pnl: usd(4), maxSize: 2 });
    expect(state.account(1)?.positions.size).toBe(0);
    expect(state.account(1)?.pnl.realized).toBe(usd(4));
  });

  it('when a position event is replayed after fills moved the size then it is a duplicate and changes nothing', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 2, price: 21000 }));
    state.apply(ev.position({ size: 2, averagePrice: 21000 }));
    state.apply(ev.fill({ side: 'sell', size: 2, price: 21001, pnl: 2 }));
    const replay = state.apply(ev.position({ size: 2, averagePrice: 21000 }));
    expect(replay.duplicate).toBe(true);
    expect(state.account(1)?.positions.size).toBe(0);
  });

  it('when a snapshot position disagrees with the fills then the snapshot wins', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    const update = state.apply(ev.position({ size: 3, averagePrice: 21000.5, origin: 'snapshot' }));
    expect(update.positionChanges[0]).toMatchObject({ before: 1, after: 3, increased: true });
    const position = state.account(1)?.positions.get(MNQ.id);
    expect(position).toMatchObject({ size: 3, averagePrice: 21000.5 });
    // Nothing is waiting for fills: the next buy adds.
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000.5 }));
    expect(position?.size).toBe(4);
  });

  it('when the broker reports an average off the tick grid then the basis is its exact fraction of ticks', () => {
    const { state, ev } = createStateHarness();
    // Three NQ contracts at 21000.00, 21000.25 and 21000.75: 84001 1/3 ticks.
    state.apply(ev.position({ contract: NQ, size: 3, averagePrice: 21000.333333333332 }));
    state.apply(ev.quote(21001, 21001.25, null, NQ));
    // (84004 - 84001 1/3) * 3 = 8 ticks of 5.00.
    expect(state.account(1)?.positions.get(NQ.id)?.unrealized).toBe(usd(40));
  });

  it('when fills build a position at three prices then the unrealized P&L is exact, not a float average', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ contract: NQ, side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.fill({ contract: NQ, side: 'buy', size: 1, price: 21000.25 }));
    state.apply(ev.fill({ contract: NQ, side: 'buy', size: 1, price: 21000.75 }));
    state.apply(ev.quote(21001, 21001.25, null, NQ));
    expect(state.account(1)?.pnl.unrealized).toBe(usd(40));
    // The broker's decimal of the same average keeps the exact fraction.
    state.apply(ev.position({ contract: NQ, size: 3, averagePrice: 21000.333333333332 }));
    expect(state.account(1)?.pnl.unrealized).toBe(usd(40));
  });

  it('when accounts hold a contract then accountsHolding lists them with one shared array until membership changes', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ accountId: 1, side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.fill({ accountId: 2, side: 'sell', size: 1, price: 21000 }));
    const holders = state.accountsHolding(MNQ.id);
    expect(holders).toEqual([1, 2]);
    expect(state.accountsHolding(MNQ.id)).toBe(holders);
    expect(state.apply(ev.quote(21000, 21000.25)).accountIds).toBe(holders);
    state.apply(ev.fill({ accountId: 1, side: 'sell', size: 1, price: 21000, pnl: 0 }));
    expect(state.accountsHolding(MNQ.id)).toEqual([2]);
    expect(holders).toEqual([1, 2]);
    expect(state.accountsHolding(ES.id)).toEqual([]);
  });

  it('when a position opens in a contract not yet known then its P&L is stale until the contract arrives', () => {
    const { state, ev } = createStateHarness();
    const unknown = {
      ...MES,
      id: 'CON.F.US.MYM.H26',
      name: 'MYMH6',
      symbol: 'MYM',
      tickSize: 1,
      tickValue: usd(0.5),
    };
    state.apply(ev.fill({ contract: unknown, side: 'buy', size: 2, price: 45000 }));
    state.apply(ev.quote(45010, 45011, null, unknown));
    const account = state.account(1);
    expect(account?.pnl).toMatchObject({ unrealized: 0, stale: true });
    state.apply({
      kind: 'contract',
      contract: unknown,
      brokerTime: null,
      receivedAt: 0,
      receivedNs: 0n,
      origin: 'stream',
    });
    // 10 points of 0.50 on 2 contracts.
    expect(account?.pnl).toMatchObject({ unrealized: usd(10), stale: false });
    expect(account?.positions.get(unknown.id)?.symbol).toBe('MYM');
  });

  it('when the account view is taken once then later events show through it (no copies)', () => {
    const { state, ev } = createStateHarness();
    const view = state.ensureAccount(1);
    const positions = view.positions;
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.quote(21002, 21002.25));
    expect(state.account(1)).toBe(view);
    expect(positions.get(MNQ.id)?.unrealized).toBe(usd(4));
    expect(view.pnl.combined).toBe(usd(4));
  });
});

describe('StateManager P&L', () => {
  it('when fees count then realized is closing P&L minus the fees of every fill', () => {
    const { state, ev } = createStateHarness({ includeFees: true });
    state.apply(ev.fill({ contract: ES, side: 'buy', size: 1, price: 6064.25, fees: 1.4 }));
    state.apply(ev.fill({ contract: ES, side: 'sell', size: 1, price: 6065.25, pnl: 50, fees: 1.4 }));
    expect(state.account(1)?.pnl).toMatchObject({ realized: usd(47.2), fees: usd(2.8), combined: usd(47.2) });
  });

  it('when fees do not count then realized is the closing P&L alone and fees are still reported', () => {
    const { state, ev } = createStateHarness({ includeFees: false });
    state.apply(ev.fill({ contract: ES, side: 'buy', size: 1, price: 6064.25, fees: 1.4 }));
    state.apply(ev.fill({ contract: ES, side: 'sell', size: 1, price: 6065.25, pnl: 50, fees: 1.4 }));
    expect(state.account(1)?.pnl).toMatchObject({ realized: usd(50), fees: usd(2.8) });
    expect(state.account(1)?.roundTrips[0]).toMatchObject({ pnl: usd(50), fees: usd(2.8) });
  });

  it('when the same fill id arrives twice then it is a duplicate and counted once', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000, fees: 0.37 }));
    const close = ev.fill({ side: 'sell', size: 1, price: 21001, pnl: 2, fees: 0.37 });
    state.apply(close);
    const again = state.apply(ev.again(close));
    expect(again.duplicate).toBe(true);
    expect(again.positionChanges).toEqual([]);
    expect(state.account(1)?.pnl.realized).toBe(usd(2 - 0.74));
    expect(state.account(1)?.roundTrips).toHaveLength(1);
  });

  it('when a counted fill arrives voided then its P&L, fees and size are taken back out', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 2, price: 21000, fees: 0.74 }));
    const close = ev.fill({ side: 'sell', size: 1, price: 21004, pnl: 8, fees: 0.37 });
    state.apply(close);
    expect(state.account(1)?.pnl.realized).toBe(usd(8 - 1.11));
    const voided = state.apply(ev.again(close, { voided: true }));
    expect(voided.duplicate).toBe(false);
    expect(voided.positionChanges[0]).toMatchObject({ before: 1, after: 2 });
    expect(state.account(1)?.pnl).toMatchObject({ realized: usd(-0.74), fees: usd(0.74) });
    expect(state.apply(ev.again(close, { voided: true })).duplicate).toBe(true);
  });

  it('when a fill is first seen voided then it never counts, not even when replayed unvoided', () => {
    const { state, ev } = createStateHarness();
    const fill = ev.fill({ side: 'buy', size: 1, price: 21000, fees: 0.37, voided: true });
    expect(state.apply(fill).duplicate).toBe(false);
    expect(state.apply(ev.again(fill, { voided: false })).duplicate).toBe(true);
    expect(state.account(1)?.positions.size).toBe(0);
    expect(state.account(1)?.pnl.fees).toBe(0);
  });

  it('when a long is marked then it uses the bid and a short uses the ask', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ accountId: 1, side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.fill({ accountId: 2, side: 'sell', size: 1, price: 21000 }));
    state.apply(ev.quote(20999.5, 21000.5, 21000));
    expect(state.account(1)?.positions.get(MNQ.id)).toMatchObject({ mark: 20999.5, unrealized: usd(-1) });
    expect(state.account(2)?.positions.get(MNQ.id)).toMatchObject({ mark: 21000.5, unrealized: usd(-1) });
  });

  it('when the quote lacks the conservative side then the last price marks the position', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'sell', size: 1, price: 21000 }));
    state.apply(ev.quote(20999, null, 20998));
    expect(state.account(1)?.positions.get(MNQ.id)).toMatchObject({
      mark: 20998,
      markStale: false,
      unrealized: usd(4),
    });
  });

  it('when a later quote has no price for a side then that side keeps its previous mark', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.quote(21001, 21001.25, 21001));
    state.apply(ev.quote(null, 20990, null));
    expect(state.account(1)?.positions.get(MNQ.id)).toMatchObject({ mark: 21001, markStale: false });
  });

  it('when a quote arrives then lastQuoteAt is the local receive time, not the quote time', async () => {
    const { state, ev, clock } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    await clock.advance(5_000);
    const quote = ev.quote(21001, 21001.25);
    state.apply({ ...quote, quote: { ...quote.quote, time: clock.now() - 60_000 } });
    expect(state.account(1)?.positions.get(MNQ.id)?.lastQuoteAt).toBe(clock.now());
  });

  it('when no quote arrived yet then the mark is the last fill price and the P&L is stale', () => {
    const { state, ev, clock } = createStateHarness();
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21000 }));
    state.apply(ev.fill({ side: 'buy', size: 1, price: 21001 }));
    const account = state.account(1);
    expect(account?.positions.get(MNQ.id)).toMatchObject({ mark: 21001, markStale: true, lastQuoteAt: null });
    expect(account?.pnl).toMatchObject({ stale: true, unrealized: usd(2) });
    state.apply(ev.quote(21002, 21002.25));
    expect(account?.pnl).toMatchObject({ stale: false, unrealized: usd(6) });
    expect(account?.positions.get(MNQ.id)?.lastQuoteAt).toBe(clock.now());
  });

  it('when a quote moves an open position then the combined P&L moves with no fill', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ contract: NQ, side: 'buy', size: 2, price: 21000, fees: 0.74 }));
    state.apply(ev.quote(21000, 21000.25, null, NQ));
    expect(state.account(1)?.pnl.combined).toBe(usd(-0.74));
    const update = state.apply(ev.quote(20948.75, 20949, null, NQ));
    // 205 ticks of 5.00 on 2 contracts.
    expect(update.accountIds).toEqual([1]);
    expect(state.account(1)?.pnl).toMatchObject({ unrealized: usd(-2050), combined: usd(-2050.74) });
  });

  it('when each product is marked then its own tick value applies', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.fill({ contract: MNQ, side: 'buy', size: 3, price: 21000 }));
    state.apply(ev.fill({ contract: NQ, side: 'sell', size: 1, price: 21000 }));
    state.apply(ev.fill({ contract: ES, side: 'buy', size: 2, price: 6000 }));
    state.apply(ev.fill({ contract: MES, side: 'sell', size: 5, price: 6000 }));
    state.apply(ev.quote(21001, 21001.25, null, MNQ)); // +4 ticks x 0.50 x 3 = 6
    state.apply(ev.quote(21001, 21001.25, null, NQ)); // -5 ticks x 5.00 x 1 = -25
    state.apply(ev.quote(6000.5, 6000.75, null, ES)); // +2 ticks x 12.50 x 2 = 50
    state.apply(ev.quote(5999.5, 5999.75, null, MES)); // +1 tick x 1.25 x 5 = 6.25
    const positions = state.account(1)?.positions;
    expect(positions?.get(MNQ.id)?.unrealized).toBe(usd(6));
    expect(positions?.get(NQ.id)?.unrealized).toBe(usd(-25));
    expect(positions?.get(ES.id)?.unrealized).toBe(usd(50));
    expect(positions?.get(MES.id)?.unrealized).toBe(usd(6.25));
    expect(state.account(1)?.pnl.unrealized).toBe(usd(37.25));
  });

  it('when the account record arrives then equity is balance plus unrealized', () => {
    const { state, ev } = createStateHarness();
    expect(state.ensureAccount(1).equity).toBeNull();
    state.apply(ev.account({ id: 1, balance: usd(50000) }));
    state.apply(ev.fill({ contract: ES, side: 'buy', size: 1, price: 6000 }));
    state.apply(ev.quote(5999, 5999.25, null, ES));
    expect(state.account(1)?.equity).toBe(usd(49950));
    expect(state.apply(ev.account({ id: 1, balance: usd(50000) })).duplicate).toBe(true);
  });
});

describe('StateManager orders', () => {
  it('when orders change status then working orders follow and replays are duplicates', () => {
    const { state, ev } = createStateHarness();
    const open = ev.order({ id: 7, status: 1, updatedAt: 1 });
    state.apply(open);
    expect(state.account(1)?.workingOrders.has(7)).toBe(true);
    expect(state.apply(ev.order({ id: 7, status: 1, updatedAt: 1 })).duplicate).toBe(true);
    state.apply(ev.order({ id: 7, status: 2, fillVolume: 1, updatedAt: 2 }));
    expect(state.account(1)?.workingOrders.has(7)).toBe(false);
    // A working snapshot of a filled order is a replay.
    expect(state.apply(open).duplicate).toBe(true);
    expect(state.account(1)?.workingOrders.has(7)).toBe(false);
  });

  it('when an older snapshot of a working order arrives then it is ignored', () => {
    const { state, ev } = createStateHarness();
    state.apply(ev.order({ id: 8, status: 1, limitPrice: 21001, updatedAt: 20 }));
    expect(state.apply(ev.order({ id: 8, status: 1, limitPrice: 21000, updatedAt: 10 })).duplicate).toBe(
      true,
    );
    expect(state.account(1)?.workingOrders.get(8)?.limitPrice).toBe(21001);
  });
});
