import { MarketCalendar, OrderStatus, OrderType } from '@riskd/core-engine';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONSECUTIVE_LOSSES_CODES,
  COOLDOWN_AFTER_LOSS_CODES,
  DAILY_LOSS_CODES,
  MAX_CONTRACTS_CODES,
  STOP_LOSS_CODES,
  SYMBOL_BLOCK_CODES,
  TRADE_FREQUENCY_CODES,
  TRADING_SESSION_CODES,
} from '../src/index.js';
import { ES, Harness, MES, MNQ, NQ } from './harness.js';

const calendar = new MarketCalendar();
const ct = (date: string, time: string) => calendar.instantOf(date, time);
/** Tuesday 2026-01-06 10:00 Chicago. */
const TUESDAY = ct('2026-01-06', '10:00');
const QUOTES = { [ES.id]: 6000, [MNQ.id]: 21000, [NQ.id]: 21000, [MES.id]: 6000 };

afterEach(() => {
  expect(Harness.takeErrors()).toEqual([]);
});

describe('standard rules in the real engine', () => {
  it('when a quote alone takes combined P&L through the daily loss limit then the account is flattened and locked until 17:00 (guarantee 2)', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'daily-loss-limit', options: { limit: 500 } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 2);
    await h.advance(10);
    expect(h.decisionsWith(DAILY_LOSS_CODES.limit)).toEqual([]);
    h.quote(ES.id, 5994.75);
    await h.advance(10);
    expect(h.net(1, ES.id)).toBe(0);
    const [decision] = h.decisionsWith(DAILY_LOSS_CODES.limit);
    expect(decision?.reason).toBe('combined P&L -527.80 breached daily loss limit 500.00');
    expect(h.lockout(1)?.end).toEqual({ kind: 'at', at: ct('2026-01-06', '17:00') });
    // An order that fills while locked is closed at once (guarantee 3).
    h.broker.trade(1, MNQ.id, 'buy', 1);
    await h.advance(10);
    expect(h.net(1, MNQ.id)).toBe(0);
    // The lockout ends at the reset, to the millisecond.
    await h.clock.set(ct('2026-01-06', '17:00') - 1);
    expect(h.lockout(1)).toBeDefined();
    await h.advance(1);
    expect(h.lockout(1)).toBeUndefined();
  });

  it('when 55 micros fill against a limit of 5 minis with micros weighted 0.1 then 5 micros are closed', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'max-contracts', options: { limit: 5, weights: { MNQ: 0.1, MES: 0.1 } } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, MNQ.id, 'buy', 55);
    await h.advance(10);
    expect(h.net(1, MNQ.id)).toBe(50);
    expect(h.broker.requestsOf('partial-close', 1, MNQ.id).map((r) => r.size)).toEqual([5]);
    h.broker.trade(1, ES.id, 'buy', 1);
    await h.advance(10);
    expect([h.net(1, MNQ.id), h.net(1, ES.id)]).toEqual([50, 0]);
  });

  it('when a working order fills in parts past the limit then the position is reduced back, once per target', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'max-contracts', options: { limit: 3 } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 2);
    const order = h.broker.placeOrder(1, ES.id, {
      type: OrderType.Limit,
      side: 'buy',
      size: 1,
      limitPrice: 5990,
    });
    await h.advance(10);
    expect(h.broker.order(order.id).status).toBe(OrderStatus.Open);
    const big = h.broker.placeOrder(1, ES.id, {
      type: OrderType.Limit,
      side: 'buy',
      size: 3,
      limitPrice: 5990,
    });
    await h.advance(10);
    // The newer entry order would take the account to 6: cancelled; the older one (to 3) stays.
    expect(h.broker.order(big.id).status).toBe(OrderStatus.Cancelled);
    expect(h.broker.order(order.id).status).toBe(OrderStatus.Open);
    h.broker.trade(1, ES.id, 'buy', 1);
    h.broker.fillOrder(order.id);
    await h.advance(10);
    expect(h.net(1, ES.id)).toBe(3);
    expect(h.decisionsWith(MAX_CONTRACTS_CODES.positions)[0]?.reason).toBe(
      'weighted open contracts 4 (gross) over limit 3: reducing ES long 4 to 3',
    );
  });

  it('when a sell flips a long into a short over the limit then the short is reduced', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'max-contracts', options: { limit: 2 } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 2);
    await h.advance(10);
    h.broker.trade(1, ES.id, 'sell', 5);
    await h.advance(10);
    expect(h.net(1, ES.id)).toBe(-2);
  });

  it('when a fill opens a blocked symbol then it is closed and the symbol stays locked; other symbols trade', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'symbol-block', options: { symbols: ['M*'] } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, MNQ.id, 'buy', 1);
    await h.advance(10);
    expect(h.net(1, MNQ.id)).toBe(0);
    expect(h.lockout(1, { kind: 'symbol', symbol: 'MNQ' })?.end).toEqual({
      kind: 'condition',
      condition: 'symbol-unblocked',
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    await h.advance(10);
    expect(h.net(1, ES.id)).toBe(1);
    expect(h.decisionsWith(SYMBOL_BLOCK_CODES.blocked)[0]?.reason).toBe(
      'MNQ is blocked (M*): closing MNQZ5 long 1, MNQ locked until unblocked',
    );
  });

  it('when a position opens without a stop then after the grace it is closed; a covered one stays', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'stop-loss-required', options: { graceSeconds: 10 } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 2);
    h.broker.trade(1, NQ.id, 'buy', 1);
    h.broker.placeOrder(1, NQ.id, { type: OrderType.Stop, side: 'sell', size: 1, stopPrice: 20950 });
    await h.advance(9_999);
    expect(h.net(1, ES.id)).toBe(2);
    await h.advance(1);
    expect([h.net(1, ES.id), h.net(1, NQ.id)]).toEqual([0, 1]);
    expect(h.decisionsWith(STOP_LOSS_CODES.missing)[0]?.reason).toBe(
      'ES long 2 has no protective stop after the 10s grace: closing it',
    );
  });

  it('when two fills of one order are partial then trade-frequency counts one entry', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'trade-frequency', options: { perMinute: { limit: 1 } } }],
      quotes: QUOTES,
    });
    const order = h.broker.placeOrder(1, ES.id, {
      type: OrderType.Limit,
      side: 'buy',
      size: 2,
      limitPrice: 6000,
    });
    h.broker.fillOrder(order.id, { size: 1 });
    await h.advance(1_000);
    h.broker.fillOrder(order.id, { size: 1 });
    await h.advance(1_000);
    expect(h.lockout(1)).toBeUndefined();
    h.broker.trade(1, ES.id, 'sell', 1);
    await h.advance(1_000);
    expect(h.lockout(1)).toBeUndefined();
    h.broker.trade(1, NQ.id, 'buy', 1);
    await h.advance(10);
    expect(h.lockout(1)?.code).toBe(TRADE_FREQUENCY_CODES.perMinute);
    expect(h.lockout(1)?.end).toEqual({ kind: 'at', at: TUESDAY + 3_000 + 60_000 });
  });

  it('when round trips lose only their fees then they count as losses in a row', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'consecutive-losses', options: { count: 2 } }],
      quotes: QUOTES,
    });
    for (let i = 0; i < 2; i++) {
      h.broker.trade(1, MNQ.id, 'buy', 1);
      h.broker.trade(1, MNQ.id, 'sell', 1);
      await h.advance(10);
    }
    expect(h.decisionsWith(CONSECUTIVE_LOSSES_CODES.streak)[0]?.reason).toBe(
      '2 losing round trips in a row (last MNQ long -0.74), limit 2: cooldown until-reset',
    );
  });

  it('when a losing fill is voided then its loss is taken back out of the daily loss', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'daily-loss-limit', options: { limit: 500, basis: 'realized' } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    const loss = h.broker.trade(1, ES.id, 'sell', 1, 5994);
    await h.advance(10);
    expect(h.state.account(1)?.pnl.realized).toBe(-302_800_000);
    h.broker.voidFill(loss.fills[0]?.id ?? 0);
    await h.advance(10);
    h.broker.trade(1, ES.id, 'buy', 1, 6000);
    h.broker.trade(1, ES.id, 'sell', 1, 5996);
    await h.advance(10);
    // Without the void, -302.80 - 202.80 would have breached 500.
    expect(h.decisionsWith(DAILY_LOSS_CODES.limit)).toEqual([]);
  });

  it('when one account breaches the daily loss limit then another account keeps trading', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'daily-loss-limit', options: { limit: 300 } }],
      brokerAccounts: [
        { id: 1, name: 'TS-50K-1' },
        { id: 2, name: 'TS-50K-2' },
      ],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    h.broker.trade(2, ES.id, 'buy', 1);
    await h.advance(10);
    h.broker.trade(2, ES.id, 'sell', 1, 6010);
    h.quote(ES.id, 5993);
    await h.advance(10);
    expect([h.net(1, ES.id), h.lockout(1)?.code, h.lockout(2)]).toEqual([
      0,
      DAILY_LOSS_CODES.limit,
      undefined,
    ]);
  });

  it('when two accounts of the trader hold opposite sides of a symbol then the newer position is closed', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'no-cross-account-hedge' }],
      brokerAccounts: [
        { id: 1, name: 'TS-50K-1' },
        { id: 2, name: 'TS-50K-2' },
      ],
      quotes: QUOTES,
    });
    h.broker.trade(1, NQ.id, 'buy', 1);
    await h.advance(1_000);
    h.broker.trade(2, NQ.id, 'sell', 2);
    await h.advance(10);
    expect([h.net(1, NQ.id), h.net(2, NQ.id)]).toEqual([1, 0]);
  });

  it('when the broker disables trading then the account is flattened and locked until canTrade returns', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'broker-trading-disabled' }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    await h.advance(10);
    h.broker.setCanTrade(1, false);
    await h.advance(10);
    expect(h.net(1, ES.id)).toBe(0);
    expect(h.lockout(1)?.end).toEqual({ kind: 'condition', condition: 'can-trade' });
    expect(h.notifier.ofSeverity('critical').some((a) => a.code === 'BROKER_TRADING_DISABLED')).toBe(true);
    h.broker.setCanTrade(1, true);
    await h.advance(10);
    expect(h.lockout(1)).toBeUndefined();
  });
});

describe('time: DST, holidays, early closes, restarts', () => {
  it('when the daily loss limit locks on the spring DST day then the lockout ends at 17:00 CDT = 22:00Z', async () => {
    const h = await Harness.start({
      start: '2026-03-08T17:00:00Z',
      rules: [{ rule: 'daily-loss-limit', options: { limit: 100, basis: 'realized' } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    h.broker.trade(1, ES.id, 'sell', 1, 5997);
    await h.advance(10);
    expect(h.lockout(1)?.end).toEqual({ kind: 'at', at: Date.parse('2026-03-08T22:00:00Z') });
    await h.clock.set('2026-03-08T22:00:00Z');
    await h.settle();
    expect(h.lockout(1)).toBeUndefined();
    expect(h.state.tradingDay.id).toBe('2026-03-09');
  });

  it('when the daily loss limit locks on the autumn DST day then the lockout ends at 17:00 CST = 23:00Z', async () => {
    const h = await Harness.start({
      start: '2026-11-01T17:00:00Z',
      rules: [{ rule: 'daily-loss-limit', options: { limit: 100, basis: 'realized' } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    h.broker.trade(1, ES.id, 'sell', 1, 5997);
    await h.advance(10);
    expect(h.lockout(1)?.end).toEqual({ kind: 'at', at: Date.parse('2026-11-01T23:00:00Z') });
  });

  it('when MLK day closes early (flat 11:45) then the session rule flattens at 11:43 and locks until 17:00', async () => {
    const h = await Harness.start({
      start: ct('2026-01-19', '11:00'),
      rules: [{ rule: 'trading-session' }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    await h.clock.set(ct('2026-01-19', '11:43') - 1);
    await h.settle();
    expect(h.net(1, ES.id)).toBe(1);
    await h.advance(1);
    expect(h.net(1, ES.id)).toBe(0);
    expect(h.decisionsWith(TRADING_SESSION_CODES.closing)[0]?.reason).toBe(
      'session flat deadline 2026-01-19 11:43 America/Chicago (120s before the close): flatten ES long 1, locked until 2026-01-19 17:00 America/Chicago',
    );
    h.broker.trade(1, ES.id, 'buy', 1);
    await h.advance(10);
    expect(h.net(1, ES.id)).toBe(0);
    await h.clock.set(ct('2026-01-19', '17:00'));
    await h.settle();
    h.broker.trade(1, ES.id, 'buy', 1);
    await h.advance(10);
    expect(h.net(1, ES.id)).toBe(1);
  });

  it('when the daemon crashes in the middle of a cooldown then the cooldown holds after the restart and ends to the millisecond', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'cooldown-after-loss' }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    h.broker.trade(1, ES.id, 'sell', 1, 5996); // -200.00 - 2.80 fees: the 200 tier, 15 minutes
    await h.advance(10);
    const end = TUESDAY + 15 * 60_000;
    expect(h.lockout(1)).toMatchObject({
      code: COOLDOWN_AFTER_LOSS_CODES.cooldown,
      end: { kind: 'at', at: end },
    });
    await h.advance(5 * 60_000);
    await h.crashAndRestart(2 * 60_000);
    expect(h.lockout(1)?.end).toEqual({ kind: 'at', at: end });
    // The restart replays the day's fills: the same round trip does not start a new cooldown.
    expect(h.decisionsWith(COOLDOWN_AFTER_LOSS_CODES.cooldown)).toHaveLength(1);
    h.broker.trade(1, MNQ.id, 'buy', 1);
    await h.advance(10);
    expect(h.net(1, MNQ.id)).toBe(0);
    await h.clock.set(end - 1);
    expect(h.lockout(1)).toBeDefined();
    await h.clock.set(end);
    expect(h.lockout(1)).toBeUndefined();
    h.broker.trade(1, MNQ.id, 'buy', 1);
    await h.advance(10);
    expect(h.net(1, MNQ.id)).toBe(1);
  });
});
