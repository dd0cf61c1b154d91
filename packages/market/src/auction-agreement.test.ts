// The single-bus auction agrees with the optimiser: on random books, clearSingleBus and clearNetwork on a
// one-bus network without generators or load give the same welfare, the optimiser's price lies in the
// auction's price range (and equals the auction's price when that is unique), and the same volume
// unless the marginal bid and offer are priced equally, to the solver's tolerance (then the auction
// takes the most volume).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearSingleBus } from './auction.ts';
import { clearNetwork } from './network-clearing.ts';
import { bus, network } from './test-networks.ts';
import type { Order } from './types.ts';

const oneBus = (id: number) => network([bus(id, 0, 3)], []);

const bookArb = (quantity: fc.Arbitrary<number>, price: fc.Arbitrary<number>): fc.Arbitrary<Order[]> =>
  fc
    .array(
      fc.record({
        side: fc.constantFrom('buy' as const, 'sell' as const),
        steps: fc.array(fc.record({ price, quantity }), { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 12 },
    )
    .map((os) => os.map((x, i) => ({ id: `o${i}`, bus: 4, side: x.side, steps: x.steps })));

/** Lowest price among cleared bid steps and highest among cleared offer steps. */
function marginalPrices(book: Order[], cleared: number[][]): { bid: number; offer: number } {
  let bid = Infinity;
  let offer = -Infinity;
  book.forEach((o, i) => {
    o.steps.forEach((s, k) => {
      if (cleared[i]![k]! > 1e-9) {
        if (o.side === 'buy') bid = Math.min(bid, s.price);
        else offer = Math.max(offer, s.price);
      }
    });
  });
  return { bid, offer };
}

async function agree(book: Order[]): Promise<void> {
  const a = clearSingleBus(book);
  const n = await clearNetwork(oneBus(4), book);
  expect(n.status).toBe('optimal');
  const scale = Math.max(1, Math.abs(a.welfare));
  expect(Math.abs(a.welfare - n.welfare)).toBeLessThanOrEqual(1e-7 * scale);
  const lambda = n.buses[0]!.lmp;
  const { low, high } = a.priceRange;
  expect(lambda).toBeGreaterThanOrEqual(low - 1e-6);
  expect(lambda).toBeLessThanOrEqual(high + 1e-6);
  if (low === high) expect(Math.abs(a.buses[0]!.lmp - lambda)).toBeLessThanOrEqual(1e-6);
  const volume = n.orders.filter((o) => o.side === 'buy').reduce((s, o) => s + o.cleared, 0);
  const m = marginalPrices(
    book,
    a.orders.map((o) => o.clearedSteps),
  );
  // Prices within the solver's tolerance of each other count as a tie.
  if (m.bid - m.offer <= 1e-7 * Math.max(1, Math.abs(m.bid)))
    expect(a.clearedMw).toBeGreaterThanOrEqual(volume - 1e-6);
  else expect(Math.abs(a.clearedMw - volume)).toBeLessThanOrEqual(1e-6 * Math.max(1, volume));
  // Each order: the optimiser's allocation is also unique outside ties; compare where the order's steps
  // are all strictly in or out of the money at the auction's price range.
  book.forEach((o, i) => {
    const strict = o.steps.every((s) => s.price < low - 1e-7 || s.price > high + 1e-7);
    if (strict) expect(Math.abs(a.orders[i]!.cleared - n.orders[i]!.cleared)).toBeLessThanOrEqual(1e-6);
  });
}

describe('single-bus auction agrees with clearNetwork on one bus', () => {
  it('integer prices and half-MW quantities (many ties and ranges)', async () => {
    await fc.assert(
      fc.asyncProperty(
        bookArb(
          fc.integer({ min: 0, max: 20 }).map((q) => q / 2),
          fc.integer({ min: 0, max: 15 }),
        ),
        agree,
      ),
      { numRuns: 60 },
    );
  });
  // Prices at micro-dollar resolution (the settlement unit): distinct prices then differ by far more than
  // the solver's tolerance, which would otherwise see 0 and 5e-324 as one price.
  it('float prices (to the micro-dollar) and float quantities', async () => {
    await fc.assert(
      fc.asyncProperty(
        bookArb(
          fc.double({ min: 0.001, max: 100, noNaN: true }),
          fc.double({ min: 0, max: 500, noNaN: true }).map((p) => Math.round(p * 1e6) / 1e6),
        ),
        agree,
      ),
      { numRuns: 40 },
    );
  });
});
