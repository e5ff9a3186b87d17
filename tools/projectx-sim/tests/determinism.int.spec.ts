import { describe, expect, it } from 'vitest';
import { ACCOUNT, ES, MNQ, T0, control, login, post, startTestSim } from './helpers.js';

/** Runs a fixed script: walk steps, orders, closes; returns everything observable. */
async function script(seed: number) {
  const sim = await startTestSim({ seed, clock: { start: T0, mode: 'manual' } });
  try {
    const token = await login(sim);
    const quotes: unknown[] = [];
    for (let i = 0; i < 12; i++) {
      const step = await control<{
        quotes: { contractId: string; bestBid: number; bestAsk: number; lastPrice: number }[];
      }>(sim, 'POST', '/walk/step', { steps: 3 });
      quotes.push(step.body.quotes.map((q) => [q.contractId, q.bestBid, q.bestAsk, q.lastPrice]));
      const contractId = i % 2 === 0 ? MNQ : ES;
      await post(
        sim,
        '/api/Order/place',
        { accountId: ACCOUNT, contractId, type: 2, side: i % 3 === 0 ? 1 : 0, size: 1 + (i % 4) },
        token,
      );
      await post(
        sim,
        '/api/Order/place',
        { accountId: ACCOUNT, contractId, type: 1, side: 0, size: 1, limitPrice: 21000 - i },
        token,
      );
      if (i % 5 === 4)
        await post(sim, '/api/Position/closeContract', { accountId: ACCOUNT, contractId: MNQ }, token);
    }
    const trades = await post(
      sim,
      '/api/Trade/search',
      { accountId: ACCOUNT, startTimestamp: '2026-01-01T00:00:00Z' },
      token,
    );
    const orders = await post(
      sim,
      '/api/Order/search',
      { accountId: ACCOUNT, startTimestamp: '2026-01-01T00:00:00Z' },
      token,
    );
    const positions = await post(sim, '/api/Position/searchOpen', { accountId: ACCOUNT }, token);
    const accounts = await post(sim, '/api/Account/search', { onlyActiveAccounts: false }, token);
    const bars = await post(
      sim,
      '/api/History/retrieveBars',
      {
        contractId: MNQ,
        live: false,
        startTime: '2026-11-26T13:00:00Z',
        endTime: '2026-11-26T16:00:00Z',
        unit: 2,
        unitNumber: 15,
        limit: 100,
        includePartialBar: true,
      },
      token,
    );
    return {
      quotes,
      trades: trades.body,
      orders: orders.body,
      positions: positions.body,
      accounts: accounts.body,
      bars: bars.body,
    };
  } finally {
    await sim.close();
  }
}

describe('determinism', () => {
  it('when the same seed runs the same request sequence then prices, fills, ids and balances are identical', async () => {
    const a = await script(42);
    const b = await script(42);
    expect((a.trades as { trades: unknown[] }).trades.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
  });

  it('when the seed differs then the prices differ', async () => {
    const a = await script(42);
    const b = await script(43);
    expect(b.quotes).not.toEqual(a.quotes);
  });
});
