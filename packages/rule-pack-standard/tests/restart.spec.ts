import { MarketCalendar } from '@riskd/core-engine';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CONTRACTS_CODES, POSITION_LOSS_CODES } from '../src/index.js';
import { ES, Harness, MES, MNQ, NQ } from './harness.js';

const calendar = new MarketCalendar();
const TUESDAY = calendar.instantOf('2026-01-06', '10:00');
const QUOTES = { [ES.id]: 6000, [MNQ.id]: 21000, [NQ.id]: 21000, [MES.id]: 6000 };

afterEach(() => {
  expect(Harness.takeErrors()).toEqual([]);
});

describe('one order per breach (guarantee 4)', () => {
  it('when the broker delivers every event three times then the breach is acted on with one order', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'max-contracts', options: { limit: 2 } }],
      quotes: QUOTES,
    });
    h.broker.duplicateEvents({ kinds: ['fill', 'position', 'order', 'account'] }, 2);
    h.broker.duplicateEvents({ kinds: ['fill', 'position', 'order', 'account'] }, 2);
    h.broker.duplicateEvents({ kinds: ['fill', 'position', 'order', 'account'] }, 2);
    h.broker.trade(1, ES.id, 'buy', 5);
    await h.advance(10);
    expect(h.net(1, ES.id)).toBe(2);
    expect(h.broker.requests.map((r) => [r.kind, r.size])).toEqual([['partial-close', 3]]);
    expect(h.decisionsWith(MAX_CONTRACTS_CODES.positions).length).toBeGreaterThanOrEqual(1);
  });

  it('when a quote breach is seen on many quotes then one close is sent', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'position-loss-limit', options: { limit: 100 } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 1);
    await h.advance(10);
    for (let i = 0; i < 5; i++) h.quote(ES.id, 5997 - i * 0.25);
    await h.advance(10);
    expect(h.net(1, ES.id)).toBe(0);
    expect(h.broker.requests.map((r) => r.kind)).toEqual(['close']);
    expect(h.decisionsWith(POSITION_LOSS_CODES.limit)[0]?.reason).toBe(
      'ES long 1 unrealized -150.00 breached position loss limit 100.00',
    );
  });

  it('when the daemon restarts after a reduce then replaying the day does not send it again', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'max-contracts', options: { limit: 2 } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, ES.id, 'buy', 5);
    await h.advance(1_000);
    await h.crashAndRestart(5_000);
    await h.advance(1_000);
    expect(h.net(1, ES.id)).toBe(2);
    expect(h.broker.requests.map((r) => [r.kind, r.size])).toEqual([['partial-close', 3]]);
  });

  // After a restart the day's fills are replayed; fills from before the lockout must not count as
  // fills during it (here NQ long 2, held since before the cooldown and allowed to stay).
  it('when the daemon restarts during a lockout then positions held from before the lockout stay open', async () => {
    const h = await Harness.start({
      start: TUESDAY,
      rules: [{ rule: 'cooldown-after-loss', options: { tiers: [{ loss: 100, cooldown: '10m' }] } }],
      quotes: QUOTES,
    });
    h.broker.trade(1, NQ.id, 'buy', 2);
    await h.advance(1_000);
    h.broker.trade(1, ES.id, 'buy', 1);
    h.broker.trade(1, ES.id, 'sell', 1, 5997);
    await h.advance(30_000);
    expect(h.lockout(1)).toBeDefined();
    await h.crashAndRestart(10_000);
    expect(h.net(1, NQ.id)).toBe(2);
  });
});
