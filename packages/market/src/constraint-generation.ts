// Constraint generation for the PTDF formulation (`ptdfCore`): solve with the island balance rows only,
// run one DC power flow of the dispatch, add the PTDF limit rows of every branch whose flow exceeds its
// limit (or angle difference its bounds), and of every approximated quadratic cost whose tangent cut is
// loose, then re-solve from the last basis in the same HiGHS session, until nothing is added. Reports the
// dispatch, flows, LMPs (lmp.ts), branch shadow prices and the limits that were added.
import { branchFlowsMw, type DcModel, solveAngles } from '@gridledger/grid';
import type { Highs } from 'highs';
import {
  angleLimits,
  type CostColumns,
  type ExtraColumn,
  RowBuilder,
  type TangentCost,
  toProgram,
} from './dispatch-program.ts';
import { type DispatchSolution, emptyDispatch, type LimitRef } from './dispatch-solution.ts';
import type { StepIndex } from './dispatch-steps.ts';
import { fromEndShadowPrice, type PricedLimit, ptdfLmps, toEndShadowPrice } from './lmp.ts';
import { type LpSession, solveLinearProgram, withLpSession } from './lp.ts';
import { ptdfTerms } from './ptdf-model.ts';

/** Options of the PTDF formulation. */
export interface PtdfOptions {
  /** Feasibility tolerance on branch flows, MW (a line is added when it exceeds its limit by more). */
  flowToleranceMw?: number;
  /** Maximum constraint-generation rounds before giving up with status "error". */
  maxRounds?: number;
  /** Screen order steps (see solvePtdf) when there are more steps than this (200). */
  screenAboveSteps?: number;
  /** Start screening from prices of steps merged into 1 $/MWh bands above this many steps (5000). */
  coarseAboveSteps?: number;
}

/** A PTDF dispatch solution with the limits its final program contains. */
export type PtdfDispatch = DispatchSolution & { limitBranches: LimitRef[] };

/**
 * Solves the PTDF program of `cc` (plus `extra` columns) by constraint generation, starting from the
 * `seed` limits; `tangents` are refined by tangent cuts, `extraInjMw` are fixed injections per bus (MW).
 */
export function ptdfCore(
  model: DcModel,
  steps: StepIndex,
  cc: CostColumns,
  extra: ExtraColumn[],
  highs: Highs,
  options: PtdfOptions,
  seed: readonly LimitRef[] = [],
  tangents: TangentCost[] = [],
  extraInjMw?: Float64Array,
): PtdfDispatch {
  const tol = options.flowToleranceMw ?? 1e-6;
  const maxRounds = options.maxRounds ?? 50;
  const n = model.busRows.length;
  const m = model.branchRows.length;
  const base = model.baseMVA;
  const terms = ptdfTerms(model, cc, steps, extraInjMw);
  const { nInj, colIdx, colBus, colSign } = terms;
  const rows = new RowBuilder();
  terms.addIslandRows(rows);
  for (const r of cc.pwlRows) rows.add([r.y, r.g], [1, -r.slope], r.rhs, Number.POSITIVE_INFINITY);

  interface Limit extends LimitRef, PricedLimit {}
  const limits: Limit[] = [];
  const have = new Set<string>();
  const addLimit = (k: number, kind: 'flow' | 'angle'): void => {
    const key = `${kind}${k}`;
    if (have.has(key)) return;
    have.add(key);
    const { row, ptdf } = terms.addLimitRow(rows, k, kind);
    limits.push({ branch: k, kind, ptdf, row });
  };
  for (const l of seed) addLimit(l.branch, l.kind);
  const angled: { k: number; lo: number; hi: number }[] = [];
  for (let k = 0; k < m; k++) {
    const a = angleLimits(model, k);
    if (a) angled.push({ k, ...a });
  }

  const lp0 = toProgram(cc, extra, rows);
  const program = () => toProgram(cc, extra, rows);
  let solveMs = 0;
  let rounds = 0;
  const limitBranches = () => limits.map((l) => ({ branch: l.branch, kind: l.kind }));
  const run = (session: LpSession) => {
    for (;;) {
      rounds++;
      const t0 = performance.now();
      const sol = session.run();
      solveMs += performance.now() - t0;
      if (sol.status !== 'optimal') {
        return {
          ...emptyDispatch(model, steps, program(), sol),
          rounds,
          solveMs,
          limitBranches: limitBranches(),
        };
      }
      // Flows of the current dispatch by one DC power flow.
      const inj = new Float64Array(n);
      for (let i = 0; i < n; i++) inj[i] = -model.loadMw[i]! + (extraInjMw?.[i] ?? 0);
      for (let c = 0; c < nInj; c++) inj[colBus[c]!]! += colSign[c]! * sol.x[colIdx[c]!]!;
      const thetaRad = solveAngles(model, inj);
      const flowMw = branchFlowsMw(model, thetaRad);
      const firstNew = rows.count;
      for (let k = 0; k < m; k++) {
        const rate = model.rateMw[k]!;
        if (rate > 0 && Math.abs(flowMw[k]!) > rate + tol) addLimit(k, 'flow');
      }
      for (const a of angled) {
        const d = thetaRad[model.brFrom[a.k]!]! - thetaRad[model.brTo[a.k]!]!;
        const atol = tol / (base * Math.abs(model.brB[a.k]!));
        if (d < a.lo - atol || d > a.hi + atol) addLimit(a.k, 'angle');
      }
      // LMPs from the duals: lambda of the island plus the limits' PTDF-weighted duals (lmp.ts).
      const lmp = ptdfLmps(model, sol.rowDual, limits);
      const muFrom = new Float64Array(m);
      const muTo = new Float64Array(m);
      for (const lim of limits) {
        if (lim.kind !== 'flow' || lim.row >= sol.rowDual.length) continue;
        const y = sol.rowDual[lim.row]!;
        if (y === 0) continue;
        muFrom[lim.branch] = fromEndShadowPrice(y);
        muTo[lim.branch] = toEndShadowPrice(y);
      }
      // Tangent cuts where the epigraph of an approximated quadratic cost is below the curve.
      for (const t of tangents) {
        const p = sol.x[t.g]!;
        const f = t.c2 * p * p + t.c1 * p;
        if (f - sol.x[t.y]! > 1e-9 * Math.max(1, Math.abs(f))) {
          rows.add([t.y, t.g], [1, -(2 * t.c2 * p + t.c1)], -t.c2 * p * p, Number.POSITIVE_INFINITY);
        }
      }
      const added = rows.count - firstNew;
      if (added > 0 && rounds < maxRounds) {
        const s0 = rows.start[firstNew]!;
        const fresh = rows.entries(s0);
        session.addRows(
          Float64Array.from(rows.lower.slice(firstNew)),
          Float64Array.from(rows.upper.slice(firstNew)),
          Int32Array.from(rows.start.slice(firstNew), (v) => v - s0),
          fresh.index,
          fresh.value,
        );
        continue;
      }
      if (added > 0) {
        return {
          ...emptyDispatch(model, steps, program(), { ...sol, status: 'error' }),
          reason: `constraint generation did not converge in ${maxRounds} rounds`,
          status: 'error' as const,
          rounds,
          solveMs,
          limitBranches: limitBranches(),
        };
      }
      return {
        status: 'optimal' as const,
        objective: sol.objective,
        pgMw: sol.x.slice(0, cc.nGen),
        stepMw: sol.x.slice(cc.stepCol0, cc.stepCol0 + cc.nSteps),
        thetaRad,
        lmp,
        flowMw,
        muFrom,
        muTo,
        program: program(),
        solution: sol,
        rounds,
        solveMs,
        limitBranches: limitBranches(),
      };
    }
  };
  if (lp0.numCols === 0) {
    const sol = solveLinearProgram(highs, lp0);
    return {
      ...emptyDispatch(model, steps, lp0, sol),
      objective: sol.objective,
      rounds: 1,
      limitBranches: [],
    };
  }
  return withLpSession(highs, lp0, run);
}
