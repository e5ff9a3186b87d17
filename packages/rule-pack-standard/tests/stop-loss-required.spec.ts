import { OrderStatus, OrderType } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { STOP_LOSS_CODES, stopLossRequiredRule } from '../src/index.js';
import {
  build,
  CONTRACTS,
  ct,
  FakeAccount,
  FakeContext,
  fillEvent,
  orderEvent,
  timerEvent,
} from './context.fake.js';

const START = ct('2026-01-06', '10:00');
const KEY = `grace:${CONTRACTS.MNQ.id}`;

function setup(options: Record<string, unknown> = {}) {
  const account = new FakeAccount(1, START);
  const ctx = new FakeContext(account, START, 'stop-loss-required');
  const evaluator = build(stopLossRequiredRule, options);
  const onFill = (at = ctx.now) => {
    ctx.now = at;
    return evaluator.evaluate(fillEvent(1, 'MNQ', 'buy', 1, at), ctx);
  };
  const fire = () => {
    const event = timerEvent(ctx, KEY);
    ctx.now = (event as { dueAt: number }).dueAt;
    return evaluator.evaluate(event, ctx);
  };
  return { account, ctx, evaluator, onFill, fire };
}

describe('stop-loss-required', () => {
  it('when a position opens without a stop then a grace timer starts; a stop placed in time cancels it', () => {
    const s = setup();
    s.account.open('MNQ', { size: 2 });
    expect(s.onFill()).toEqual([]);
    expect(s.ctx.timers.get(KEY)?.at).toBe(START + 10_000);
    const stop = s.account.order('MNQ', 'sell', 2, { type: OrderType.Stop });
    expect(s.evaluator.evaluate(orderEvent(s.account, stop, START + 5_000), s.ctx)).toEqual([]);
    expect(s.ctx.timers.get(KEY)).toBeUndefined();
  });

  it('when the grace period ends with no stop then the position is closed', () => {
    const s = setup();
    s.account.open('MNQ', { size: 2 });
    s.onFill();
    expect(s.fire()).toEqual([
      {
        action: 'close-position',
        contractId: CONTRACTS.MNQ.id,
        code: STOP_LOSS_CODES.missing,
        reason: 'MNQ long 2 has no protective stop after the 10s grace: closing it',
        data: expect.any(Object),
      },
    ]);
  });

  it('when the position grows beyond its cover then the uncovered part is closed after the grace', () => {
    const s = setup({ graceSeconds: 5 });
    s.account.open('MNQ', { size: 3 });
    s.account.order('MNQ', 'sell', 1, { type: OrderType.StopLimit });
    s.account.order('MNQ', 'sell', 1, { type: OrderType.TrailingStop, status: OrderStatus.Pending });
    s.onFill();
    expect(s.ctx.timers.get(KEY)?.at).toBe(START + 5_000);
    expect(s.fire()).toEqual([
      expect.objectContaining({
        action: 'reduce-position',
        reduceTo: 2,
        reason: 'MNQ long 3 is covered by stops for 2 after the 5s grace: closing the uncovered 1',
      }),
    ]);
  });

  it('when a stop is on the same side, a limit order, or suspended then it does not cover', () => {
    const s = setup();
    s.account.open('MNQ', { size: 1 });
    s.account.order('MNQ', 'buy', 1, { type: OrderType.Stop });
    s.account.order('MNQ', 'sell', 1, { type: OrderType.Limit });
    s.account.order('MNQ', 'sell', 1, { type: OrderType.Stop, status: OrderStatus.Suspended });
    s.onFill();
    expect(s.fire()[0]?.action).toBe('close-position');
  });

  it('when the covering stop is cancelled then a new grace starts from the cancel', () => {
    const s = setup();
    s.account.open('MNQ', { size: 1 });
    const stop = s.account.order('MNQ', 'sell', 1, { type: OrderType.Stop });
    s.onFill();
    expect(s.ctx.timers.get(KEY)).toBeUndefined();
    s.account.workingOrders.delete(stop.id);
    s.ctx.now = START + 60_000;
    s.evaluator.evaluate(
      orderEvent(s.account, { ...stop, status: OrderStatus.Cancelled }, START + 60_000),
      s.ctx,
    );
    expect(s.ctx.timers.get(KEY)?.at).toBe(START + 70_000);
  });

  it('when a position is added to while its grace runs then the grace is not restarted', () => {
    const s = setup();
    s.account.open('MNQ', { size: 1 });
    s.onFill();
    s.account.open('MNQ', { size: 2 });
    s.onFill(START + 8_000);
    expect(s.ctx.timers.get(KEY)?.at).toBe(START + 10_000);
  });

  it('when the position closes during its grace then the timer is cancelled', () => {
    const s = setup();
    s.account.open('MNQ', { size: 1 });
    s.onFill();
    s.account.close('MNQ');
    s.onFill(START + 2_000);
    expect(s.ctx.timers.get(KEY)).toBeUndefined();
  });

  it('when the timer belongs to an earlier epoch of the position then nothing is closed and a new grace starts', () => {
    const s = setup();
    s.account.open('MNQ', { size: 1, epoch: 1 });
    s.onFill();
    s.account.open('MNQ', { size: 1, epoch: 2 });
    expect(s.fire()).toEqual([]);
    expect(s.ctx.timers.get(KEY)).toEqual({
      at: START + 20_000,
      payload: { contractId: CONTRACTS.MNQ.id, epoch: 2 },
    });
  });

  it('when graceSeconds is lowered then the change is tighter', () => {
    expect(stopLossRequiredRule.compare?.({ graceSeconds: 10 }, { graceSeconds: 5 })).toBe('tighter');
    expect(stopLossRequiredRule.compare?.({ graceSeconds: 10 }, { graceSeconds: 30 })).toBe('looser');
  });
});
