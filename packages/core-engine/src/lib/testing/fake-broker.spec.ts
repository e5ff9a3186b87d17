import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock/clock.js';
import { OrderStatus, OrderType } from '../domain/types.js';
import type { BrokerEvent } from '../events/events.js';
import type { ActionOptions } from '../ports/broker-gateway.js';
import { FakeBroker } from './fake-broker.js';
import { FAKE_CONTRACTS } from './fake-contracts.js';
import { FakeBrokerError } from './testing-errors.js';

const MNQ = FAKE_CONTRACTS.MNQ.id;
const NQ = FAKE_CONTRACTS.NQ.id;
const ES = FAKE_CONTRACTS.ES.id;
const MES = FAKE_CONTRACTS.MES.id;
const OPTS: ActionOptions = { priority: 'enforcement', idempotencyKey: 'k1' };
const BALANCE = 50_000_000_000;

async function setup(options: { connect?: boolean } = {}): Promise<{
  clock: FakeClock;
  broker: FakeBroker;
  seen: BrokerEvent[];
}> {
  const clock = new FakeClock('2026-01-06T15:00:00Z');
  const broker = new FakeBroker({ clock, accounts: [{ id: 1 }, { id: 2 }] });
  const seen: BrokerEvent[] = [];
  broker.onEvent((e) => seen.push(e));
  if (options.connect ?? true) await broker.connect();
  seen.length = 0;
  return { clock, broker, seen };
}

function describeEvents(events: readonly BrokerEvent[]): string[] {
  return events.map((e) => {
    switch (e.kind) {
      case 'order':
        return `order:${OrderStatus[e.order.status]}`;
      case 'fill':
        return `fill:${e.fill.side}${e.fill.size}@${e.fill.price}:${e.fill.profitAndLoss ?? 'open'}`;
      case 'position':
        return `position:${e.position.side}${e.position.size}@${e.position.averagePrice}`;
      case 'account':
        return `account:${e.account.balance}`;
      default:
        return e.kind;
    }
  });
}

describe('FakeBroker: position arithmetic', () => {
  it('when MNQ is bought at two prices and sold then the average is weighted and the P&L uses tick value 0.50', async () => {
    const { broker } = await setup();
    broker.trade(1, MNQ, 'buy', 1, 21_000);
    broker.trade(1, MNQ, 'buy', 1, 21_001);
    expect(broker.position(1, MNQ)).toMatchObject({
      side: 'long',
      size: 2,
      averagePrice: 21_000.5,
      averageTicks: 84_002,
    });

    const { fills } = broker.trade(1, MNQ, 'sell', 2, 21_002);
    // (21002 - 21000.5) / 0.25 = 6 ticks x 0.50 x 2 = 6.00; fees 0.37 per contract per side.
    expect(fills.map((f) => [f.profitAndLoss, f.fees])).toEqual([[6_000_000, 740_000]]);
    expect(broker.position(1, MNQ)).toBeUndefined();
    expect(broker.account(1).balance).toBe(BALANCE + 6_000_000 - 4 * 370_000);
  });

  it('when NQ long loses 10 points then the closing fill carries -200.00 (5.00 per tick)', async () => {
    const { broker } = await setup();
    broker.trade(1, NQ, 'buy', 1, 21_000);
    const { fills } = broker.trade(1, NQ, 'sell', 1, 20_990);
    expect(fills[0]?.profitAndLoss).toBe(-200_000_000);
    expect(fills[0]?.fees).toBe(1_400_000);
  });

  it('when ES is bought at 6064.25 and sold at 6065.25 then the P&L is 50.00 like the broker documentation', async () => {
    const { broker } = await setup();
    const open = broker.trade(1, ES, 'buy', 1, 6_064.25);
    const close = broker.trade(1, ES, 'sell', 1, 6_065.25);
    expect(open.fills[0]?.profitAndLoss).toBeNull();
    expect(close.fills[0]?.profitAndLoss).toBe(50_000_000);
  });

  it('when a MES short is partly closed and then flipped then the average holds and the flip opens a new position', async () => {
    const { broker } = await setup();
    broker.trade(1, MES, 'sell', 3, 6_000);
    const firstId = broker.position(1, MES)?.id;
    const partial = broker.trade(1, MES, 'buy', 1, 5_999);
    expect(partial.fills.map((f) => f.profitAndLoss)).toEqual([5_000_000]); // 4 ticks x 1.25
    expect(broker.position(1, MES)).toMatchObject({
      side: 'short',
      size: 2,
      averagePrice: 6_000,
      id: firstId,
    });

    const flip = broker.trade(1, MES, 'buy', 5, 5_998);
    expect(flip.fills.map((f) => [f.size, f.profitAndLoss])).toEqual([
      [2, 20_000_000], // 8 ticks x 1.25 x 2
      [3, null],
    ]);
    expect(broker.position(1, MES)).toMatchObject({ side: 'long', size: 3, averagePrice: 5_998 });
    expect(broker.position(1, MES)?.id).not.toBe(firstId);
    expect(broker.netSize(1, MES)).toBe(3);
  });
});

describe('FakeBroker: events', () => {
  it('when the trader trades then order, fill, order update, position and account arrive in that order', async () => {
    const { broker, seen, clock } = await setup();
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25, last: 21_000 });
    seen.length = 0;
    broker.trade(1, MNQ, 'buy', 2);
    expect(describeEvents(seen)).toEqual([
      'order:Open',
      'fill:buy2@21000.25:open',
      'order:Filled',
      'position:long2@21000.25',
      `account:${BALANCE - 740_000}`,
    ]);
    expect(seen.every((e) => e.origin === 'stream' && e.receivedAt === clock.now())).toBe(true);
  });

  it('when Riskd closes a position then the events come right after the request and the position reports size 0', async () => {
    const { broker, seen } = await setup();
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25 });
    broker.trade(1, MNQ, 'buy', 2, 20_990);
    seen.length = 0;

    const answer = broker.closePosition(1, MNQ, OPTS);
    expect(seen).toEqual([]); // delivered on the microtask queue, not inside the call
    await expect(answer).resolves.toEqual({ status: 'ok' });

    expect(describeEvents(seen)).toEqual([
      'order:Open',
      'fill:sell2@21000:40000000',
      'order:Filled',
      'position:long0@20990',
      `account:${BALANCE - 4 * 370_000 + 40_000_000}`,
    ]);
    expect(broker.requests[0]).toMatchObject({
      kind: 'close',
      idempotencyKey: 'k1',
      priority: 'enforcement',
      executed: true,
    });
  });

  it('when a quote reaches a working limit or stop order then it fills', async () => {
    const { broker, seen } = await setup();
    broker.setQuote(ES, { bid: 6_000, ask: 6_000.25 });
    const limit = broker.placeOrder(1, ES, {
      type: OrderType.Limit,
      side: 'buy',
      size: 1,
      limitPrice: 5_995,
    });
    const stop = broker.placeOrder(2, ES, { type: OrderType.Stop, side: 'sell', size: 1, stopPrice: 5_990 });
    broker.setQuote(ES, { bid: 5_994.75, ask: 5_995 });
    expect(broker.order(limit.id)).toMatchObject({ status: OrderStatus.Filled, filledPrice: 5_995 });
    expect(broker.order(stop.id).status).toBe(OrderStatus.Open);
    broker.setQuote(ES, { bid: 5_989.75, ask: 5_990 });
    expect(broker.order(stop.id)).toMatchObject({ status: OrderStatus.Filled, filledPrice: 5_989.75 });
    expect(broker.netSize(2, ES)).toBe(-1);
    expect(seen.filter((e) => e.kind === 'quote')).toHaveLength(3);
  });

  it('when quotes require a subscription then only subscribed contracts are delivered', async () => {
    const clock = new FakeClock();
    const broker = new FakeBroker({ clock, requireQuoteSubscription: true });
    const seen: BrokerEvent[] = [];
    broker.onEvent((e) => seen.push(e));
    await broker.connect();
    broker.setQuote(MNQ, { bid: 1, ask: 1.25 });
    broker.subscribeQuotes([ES]);
    broker.setQuote(ES, { bid: 2, ask: 2.25 });
    expect(
      seen.filter((e) => e.kind === 'quote').map((e) => e.kind === 'quote' && e.quote.contractId),
    ).toEqual([ES]);
    expect([...broker.quoteSubscriptions()]).toEqual([ES]);
  });

  it('when the broker reports canTrade false then trader orders are rejected but closing orders still execute', async () => {
    const { broker } = await setup();
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25 });
    broker.trade(1, MNQ, 'buy', 1);
    broker.setCanTrade(1, false);
    const refused = broker.trade(1, MNQ, 'buy', 1);
    expect(refused.order.status).toBe(OrderStatus.Rejected);
    expect(refused.fills).toEqual([]);
    await expect(broker.closePosition(1, MNQ, OPTS)).resolves.toEqual({ status: 'ok' });
    expect(broker.netSize(1, MNQ)).toBe(0);
  });

  it('when a fill is voided then a voided fill event is sent and the balance is restored', async () => {
    const { broker, seen } = await setup();
    const { fills } = broker.trade(1, MNQ, 'buy', 1, 21_000);
    const fill = fills[0];
    if (!fill) throw new Error('no fill');
    seen.length = 0;
    broker.voidFill(fill.id);
    expect(seen.map((e) => (e.kind === 'fill' ? `fill:${e.fill.voided}` : e.kind))).toEqual([
      'fill:true',
      'account',
    ]);
    expect(broker.account(1).balance).toBe(BALANCE);
  });

  it('when disconnected then nothing is delivered, and reconcile after reconnecting emits the differences', async () => {
    const { broker, seen } = await setup();
    await broker.disconnect();
    seen.length = 0;
    broker.trade(1, MNQ, 'buy', 2, 21_000);
    expect(seen).toEqual([]);
    await broker.connect();
    seen.length = 0;

    const report = await broker.reconcile(1);
    expect(report).toMatchObject({ accountId: 1, eventsEmitted: 4, fillsRecovered: 1 });
    expect(describeEvents(seen)).toEqual([
      'fill:buy2@21000:open',
      'order:Filled',
      'position:long2@21000',
      `account:${BALANCE - 740_000}`,
    ]);
    expect(seen.every((e) => e.origin === 'reconcile')).toBe(true);
    await broker.reconcile(1);
    expect(seen).toHaveLength(4); // nothing left to recover
  });
});

describe('FakeBroker: actions and their answers', () => {
  it('when closing a flat contract then the answer is ok and nothing executes', async () => {
    const { broker, seen } = await setup();
    await expect(broker.closePosition(1, MNQ, OPTS)).resolves.toEqual({ status: 'ok' });
    expect(broker.requests[0]?.executed).toBe(false);
    expect(seen).toEqual([]);
  });

  it('when a partial close is too large or the position is flat then it is rejected with the endpoint codes', async () => {
    const { broker } = await setup();
    await expect(broker.partialClosePosition(1, MNQ, 1, OPTS)).resolves.toMatchObject({
      status: 'rejected',
      code: 'position-not-found',
      brokerCode: 2,
    });
    broker.trade(1, MNQ, 'buy', 2, 21_000);
    await expect(broker.partialClosePosition(1, MNQ, 3, OPTS)).resolves.toMatchObject({
      code: 'invalid-size',
      brokerCode: 5,
    });
  });

  it('when a partial close has no price to execute at then it is rejected like ProjectX (order rejected)', async () => {
    const { broker } = await setup();
    broker.trade(1, MNQ, 'buy', 2, 21_000);
    await expect(broker.partialClosePosition(1, MNQ, 1, OPTS)).resolves.toMatchObject({
      code: 'order-rejected',
      brokerCode: 6,
    });
  });

  it('when cancelling then a working order is cancelled and an unknown one answers order-not-found', async () => {
    const { broker } = await setup();
    const order = broker.placeOrder(1, MNQ, {
      type: OrderType.Limit,
      side: 'buy',
      size: 1,
      limitPrice: 20_000,
    });
    await expect(broker.cancelOrder(1, order.id, OPTS)).resolves.toEqual({ status: 'ok' });
    expect(broker.order(order.id).status).toBe(OrderStatus.Cancelled);
    expect(broker.requests[0]).toMatchObject({ kind: 'cancel', contractId: MNQ, orderId: order.id });
    await expect(broker.cancelOrder(1, order.id, OPTS)).resolves.toMatchObject({
      code: 'order-not-found',
      brokerCode: 2,
    });
    expect(await broker.openOrders(1)).toEqual([]);
  });
});

describe('FakeBroker: failure injection', () => {
  it('when rejections are injected then that many requests are refused with the endpoint code, then it works', async () => {
    const { broker } = await setup();
    broker.trade(1, MNQ, 'buy', 1, 21_000);
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25 });
    broker.rejectNext('close', 'order-rejected', 2);
    await expect(broker.closePosition(1, MNQ, OPTS)).resolves.toMatchObject({
      code: 'order-rejected',
      brokerCode: 5,
    });
    await expect(broker.closePosition(1, MNQ, OPTS)).resolves.toMatchObject({ status: 'rejected' });
    await expect(broker.closePosition(1, MNQ, OPTS)).resolves.toEqual({ status: 'ok' });
    expect(broker.requests.map((r) => r.executed)).toEqual([false, false, true]);
  });

  it('when an uncertain answer is injected then the action happened only when told so', async () => {
    const { broker } = await setup();
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25 });
    broker.trade(1, MNQ, 'buy', 3);
    broker.uncertainNext('partial-close', false);
    await expect(broker.partialClosePosition(1, MNQ, 1, OPTS)).resolves.toMatchObject({
      status: 'uncertain',
    });
    expect(broker.netSize(1, MNQ)).toBe(3);
    broker.uncertainNext('partial-close', true);
    await expect(broker.partialClosePosition(1, MNQ, 1, OPTS)).resolves.toMatchObject({
      status: 'uncertain',
    });
    expect(broker.netSize(1, MNQ)).toBe(2);
  });

  it('when an action is accepted without executing then the answer is ok and the position stays', async () => {
    const { broker } = await setup();
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25 });
    broker.trade(1, MNQ, 'buy', 1);
    broker.acceptWithoutExecuting('close');
    await expect(broker.closePosition(1, MNQ, OPTS)).resolves.toEqual({ status: 'ok' });
    expect(broker.netSize(1, MNQ)).toBe(1);
  });

  it('when answers are delayed then they resolve after that time on the clock, the action having happened on arrival', async () => {
    const { broker, clock } = await setup();
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25 });
    broker.trade(1, MNQ, 'buy', 1);
    broker.delayResponses(250);
    let answered = false;
    const answer = broker.closePosition(1, MNQ, OPTS).then((r) => {
      answered = true;
      return r;
    });
    await clock.advance(249);
    expect(answered).toBe(false);
    expect(broker.netSize(1, MNQ)).toBe(0);
    await clock.advance(1);
    expect(answered).toBe(true);
    await expect(answer).resolves.toEqual({ status: 'ok' });
  });

  it('when events are dropped then they never arrive and reconcile recovers them', async () => {
    const { broker, seen } = await setup();
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25 });
    broker.trade(1, MNQ, 'buy', 1);
    seen.length = 0;
    broker.dropEvents({ kinds: ['position'] });
    await broker.closePosition(1, MNQ, OPTS);
    expect(seen.some((e) => e.kind === 'position')).toBe(false);
    expect(broker.undelivered.map((d) => d.kind)).toEqual(['position']);
    await broker.reconcile(1);
    const position = seen.find((e) => e.kind === 'position');
    expect(position).toMatchObject({ origin: 'reconcile', position: { contractId: MNQ, size: 0 } });
  });

  it('when events are delayed then they arrive that much later, stamped with the arrival time', async () => {
    const { broker, seen, clock } = await setup();
    broker.delayEvents(500, { kinds: ['quote'] });
    const t0 = clock.now();
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25 });
    expect(seen).toEqual([]);
    await clock.advance(500);
    expect(seen.map((e) => [e.kind, e.receivedAt - t0, e.brokerTime])).toEqual([['quote', 500, t0]]);
  });

  it('when events are duplicated then each is delivered twice in a row', async () => {
    const { broker, seen } = await setup();
    broker.duplicateEvents({ kinds: ['fill'] });
    broker.trade(1, MNQ, 'buy', 1, 21_000);
    expect(seen.map((e) => e.kind)).toEqual(['order', 'fill', 'fill', 'order', 'position', 'account']);
  });

  it('when the broker refuses an account then every action answers account-rejected with its endpoint code', async () => {
    const { broker } = await setup();
    broker.refuseActions(1);
    await expect(broker.closePosition(1, MNQ, OPTS)).resolves.toMatchObject({
      code: 'account-rejected',
      brokerCode: 8,
    });
    await expect(broker.partialClosePosition(1, MNQ, 1, OPTS)).resolves.toMatchObject({ brokerCode: 9 });
    await expect(broker.cancelOrder(1, 1, OPTS)).resolves.toMatchObject({ brokerCode: 6 });
    await expect(broker.closePosition(2, MNQ, OPTS)).resolves.toEqual({ status: 'ok' });
  });

  it('when a request arrives then request listeners see it before the broker acts', async () => {
    const { broker } = await setup();
    broker.setQuote(MNQ, { bid: 21_000, ask: 21_000.25 });
    broker.trade(1, MNQ, 'buy', 1);
    const sizes: number[] = [];
    broker.onRequest(() => sizes.push(broker.netSize(1, MNQ)));
    await broker.closePosition(1, MNQ, OPTS);
    expect(sizes).toEqual([1]);
  });
});

describe('FakeBroker: snapshots and test controls', () => {
  it('when asked for snapshots then positions, orders, fills, contracts and bars reflect the broker state', async () => {
    const { broker, clock } = await setup();
    broker.trade(1, MNQ, 'buy', 2, 21_000);
    await clock.advance(60_000);
    const later = clock.now();
    broker.trade(1, ES, 'sell', 1, 6_000);
    broker.placeOrder(1, ES, { type: OrderType.Stop, side: 'buy', size: 1, stopPrice: 6_010 });
    broker.setBarClose(MNQ, later, 21_010.5);

    expect((await broker.openPositions(1)).map((p) => [p.contractId, p.side, p.size])).toEqual([
      [MNQ, 'long', 2],
      [ES, 'short', 1],
    ]);
    expect((await broker.openOrders(1)).map((o) => o.type)).toEqual([OrderType.Stop]);
    expect((await broker.fillsSince(1, later)).map((f) => f.contractId)).toEqual([ES]);
    expect((await broker.listAccounts()).map((a) => a.id)).toEqual([1, 2]);
    await expect(broker.contract(NQ)).resolves.toMatchObject({ name: 'NQZ5', tickValue: 5_000_000 });
    await expect(broker.contract('CON.F.US.XYZ.Z25')).rejects.toBeInstanceOf(FakeBrokerError);
    await expect(broker.barClose(MNQ, later + 30_000)).resolves.toBe(21_010.5);
    await expect(broker.barClose(MNQ, later + 60_000)).resolves.toBeNull();
  });

  it('when a test control is misused then a coded FakeBrokerError says why', async () => {
    const { broker } = await setup();
    expect(() => broker.trade(1, MNQ, 'buy', 1)).toThrow(
      expect.objectContaining({ code: 'FAKE_BROKER_NO_PRICE' }),
    );
    expect(() => broker.trade(9, MNQ, 'buy', 1, 1)).toThrow(
      expect.objectContaining({ code: 'FAKE_BROKER_UNKNOWN_ACCOUNT' }),
    );
    expect(() => broker.trade(1, MNQ, 'buy', 0, 1)).toThrow(
      expect.objectContaining({ code: 'FAKE_BROKER_INVALID_ARGUMENT' }),
    );
    expect(() => broker.traderCancel(42)).toThrow(
      expect.objectContaining({ code: 'FAKE_BROKER_UNKNOWN_ORDER' }),
    );
  });

  it('when a working order is filled by the test then a partial fill keeps it working', async () => {
    const { broker } = await setup();
    const order = broker.placeOrder(1, MNQ, {
      type: OrderType.Limit,
      side: 'buy',
      size: 3,
      limitPrice: 20_990,
    });
    broker.fillOrder(order.id, { size: 1 });
    expect(broker.order(order.id)).toMatchObject({
      status: OrderStatus.Open,
      fillVolume: 1,
      filledPrice: 20_990,
    });
    broker.fillOrder(order.id, { price: 20_989 });
    expect(broker.order(order.id)).toMatchObject({ status: OrderStatus.Filled, fillVolume: 3 });
    expect(broker.position(1, MNQ)).toMatchObject({ size: 3, averagePrice: 20_989.333333333 });
    broker.traderCancel(
      broker.placeOrder(1, MNQ, { type: OrderType.Stop, side: 'sell', size: 3, stopPrice: 20_900 }).id,
    );
    expect(await broker.openOrders(1)).toEqual([]);
  });
});
