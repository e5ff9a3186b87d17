import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import { ACCOUNT, MNQ, T0, login, post, startTestSim, userHub, waitFor, type EventLog } from './helpers.js';

/**
 * Golden user-hub sequences (Appendix B order: order open, trade(s), order filled, position,
 * account) for open, add, partial close, close and flip, on a manual clock so every field is fixed.
 */
const TS = '2026-11-26T15:00:00.000000+00:00';

type Compact = [string, Record<string, unknown>];

function compact(log: EventLog): Compact[] {
  return log.events.map((e) => {
    const data = e.args[0] as Record<string, unknown>;
    switch (e.name) {
      case 'GatewayUserOrder':
        return [
          e.name,
          {
            id: data['id'],
            status: data['status'],
            type: data['type'],
            side: data['side'],
            size: data['size'],
            fillVolume: data['fillVolume'],
            filledPrice: data['filledPrice'],
          },
        ];
      case 'GatewayUserTrade':
        return [
          e.name,
          {
            id: data['id'],
            side: data['side'],
            size: data['size'],
            price: data['price'],
            profitAndLoss: data['profitAndLoss'],
            fees: data['fees'],
            orderId: data['orderId'],
          },
        ];
      case 'GatewayUserPosition':
        return [
          e.name,
          { id: data['id'], type: data['type'], size: data['size'], averagePrice: data['averagePrice'] },
        ];
      default:
        return [e.name, { balance: data['balance'], canTrade: data['canTrade'] }];
    }
  });
}

describe('golden event sequences', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  async function setup(wrapped = false) {
    sim = await startTestSim({
      clock: { start: T0, mode: 'manual' },
      variants: { wrappedUserEvents: wrapped },
    });
    const token = await login(sim);
    const hub = await userHub(sim, token);
    const place = (body: Record<string, unknown>) =>
      post<{ orderId: number; success: boolean }>(
        sim,
        '/api/Order/place',
        { accountId: ACCOUNT, contractId: MNQ, ...body },
        token,
      );
    const settle = async (count: number) => {
      await waitFor(() => hub.log.events.length >= count, 5000, `${count} events`);
      await hub.connection.invoke('SubscribeAccounts'); // a round trip: nothing else is in flight
      const out = compact(hub.log);
      const raw = hub.log.events.map((e) => e.args[0]);
      hub.log.clear();
      return { out, raw };
    };
    return { token, hub, place, settle };
  }

  it('when a market buy of 2 MNQ opens a position then order, trade, order, position, account arrive in full', async () => {
    const { place, settle, hub } = await setup();
    expect((await place({ type: 2, side: 0, size: 2 })).body.orderId).toBe(1_800_000_001);
    const { raw } = await settle(5);
    const order = {
      id: 1_800_000_001,
      accountId: ACCOUNT,
      contractId: MNQ,
      symbolId: 'F.US.MNQ',
      creationTimestamp: TS,
      updateTimestamp: TS,
      type: 2,
      side: 0,
      size: 2,
      limitPrice: null,
      stopPrice: null,
      customTag: null,
    };
    expect(raw).toEqual([
      { ...order, status: 1, fillVolume: 0, filledPrice: null },
      {
        id: 1_300_000_001,
        accountId: ACCOUNT,
        contractId: MNQ,
        creationTimestamp: TS,
        price: 21500.25,
        profitAndLoss: null,
        fees: 0.74,
        side: 0,
        size: 2,
        voided: false,
        orderId: 1_800_000_001,
      },
      { ...order, status: 2, fillVolume: 2, filledPrice: 21500.25 },
      {
        id: 500_001,
        accountId: ACCOUNT,
        contractId: MNQ,
        creationTimestamp: TS,
        type: 1,
        size: 2,
        averagePrice: 21500.25,
      },
      {
        id: ACCOUNT,
        name: 'PRAC-V2-100001-50001',
        balance: 49999.26,
        canTrade: true,
        isVisible: true,
        simulated: true,
      },
    ]);
    await hub.connection.stop();
  });

  it('when a position is added to, partially closed and closed then the average, P&L and size-0 close follow', async () => {
    const { place, settle, token, hub } = await setup();
    await place({ type: 2, side: 0, size: 2 });
    await settle(5);

    sim.control.setPrice(MNQ, { bid: 21510, ask: 21510.25 });
    await place({ type: 2, side: 0, size: 1 }); // add
    expect((await settle(5)).out).toEqual([
      [
        'GatewayUserOrder',
        { id: 1_800_000_002, status: 1, type: 2, side: 0, size: 1, fillVolume: 0, filledPrice: null },
      ],
      [
        'GatewayUserTrade',
        {
          id: 1_300_000_002,
          side: 0,
          size: 1,
          price: 21510.25,
          profitAndLoss: null,
          fees: 0.37,
          orderId: 1_800_000_002,
        },
      ],
      [
        'GatewayUserOrder',
        { id: 1_800_000_002, status: 2, type: 2, side: 0, size: 1, fillVolume: 1, filledPrice: 21510.25 },
      ],
      ['GatewayUserPosition', { id: 500_001, type: 1, size: 3, averagePrice: 21503.583333333 }],
      ['GatewayUserAccount', { balance: 49998.89, canTrade: true }],
    ]);

    await post(
      sim,
      '/api/Position/partialCloseContract',
      { accountId: ACCOUNT, contractId: MNQ, size: 1 },
      token,
    );
    expect((await settle(5)).out).toEqual([
      [
        'GatewayUserOrder',
        { id: 1_800_000_003, status: 1, type: 2, side: 1, size: 1, fillVolume: 0, filledPrice: null },
      ],
      // (21510 − 21503.583333333) / 0.25 × 0.50 × 1 = 12.833… → 12.83
      [
        'GatewayUserTrade',
        {
          id: 1_300_000_003,
          side: 1,
          size: 1,
          price: 21510,
          profitAndLoss: 12.83,
          fees: 0.37,
          orderId: 1_800_000_003,
        },
      ],
      [
        'GatewayUserOrder',
        { id: 1_800_000_003, status: 2, type: 2, side: 1, size: 1, fillVolume: 1, filledPrice: 21510 },
      ],
      ['GatewayUserPosition', { id: 500_001, type: 1, size: 2, averagePrice: 21503.583333333 }],
      ['GatewayUserAccount', { balance: 50011.35, canTrade: true }],
    ]);

    await post(sim, '/api/Position/closeContract', { accountId: ACCOUNT, contractId: MNQ }, token);
    expect((await settle(5)).out).toEqual([
      [
        'GatewayUserOrder',
        { id: 1_800_000_004, status: 1, type: 2, side: 1, size: 2, fillVolume: 0, filledPrice: null },
      ],
      [
        'GatewayUserTrade',
        {
          id: 1_300_000_004,
          side: 1,
          size: 2,
          price: 21510,
          profitAndLoss: 25.67,
          fees: 0.74,
          orderId: 1_800_000_004,
        },
      ],
      [
        'GatewayUserOrder',
        { id: 1_800_000_004, status: 2, type: 2, side: 1, size: 2, fillVolume: 2, filledPrice: 21510 },
      ],
      ['GatewayUserPosition', { id: 500_001, type: 1, size: 0, averagePrice: 21503.583333333 }],
      ['GatewayUserAccount', { balance: 50036.28, canTrade: true }],
    ]);
    await hub.connection.stop();
  });

  it('when a sell of 5 hits a long of 2 then the flip closes (size 0) and opens a new short position', async () => {
    const { place, settle, hub } = await setup();
    await place({ type: 2, side: 0, size: 2 });
    await settle(5);
    sim.control.setPrice(MNQ, { bid: 21505, ask: 21505.25 });
    await place({ type: 2, side: 1, size: 5 });
    expect((await settle(7)).out).toEqual([
      [
        'GatewayUserOrder',
        { id: 1_800_000_002, status: 1, type: 2, side: 1, size: 5, fillVolume: 0, filledPrice: null },
      ],
      // (21505 − 21500.25) / 0.25 × 0.50 × 2 = 19.00
      [
        'GatewayUserTrade',
        {
          id: 1_300_000_002,
          side: 1,
          size: 2,
          price: 21505,
          profitAndLoss: 19,
          fees: 0.74,
          orderId: 1_800_000_002,
        },
      ],
      [
        'GatewayUserTrade',
        {
          id: 1_300_000_003,
          side: 1,
          size: 3,
          price: 21505,
          profitAndLoss: null,
          fees: 1.11,
          orderId: 1_800_000_002,
        },
      ],
      [
        'GatewayUserOrder',
        { id: 1_800_000_002, status: 2, type: 2, side: 1, size: 5, fillVolume: 5, filledPrice: 21505 },
      ],
      ['GatewayUserPosition', { id: 500_001, type: 1, size: 0, averagePrice: 21500.25 }],
      ['GatewayUserPosition', { id: 500_002, type: 2, size: 3, averagePrice: 21505 }],
      ['GatewayUserAccount', { balance: 50016.41, canTrade: true }],
    ]);
    await hub.connection.stop();
  });

  it('when the flipFill variant is single then the flip is one trade carrying the closed part’s P&L', async () => {
    const { place, settle, hub } = await setup();
    sim.control.setVariants({ flipFill: 'single' });
    await place({ type: 2, side: 0, size: 2 });
    await settle(5);
    sim.control.setPrice(MNQ, { bid: 21505, ask: 21505.25 });
    await place({ type: 2, side: 1, size: 5 });
    const { out } = await settle(6);
    expect(out.filter(([name]) => name === 'GatewayUserTrade')).toEqual([
      [
        'GatewayUserTrade',
        {
          id: 1_300_000_002,
          side: 1,
          size: 5,
          price: 21505,
          profitAndLoss: 19,
          fees: 1.85,
          orderId: 1_800_000_002,
        },
      ],
    ]);
    await hub.connection.stop();
  });

  it('when split fills are on then an order of 3 fills as three trades of 1 before the order is filled', async () => {
    const { place, settle, hub } = await setup();
    sim.control.setVariants({ splitFills: 1 });
    await place({ type: 2, side: 0, size: 3 });
    expect((await settle(7)).out.map(([name, d]) => [name, d['size'], d['id']])).toEqual([
      ['GatewayUserOrder', 3, 1_800_000_001],
      ['GatewayUserTrade', 1, 1_300_000_001],
      ['GatewayUserTrade', 1, 1_300_000_002],
      ['GatewayUserTrade', 1, 1_300_000_003],
      ['GatewayUserOrder', 3, 1_800_000_001],
      ['GatewayUserPosition', 3, 500_001],
      ['GatewayUserAccount', undefined, undefined],
    ]);
    await hub.connection.stop();
  });

  it('when the wrapped variant is on then every user event is {action: 1, data} around the same payload', async () => {
    const { place, settle, hub } = await setup(true);
    await place({ type: 2, side: 0, size: 2 });
    const { raw } = await settle(5);
    expect(raw.map((r) => Object.keys(r as object))).toEqual(Array(5).fill(['action', 'data']));
    expect(raw.map((r) => (r as { action: number }).action)).toEqual([1, 1, 1, 1, 1]);
    expect((raw[3] as { data: unknown }).data).toEqual({
      id: 500_001,
      accountId: ACCOUNT,
      contractId: MNQ,
      creationTimestamp: TS,
      type: 1,
      size: 2,
      averagePrice: 21500.25,
    });
    await hub.connection.stop();
  });

  it('when closeContract closes a position then its working stop and target orders stay working', async () => {
    const { place, settle, token, hub } = await setup();
    await place({ type: 2, side: 0, size: 1 });
    const stop = await place({ type: 4, side: 1, size: 1, stopPrice: 21490 });
    const target = await place({ type: 1, side: 1, size: 1, limitPrice: 21520 });
    await settle(7);
    await post(sim, '/api/Position/closeContract', { accountId: ACCOUNT, contractId: MNQ }, token);
    const { out } = await settle(5);
    expect(out.filter(([, d]) => d['status'] === 3)).toEqual([]);
    const open = await post<{ orders: { id: number; status: number }[] }>(
      sim,
      '/api/Order/searchOpen',
      { accountId: ACCOUNT },
      token,
    );
    expect(open.body.orders.map((o) => [o.id, o.status])).toEqual([
      [stop.body.orderId, 1],
      [target.body.orderId, 1],
    ]);
    await hub.connection.stop();
  });

  it('when the initial order status variant is Pending then a market order goes 6 → 2 and a resting one 6 → 1', async () => {
    const { place, settle, hub } = await setup();
    sim.control.setVariants({ initialOrderStatus: 6 });
    await place({ type: 2, side: 0, size: 1 });
    expect(
      (await settle(5)).out.filter(([n]) => n === 'GatewayUserOrder').map(([, d]) => d['status']),
    ).toEqual([6, 2]);
    await place({ type: 1, side: 0, size: 1, limitPrice: 21400 });
    expect((await settle(2)).out.map(([, d]) => d['status'])).toEqual([6, 1]);
    await hub.connection.stop();
  });
});
