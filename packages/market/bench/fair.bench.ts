// What fair clearing costs (issue 13): clearNetwork of 10^4 orders spread over case118's buses, with the
// case's generators and loads (as bench:market) and without them (the on-chain shape, as bench:energy),
// once with the solver's vertex duals (`priceRule: "vertex"`: pro rata only) and once with the midpoint
// (pro rata + the dual-range LPs, the default). Prints per row the best wall time of 3, the CPU time of
// that run, and `timingMs.fair` (pro rata + dual-range LPs) with its share of the clearing.
// Run: node --import tsx packages/market/bench/fair.bench.ts [orders]
import { fileURLToPath } from 'node:url';
import { loadMatpower } from '@gridledger/grid';
import { clearNetwork } from '../src/network-clearing.ts';
import { spreadBook } from './market.bench.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));

const n = Number(process.argv[2] ?? 10_000);
const full = await loadMatpower(`${CASES}case118.m`);
const bare = { ...full, generators: [], buses: full.buses.map((b) => ({ ...b, pdMw: 0, gsMw: 0 })) };
const book = spreadBook(
  n,
  full.buses.map((b) => b.id),
);
// The on-chain shape adds the upstream offer and bid at the reference bus.
const ref = full.buses.find((b) => b.type === 3)!.id;
const chainBook = [
  ...book,
  { id: 'up-sell', bus: ref, side: 'sell' as const, steps: [{ price: 100, quantity: 5000 }] },
  { id: 'up-buy', bus: ref, side: 'buy' as const, steps: [{ price: 20, quantity: 5000 }] },
];
await clearNetwork(bare, chainBook.slice(0, 50)); // warm up the solver and the code paths
console.log(
  `clearNetwork, ${n} orders on case118, best of 3 (wall ms; CPU ms of that run; fair = pro rata + dual-range LPs)`,
);
for (const [label, net, orders] of [
  ['case118 with generators and loads', full, book],
  ['case118 bare + upstream (on-chain shape)', bare, chainBook],
] as const) {
  for (const priceRule of ['vertex', 'midpoint'] as const) {
    let best = { wall: Infinity, cpu: 0, fair: 0, status: '' };
    for (let r = 0; r < 3; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const res = await clearNetwork(net, orders, { priceRule });
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (wall < best.wall)
        best = { wall, cpu: (c.user + c.system) / 1000, fair: res.timingMs.fair, status: res.status };
    }
    console.log(
      `${label.padEnd(42)} ${priceRule.padEnd(8)} wall ${best.wall.toFixed(0).padStart(6)}  cpu ${best.cpu.toFixed(0).padStart(6)}  fair ${best.fair.toFixed(1).padStart(7)} (${((100 * best.fair) / best.wall).toFixed(1)}% of wall)  ${best.status}`,
    );
  }
}
