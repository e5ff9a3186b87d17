import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import { ACCOUNT, MNQ, T0, login, post, startTestSim } from './helpers.js';

/** Every REST endpoint's success envelope, over plain HTTP. */
describe('REST success envelopes', () => {
  let sim: RunningSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await startTestSim();
    token = await login(sim);
  });
  afterAll(() => sim.close());

  const expectEnvelope = (body: Record<string, unknown>) => {
    expect(body['success']).toBe(true);
    expect(body['errorCode']).toBe(0);
    expect(body['errorMessage']).toBeNull();
  };

  it('when GET Status/ping then it answers pong without a token', async () => {
    const res = await fetch(`${sim.apiUrl}/api/Status/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('pong');
  });

  it('when Auth/loginKey has the right key then it answers a 24 h JWT', async () => {
    const res = await post<{ token: string }>(sim, '/api/Auth/loginKey', {
      userName: 'demo',
      apiKey: 'demo-api-key',
    });
    expect(res.status).toBe(200);
    expectEnvelope(res.body);
    const [, payload] = res.body.token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims['name']).toBe('demo');
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(24 * 3600);
    expect(claims['iat']).toBe(Math.floor(Date.parse(T0) / 1000));
  });

  it('when the user name differs in case then login still succeeds', async () => {
    const res = await post(sim, '/api/Auth/loginKey', { userName: 'DEMO', apiKey: 'demo-api-key' });
    expectEnvelope(res.body);
  });

  it('when Auth/validate is called without a body then it answers a new token', async () => {
    const res = await post<{ newToken: string }>(sim, '/api/Auth/validate', undefined, token);
    expectEnvelope(res.body);
    expect(res.body.newToken).toMatch(/^ey/);
    expect(res.body.newToken).not.toBe(token);
  });

  it('when Auth/logout is called then the token stops working', async () => {
    const own = await login(sim);
    const res = await post(sim, '/api/Auth/logout', undefined, own);
    expectEnvelope(res.body);
    expect((await post(sim, '/api/Account/search', { onlyActiveAccounts: true }, own)).status).toBe(401);
  });

  it('when Account/search then both practice accounts come back with every field', async () => {
    const res = await post<{ accounts: unknown[] }>(
      sim,
      '/api/Account/search',
      { onlyActiveAccounts: true },
      token,
    );
    expectEnvelope(res.body);
    expect(res.body.accounts).toEqual([
      {
        id: 70001,
        name: 'PRAC-V2-100001-50001',
        balance: 50000,
        canTrade: true,
        isVisible: true,
        simulated: true,
      },
      {
        id: 70002,
        name: 'PRAC-V2-100001-150001',
        balance: 150000,
        canTrade: true,
        isVisible: true,
        simulated: true,
      },
    ]);
  });

  it('when Contract/available then MNQ, NQ, ES and MES front months come back with the documented ticks', async () => {
    const res = await post<{ contracts: Record<string, unknown>[] }>(
      sim,
      '/api/Contract/available',
      { live: false },
      token,
    );
    expectEnvelope(res.body);
    expect(
      res.body.contracts.map((c) => [c['id'], c['name'], c['symbolId'], c['tickSize'], c['tickValue']]),
    ).toEqual([
      ['CON.F.US.MNQ.Z26', 'MNQZ6', 'F.US.MNQ', 0.25, 0.5],
      ['CON.F.US.ENQ.Z26', 'NQZ6', 'F.US.ENQ', 0.25, 5],
      ['CON.F.US.EP.Z26', 'ESZ6', 'F.US.EP', 0.25, 12.5],
      ['CON.F.US.MES.Z26', 'MESZ6', 'F.US.MES', 0.25, 1.25],
    ]);
    expect(res.body.contracts[0]).toEqual({
      id: MNQ,
      name: 'MNQZ6',
      description: 'Micro E-mini Nasdaq-100: December 2026',
      tickSize: 0.25,
      tickValue: 0.5,
      activeContract: true,
      symbolId: 'F.US.MNQ',
    });
  });

  it('when Contract/search has a text then matching contracts come back (at most 20)', async () => {
    const res = await post<{ contracts: { name: string }[] }>(
      sim,
      '/api/Contract/search',
      { searchText: 'NQ', live: false },
      token,
    );
    expectEnvelope(res.body);
    expect(res.body.contracts.map((c) => c.name)).toEqual(['MNQZ6', 'NQZ6']);
  });

  it('when Contract/searchById then the contract comes back', async () => {
    const res = await post<{ contract: { id: string } }>(
      sim,
      '/api/Contract/searchById',
      { contractId: MNQ },
      token,
    );
    expectEnvelope(res.body);
    expect(res.body.contract.id).toBe(MNQ);
  });

  it('when History/retrieveBars then bars come back newest first, limited to the most recent', async () => {
    const res = await post<{ bars: { t: string; o: number; h: number; l: number; c: number; v: number }[] }>(
      sim,
      '/api/History/retrieveBars',
      {
        contractId: MNQ,
        live: false,
        startTime: '2026-11-26T13:00:00Z',
        endTime: '2026-11-26T15:00:00Z',
        unit: 2,
        unitNumber: 5,
        limit: 10,
        includePartialBar: false,
      },
      token,
    );
    expectEnvelope(res.body);
    expect(res.body.bars).toHaveLength(10);
    expect(res.body.bars[0]?.t).toBe('2026-11-26T14:55:00.000000+00:00');
    expect(res.body.bars[9]?.t).toBe('2026-11-26T14:10:00.000000+00:00');
    for (const bar of res.body.bars) {
      expect(bar.h).toBeGreaterThanOrEqual(Math.max(bar.o, bar.c));
      expect(bar.l).toBeLessThanOrEqual(Math.min(bar.o, bar.c));
      expect(bar.v).toBeGreaterThan(0);
    }
  });

  it('when Order/place, searchOpen, modify, cancel and search run then each answers its envelope', async () => {
    const placed = await post<{ orderId: number }>(
      sim,
      '/api/Order/place',
      { accountId: ACCOUNT, contractId: MNQ, type: 1, side: 0, size: 1, limitPrice: 21000 },
      token,
    );
    expectEnvelope(placed.body);
    expect(placed.body.orderId).toBe(1_800_000_001);

    const open = await post<{ orders: Record<string, unknown>[] }>(
      sim,
      '/api/Order/searchOpen',
      { accountId: ACCOUNT },
      token,
    );
    expectEnvelope(open.body);
    expect(open.body.orders).toEqual([
      {
        id: 1_800_000_001,
        accountId: ACCOUNT,
        contractId: MNQ,
        symbolId: 'F.US.MNQ',
        creationTimestamp: expect.stringMatching(/^2026-11-26T15:00:\d\d\.\d{6}\+00:00$/),
        updateTimestamp: expect.any(String),
        status: 1,
        type: 1,
        side: 0,
        size: 1,
        limitPrice: 21000,
        stopPrice: null,
        fillVolume: 0,
        filledPrice: null,
        customTag: null,
      },
    ]);

    const modified = await post(
      sim,
      '/api/Order/modify',
      { accountId: ACCOUNT, orderId: placed.body.orderId, size: 2, limitPrice: 20999.75 },
      token,
    );
    expectEnvelope(modified.body);
    const cancelled = await post(
      sim,
      '/api/Order/cancel',
      { accountId: ACCOUNT, orderId: placed.body.orderId },
      token,
    );
    expectEnvelope(cancelled.body);

    const search = await post<{ orders: Record<string, unknown>[] }>(
      sim,
      '/api/Order/search',
      { accountId: ACCOUNT, startTimestamp: '2026-11-26T00:00:00Z' },
      token,
    );
    expectEnvelope(search.body);
    expect(search.body.orders).toHaveLength(1);
    expect(search.body.orders[0]).toMatchObject({ status: 3, size: 2, limitPrice: 20999.75 });
  });

  it('when a position is opened, partially closed and closed then Position and Trade endpoints answer envelopes', async () => {
    const placed = await post(
      sim,
      '/api/Order/place',
      { accountId: ACCOUNT, contractId: MNQ, type: 2, side: 0, size: 3 },
      token,
    );
    expectEnvelope(placed.body);
    const positions = await post<{ positions: Record<string, unknown>[] }>(
      sim,
      '/api/Position/searchOpen',
      { accountId: ACCOUNT },
      token,
    );
    expectEnvelope(positions.body);
    expect(positions.body.positions).toEqual([
      {
        id: 500_001,
        accountId: ACCOUNT,
        contractId: MNQ,
        creationTimestamp: expect.any(String),
        type: 1,
        size: 3,
        averagePrice: 21500.25,
      },
    ]);
    const partial = await post(
      sim,
      '/api/Position/partialCloseContract',
      { accountId: ACCOUNT, contractId: MNQ, size: 1 },
      token,
    );
    expectEnvelope(partial.body);
    const close = await post(
      sim,
      '/api/Position/closeContract',
      { accountId: ACCOUNT, contractId: MNQ },
      token,
    );
    expectEnvelope(close.body);
    const trades = await post<{ trades: Record<string, unknown>[] }>(
      sim,
      '/api/Trade/search',
      { accountId: ACCOUNT, startTimestamp: '2026-11-26T00:00:00Z', endTimestamp: '2026-11-27T00:00:00Z' },
      token,
    );
    expectEnvelope(trades.body);
    expect(
      trades.body.trades.map((t) => [t['side'], t['size'], t['price'], t['profitAndLoss'], t['fees']]),
    ).toEqual([
      [0, 3, 21500.25, null, 1.11],
      [1, 1, 21500, -0.5, 0.37],
      [1, 2, 21500, -1, 0.74],
    ]);
    expect(trades.body.trades[0]).toEqual({
      id: 1_300_000_001,
      accountId: ACCOUNT,
      contractId: MNQ,
      creationTimestamp: expect.any(String),
      price: 21500.25,
      profitAndLoss: null,
      fees: 1.11,
      side: 0,
      size: 3,
      voided: false,
      orderId: expect.any(Number),
    });
  });

  it('when the path casing differs then the route still matches (ASP.NET routing)', async () => {
    const res = await post(sim, '/api/account/SEARCH', { onlyActiveAccounts: true }, token);
    expect(res.status).toBe(200);
    expectEnvelope(res.body);
  });
});
