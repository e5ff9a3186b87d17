import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import { ACCOUNT, MNQ, T0, control, login, post, startTestSim, userHub, waitFor } from './helpers.js';

describe('control API', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  it('when GET /control/state then the whole world is described', async () => {
    sim = await startTestSim({ clock: { start: T0, mode: 'manual' } });
    const res = await control<Record<string, unknown>>(sim, 'GET', '/state');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'accounts',
        'clock',
        'connections',
        'contracts',
        'faults',
        'orders',
        'paths',
        'positions',
        'rateLimit',
        'replaying',
        'tokenLifetimeMs',
        'trades',
        'users',
        'variants',
        'walk',
      ].sort(),
    );
    expect(res.body['clock']).toEqual({
      now: T0,
      nowMs: Date.parse(T0),
      mode: 'manual',
      offsetMs: expect.any(Number),
    });
    expect(res.body['users']).toEqual([{ userName: 'demo', userId: 100001, loginErrorCode: null }]);
    expect((res.body['contracts'] as { quote: { bestBid: number } }[])[0]).toMatchObject({
      id: MNQ,
      feePerSide: 0.37,
      marketOpen: true,
      frozen: false,
      quote: { bestBid: 21500 },
    });
  });

  it('when the clock is set, advanced and switched to manual then timestamps follow it', async () => {
    sim = await startTestSim();
    expect(
      (await control(sim, 'POST', '/clock', { now: '2027-01-04T14:30:00Z', mode: 'manual' })).body,
    ).toMatchObject({ now: '2027-01-04T14:30:00.000Z', mode: 'manual' });
    expect((await control(sim, 'POST', '/clock', { advanceMs: 90_000 })).body).toMatchObject({
      now: '2027-01-04T14:31:30.000Z',
    });
    expect((await control(sim, 'GET', '/clock')).body['now']).toBe('2027-01-04T14:31:30.000Z');
    const placed = sim.control.placeOrder({
      accountId: ACCOUNT,
      contractId: MNQ,
      type: 1,
      side: 0,
      size: 1,
      limitPrice: 21000,
    });
    expect(sim.control.state().orders.find((o) => o.id === placed.orderId)?.creationTimestamp).toBe(
      '2027-01-04T14:31:30.000000+00:00',
    );
    expect((await control(sim, 'POST', '/clock', { now: 'not a time' })).status).toBe(400);
    expect((await control(sim, 'POST', '/clock', { mode: 'real' })).body).toMatchObject({ mode: 'real' });
  });

  it('when a user and an account are created then the user can log in and trade that account', async () => {
    sim = await startTestSim();
    expect((await control(sim, 'POST', '/users', { userName: 'alice', apiKey: 'alice-key' })).body).toEqual({
      userName: 'alice',
      userId: 100002,
    });
    expect((await control(sim, 'POST', '/users', { userName: 'ALICE', apiKey: 'x' })).status).toBe(409);
    const created = await control(sim, 'POST', '/accounts', {
      id: 80001,
      name: 'ALICE-1',
      balance: 25_000,
      canTrade: true,
      isVisible: true,
      simulated: true,
      userName: 'alice',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: 80001,
      name: 'ALICE-1',
      balance: 25_000,
      canTrade: true,
      isVisible: true,
      simulated: true,
      userName: 'alice',
      bracketMode: 'position',
      rejecting: false,
    });
    const token = await login(sim, 'alice', 'alice-key');
    const accounts = await post<{ accounts: { id: number }[] }>(
      sim,
      '/api/Account/search',
      { onlyActiveAccounts: true },
      token,
    );
    expect(accounts.body.accounts.map((a) => a.id)).toEqual([80001]);
    const placed = await post(
      sim,
      '/api/Order/place',
      { accountId: 80001, contractId: MNQ, type: 2, side: 0, size: 1 },
      token,
    );
    expect(placed.body['success']).toBe(true);
    expect(
      (
        await control(sim, 'POST', '/accounts', {
          id: 80001,
          name: 'dup',
          balance: 1,
          canTrade: true,
          isVisible: true,
          simulated: true,
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await control(sim, 'POST', '/accounts', {
          id: 80002,
          name: 'x',
          balance: 1,
          canTrade: true,
          isVisible: true,
          simulated: true,
          userName: 'nobody',
        })
      ).status,
    ).toBe(400);
    expect((await control<unknown[]>(sim, 'GET', '/accounts')).body).toHaveLength(3);
  });

  it('when canTrade and balance are patched then a GatewayUserAccount goes out; an unknown account is 404', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const { connection, log } = await userHub(sim, token);
    const res = await control(sim, 'PATCH', `/accounts/${ACCOUNT}`, { canTrade: false, balance: 48_000.5 });
    expect(res.body).toMatchObject({ canTrade: false, balance: 48_000.5 });
    await waitFor(() => log.events.length === 1);
    expect(log.events[0]?.args[0]).toMatchObject({ id: ACCOUNT, canTrade: false, balance: 48_000.5 });
    await control(sim, 'PATCH', `/accounts/${ACCOUNT}`, { bracketMode: 'autoOco' }); // not a wire field: no event
    await connection.invoke('SubscribeAccounts');
    expect(log.events).toHaveLength(1);
    expect((await control(sim, 'PATCH', '/accounts/12345', { canTrade: false })).status).toBe(404);
    await connection.stop();
  });

  it('when isVisible is false then Account/search with onlyActiveAccounts hides the account', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    sim.control.updateAccount(ACCOUNT, { isVisible: false });
    const active = await post<{ accounts: { id: number }[] }>(
      sim,
      '/api/Account/search',
      { onlyActiveAccounts: true },
      token,
    );
    const all = await post<{ accounts: { id: number }[] }>(
      sim,
      '/api/Account/search',
      { onlyActiveAccounts: false },
      token,
    );
    expect(active.body.accounts.map((a) => a.id)).toEqual([70002]);
    expect(all.body.accounts.map((a) => a.id)).toEqual([ACCOUNT, 70002]);
  });

  it('when a contract is created and patched then it is served, searchable and tradable; a bad one is 400', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const rty = {
      id: 'CON.F.US.RTY.Z26',
      name: 'RTYZ6',
      description: 'E-mini Russell 2000: December 2026',
      tickSize: 0.1,
      tickValue: 5,
      symbolId: 'F.US.RTY',
      activeContract: true,
      price: { last: 2400.5 },
      feePerSide: 1.4,
    };
    const created = await control(sim, 'POST', '/contracts', rty);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: rty.id, quote: { bestBid: 2400.5, bestAsk: 2400.6 } });
    const byId = await post(sim, '/api/Contract/searchById', { contractId: rty.id }, token);
    expect(byId.body['contract']).toEqual({
      id: rty.id,
      name: 'RTYZ6',
      description: rty.description,
      tickSize: 0.1,
      tickValue: 5,
      activeContract: true,
      symbolId: 'F.US.RTY',
    });
    await post(
      sim,
      '/api/Order/place',
      { accountId: ACCOUNT, contractId: rty.id, type: 2, side: 0, size: 1 },
      token,
    );
    sim.control.setPrice(rty.id, { bid: 2401.5, ask: 2401.6 });
    await post(sim, '/api/Position/closeContract', { accountId: ACCOUNT, contractId: rty.id }, token);
    expect(sim.control.state().trades.at(-1)).toMatchObject({ profitAndLoss: 45, fees: 1.4 }); // 9 ticks × 5.00
    expect(
      (await control(sim, 'PATCH', `/contracts/${rty.id}`, { activeContract: false, feePerSide: 2 })).body,
    ).toMatchObject({ activeContract: false, feePerSide: 2 });
    const available = await post<{ contracts: { id: string }[] }>(
      sim,
      '/api/Contract/available',
      { live: false },
      token,
    );
    expect(available.body.contracts.map((c) => c.id)).not.toContain(rty.id);
    expect(
      (await control(sim, 'POST', '/contracts', { ...rty, id: 'X', price: { last: 2400.55 } })).status,
    ).toBe(400);
    expect((await control(sim, 'POST', '/contracts', rty)).status).toBe(409);
    expect((await control(sim, 'GET', '/contracts')).body).toHaveLength(5);
  });

  it('when a price is read and set through /control/prices then the quote follows', async () => {
    sim = await startTestSim();
    expect((await control(sim, 'GET', `/prices/${MNQ}`)).body).toMatchObject({
      bestBid: 21500,
      bestAsk: 21500.25,
      lastPrice: 21500,
    });
    expect(
      (await control(sim, 'POST', `/prices/${MNQ}`, { bid: 21400, ask: 21400.5, last: 21400.25, volume: 7 }))
        .body,
    ).toMatchObject({
      bestBid: 21400,
      bestAsk: 21400.5,
      lastPrice: 21400.25,
      volume: 7,
      low: 21400.25,
    });
  });

  it('when the walk is stepped by control then every contract moves and the new quotes are answered', async () => {
    sim = await startTestSim();
    const res = await control<{ quotes: { contractId: string; volume: number }[] }>(
      sim,
      'POST',
      '/walk/step',
      { steps: 5 },
    );
    expect(res.body.quotes).toHaveLength(4);
    expect(res.body.quotes.every((q) => q.volume >= 5)).toBe(true);
    const one = await control<{ quotes: { contractId: string; volume: number }[] }>(
      sim,
      'POST',
      '/walk/step',
      { contractId: MNQ },
    );
    expect(one.body.quotes.find((q) => q.contractId === MNQ)!.volume).toBeGreaterThan(
      res.body.quotes.find((q) => q.contractId === MNQ)!.volume,
    );
  });

  it('when the market is closed for one contract then only that contract answers OutsideTradingHours', async () => {
    sim = await startTestSim();
    const res = await control<{ id: string; marketOpen: boolean }[]>(sim, 'POST', '/market', {
      open: false,
      contractId: MNQ,
    });
    expect(res.body.map((c) => [c.id, c.marketOpen])).toEqual([[MNQ, false]]);
    expect(
      sim.control.placeOrder({ accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 1 }).errorCode,
    ).toBe(5);
    expect(
      sim.control.placeOrder({ accountId: ACCOUNT, contractId: 'CON.F.US.EP.Z26', type: 2, side: 0, size: 1 })
        .errorCode,
    ).toBe(0);
    await control(sim, 'POST', '/market', { open: true });
    expect(
      sim.control.placeOrder({ accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 1 }).errorCode,
    ).toBe(0);
  });

  it('when an order is placed through /control/orders then it trades like Order/place and answers the envelope', async () => {
    sim = await startTestSim();
    const ok = await control(sim, 'POST', '/orders', {
      accountId: ACCOUNT,
      contractId: MNQ,
      type: 2,
      side: 1,
      size: 2,
    });
    expect(ok.body).toEqual({ orderId: 1_800_000_001, success: true, errorCode: 0, errorMessage: null });
    expect(sim.control.state().positions).toEqual([
      expect.objectContaining({ type: 2, size: 2, averagePrice: 21500 }),
    ]);
    const bad = await control(sim, 'POST', '/orders', {
      accountId: ACCOUNT,
      contractId: MNQ,
      type: 9,
      side: 1,
      size: 2,
    });
    expect(bad.body).toMatchObject({ success: false, errorCode: 2, orderId: null });
  });

  it('when variants are read, patched and reset then they change, and bad values are refused', async () => {
    sim = await startTestSim();
    expect((await control(sim, 'GET', '/variants')).body).toEqual({
      wrappedUserEvents: false,
      splitFills: null,
      flipFill: 'split',
      stopLimitPlaceable: true,
      restrictCancelOnLiveAccounts: true,
      validateExpiredToken: 'envelope',
      tickBars: false,
      quoteSnapshotOnSubscribe: true,
      initialOrderStatus: 1,
      rateLimit: true,
    });
    const patched = await control(sim, 'PATCH', '/variants', {
      wrappedUserEvents: true,
      splitFills: 2,
      tickBars: true,
    });
    expect(patched.body).toMatchObject({ wrappedUserEvents: true, splitFills: 2, tickBars: true });
    expect((await control(sim, 'PATCH', '/variants', { flipFill: 'sideways' })).status).toBe(400);
    expect((await control(sim, 'PATCH', '/variants', { unknownThing: true })).status).toBe(400);
    expect((await control(sim, 'DELETE', '/variants')).body).toMatchObject({
      wrappedUserEvents: false,
      splitFills: null,
    });
  });

  it('when tick bars are enabled then unit 7 aggregates prints by count', async () => {
    sim = await startTestSim({ variants: { tickBars: true }, clock: { start: T0, mode: 'manual' } });
    const token = await login(sim);
    for (const last of [21501, 21502, 21503, 21504, 21505]) sim.control.setPrice(MNQ, { last, volume: 2 });
    const res = await post<{ bars: { o: number; c: number; h: number; l: number; v: number }[] }>(
      sim,
      '/api/History/retrieveBars',
      {
        contractId: MNQ,
        live: false,
        startTime: T0,
        endTime: '2026-11-26T15:00:01Z',
        unit: 7,
        unitNumber: 2,
        limit: 10,
        includePartialBar: false,
      },
      token,
    );
    expect(res.body.bars.map((b) => [b.o, b.c, b.v])).toEqual([
      [21503, 21504, 4],
      [21501, 21502, 4],
    ]);
  });

  it('when /control/connections is read then it lists each hub connection with its subscriptions', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const { connection } = await userHub(sim, token);
    const res = await control<{ hub: string; subscriptions: Record<string, unknown> }[]>(
      sim,
      'GET',
      '/connections',
    );
    expect(res.body).toEqual([
      expect.objectContaining({
        hub: 'user',
        userName: 'demo',
        negotiated: false,
        subscriptions: {
          accounts: true,
          orders: [ACCOUNT],
          positions: [ACCOUNT],
          trades: [ACCOUNT],
          quotes: [],
          marketTrades: [],
          depth: [],
        },
      }),
    ]);
    await connection.stop();
  });

  it('when a control body has an unknown field or a wrong type then it answers 400', async () => {
    sim = await startTestSim();
    expect((await control(sim, 'PATCH', `/accounts/${ACCOUNT}`, { canTrade: 'no' })).status).toBe(400);
    expect((await control(sim, 'PATCH', `/accounts/${ACCOUNT}`, { favourite: true })).status).toBe(400);
    expect((await control(sim, 'POST', '/faults/reject-closes', {})).status).toBe(400);
    expect((await control(sim, 'POST', '/auth/lifetime', { lifetimeMs: 0 })).status).toBe(400);
  });
});

describe('recorder', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  it('when requests and events flow then the recorder keeps them in order with hr timestamps, filterable by kind, path, target and seq', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const { connection, log } = await userHub(sim, token);
    await post(
      sim,
      '/api/Order/place',
      { accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 1 },
      token,
    );
    await waitFor(() => log.events.length === 5);
    const all = await control<{
      entries: {
        seq: number;
        hrTimeNs: string;
        kind: string;
        method: string;
        path: string;
        target: string | null;
        status: number | null;
        authorization: string | null;
        body: unknown;
      }[];
    }>(sim, 'GET', '/recorder');
    const entries = all.body.entries;
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((a, b) => a - b));
    for (let i = 1; i < entries.length; i++)
      expect(BigInt(entries[i]!.hrTimeNs) >= BigInt(entries[i - 1]!.hrTimeNs)).toBe(true);
    const place = await control<{ entries: typeof entries }>(sim, 'GET', '/recorder?path=/api/Order/place');
    expect(place.body.entries.map((e) => [e.kind, e.status])).toEqual([
      ['request', null],
      ['response', 200],
    ]);
    expect(place.body.entries[0]).toMatchObject({
      method: 'POST',
      authorization: `Bearer ${token}`,
      body: { accountId: ACCOUNT, type: 2 },
    });
    const invokes = await control<{ entries: typeof entries }>(
      sim,
      'GET',
      '/recorder?kind=request&path=/hubs/user',
    );
    expect(invokes.body.entries.map((e) => e.target)).toEqual([
      null,
      'SubscribeAccounts',
      'SubscribeOrders',
      'SubscribePositions',
      'SubscribeTrades',
    ]);
    const trades = await control<{ entries: typeof entries }>(
      sim,
      'GET',
      '/recorder?kind=event&target=GatewayUserTrade',
    );
    expect(trades.body.entries).toHaveLength(1);
    const lastSeq = entries.at(-1)!.seq;
    const since = await control<{ entries: typeof entries }>(sim, 'GET', `/recorder?since=${lastSeq - 2}`);
    expect(since.body.entries.map((e) => e.seq)).toEqual([lastSeq - 1, lastSeq]);
    const limited = await control<{ entries: typeof entries }>(sim, 'GET', '/recorder?path=/api/*&limit=1');
    expect(limited.body.entries).toHaveLength(1);
    await connection.stop();
  });

  it('when the ring is small then only the newest entries stay; full recording keeps all; DELETE empties it', async () => {
    sim = await startTestSim({ recorder: { capacity: 4 } });
    const token = await login(sim);
    for (let i = 0; i < 5; i++) await post(sim, '/api/Account/search', {}, token);
    const ring = await control<{ settings: { size: number; capacity: number }; entries: { seq: number }[] }>(
      sim,
      'GET',
      '/recorder',
    );
    expect(ring.body.settings).toMatchObject({ size: 4, capacity: 4, full: false });
    expect(ring.body.entries.map((e) => e.seq)).toEqual([9, 10, 11, 12]);
    await control(sim, 'PATCH', '/recorder', { full: true });
    for (let i = 0; i < 5; i++) await post(sim, '/api/Account/search', {}, token);
    expect((await control<{ entries: unknown[] }>(sim, 'GET', '/recorder')).body.entries).toHaveLength(14);
    expect((await control(sim, 'DELETE', '/recorder')).body).toMatchObject({ size: 0, lastSeq: 22 });
    await control(sim, 'PATCH', '/recorder', { enabled: false });
    await post(sim, '/api/Account/search', {}, token);
    expect(sim.recorder.list()).toEqual([]);
  });
});
