import { describe, expect, it } from 'vitest';
import type { Lockout } from '../domain/lockout.js';
import { OrderType } from '../domain/types.js';
import { EnforcementConfigError } from './enforcement-errors.js';
import { EnforcementEngine } from './enforcement-engine.js';
import { EnforcementHarness, ES, MNQ, NQ } from './enforcement-harness.fake.js';

const CLOSE_MNQ_1 = '1:CON.F.US.MNQ.Z25:close:e1';

function requestKinds(h: EnforcementHarness): string[] {
  return h.broker.requests.map((r) => `${r.kind}:${r.accountId}:${r.orderId ?? r.contractId}`);
}

describe('EnforcementEngine: the ordinary path', () => {
  it('when a close is decided then one close goes out with enforcement priority and the flat position confirms it', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 2);
    const t0 = h.clock.now();

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();

    expect(h.broker.netSize(1, MNQ)).toBe(0);
    expect(h.broker.requests).toHaveLength(1);
    expect(h.broker.requests[0]).toMatchObject({
      kind: 'close',
      accountId: 1,
      contractId: MNQ,
      priority: 'enforcement',
      idempotencyKey: CLOSE_MNQ_1,
      at: t0,
    });
    const kinds = h.audit.forKey(CLOSE_MNQ_1).map((e) => e.kind);
    expect(kinds).toEqual(['decision', 'action-sent', 'action-confirmed', 'action-result']);
    expect(h.audit.ofKind('action-confirmed')[0]?.data).toMatchObject({ via: 'event', attempts: 1 });
    expect(h.notifier.ofKind('enforcement')).toHaveLength(1);
    expect(h.notifier.ofKind('enforcement')[0]?.fields).toMatchObject({
      action: 'close',
      contract: 'MNQZ5',
      position: 'long 2',
      realizedPnl: expect.stringMatching(/^-?[0-9]+\.[0-9]{2}$/),
      dayPnl: expect.stringMatching(/^-?[0-9]+\.[0-9]{2}$/),
    });
    expect(h.engine.inFlight()).toBe(0);
    expect(h.logger.problems()).toEqual([]);
  });

  it('when the confirmation arrives later then every audit row of the action carries the timings', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.setQuote(MNQ, { bid: 20_990 });
    const quoteAt = h.clock.now();
    await h.advance(40); // the risk engine decided 40 ms after the quote arrived
    h.broker.delayEvents(300, { accountId: 1, times: Number.POSITIVE_INFINITY });
    const outcome = h.outcome(h.account(1, { contracts: [h.close(1, MNQ)] }));
    h.engine.execute(outcome);
    await h.advance(0);
    const sentAt = h.clock.now();
    await h.advance(300);
    await h.settle();
    h.broker.clearFaults();

    const confirmed = h.audit.ofKind('action-confirmed')[0];
    expect(confirmed?.timings).toEqual({
      receivedAt: quoteAt,
      decidedAt: quoteAt + 40,
      sentAt,
      confirmedAt: sentAt + 300,
    });
    expect(confirmed).toMatchObject({
      ruleId: 'test-rule',
      code: 'TEST_BREACH',
      mode: 'enforce',
      idempotencyKey: CLOSE_MNQ_1,
      contractId: MNQ,
    });
    expect(confirmed?.event).toMatchObject({ kind: 'quote', contractId: MNQ, bid: 20_990 });
    const sent = h.audit.ofKind('action-sent')[0];
    expect(sent?.timings).toEqual({ receivedAt: quoteAt, decidedAt: quoteAt + 40, sentAt });
    expect(sent?.reason).toContain('close MNQZ5 (attempt 1/3)');
    expect(h.broker.requests).toHaveLength(1);
  });

  it('when nothing was ever executed then idle resolves at once', async () => {
    const h = await EnforcementHarness.create();
    await expect(h.engine.idle()).resolves.toBeUndefined();
    expect(h.engine.inFlight()).toBe(0);
  });

  it('when the position is already flat then a close decision sends nothing', async () => {
    const h = await EnforcementHarness.create();
    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();
    expect(h.broker.requests).toEqual([]);
    expect(h.audit.ofKind('decision')).toEqual([]);
  });
});

describe('EnforcementEngine: retries and escalation', () => {
  it('when a close is rejected once then it is retried after the backoff and succeeds', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.rejectNext('close', 'order-rejected');
    const t0 = h.clock.now();

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.advance(499);
    expect(h.broker.requests).toHaveLength(1);
    await h.advance(1);
    await h.settle();

    expect(h.broker.requests.map((r) => r.at - t0)).toEqual([0, 500]);
    expect(h.broker.requests.map((r) => r.idempotencyKey)).toEqual([CLOSE_MNQ_1, CLOSE_MNQ_1]);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
    expect(h.notifier.ofSeverity('critical')).toEqual([]);
  });

  it('when a close is rejected 3 times then the account is flattened (orders cancelled first) with a critical alert', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.trade(1, NQ, 'sell', 1);
    const working = h.broker.placeOrder(1, ES, {
      type: OrderType.Limit,
      side: 'buy',
      size: 1,
      limitPrice: 5_990,
    });
    h.broker.rejectNext('close', 'order-rejected', 3);
    const t0 = h.clock.now();

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();

    expect(h.broker.requests.map((r) => r.at - t0)).toEqual([0, 500, 2_000, 2_000, 2_000, 2_000]);
    expect(requestKinds(h)).toEqual([
      `close:1:${MNQ}`,
      `close:1:${MNQ}`,
      `close:1:${MNQ}`,
      `cancel:1:${working.id}`,
      `close:1:${MNQ}`,
      `close:1:${NQ}`,
    ]);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
    expect(h.broker.netSize(1, NQ)).toBe(0);
    const escalation = h.audit.ofKind('escalation');
    expect(escalation).toHaveLength(1);
    expect(escalation[0]?.data).toMatchObject({ to: 'flatten', attempts: 3 });
    expect(h.notifier.ofKind('escalation').map((a) => a.severity)).toEqual(['critical']);
    expect(h.notifier.ofKind('enforcement-failed')).toEqual([]);
  });

  it('when the flatten fails too then a critical enforcement-failed alert ends the round and nothing more is sent', async () => {
    const h = await EnforcementHarness.create({ engine: { retryFailedAfterMs: 30_000 } });
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.injectActionFault({
      kinds: ['close'],
      contractId: MNQ,
      times: Number.POSITIVE_INFINITY,
      effect: { type: 'reject', code: 'order-rejected' },
    });
    const t0 = h.clock.now();
    const close = h.account(1, { contracts: [h.close(1, MNQ)] });

    h.engine.execute(h.outcome(close));
    await h.settle();
    expect(h.broker.requests.map((r) => r.at - t0)).toEqual([0, 500, 2_000, 2_000, 2_500, 4_000]);
    expect(h.notifier.ofKind('enforcement-failed').map((a) => a.severity)).toEqual(['critical']);
    expect(h.audit.ofKind('escalation').map((e) => (e.data as { to: string }).to)).toEqual([
      'flatten',
      'alert',
    ]);

    // The same breach decided again while the failure cools off sends nothing ...
    await h.advance(20_000);
    h.engine.execute(h.outcome(close));
    await h.settle();
    expect(h.broker.requests).toHaveLength(6);
    // ... and after it, a new round starts.
    await h.advance(15_000);
    h.engine.execute(h.outcome(close));
    await h.advance(0);
    expect(h.broker.requests).toHaveLength(7);
    h.broker.clearFaults();
    await h.settle();
    expect(h.broker.netSize(1, MNQ)).toBe(0);
  });

  it('when a cancel keeps failing then a critical alert ends it without flattening the account', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    const order = h.broker.placeOrder(1, ES, {
      type: OrderType.Limit,
      side: 'buy',
      size: 1,
      limitPrice: 5_990,
    });
    h.broker.rejectNext('cancel', 'order-rejected', 3);

    h.execute(h.account(1, { contracts: [h.cancel(1, ES, [order.id])] }));
    await h.settle();

    expect(requestKinds(h)).toEqual([`cancel:1:${order.id}`, `cancel:1:${order.id}`, `cancel:1:${order.id}`]);
    expect(h.notifier.ofKind('enforcement-failed').map((a) => a.severity)).toEqual(['critical']);
    expect(h.broker.netSize(1, MNQ)).toBe(1);
  });

  it('when a reduce is rejected 3 times then it escalates to a close of that position', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 5);
    h.broker.rejectNext('partial-close', 'order-rejected', 3);

    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 2)] }));
    await h.settle();

    expect(requestKinds(h)).toEqual([
      `partial-close:1:${MNQ}`,
      `partial-close:1:${MNQ}`,
      `partial-close:1:${MNQ}`,
      `close:1:${MNQ}`,
    ]);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
    expect(h.audit.ofKind('escalation')[0]?.data).toMatchObject({ to: 'close' });
    expect(h.notifier.ofKind('escalation')).toHaveLength(1);
    // The reduce's intent is gone once the close took over.
    expect(h.store.get('intent', `1:${MNQ}:1`)).toBeUndefined();
  });

  it('when a partial close answers position-not-found then the reduce is done without a retry', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 3);
    h.broker.rejectNext('partial-close', 'position-not-found');

    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 1)] }));
    await h.settle();

    expect(h.broker.requests).toHaveLength(1);
    expect(h.audit.ofKind('action-confirmed')[0]?.data).toMatchObject({ via: 'not-found' });
  });

  it('when the broker accepts closes but never executes them then the timeout escalates to flatten within 5 s', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.acceptWithoutExecuting('close', 3);
    const t0 = h.clock.now();

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();

    // Attempt at 0, no confirmation by 1000 -> reconcile + retry at 1500, timeout 2500 -> retry at
    // 4000, timeout 5000 -> escalation: the flatten's close executes.
    expect(h.broker.requests.map((r) => r.at - t0)).toEqual([0, 1_500, 4_000, 5_000]);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
    const timeouts = h.audit.ofKind('action-result').filter((e) => (e.data as { timeout?: boolean }).timeout);
    expect(timeouts).toHaveLength(3);
    expect(h.audit.ofKind('escalation')[0]?.data).toMatchObject({ to: 'flatten' });
    expect(h.notifier.ofKind('escalation')[0]?.severity).toBe('critical');
  });
});

describe('EnforcementEngine: uncertain answers and confirmations', () => {
  it('when the answer is lost but the close executed then reconciliation finds it flat and nothing is resent', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 2);
    h.broker.uncertainNext('close', true);
    const drop = h.broker.dropEvents({ accountId: 1, times: Number.POSITIVE_INFINITY });

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.advance(0);
    expect(h.state.account(1)?.positions.get(MNQ)?.size).toBe(2); // the confirmation was lost
    await h.settle();
    drop.remove();

    expect(h.broker.requestsOf('close')).toHaveLength(1);
    expect(h.state.account(1)?.positions.has(MNQ)).toBe(false);
    expect(h.audit.ofKind('action-confirmed')[0]?.data).toMatchObject({ via: 'reconcile' });
  });

  it('when the answer is lost but the confirming events arrive then the events complete it without a resend', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 2);
    h.broker.uncertainNext('close', true);

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();

    expect(h.broker.requestsOf('close')).toHaveLength(1);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
  });

  it('when the answer is lost and the close did not execute then it is resent after reconciling', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 2);
    h.broker.uncertainNext('close', false);
    const t0 = h.clock.now();

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();

    expect(h.broker.requestsOf('close').map((r) => [r.at - t0, r.idempotencyKey, r.executed])).toEqual([
      [0, CLOSE_MNQ_1, false],
      [500, CLOSE_MNQ_1, true],
    ]);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
  });

  it('when the confirmation arrives late but within the timeout then nothing is resent', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    const delay = h.broker.delayEvents(800, { accountId: 1, times: Number.POSITIVE_INFINITY });
    const t0 = h.clock.now();

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.advance(799);
    expect(h.engine.inFlight()).toBe(1);
    await h.advance(1);
    await h.settle();
    delay.remove();

    expect(h.broker.requests).toHaveLength(1);
    expect(h.audit.ofKind('action-confirmed')[0]?.timings?.confirmedAt).toBe(t0 + 800);
  });

  it('when the confirmation is later than the timeout then reconciliation confirms it and the late events change nothing', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.delayEvents(3_000, { accountId: 1, times: Number.POSITIVE_INFINITY });

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();
    await h.advance(5_000); // the delayed originals arrive after reconciliation delivered the truth
    h.broker.clearFaults();

    expect(h.broker.requests).toHaveLength(1);
    expect(h.audit.ofKind('action-confirmed')[0]?.data).toMatchObject({ via: 'reconcile' });
    expect(h.state.account(1)?.positions.has(MNQ)).toBe(false);
    expect(h.engine.inFlight()).toBe(0);
  });

  it('when the broker duplicates every event then the close is still sent once', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.duplicateEvents({ times: Number.POSITIVE_INFINITY });

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();
    h.broker.clearFaults();

    expect(h.broker.requests).toHaveLength(1);
    expect(h.audit.ofKind('action-confirmed')).toHaveLength(1);
  });
});

describe('EnforcementEngine: idempotency', () => {
  it('when the same outcome arrives twice then one order goes out', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 2);
    const outcome = h.outcome(h.account(1, { contracts: [h.close(1, MNQ)] }));

    h.engine.execute(outcome);
    h.engine.execute(outcome);
    await h.settle();
    h.engine.execute(outcome);
    await h.settle();

    expect(h.broker.requests).toHaveLength(1);
    expect(h.audit.ofKind('decision')).toHaveLength(1);
  });

  it('when the same breach is decided again while its close waits for a slow answer then it is merged, not resent', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 2);
    h.broker.delayResponses(2_000);
    h.broker.delayEvents(2_000, { accountId: 1, times: Number.POSITIVE_INFINITY });

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.advance(700);
    // A reconnect replays the events and the rule decides the same close again.
    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();
    h.broker.clearFaults();

    expect(h.broker.requests).toHaveLength(1);
  });

  it('when the position closes and reopens (a new epoch) then the same breach sends a new order', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();

    h.broker.trade(1, MNQ, 'buy', 1);
    expect(h.state.account(1)?.positions.get(MNQ)?.epoch).toBe(2);
    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();

    expect(h.broker.requests.map((r) => r.idempotencyKey)).toEqual([
      CLOSE_MNQ_1,
      '1:CON.F.US.MNQ.Z25:close:e2',
    ]);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
  });

  it('when a reduce to a lower size arrives while a reduce is in flight then the difference is sent after the first confirms', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 5);
    const delay = h.broker.delayEvents(300, { accountId: 1, times: Number.POSITIVE_INFINITY });
    const t0 = h.clock.now();

    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 3)] }));
    await h.advance(100);
    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 1)] }));
    await h.advance(0);
    expect(h.broker.requests).toHaveLength(1);
    expect((h.store.get('intent', `1:${MNQ}:1`) as { target: number }).target).toBe(1);
    await h.advance(200); // the first reduce is confirmed at 300
    delay.remove();
    await h.settle();

    expect(h.broker.requests.map((r) => [r.kind, r.size, r.at - t0, r.idempotencyKey])).toEqual([
      ['partial-close', 2, 0, `1:${MNQ}:reduce-to-3:e1`],
      ['partial-close', 2, 300, `1:${MNQ}:reduce-to-1:e1`],
    ]);
    expect(h.broker.netSize(1, MNQ)).toBe(1);
    expect(h.store.get('intent', `1:${MNQ}:1`)).toBeUndefined();
  });

  it('when a close arrives while a reduce is in flight then the close takes over', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 5);
    h.broker.acceptWithoutExecuting('partial-close');

    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 3)] }));
    await h.advance(100);
    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();

    expect(requestKinds(h)).toEqual([`partial-close:1:${MNQ}`, `close:1:${MNQ}`]);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
  });

  it('when a reduce arrives while a close is in flight then it is covered by the close', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 5);
    h.broker.delayEvents(300, { accountId: 1, times: Number.POSITIVE_INFINITY });

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.advance(100);
    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 2)] }));
    await h.settle();
    h.broker.clearFaults();

    expect(requestKinds(h)).toEqual([`close:1:${MNQ}`]);
  });
});

describe('EnforcementEngine: durability', () => {
  it('when a reduce is decided then its intent is committed before the broker sees the request', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 5);
    await h.advance(0);
    const seenByBroker: unknown[] = [];
    h.broker.onRequest(() => seenByBroker.push(h.store.get('intent', `1:${MNQ}:1`)));
    h.store.pause();

    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 2)] }));
    await h.advance(50);
    expect(h.broker.requests).toEqual([]);
    expect(h.store.pendingWrites).toBe(1);
    h.store.resume();
    await h.settle();

    expect(seenByBroker).toEqual([
      expect.objectContaining({
        accountId: 1,
        contractId: MNQ,
        epoch: 1,
        side: 'long',
        target: 2,
        fromSize: 5,
      }),
    ]);
    expect(h.broker.requests[0]).toMatchObject({ kind: 'partial-close', size: 3 });
    expect(h.broker.netSize(1, MNQ)).toBe(2);
    expect(h.store.get('intent', `1:${MNQ}:1`)).toBeUndefined();
  });

  it('when an outcome has a lockout and a reduce then both go in one durable write before any order', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 5);
    h.broker.trade(1, ES, 'buy', 1);
    await h.advance(0);
    h.store.pause();
    const writesBefore = h.store.writeLog.length;
    const lockout = h.lockout(1, { kind: 'account' }, { kind: 'at', at: h.clock.now() + 3_600_000 });

    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 2), h.close(1, ES)], lockouts: [lockout] }));
    await h.advance(10);
    expect(h.broker.requests).toEqual([]);
    h.store.resume();
    await h.settle();

    const durable = h.store.writeLog.slice(writesBefore).filter((w) => w.durable);
    expect(durable).toHaveLength(1);
    expect(durable[0]?.records.map((r) => `${r.ns}:${r.key}`)).toEqual([
      `lockout:1:account`,
      `intent:1:${MNQ}:1`,
    ]);
    expect(requestKinds(h)).toEqual([`partial-close:1:${MNQ}`, `close:1:${ES}`]);
    expect(h.audit.ofKind('lockout-started')).toHaveLength(1);
    expect(h.notifier.ofKind('lockout-started').map((a) => a.severity)).toEqual(['warning']);
  });

  it('when the same lockout is executed twice then it is written and announced once', async () => {
    const h = await EnforcementHarness.create();
    const lockout = h.lockout(
      1,
      { kind: 'symbol', symbol: 'MNQ' },
      { kind: 'condition', condition: 'can-trade' },
    );
    const outcome = h.outcome(h.account(1, { lockouts: [lockout] }));

    h.engine.execute(outcome);
    h.engine.execute(outcome);
    await h.settle();

    expect(h.store.writeLog.filter((w) => w.durable)).toHaveLength(1);
    expect(h.audit.ofKind('lockout-started')).toHaveLength(1);
    expect(h.store.get('lockout', '1:symbol:MNQ')).toMatchObject({
      scope: { kind: 'symbol', symbol: 'MNQ' },
    });
  });

  it('when a hold joins a lockout in force then the combined record is written and the row names the new hold and what else holds', async () => {
    const h = await EnforcementHarness.create();
    const reset = h.clock.now() + 8 * 3_600_000;
    const first = h.lockout(1, { kind: 'account' }, { kind: 'at', at: reset }, { code: 'DAILY_LOSS_LIMIT' });
    h.execute(h.account(1, { lockouts: [first] }));
    await h.settle();
    await h.advance(1_000);
    const second = h.lockout(
      1,
      { kind: 'account' },
      { kind: 'condition', condition: 'config-valid' },
      { code: 'CONFIG_FAILSAFE', reason: 'config file invalid' },
    );
    h.execute(h.account(1, { lockouts: [second] }));
    await h.settle();

    const written = h.store.get('lockout', '1:account') as Lockout;
    expect([written, ...(written.holds ?? [])].map((l) => [l.code, l.end])).toEqual([
      ['CONFIG_FAILSAFE', { kind: 'condition', condition: 'config-valid' }],
      ['DAILY_LOSS_LIMIT', { kind: 'at', at: reset }],
    ]);
    const rows = h.audit.ofKind('lockout-started');
    expect(rows.map((r) => r.code)).toEqual(['DAILY_LOSS_LIMIT', 'CONFIG_FAILSAFE']);
    expect(rows[1]?.reason).toBe(
      `account locked until config-valid: config file invalid; also locked until ${new Date(reset).toISOString()} (DAILY_LOSS_LIMIT)`,
    );
    expect(rows[1]?.data).toMatchObject({ extended: true, hold: { code: 'CONFIG_FAILSAFE' } });
    expect(h.notifier.ofKind('lockout-started').map((a) => a.code)).toEqual([
      'DAILY_LOSS_LIMIT',
      'CONFIG_FAILSAFE',
    ]);
  });

  it('when one outcome asks for two ends on one scope then one record is written and each hold is announced once', async () => {
    const h = await EnforcementHarness.create();
    const a = h.lockout(1, { kind: 'account' }, { kind: 'condition', condition: 'can-trade' }, { code: 'A' });
    const b = h.lockout(1, { kind: 'account' }, { kind: 'at', at: h.clock.now() + 60_000 }, { code: 'B' });
    const outcome = h.outcome(h.account(1, { lockouts: [a, b] }));
    h.engine.execute(outcome);
    h.engine.execute(outcome);
    await h.settle();

    const durable = h.store.writeLog.filter((w) => w.durable);
    expect(durable.map((w) => w.records.map((r) => `${r.ns}:${r.key}`))).toEqual([['lockout:1:account']]);
    expect(h.audit.ofKind('lockout-started').map((r) => r.code)).toEqual(['A', 'B']);
  });

  it('when the durable write fails then a critical alert is raised and the close still goes out', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.store.injectFailure({ op: 'write', match: (_records, options) => options.durable });
    const lockout = h.lockout(1, { kind: 'account' }, { kind: 'at', at: h.clock.now() + 60_000 });

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)], lockouts: [lockout] }));
    await h.settle();

    expect(h.notifier.ofKind('state-write-failed').map((a) => a.severity)).toEqual(['critical']);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
    expect(h.logger.problems().map((l) => l.msg)).toEqual(['durable write of lockouts/intents failed']);
  });
});

describe('EnforcementEngine: restart', () => {
  /** An engine whose retries never come within the test, so only the restarted one acts. */
  const slowRetries = { backoffMs: [0, 600_000], attemptWindowMs: 3_600_000, confirmTimeoutMs: 600_000 };

  it('when an intent is open at restart and the broker is already at the target then nothing is resent', async () => {
    const h = await EnforcementHarness.create({ engine: slowRetries });
    h.broker.trade(1, MNQ, 'buy', 5);
    h.broker.uncertainNext('partial-close', true);
    const drop = h.broker.dropEvents({ accountId: 1, times: Number.POSITIVE_INFINITY });
    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 2)] }));
    await h.advance(10);
    h.crash();
    drop.remove();
    expect(h.broker.netSize(1, MNQ)).toBe(2);
    expect(h.store.get('intent', `1:${MNQ}:1`)).toMatchObject({ target: 2 });

    const restarted = await h.restart();
    await restarted.settle();

    expect(h.broker.requestsOf('partial-close')).toHaveLength(1);
    expect(h.store.get('intent', `1:${MNQ}:1`)).toBeUndefined();
    expect(restarted.audit.ofKind('action-confirmed')[0]?.data).toMatchObject({ via: 'restart-reconcile' });
  });

  it('when an intent is open at restart and the broker is still above the target then the difference is resent once', async () => {
    const h = await EnforcementHarness.create({ engine: slowRetries });
    h.broker.trade(1, MNQ, 'buy', 5);
    h.broker.uncertainNext('partial-close', false);
    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 2)] }));
    await h.advance(10);
    h.crash();
    expect(h.broker.netSize(1, MNQ)).toBe(5);

    const restarted = await h.restart();
    // The rule decides the same reduce again right after the restart: merged into the intent.
    restarted.execute(restarted.account(1, { contracts: [restarted.reduce(1, MNQ, 2)] }));
    await restarted.settle();

    expect(h.broker.requestsOf('partial-close').map((r) => [r.size, r.idempotencyKey])).toEqual([
      [3, `1:${MNQ}:reduce-to-2:e1`],
      [3, `1:${MNQ}:reduce-to-2:e1`],
    ]);
    expect(h.broker.netSize(1, MNQ)).toBe(2);
    expect(h.store.get('intent', `1:${MNQ}:1`)).toBeUndefined();
  });

  it('when a persisted intent is malformed then it is ignored with a warning', async () => {
    const h = await EnforcementHarness.create();
    h.engine.restore([{ ns: 'intent', key: 'x', value: { v: 9 } }]);
    await h.engine.reconcileOpenIntents();
    await expect(h.engine.idle()).resolves.toBeUndefined();
    expect(h.logger.problems().map((l) => l.msg)).toEqual(['ignoring a malformed enforcement intent']);
  });

  it('when the position was closed while the daemon was down then the intent completes without an order', async () => {
    const h = await EnforcementHarness.create({ engine: slowRetries });
    h.broker.trade(1, MNQ, 'buy', 5);
    h.broker.acceptWithoutExecuting('partial-close');
    h.execute(h.account(1, { contracts: [h.reduce(1, MNQ, 2)] }));
    await h.advance(10);
    h.crash();
    h.broker.trade(1, MNQ, 'sell', 5); // the trader closed it meanwhile

    const restarted = await h.restart();
    await restarted.settle();

    expect(h.broker.requestsOf('partial-close')).toHaveLength(1);
    expect(h.store.get('intent', `1:${MNQ}:1`)).toBeUndefined();
  });
});

describe('EnforcementEngine: alert-only accounts', () => {
  it('when the broker answers account-rejected then the account goes alert-only with one critical alert and no retries', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.trade(1, NQ, 'buy', 1);
    h.broker.trade(2, MNQ, 'buy', 1);
    h.broker.refuseActions(1);

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    await h.settle();
    await h.advance(10_000);

    expect(h.engine.isAlertOnly(1)).toBe(true);
    expect(h.broker.requests).toHaveLength(1);
    expect(h.broker.requests[0]?.result).toMatchObject({
      status: 'rejected',
      code: 'account-rejected',
      brokerCode: 8,
    });
    expect(h.notifier.ofKind('account-alert-only').map((a) => a.severity)).toEqual(['critical']);
    expect(h.audit.ofKind('alert-only')).toHaveLength(1);

    // Later outcomes for that account are "would have" rows and alerts; other accounts still act.
    h.execute(h.account(1, { contracts: [h.close(1, NQ)] }), h.account(2, { contracts: [h.close(2, MNQ)] }));
    await h.settle();
    expect(requestKinds(h)).toEqual([`close:1:${MNQ}`, `close:2:${MNQ}`]);
    const wouldHave = h.audit.ofKind('alert-only')[1];
    expect(wouldHave?.reason).toMatch(/^would have closed NQZ5 \(account is alert-only\)/);
    expect(h.notifier.ofKind('alert-only')).toHaveLength(1);
    expect(h.engine.isAlertOnly(2)).toBe(false);
  });

  it('when a shadow (alert-only mode) decision arrives then it is recorded as "would have" once and never acted on', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    const shadow = h.decision(1, 'close-position', {
      contractId: MNQ,
      mode: 'alert-only',
      severity: 'warning',
    });

    h.execute(h.account(1, { shadow: [shadow] }));
    h.execute(h.account(1, { shadow: [shadow] }));
    await h.settle();

    expect(h.broker.requests).toEqual([]);
    const rows = h.audit.ofKind('alert-only');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      mode: 'alert-only',
      reason: `would have closed MNQZ5 (alert-only): ${shadow.reason}`,
    });
    expect(h.notifier.ofKind('alert-only').map((a) => a.severity)).toEqual(['warning']);
  });

  it('when an enforce-mode alert decision arrives then it is notified and audited as a warning', async () => {
    const h = await EnforcementHarness.create();
    const warning = h.decision(1, 'alert', { severity: 'warning', code: 'DAILY_LOSS_WARNING' });

    h.execute(h.account(1, { alerts: [warning] }));

    expect(h.audit.ofKind('warning')).toEqual([
      expect.objectContaining({ code: 'DAILY_LOSS_WARNING', mode: 'enforce' }),
    ]);
    expect(h.notifier.ofKind('warning')).toEqual([
      expect.objectContaining({ severity: 'warning', accountId: 1 }),
    ]);
  });
});

describe('EnforcementEngine: ordering', () => {
  it('when an outcome cancels orders and closes positions then every cancel is issued before any close', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.trade(1, ES, 'buy', 1);
    const o1 = h.broker.placeOrder(1, MNQ, {
      type: OrderType.Limit,
      side: 'buy',
      size: 1,
      limitPrice: 20_990,
    });
    const o2 = h.broker.placeOrder(1, ES, { type: OrderType.Limit, side: 'buy', size: 1, limitPrice: 5_990 });

    h.execute(h.account(1, { contracts: [h.close(1, MNQ, [o1.id]), h.close(1, ES, [o2.id])] }));
    await h.settle();

    expect(requestKinds(h)).toEqual([
      `cancel:1:${o1.id}`,
      `cancel:1:${o2.id}`,
      `close:1:${MNQ}`,
      `close:1:${ES}`,
    ]);
    // A cancel's key names its order (order ids are unique, so no epoch).
    expect(h.broker.requests[0]?.idempotencyKey).toBe(`1:${MNQ}:cancel-${o1.id}`);
    expect(h.state.account(1)?.workingOrders.size).toBe(0);
  });

  it('when one account waits for its durable write then another account acts at once and the first keeps its order', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.trade(1, ES, 'buy', 1);
    h.broker.trade(2, MNQ, 'buy', 1);
    await h.advance(0);
    h.store.pause();
    const lockout = h.lockout(1, { kind: 'account' }, { kind: 'at', at: h.clock.now() + 60_000 });

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)], lockouts: [lockout] }));
    h.execute(h.account(2, { contracts: [h.close(2, MNQ)] }));
    h.execute(h.account(1, { contracts: [h.close(1, ES)] }));
    await h.advance(100);
    expect(requestKinds(h)).toEqual([`close:2:${MNQ}`]);
    h.store.resume();
    await h.settle();

    expect(requestKinds(h)).toEqual([`close:2:${MNQ}`, `close:1:${MNQ}`, `close:1:${ES}`]);
  });

  it('when one outcome locks one account and closes on another then the other account does not wait for the write', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.trade(2, MNQ, 'buy', 1);
    await h.advance(0);
    h.store.pause();
    const lockout = h.lockout(1, { kind: 'account' }, { kind: 'at', at: h.clock.now() + 60_000 });

    h.execute(
      h.account(1, { contracts: [h.close(1, MNQ)], lockouts: [lockout] }),
      h.account(2, { contracts: [h.close(2, MNQ)] }),
    );
    await h.advance(10);
    expect(requestKinds(h)).toEqual([`close:2:${MNQ}`]);
    h.store.resume();
    await h.settle();

    expect(requestKinds(h)).toEqual([`close:2:${MNQ}`, `close:1:${MNQ}`]);
  });

  it('when one account answers slowly then another account is enforced and confirmed meanwhile', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 1);
    h.broker.trade(2, MNQ, 'buy', 1);
    h.broker.injectActionFault({
      accountId: 1,
      effect: { type: 'uncertain', executed: false },
      delayMs: 4_000,
    });
    const t0 = h.clock.now();

    h.execute(h.account(1, { contracts: [h.close(1, MNQ)] }));
    h.execute(h.account(2, { contracts: [h.close(2, MNQ)] }));
    await h.advance(10);

    expect(h.broker.netSize(2, MNQ)).toBe(0);
    expect(h.broker.netSize(1, MNQ)).toBe(1);
    await h.settle();
    expect(h.broker.requestsOf('close', 1).map((r) => r.at - t0)).toEqual([0, 4_500]);
    expect(h.broker.netSize(1, MNQ)).toBe(0);
  });

  it('when an account is flattened then every working order is cancelled, then every position is closed', async () => {
    const h = await EnforcementHarness.create();
    h.broker.trade(1, MNQ, 'buy', 2);
    h.broker.trade(1, ES, 'sell', 1);
    const stop = h.broker.placeOrder(1, MNQ, {
      type: OrderType.Stop,
      side: 'sell',
      size: 2,
      stopPrice: 20_950,
    });
    const entry = h.broker.placeOrder(1, ES, {
      type: OrderType.Limit,
      side: 'sell',
      size: 1,
      limitPrice: 6_010,
    });
    const flatten = h.decision(1, 'flatten', {
      code: 'DAILY_LOSS_LIMIT',
      reason: 'combined P&L -512.50 breached 500.00',
    });

    h.execute(h.account(1, { flatten: [flatten] }));
    await h.settle();

    expect(requestKinds(h)).toEqual([
      `cancel:1:${stop.id}`,
      `cancel:1:${entry.id}`,
      `close:1:${MNQ}`,
      `close:1:${ES}`,
    ]);
    const view = h.state.account(1);
    expect(view?.positions.size).toBe(0);
    expect(view?.workingOrders.size).toBe(0);
    const alert = h.notifier.ofKind('enforcement')[0];
    expect(alert).toMatchObject({ severity: 'critical', code: 'DAILY_LOSS_LIMIT' });
    expect(alert?.title).toContain('Flattening account');
    expect(alert?.fields).toMatchObject({ action: 'flatten', account: expect.any(String) });
    expect(alert?.fields).not.toHaveProperty('contract');
    expect(h.audit.ofKind('action-confirmed')).toHaveLength(4);
  });
});

describe('EnforcementEngine: options', () => {
  it('when an option is out of range then the constructor throws a coded error', async () => {
    const h = await EnforcementHarness.create();
    const base = {
      broker: h.broker,
      accounts: h.state.accounts,
      store: h.store,
      audit: h.audit,
      notifier: h.notifier,
      clock: h.clock,
      logger: h.logger,
    };
    expect(() => new EnforcementEngine({ ...base, maxAttempts: 0 })).toThrow(EnforcementConfigError);
    expect(() => new EnforcementEngine({ ...base, backoffMs: [] })).toThrow(/backoffMs/);
    try {
      new EnforcementEngine({ ...base, confirmTimeoutMs: -1 });
      expect.unreachable();
    } catch (err) {
      expect((err as EnforcementConfigError).code).toBe('ENFORCEMENT_CONFIG_INVALID');
    }
  });
});
