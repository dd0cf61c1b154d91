// `npm run bench:market`: the market engine's benchmark. DC-OPF with LMPs on MATPOWER cases (parse,
// build, solve, extract, beside MATPOWER's recorded time where a reference exists), clearing of 10^5
// orders spread over case118's buses through clearNetwork, and the single-bus auction rows
// (bench/single-bus.ts), and the AC-OPF rows (bench/ac-opf.ts; --no-large-ac skips the 10,000-bus
// feeder). Prints a table, or one JSON object with --format json. Numbers are the best of
// a few runs in this process after one warm-up solve; the machine's load is printed with them.
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadMatpower } from '@gridledger/grid';
import { loadSolver } from '../src/lp.ts';
import { clearNetwork } from '../src/network-clearing.ts';
import { solveOpf } from '../src/opf.ts';
import type { Order } from '../src/types.ts';
import { acLines, benchAc } from './ac-opf.ts';
import { benchSingleBus } from './single-bus.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));

/** One OPF row: best-of-runs milliseconds of each phase (total is the best end-to-end run). */
export interface OpfBenchRow {
  case: string;
  buses: number;
  branches: number;
  parseMs: number;
  buildMs: number;
  solveMs: number;
  extractMs: number;
  totalMs: number;
  rounds: number;
  objective: number;
  /** MATPOWER rundcopf wall time (parse + solve) from the reference file, best of its runs, ms. */
  matpowerMs: number | null;
}

/** Times parse + DC-OPF of one case, `runs` times. */
export async function benchOpfCase(name: string, runs = 3): Promise<OpfBenchRow> {
  const best = { parse: Infinity, build: Infinity, solve: Infinity, extract: Infinity, total: Infinity };
  let last: Awaited<ReturnType<typeof solveOpf>> | undefined;
  let buses = 0;
  let branches = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const net = await loadMatpower(`${CASES}${name}.m`);
    const t1 = performance.now();
    const res = await solveOpf(net);
    const total = performance.now() - t0;
    best.parse = Math.min(best.parse, t1 - t0);
    best.build = Math.min(best.build, res.timingMs.build);
    best.solve = Math.min(best.solve, res.timingMs.solve);
    best.extract = Math.min(best.extract, res.timingMs.extract);
    best.total = Math.min(best.total, total);
    last = res;
    buses = net.buses.length;
    branches = net.branches.length;
  }
  const refFile = `${CASES}reference/${name}.dcopf.json`;
  let matpowerMs: number | null = null;
  if (existsSync(refFile)) {
    const t = (JSON.parse(readFileSync(refFile, 'utf8')) as { timing_octave_s?: number[] }).timing_octave_s;
    if (t && t.length > 0) matpowerMs = Math.min(...t) * 1000;
  }
  return {
    case: name,
    buses,
    branches,
    parseMs: best.parse,
    buildMs: best.build,
    solveMs: best.solve,
    extractMs: best.extract,
    totalMs: best.total,
    rounds: last!.rounds,
    objective: last!.objective,
    matpowerMs,
  };
}

/** Deterministic 32-bit PRNG (mulberry32). */
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

/** A seeded book of `n` orders spread over the given buses: 1-3 steps, prices 10-70 $/MWh, 0.01-2 MW. */
export function spreadBook(n: number, busIds: readonly number[], seed = 7): Order[] {
  const rnd = mulberry32(seed);
  const orders: Order[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const buy = rnd() < 0.5;
    const k = 1 + Math.floor(rnd() * 3);
    const steps = [];
    for (let m = 0; m < k; m++) {
      const price = Math.round((buy ? 50 - 40 * rnd() : 30 + 40 * rnd()) * 100) / 100;
      steps.push({ price, quantity: Math.round((0.01 + 2 * rnd()) * 1000) / 1000 });
    }
    orders[i] = {
      id: `o${i}`,
      bus: busIds[Math.floor(rnd() * busIds.length)]!,
      side: buy ? 'buy' : 'sell',
      steps,
    };
  }
  return orders;
}

/** One network clearing row. */
export interface ClearingBenchRow {
  case: string;
  orders: number;
  steps: number;
  clearMs: number;
  status: string;
  welfare: number;
  clearedMw: number;
  congestionRent: number;
}

/** Times clearNetwork of `n` orders spread over a case's buses (the case's own generators and loads take part). */
export async function benchNetworkClearing(name = 'case118', n = 1e5, runs = 2): Promise<ClearingBenchRow> {
  const net = await loadMatpower(`${CASES}${name}.m`);
  const book = spreadBook(
    n,
    net.buses.map((b) => b.id),
  );
  let steps = 0;
  for (const o of book) steps += o.steps.length;
  let best = Infinity;
  let last: Awaited<ReturnType<typeof clearNetwork>> | undefined;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    last = await clearNetwork(net, book);
    best = Math.min(best, performance.now() - t0);
  }
  let clearedMw = 0;
  for (const o of last!.orders) if (o.side === 'buy') clearedMw += o.cleared;
  return {
    case: name,
    orders: n,
    steps,
    clearMs: best,
    status: last!.status,
    welfare: last!.welfare,
    clearedMw,
    congestionRent: last!.congestionRent,
  };
}

const OPF_CASES = ['case118', 'case300', 'case1354pegase', 'case2383wp', 'case3012wp', 'case9241pegase'];

async function main(): Promise<void> {
  const json =
    process.argv.includes('--format') && process.argv[process.argv.indexOf('--format') + 1] === 'json';
  const say = (s: string) => process.stderr.write(`${s}\n`);
  await loadSolver();
  await benchOpfCase('case9', 1); // warm-up: JIT of the parser, the factorisation and the solver
  const load = loadavg().map((x) => x.toFixed(2));
  say(`load average ${load.join(' ')} on this machine (other processes share its cores)`);
  const opf: OpfBenchRow[] = [];
  for (const c of OPF_CASES) {
    say(`opf ${c}...`);
    opf.push(await benchOpfCase(c));
  }
  say('clearNetwork 1e5 orders on case118...');
  const clearing = [await benchNetworkClearing('case118', 1e5)];
  say('single-bus auction...');
  const singleBus = benchSingleBus();
  const ac = await benchAc(say, !process.argv.includes('--no-large-ac'));
  if (json) {
    process.stdout.write(`${JSON.stringify({ loadAverage: loadavg(), opf, clearing, singleBus, ac })}\n`);
    return;
  }
  const f = (x: number | null, d = 1) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(d));
  const lines: string[] = [];
  lines.push(
    'DC-OPF with LMPs (PTDF + constraint generation, HiGHS wasm), ms, best of 3 runs in one process',
  );
  lines.push(
    `${'case'.padEnd(16)}${'buses'.padStart(6)}${'parse'.padStart(9)}${'build'.padStart(9)}${'solve'.padStart(9)}${'extract'.padStart(9)}${'total'.padStart(9)}${'rounds'.padStart(8)}${'MATPOWER'.padStart(10)}`,
  );
  for (const r of opf) {
    lines.push(
      `${r.case.padEnd(16)}${String(r.buses).padStart(6)}${f(r.parseMs).padStart(9)}${f(r.buildMs).padStart(9)}${f(r.solveMs).padStart(9)}${f(r.extractMs).padStart(9)}${f(r.totalMs).padStart(9)}${String(r.rounds).padStart(8)}${f(r.matpowerMs, 0).padStart(10)}`,
    );
  }
  lines.push('');
  lines.push('network clearing (clearNetwork, orders already in memory), ms, best of 2');
  for (const r of clearing) {
    lines.push(
      `${r.case}: ${r.orders} orders (${r.steps} steps): ${f(r.clearMs)} ms, ${r.status}, cleared ${f(r.clearedMw, 3)} MW, welfare ${f(r.welfare, 2)} $/h, congestion rent ${f(r.congestionRent, 2)} $/h`,
    );
  }
  lines.push('');
  lines.push('single-bus auction (bench/single-bus.ts), ms, best / median of 5');
  for (const r of singleBus) {
    lines.push(
      `${String(r.orders).padEnd(9)} orders: solve ${f(r.solveMs)} / ${f(r.solveMedianMs)}, clear ${f(r.clearMs)} / ${f(r.clearMedianMs)}, price ${f(r.priceUsdPerMWh, 2)} $/MWh, cleared ${f(r.clearedMw, 3)} MW`,
    );
  }
  lines.push('');
  lines.push(...acLines(ac));
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
