// The PTDF model of the DC dispatch problem: injection columns (generators and order steps at their
// buses), fixed injections (loads, phase shifters, fixed order steps), one balance row per island, and
// the ranged row of a branch's flow or angle-difference limit written from the branch's PTDF row
// (sparse solves of the susceptance matrix, cached per branch). `ptdfProgram` rebuilds a whole program
// with a given set of limits, rows in the order the constraint generation adds them.
import { type DcModel, ptdfRow } from '@gridledger/grid';
import { angleLimits, type CostColumns, RowBuilder, toProgram } from './dispatch-program.ts';
import type { LimitRef } from './dispatch-solution.ts';
import type { StepIndex } from './dispatch-steps.ts';
import type { LinearProgram } from './lp.ts';

/** The PTDF program with the given limits, rows in ptdfCore's order (island balances, PWL cuts, limits). */
export function ptdfProgram(
  model: DcModel,
  cc: CostColumns,
  steps: StepIndex,
  limitList: readonly LimitRef[],
): LinearProgram {
  const rows = new RowBuilder();
  const t = ptdfTerms(model, cc, steps);
  t.addIslandRows(rows);
  for (const r of cc.pwlRows) rows.add([r.y, r.g], [1, -r.slope], r.rhs, Number.POSITIVE_INFINITY);
  for (const l of limitList) t.addLimitRow(rows, l.branch, l.kind);
  return toProgram(cc, [], rows);
}

/** Injection columns and row makers of the PTDF formulation (shared by ptdfCore and ptdfProgram). */
export function ptdfTerms(model: DcModel, cc: CostColumns, steps: StepIndex, extraInjMw?: Float64Array) {
  const n = model.busRows.length;
  const nIsl = model.islandRef.length;
  const base = model.baseMVA;
  const nInj = cc.nGen + cc.nSteps;
  const colIdx = new Int32Array(nInj);
  const colBus = new Int32Array(nInj);
  const colSign = new Float64Array(nInj);
  for (let k = 0; k < cc.nGen; k++) {
    colIdx[k] = k;
    colBus[k] = model.genBus[k]!;
    colSign[k] = 1;
  }
  for (let s = 0; s < cc.nSteps; s++) {
    colIdx[cc.nGen + s] = cc.stepCol0 + s;
    colBus[cc.nGen + s] = steps.bus[s]!;
    colSign[cc.nGen + s] = steps.sign[s]!;
  }
  // Fixed injections per bus (MW): -load - base*Pbusinj (phase shifters) + fixed order steps.
  const fixedInj = new Float64Array(n);
  for (let i = 0; i < n; i++)
    fixedInj[i] = -model.loadMw[i]! - base * model.pBusInjPu[i]! + (extraInjMw?.[i] ?? 0);
  const islandLoad = new Float64Array(nIsl);
  for (let i = 0; i < n; i++) islandLoad[model.busIsland[i]!]! -= fixedInj[i]!;
  const addIslandRows = (rows: RowBuilder) => {
    const islCols: number[][] = Array.from({ length: nIsl }, () => []);
    const islVals: number[][] = Array.from({ length: nIsl }, () => []);
    for (let c = 0; c < nInj; c++) {
      const isl = model.busIsland[colBus[c]!]!;
      islCols[isl]!.push(colIdx[c]!);
      islVals[isl]!.push(colSign[c]!);
    }
    for (let s = 0; s < nIsl; s++) rows.add(islCols[s]!, islVals[s]!, islandLoad[s]!, islandLoad[s]!);
  };
  const ptdfCache = new Map<number, Float64Array>();
  const addLimitRow = (
    rows: RowBuilder,
    k: number,
    kind: 'flow' | 'angle',
  ): { row: number; ptdf: Float64Array } => {
    let ptdf = ptdfCache.get(k);
    if (!ptdf) {
      ptdf = ptdfRow(model, k);
      ptdfCache.set(k, ptdf);
    }
    let fixed = base * model.pfInjPu[k]!;
    for (let i = 0; i < n; i++) fixed += ptdf[i]! * fixedInj[i]!;
    for (let c = 0; c < nInj; c++) rows.push(colIdx[c]!, ptdf[colBus[c]!]! * colSign[c]!);
    let lo: number;
    let hi: number;
    if (kind === 'flow') {
      const rate = model.network.branches[model.branchRows[k]!]!.rateAMw;
      lo = -rate - fixed;
      hi = rate - fixed;
    } else {
      // angle difference d = (flow/base - pfinj) / b, so flow = base * (b d + pfinj)
      const a = angleLimits(model, k)!;
      const scale = base * model.brB[k]!;
      const flo = a.lo * scale + base * model.pfInjPu[k]!;
      const fhi = a.hi * scale + base * model.pfInjPu[k]!;
      lo = Math.min(flo, fhi) - fixed;
      hi = Math.max(flo, fhi) - fixed;
    }
    return { row: rows.end(lo, hi), ptdf };
  };
  return { nInj, colIdx, colBus, colSign, addIslandRows, addLimitRow };
}
