// `gridledger opf CASE --model ac`: the AC-OPF's result as one JSON object or a readable summary
// (docs/ac-opf.md). Composes @gridledger/market's solveAcOpf; holds no market logic.
import { InputError } from '@gridledger/base';
import { loadMatpower } from '@gridledger/grid';
import { type AcOpfResult, loadSolver, solveAcOpf } from '@gridledger/market';
import { fmt, log, type OutputFormat, printJson, renderTable } from '../output.ts';

/** Timings of one `opf --model ac` run, ms: parse, model build, solve, and all three (`total`). */
interface AcOpfTiming {
  parse: number;
  build: number;
  solve: number;
  total: number;
}

/** The JSON document `opf --model ac --format json` prints. */
function acOpfJson(r: AcOpfResult, timingMs: AcOpfTiming) {
  return {
    case: r.case,
    model: 'ac',
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    objective: r.objective,
    lossesMw: r.lossesMw,
    baseMVA: r.baseMVA,
    iterations: r.iterations,
    buses: r.buses.map((b) => ({
      id: b.id,
      lmp: b.lmp,
      lmpEnergy: b.lmpEnergy,
      lmpLoss: b.lmpLoss,
      lmpCongestion: b.lmpCongestion,
      lmpVoltage: b.lmpVoltage,
      lmpQ: b.lmpQ,
      vm: b.vm,
      vaDeg: b.vaDeg,
    })),
    generators: r.generators.map((g) => ({ index: g.index, bus: g.bus, pgMw: g.pgMw, qgMvar: g.qgMvar })),
    branches: r.branches.map((b) => ({
      index: b.index,
      from: b.from,
      to: b.to,
      pFromMw: b.pFromMw,
      qFromMvar: b.qFromMvar,
      pToMw: b.pToMw,
      qToMvar: b.qToMvar,
      lossMw: b.lossMw,
      loadingPct: b.loadingPct,
      muFrom: b.muFrom,
      muTo: b.muTo,
    })),
    timingMs,
  };
}

/**
 * Runs the AC-OPF of a case file and prints it.
 * @throws InputError when the network cannot be modelled for AC (no reference bus, islands, costs).
 */
export async function runAcOpf(file: string, format: OutputFormat): Promise<void> {
  await loadSolver({ warmUp: false }); // loading the WebAssembly module is not part of the timed work
  const t0 = performance.now();
  const network = await loadMatpower(file);
  const t1 = performance.now();
  const r = await solveAcOpf(network);
  const total = performance.now() - t0;
  if (r.status === 'invalid-network')
    throw new InputError(r.reason ?? 'the network cannot be modelled for AC');
  const timingMs = { parse: t1 - t0, build: r.timingMs.build, solve: r.timingMs.solve, total };
  log(
    `opf --model ac ${r.case}: ${r.status}${r.reason ? ` (${r.reason})` : ''}, ${network.buses.length} buses, ` +
      `${r.iterations} iteration(s), ${total.toFixed(1)} ms`,
  );
  if (format === 'json') {
    printJson(acOpfJson(r, timingMs));
    return;
  }
  printAcTable(r, timingMs);
}

function printAcTable(r: AcOpfResult, t: AcOpfTiming): void {
  const out: string[] = [];
  out.push(
    `case ${r.case}   model ac   status ${r.status}${r.reason ? ` (${r.reason})` : ''}   baseMVA ${r.baseMVA}`,
  );
  if (r.status !== 'optimal') {
    process.stdout.write(`${out.join('\n')}\n`);
    return;
  }
  const lmps = r.buses.map((b) => b.lmp).filter(Number.isFinite);
  out.push(
    `objective ${fmt(r.objective, 4)} $/h   losses ${fmt(r.lossesMw, 4)} MW   iterations ${r.iterations}`,
  );
  out.push(`LMP min ${fmt(Math.min(...lmps))}  max ${fmt(Math.max(...lmps))} $/MWh`);
  const binding = r.branches.filter((b) => b.muFrom > 1e-6 || b.muTo > 1e-6);
  out.push(`branches at their limit: ${binding.length}`);
  if (binding.length > 0) {
    out.push(
      renderTable(
        ['branch', 'from', 'to', 'P from MW', 'Q from MVAr', 'loading %', 'muFrom', 'muTo'],
        binding.map((b) => [
          b.index,
          b.from,
          b.to,
          fmt(b.pFromMw, 3),
          fmt(b.qFromMvar, 3),
          fmt(b.loadingPct, 1),
          fmt(b.muFrom),
          fmt(b.muTo),
        ]),
      ),
    );
  }
  const buses = r.buses.length <= 40 ? r.buses : [...r.buses].sort((a, b) => b.lmp - a.lmp).slice(0, 15);
  out.push(r.buses.length <= 40 ? 'buses:' : 'buses with the highest LMP (use --format json for all):');
  out.push(
    renderTable(
      [
        'bus',
        'LMP $/MWh',
        'energy',
        'loss',
        'congestion',
        'voltage',
        'LMP Q $/MVArh',
        'Vm p.u.',
        'angle deg',
      ],
      buses.map((b) => [
        b.id,
        fmt(b.lmp, 4),
        fmt(b.lmpEnergy, 4),
        fmt(b.lmpLoss, 4),
        fmt(b.lmpCongestion, 4),
        fmt(b.lmpVoltage, 4),
        fmt(b.lmpQ, 4),
        fmt(b.vm, 5),
        fmt(b.vaDeg, 3),
      ]),
    ),
  );
  out.push(
    `time: parse ${fmt(t.parse, 1)} ms, build ${fmt(t.build, 1)} ms, solve ${fmt(t.solve, 1)} ms, total ${fmt(t.total, 1)} ms`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
