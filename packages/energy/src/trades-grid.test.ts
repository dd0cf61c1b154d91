// Promises that respect the grid (issue 13 item 3): decomposeTradesOnGrid on random radial and meshed
// networks with islands. Properties: no trade crosses islands; per party the promised Wh equal its
// cleared Wh; every route follows branches in their cleared flow's direction, from the seller's bus to the
// buyer's, and no branch carries more than its cleared flow (up to Wh rounding). Plus the exploits of
// the merit-order decomposition it replaces.
import {
  type Branch,
  type Bus,
  branchFlowsMw,
  buildDcModel,
  type Network,
  solveAngles,
} from '@gridledger/grid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decomposeTradesOnGrid, type GridBranch, type GridTradeParty } from './trades.ts';

const mkBus = (id: number, type = 1): Bus => ({
  id,
  type,
  pdMw: 0,
  qdMvar: 0,
  gsMw: 0,
  bsMvar: 0,
  area: 1,
  vmPu: 1,
  vaDeg: 0,
  baseKv: 10,
  zone: 1,
  vmaxPu: 1.1,
  vminPu: 0.9,
});
const mkBranch = (index: number, from: number, to: number, xPu: number, status: number): Branch => ({
  index,
  from,
  to,
  rPu: 0,
  xPu,
  bPu: 0,
  rateAMw: 0,
  rateBMw: 0,
  rateCMw: 0,
  tap: 0,
  shiftDeg: 0,
  status,
  angminDeg: -360,
  angmaxDeg: 360,
});

interface Case {
  sellers: GridTradeParty[];
  buyers: GridTradeParty[];
  branches: GridBranch[];
  island: Map<number, number>;
}

/** DC flows (Wh) of the parties' net injections (1 Wh treated as 1 MW: flows are linear). */
function flowsOf(n: number, brs: Branch[], sellers: GridTradeParty[], buyers: GridTradeParty[]): Case {
  const net: Network = {
    name: 'random',
    baseMVA: 100,
    buses: Array.from({ length: n }, (_, i) => mkBus(i + 1, i === 0 ? 3 : 1)),
    branches: brs,
    generators: [],
    extra: {},
  };
  const model = buildDcModel(net);
  const inj = new Float64Array(model.busRows.length);
  for (const s of sellers) inj[model.busIndex.get(s.bus)!]! += Number(s.energyWh);
  for (const b of buyers) inj[model.busIndex.get(b.bus)!]! -= Number(b.energyWh);
  const flow = branchFlowsMw(model, solveAngles(model, inj));
  const branches: GridBranch[] = brs.map((b) => ({
    index: b.index,
    from: b.from,
    to: b.to,
    inService: b.status === 1,
    flowWh: 0,
  }));
  model.branchRows.forEach((r, k) => {
    branches[r]!.flowWh = flow[k]!;
  });
  const island = new Map<number, number>();
  model.busRows.forEach((r, i) => {
    island.set(net.buses[r]!.id, model.busIsland[i]!);
  });
  return { sellers, buyers, branches, island };
}

/** A random network (a tree, plus mesh edges, some branches out of service) and balanced parties. */
const caseArb = (meshed: boolean): fc.Arbitrary<Case> =>
  fc
    .record({
      n: fc.integer({ min: 2, max: 9 }),
      parents: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
      extra: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: meshed ? 4 : 0 }),
      out: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      x: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 12, maxLength: 12 }),
      parties: fc.array(
        fc.record({
          bus: fc.nat(),
          sell: fc.boolean(),
          wh: fc.integer({ min: 1, max: 5000 }),
          p: fc.nat(50),
        }),
        { minLength: 1, maxLength: 14 },
      ),
    })
    .map(({ n, parents, extra, out, x, parties }) => {
      const brs: Branch[] = [];
      for (let i = 2; i <= n; i++) {
        const k = brs.length;
        brs.push(
          mkBranch(k + 1, 1 + (parents[i - 2]! % (i - 1)), i, x[k]! / 100, out[k] && k % 3 === 0 ? 0 : 1),
        );
      }
      for (const [a, b] of extra) {
        const u = 1 + (a % n);
        const v = 1 + (b % n);
        const k = brs.length;
        if (u !== v && k < 12) brs.push(mkBranch(k + 1, u, v, x[k]! / 100, out[k] && k % 3 === 0 ? 0 : 1));
      }
      let id = 1n;
      const sellers: GridTradeParty[] = [];
      const buyers: GridTradeParty[] = [];
      for (const p of parties) {
        const party = {
          orderId: id++,
          meritPrice: BigInt(p.p),
          energyWh: BigInt(p.wh),
          bus: 1 + (p.bus % n),
        };
        (p.sell ? sellers : buyers).push(party);
      }
      // Balance every island with one more party at its first bus.
      const pre = flowsOf(n, brs, [], []);
      const net = new Map<number, bigint>();
      for (const s of sellers)
        net.set(pre.island.get(s.bus)!, (net.get(pre.island.get(s.bus)!) ?? 0n) + s.energyWh);
      for (const b of buyers)
        net.set(pre.island.get(b.bus)!, (net.get(pre.island.get(b.bus)!) ?? 0n) - b.energyWh);
      for (const [isl, v] of [...net.entries()].sort((a, b) => a[0] - b[0])) {
        if (v === 0n) continue;
        const bus = [...pre.island.entries()].filter(([, i]) => i === isl).sort((a, b) => a[0] - b[0])[0]![0];
        const party = { orderId: id++, meritPrice: 25n, energyWh: v > 0n ? v : -v, bus };
        (v > 0n ? buyers : sellers).push(party);
      }
      return flowsOf(n, brs, sellers, buyers);
    });

function check(c: Case): void {
  const r = decomposeTradesOnGrid(c.sellers, c.buyers, c.branches);
  expect(r.unmatchedSellWh).toBe(0n);
  expect(r.unmatchedBuyWh).toBe(0n);
  const busOf = new Map<bigint, number>();
  for (const p of [...c.sellers, ...c.buyers]) busOf.set(p.orderId, p.bus);
  // Per party: promised Wh = cleared Wh.
  const sold = new Map<bigint, bigint>();
  const bought = new Map<bigint, bigint>();
  for (const t of r.trades) {
    sold.set(t.sellerOrder, (sold.get(t.sellerOrder) ?? 0n) + t.energyWh);
    bought.set(t.buyerOrder, (bought.get(t.buyerOrder) ?? 0n) + t.energyWh);
    // Never across islands.
    expect(c.island.get(busOf.get(t.sellerOrder)!)).toBe(c.island.get(busOf.get(t.buyerOrder)!));
  }
  for (const s of c.sellers) expect(sold.get(s.orderId) ?? 0n).toBe(s.energyWh);
  for (const b of c.buyers) expect(bought.get(b.orderId) ?? 0n).toBe(b.energyWh);
  // Routes: a path of branches in their flow's direction from the seller's bus to the buyer's; the load
  // on each branch within its cleared flow plus rounding (1 Wh per party).
  const byIndex = new Map(c.branches.map((b) => [b.index, b]));
  const carried = new Map<number, bigint>();
  let residue = 0n;
  for (const route of r.routes) {
    if (route.residue) {
      residue += route.energyWh;
      continue;
    }
    let at = busOf.get(route.sellerOrder)!;
    for (const k of route.branches) {
      const b = byIndex.get(k)!;
      expect(b.inService).toBe(true);
      const [u, v] = b.flowWh > 0 ? [b.from, b.to] : [b.to, b.from];
      expect(u).toBe(at);
      at = v;
      carried.set(k, (carried.get(k) ?? 0n) + route.energyWh);
    }
    expect(at).toBe(busOf.get(route.buyerOrder));
  }
  const slack = c.sellers.length + c.buyers.length;
  for (const [k, wh] of carried)
    expect(Number(wh)).toBeLessThanOrEqual(Math.abs(byIndex.get(k)!.flowWh) + slack);
  expect(Number(residue)).toBeLessThanOrEqual(slack * c.branches.length);
}

describe('decomposeTradesOnGrid', () => {
  it('radial networks with islands (property)', () => {
    fc.assert(fc.property(caseArb(false), check), { numRuns: 300 });
  });
  it('meshed networks with islands (property)', () => {
    fc.assert(fc.property(caseArb(true), check), { numRuns: 300 });
  });

  it('never pairs across islands (the merit-order decomposition did)', () => {
    // Islands {1,2} and {3}: the cheap seller at 3 and the keen buyer at 1 are in different islands.
    const r = decomposeTradesOnGrid(
      [
        { orderId: 1n, meritPrice: 5n, energyWh: 10n, bus: 3 },
        { orderId: 2n, meritPrice: 50n, energyWh: 10n, bus: 2 },
      ],
      [
        { orderId: 3n, meritPrice: 90n, energyWh: 10n, bus: 1 },
        { orderId: 4n, meritPrice: 60n, energyWh: 10n, bus: 3 },
      ],
      [
        { index: 1, from: 2, to: 1, inService: true, flowWh: 10 },
        { index: 2, from: 2, to: 3, inService: false, flowWh: 0 },
      ],
    );
    expect(r.trades).toEqual([
      { sellerOrder: 1n, buyerOrder: 4n, energyWh: 10n },
      { sellerOrder: 2n, buyerOrder: 3n, energyWh: 10n },
    ]);
    expect(r.routes.find((x) => x.sellerOrder === 2n)!.branches).toEqual([1]);
  });

  it('books no more across a line than its cleared flow, and nothing against it', () => {
    // 2 MWh can cross 1->2 (its cleared flow); the buyer at 1 is served by its own bus's seller first.
    const r = decomposeTradesOnGrid(
      [
        { orderId: 1n, meritPrice: 10n, energyWh: 5_000_000n, bus: 1 },
        { orderId: 2n, meritPrice: 40n, energyWh: 3_000_000n, bus: 2 },
      ],
      [
        { orderId: 3n, meritPrice: 90n, energyWh: 5_000_000n, bus: 2 },
        { orderId: 4n, meritPrice: 20n, energyWh: 3_000_000n, bus: 1 },
      ],
      [{ index: 1, from: 1, to: 2, inService: true, flowWh: 2_000_000 }],
    );
    const across = r.routes.filter((x) => x.branches.length > 0);
    expect(across).toEqual([
      { sellerOrder: 1n, buyerOrder: 3n, energyWh: 2_000_000n, branches: [1], residue: false },
    ]);
  });
});
