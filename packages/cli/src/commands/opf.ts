// `gridledger opf <case.m>`: DC (default) or AC (--model ac, opf-ac.ts) optimal power flow of a MATPOWER case with LMPs. A readable summary by
// default; with --format json exactly one JSON object on stdout (logs on stderr).
import { loadMatpower } from '@gridledger/grid';
import { loadSolver, type OpfResult, solveOpf } from '@gridledger/market';
import type { Command } from 'commander';
import { fmt, log, parseFormat, printJson, renderTable, UsageError } from '../output.ts';
import { runAcOpf } from './opf-ac.ts';

/** The JSON document `opf --format json` prints (see issue item 6). */
export function opfJson(
  r: OpfResult,
  timingMs: { parse: number; build: number; solve: number; total: number },
) {
  return {
    case: r.case,
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    objective: r.objective,
    baseMVA: r.baseMVA,
    buses: r.buses.map((b) => ({
      id: b.id,
      lmp: b.lmp,
      lmpLow: b.lmpLow,
      lmpHigh: b.lmpHigh,
      lmpEnergy: b.lmpEnergy,
      lmpCongestion: b.lmpCongestion,
      vaDeg: b.vaDeg,
    })),
    generators: r.generators.map((g) => ({ index: g.index, bus: g.bus, pgMw: g.pgMw })),
    branches: r.branches.map((b) => ({
      index: b.index,
      from: b.from,
      to: b.to,
      flowMw: b.flowMw,
      muFrom: b.muFrom,
      muTo: b.muTo,
    })),
    timingMs,
  };
}

/** Registers the `opf` command. */
export function registerOpf(program: Command): void {
  program
    .command('opf')
    .description(
      'optimal power flow of a MATPOWER case (DC by default, AC with --model ac): dispatch, flows, LMPs and line shadow prices',
    )
    .argument('<case.m>', 'MATPOWER case file (format version 2)')
    .option('--format <format>', 'output format: table or json', 'table')
    .option('--formulation <name>', 'ptdf (constraint generation) or b-theta (bus angles)', 'ptdf')
    .option(
      '--model <model>',
      'dc (DC-OPF) or ac (AC-OPF: losses, voltages, LMP components; docs/ac-opf.md)',
      'dc',
    )
    .action(async (file: string, opts: { format: string; formulation: string; model: string }) => {
      const format = parseFormat(opts.format);
      if (opts.model !== 'dc' && opts.model !== 'ac') {
        throw new UsageError(`--model must be "dc" or "ac", got "${opts.model}"`);
      }
      if (opts.model === 'ac') {
        await runAcOpf(file, format);
        return;
      }
      if (opts.formulation !== 'ptdf' && opts.formulation !== 'b-theta') {
        throw new UsageError(`--formulation must be "ptdf" or "b-theta", got "${opts.formulation}"`);
      }
      await loadSolver({ warmUp: false }); // loading the WebAssembly module is not part of the timed work
      const t0 = performance.now();
      const network = await loadMatpower(file);
      const t1 = performance.now();
      const r = await solveOpf(network, { formulation: opts.formulation });
      const total = performance.now() - t0;
      const timingMs = { parse: t1 - t0, build: r.timingMs.build, solve: r.timingMs.solve, total };
      log(
        `opf ${r.case}: ${r.status}${r.reason ? ` (${r.reason})` : ''}, ${network.buses.length} buses, ` +
          `${r.rounds} solver round(s), ${total.toFixed(1)} ms`,
      );
      if (format === 'json') {
        printJson(opfJson(r, timingMs));
        return;
      }
      printTable(r, timingMs);
    });
}

function printTable(r: OpfResult, t: { parse: number; build: number; solve: number; total: number }): void {
  const out: string[] = [];
  out.push(`case ${r.case}   status ${r.status}${r.reason ? ` (${r.reason})` : ''}   baseMVA ${r.baseMVA}`);
  if (r.status !== 'optimal') {
    process.stdout.write(`${out.join('\n')}\n`);
    return;
  }
  const lmps = r.buses.map((b) => b.lmp).filter(Number.isFinite);
  const totalPg = r.generators.reduce((a, g) => a + g.pgMw, 0);
  const binding = r.branches.filter((b) => b.muFrom > 1e-6 || b.muTo > 1e-6);
  out.push(`objective ${fmt(r.objective, 2)} $/h   generation ${fmt(totalPg, 1)} MW`);
  out.push(
    `LMP min ${fmt(Math.min(...lmps))}  mean ${fmt(lmps.reduce((a, b) => a + b, 0) / lmps.length)}  max ${fmt(Math.max(...lmps))} $/MWh`,
  );
  out.push(`binding branches: ${binding.length}`);
  if (binding.length > 0) {
    out.push(
      renderTable(
        ['branch', 'from', 'to', 'flow MW', 'muFrom', 'muTo'],
        binding.map((b) => [b.index, b.from, b.to, fmt(b.flowMw, 2), fmt(b.muFrom), fmt(b.muTo)]),
      ),
    );
  }
  const buses = r.buses.length <= 30 ? r.buses : [...r.buses].sort((a, b) => b.lmp - a.lmp).slice(0, 10);
  out.push(r.buses.length <= 30 ? 'buses:' : 'buses with the highest LMP (use --format json for all):');
  out.push(
    renderTable(
      ['bus', 'LMP $/MWh', 'energy', 'congestion', 'angle deg'],
      buses.map((b) => [b.id, fmt(b.lmp), fmt(b.lmpEnergy), fmt(b.lmpCongestion), fmt(b.vaDeg, 3)]),
    ),
  );
  if (r.generators.length <= 30) {
    out.push('generators:');
    out.push(
      renderTable(
        ['gen', 'bus', 'Pg MW'],
        r.generators.map((g) => [g.index, g.bus, fmt(g.pgMw, 2)]),
      ),
    );
  }
  out.push(
    `time: parse ${fmt(t.parse, 1)} ms, build ${fmt(t.build, 1)} ms, solve ${fmt(t.solve, 1)} ms, total ${fmt(t.total, 1)} ms`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
