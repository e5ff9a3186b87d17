import {
  MemoryLogger,
  SystemClock,
  type Account,
  type BrokerPosition,
  type ConnectionState,
  type Fill,
  type Order,
  type Quote,
} from '@riskd/core-engine';
import { afterEach, describe, expect, it } from 'vitest';
import { MarketHub, UserHub, type MalformedPayload } from '../src/index.js';
import { RawHub } from './fakes/raw-hub.fake.js';
import { waitFor } from './helpers/harness.js';

const RS = '\x1e';
const T = '2026-01-05T14:30:00.000000+00:00';
const position = {
  id: 1,
  accountId: 7,
  contractId: 'CON.F.US.MNQ.H26',
  creationTimestamp: T,
  type: 1,
  size: 2,
  averagePrice: 21000.25,
};
const trade = {
  id: 900,
  accountId: 7,
  contractId: 'CON.F.US.MNQ.H26',
  creationTimestamp: T,
  price: 21000.25,
  profitAndLoss: null,
  fees: 0.37,
  side: 0,
  size: 2,
  voided: false,
  orderId: 5,
};
const quote = { symbol: 'F.US.MNQ', bestBid: 21000, bestAsk: 21000.25, lastPrice: 21000, timestamp: T };

let hub: RawHub | null = null;
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  await hub?.close();
  hub = null;
  stop = null;
});

interface Received {
  accounts: Account[];
  positions: BrokerPosition[];
  orders: Order[];
  fills: Fill[];
  quotes: Quote[];
  malformed: MalformedPayload[];
  states: ConnectionState[];
}

function received(): Received {
  return { accounts: [], positions: [], orders: [], fills: [], quotes: [], malformed: [], states: [] };
}

const common = (logger: MemoryLogger) => ({
  token: () => 'raw-hub-token',
  clock: new SystemClock(),
  logger,
  reconnectDelaysMs: [100],
  serverTimeoutMs: 30_000,
  keepAliveMs: 15_000,
});

async function startUserHub(
  got: Received,
  logger = new MemoryLogger(),
): Promise<{ user: UserHub; logger: MemoryLogger }> {
  hub = await RawHub.start();
  const user = new UserHub({
    ...common(logger),
    url: hub.url('user'),
    listeners: {
      account: (a) => got.accounts.push(a),
      position: (p) => got.positions.push(p),
      order: (o) => got.orders.push(o),
      fill: (f) => got.fills.push(f),
    },
    positionSide: () => 'short',
    onState: (s) => got.states.push(s),
    onSubscribed: async () => undefined,
    onMalformed: (m) => got.malformed.push(m),
  });
  await user.addAccount(7);
  expect(await user.start()).toBe(true);
  stop = () => user.stop();
  return { user, logger };
}

async function startMarketHub(got: Received, logger = new MemoryLogger()): Promise<MarketHub> {
  hub = await RawHub.start();
  const market = new MarketHub({
    ...common(logger),
    url: hub.url('market'),
    listeners: { quote: (q) => got.quotes.push(q) },
    contractForSymbol: (symbolId) => (symbolId === 'F.US.MNQ' ? 'CON.F.US.MNQ.H26' : undefined),
    onState: (s) => got.states.push(s),
    onSubscribed: async () => undefined,
    onMalformed: (m) => got.malformed.push(m),
  });
  market.subscribe('CON.F.US.MNQ.H26');
  expect(await market.start()).toBe(true);
  stop = () => market.stop();
  return market;
}

describe('user-hub payload variants over a real socket', () => {
  it('when the hub connects then it subscribes accounts, orders, positions and trades with the token in the URL', async () => {
    const got = received();
    await startUserHub(got);
    expect(hub?.tokens).toEqual(['raw-hub-token']);
    expect(hub?.invocations.map((i) => `${i.target}(${i.arguments.join(',')})`).sort()).toEqual([
      'SubscribeAccounts()',
      'SubscribeOrders(7)',
      'SubscribePositions(7)',
      'SubscribeTrades(7)',
    ]);
  });

  it('when bare, wrapped, listed and (id, data) payloads arrive then each is delivered normalized', async () => {
    const got = received();
    await startUserHub(got);
    hub?.invoke('GatewayUserPosition', position);
    hub?.invoke('GatewayUserPosition', { action: 1, data: { ...position, size: 3 } });
    hub?.invoke('GatewayUserPosition', [
      { ...position, size: 4 },
      { action: 0, data: { ...position, size: 5 } },
    ]);
    hub?.invoke('GatewayUserPosition', 7, { ...position, size: 6 });
    hub?.invoke('GatewayUserTrade', { action: 1, data: [trade, { ...trade, id: 901 }] });
    await waitFor(() => got.positions.length === 5 && got.fills.length === 2, 'every payload');
    expect(got.positions.map((p) => p.size)).toEqual([2, 3, 4, 5, 6]);
    expect(got.fills.map((f) => [f.id, f.fees])).toEqual([
      [900, 370_000],
      [901, 370_000],
    ]);
  });

  it('when a close comes with PositionType 0 then the side of the delivered position is kept', async () => {
    const got = received();
    await startUserHub(got);
    hub?.invoke('GatewayUserPosition', { ...position, type: 0, size: 0 });
    await waitFor(() => got.positions.length === 1, 'the close');
    expect(got.positions[0]).toMatchObject({ size: 0, side: 'short' });
  });

  it('when a frame holds invalid JSON between valid records then the valid ones are delivered, the bad one logged raw, and the connection stays up', async () => {
    const got = received();
    const { logger } = await startUserHub(got);
    const good = (size: number): string =>
      JSON.stringify({ type: 1, target: 'GatewayUserPosition', arguments: [{ ...position, size }] }) + RS;
    hub?.sendRaw(`${good(1)}{"type":1,"target":"GatewayUserPosition","argu${RS}${good(2)}`);
    await waitFor(() => got.positions.length === 2, 'the two valid records');
    hub?.invoke('GatewayUserPosition', { ...position, size: 3 });
    await waitFor(() => got.positions.length === 3, 'a record after the bad frame');
    expect(got.positions.map((p) => p.size)).toEqual([1, 2, 3]);
    expect(got.malformed).toHaveLength(1);
    expect(got.malformed[0]?.rawFrame).toBe('{"type":1,"target":"GatewayUserPosition","argu');
    const warn = logger.problems().find((l) => l.msg === 'malformed payload skipped');
    expect(warn?.obj).toMatchObject({ raw: '{"type":1,"target":"GatewayUserPosition","argu' });
    expect(got.states).toEqual(['connecting', 'connected']);
    expect(hub?.connections()).toBe(1);
  });

  it('when a payload has the wrong shape then it is logged with its frame and skipped, and the next one is delivered', async () => {
    const got = received();
    const { logger } = await startUserHub(got);
    hub?.invoke('GatewayUserOrder', { id: 'not-a-number', accountId: 7 });
    hub?.invoke('GatewayUserTrade', 42);
    hub?.invoke('GatewayUserAccount', { id: 7, name: 'PRAC', balance: 'lots', canTrade: true });
    hub?.invoke('GatewayUserPosition', position);
    await waitFor(() => got.positions.length === 1, 'the valid position');
    expect(got.orders).toEqual([]);
    expect(got.accounts).toEqual([]);
    expect(got.malformed.map((m) => m.event)).toEqual([
      'GatewayUserOrder',
      'GatewayUserTrade',
      'GatewayUserAccount',
    ]);
    expect(got.malformed[0]?.reason).toContain('malformed order: status');
    expect(got.malformed[0]?.rawFrame).toContain('"not-a-number"');
    expect(logger.problems().filter((l) => l.msg === 'malformed payload skipped')).toHaveLength(3);
  });
});

describe('market-hub payload variants over a real socket', () => {
  it('when quotes come as (id, data), [[id, data]], wrapped, or symbol-only then each resolves to the contract', async () => {
    const got = received();
    await startMarketHub(got);
    expect(hub?.invocations).toEqual([
      { target: 'SubscribeContractQuotes', arguments: ['CON.F.US.MNQ.H26'] },
    ]);
    hub?.invoke('GatewayQuote', 'CON.F.US.MNQ.H26', quote);
    hub?.invoke('GatewayQuote', ['CON.F.US.MNQ.H26', { ...quote, lastPrice: 21000.5 }]);
    hub?.invoke('GatewayQuote', 'CON.F.US.MNQ.H26', { action: 1, data: { lastPrice: 21000.75 } });
    hub?.invoke('GatewayQuote', { symbol: 'F.US.MNQ', lastPrice: 21001 });
    await waitFor(() => got.quotes.length === 4, 'four quotes');
    expect(got.quotes.map((q) => [q.contractId, q.bid, q.ask, q.last])).toEqual([
      ['CON.F.US.MNQ.H26', 21000, 21000.25, 21000],
      ['CON.F.US.MNQ.H26', 21000, 21000.25, 21000.5],
      ['CON.F.US.MNQ.H26', 21000, 21000.25, 21000.75],
      ['CON.F.US.MNQ.H26', 21000, 21000.25, 21001],
    ]);
  });

  it('when a quote cannot be attributed or is not an object then it is skipped and the next one is delivered', async () => {
    const got = received();
    await startMarketHub(got);
    hub?.invoke('GatewayQuote', { symbol: 'F.US.UNKNOWN', lastPrice: 1 });
    hub?.invoke('GatewayQuote', 'CON.F.US.MNQ.H26', 'garbage');
    hub?.sendRaw(`not json at all${RS}`);
    hub?.invoke('GatewayQuote', 'CON.F.US.MNQ.H26', quote);
    await waitFor(() => got.quotes.length === 1, 'the valid quote');
    expect(got.malformed.map((m) => m.event)).toEqual(['GatewayQuote', 'GatewayQuote', '(frame)']);
    expect(got.states).toEqual(['connecting', 'connected']);
  });

  it('when a contract is unsubscribed then the hub is told and its staleness no longer counts', async () => {
    const got = received();
    const market = await startMarketHub(got);
    market.unsubscribe('CON.F.US.MNQ.H26');
    await waitFor(
      () => hub?.invocations.some((i) => i.target === 'UnsubscribeContractQuotes'),
      'the unsubscribe',
    );
    expect(market.staleContracts(Date.now() + 60_000)).toEqual([]);
  });
});
