// Network clearing and its integer settlement: on random small networks with the case's own generators
// and loads and random books, clearNetwork balances power, keeps flows and generators within limits,
// clears no step against its price, gives one price when no line binds (connected); and in settlement money
// balances exactly, energy balances to the Wh, the rent is >= 0, a single price (no binding line) leaves
// only rounding as rent, and the integer rent is the float congestion rent over the interval to within
// the rounding bound of docs/market-rules.md.
import type { Branch, Generator, Network } from '@gridledger/grid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearNetwork } from './network-clearing.ts';
import { caseSettlementParties, settleClearing } from './settlement.ts';
import { branch, bus, gen } from './test-networks.ts';
import type { Order } from './types.ts';

/**
 * A random network: a tree with limits plus unlimited extra lines, bus ids 10, 20, ...; in a third of the
 * cases some tree lines are cut and there are no extra lines, which leaves islands with their own prices;
 * loads only where a local generator can serve them (so every scenario is feasible), more generators
 * elsewhere, and random orders.
 */
const scenario = fc
  .record({
    nBus: fc.integer({ min: 1, max: 6 }),
    tree: fc.array(
      fc.tuple(fc.nat(), fc.integer({ min: 5, max: 50 }), fc.integer({ min: 1, max: 60 }), fc.boolean()),
      { minLength: 5, maxLength: 5 },
    ),
    islands: fc.integer({ min: 0, max: 2 }).map((k) => k === 0),
    extra: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 5, max: 50 })), { maxLength: 2 }),
    gens: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 90 })), {
      maxLength: 4,
    }),
    loads: fc.array(
      fc.tuple(
        fc.nat(),
        fc.integer({ min: 0, max: 300 }).map((x) => x / 10),
      ),
      { maxLength: 3 },
    ),
    orders: fc.array(
      fc.record({
        bus: fc.nat(),
        side: fc.constantFrom('buy' as const, 'sell' as const),
        steps: fc.array(
          fc.record({
            price: fc.integer({ min: 0, max: 100_000 }).map((p) => p / 1000),
            quantity: fc.integer({ min: 0, max: 40_000 }).map((q) => q / 1000),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    minutes: fc.constantFrom(1, 5, 15, 60),
  })
  .map(({ nBus, tree, islands, extra, gens, loads, orders, minutes }) => {
    const id = (i: number) => 10 * (i + 1);
    const pd = new Array(nBus).fill(0);
    for (const [b, mw] of loads) pd[b % nBus] += mw;
    const buses = pd.map((mw, i) => bus(id(i), mw, i === 0 ? 3 : 1));
    const generators: Generator[] = [];
    pd.forEach((mw, i) => {
      if (mw > 0) generators.push(gen(generators.length + 1, id(i), mw + 5, 30 + i));
    });
    for (const [b, pmax, c1] of gens) generators.push(gen(generators.length + 1, id(b % nBus), pmax, c1));
    const branches: Branch[] = [];
    for (let i = 1; i < nBus; i++) {
      const [p, x, rate, cut] = tree[i - 1]!;
      if (islands && cut) continue;
      branches.push(branch(branches.length + 1, id(p % i), id(i), x / 100, rate));
    }
    for (const [a, b, x] of islands ? [] : extra) {
      if (a % nBus !== b % nBus)
        branches.push(branch(branches.length + 1, id(a % nBus), id(b % nBus), x / 100, 0));
    }
    const net: Network = { name: 'random', baseMVA: 100, buses, generators, branches, extra: {} };
    const os: Order[] = orders.map((o, k) => ({
      id: `o${k}`,
      bus: id(o.bus % nBus),
      side: o.side,
      steps: o.steps,
    }));
    return { net, orders: os, minutes, connected: branches.length >= nBus - 1 };
  });

describe('settlement of network clearings (random networks, generators, loads, books)', () => {
  it('balances money exactly and energy to the Wh; rent >= 0 and close to the float rent', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ net, orders, minutes, connected }) => {
        const r = await clearNetwork(net, orders);
        expect(r.status).toBe('optimal');
        // The clearing itself, with the case's generators and loads: power balance, limits, bids.
        const tol = 1e-6;
        const load = net.buses.reduce((a, b) => a + b.pdMw, 0);
        const gen = r.generatorsMw.reduce((a, g) => a + g, 0);
        const bought = r.orders.filter((o) => o.side === 'buy').reduce((a, o) => a + o.cleared, 0);
        const sold = r.orders.filter((o) => o.side === 'sell').reduce((a, o) => a + o.cleared, 0);
        expect(Math.abs(gen + sold - load - bought)).toBeLessThanOrEqual(tol * Math.max(1, load + bought));
        r.generatorsMw.forEach((mw, k) => {
          expect(mw).toBeGreaterThanOrEqual(-tol);
          expect(mw).toBeLessThanOrEqual(net.generators[k]!.pmaxMw + tol);
        });
        for (const b of r.branches) {
          const rate = net.branches[b.index - 1]!.rateAMw;
          if (rate > 0) expect(Math.abs(b.flowMw)).toBeLessThanOrEqual(rate + tol);
        }
        const lmp = new Map(r.buses.map((b) => [b.id, b.lmp]));
        r.orders.forEach((o, i) => {
          orders[i]!.steps.forEach((s, k) => {
            if (o.clearedSteps[k]! <= 1e-6) return;
            if (o.side === 'buy') expect(lmp.get(o.bus)!).toBeLessThanOrEqual(s.price + tol);
            else expect(lmp.get(o.bus)!).toBeGreaterThanOrEqual(s.price - tol);
          });
        });
        if (connected && !r.branches.some((b) => b.muFrom > 1e-7 || b.muTo > 1e-7)) {
          const ps = r.buses.map((b) => b.lmp);
          expect(Math.max(...ps) - Math.min(...ps)).toBeLessThan(1e-6);
        }
        expect(r.congestionRent).toBeGreaterThanOrEqual(-tol);
        const parties = caseSettlementParties(net, r.generatorsMw);
        const st = settleClearing(r, { intervalMinutes: minutes, extraParties: parties });
        expect(st.balanced).toBe(true);
        expect(st.boughtWh).toBe(st.soldWh);
        expect(st.buyersPayMicros - st.sellersReceiveMicros).toBe(st.congestionRentMicros);
        let pay = 0n;
        let recv = 0n;
        for (const p of st.parties) {
          if (p.side === 'buy') pay += p.amountMicros;
          else recv += p.amountMicros;
        }
        expect(pay).toBe(st.buyersPayMicros);
        expect(recv).toBe(st.sellersReceiveMicros);
        expect(st.congestionRentMicros).toBeGreaterThanOrEqual(0n);
        // One integer price everywhere (no binding line): the rent is only the operator's rounding.
        const prices = new Set(st.parties.map((p) => p.priceMicrosPerMWh));
        if (prices.size <= 1) expect(st.congestionRentMicros).toBeLessThanOrEqual(BigInt(st.parties.length));
        // Integer rent vs float rent over the interval (µ$): within 1 Wh at each party's price plus 1 µ$
        // of money rounding and the price rounding, per party.
        const floatRentMicros = (r.congestionRent * minutes * 1e6) / 60;
        let bound = 1e-6 * Math.abs(floatRentMicros) + 1;
        for (const p of st.parties)
          bound += Math.abs(Number(p.priceMicrosPerMWh)) / 1e6 + 1 + Number(p.energyWh) * 1e-6;
        expect(Math.abs(Number(st.congestionRentMicros) - floatRentMicros)).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 60 },
    );
  });
});
