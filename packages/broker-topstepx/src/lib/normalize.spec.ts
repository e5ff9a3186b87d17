import { OrderStatus, OrderType } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { TopstepXMalformedPayloadError } from './errors.js';
import {
  normalizeAccount,
  normalizeContract,
  normalizeFill,
  normalizeOrder,
  normalizePosition,
  normalizeQuote,
  parseBrokerTime,
  symbolIdFromContractId,
  unwrapMarketPayload,
  unwrapUserPayloads,
} from './normalize.js';

const T0 = '2026-01-05T14:30:00.123456+00:00';
const T0_MS = Date.UTC(2026, 0, 5, 14, 30, 0, 123);

const wireOrder = {
  id: 1818943311,
  accountId: 7,
  contractId: 'CON.F.US.MNQ.H26',
  symbolId: 'F.US.MNQ',
  creationTimestamp: T0,
  updateTimestamp: '2026-01-05T14:30:01Z',
  status: 1,
  type: 4,
  side: 1,
  size: 2,
  limitPrice: null,
  stopPrice: 21000.25,
  fillVolume: 0,
  filledPrice: null,
  customTag: null,
};

const wireTrade = {
  id: 9001,
  accountId: 7,
  contractId: 'CON.F.US.EP.H26',
  creationTimestamp: T0,
  price: 6065.25,
  profitAndLoss: 50,
  fees: 1.4,
  side: 1,
  size: 1,
  voided: false,
  orderId: 77,
};

describe('timestamps', () => {
  it('when a timestamp has +00:00 and 6 fractional digits then it parses to the millisecond', () => {
    expect(parseBrokerTime(T0)).toBe(T0_MS);
  });
  it('when a timestamp has no zone then it is read as UTC, not local time', () => {
    expect(parseBrokerTime('2026-01-05T14:30:00')).toBe(Date.UTC(2026, 0, 5, 14, 30));
  });
  it('when a timestamp is garbage then it is null', () => {
    expect(parseBrokerTime('yesterday')).toBeNull();
  });
});

describe('enums', () => {
  it.each([
    [1, OrderType.Limit],
    [2, OrderType.Market],
    [3, OrderType.StopLimit],
    [4, OrderType.Stop],
    [5, OrderType.TrailingStop],
    [6, OrderType.JoinBid],
    [7, OrderType.JoinAsk],
  ])('when the order type is %i then it maps to %s', (wire, expected) => {
    expect(normalizeOrder({ ...wireOrder, type: wire }).type).toBe(expected);
  });

  it('when the side is 0 then the order is a buy and 1 a sell', () => {
    expect(normalizeOrder({ ...wireOrder, side: 0 }).side).toBe('buy');
    expect(normalizeOrder({ ...wireOrder, side: 1 }).side).toBe('sell');
  });

  it('when the side is 2 then the order is malformed', () => {
    expect(() => normalizeOrder({ ...wireOrder, side: 2 })).toThrow(TopstepXMalformedPayloadError);
  });

  it('when the position type is 1 then it is long and 2 short', () => {
    const base = {
      id: 1,
      accountId: 7,
      contractId: 'C',
      creationTimestamp: T0,
      size: 2,
      averagePrice: 100.25,
    };
    expect(normalizePosition({ ...base, type: 1 }).side).toBe('long');
    expect(normalizePosition({ ...base, type: 2 }).side).toBe('short');
  });

  it('when the order status is 8 (Suspended) then it is kept as Suspended, 9 is malformed', () => {
    expect(normalizeOrder({ ...wireOrder, status: 8 }).status).toBe(OrderStatus.Suspended);
    expect(() => normalizeOrder({ ...wireOrder, status: 9 })).toThrow(/status/);
  });
});

describe('normalizeOrder', () => {
  it('when a stop order arrives then every field is normalized', () => {
    expect(normalizeOrder(wireOrder)).toEqual({
      id: 1818943311,
      accountId: 7,
      contractId: 'CON.F.US.MNQ.H26',
      type: OrderType.Stop,
      side: 'sell',
      size: 2,
      status: OrderStatus.Open,
      limitPrice: null,
      stopPrice: 21000.25,
      fillVolume: 0,
      filledPrice: null,
      customTag: null,
      createdAt: T0_MS,
      updatedAt: Date.UTC(2026, 0, 5, 14, 30, 1),
    });
  });

  it('when the id is a string then the order is malformed and names the field', () => {
    expect(() => normalizeOrder({ ...wireOrder, id: '1' })).toThrow(/malformed order: id/);
  });
});

describe('normalizePosition', () => {
  const base = {
    id: 3,
    accountId: 7,
    contractId: 'CON.F.US.MNQ.H26',
    creationTimestamp: T0,
    type: 1,
    size: 2,
    averagePrice: 21010.5,
  };

  it('when the size is 0 then it is a close', () => {
    const closed = normalizePosition({ ...base, size: 0 });
    expect(closed.size).toBe(0);
    expect(closed.side).toBe('long');
  });

  it('when a close comes with type 0 then its side is the side of the position that closed', () => {
    expect(normalizePosition({ ...base, type: 0, size: 0 }, 'short').side).toBe('short');
  });

  it('when type 0 comes with a size then it is malformed', () => {
    expect(() => normalizePosition({ ...base, type: 0 })).toThrow(/type/);
  });

  it('when the size is negative then it is malformed', () => {
    expect(() => normalizePosition({ ...base, size: -1 })).toThrow(/size/);
  });
});

describe('normalizeFill', () => {
  it('when a closing fill arrives then P&L and fees are exact micro-dollars', () => {
    const fill = normalizeFill(wireTrade);
    expect(fill.profitAndLoss).toBe(50_000_000);
    expect(fill.fees).toBe(1_400_000);
    expect(fill.side).toBe('sell');
    expect(fill.time).toBe(T0_MS);
  });

  it('when P&L is null then it is an opening fill', () => {
    expect(normalizeFill({ ...wireTrade, profitAndLoss: null }).profitAndLoss).toBeNull();
  });

  it('when a fee has binary-unfriendly decimals then it is still exact', () => {
    expect(normalizeFill({ ...wireTrade, fees: 0.37 }).fees).toBe(370_000);
  });

  it('when voided is true then the fill says so', () => {
    expect(normalizeFill({ ...wireTrade, voided: true }).voided).toBe(true);
  });
});

describe('normalizeAccount and normalizeContract', () => {
  it('when an account omits simulated and isVisible then it is visible and not simulated', () => {
    const account = normalizeAccount({ id: 1, name: 'PRAC-1', balance: 50000.5, canTrade: true });
    expect(account).toEqual({
      id: 1,
      name: 'PRAC-1',
      balance: 50_000_500_000,
      canTrade: true,
      isVisible: true,
      simulated: false,
    });
  });

  it('when canTrade is missing then the account is malformed', () => {
    expect(() => normalizeAccount({ id: 1, name: 'A', balance: 1 })).toThrow(/canTrade/);
  });

  it('when a contract arrives then the symbol comes from its name and tick value is in micros', () => {
    const contract = normalizeContract({
      id: 'CON.F.US.ENQ.H26',
      name: 'NQH6',
      description: 'E-mini Nasdaq',
      tickSize: 0.25,
      tickValue: 5,
      activeContract: true,
      symbolId: 'F.US.ENQ',
    });
    expect(contract.symbol).toBe('NQ');
    expect(contract.tickValue).toBe(5_000_000);
    expect(contract.symbolId).toBe('F.US.ENQ');
  });

  it('when a contract has tickSize 0 then it is malformed', () => {
    expect(() => normalizeContract({ id: 'C', name: 'MNQH6', tickSize: 0, tickValue: 0.5 })).toThrow(
      /tickSize/,
    );
  });

  it('when symbolId is missing then it is derived from the contract id', () => {
    expect(symbolIdFromContractId('CON.F.US.MNQ.H26')).toBe('F.US.MNQ');
  });
});

describe('normalizeQuote', () => {
  it('when a quote is partial then missing sides keep their previous values', () => {
    const first = normalizeQuote(
      'C',
      { bestBid: 100, bestAsk: 100.25, lastPrice: 100, timestamp: T0 },
      undefined,
      0,
    );
    const second = normalizeQuote('C', { lastPrice: 100.5 }, first, 5);
    expect(second).toEqual({ contractId: 'C', bid: 100, ask: 100.25, last: 100.5, time: 5 });
  });

  it('when a quote has no timestamp then lastUpdated is used', () => {
    expect(normalizeQuote('C', { lastUpdated: T0 }, undefined, 0).time).toBe(T0_MS);
  });

  it('when bestBid is a string then the quote is malformed', () => {
    expect(() => normalizeQuote('C', { bestBid: '100' }, undefined, 0)).toThrow(/bestBid/);
  });
});

describe('user-hub payload variants', () => {
  it('when the payload is a bare object then it is delivered as is', () => {
    expect(unwrapUserPayloads([wireTrade], 'GatewayUserTrade')).toEqual([wireTrade]);
  });

  it('when the payload is wrapped as {action, data} then data is delivered', () => {
    expect(unwrapUserPayloads([{ action: 1, data: wireTrade }], 'GatewayUserTrade')).toEqual([wireTrade]);
  });

  it('when the wrapper holds a list then every item is delivered', () => {
    const second = { ...wireTrade, id: 9002 };
    expect(unwrapUserPayloads([{ action: 0, data: [wireTrade, second] }], 'T')).toEqual([wireTrade, second]);
  });

  it('when the payload is a list of wrappers then every item is delivered', () => {
    expect(unwrapUserPayloads([[{ action: 1, data: wireTrade }, wireTrade]], 'T')).toEqual([
      wireTrade,
      wireTrade,
    ]);
  });

  it('when the payload comes as (accountId, data) then data is delivered', () => {
    expect(unwrapUserPayloads([7, wireTrade], 'T')).toEqual([wireTrade]);
  });

  it('when the payload is a number then it is malformed', () => {
    expect(() => unwrapUserPayloads([42], 'T')).toThrow(TopstepXMalformedPayloadError);
  });

  it('when there are no arguments then it is malformed', () => {
    expect(() => unwrapUserPayloads([], 'T')).toThrow(TopstepXMalformedPayloadError);
  });
});

describe('market-hub payload variants', () => {
  const quote = { symbol: 'F.US.MNQ', bestBid: 1, bestAsk: 2, lastPrice: 1.5 };
  const none = (): undefined => undefined;

  it('when the documented (contractId, data) form arrives then it resolves', () => {
    expect(unwrapMarketPayload(['CON.F.US.MNQ.H26', quote], 'Q', none)).toEqual({
      contractId: 'CON.F.US.MNQ.H26',
      data: quote,
    });
  });

  it('when data is wrapped then it is unwrapped', () => {
    expect(unwrapMarketPayload(['C', { action: 1, data: quote }], 'Q', none).data).toEqual(quote);
  });

  it('when the whole invocation is one [contractId, data] argument then it resolves', () => {
    expect(unwrapMarketPayload([['C', quote]], 'Q', none).contractId).toBe('C');
  });

  it('when a single object names only its symbol then the subscribed contract of that symbol is used', () => {
    const lookup = (s: string): string | undefined => (s === 'F.US.MNQ' ? 'CON.F.US.MNQ.H26' : undefined);
    expect(unwrapMarketPayload([quote], 'Q', lookup).contractId).toBe('CON.F.US.MNQ.H26');
  });

  it('when the contract cannot be found then it is malformed', () => {
    expect(() => unwrapMarketPayload([quote], 'Q', none)).toThrow(/contractId/);
  });

  it('when data is not an object then it is malformed', () => {
    expect(() => unwrapMarketPayload(['C', 'x'], 'Q', none)).toThrow(TopstepXMalformedPayloadError);
  });
});
