import { OrderStatus } from '@riskd/core-engine';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNT, ACCOUNT_2, startHarness, waitFor, type Harness } from './helpers/harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function hubConnections(harness: Harness, hub: 'user' | 'market') {
  return harness.sim.control.connections().filter((c) => c.hub === hub);
}

describe('rate-limit priority', () => {
  it('when 150 snapshot calls are queued then a close leaves within 50 ms', async () => {
    // The moment a request leaves the adapter is when it is handed to fetch (after the limiter).
    const left: { path: string; at: bigint }[] = [];
    const fetchImpl: typeof fetch = (input, init) => {
      left.push({ path: String(input), at: process.hrtime.bigint() });
      return fetch(input, init);
    };
    // Our budget is raised so the 150 reads fit one window; the queue comes from the snapshot
    // concurrency (4 in flight, held 400 ms each by a delay fault).
    h = await startHarness({ sim: { rateLimit: false }, gateway: { rateLimit: { limit: 1000 }, fetchImpl } });
    const { MNQ } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 1 });
    h.sim.control.addRestFault({ path: 'Order/searchOpen', kind: 'delay', delayMs: 400, count: null });
    const reads = Array.from({ length: 154 }, () => (h as Harness).gateway.openOrders(ACCOUNT));
    const settled = Promise.allSettled(reads);
    await waitFor(() => h?.gateway.limiterState().queuedSnapshot === 150, '150 queued snapshot calls');
    const calledAt = process.hrtime.bigint();
    const closing = h.gateway.closePosition(ACCOUNT, MNQ, { priority: 'enforcement' });
    const sent = await waitFor(
      () => left.find((l) => l.path.endsWith('/api/Position/closeContract')),
      'the close to leave',
    );
    expect(Number(sent.at - calledAt) / 1e6).toBeLessThan(50);
    expect(h.gateway.limiterState().queuedSnapshot).toBeGreaterThanOrEqual(140);
    expect(await closing).toEqual({ status: 'ok' });
    // It overtook the queue: it reached the simulator while most reads were still waiting.
    expect(h.sim.recorder.query({ kind: 'request', path: '/api/Order/searchOpen' }).length).toBeLessThan(20);
    h.sim.control.clearFaults();
    expect((await settled).every((r) => r.status === 'fulfilled')).toBe(true);
  });
});

describe('reconciliation priority', () => {
  it('when the engine asks for a reconciliation then it runs ahead of queued snapshot calls', async () => {
    h = await startHarness({ sim: { rateLimit: false }, gateway: { rateLimit: { limit: 1000 } } });
    h.sim.control.addRestFault({ path: 'Contract/searchById', kind: 'delay', delayMs: 400, count: null });
    const lookups = Array.from({ length: 154 }, (_, i) =>
      (h as Harness).gateway.contract(`CON.F.US.NONE.Z${i}`),
    );
    const settled = Promise.allSettled(lookups);
    await waitFor(() => h?.gateway.limiterState().queuedSnapshot === 150, '150 queued snapshot calls');
    const report = await h.gateway.reconcile(ACCOUNT);
    expect(report.accountId).toBe(ACCOUNT);
    expect(h.gateway.limiterState().queuedSnapshot).toBeGreaterThanOrEqual(140);
    h.sim.control.clearFaults();
    await settled;
  });
});

describe('session renewal', () => {
  it('when the token nears expiry then it is renewed through Auth/validate, both hubs restart with it and resubscribe', async () => {
    h = await startHarness({ sim: { tokenLifetimeMs: 5000 }, gateway: { tokenRenewBeforeMs: 3500 } });
    const firstToken = h.sim.control.sessions()[0]?.token;
    const userBefore = hubConnections(h, 'user')[0]?.id;
    const marketBefore = hubConnections(h, 'market')[0]?.id;
    await waitFor(
      () => h?.sim.recorder.query({ kind: 'request', path: '/api/Auth/validate' }).length,
      'Auth/validate',
      5000,
    );
    await waitFor(() => {
      const user = hubConnections(h as Harness, 'user');
      return (
        user.length === 1 && user[0]?.id !== userBefore && user[0]?.subscriptions.positions.includes(ACCOUNT)
      );
    }, 'a new, resubscribed user-hub connection');
    await waitFor(() => {
      const market = hubConnections(h as Harness, 'market');
      return market.length === 1 && market[0]?.id !== marketBefore;
    }, 'a new market-hub connection');
    const validate = h.sim.recorder.query({ kind: 'request', path: '/api/Auth/validate' })[0];
    expect(validate?.authorization).toBe(`Bearer ${firstToken}`);
    expect(h.sim.recorder.query({ kind: 'request', path: '/api/Auth/loginKey' })).toHaveLength(1);
    // The stream still works on the new connection, and REST uses the new token.
    const mark = h.mark();
    h.trade({ contractId: h.contracts.MES, side: 0, size: 1 });
    await waitFor(() => h?.since(mark, 'position').length, 'a position event after the restart');
    await h.gateway.openPositions(ACCOUNT);
    const last = h.sim.recorder.query({ kind: 'request', path: '/api/Position/searchOpen' }).at(-1);
    expect(last?.authorization).not.toBe(`Bearer ${firstToken}`);
    expect(JSON.stringify(h.logger.lines)).not.toContain(firstToken);
    expect(JSON.stringify(h.logger.lines)).not.toContain('demo-api-key');
  });

  it('when a read gets a 401 then the session is renewed, the read succeeds and the hubs restart', async () => {
    h = await startHarness();
    const userBefore = hubConnections(h, 'user')[0]?.id;
    const before = h.sim.recorder.settings().lastSeq;
    h.sim.control.expireTokens();
    expect(await h.gateway.openOrders(ACCOUNT)).toEqual([]);
    const searches = h.sim.recorder.query({
      kind: 'response',
      path: '/api/Order/searchOpen',
      sinceSeq: before,
    });
    expect(searches.map((r) => r.status)).toEqual([401, 200]);
    await waitFor(() => {
      const user = hubConnections(h as Harness, 'user');
      return (
        user.length === 1 && user[0]?.id !== userBefore && user[0]?.subscriptions.orders.includes(ACCOUNT)
      );
    }, 'the user hub restarted with the new token');
  });
});

describe('session lost while disconnected', () => {
  it('when every token is revoked while the user hub is down then the session is renewed, the hub comes back and what was missed is reconciled', async () => {
    h = await startHarness({ gateway: { reconnectDelaysMs: [50, 100] } });
    const { MES } = h.contracts;
    const mark = h.mark();
    h.sim.control.expireTokens();
    h.sim.control.dropConnections({ hub: 'user' });
    h.trade({ contractId: MES, side: 0, size: 1 });
    await waitFor(
      () => h?.since(mark, 'position').some((e) => e.origin === 'reconcile' && e.position.size === 1),
      'the missed position, reconciled',
      10_000,
    );
    expect(h.sim.recorder.query({ kind: 'request', path: '/api/Auth/loginKey' })).toHaveLength(2);
    await waitFor(() => h?.gateway.connectionState() === 'connected', 'connected again');
  });
});

describe('reconciliation failures', () => {
  it('when the reconciliation after a reconnect keeps failing then one alert is raised and it is retried until it succeeds', async () => {
    h = await startHarness({ gateway: { reconcileRetryMs: 100, retryBaseDelayMs: 10 } });
    const { ES } = h.contracts;
    // Each reconciliation reads with 1 + 3 retries, and both accounts reconcile at once: 16
    // failures make each account's first two attempts fail.
    h.sim.control.addRestFault({ path: 'Position/searchOpen', kind: 'status', status: 500, count: 16 });
    const mark = h.mark();
    h.sim.control.dropConnections({ hub: 'user' });
    h.trade({ contractId: ES, side: 1, size: 1 });
    await waitFor(
      () => h?.since(mark, 'position').some((e) => e.origin === 'reconcile' && e.position.side === 'short'),
      'the reconciled position',
      10_000,
    );
    expect(
      h.logger.lines.filter((l) => l.msg === 'reconciliation failed; retrying').length,
    ).toBeGreaterThanOrEqual(3);
    // Both accounts' reconciliations met the failures: one alert each, however many retries.
    const failed = h.alerts.filter((a) => a.kind === 'reconcile-failed').map((a) => a.accountId);
    expect(failed.sort()).toEqual([ACCOUNT, ACCOUNT_2]);
  });
});

describe('HTTP failures', () => {
  it('when a read gets a 500 then it is retried and succeeds', async () => {
    h = await startHarness();
    h.sim.control.addRestFault({ path: 'Position/searchOpen', kind: 'status', status: 500 });
    expect(await h.gateway.openPositions(ACCOUNT)).toEqual([]);
    expect(
      h.sim.recorder
        .query({ kind: 'response', path: '/api/Position/searchOpen' })
        .slice(-2)
        .map((r) => r.status),
    ).toEqual([500, 200]);
  });

  it('when a read gets a 429 then snapshots back off for Retry-After and the read succeeds', async () => {
    h = await startHarness();
    h.sim.control.addRestFault({ path: 'Trade/search', kind: 'status', status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    expect(await h.gateway.fillsSince(ACCOUNT, Date.now() - 60_000)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    const responses = h.sim.recorder.query({ kind: 'response', path: '/api/Trade/search' }).slice(-2);
    expect(responses.map((r) => r.status)).toEqual([429, 200]);
  });

  it.each([
    ['a 500', { kind: 'status', status: 500 }],
    ['a 429', { kind: 'status', status: 429 }],
    ['a hang past the action timeout', { kind: 'hang', holdMs: 2000 }],
  ] as const)('when a close gets %s then it is uncertain and sent exactly once', async (_name, fault) => {
    h = await startHarness({ gateway: { actionTimeoutMs: 300 } });
    const { MNQ } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 1 });
    h.sim.control.addRestFault({ path: 'Position/closeContract', ...fault });
    const result = await h.gateway.closePosition(ACCOUNT, MNQ, { priority: 'enforcement' });
    expect(result.status).toBe('uncertain');
    expect(h.sim.recorder.query({ kind: 'request', path: '/api/Position/closeContract' })).toHaveLength(1);
  });
});

describe('stale feed', () => {
  it('when a subscribed contract gets no quote while the market is open then the market hub reconnects, an alert is raised and quotes come back', async () => {
    h = await startHarness({
      sim: { walk: { enabled: true, intervalMs: 50 } },
      gateway: { staleQuoteMs: 500, staleCheckIntervalMs: 50 },
    });
    const { MNQ } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 1 });
    await waitFor(
      () => h?.events.some((e) => e.kind === 'quote' && e.quote.contractId === MNQ),
      'MNQ quotes',
    );
    const marketBefore = hubConnections(h, 'market')[0]?.id;
    h.sim.control.freezeQuotes(MNQ, true);
    const alert = await waitFor(
      () => h?.alerts.find((a) => a.kind === 'stale-feed'),
      'the stale-feed alert',
      5000,
    );
    expect(alert.contractIds).toEqual([MNQ]);
    expect(alert.severity).toBe('warning');
    await waitFor(
      () =>
        h?.events.find(
          (e) =>
            e.kind === 'connection' &&
            e.channel === 'market-hub' &&
            e.state === 'reconnecting' &&
            /stale feed/.test(e.detail ?? ''),
        ),
      'the market-hub reconnecting event',
    );
    await waitFor(() => {
      const market = hubConnections(h as Harness, 'market');
      return (
        market.length === 1 && market[0]?.id !== marketBefore && market[0]?.subscriptions.quotes.includes(MNQ)
      );
    }, 'a new, resubscribed market-hub connection');
    h.sim.control.freezeQuotes(MNQ, false);
    const mark = h.mark();
    await waitFor(() => h?.since(mark, 'quote').some((e) => e.quote.contractId === MNQ), 'quotes again');
    expect(h.gateway.channelState('market-hub')).toBe('connected');
  });
});

describe('stale feed while the market is closed', () => {
  it('when the calendar says closed then a silent contract forces no reconnect, and once open it does', async () => {
    let open = false;
    h = await startHarness({
      gateway: { staleQuoteMs: 200, staleCheckIntervalMs: 60_000, isMarketOpen: () => open },
    });
    const { MNQ } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 1 });
    h.sim.control.freezeQuotes(MNQ, true);
    await waitFor(() => h?.gateway.staleQuoteContracts().includes(MNQ), 'MNQ to go stale');
    h.gateway.checkStaleFeed();
    expect(h.alerts).toEqual([]);
    expect(h.gateway.channelState('market-hub')).toBe('connected');
    open = true;
    h.gateway.checkStaleFeed();
    expect(h.alerts.map((a) => a.kind)).toEqual(['stale-feed']);
    expect(h.gateway.channelState('market-hub')).toBe('reconnecting');
    await waitFor(() => h?.gateway.channelState('market-hub') === 'connected', 'the market hub back');
  });
});

describe('payload variants from the simulator', () => {
  it('when user events come wrapped as {action, data} then they are unwrapped and delivered', async () => {
    h = await startHarness({ sim: { variants: { wrappedUserEvents: true, initialOrderStatus: 6 } } });
    const mark = h.mark();
    const id = h.trade({ contractId: h.contracts.ES, side: 1, size: 2 });
    await waitFor(
      () => h?.since(mark, 'position').some((e) => e.position.side === 'short' && e.position.size === 2),
      'short 2',
    );
    expect(h.since(mark, 'fill').map((e) => e.fill.size)).toEqual([2]);
    expect(
      h
        .since(mark, 'order')
        .filter((e) => e.order.id === id)
        .map((e) => e.order.status),
    ).toEqual([OrderStatus.Pending, OrderStatus.Filled]);
    const sent = h.sim.recorder.query({ kind: 'event', target: 'GatewayUserTrade' })[0];
    expect(sent?.body).toEqual([expect.objectContaining({ action: 1, data: expect.any(Object) })]);
  });

  it('when fills are split and a flip is one trade then every fill is delivered once', async () => {
    h = await startHarness({ sim: { variants: { splitFills: 1, flipFill: 'single' } } });
    const { MES } = h.contracts;
    const mark = h.mark();
    h.trade({ contractId: MES, side: 0, size: 3 });
    await waitFor(() => h?.since(mark, 'fill').length === 3, 'three fills of one');
    h.trade({ contractId: MES, side: 1, size: 4 });
    await waitFor(
      () => h?.since(mark, 'position').some((e) => e.position.side === 'short' && e.position.size === 1),
      'short 1',
    );
    expect(h.since(mark, 'fill').every((e) => e.fill.size === 1)).toBe(true);
  });
});

describe('clock skew', () => {
  it('when broker timestamps are 10 s ahead of the local clock then a clock-skew alert is raised once', async () => {
    h = await startHarness({ sim: { clock: { start: Date.now() + 10_000 } } });
    h.trade({ contractId: h.contracts.MES, side: 0, size: 1 });
    h.trade({ contractId: h.contracts.MES, side: 0, size: 1 });
    const alert = await waitFor(() => h?.alerts.find((a) => a.kind === 'clock-skew'), 'the clock-skew alert');
    expect(alert.skewMs).toBeGreaterThan(9000);
    expect(alert.skewMs).toBeLessThan(11_000);
    await waitFor(() => h?.events.filter((e) => e.kind === 'fill').length === 2, 'both fills');
    expect(h.alerts.filter((a) => a.kind === 'clock-skew')).toHaveLength(1);
  });

  it('when the clocks agree then no clock-skew alert is raised', async () => {
    h = await startHarness();
    h.trade({ contractId: h.contracts.MES, side: 0, size: 1 });
    await waitFor(() => h?.events.some((e) => e.kind === 'fill'), 'the fill');
    expect(h.alerts).toEqual([]);
  });
});
