import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decomposeTrades, shareInOrder, shareProRata } from './trades.ts';

describe('decomposeTrades (merit order)', () => {
  it('matches the cheapest seller with the highest bidder first', () => {
    const { trades } = decomposeTrades(
      [
        { orderId: 3n, meritPrice: 30n, energyWh: 5n },
        { orderId: 1n, meritPrice: 10n, energyWh: 4n },
      ],
      [
        { orderId: 2n, meritPrice: 50n, energyWh: 6n },
        { orderId: 4n, meritPrice: 90n, energyWh: 3n },
      ],
    );
    expect(trades).toEqual([
      { sellerOrder: 1n, buyerOrder: 4n, energyWh: 3n },
      { sellerOrder: 1n, buyerOrder: 2n, energyWh: 1n },
      { sellerOrder: 3n, buyerOrder: 2n, energyWh: 5n },
    ]);
  });

  it('conserves energy per party and leaves only the longer side over (property)', () => {
    const party = fc.record({
      meritPrice: fc.bigInt({ min: 0n, max: 100n }),
      energyWh: fc.bigInt({ min: 0n, max: 1000n }),
    });
    fc.assert(
      fc.property(fc.array(party, { maxLength: 8 }), fc.array(party, { maxLength: 8 }), (s, b) => {
        const sellers = s.map((p, i) => ({ ...p, orderId: BigInt(i + 1) }));
        const buyers = b.map((p, i) => ({ ...p, orderId: BigInt(i + 100) }));
        const r = decomposeTrades(sellers, buyers);
        const sumS = sellers.reduce((a, p) => a + p.energyWh, 0n);
        const sumB = buyers.reduce((a, p) => a + p.energyWh, 0n);
        const traded = r.trades.reduce((a, t) => a + t.energyWh, 0n);
        expect(traded + r.unmatchedSellWh).toBe(sumS);
        expect(traded + r.unmatchedBuyWh).toBe(sumB);
        expect(r.unmatchedSellWh === 0n || r.unmatchedBuyWh === 0n).toBe(true);
        for (const p of sellers) {
          const got = r.trades
            .filter((t) => t.sellerOrder === p.orderId)
            .reduce((a, t) => a + t.energyWh, 0n);
          expect(got).toBeLessThanOrEqual(p.energyWh);
        }
        expect(r.trades.every((t) => t.energyWh > 0n)).toBe(true);
      }),
    );
  });
});

describe('shareProRata', () => {
  it('floors, then gives the remainder to the largest remainders, ties to the earlier', () => {
    expect(shareProRata(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n]);
    expect(shareProRata(5n, [2n, 6n])).toEqual([1n, 4n]);
    expect(shareProRata(0n, [2n, 6n])).toEqual([0n, 0n]);
  });

  it('sums to the delivery and never exceeds a weight when delivery <= total (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 10 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (w, f) => {
          const total = w.reduce((a, b) => a + b, 0n);
          const d = BigInt(Math.floor(Number(total) * f));
          const s = shareProRata(d, w);
          expect(s.reduce((a, b) => a + b, 0n)).toBe(d);
          s.forEach((x, i) => {
            expect(x).toBeLessThanOrEqual(w[i]!);
            expect(x).toBeGreaterThanOrEqual(0n);
          });
        },
      ),
    );
  });
});

describe('shareInOrder', () => {
  it('a running total floored: the remainder falls where the running share crosses a unit', () => {
    expect(shareInOrder(10n, [1n, 1n, 1n])).toEqual([3n, 3n, 4n]);
    expect(shareInOrder(399_999n, [600_000n, 25_000n])).toEqual([383_999n, 16_000n]);
    expect(shareInOrder(0n, [2n, 6n])).toEqual([0n, 0n]);
    expect(shareInOrder(5n, [0n, 0n])).toEqual([0n, 0n]);
  });

  it('sums to the amount; each share is the floor or ceiling of its exact share (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (w, f) => {
          const total = w.reduce((a, b) => a + b, 0n);
          fc.pre(total > 0n);
          const d = (total * BigInt(Math.floor(f * 1e6))) / 1_000_000n;
          const s = shareInOrder(d, w);
          expect(s.reduce((a, b) => a + b, 0n)).toBe(d);
          s.forEach((x, i) => {
            const floor = (d * w[i]!) / total;
            expect(x === floor || x === floor + 1n).toBe(true);
            expect(x).toBeLessThanOrEqual(w[i]!);
          });
        },
      ),
    );
  });
});
