import { OrderStatus, type BrokerEvent } from '@riskd/core-engine';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNT, ACCOUNT_2, startHarness, waitFor, type Harness } from './helpers/harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function summary(e: BrokerEvent): string {
  switch (e.kind) {
    case 'position':
      return `position ${e.position.contractId} ${e.position.side} ${e.position.size}`;
    case 'order':
      return `order ${e.order.id} ${OrderStatus[e.order.status]}`;
    case 'fill':
      return `fill ${e.fill.side} ${e.fill.size}`;
    case 'account':
      return `account ${e.accountId} canTrade=${e.account.canTrade}`;
    case 'contract':
      return `contract ${e.contract.symbol}`;
    case 'connection':
      return `connection ${e.channel} ${e.state}`;
    case 'quote':
      return `quote ${e.quote.contractId}`;
  }
}

describe('start-up', () => {
  it('when the gateway connects then every active account is protected and its positions, orders, week fills and contracts are emitted as a snapshot', async () => {
    h = await startHarness({ connect: false });
    const { MNQ, ES } = h.contracts;
    // A finished round trip earlier in the week, an open long MNQ 2 with a protective stop, and an ES short on the 2nd account.
    h.trade({ contractId: ES, side: 0, size: 1 });
    h.trade({ contractId: ES, side: 1, size: 1 });
    h.trade({ contractId: MNQ, side: 0, size: 2 });
    const stop = h.trade({ contractId: MNQ, type: 4, side: 1, size: 2, stopPrice: 21000 });
    h.trade({ accountId: ACCOUNT_2, contractId: ES, side: 1, size: 1 });

    await h.gateway.connect();

    expect(h.gateway.connectionState()).toBe('connected');
    expect(
      h.gateway
        .protectedAccounts()
        .map((a) => a.id)
        .sort(),
    ).toEqual([ACCOUNT, ACCOUNT_2]);
    const snapshot = h.events.filter((e) => e.origin === 'snapshot');
    const first = snapshot
      .filter((e) => ('accountId' in e && e.accountId === ACCOUNT) || e.kind === 'contract')
      .map(summary);
    // Contracts come before anything that needs their tick size and value.
    expect(first.slice(0, 2).sort()).toEqual(['contract ES', 'contract MNQ']);
    expect(first.filter((s) => !s.startsWith('contract'))).toEqual([
      `account ${ACCOUNT} canTrade=true`,
      'fill buy 1',
      'fill sell 1',
      'fill buy 2',
      `order ${stop} Open`,
      `position ${MNQ} long 2`,
    ]);
    const fills = snapshot.flatMap((e) => (e.kind === 'fill' && e.accountId === ACCOUNT ? [e.fill] : []));
    expect(fills[1]?.profitAndLoss).not.toBeNull(); // the ES close carries realized P&L
    expect(fills[0]?.profitAndLoss).toBeNull();
    expect(
      snapshot.some((e) => e.kind === 'position' && e.accountId === ACCOUNT_2 && e.position.side === 'short'),
    ).toBe(true);
    // Quotes are subscribed for every contract with exposure (MNQ: position + stop; ES: account 2's short).
    expect([...h.gateway.quoteSubscriptions()].sort()).toEqual([ES, MNQ].sort());
    await waitFor(
      () => h?.events.some((e) => e.kind === 'quote' && e.quote.contractId === MNQ),
      'a first MNQ quote',
    );
    // The simulator saw subscriptions for both accounts on one user-hub connection.
    const userConn = h.sim.control.connections().find((c) => c.hub === 'user');
    expect(userConn?.subscriptions.accounts).toBe(true);
    expect([...(userConn?.subscriptions.positions ?? [])].sort()).toEqual([ACCOUNT, ACCOUNT_2]);
    expect(h.unexpectedProblems()).toEqual([]);
  });

  it('when the API key is wrong then connect rejects with an auth error that does not contain the key', async () => {
    h = await startHarness({ connect: false, gateway: { apiKey: 'wrong-key-do-not-print' } });
    const err = await h.gateway.connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOPSTEPX_AUTH_FAILED' });
    expect(String((err as Error).message)).not.toContain('wrong-key-do-not-print');
    expect(JSON.stringify(h.logger.lines)).not.toContain('wrong-key-do-not-print');
    expect(h.gateway.connectionState()).toBe('disconnected');
  });

  it('when an account appears while running then it is protected from its first GatewayUserAccount', async () => {
    h = await startHarness();
    h.sim.control.addAccount({
      id: 70003,
      name: 'PRAC-V2-100001-3',
      balance: 50_000,
      canTrade: true,
      isVisible: true,
      simulated: true,
    });
    h.trade({ accountId: 70003, contractId: h.contracts.MES, side: 0, size: 1 });
    h.sim.control.updateAccount(70003, { balance: 49_990 }); // emits GatewayUserAccount for an unknown id
    await waitFor(
      () => h?.events.some((e) => e.kind === 'position' && e.accountId === 70003 && e.origin === 'snapshot'),
      'the new account snapshot',
    );
    expect(h.gateway.protectedAccounts().some((a) => a.id === 70003)).toBe(true);
    await waitFor(
      () =>
        h?.sim.control
          .connections()
          .find((c) => c.hub === 'user')
          ?.subscriptions.trades.includes(70003),
      'user-hub subscription of the new account',
    );
  });

  it('when an account appears silently then the periodic Account/search picks it up', async () => {
    h = await startHarness({ gateway: { accountPollMs: 100 } });
    h.sim.control.addAccount({
      id: 70004,
      name: 'PRAC-V2-100001-4',
      balance: 50_000,
      canTrade: true,
      isVisible: true,
      simulated: true,
    });
    await waitFor(
      () => h?.events.some((e) => e.kind === 'account' && e.accountId === 70004),
      'the new account',
    );
    expect(h.gateway.protectedAccounts().map((a) => a.id)).toContain(70004);
  });
});

describe('actions', () => {
  it('when a position is closed then the answer is ok and the stream reports it flat, and quotes are unsubscribed', async () => {
    h = await startHarness();
    const { MNQ } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 2 });
    await waitFor(() => h?.gateway.quoteSubscriptions().includes(MNQ), 'MNQ quote subscription');
    const mark = h.mark();
    expect(
      await h.gateway.closePosition(ACCOUNT, MNQ, { priority: 'enforcement', idempotencyKey: 'close-1' }),
    ).toEqual({ status: 'ok' });
    await waitFor(() => h?.since(mark, 'position').some((e) => e.position.size === 0), 'the close');
    await waitFor(() => !h?.gateway.quoteSubscriptions().includes(MNQ), 'MNQ unsubscribed');
    const requests = h.sim.recorder.query({ kind: 'request', path: '/api/Position/closeContract' });
    expect(requests.map((r) => r.body)).toEqual([{ accountId: ACCOUNT, contractId: MNQ }]);
  });

  it('when closeContract answers PositionNotFound then the close is ok', async () => {
    h = await startHarness();
    expect(await h.gateway.closePosition(ACCOUNT, h.contracts.NQ, { priority: 'enforcement' })).toEqual({
      status: 'ok',
    });
  });

  it('when a position is reduced then the partial close is ok and the position shrinks', async () => {
    h = await startHarness();
    const { NQ } = h.contracts;
    h.trade({ contractId: NQ, side: 1, size: 3 });
    await waitFor(() => h?.events.some((e) => e.kind === 'position' && e.position.size === 3), 'short 3');
    expect(await h.gateway.partialClosePosition(ACCOUNT, NQ, 2, { priority: 'enforcement' })).toEqual({
      status: 'ok',
    });
    await waitFor(
      () =>
        h?.events.some((e) => e.kind === 'position' && e.position.side === 'short' && e.position.size === 1),
      'short 1',
    );
  });

  it('when a partial close is larger than the position then it is rejected invalid-size with partial-close code 5', async () => {
    h = await startHarness();
    const { NQ } = h.contracts;
    h.trade({ contractId: NQ, side: 1, size: 1 });
    await waitFor(() => h?.events.some((e) => e.kind === 'position' && e.position.size === 1), 'short 1');
    expect(await h.gateway.partialClosePosition(ACCOUNT, NQ, 5, { priority: 'enforcement' })).toMatchObject({
      status: 'rejected',
      code: 'invalid-size',
      brokerCode: 5,
    });
  });

  it('when a working order is cancelled then the answer is ok, and a second cancel is order-not-found', async () => {
    h = await startHarness();
    const order = h.trade({ contractId: h.contracts.ES, type: 1, side: 0, size: 1, limitPrice: 5000 });
    await waitFor(() => h?.events.some((e) => e.kind === 'order' && e.order.id === order), 'the order');
    expect(await h.gateway.cancelOrder(ACCOUNT, order, { priority: 'enforcement' })).toEqual({
      status: 'ok',
    });
    await waitFor(
      () =>
        h?.events.some(
          (e) => e.kind === 'order' && e.order.id === order && e.order.status === OrderStatus.Cancelled,
        ),
      'cancelled',
    );
    expect(await h.gateway.cancelOrder(ACCOUNT, 999_999, { priority: 'enforcement' })).toMatchObject({
      status: 'rejected',
      code: 'order-not-found',
      brokerCode: 2,
    });
  });

  it('when the broker refuses closes then the answer is rejected order-rejected and nothing is retried', async () => {
    h = await startHarness();
    const { MNQ } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 1 });
    h.sim.control.rejectNextCloses(1);
    expect(await h.gateway.closePosition(ACCOUNT, MNQ, { priority: 'enforcement' })).toMatchObject({
      status: 'rejected',
      code: 'order-rejected',
      brokerCode: 5,
    });
    expect(h.sim.recorder.query({ kind: 'request', path: '/api/Position/closeContract' })).toHaveLength(1);
  });

  it('when the account refuses API actions then the answer is account-rejected and a critical alert is raised', async () => {
    h = await startHarness();
    const { MES } = h.contracts;
    h.trade({ contractId: MES, side: 0, size: 1 });
    h.sim.control.updateAccount(ACCOUNT, { rejecting: true });
    expect(await h.gateway.closePosition(ACCOUNT, MES, { priority: 'enforcement' })).toMatchObject({
      status: 'rejected',
      code: 'account-rejected',
      brokerCode: 8,
    });
    expect(h.alerts).toEqual([
      expect.objectContaining({ kind: 'account-rejected', severity: 'critical', accountId: ACCOUNT }),
    ]);
  });

  it('when an account is flattened then every working order is cancelled, every position closed, and searchOpen confirms it', async () => {
    h = await startHarness();
    const { MNQ, ES } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 2 });
    h.trade({ contractId: ES, side: 1, size: 1 });
    const stop = h.trade({ contractId: MNQ, type: 4, side: 1, size: 2, stopPrice: 20000 });
    const limit = h.trade({ contractId: ES, type: 1, side: 0, size: 1, limitPrice: 5000 });
    await waitFor(
      () =>
        h?.gateway.quoteSubscriptions().length === 2 &&
        h.events.some((e) => e.kind === 'order' && e.order.id === limit),
      'exposure',
    );
    await waitFor(() => h?.events.filter((e) => e.kind === 'position').length === 2, 'two positions');
    const result = await h.gateway.flatten(ACCOUNT, { priority: 'enforcement', idempotencyKey: 'flatten-1' });
    expect(result.result).toEqual({ status: 'ok' });
    expect(result.cancels.map((c) => c.orderId).sort()).toEqual([stop, limit].sort());
    expect(result.closes.map((c) => c.contractId).sort()).toEqual([ES, MNQ].sort());
    expect(result.remainingPositions).toEqual([]);
    expect(result.remainingOrders).toEqual([]);
    // Cancels went out before closes.
    const actions = h.sim.recorder
      .query({ kind: 'request', path: '/api/*' })
      .filter((r) => /cancel|closeContract/.test(r.path));
    expect(actions.map((r) => r.path)).toEqual([
      '/api/Order/cancel',
      '/api/Order/cancel',
      '/api/Position/closeContract',
      '/api/Position/closeContract',
    ]);
  });

  it('when a close of a flatten is refused then the flatten is rejected with that code, and nothing is resent', async () => {
    h = await startHarness();
    const { MNQ } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 1 });
    await waitFor(() => h?.events.some((e) => e.kind === 'position' && e.position.size === 1), 'long 1');
    h.sim.control.rejectNextCloses(1);
    const result = await h.gateway.flatten(ACCOUNT, { priority: 'enforcement' });
    expect(result.result).toMatchObject({ status: 'rejected', code: 'order-rejected' });
    expect(result.remainingPositions.map((p) => p.contractId)).toEqual([MNQ]);
    expect(h.sim.recorder.query({ kind: 'request', path: '/api/Position/closeContract' })).toHaveLength(1);
  });
});
