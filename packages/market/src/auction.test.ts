// The single-bus auction: hand-worked books for each rule (margin, ties, price range), and a property test
// against an independent welfare-maximising LP solved by HiGHS (written here, not the project's optimiser).
import { InputError } from '@gridledger/base';
import fc from 'fast-check';
import highsLoader from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clearSingleBus } from './auction.ts';
import type { Order, Side } from './types.ts';

const o = (id: string, side: Side, ...steps: [number, number][]): Order => ({
  id,
  bus: 1,
  side,
  steps: steps.map(([price, quantity]) => ({ price, quantity })),
});
const cleared = (r: ReturnType<typeof clearSingleBus>) =>
  Object.fromEntries(r.orders.map((x) => [x.id, x.cleared]));

describe('clearSingleBus: rules on worked books', () => {
  it('a partly cleared bid sets a unique price', () => {
    const r = clearSingleBus([o('b', 'buy', [40, 5]), o('s', 'sell', [20, 3])]);
    expect(r.priceRange).toEqual({ low: 40, high: 40 });
    expect(r.buses[0]!.lmp).toBe(40);
    expect(cleared(r)).toEqual({ b: 3, s: 3 });
    expect(r.welfare).toBe(60);
    expect(r.clearedMw).toBe(3);
  });
  it('a partly cleared offer sets a unique price', () => {
    const r = clearSingleBus([o('b', 'buy', [40, 2]), o('s', 'sell', [20, 3])]);
    expect(r.priceRange).toEqual({ low: 20, high: 20 });
    expect(cleared(r)).toEqual({ b: 2, s: 2 });
  });
  it('when both marginal steps clear exactly, the price is the midpoint of the clearing range', () => {
    // Range: at least the marginal offer (20) and the next bid (25); at most the marginal bid (40) and the
    // next offer (35) -> [25, 35], price 30.
    const r = clearSingleBus([
      o('b1', 'buy', [40, 3], [25, 4]),
      o('s1', 'sell', [20, 3]),
      o('s2', 'sell', [35, 1]),
    ]);
    expect(r.priceRange).toEqual({ low: 25, high: 35 });
    expect(r.buses[0]!.lmp).toBe(30);
    expect(r.orders[0]!.clearedSteps).toEqual([3, 0]);
    expect(cleared(r)).toEqual({ b1: 3, s1: 3, s2: 0 });
  });
  it('with one side exhausted, the open end is bounded by the other curve', () => {
    // All bids cleared, offers left at 35: range [20, 35] -> 27.5.
    const r = clearSingleBus([o('b', 'buy', [40, 3]), o('s', 'sell', [20, 3], [35, 2])]);
    expect(r.priceRange).toEqual({ low: 20, high: 35 });
    expect(r.buses[0]!.lmp).toBe(27.5);
    // Nothing left on either side: [20, 40] -> 30.
    const r2 = clearSingleBus([o('b', 'buy', [40, 3]), o('s', 'sell', [20, 3])]);
    expect(r2.priceRange).toEqual({ low: 20, high: 40 });
    expect(r2.buses[0]!.lmp).toBe(30);
  });
  it('no trade when the best bid is below the best offer; price between them', () => {
    const r = clearSingleBus([o('b', 'buy', [10, 3]), o('s', 'sell', [20, 3])]);
    expect(r.priceRange).toEqual({ low: 10, high: 20 });
    expect(r.buses[0]!.lmp).toBe(15);
    expect(cleared(r)).toEqual({ b: 0, s: 0 });
    expect(r.welfare).toBe(0);
  });
  it('a one-sided book clears nothing; the price is the finite end of the range', () => {
    expect(clearSingleBus([o('b', 'buy', [10, 3], [12, 1])]).priceRange).toEqual({ low: 12, high: Infinity });
    expect(clearSingleBus([o('b', 'buy', [10, 3], [12, 1])]).buses[0]!.lmp).toBe(12);
    expect(clearSingleBus([o('s', 'sell', [7, 3])]).buses[0]!.lmp).toBe(7);
    expect(clearSingleBus([o('s', 'sell', [7, 0])]).buses[0]!.lmp).toBe(0);
  });
  it('zero-surplus trades at equal prices clear (most volume among the optimal allocations)', () => {
    const r = clearSingleBus([o('b', 'buy', [30, 5]), o('s', 'sell', [30, 3])]);
    expect(cleared(r)).toEqual({ b: 3, s: 3 });
    expect(r.priceRange).toEqual({ low: 30, high: 30 });
    expect(r.welfare).toBe(0);
  });
  it('shares the marginal level pro rata among tied steps, whatever the input order', () => {
    const book = [
      o('s', 'sell', [10, 6]),
      o('b1', 'buy', [30, 2], [20, 4]),
      o('b2', 'buy', [20, 2]),
      o('b3', 'buy', [20, 6]),
    ];
    // 6 MW offered; 2 go to b1's first step; 4 shared by 12 MW bid at 20 -> one third each.
    const r = clearSingleBus(book);
    expect(r.buses[0]!.lmp).toBe(20);
    const c = cleared(r);
    expect(c.b1).toBeCloseTo(2 + 4 / 3, 12);
    expect(c.b2).toBeCloseTo(2 / 3, 12);
    expect(c.b3).toBeCloseTo(2, 12);
    const rev = clearSingleBus([...book].reverse());
    expect(cleared(rev)).toEqual(c);
  });
  it('treats float residue as an exhausted level (0.1 + 0.2 against 0.3)', () => {
    const r = clearSingleBus([
      o('b1', 'buy', [40, 0.1]),
      o('b2', 'buy', [40, 0.2]),
      o('s', 'sell', [20, 0.3]),
    ]);
    expect(r.priceRange).toEqual({ low: 20, high: 40 });
  });
  it('rejects an empty book and orders at two buses', () => {
    expect(() => clearSingleBus([])).toThrow(InputError);
    expect(() => clearSingleBus([o('a', 'buy', [1, 1]), { ...o('b', 'sell', [1, 1]), bus: 2 }])).toThrow(
      /order "b" is at bus 2, expected bus 1/,
    );
    expect(() => clearSingleBus([o('a', 'buy', [1, 1])], { bus: 5 })).toThrow(
      /order "a" is at bus 1, expected bus 5/,
    );
    expect(() => clearSingleBus([o('a', 'buy', [Number.NaN, 1])])).toThrow(
      /order "a" step 1: expected a finite price/,
    );
    expect(() => clearSingleBus([o('a', 'sell', [1, 1], [2, -1])])).toThrow(
      /order "a" step 2: .*quantity -1/,
    );
  });
});

type Highs = Awaited<ReturnType<typeof highsLoader>>;
let highs: Highs;
beforeAll(async () => {
  highs = await highsLoader();
});

/** Welfare-maximising LP of a one-bus book: min offers' cost - bids' value s.t. sold - bought = 0. */
function solveLp(orders: Order[]): { welfare: number; lambda: number; volume: number } {
  const obj: string[] = [];
  const bal: string[] = [];
  const bounds: string[] = [];
  orders.forEach((ord, i) => {
    ord.steps.forEach((s, k) => {
      const v = `x${i}_${k}`;
      obj.push(`${ord.side === 'buy' ? '-' : '+'} ${s.price} ${v}`);
      bal.push(`${ord.side === 'buy' ? '-' : '+'} ${v}`);
      bounds.push(` 0 <= ${v} <= ${s.quantity}`);
    });
  });
  const lp = `Minimize\n obj: ${obj.join(' ')}\nSubject To\n bal: ${bal.join(' ')} = 0\nBounds\n${bounds.join('\n')}\nEnd\n`;
  const sol = highs.solve(lp);
  expect(sol.Status).toBe('Optimal');
  const num = (x: unknown, key: 'Primal' | 'Dual'): number =>
    (x as Record<string, number> | undefined)?.[key] ?? 0;
  let volume = 0;
  orders.forEach((ord, i) => {
    if (ord.side !== 'buy') return;
    ord.steps.forEach((_s, k) => {
      volume += num(sol.Columns[`x${i}_${k}`], 'Primal');
    });
  });
  return { welfare: -sol.ObjectiveValue, lambda: num(sol.Rows[0], 'Dual'), volume };
}

const bookArb: fc.Arbitrary<Order[]> = fc
  .array(
    fc.record({
      side: fc.constantFrom('buy' as const, 'sell' as const),
      steps: fc.array(
        fc.record({ price: fc.integer({ min: 0, max: 20 }), quantity: fc.integer({ min: 0, max: 10 }) }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    { minLength: 1, maxLength: 10 },
  )
  .map((os) =>
    os.map((x, i) => ({
      id: `o${i}`,
      bus: 1,
      side: x.side,
      steps: x.steps.map((s) => ({ price: s.price, quantity: s.quantity / 2 })),
    })),
  );

describe('clearSingleBus agrees with a welfare-maximising LP (HiGHS)', () => {
  it('same welfare; the LP price lies in the auction range; unique prices are equal', () => {
    fc.assert(
      fc.property(bookArb, (book) => {
        const r = clearSingleBus(book);
        const lp = solveLp(book);
        expect(r.welfare).toBeCloseTo(lp.welfare, 9);
        const { low, high } = r.priceRange;
        expect(lp.lambda).toBeGreaterThanOrEqual(low - 1e-9);
        expect(lp.lambda).toBeLessThanOrEqual(high + 1e-9);
        if (low === high) expect(r.buses[0]!.lmp).toBeCloseTo(lp.lambda, 9);
        // Volume is unique unless the marginal bid and offer have equal prices; the auction takes the most.
        const bidP = r.orders
          .filter((x) => x.side === 'buy')
          .flatMap((x, _i) =>
            x.clearedSteps.map((c, k) =>
              c > 0 ? book.find((b) => b.id === x.id)!.steps[k]!.price : Infinity,
            ),
          );
        const offP = r.orders
          .filter((x) => x.side === 'sell')
          .flatMap((x) =>
            x.clearedSteps.map((c, k) =>
              c > 0 ? book.find((b) => b.id === x.id)!.steps[k]!.price : -Infinity,
            ),
          );
        const tie = Math.min(...bidP) === Math.max(...offP);
        if (tie) expect(r.clearedMw).toBeGreaterThanOrEqual(lp.volume - 1e-9);
        else expect(r.clearedMw).toBeCloseTo(lp.volume, 9);
      }),
      { numRuns: 300 },
    );
  });
  it('does not depend on the order of the input (orders or their position)', () => {
    fc.assert(
      fc.property(
        bookArb.chain((book) =>
          fc.tuple(fc.constant(book), fc.shuffledSubarray(book, { minLength: book.length })),
        ),
        ([book, shuffled]) => {
          const a = clearSingleBus(book);
          const b = clearSingleBus(shuffled);
          expect(b.buses[0]!.lmp).toBe(a.buses[0]!.lmp);
          expect(b.priceRange).toEqual(a.priceRange);
          const byId = new Map(b.orders.map((x) => [x.id, x]));
          for (const x of a.orders) {
            const y = byId.get(x.id)!;
            x.clearedSteps.forEach((c, k) => {
              expect(Math.abs(c - y.clearedSteps[k]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, c));
            });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
  it('is a competitive equilibrium at its price, and the range is the largest such set', () => {
    fc.assert(
      fc.property(bookArb, (book) => {
        const r = clearSingleBus(book);
        const p = r.buses[0]!.lmp;
        let bought = 0;
        let sold = 0;
        // Every step: fully cleared when in the money, not at all when out of it, partly only at p.
        const supports = (price: number) =>
          r.orders.every((x, i) =>
            x.clearedSteps.every((c, k) => {
              const s = book[i]!.steps[k]!;
              if (s.quantity === 0) return c === 0;
              const inMoney = x.side === 'buy' ? s.price > price : s.price < price;
              const outMoney = x.side === 'buy' ? s.price < price : s.price > price;
              if (inMoney) return Math.abs(c - s.quantity) < 1e-9;
              if (outMoney) return c === 0;
              return c >= 0 && c <= s.quantity;
            }),
          );
        r.orders.forEach((x) => {
          expect(x.cleared).toBeCloseTo(
            x.clearedSteps.reduce((a, b) => a + b, 0),
            12,
          );
          if (x.side === 'buy') bought += x.cleared;
          else sold += x.cleared;
          expect(x.price).toBe(p);
        });
        expect(bought).toBeCloseTo(sold, 9);
        expect(bought).toBeCloseTo(r.clearedMw, 9);
        expect(p).toBeGreaterThanOrEqual(r.priceRange.low);
        expect(p).toBeLessThanOrEqual(r.priceRange.high);
        expect(supports(p)).toBe(true);
        if (Number.isFinite(r.priceRange.low)) {
          expect(supports(r.priceRange.low)).toBe(true);
          expect(supports(r.priceRange.low - 0.25)).toBe(false);
        }
        if (Number.isFinite(r.priceRange.high)) {
          expect(supports(r.priceRange.high)).toBe(true);
          expect(supports(r.priceRange.high + 0.25)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
