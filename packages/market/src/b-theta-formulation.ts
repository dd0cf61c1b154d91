// The b-theta formulation of the DC dispatch problem (MATPOWER's DC OPF): generators, order steps and bus
// angles as variables, one balance row per bus, one ranged row per limited branch, angle-difference rows
// and piecewise-linear cost cuts. The LMPs are the balance rows' duals (lmp.ts). Kept for comparison and
// tests; the default is the PTDF formulation (ptdf-formulation.ts).
import { branchFlowsMw, type DcModel } from '@gridledger/grid';
import type { Highs } from 'highs';
import { angleLimits, costColumns, RowBuilder, toProgram } from './dispatch-program.ts';
import { type DispatchSolution, emptyDispatch } from './dispatch-solution.ts';
import type { StepIndex } from './dispatch-steps.ts';
import { balanceRowLmps, fromEndShadowPrice, toEndShadowPrice } from './lmp.ts';
import { solveLinearProgram } from './lp.ts';

/** Solves the dispatch problem with bus angles as variables (MATPOWER's DC OPF formulation). */
export function solveBTheta(model: DcModel, steps: StepIndex, highs: Highs): DispatchSolution {
  const cc = costColumns(model, steps);
  const n = model.busRows.length;
  const m = model.branchRows.length;
  const base = model.baseMVA;
  const theta0 = cc.stepCol0 + cc.nSteps;
  const rows = new RowBuilder();
  // Nodal balance: gens + sells - buys - base * (B theta)_i = load_i + base * Pbusinj_i.
  const atBus: number[][] = Array.from({ length: n }, () => []);
  const signAt: number[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < cc.nGen; k++) {
    atBus[model.genBus[k]!]!.push(k);
    signAt[model.genBus[k]!]!.push(1);
  }
  for (let s = 0; s < cc.nSteps; s++) {
    atBus[steps.bus[s]!]!.push(cc.stepCol0 + s);
    signAt[steps.bus[s]!]!.push(steps.sign[s]!);
  }
  const bb = model.bBus;
  for (let i = 0; i < n; i++) {
    const cols = atBus[i]!;
    const vals = signAt[i]!;
    for (let k = bb.p[i]!; k < bb.p[i + 1]!; k++) {
      cols.push(theta0 + bb.i[k]!);
      vals.push(-base * bb.x[k]!);
    }
    const rhs = model.loadMw[i]! + base * model.pBusInjPu[i]!;
    rows.add(cols, vals, rhs, rhs);
  }
  const flowRow = new Int32Array(m).fill(-1);
  for (let k = 0; k < m; k++) {
    const rate = model.network.branches[model.branchRows[k]!]!.rateAMw;
    if (!(rate > 0)) continue;
    const b = base * model.brB[k]!;
    const inj = base * model.pfInjPu[k]!;
    flowRow[k] = rows.add(
      [theta0 + model.brFrom[k]!, theta0 + model.brTo[k]!],
      [b, -b],
      -rate - inj,
      rate - inj,
    );
  }
  for (let k = 0; k < m; k++) {
    const lim = angleLimits(model, k);
    if (lim) rows.add([theta0 + model.brFrom[k]!, theta0 + model.brTo[k]!], [1, -1], lim.lo, lim.hi);
  }
  for (const r of cc.pwlRows) rows.add([r.y, r.g], [1, -r.slope], r.rhs, Number.POSITIVE_INFINITY);
  const isRef = new Map<number, number>();
  model.islandRef.forEach((r, k) => {
    isRef.set(r, model.islandRefAngleRad[k]!);
  });
  const thetaCols = Array.from({ length: n }, (_, i) => {
    const a = isRef.get(i);
    return a === undefined
      ? { cost: 0, lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY }
      : { cost: 0, lower: a, upper: a };
  });
  const lp = toProgram(cc, thetaCols, rows);
  const t0 = performance.now();
  const sol = solveLinearProgram(highs, lp);
  const solveMs = performance.now() - t0;
  if (sol.status !== 'optimal') return { ...emptyDispatch(model, steps, lp, sol), solveMs };
  const thetaRad = sol.x.slice(theta0, theta0 + n);
  const muFrom = new Float64Array(m);
  const muTo = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    if (flowRow[k]! < 0) continue;
    const y = sol.rowDual[flowRow[k]!]!;
    muFrom[k] = fromEndShadowPrice(y);
    muTo[k] = toEndShadowPrice(y);
  }
  return {
    status: 'optimal',
    objective: sol.objective,
    pgMw: sol.x.slice(0, cc.nGen),
    stepMw: sol.x.slice(cc.stepCol0, cc.stepCol0 + cc.nSteps),
    thetaRad,
    lmp: balanceRowLmps(sol.rowDual, n),
    flowMw: branchFlowsMw(model, thetaRad),
    muFrom,
    muTo,
    program: lp,
    solution: sol,
    rounds: 1,
    solveMs,
  };
}
