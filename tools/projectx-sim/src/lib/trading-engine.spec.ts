import { describe, expect, it } from 'vitest';
import { FaultController } from './faults.js';
import { defaultFixture } from './fixture.js';
import { MarketData } from './market-data.js';
import { TradingEngine } from './trading-engine.js';
import { DEFAULT_VARIANTS, type Variants } from './variants.js';

const T0 = Date.parse('2026-11-26T15:00:00Z');
const ACCOUNT = 70001;
const MNQ = 'CON.F.US.MNQ.Z26';
const NQ = 'CON.F.US.ENQ.Z26';
const ES = 'CON.F.US.EP.Z26';
const MES = 'CON.F.US.MES.Z26';

function setup(variants: Partial<Variants> = {}) {
  const now = () => T0;
  const market = new MarketData(1, now);
  const fixture = defaultFixture(T0);
  for (const c of fixture.contracts) market.addContract(c, 0);
  const events: { name: string; payload: Record<string, unknown> }[] = [];
  const current = { ...DEFAULT_VARIANTS, ...variants };
  const faults = new FaultController();
  const engine = new TradingEngine({
    now,
    market,
    variants: () => current,
    faults,
    emit: (_a, name, payload) => events.push({ name, payload: payload as Record<string, unknown> }),
    ...(fixture.ids ? { ids: fixture.ids } : {}),
  });
  for (const u of fixture.users) engine.addUser(u);
  for (const a of fixture.accounts) engine.addAccount(a, 'demo');
  market.onUpdate((s) => engine.onMarket(s));
  const place = (body: Record<string, unknown>, contractId = MNQ) =>
    engine.placeOrder(null, { accountId: ACCOUNT, contractId, ...body });
  const order = (id: number | null) => engine.snapshot().orders.find((o) => o.id === id);
  const position = (contractId = MNQ) => engine.snapshot().positions.find((p) => p.contractId === contractId);
  const trades = () => engine.snapshot().trades;
  const balance = () => engine.getAccount(ACCOUNT)?.balance;
  return { engine, market, events, faults, variants: current, place, order, position, trades, balance };
}

describe('matching engine', () => {
  it('when a market buy and a market sell are placed then they fill at the ask and at the bid', () => {
    const s = setup();
    s.market.apply(MNQ, { bid: 21000, ask: 21000.5 });
    expect(s.order(s.place({ type: 2, side: 0, size: 1 }).orderId)).toMatchObject({
      status: 2,
      filledPrice: 21000.5,
    });
    expect(s.order(s.place({ type: 2, side: 1, size: 1 }).orderId)).toMatchObject({
      status: 2,
      filledPrice: 21000,
    });
  });

  it('when a limit buy is marketable then it fills at the ask; when it rests then it fills at its limit once the ask reaches it', () => {
    const s = setup();
    s.market.apply(MNQ, { bid: 21000, ask: 21000.25 });
    expect(s.order(s.place({ type: 1, side: 0, size: 1, limitPrice: 21001 }).orderId)).toMatchObject({
      status: 2,
      filledPrice: 21000.25,
    });
    const resting = s.place({ type: 1, side: 0, size: 1, limitPrice: 20990 }).orderId;
    s.market.apply(MNQ, { bid: 20995, ask: 20995.25 });
    expect(s.order(resting)?.status).toBe(1);
    s.market.apply(MNQ, { bid: 20985, ask: 20985.25 }); // gaps through the limit
    expect(s.order(resting)).toMatchObject({ status: 2, filledPrice: 20990, fillVolume: 1 });
  });

  it('when a limit sell rests then it fills when the bid reaches it', () => {
    const s = setup();
    s.market.apply(MNQ, { bid: 21000, ask: 21000.25 });
    const id = s.place({ type: 1, side: 1, size: 2, limitPrice: 21005 }).orderId;
    s.market.apply(MNQ, { bid: 21004.75, ask: 21005 });
    expect(s.order(id)?.status).toBe(1);
    s.market.apply(MNQ, { bid: 21005, ask: 21005.25 });
    expect(s.order(id)).toMatchObject({ status: 2, filledPrice: 21005 });
    expect(s.position()).toMatchObject({ type: 2, size: 2, averagePrice: 21005 });
  });

  it('when a stop is through the market then it is rejected; when the touch reaches it then it fills at the touch', () => {
    const s = setup();
    s.market.apply(MNQ, { bid: 21000, ask: 21000.25 });
    expect(s.place({ type: 4, side: 1, size: 1, stopPrice: 21001 })).toMatchObject({
      errorCode: 2,
      orderId: null,
    });
    expect(s.place({ type: 4, side: 0, size: 1, stopPrice: 20999 })).toMatchObject({ errorCode: 2 });
    const sellStop = s.place({ type: 4, side: 1, size: 1, stopPrice: 20990 }).orderId;
    const buyStop = s.place({ type: 4, side: 0, size: 1, stopPrice: 21010 }).orderId;
    expect(s.order(sellStop)).toMatchObject({ status: 1, type: 4, stopPrice: 20990 });
    s.market.apply(MNQ, { bid: 20987.5, ask: 20987.75 }); // gap: slippage below the stop
    expect(s.order(sellStop)).toMatchObject({ status: 2, filledPrice: 20987.5 });
    s.market.apply(MNQ, { bid: 21010, ask: 21010.25 });
    expect(s.order(buyStop)).toMatchObject({ status: 2, filledPrice: 21010.25 });
  });

  it('when a stop-limit triggers then it works as a limit: fills only while the limit is reachable', () => {
    const s = setup();
    s.market.apply(MNQ, { bid: 21000, ask: 21000.25 });
    const id = s.place({ type: 3, side: 0, size: 1, stopPrice: 21005, limitPrice: 21006 }).orderId;
    s.market.apply(MNQ, { bid: 21009, ask: 21009.25 }); // triggers, but the ask is above the limit
    expect(s.order(id)?.status).toBe(1);
    s.market.apply(MNQ, { bid: 21005.5, ask: 21005.75 });
    expect(s.order(id)).toMatchObject({ status: 2, filledPrice: 21006 });
  });

  it('when the stopLimitPlaceable variant is off then a StopLimit is rejected', () => {
    const s = setup({ stopLimitPlaceable: false });
    expect(s.place({ type: 3, side: 0, size: 1, stopPrice: 21600, limitPrice: 21601 }).errorCode).toBe(2);
  });

  it('when a trailing stop is placed then its distance comes from the last price and the trail price, and it ratchets', () => {
    const s = setup();
    s.market.apply(MNQ, { last: 21000 }); // bid 21000, ask 21000.25
    const id = s.place({ type: 5, side: 1, size: 1, trailPrice: 20995 }).orderId; // 20 ticks
    expect(s.order(id)).toMatchObject({ status: 1, type: 5, stopPrice: 20995 });
    s.market.apply(MNQ, { last: 21010 });
    expect(s.order(id)?.stopPrice).toBe(21005);
    s.market.apply(MNQ, { last: 21006 }); // falls back, the stop stays
    expect(s.order(id)?.stopPrice).toBe(21005);
    s.market.apply(MNQ, { last: 21005 });
    expect(s.order(id)).toMatchObject({ status: 2, filledPrice: 21005 });
  });

  it.each([
    [{}, 'Trail Distance not set.'],
    [{ trailPrice: 20995.1 }, 'Invalid trail price. Price is not aligned to tick size.'],
    [{ trailPrice: 21500 - 1000.25 * 0.25 * 4 }, 'Trail Distance exceeds maximum (1000)'],
  ])('when a trailing stop has %o then it is rejected with %s', (fields, message) => {
    const s = setup();
    s.market.apply(MNQ, { last: 21500 });
    expect(s.place({ type: 5, side: 1, size: 1, ...fields })).toMatchObject({
      errorCode: 2,
      errorMessage: message,
    });
  });

  it('when join-bid and join-ask orders are placed then they rest at the current bid and ask', () => {
    const s = setup();
    s.market.apply(MNQ, { bid: 21000, ask: 21000.25 });
    const joinBid = s.place({ type: 6, side: 0, size: 1 }).orderId;
    const joinAsk = s.place({ type: 7, side: 1, size: 1 }).orderId;
    expect(s.order(joinBid)).toMatchObject({ status: 1, type: 6, limitPrice: 21000 });
    expect(s.order(joinAsk)).toMatchObject({ status: 1, type: 7, limitPrice: 21000.25 });
    s.market.apply(MNQ, { bid: 20999.75, ask: 21000 });
    expect(s.order(joinBid)).toMatchObject({ status: 2, filledPrice: 21000 });
    expect(s.order(joinAsk)?.status).toBe(1);
  });

  it('when brackets are sent in position-bracket mode then the order is rejected but its id is returned', () => {
    const s = setup();
    const r = s.place({
      type: 2,
      side: 0,
      size: 1,
      stopLossBracket: { ticks: 10, type: 4 },
      takeProfitBracket: { ticks: 20, type: 1 },
    });
    expect(r.errorCode).toBe(2);
    expect(r.orderId).toBe(1_800_000_001);
    expect(s.order(r.orderId)?.status).toBe(5);
    expect(s.position()).toBeUndefined();
  });

  it('when brackets are sent in auto-OCO mode then children wait suspended, open on the fill, and one filling cancels the other', () => {
    const s = setup();
    s.engine.updateAccount(ACCOUNT, { bracketMode: 'autoOco' });
    s.market.apply(MNQ, { bid: 21000, ask: 21000.25 });
    const parent = s.place({
      type: 1,
      side: 0,
      size: 2,
      limitPrice: 20990,
      stopLossBracket: { ticks: 8, type: 4 },
      takeProfitBracket: { ticks: 16, type: 1 },
    }).orderId;
    const [sl, tp] = [1_800_000_002, 1_800_000_003];
    expect([s.order(sl)?.status, s.order(tp)?.status]).toEqual([8, 8]);
    // Order/searchOpen leaves Suspended bracket children out (§5.6).
    expect(s.engine.searchOpenOrders(null, { accountId: ACCOUNT }).orders.map((o) => o.id)).toEqual([parent]);
    s.market.apply(MNQ, { bid: 20989.75, ask: 20990 });
    expect(s.order(parent)).toMatchObject({ status: 2, filledPrice: 20990 });
    expect(s.order(sl)).toMatchObject({ status: 1, type: 4, side: 1, size: 2, stopPrice: 20988 });
    expect(s.order(tp)).toMatchObject({ status: 1, type: 1, side: 1, size: 2, limitPrice: 20994 });
    s.market.apply(MNQ, { bid: 20994, ask: 20994.25 });
    expect(s.order(tp)).toMatchObject({ status: 2, filledPrice: 20994 });
    expect(s.order(sl)?.status).toBe(3);
    expect(s.position()).toBeUndefined();
    expect(s.trades().at(-1)?.profitAndLoss).toBe(16); // 16 ticks × 0.50 × 2
  });

  it('when a bracket parent is cancelled then its suspended children are cancelled too', () => {
    const s = setup();
    s.engine.updateAccount(ACCOUNT, { bracketMode: 'autoOco' });
    const parent = s.place({
      type: 1,
      side: 0,
      size: 1,
      limitPrice: 21400,
      stopLossBracket: { ticks: 8, type: 4 },
      takeProfitBracket: { ticks: 16, type: 1 },
    }).orderId;
    expect(s.engine.cancelOrder(null, { accountId: ACCOUNT, orderId: parent }).errorCode).toBe(0);
    expect([parent, parent! + 1, parent! + 2].map((id) => s.order(id)?.status)).toEqual([3, 3, 3]);
  });

  it('when a resting limit is modified to a marketable price then it fills at the touch; a stop moved through the market is rejected', () => {
    const s = setup();
    s.market.apply(MNQ, { bid: 21000, ask: 21000.25 });
    const id = s.place({ type: 1, side: 0, size: 1, limitPrice: 20990 }).orderId;
    expect(s.engine.modifyOrder(null, { accountId: ACCOUNT, orderId: id, limitPrice: 21002 }).errorCode).toBe(
      0,
    );
    expect(s.order(id)).toMatchObject({ status: 2, filledPrice: 21000.25 });
    const stop = s.place({ type: 4, side: 1, size: 1, stopPrice: 20990 }).orderId;
    expect(
      s.engine.modifyOrder(null, { accountId: ACCOUNT, orderId: stop, stopPrice: 21000.25 }).errorCode,
    ).toBe(3);
    expect(
      s.engine.modifyOrder(null, { accountId: ACCOUNT, orderId: stop, limitPrice: 21000 }).errorCode,
    ).toBe(3);
    expect(
      s.engine.modifyOrder(null, { accountId: ACCOUNT, orderId: stop, stopPrice: 20995.1 }).errorCode,
    ).toBe(3);
    expect(
      s.engine.modifyOrder(null, { accountId: ACCOUNT, orderId: stop, stopPrice: 20995, size: 3 }).errorCode,
    ).toBe(0);
    expect(s.order(stop)).toMatchObject({ stopPrice: 20995, size: 3, status: 1 });
  });

  it('when the market is closed then resting orders wait, and fill on the first quote after it reopens', () => {
    const s = setup();
    s.market.apply(MNQ, { bid: 21000, ask: 21000.25 });
    const id = s.place({ type: 1, side: 0, size: 1, limitPrice: 20990 }).orderId;
    s.market.require(MNQ).marketOpen = false;
    s.market.apply(MNQ, { bid: 20980, ask: 20980.25 });
    expect(s.order(id)?.status).toBe(1);
    s.market.require(MNQ).marketOpen = true;
    s.market.apply(MNQ, { bid: 20980, ask: 20980.5 });
    expect(s.order(id)).toMatchObject({ status: 2, filledPrice: 20990 });
  });

  it('when a customTag is reused on the account then the order is rejected', () => {
    const s = setup();
    expect(s.place({ type: 1, side: 0, size: 1, limitPrice: 21000, customTag: 'a' }).errorCode).toBe(0);
    expect(s.place({ type: 1, side: 0, size: 1, limitPrice: 21000, customTag: 'a' })).toMatchObject({
      errorCode: 2,
      orderId: null,
    });
  });

  it.each([
    [MNQ, 21000, 21012.5, 3, 75, 0.37], // 50 ticks × 0.50 × 3
    [NQ, 21000, 20990, 1, -200, 1.4], // −40 ticks × 5.00
    [ES, 6000, 6002.25, 2, 225, 1.4], // 9 ticks × 12.50 × 2
    [MES, 6000, 5999.75, 4, -5, 0.37], // −1 tick × 1.25 × 4
  ])(
    'when %s is bought at %d and sold at %d × %d then profitAndLoss is %d and the balance moves by P&L − fees',
    (contractId, entry, exit, size, pnl, fee) => {
      const s = setup();
      s.market.apply(contractId, { bid: entry - 0.25, ask: entry });
      s.place({ type: 2, side: 0, size }, contractId);
      s.market.apply(contractId, { bid: exit, ask: exit + 0.25 });
      expect(s.engine.closeContract(null, { accountId: ACCOUNT, contractId }).errorCode).toBe(0);
      const [open, close] = s.trades();
      expect(open).toMatchObject({
        profitAndLoss: null,
        fees: Math.round(fee * size * 100) / 100,
        price: entry,
      });
      expect(close).toMatchObject({
        profitAndLoss: pnl,
        fees: Math.round(fee * size * 100) / 100,
        price: exit,
        side: 1,
      });
      expect(s.balance()).toBeCloseTo(50_000 + pnl - 2 * fee * size, 6);
      expect(s.position(contractId)).toBeUndefined();
    },
  );

  it('when a close is rejected by the reject-closes fault then nothing executes and the next close works', () => {
    const s = setup();
    s.place({ type: 2, side: 0, size: 1 });
    s.faults.rejectCloses = 1;
    expect(s.engine.closeContract(null, { accountId: ACCOUNT, contractId: MNQ })).toEqual({
      errorCode: 5,
      errorMessage: null,
    });
    expect(s.position()?.size).toBe(1);
    expect(s.engine.closeContract(null, { accountId: ACCOUNT, contractId: MNQ }).errorCode).toBe(0);
    expect(s.position()).toBeUndefined();
  });

  it('when an order is cancelled twice then the second answers Rejected (3)', () => {
    const s = setup();
    const id = s.place({ type: 1, side: 0, size: 1, limitPrice: 21000 }).orderId;
    expect(s.engine.cancelOrder(null, { accountId: ACCOUNT, orderId: id }).errorCode).toBe(0);
    expect(s.engine.cancelOrder(null, { accountId: ACCOUNT, orderId: id }).errorCode).toBe(3);
    expect(s.events.filter((e) => e.name === 'GatewayUserOrder').map((e) => e.payload['status'])).toEqual([
      1, 3,
    ]);
  });
});
