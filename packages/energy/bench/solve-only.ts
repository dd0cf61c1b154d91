// Times clearNetwork alone on case118 (no generators or loads) for N random orders, to separate the
// solve from the chain's work in bench:energy. Run: node --import tsx packages/energy/bench/solve-only.ts N
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadMatpower } from '@gridledger/grid';
import { clearNetwork, settleClearing, verifyCertificate } from '@gridledger/market';
import { networkFromJson, networkToJson } from '../src/index.ts';

const N = Number(process.argv[2] ?? 10_000);
const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const net = networkFromJson(networkToJson(await loadMatpower(`${CASES}case118.m`)));
let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const orders = Array.from({ length: N }, (_, i) => {
  const side = i % 2 === 0 ? ('buy' as const) : ('sell' as const);
  return {
    id: `o${i + 1}`,
    bus: net.buses[Math.floor(rand() * net.buses.length)]!.id,
    side,
    steps: [
      { price: side === 'buy' ? 30 + rand() * 70 : 5 + rand() * 70, quantity: (1 + rand() * 2000) / 1000 },
    ],
  };
});
orders.push({ id: 'up-sell', bus: 69, side: 'sell', steps: [{ price: 80, quantity: 2000 }] });
orders.push({ id: 'up-buy', bus: 69, side: 'buy', steps: [{ price: 5, quantity: 2000 }] });
let t = performance.now();
const r = await clearNetwork(net, orders);
const solveMs = performance.now() - t;
t = performance.now();
const ok = verifyCertificate(r.certificate).ok;
const verifyMs = performance.now() - t;
t = performance.now();
settleClearing(r, { intervalMinutes: 60 });
const settleMs = performance.now() - t;
console.log(
  `case118, ${N} orders: clearNetwork ${solveMs.toFixed(0)} ms (${r.status}), verifyCertificate ${verifyMs.toFixed(0)} ms (${ok}), settleClearing ${settleMs.toFixed(0)} ms, certificate nnz ${r.certificate.program.index.length}`,
);
