import { OrderStatus, type BrokerEvent } from '@riskd/core-engine';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNT, startHarness, waitFor, type Harness } from './helpers/harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** The events a reconciliation emitted after `mark`, as short strings. */
function reconciled(harness: Harness, mark: number): string[] {
  return harness.events
    .slice(mark)
    .filter((e) => e.origin === 'reconcile' && e.kind !== 'contract')
    .map((e: BrokerEvent) => {
      switch (e.kind) {
        case 'position':
          return `position ${e.position.side} ${e.position.size}`;
        case 'order':
          return `order ${OrderStatus[e.order.status]}`;
        case 'fill':
          return `fill ${e.fill.side} ${e.fill.size}${e.fill.profitAndLoss === null ? '' : ' closing'}`;
        case 'account':
          return `account canTrade=${e.account.canTrade}`;
        default:
          return e.kind;
      }
    });
}

/** Cuts the user hub and runs `whileDown` before the adapter can reconnect; waits for the reconciliation. */
async function whileUserHubDown(
  harness: Harness,
  whileDown: () => void | Promise<void>,
  expectedEvents: number,
): Promise<string[]> {
  const mark = harness.mark();
  expect(harness.sim.control.dropConnections({ hub: 'user' }).dropped).toBe(1);
  await whileDown();
  await waitFor(
    () => reconciled(harness, mark).length >= expectedEvents,
    'the reconciliation after the reconnect',
  );
  await waitFor(() => harness.gateway.connectionState() === 'connected', 'connected again');
  return reconciled(harness, mark);
}

async function settled(harness: Harness, probe: (e: BrokerEvent) => boolean, what: string): Promise<void> {
  await waitFor(() => harness.events.some(probe), what);
}

describe('reconciliation after a reconnect', () => {
  it('when an opening fill was missed then the fill and the position are emitted', async () => {
    h = await startHarness();
    const { MNQ } = h.contracts;
    const events = await whileUserHubDown(h, () => void h?.trade({ contractId: MNQ, side: 0, size: 2 }), 3);
    // The fill's fees moved the balance, so the account record comes first.
    expect(events).toEqual(['account canTrade=true', 'fill buy 2', 'position long 2']);
    await waitFor(
      () => h?.gateway.quoteSubscriptions().includes(MNQ),
      'quotes subscribed for the recovered position',
    );
  });

  it('when a close was missed then the closing fill and the flat position are emitted', async () => {
    h = await startHarness();
    const { MNQ } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 1 });
    await settled(h, (e) => e.kind === 'position' && e.position.size === 1, 'long 1');
    const events = await whileUserHubDown(h, () => void h?.trade({ contractId: MNQ, side: 1, size: 1 }), 3);
    expect(events).toEqual(['account canTrade=true', 'fill sell 1 closing', 'position long 0']);
    await waitFor(() => !h?.gateway.quoteSubscriptions().includes(MNQ), 'quotes unsubscribed once flat');
  });

  it('when an order was placed while disconnected then it is emitted', async () => {
    h = await startHarness();
    const events = await whileUserHubDown(
      h,
      () => void h?.trade({ contractId: h.contracts.ES, type: 1, side: 0, size: 1, limitPrice: 5000 }),
      1,
    );
    expect(events).toEqual(['order Open']);
  });

  it('when a working order was cancelled while disconnected then its final state is emitted', async () => {
    // The cancel is an HTTP call of the trader's own session: give it time before the reconnect.
    h = await startHarness({ gateway: { reconnectDelaysMs: [1000] } });
    const order = h.trade({ contractId: h.contracts.ES, type: 1, side: 0, size: 1, limitPrice: 5000 });
    await settled(h, (e) => e.kind === 'order' && e.order.id === order, 'the order');
    await h.traderPost('Order/searchOpen', { accountId: ACCOUNT }); // log the trader in beforehand
    const events = await whileUserHubDown(
      h,
      async () => {
        const answer = await h?.traderPost('Order/cancel', { accountId: ACCOUNT, orderId: order });
        expect(answer).toMatchObject({ success: true });
      },
      1,
    );
    expect(events).toEqual(['order Cancelled']);
  });

  it('when the position flipped while disconnected then the old side closes before the new side opens', async () => {
    h = await startHarness();
    const { NQ } = h.contracts;
    h.trade({ contractId: NQ, side: 0, size: 2 });
    await settled(h, (e) => e.kind === 'position' && e.position.size === 2, 'long 2');
    const events = await whileUserHubDown(h, () => void h?.trade({ contractId: NQ, side: 1, size: 3 }), 5);
    expect(events[0]).toBe('account canTrade=true');
    expect(events.filter((e) => e.startsWith('position'))).toEqual(['position long 0', 'position short 1']);
    expect(events.filter((e) => e.startsWith('fill')).sort()).toEqual(['fill sell 1', 'fill sell 2 closing']);
  });

  it('when canTrade changed while disconnected then the account record is emitted', async () => {
    h = await startHarness();
    const events = await whileUserHubDown(h, () => void h?.sim.control.setCanTrade(ACCOUNT, false), 1);
    expect(events).toEqual(['account canTrade=false']);
  });

  it('when nothing happened while disconnected then a reconciliation emits nothing', async () => {
    h = await startHarness();
    h.trade({ contractId: h.contracts.MES, side: 0, size: 1 });
    await settled(h, (e) => e.kind === 'position', 'a position');
    const mark = h.mark();
    const report = await h.gateway.reconcile(ACCOUNT);
    expect(report).toMatchObject({ accountId: ACCOUNT, eventsEmitted: 0, fillsRecovered: 0 });
    expect(reconciled(h, mark)).toEqual([]);
  });
});

describe('uncertain actions', () => {
  it('when the simulator executes a close but drops its response then the answer is uncertain and exactly one close was sent', async () => {
    h = await startHarness();
    const { MNQ } = h.contracts;
    h.trade({ contractId: MNQ, side: 0, size: 2 });
    await settled(h, (e) => e.kind === 'position' && e.position.size === 2, 'long 2');
    h.sim.control.addRestFault({ path: 'Position/closeContract', kind: 'dropResponse' });
    const result = await h.gateway.closePosition(ACCOUNT, MNQ, {
      priority: 'enforcement',
      idempotencyKey: 'k-uncertain',
    });
    expect(result.status).toBe('uncertain');
    expect(h.sim.recorder.query({ kind: 'request', path: '/api/Position/closeContract' })).toHaveLength(1);
    // The engine then asks for a reconciliation: the position is flat at the broker.
    await h.gateway.reconcile(ACCOUNT);
    expect(await h.gateway.openPositions(ACCOUNT)).toEqual([]);
    expect(
      h.events.some((e) => e.kind === 'position' && e.position.contractId === MNQ && e.position.size === 0),
    ).toBe(true);
    expect(h.sim.recorder.query({ kind: 'request', path: '/api/Position/closeContract' })).toHaveLength(1);
  });
});

describe('stream faults', () => {
  it('when the simulator duplicates a fill then it is delivered once', async () => {
    h = await startHarness();
    h.sim.control.duplicateEvents({ target: 'GatewayUserTrade', count: 1 });
    h.trade({ contractId: h.contracts.MES, side: 0, size: 1 });
    await settled(h, (e) => e.kind === 'position', 'the position');
    const sent = h.sim.recorder.query({ kind: 'event', target: 'GatewayUserTrade' });
    expect(sent).toHaveLength(2);
    await waitFor(
      () => h?.sim.recorder.query({ kind: 'event', target: 'GatewayUserAccount' }).length,
      'the account update after the fill',
    );
    expect(h.events.filter((e) => e.kind === 'fill')).toHaveLength(1);
  });

  it('when order snapshots arrive out of order then a stale working state never follows the final one', async () => {
    h = await startHarness();
    h.sim.control.reorderEvents({ target: 'GatewayUserOrder', count: 1 });
    const id = h.trade({ contractId: h.contracts.MES, side: 0, size: 1 });
    await waitFor(
      () => h && h.sim.recorder.query({ kind: 'event', target: 'GatewayUserOrder' }).length >= 2,
      'both order events sent',
    );
    await settled(h, (e) => e.kind === 'order' && e.order.status === OrderStatus.Filled, 'the filled order');
    const statuses = h.events.flatMap((e) =>
      e.kind === 'order' && e.order.id === id ? [e.order.status] : [],
    );
    expect(statuses.at(-1)).toBe(OrderStatus.Filled);
  });
});
