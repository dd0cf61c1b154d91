// AC-OPF rows of `npm run bench:market`: warm-process time per solve (best of a few runs after one
// warm-up, wall and CPU time) on the shared feeders and case118 beside MATPOWER's recorded runopf time
// where an AC reference has one, `timingMs.total` of a fresh `gridledger opf --model ac` process on the
// feeders, and a deterministically generated 10,000-bus radial feeder (71 copies of case141 under one
// substation, each through a copy of its first branch) without and with 50 DERs at seeded buses.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadMatpower, type Network } from '@gridledger/grid';
import { solveAcOpf } from '../src/ac-opf.ts';
import type { AcOpfResult } from '../src/ac-opf-types.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const BIN = fileURLToPath(new URL('../../cli/bin/gridledger.mjs', import.meta.url));

/** One AC-OPF row. */
export interface AcBenchRow {
  case: string;
  buses: number;
  ders: number;
  status: string;
  iterations: number;
  objective: number;
  /** Best wall time of one solve in a warm process (parse excluded), ms. */
  solveMs: number;
  /** CPU time (user + system) of that run, ms. */
  cpuMs: number;
  /** timingMs.total of a fresh CLI process (parse + solve), ms, when measured. */
  freshProcessMs: number | null;
  /** MATPOWER runopf wall time from the AC reference (parse + solve), best of its runs, ms. */
  matpowerMs: number | null;
}

/** Small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
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
 * A radial feeder of `copies` x 141 + 1 buses: copies of case141 (bus ids c*1000 + id) hung off one
 * substation bus 1 through a copy of case141's first branch, with `ders` DERs (0.4 MW, +-0.2 MVAr,
 * 10 $/MWh) at buses drawn from `seed`.
 */
export function syntheticFeeder(case141: Network, copies: number, ders: number, seed = 20261202): Network {
  const src = case141;
  const first = src.branches[0]!;
  const net: Network = {
    name: `feeder${copies * src.buses.length + 1}_der${ders}`,
    baseMVA: src.baseMVA,
    buses: [{ ...src.buses[0]!, id: 1, type: 3 }],
    generators: [],
    branches: [],
    extra: {},
  };
  let branchIndex = 1;
  for (let c = 1; c <= copies; c++) {
    const off = c * 1000;
    for (const b of src.buses) net.buses.push({ ...b, id: off + b.id, type: 1, vminPu: 0.9, vmaxPu: 1.1 });
    net.branches.push({ ...first, index: branchIndex++, from: 1, to: off + 1 });
    for (const br of src.branches)
      net.branches.push({ ...br, index: branchIndex++, from: off + br.from, to: off + br.to });
  }
  const g = src.generators[0]!;
  net.generators.push({ ...g, index: 1, bus: 1, pmaxMw: 10_000, qmaxMvar: 10_000, qminMvar: -10_000 });
  const draw = rng(seed);
  const used = new Set<number>();
  while (used.size < ders) {
    const c = 1 + Math.floor(draw() * copies);
    const id = c * 1000 + 2 + Math.floor(draw() * (src.buses.length - 1));
    if (used.has(id)) continue;
    used.add(id);
    net.generators.push({
      ...g,
      index: net.generators.length + 1,
      bus: id,
      pgMw: 0,
      qgMvar: 0,
      pmaxMw: 0.4,
      pminMw: 0,
      qmaxMvar: 0.2,
      qminMvar: -0.2,
      cost: { model: 'polynomial', startup: 0, shutdown: 0, coefficients: [0.5, 10, 0] },
    });
  }
  return net;
}

function matpowerMs(name: string): number | null {
  const file = `${CASES}reference/${name}.acopf.json`;
  if (!existsSync(file)) return null;
  const t = (JSON.parse(readFileSync(file, 'utf8')) as { timing?: { octave_wall_s_runopf?: number[] } })
    .timing;
  const runs = t?.octave_wall_s_runopf;
  return runs && runs.length > 0 ? Math.min(...runs) * 1000 : null;
}

/** timingMs.total of a fresh `gridledger opf --model ac` process. */
export function freshProcessMs(name: string): number | null {
  const r = spawnSync('node', [BIN, 'opf', `${CASES}${name}.m`, '--model', 'ac', '--format', 'json'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) return null;
  return (JSON.parse(r.stdout) as { timingMs: { total: number } }).timingMs.total;
}

/** Times the AC-OPF of one network `runs` times after one warm-up solve. */
export async function benchAcNetwork(
  net: Network,
  ders: number,
  runs = 3,
  fresh?: string,
): Promise<AcBenchRow> {
  let best = Number.POSITIVE_INFINITY;
  let cpu = 0;
  let last: AcOpfResult | undefined;
  await solveAcOpf(net); // warm-up
  for (let k = 0; k < runs; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = await solveAcOpf(net);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (wall < best) {
      best = wall;
      cpu = (c.user + c.system) / 1000;
    }
  }
  return {
    case: net.name,
    buses: net.buses.length,
    ders,
    status: last!.status,
    iterations: last!.iterations,
    objective: last!.objective,
    solveMs: best,
    cpuMs: cpu,
    freshProcessMs: fresh ? freshProcessMs(fresh) : null,
    matpowerMs: matpowerMs(net.name),
  };
}

/** The AC rows: feeders, case30, case118, and the 10,000-bus synthetic feeder without and with 50 DERs. */
export async function benchAc(say: (s: string) => void, large = true): Promise<AcBenchRow[]> {
  const rows: AcBenchRow[] = [];
  for (const name of ['case33bw', 'case33bw_congested', 'case69', 'case141', 'case30', 'case118']) {
    say(`ac-opf ${name}...`);
    const feeder = name.startsWith('case33') || name === 'case69' || name === 'case141';
    rows.push(await benchAcNetwork(await loadMatpower(`${CASES}${name}.m`), 0, 3, feeder ? name : undefined));
  }
  if (large) {
    const c141 = await loadMatpower(`${CASES}case141.m`);
    for (const ders of [0, 50]) {
      say(`ac-opf synthetic 10,012-bus feeder, ${ders} DERs...`);
      rows.push(await benchAcNetwork(syntheticFeeder(c141, 71, ders), ders, 1));
    }
  }
  return rows;
}

/** Table lines for the AC rows. */
export function acLines(rows: AcBenchRow[]): string[] {
  const f = (x: number | null, d = 1) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(d));
  const lines = [
    'AC-OPF with LMP components (reduced-space SQP: HiGHS LP + dense active-set QP), ms per solve in a warm process',
    '(best of 3 after a warm-up; 1 run for the 10k feeder), CPU = user + system of that run; fresh = timingMs.total',
    'of a new `gridledger opf --model ac` process; MATPOWER = runopf wall time from the AC reference',
    `${'case'.padEnd(22)}${'buses'.padStart(7)}${'DERs'.padStart(6)}${'iter'.padStart(6)}${'wall'.padStart(9)}${'CPU'.padStart(9)}${'fresh'.padStart(9)}${'MATPOWER'.padStart(10)}  status`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.case.padEnd(22)}${String(r.buses).padStart(7)}${String(r.ders).padStart(6)}${String(r.iterations).padStart(6)}${f(r.solveMs).padStart(9)}${f(r.cpuMs).padStart(9)}${f(r.freshProcessMs).padStart(9)}${f(r.matpowerMs, 0).padStart(10)}  ${r.status}`,
    );
  }
  return lines;
}
