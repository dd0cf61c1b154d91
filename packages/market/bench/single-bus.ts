// Benchmark rows for the single-bus auction: clearing 10^4, 10^5 and 10^6 random (seeded) orders on one
// bus, and settling the result in integers. `market.bench.ts` calls benchSingleBus(); run alone with `node --import tsx packages/market/bench/single-bus.ts`.
import { clearSingleBus, solveSingleBus } from '../src/auction.ts';
import { settleClearing } from '../src/settlement.ts';
import type { Order } from '../src/types.ts';

/** One benchmark row: orders cleared and the wall time of the clearing alone (orders already built). */
export interface SingleBusRow {
  orders: number;
  steps: number;
  /** solveSingleBus (allocation in typed arrays): best of the runs, ms. */
  solveMs: number;
  /** solveSingleBus: median of the runs, ms. */
  solveMedianMs: number;
  /** clearSingleBus (full ClearingResult with one object per order): best of the runs, ms. */
  clearMs: number;
  /** clearSingleBus: median of the runs, ms. */
  clearMedianMs: number;
  /** settleClearing of the result (60-minute interval), one run, ms. */
  settleMs: number;
  priceUsdPerMWh: number;
  clearedMw: number;
}

/** Deterministic 32-bit PRNG (mulberry32), so every run clears the same book. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random book of `n` orders on bus 1: half buy, half sell, 1-3 steps each, prices in cents between
 * 0 and 100 $/MWh (bids centred higher than offers), quantities 0.001-10 MW.
 */
export function randomBook(n: number, seed = 1): Order[] {
  const rnd = mulberry32(seed);
  const orders: Order[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const buy = rnd() < 0.5;
    const k = 1 + Math.floor(rnd() * 3);
    const steps = new Array(k);
    for (let m = 0; m < k; m++) {
      const base = buy ? 60 - 40 * rnd() : 40 + 40 * rnd();
      steps[m] = {
        price: Math.round(base * 100) / 100,
        quantity: Math.round((0.001 + 10 * rnd()) * 1000) / 1000,
      };
    }
    orders[i] = { id: `o${i}`, bus: 1, side: buy ? 'buy' : 'sell', steps };
  }
  return orders;
}

/**
 * Times the single-bus auction on seeded random books of each size (best and median of `runs`, after one
 * warm-up run).
 * @example for (const row of benchSingleBus()) console.log(row);
 */
export function benchSingleBus(sizes: readonly number[] = [1e4, 1e5, 1e6], runs = 5): SingleBusRow[] {
  const rows: SingleBusRow[] = [];
  for (const n of sizes) {
    const book = randomBook(n, 42);
    let steps = 0;
    for (const o of book) steps += o.steps.length;
    let last = clearSingleBus(book);
    const solveTimes: number[] = [];
    const clearTimes: number[] = [];
    for (let r = 0; r < runs; r++) {
      let t0 = performance.now();
      solveSingleBus(book);
      solveTimes.push(performance.now() - t0);
      t0 = performance.now();
      last = clearSingleBus(book);
      clearTimes.push(performance.now() - t0);
    }
    solveTimes.sort((a, b) => a - b);
    clearTimes.sort((a, b) => a - b);
    const t1 = performance.now();
    settleClearing(last);
    const settleMs = performance.now() - t1;
    rows.push({
      orders: n,
      steps,
      solveMs: solveTimes[0]!,
      solveMedianMs: solveTimes[Math.floor(runs / 2)]!,
      clearMs: clearTimes[0]!,
      clearMedianMs: clearTimes[Math.floor(runs / 2)]!,
      settleMs,
      priceUsdPerMWh: last.buses[0]!.lmp,
      clearedMw: last.clearedMw,
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('single-bus auction, seeded random books, orders already in memory; ms, best / median of 5');
  console.log(
    'orders     steps      solve (typed arrays)   clear (ClearingResult)   settle   price $/MWh  cleared MW',
  );
  for (const r of benchSingleBus()) {
    const pair = (a: number, b: number) => `${a.toFixed(1)} / ${b.toFixed(1)}`.padEnd(22);
    console.log(
      `${String(r.orders).padEnd(10)} ${String(r.steps).padEnd(10)} ${pair(r.solveMs, r.solveMedianMs)} ${pair(r.clearMs, r.clearMedianMs)}   ${r.settleMs.toFixed(1).padStart(6)}   ${r.priceUsdPerMWh.toFixed(2).padStart(11)}  ${r.clearedMw.toFixed(3)}`,
    );
  }
}
