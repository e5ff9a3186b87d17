import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import {
  ACCOUNT,
  ACCOUNT_2,
  EventLog,
  MARKET_EVENTS,
  MNQ,
  USER_EVENTS,
  control,
  hubConnection,
  login,
  post,
  startTestSim,
  waitFor,
} from './helpers.js';
import { RawHubClient } from './raw-hub.js';

describe('SignalR hubs with the real @microsoft/signalr client', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  for (const mode of [
    'skipNegotiation (token in the Authorization header)',
    'skipNegotiation (access_token in the query)',
    'negotiate',
  ] as const) {
    it(`when a client connects with ${mode} then invocations complete and events arrive`, async () => {
      sim = await startTestSim();
      const token = await login(sim);
      const conn = hubConnection(sim.marketHubUrl, () => token, {
        skipNegotiation: mode !== 'negotiate',
        queryToken: mode.includes('query'),
      });
      const log = new EventLog(conn, MARKET_EVENTS);
      await conn.start();
      await conn.invoke('SubscribeContractQuotes', MNQ);
      await waitFor(() => log.named('GatewayQuote').length === 1, 5000, 'the subscribe snapshot');
      sim.control.setPrice(MNQ, { bid: 21510, ask: 21510.25, last: 21510.25 });
      const quote = await waitFor(() => log.named('GatewayQuote')[1]);
      expect(quote[0]).toBe(MNQ);
      expect(quote[1]).toMatchObject({
        symbol: 'F.US.MNQ',
        bestBid: 21510,
        bestAsk: 21510.25,
        lastPrice: 21510.25,
      });
      expect(sim.control.connections()).toEqual([
        expect.objectContaining({ hub: 'market', negotiated: mode === 'negotiate', userName: 'demo' }),
      ]);
      await conn.stop();
    });
  }

  it('when a quote, a print and depth are published then market events carry (contractId, data) with the documented fields', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const conn = hubConnection(sim.marketHubUrl, () => token);
    const log = new EventLog(conn, MARKET_EVENTS);
    await conn.start();
    await conn.invoke('SubscribeContractQuotes', MNQ);
    await conn.invoke('SubscribeContractTrades', MNQ);
    await conn.invoke('SubscribeContractMarketDepth', MNQ);
    log.clear();
    sim.control.setPrice(MNQ, { last: 21501, volume: 3 });
    await waitFor(() => log.events.length >= 4);
    expect(log.names()).toEqual(['GatewayQuote', 'GatewayTrade', 'GatewayDepth', 'GatewayDepth']);
    const [quoteArgs, tradeArgs] = [
      log.named('GatewayQuote')[0] as unknown[],
      log.named('GatewayTrade')[0] as unknown[],
    ];
    expect(quoteArgs).toHaveLength(2);
    expect(Object.keys(quoteArgs[1] as object).sort()).toEqual(
      [
        'symbol',
        'symbolName',
        'lastPrice',
        'bestBid',
        'bestAsk',
        'change',
        'changePercent',
        'open',
        'high',
        'low',
        'volume',
        'lastUpdated',
        'timestamp',
      ].sort(),
    );
    expect(quoteArgs[1]).toMatchObject({
      lastPrice: 21501,
      bestBid: 21501,
      bestAsk: 21501.25,
      change: 1,
      volume: 3,
      symbolName: 'MNQZ6',
    });
    expect(tradeArgs).toEqual([
      MNQ,
      { symbolId: 'F.US.MNQ', price: 21501, timestamp: expect.any(String), type: 1, volume: 3 },
    ]);
    const depth = log.named('GatewayDepth').map((a) => a[1] as Record<string, unknown>);
    expect(depth.map((d) => [d['type'], d['price']])).toEqual([
      [4, 21501],
      [3, 21501.25],
    ]);
    await conn.stop();
  });

  it('when user events are sent then each carries one argument, to the subscribed connection only', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const subscribed = hubConnection(sim.userHubUrl, () => token);
    const other = hubConnection(sim.userHubUrl, () => token);
    const log = new EventLog(subscribed, USER_EVENTS);
    const otherLog = new EventLog(other, USER_EVENTS);
    await subscribed.start();
    await other.start();
    await subscribed.invoke('SubscribeAccounts');
    await subscribed.invoke('SubscribeOrders', ACCOUNT);
    await other.invoke('SubscribeOrders', ACCOUNT_2);
    sim.control.placeOrder({
      accountId: ACCOUNT,
      contractId: MNQ,
      type: 1,
      side: 0,
      size: 1,
      limitPrice: 21000,
    });
    sim.control.setCanTrade(ACCOUNT, false);
    await waitFor(() => log.events.length >= 2);
    expect(log.events.map((e) => [e.name, e.args.length])).toEqual([
      ['GatewayUserOrder', 1],
      ['GatewayUserAccount', 1],
    ]);
    expect(log.named('GatewayUserAccount')[0]?.[0]).toEqual({
      id: ACCOUNT,
      name: 'PRAC-V2-100001-50001',
      balance: 50000,
      canTrade: false,
      isVisible: true,
      simulated: true,
    });
    await other.invoke('SubscribeAccounts'); // round trip: anything queued for `other` has arrived
    expect(otherLog.events).toEqual([]);
    await subscribed.stop();
    await other.stop();
  });

  it('when an unknown method or a foreign account is invoked then the invocation fails with a hub error', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const conn = hubConnection(sim.userHubUrl, () => token);
    await conn.start();
    await expect(conn.invoke('Nope')).rejects.toThrow(/Method does not exist/);
    await expect(conn.invoke('SubscribeOrders', 123)).rejects.toThrow(/Account not found/);
    await expect(conn.invoke('SubscribeOrders')).rejects.toThrow(/target expects 1/);
    const market = hubConnection(sim.marketHubUrl, () => token);
    await market.start();
    await expect(market.invoke('SubscribeContractQuotes', 'CON.F.US.XYZ.Z26')).rejects.toThrow(
      /Contract not found/,
    );
    await conn.stop();
    await market.stop();
  });

  it('when the connection drops and the client reconnects then its subscriptions are gone until it resubscribes', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const conn = hubConnection(sim.marketHubUrl, () => token, { reconnect: true });
    const log = new EventLog(conn, MARKET_EVENTS);
    let reconnected = 0;
    conn.onreconnected(() => {
      reconnected++;
    });
    await conn.start();
    await conn.invoke('SubscribeContractQuotes', MNQ);
    await waitFor(() => log.named('GatewayQuote').length === 1);
    expect((await control(sim, 'POST', '/faults/drop-connections', { hub: 'market' })).body).toEqual({
      dropped: 1,
    });
    await waitFor(() => reconnected === 1, 5000, 'the reconnect');
    expect(sim.control.connections()[0]?.subscriptions.quotes).toEqual([]);
    log.clear();
    sim.control.setPrice(MNQ, { last: 21502 });
    await conn.invoke('SubscribeContractTrades', MNQ); // a round trip after the price change
    expect(log.named('GatewayQuote')).toEqual([]);
    await conn.invoke('SubscribeContractQuotes', MNQ);
    sim.control.setPrice(MNQ, { last: 21503 });
    await waitFor(() =>
      log.named('GatewayQuote').some((a) => (a[1] as { lastPrice: number }).lastPrice === 21503),
    );
    await conn.stop();
  });

  it('when a negotiate client reconnects then it negotiates again and gets a new connection id', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const conn = hubConnection(sim.userHubUrl, () => token, { skipNegotiation: false, reconnect: true });
    let reconnectedId: string | undefined;
    conn.onreconnected((id) => {
      reconnectedId = id;
    });
    await conn.start();
    const first = conn.connectionId;
    sim.control.dropConnections({ hub: 'user', mode: 'close' });
    await waitFor(() => reconnectedId, 5000, 'the reconnect');
    expect(reconnectedId).not.toBe(first);
    const negotiations = sim.recorder
      .query({ kind: 'request', path: '/hubs/user' })
      .filter((e) => e.method === 'CONNECT');
    expect(negotiations.map((e) => (e.body as { negotiated: boolean }).negotiated)).toEqual([true, true]);
    await conn.stop();
  });
});

describe('SignalR wire details with a bare WebSocket', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  it('when the handshake is sent then the server answers {} and completes invocations', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const client = await RawHubClient.open(`${sim.userHubUrl}?access_token=${token}`);
    client.handshake();
    await waitFor(() => client.frames.length >= 1);
    expect(client.frames[0]).toBe('{}\u001e');
    const id = client.invoke('SubscribeAccounts');
    expect(await waitFor(() => client.completion(id))).toEqual({ type: 3, invocationId: id });
    client.send({ type: 1, target: 'SubscribeOrders', arguments: [ACCOUNT] }); // `send`: no completion
    const id2 = client.invoke('SubscribePositions', ACCOUNT);
    await waitFor(() => client.completion(id2));
    expect(client.ofType(3)).toHaveLength(2);
    expect(sim.control.connections()[0]?.subscriptions).toMatchObject({
      accounts: true,
      orders: [ACCOUNT],
      positions: [ACCOUNT],
    });
    client.close();
  });

  it('when the handshake names another protocol then the server answers an error and closes', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const client = await RawHubClient.open(`${sim.userHubUrl}?access_token=${token}`);
    client.sendRaw('{"protocol":"messagepack","version":1}\u001e');
    await waitFor(() => client.closed);
    expect(client.messages[0]).toEqual({ error: "The protocol 'messagepack' is not supported." });
  });

  it('when the token is missing or wrong then the upgrade is refused with 401; an unknown negotiate id with 404', async () => {
    sim = await startTestSim();
    await expect(RawHubClient.open(sim.userHubUrl)).rejects.toThrow('HTTP 401');
    await expect(RawHubClient.open(`${sim.userHubUrl}?access_token=bad`)).rejects.toThrow('HTTP 401');
    const token = await login(sim);
    await expect(RawHubClient.open(`${sim.userHubUrl}?access_token=${token}&id=unknown`)).rejects.toThrow(
      'HTTP 404',
    );
    await expect(RawHubClient.open(`${sim.apiUrl}/hubs/other?access_token=${token}`)).rejects.toThrow(
      'HTTP 404',
    );
    const negotiate = await fetch(`${sim.userHubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    expect(negotiate.status).toBe(401);
  });

  it('when negotiating then the document lists WebSockets and the token is single-use', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const res = await post<{
      connectionToken: string;
      connectionId: string;
      negotiateVersion: number;
      availableTransports: unknown[];
    }>({ apiUrl: sim.userHubUrl }, '/negotiate?negotiateVersion=1', undefined, token);
    expect(res.body.negotiateVersion).toBe(1);
    expect(res.body.availableTransports).toEqual([
      { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
    ]);
    const client = await RawHubClient.open(`${sim.userHubUrl}?id=${res.body.connectionToken}`, {
      authorization: `Bearer ${token}`,
    });
    client.close();
    await expect(
      RawHubClient.open(`${sim.userHubUrl}?id=${res.body.connectionToken}&access_token=${token}`),
    ).rejects.toThrow('HTTP 404');
  });

  it('when the ping interval passes then the server sends type 6 pings', async () => {
    sim = await startTestSim({ hub: { pingIntervalMs: 30 } });
    const token = await login(sim);
    const client = await RawHubClient.open(`${sim.marketHubUrl}?access_token=${token}`);
    client.handshake();
    await waitFor(() => client.ofType(6).length >= 2, 5000, 'two pings');
    expect(client.ofType(6)[0]).toEqual({ type: 6 });
    client.close();
  });

  it('when the client stays silent past the client timeout then the server closes with an error', async () => {
    sim = await startTestSim({ hub: { pingIntervalMs: 20, clientTimeoutMs: 100 } });
    const token = await login(sim);
    const client = await RawHubClient.open(`${sim.marketHubUrl}?access_token=${token}`);
    client.handshake();
    await waitFor(() => client.closed, 5000, 'the server to close');
    expect(client.ofType(7)[0]).toMatchObject({
      type: 7,
      allowReconnect: true,
      error: expect.stringContaining('timeout'),
    });
  });

  it('when many events are queued in one turn then they share one WebSocket frame', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const client = await RawHubClient.open(`${sim.marketHubUrl}?access_token=${token}`);
    client.handshake();
    const id = client.invoke('SubscribeContractQuotes', MNQ);
    await waitFor(() => client.invocations('GatewayQuote').length === 1 && client.completion(id));
    const before = client.frames.length;
    for (let i = 0; i < 50; i++) sim.control.setPrice(MNQ, { last: 21500 + (i % 2) * 0.25 });
    await waitFor(() => client.invocations('GatewayQuote').length === 51);
    expect(client.frames.length - before).toBe(1);
    client.close();
  });

  it('when the client sends a close message then the server closes the socket', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const client = await RawHubClient.open(`${sim.marketHubUrl}?access_token=${token}`);
    client.handshake();
    await waitFor(() => client.frames.length >= 1);
    client.send({ type: 7 });
    await waitFor(() => client.closed);
    await waitFor(() => sim.control.connections().length === 0);
  });
});
