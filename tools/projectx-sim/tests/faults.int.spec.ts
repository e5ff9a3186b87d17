import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import {
  ACCOUNT,
  EventLog,
  MARKET_EVENTS,
  MNQ,
  NQ,
  control,
  hubConnection,
  login,
  post,
  startTestSim,
  userHub,
  waitFor,
} from './helpers.js';

describe('fault injection', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  it('when a delay fault is set then the call is answered normally, no sooner than the delay', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    await control(sim, 'POST', '/faults/rest', { path: 'Account/search', kind: 'delay', delayMs: 80 });
    const res = await post(sim, '/api/Account/search', {}, token);
    expect(res.body['success']).toBe(true);
    const [request, response] = sim.recorder.query({ path: '/api/Account/search' });
    expect(BigInt(response!.hrTimeNs) - BigInt(request!.hrTimeNs)).toBeGreaterThanOrEqual(80_000_000n);
    const after = await post(sim, '/api/Account/search', {}, token); // count 1: used up
    expect(after.status).toBe(200);
  });

  it('when a 500 status fault is set then the call answers 500 ProblemDetails and does not execute', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const fault = await control(sim, 'POST', '/faults/rest', {
      path: '/api/Order/place',
      kind: 'status',
      status: 500,
    });
    expect(fault.status).toBe(201);
    expect(fault.body).toMatchObject({
      id: 1,
      path: 'Order/place',
      kind: 'status',
      status: 500,
      remaining: 1,
    });
    const res = await post(
      sim,
      '/api/Order/place',
      { accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 1 },
      token,
    );
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({
      status: 500,
      title: 'An error occurred while processing your request.',
    });
    expect(sim.control.state().orders).toEqual([]);
  });

  it('when a 429 status fault is set then the call answers 429 with the configured Retry-After', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    await control(sim, 'POST', '/faults/rest', {
      path: 'Position/searchOpen',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 7,
    });
    const res = await post(sim, '/api/Position/searchOpen', { accountId: ACCOUNT }, token);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('when a hang fault with holdMs is set then the socket is destroyed after the hold and nothing executes', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    await control(sim, 'POST', '/faults/rest', { path: 'Order/place', kind: 'hang', holdMs: 50 });
    await expect(
      post(
        sim,
        '/api/Order/place',
        { accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 1 },
        token,
      ),
    ).rejects.toThrow();
    expect(sim.control.state().orders).toEqual([]);
  });

  it('when a hang fault without holdMs is set then the call never answers (the client times out) until the simulator closes', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    await control(sim, 'POST', '/faults/rest', { path: 'Account/search', kind: 'hang' });
    const res = fetch(`${sim.apiUrl}/api/Account/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(100),
    });
    await expect(res).rejects.toThrow();
    expect(sim.recorder.query({ kind: 'response', path: '/api/Account/search' })[0]?.body).toEqual({
      fault: 'hang',
      endpoint: 'Account/search',
    });
  });

  it('when a close executes but its response is dropped then the client sees a broken socket and the position is flat', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    await post(
      sim,
      '/api/Order/place',
      { accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 2 },
      token,
    );
    await control(sim, 'POST', '/faults/rest', { path: 'Position/closeContract', kind: 'dropResponse' });
    await expect(
      post(sim, '/api/Position/closeContract', { accountId: ACCOUNT, contractId: MNQ }, token),
    ).rejects.toThrow();
    const positions = await post<{ positions: unknown[] }>(
      sim,
      '/api/Position/searchOpen',
      { accountId: ACCOUNT },
      token,
    );
    expect(positions.body.positions).toEqual([]);
    const dropped = sim.recorder.query({ kind: 'response', path: '/api/Position/closeContract' });
    expect(dropped[0]?.body).toEqual({
      fault: 'dropResponse',
      executed: { success: true, errorCode: 0, errorMessage: null },
    });
  });

  it('when the next 2 closes are rejected then two closes answer OrderRejected and the third closes', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    await post(
      sim,
      '/api/Order/place',
      { accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 3 },
      token,
    );
    expect((await control(sim, 'POST', '/faults/reject-closes', { count: 2 })).body).toEqual({
      rejectCloses: 2,
    });
    const partial = await post(
      sim,
      '/api/Position/partialCloseContract',
      { accountId: ACCOUNT, contractId: MNQ, size: 1 },
      token,
    );
    expect(partial.body).toMatchObject({ success: false, errorCode: 6 });
    const close = await post(
      sim,
      '/api/Position/closeContract',
      { accountId: ACCOUNT, contractId: MNQ },
      token,
    );
    expect(close.body).toMatchObject({ success: false, errorCode: 5 });
    expect(sim.control.state().positions[0]?.size).toBe(3);
    expect(
      (await post(sim, '/api/Position/closeContract', { accountId: ACCOUNT, contractId: MNQ }, token)).body[
        'success'
      ],
    ).toBe(true);
  });

  it('when a fault has count null and path * then every call fails until the faults are cleared', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    await control(sim, 'POST', '/faults/rest', { path: '*', kind: 'status', status: 503, count: null });
    expect((await post(sim, '/api/Account/search', {}, token)).status).toBe(503);
    expect((await post(sim, '/api/Contract/available', {}, token)).status).toBe(503);
    expect((await fetch(`${sim.apiUrl}/api/Status/ping`)).status).toBe(503);
    expect((await control<{ rest: unknown[] }>(sim, 'GET', '/faults')).body.rest).toHaveLength(1);
    await control(sim, 'DELETE', '/faults');
    expect((await post(sim, '/api/Account/search', {}, token)).status).toBe(200);
  });

  it('when a fault spec is invalid then the control API answers 400', async () => {
    sim = await startTestSim();
    expect((await control(sim, 'POST', '/faults/rest', { path: 'x', kind: 'status' })).status).toBe(400);
    expect((await control(sim, 'POST', '/faults/rest', { path: 'x', kind: 'explode' })).status).toBe(400);
    expect((await control(sim, 'POST', '/faults/rest', { path: 'x', kind: 'errorCode' })).status).toBe(400);
    expect((await control(sim, 'POST', '/faults/rest', { path: 'x', kind: 'delay' })).status).toBe(400);
  });

  it('when hub connections are dropped by hub then only that hub loses its connections', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const user = hubConnection(sim.userHubUrl, () => token);
    const market = hubConnection(sim.marketHubUrl, () => token);
    let userClosed = false;
    user.onclose(() => {
      userClosed = true;
    });
    await user.start();
    await market.start();
    expect(
      (await control(sim, 'POST', '/faults/drop-connections', { hub: 'user', mode: 'close' })).body,
    ).toEqual({ dropped: 1 });
    await waitFor(() => userClosed, 5000, 'the user hub to close');
    expect(sim.control.connections().map((c) => c.hub)).toEqual(['market']);
    await market.invoke('SubscribeContractQuotes', MNQ);
    await market.stop();
  });

  it('when the next trade event is duplicated then the client receives it twice', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const { connection, log } = await userHub(sim, token);
    await control(sim, 'POST', '/faults/duplicate-events', { target: 'GatewayUserTrade', count: 1 });
    sim.control.placeOrder({ accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 1 });
    await waitFor(() => log.events.length >= 6);
    expect(log.names()).toEqual([
      'GatewayUserOrder',
      'GatewayUserTrade',
      'GatewayUserTrade',
      'GatewayUserOrder',
      'GatewayUserPosition',
      'GatewayUserAccount',
    ]);
    expect(log.named('GatewayUserTrade')[0]).toEqual(log.named('GatewayUserTrade')[1]);
    await connection.stop();
  });

  it('when the next order event is reordered then it arrives after the following event', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const { connection, log } = await userHub(sim, token);
    await control(sim, 'POST', '/faults/reorder-events', { target: 'GatewayUserOrder', count: 1 });
    sim.control.placeOrder({ accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 1 });
    await waitFor(() => log.events.length >= 5);
    expect(log.names()).toEqual([
      'GatewayUserTrade',
      'GatewayUserOrder',
      'GatewayUserOrder',
      'GatewayUserPosition',
      'GatewayUserAccount',
    ]);
    expect(log.named('GatewayUserOrder').map((a) => (a[0] as { status: number }).status)).toEqual([1, 2]);
    await connection.stop();
  });

  it('when a reordered event has no successor then it is still delivered shortly after', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const { connection, log } = await userHub(sim, token);
    sim.control.reorderEvents({ target: 'GatewayUserAccount' });
    sim.control.setCanTrade(ACCOUNT, false);
    await waitFor(() => log.events.length === 1, 5000, 'the held event');
    expect(log.names()).toEqual(['GatewayUserAccount']);
    await connection.stop();
  });

  it('when a quote stream is frozen then its quotes stop while prices move and other contracts stream; thawing resumes it', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const conn = hubConnection(sim.marketHubUrl, () => token);
    const log = new EventLog(conn, MARKET_EVENTS);
    await conn.start();
    await conn.invoke('SubscribeContractQuotes', MNQ);
    await conn.invoke('SubscribeContractQuotes', NQ);
    await waitFor(() => log.events.length === 2);
    log.clear();
    const frozen = await control(sim, 'POST', '/faults/freeze', { contractId: MNQ });
    expect(frozen.body).toMatchObject({ id: MNQ, frozen: true });
    sim.control.setPrice(MNQ, { last: 21510 });
    sim.control.setPrice(NQ, { last: 21510 });
    await waitFor(() => log.events.length === 1);
    await conn.invoke('SubscribeContractTrades', NQ); // round trip
    expect(log.named('GatewayQuote').map((a) => a[0])).toEqual([NQ]);
    expect(sim.control.quote(MNQ).lastPrice).toBe(21510);
    expect(
      (await control<{ frozenContracts: string[] }>(sim, 'GET', '/faults')).body.frozenContracts,
    ).toEqual([MNQ]);
    await control(sim, 'POST', '/faults/freeze', { contractId: MNQ, frozen: false });
    sim.control.setPrice(MNQ, { last: 21511 });
    await waitFor(() => log.named('GatewayQuote').some((a) => a[0] === MNQ));
    await conn.stop();
  });

  it('when faults are cleared then every fault is gone and frozen streams thaw', async () => {
    sim = await startTestSim();
    sim.control.addRestFault({ path: 'Order/place', kind: 'status', status: 500 });
    sim.control.rejectNextCloses(3);
    sim.control.duplicateEvents({ count: 2 });
    sim.control.reorderEvents({});
    sim.control.freezeQuotes(MNQ);
    const before = await control(sim, 'GET', '/faults');
    expect(before.body).toMatchObject({
      rejectCloses: 3,
      duplicate: [{ target: null, remaining: 2 }],
      reorder: [{ target: null, remaining: 1 }],
      frozenContracts: [MNQ],
    });
    const cleared = await control(sim, 'DELETE', '/faults');
    expect(cleared.body).toEqual({
      rest: [],
      rejectCloses: 0,
      duplicate: [],
      reorder: [],
      frozenContracts: [],
    });
  });
});
