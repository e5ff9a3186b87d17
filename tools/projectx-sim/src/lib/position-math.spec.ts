import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyFill, fillFees, realizedPnl } from './position-math.js';

/** The document's tick table (PROJECTX-GATEWAY.md §8). */
const PRODUCTS = [
  { name: 'MNQ', tickSize: 0.25, tickValue: 0.5 },
  { name: 'NQ', tickSize: 0.25, tickValue: 5 },
  { name: 'ES', tickSize: 0.25, tickValue: 12.5 },
  { name: 'MES', tickSize: 0.25, tickValue: 1.25 },
] as const;

describe('position arithmetic', () => {
  it.each([
    // product, entry, exit, size, long → dollars
    ['MNQ', 21000, 21010, 2, 40], // 40 ticks × 0.50 × 2
    ['NQ', 21000, 21010, 2, 400], // 40 ticks × 5.00 × 2
    ['ES', 6064.25, 6065.25, 1, 50], // the document's Trade/search example
    ['MES', 6000, 5990.5, 3, -142.5], // −38 ticks × 1.25 × 3
  ] as const)(
    'when a long %s from %d closes at %d × %d then the gross P&L is %d dollars',
    (name, entry, exit, size, dollars) => {
      const p = PRODUCTS.find((x) => x.name === name)!;
      expect(realizedPnl(1, entry, exit, size, p.tickSize, p.tickValue)).toBe(dollars);
      expect(realizedPnl(2, entry, exit, size, p.tickSize, p.tickValue)).toBe(-dollars); // a short loses what a long gains
    },
  );

  it('when MNQ appendix B round trip (buy 2, sell 2 at +4 ticks) is applied then profitAndLoss is 4 × 0.50 × 2', () => {
    const open = applyFill(null, 0, 2, 21000, 0.25, 0.5);
    expect(open).toEqual({
      closedQty: 0,
      openedQty: 2,
      realized: null,
      after: { type: 1, size: 2, averagePrice: 21000 },
      closedPrevious: false,
    });
    const close = applyFill(open.after, 1, 2, 21001, 0.25, 0.5);
    expect(close).toEqual({ closedQty: 2, openedQty: 0, realized: 4, after: null, closedPrevious: true });
  });

  it('when a short adds at a lower price then the average is weighted by size', () => {
    const after = applyFill({ type: 2, size: 1, averagePrice: 6000 }, 1, 3, 5990, 0.25, 12.5).after;
    expect(after).toEqual({ type: 2, size: 4, averagePrice: 5992.5 });
  });

  it('when a fill is larger than the opposite position then it flips at the fill price', () => {
    const outcome = applyFill({ type: 1, size: 2, averagePrice: 100 }, 1, 5, 101, 0.25, 5);
    expect(outcome).toEqual({
      closedQty: 2,
      openedQty: 3,
      realized: 40,
      after: { type: 2, size: 3, averagePrice: 101 },
      closedPrevious: true,
    });
  });

  it('when a partial close happens then the average price does not move', () => {
    const outcome = applyFill({ type: 1, size: 3, averagePrice: 21503.583333333 }, 1, 1, 21510, 0.25, 0.5);
    expect(outcome.after).toEqual({ type: 1, size: 2, averagePrice: 21503.583333333 });
    expect(outcome.realized).toBe(12.83);
  });

  it('when fees are computed then they are per side per contract, in cents', () => {
    expect(fillFees(0.37, 3)).toBe(1.11);
    expect(fillFees(1.4, 2)).toBe(2.8);
  });

  it('when any tick-aligned round trip closes then P&L = ticks × tickValue × size (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PRODUCTS),
        fc.integer({ min: 20_000, max: 100_000 }),
        fc.integer({ min: -400, max: 400 }),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom(0 as const, 1 as const),
        (p, entryTicks, moveTicks, size, side) => {
          const entry = entryTicks * p.tickSize;
          const exit = (entryTicks + moveTicks) * p.tickSize;
          const open = applyFill(null, side, size, entry, p.tickSize, p.tickValue);
          const close = applyFill(open.after, side === 0 ? 1 : 0, size, exit, p.tickSize, p.tickValue);
          const expected = Math.round(moveTicks * p.tickValue * size * (side === 0 ? 1 : -1) * 100) / 100;
          expect(close.realized).toBeCloseTo(expected, 9);
          expect(close.after).toBeNull();
        },
      ),
    );
  });

  it('when a position is built in pieces and closed in pieces then the P&L pieces add up to the whole within a cent per piece (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ticks: fc.integer({ min: 80_000, max: 80_100 }),
            size: fc.integer({ min: 1, max: 5 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 80_000, max: 80_100 }),
        (buys, exitTicks) => {
          const tick = 0.25;
          let position = null as ReturnType<typeof applyFill>['after'];
          for (const b of buys) position = applyFill(position, 0, b.size, b.ticks * tick, tick, 0.5).after;
          const total = buys.reduce((n, b) => n + b.size, 0);
          const exact = buys.reduce((sum, b) => sum + (exitTicks - b.ticks) * 0.5 * b.size, 0);
          let realized = 0;
          let pieces = 0;
          while (position) {
            const o = applyFill(position, 1, 1, exitTicks * tick, tick, 0.5);
            realized += o.realized ?? 0;
            pieces++;
            position = o.after;
          }
          expect(pieces).toBe(total);
          expect(Math.abs(realized - exact)).toBeLessThanOrEqual(0.005 * pieces + 1e-9);
        },
      ),
    );
  });
});
