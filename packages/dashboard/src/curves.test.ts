// Supply and demand curves from a gl_orders book: merged price levels in merit order, the upstream as
// supplier and buyer of last resort, reduction of large books to a bounded number of points with the
// total kept, and the book summary (largest buyers and sellers by cleared energy).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCurves, type RpcOrder, summariseBook } from './curves.ts';

const USD = 1_000_000;
let nextId = 1;
function order(
  side: 'buy' | 'sell',
  steps: [wh: number, usd: number][],
  owner = '0xa',
  clearedWh = 0,
  bus = 2,
): RpcOrder {
  return {
    id: String(nextId++),
    owner,
    bus,
    side,
    steps: steps.map(([wh, usd]) => ({ energyWh: String(wh), priceMicrosPerMWh: String(usd * USD) })),
    status: clearedWh > 0 ? 'cleared' : 'open',
    clearedWh: String(clearedWh),
    priceMicrosPerMWh: '0',
    amount: '0',
  };
}

describe('buildCurves', () => {
  it('merges equal prices and orders supply ascending, demand descending, upstream included', () => {
    const book = [
      order('sell', [
        [1_000, 30],
        [500, 10],
      ]),
      order('sell', [[2_000, 10]]),
      order('buy', [[1_500, 80]]),
      order('buy', [
        [700, 90],
        [300, 80],
      ]),
      order('buy', [[999, 50]], '0xb'),
    ];
    book[4]!.status = 'cancelled';
    const c = buildCurves(book, {
      importPriceMicrosPerMWh: 100n * 1_000_000n,
      exportPriceMicrosPerMWh: 20n * 1_000_000n,
      capacityWh: 10_000n,
    });
    expect(c.supply).toEqual([
      [2.5, 10],
      [3.5, 30],
      [13.5, 100],
    ]);
    expect(c.demand).toEqual([
      [0.7, 90],
      [2.5, 80],
      [12.5, 20],
    ]);
    expect(c.localSupplyKWh).toBe(3.5);
    expect(c.localDemandKWh).toBe(2.5);
  });

  it('reduces a large book to at most maxPoints levels and keeps its total and price range (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 0, max: 500 })), {
          minLength: 1,
          maxLength: 400,
        }),
        fc.integer({ min: 2, max: 50 }),
        (steps, maxPoints) => {
          const c = buildCurves([order('sell', steps)], undefined, maxPoints);
          const total = steps.reduce((s, [wh]) => s + wh, 0) / 1000;
          expect(c.supply.length).toBeLessThanOrEqual(maxPoints + 1);
          expect(c.supply[c.supply.length - 1]![0]).toBeCloseTo(total, 9);
          expect(c.supply[c.supply.length - 1]![1]).toBe(Math.max(...steps.map(([, p]) => p)));
          for (let i = 1; i < c.supply.length; i++) {
            expect(c.supply[i]![0]).toBeGreaterThan(c.supply[i - 1]![0]);
            expect(c.supply[i]![1]).toBeGreaterThan(c.supply[i - 1]![1]);
          }
        },
      ),
    );
  });
});

describe('summariseBook', () => {
  it('totals cleared energy per side and ranks parties', () => {
    const s = summariseBook([
      order('sell', [[10_000, 10]], '0xs1', 6_000, 18),
      order('sell', [[10_000, 10]], '0xs2', 9_000, 17),
      order('buy', [[5_000, 90]], '0xb1', 5_000, 8),
      order('buy', [[5_000, 90]], '0xb1', 4_000, 8),
      order('buy', [[7_000, 90]], '0xb2', 6_000, 25),
      order('buy', [[7_000, 10]], '0xb3', 0, 25),
    ]);
    expect(s).toMatchObject({
      orders: 6,
      buyOrders: 4,
      sellOrders: 2,
      clearedBuyWh: 15_000,
      clearedSellWh: 15_000,
    });
    expect(s.topBuyers.map((t) => [t.address, t.clearedWh])).toEqual([
      ['0xb1', 9_000],
      ['0xb2', 6_000],
    ]);
    expect(s.topSellers.map((t) => t.address)).toEqual(['0xs2', '0xs1']);
  });
});
