import { describe, expect, it } from 'vitest';
import { roundCents, wireTimestamp } from './format.js';
import fc from 'fast-check';
import {
  encodeInvocation,
  encodeQuoteInvocation,
  encodeRecord,
  parseMessage,
  splitRecords,
} from './hub-protocol.js';
import { Prng, deriveSeed } from './prng.js';
import { RateLimiter } from './rate-limiter.js';
import { Recorder } from './recorder.js';
import { SimulatorClock } from './sim-clock.js';

describe('prng', () => {
  it('when mulberry32 is seeded with 1 then it yields its known first values', () => {
    const prng = new Prng(1);
    expect([prng.next(), prng.next(), prng.next()]).toEqual([
      0.6270739405881613, 0.002735721180215478, 0.5274470399599522,
    ]);
  });

  it('when two streams share a seed then they are reproducible and distinct', () => {
    const a = new Prng(deriveSeed(5, 'walk:A'));
    const b = new Prng(deriveSeed(5, 'walk:A'));
    const c = new Prng(deriveSeed(5, 'walk:B'));
    const seq = (p: Prng) => Array.from({ length: 5 }, () => p.int(-2, 2));
    const first = seq(a);
    expect(seq(b)).toEqual(first);
    expect(seq(c)).not.toEqual(first);
  });
});

describe('hub protocol', () => {
  it('when records are split across frames then complete ones are returned and the tail is kept', () => {
    const both = encodeRecord({ type: 6 }) + encodeRecord({ type: 1, target: 'x', arguments: [] });
    const cut = both.length - 5;
    const first = splitRecords(both.slice(0, cut));
    expect(first.records).toEqual(['{"type":6}']);
    const second = splitRecords(first.rest + both.slice(cut));
    expect(second).toEqual({ records: ['{"type":1,"target":"x","arguments":[]}'], rest: '' });
  });

  it('when a quote is encoded by hand then it equals the JSON.stringify encoding (property)', () => {
    const price = fc.double({ min: -1e7, max: 1e7, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        price,
        price,
        price,
        price,
        fc.nat(),
        fc.integer({ min: 0, max: 4e12 }),
        (id, symbol, name, a, b, c, d, volume, ms) => {
          const ts = wireTimestamp(ms);
          const quote = {
            symbol,
            symbolName: name,
            lastPrice: a,
            bestBid: b,
            bestAsk: c,
            change: d,
            changePercent: a,
            open: b,
            high: c,
            low: d,
            volume,
            lastUpdated: ts,
            timestamp: ts,
          };
          expect(encodeQuoteInvocation(id, quote)).toBe(encodeInvocation('GatewayQuote', [id, quote]));
        },
      ),
    );
  });

  it('when a record is not a typed JSON object then it does not parse', () => {
    expect(parseMessage('{"type":6}')).toEqual({ type: 6 });
    expect(parseMessage('[1]')).toBeNull();
    expect(parseMessage('{nope')).toBeNull();
    expect(parseMessage('{"type":"6"}')).toBeNull();
  });
});

describe('formatting', () => {
  it('when a time is formatted then it has +00:00 and six fractional digits', () => {
    expect(wireTimestamp(Date.parse('2026-11-26T15:00:00.123Z'))).toBe('2026-11-26T15:00:00.123000+00:00');
  });

  it('when dollars are rounded then halves go away from zero', () => {
    expect(roundCents(0.125)).toBe(0.13);
    expect(roundCents(-0.125)).toBe(-0.13);
    expect(roundCents(12.833333)).toBe(12.83);
    expect(Object.is(roundCents(-0.001), 0)).toBe(true);
  });
});

describe('simulator clock', () => {
  it('when the clock is real then it follows wall time plus the offset; set and advance move it', () => {
    let wall = 1_000;
    const clock = new SimulatorClock({ start: 5_000 }, () => wall);
    wall += 10;
    expect(clock.now()).toBe(5_010);
    clock.advance(1_000);
    expect(clock.now()).toBe(6_010);
    clock.set('1970-01-01T00:00:10Z');
    wall += 5;
    expect(clock.now()).toBe(10_005);
  });

  it('when the clock is manual then wall time does not move it', () => {
    let wall = 0;
    const clock = new SimulatorClock({ start: 100, mode: 'manual' }, () => wall);
    wall = 50;
    expect(clock.now()).toBe(100);
    clock.setMode('real');
    wall = 60;
    expect(clock.now()).toBe(110);
  });
});

describe('rate limiter', () => {
  it('when the window slides then old requests stop counting and refused ones never count', () => {
    let now = 0;
    const limiter = new RateLimiter(
      { enabled: true, general: { limit: 2, windowMs: 1000 }, bars: { limit: 1, windowMs: 1000 } },
      () => now,
    );
    expect(limiter.check('general', 'u').allowed).toBe(true);
    now = 400;
    expect(limiter.check('general', 'u').allowed).toBe(true);
    expect(limiter.check('general', 'u')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.check('general', 'other').allowed).toBe(true);
    now = 1000;
    expect(limiter.check('general', 'u').allowed).toBe(true);
    expect(limiter.check('general', 'u').allowed).toBe(false);
  });
});

describe('recorder ring', () => {
  it('when more entries than the capacity arrive then the oldest are overwritten, in order', () => {
    const recorder = new Recorder({ capacity: 3 });
    for (let i = 0; i < 5; i++) {
      recorder.record({
        kind: 'event',
        method: 'SEND',
        path: '/hubs/market',
        target: `e${i}`,
        connectionId: 'c',
        status: null,
        authorization: null,
        body: i,
      });
    }
    expect(recorder.list().map((e) => e.target)).toEqual(['e2', 'e3', 'e4']);
    recorder.configure({ capacity: 2 });
    expect(recorder.list().map((e) => e.seq)).toEqual([4, 5]);
    expect(recorder.query({ target: 'e4' })).toHaveLength(1);
  });
});
