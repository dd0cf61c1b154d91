// Fair clearing on the network path (issue 13, docs/market-rules.md §6a): ties share pro rata and prices
// are the midpoint of each bus's range of optimal duals, as the one-bus auction does. The hand-made
// exploit books come first: each made the network path answer differently from the auction (a 3/1 split
// by order id instead of 2/2; a price at one end of the range instead of the midpoint). Then the
// property: a one-bus and a copper-plate two-bus network give the auction's prices, and its quantities
// where tied steps sit at one bus.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearSingleBus } from './auction.ts';
import { verifyCertificate } from './certificate.ts';
import { clearNetwork } from './network-clearing.ts';
import { branch, bus, gen, network } from './test-networks.ts';
import type { Order } from './types.ts';

const order = (id: string, at: number, side: 'buy' | 'sell', price: number, quantity: number): Order => ({
  id,
  bus: at,
  side,
  steps: [{ price, quantity }],
});
const oneBus = () => network([bus(1, 0, 3)], []);
/** Two buses joined by an unlimited line: one price, two places. */
const copperPlate = () => network([bus(1, 0, 3), bus(2)], [branch(1, 1, 2, 0.01, 0)]);
const cleared = (r: { orders: { id: string; cleared: number }[] }) =>
  Object.fromEntries(r.orders.map((o) => [o.id, o.cleared]));

describe('exploits of the network path (hand-made books of issue 13)', () => {
  it('tied sellers share 2/2 whatever their order in the book, on one bus and on two', async () => {
    const book = [order('sA', 1, 'sell', 30, 3), order('sB', 1, 'sell', 30, 3), order('b1', 1, 'buy', 40, 4)];
    for (const net of [oneBus(), copperPlate()]) {
      for (const b of [book, [book[1]!, book[0]!, book[2]!]]) {
        const r = await clearNetwork(net, b);
        expect(r.status).toBe('optimal');
        const c = cleared(r);
        expect(c.sA).toBeCloseTo(2, 9);
        expect(c.sB).toBeCloseTo(2, 9);
        expect(c.b1).toBeCloseTo(4, 9);
        expect(verifyCertificate(r.certificate).ok).toBe(true);
      }
    }
  });

  it('a range prices at its midpoint (30), not at the vertex the solver finds (20)', async () => {
    const book = [order('b1', 1, 'buy', 40, 3), order('s1', 1, 'sell', 20, 3)];
    for (const net of [oneBus(), copperPlate()]) {
      const r = await clearNetwork(net, book);
      for (const b of r.buses) {
        expect(b.lmp).toBeCloseTo(30, 9);
        expect(b.lmpLow).toBeCloseTo(20, 9);
        expect(b.lmpHigh).toBeCloseTo(40, 9);
      }
      expect(r.orders.map((o) => o.price)).toEqual([30, 30].map((v) => expect.closeTo(v, 9)));
      expect(verifyCertificate(r.certificate).ok).toBe(true);
      expect(r.certificate.rowDual[0]).toBeCloseTo(30, 9);
    }
  });

  it('the on-chain shape (upstream offer at 100, bid at 20 as orders) prices like the auction', async () => {
    const book = [
      order('b1', 1, 'buy', 40, 3),
      order('s1', 1, 'sell', 20, 3),
      order('up-sell', 1, 'sell', 100, 1000),
      order('up-buy', 1, 'buy', 20, 1000),
    ];
    const auction = clearSingleBus(book);
    for (const net of [oneBus(), copperPlate()]) {
      const r = await clearNetwork(net, book);
      for (const b of r.buses) {
        expect(b.lmp).toBeCloseTo(auction.buses[0]!.lmp, 9);
        expect(b.lmpLow).toBeCloseTo(auction.priceRange.low, 9);
        expect(b.lmpHigh).toBeCloseTo(auction.priceRange.high, 9);
      }
      expect(verifyCertificate(r.certificate).ok).toBe(true);
    }
  });

  it('a one-bus network with a generator (so not the auction path) still prices at the midpoint', async () => {
    // Generator at 25 $/MWh, 10 MW, fully used; the bid at 40 for 10 MW fully served: price in [25, 40].
    const net = network([bus(1, 0, 3)], [], [gen(1, 1, 10, 25)]);
    const r = await clearNetwork(net, [order('b', 1, 'buy', 40, 10)]);
    expect(r.buses[0]!.lmp).toBeCloseTo(32.5, 9);
    expect(r.buses[0]!.lmpLow).toBeCloseTo(25, 9);
    expect(r.buses[0]!.lmpHigh).toBeCloseTo(40, 9);
    expect(verifyCertificate(r.certificate).ok).toBe(true);
  });

  it('a range open on one side takes the finite end, as the auction; a configured cap closes it', async () => {
    // Only a bid, nothing to sell: the price is at least the bid and unbounded above.
    const net = copperPlate();
    const book = [order('b', 1, 'buy', 40, 3)];
    const r = await clearNetwork(net, book);
    expect(r.buses[0]!.lmp).toBeCloseTo(40, 9);
    expect(r.buses[0]!.lmpLow).toBeCloseTo(40, 9);
    expect(r.buses[0]!.lmpHigh).toBe(Number.POSITIVE_INFINITY);
    expect(clearSingleBus(book).buses[0]!.lmp).toBeCloseTo(40, 9);
    const capped = await clearNetwork(net, book, { priceCap: 100 });
    expect(capped.buses[0]!.lmp).toBeCloseTo(70, 9);
    expect(capped.buses[0]!.lmpHigh).toBeCloseTo(100, 9);
    expect(verifyCertificate(capped.certificate).ok).toBe(true);
  });

  it('a congested line keeps its unique prices and publishes ranges of zero width', async () => {
    const net = network([bus(1, 0, 3), bus(2)], [branch(1, 1, 2, 0.1, 5)]);
    const r = await clearNetwork(net, [order('s', 1, 'sell', 10, 20), order('b', 2, 'buy', 60, 20)]);
    expect(r.buses.map((b) => b.lmp)).toEqual([10, 60].map((v) => expect.closeTo(v, 9)));
    expect(r.buses.map((b) => b.lmpHigh! - b.lmpLow!)).toEqual([0, 0].map((v) => expect.closeTo(v, 9)));
    expect(r.branches[0]!.muFrom).toBeCloseTo(50, 9);
    expect(r.congestionRent).toBeCloseTo(250, 6);
  });
});

const bookArb = (buses: number[]): fc.Arbitrary<Order[]> =>
  fc
    .array(
      fc.record({
        bus: fc.constantFrom(...buses),
        side: fc.constantFrom('buy' as const, 'sell' as const),
        steps: fc.array(
          fc.record({
            price: fc.integer({ min: 0, max: 15 }),
            quantity: fc.integer({ min: 0, max: 20 }).map((q) => q / 2),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      { minLength: 1, maxLength: 12 },
    )
    .map((os) => os.map((x, i) => ({ id: `o${i}`, bus: x.bus, side: x.side, steps: x.steps })));

/** Compares a network clearing with the auction on the same book (all orders moved to one bus). */
async function agree(book: Order[], net: ReturnType<typeof network>): Promise<void> {
  const a = clearSingleBus(book.map((o) => ({ ...o, bus: 1 })));
  const r = await clearNetwork(net, book);
  expect(r.status).toBe('optimal');
  expect(verifyCertificate(r.certificate).ok).toBe(true);
  for (const b of r.buses) {
    expect(b.lmp).toBeCloseTo(a.buses[0]!.lmp, 6);
    expect(b.lmpLow).toBeCloseTo(a.priceRange.low, 6);
    expect(b.lmpHigh).toBeCloseTo(a.priceRange.high, 6);
  }
  // Quantities. Strictly inside a range of prices no step is marginal, so every optimal allocation is the
  // auction's. With a unique price λ, only steps priced at λ may clear in part: unique too (ties pro rata)
  // when all steps sit at one bus, unless bids and offers are both priced at λ (any volume is optimal
  // there, and the auction takes the most).
  const { low, high } = a.priceRange;
  const atLambda = (side: 'buy' | 'sell') =>
    book.some((o) => o.side === side && o.steps.some((s) => s.price === low && s.quantity > 0));
  const oneBusBook = new Set(book.map((o) => o.bus)).size === 1;
  if (low < high || (oneBusBook && !(atLambda('buy') && atLambda('sell')))) {
    book.forEach((o, i) => {
      o.steps.forEach((_, k) => {
        expect(r.orders[i]!.clearedSteps[k]).toBeCloseTo(a.orders[i]!.clearedSteps[k]!, 6);
      });
    });
  }
}

describe('property: the network path prices like the one-bus auction', () => {
  it('one-bus network', async () => {
    await fc.assert(
      fc.asyncProperty(bookArb([1]), (b) => agree(b, oneBus())),
      { numRuns: 60 },
    );
  });
  it('copper-plate two-bus network', async () => {
    await fc.assert(
      fc.asyncProperty(bookArb([1, 2]), (b) => agree(b, copperPlate())),
      { numRuns: 60 },
    );
  });
});
