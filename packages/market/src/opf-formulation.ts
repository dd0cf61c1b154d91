// The DC dispatch problem shared by the OPF and network clearing: generators at their cost curves,
// order steps as bids and offers, fixed loads, nodal balance, branch limits in both directions, angle
// differences and generator limits. Two formulations of the same problem:
// - "b-theta": bus angles are variables, one balance row per bus (MATPOWER's DC OPF);
// - "ptdf": injections only, one system balance row per island plus the branch limits that bind,
//   found by constraint generation with PTDF rows from sparse solves of the susceptance matrix.
// Both produce the same dispatch, LMPs and branch shadow prices; see opf.ts for which is used.
import { InputError } from '@gridledger/base';
import { branchFlowsMw, type DcModel, ptdfRow, solveAngles } from '@gridledger/grid';
import type { LinearProgram, LpSolution } from './lp.ts';
import type { Order } from './types.ts';

/** One cleared quantity variable per order step. */
export interface StepIndex {
  /** Internal bus of each step. */
  bus: Int32Array;
  /** +1 for sell steps (injection), -1 for buy steps (withdrawal). */
  sign: Int8Array;
  price: Float64Array;
  quantity: Float64Array;
  /** First step of order k is orderStart[k]. */
  orderStart: Int32Array;
}

/** Flattens order steps, mapping buses to the model's internal indices. */
export function indexSteps(model: DcModel, orders: readonly Order[]): StepIndex {
  let n = 0;
  for (const o of orders) n += o.steps.length;
  const bus = new Int32Array(n);
  const sign = new Int8Array(n);
  const price = new Float64Array(n);
  const quantity = new Float64Array(n);
  const orderStart = new Int32Array(orders.length + 1);
  let s = 0;
  orders.forEach((o, k) => {
    orderStart[k] = s;
    const b = model.busIndex.get(o.bus);
    if (b === undefined) {
      throw new InputError(`order "${o.id}": bus ${o.bus} is not an in-service bus of ${model.network.name}`);
    }
    for (const st of o.steps) {
      bus[s] = b;
      sign[s] = o.side === 'sell' ? 1 : -1;
      price[s] = st.price;
      quantity[s] = st.quantity;
      s++;
    }
  });
  orderStart[orders.length] = s;
  return { bus, sign, price, quantity, orderStart };
}

/** Column layout shared by both formulations: generators, PWL epigraph variables, order steps. */
interface CostColumns {
  nGen: number;
  /** Generator k (internal) -> its epigraph column, or -1. */
  pwlCol: Int32Array;
  nPwl: number;
  stepCol0: number;
  nSteps: number;
  colCost: number[];
  colQuadratic: number[];
  colLower: number[];
  colUpper: number[];
  offset: number;
  /** PWL rows as (gen column, epigraph column, slope, rhs). */
  pwlRows: { g: number; y: number; slope: number; rhs: number }[];
}

function costColumns(model: DcModel, steps: StepIndex): CostColumns {
  const nGen = model.genRows.length;
  const colCost: number[] = [];
  const colQuadratic: number[] = [];
  const colLower: number[] = [];
  const colUpper: number[] = [];
  const pwlCol = new Int32Array(nGen).fill(-1);
  const pwlRows: CostColumns['pwlRows'] = [];
  let offset = 0;
  let nPwl = 0;
  for (let k = 0; k < nGen; k++) {
    const g = model.network.generators[model.genRows[k]!]!;
    colLower.push(g.pminMw);
    colUpper.push(g.pmaxMw);
    const cost = g.cost;
    if (!cost) {
      throw new InputError(
        `${model.network.name}: generator ${g.index} has no cost (mpc.gencost is needed for an OPF)`,
      );
    }
    if (cost.model === 'polynomial') {
      const c = cost.coefficients;
      if (c.length > 3) {
        throw new InputError(
          `${model.network.name}: generator ${g.index}: polynomial costs above degree 2 are not supported by the DC OPF`,
        );
      }
      const c2 = c.length === 3 ? c[0]! : 0;
      const c1 = c.length >= 2 ? c[c.length - 2]! : 0;
      const c0 = c.length >= 1 ? c[c.length - 1]! : 0;
      if (c2 < 0)
        throw new InputError(`${model.network.name}: generator ${g.index}: concave quadratic cost ${c2}`);
      colCost.push(c1);
      colQuadratic.push(2 * c2);
      offset += c0;
    } else {
      colCost.push(0);
      colQuadratic.push(0);
      pwlCol[k] = nPwl++;
    }
  }
  for (let k = 0; k < nGen; k++) {
    if (pwlCol[k]! < 0) continue;
    const y = nGen + pwlCol[k]!;
    pwlCol[k] = y;
    colCost.push(1);
    colQuadratic.push(0);
    colLower.push(Number.NEGATIVE_INFINITY);
    colUpper.push(Number.POSITIVE_INFINITY);
    const cost = model.network.generators[model.genRows[k]!]!.cost!;
    if (cost.model !== 'piecewise') continue;
    const pts = cost.points;
    for (let s = 1; s < pts.length; s++) {
      const slope = (pts[s]!.cost - pts[s - 1]!.cost) / (pts[s]!.mw - pts[s - 1]!.mw);
      pwlRows.push({ g: k, y, slope, rhs: pts[s - 1]!.cost - slope * pts[s - 1]!.mw });
    }
  }
  const stepCol0 = nGen + nPwl;
  for (let s = 0; s < steps.price.length; s++) {
    colCost.push(steps.sign[s]! > 0 ? steps.price[s]! : -steps.price[s]!);
    colQuadratic.push(0);
    colLower.push(0);
    colUpper.push(steps.quantity[s]!);
  }
  return {
    nGen,
    pwlCol,
    nPwl,
    stepCol0,
    nSteps: steps.price.length,
    colCost,
    colQuadratic,
    colLower,
    colUpper,
    offset,
    pwlRows,
  };
}

/** Growing CSR rows. */
class RowBuilder {
  start: number[] = [0];
  index: number[] = [];
  value: number[] = [];
  lower: number[] = [];
  upper: number[] = [];
  add(cols: ArrayLike<number>, vals: ArrayLike<number>, lo: number, up: number): number {
    for (let k = 0; k < cols.length; k++) {
      if (vals[k] !== 0) {
        this.index.push(cols[k]!);
        this.value.push(vals[k]!);
      }
    }
    this.start.push(this.index.length);
    this.lower.push(lo);
    this.upper.push(up);
    return this.lower.length - 1;
  }
  get count(): number {
    return this.lower.length;
  }
}

function toProgram(
  cc: CostColumns,
  extraCols: { cost: number; lower: number; upper: number }[],
  rows: RowBuilder,
): LinearProgram {
  const colCost = [...cc.colCost];
  const colQuadratic = [...cc.colQuadratic];
  const colLower = [...cc.colLower];
  const colUpper = [...cc.colUpper];
  for (const c of extraCols) {
    colCost.push(c.cost);
    colQuadratic.push(0);
    colLower.push(c.lower);
    colUpper.push(c.upper);
  }
  return {
    numCols: colCost.length,
    numRows: rows.count,
    colCost: Float64Array.from(colCost),
    colQuadratic: Float64Array.from(colQuadratic),
    colLower: Float64Array.from(colLower),
    colUpper: Float64Array.from(colUpper),
    rowLower: Float64Array.from(rows.lower),
    rowUpper: Float64Array.from(rows.upper),
    rowStart: Int32Array.from(rows.start),
    index: Int32Array.from(rows.index),
    value: Float64Array.from(rows.value),
    offset: cc.offset,
  };
}

/** Angle-difference limits of an in-service branch in radians, or undefined when not enforced. */
export function angleLimits(model: DcModel, k: number): { lo: number; hi: number } | undefined {
  const br = model.network.branches[model.branchRows[k]!]!;
  if (br.angminDeg === 0 && br.angmaxDeg === 0) return undefined;
  const lo = br.angminDeg <= -360 ? Number.NEGATIVE_INFINITY : (br.angminDeg * Math.PI) / 180;
  const hi = br.angmaxDeg >= 360 ? Number.POSITIVE_INFINITY : (br.angmaxDeg * Math.PI) / 180;
  if (lo === Number.NEGATIVE_INFINITY && hi === Number.POSITIVE_INFINITY) return undefined;
  return { lo, hi };
}

/** What a solved dispatch problem tells, in the DC model's internal order. */
export interface DispatchSolution {
  status: LpSolution['status'];
  reason?: string;
  /** Objective: generation cost + offers' cost - bids' value, $/h (constant cost terms included). */
  objective: number;
  /** MW per in-service generator (internal order). */
  pgMw: Float64Array;
  /** MW cleared per order step. */
  stepMw: Float64Array;
  /** Bus angles, radians. */
  thetaRad: Float64Array;
  /** LMP per bus, $/MWh. */
  lmp: Float64Array;
  /** From-end flow per in-service branch, MW. */
  flowMw: Float64Array;
  muFrom: Float64Array;
  muTo: Float64Array;
  /** The program that was solved last and its solution (for the certificate). */
  program: LinearProgram;
  solution: LpSolution;
  /** Solver calls made (1 for b-theta; constraint-generation rounds for ptdf). */
  rounds: number;
  /** Time spent inside HiGHS, ms. */
  solveMs: number;
}

type Solve = (lp: LinearProgram) => LpSolution;

function emptyDispatch(
  model: DcModel,
  steps: StepIndex,
  lp: LinearProgram,
  sol: LpSolution,
): DispatchSolution {
  const n = model.busRows.length;
  const m = model.branchRows.length;
  return {
    status: sol.status,
    reason: sol.reason,
    objective: Number.NaN,
    pgMw: new Float64Array(model.genRows.length),
    stepMw: new Float64Array(steps.price.length),
    thetaRad: new Float64Array(n),
    lmp: new Float64Array(n),
    flowMw: new Float64Array(m),
    muFrom: new Float64Array(m),
    muTo: new Float64Array(m),
    program: lp,
    solution: sol,
    rounds: 1,
    solveMs: 0,
  };
}

/** Solves the dispatch problem with bus angles as variables (MATPOWER's DC OPF formulation). */
export function solveBTheta(model: DcModel, steps: StepIndex, solve: Solve): DispatchSolution {
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
  const sol = solve(lp);
  const solveMs = performance.now() - t0;
  if (sol.status !== 'optimal') return { ...emptyDispatch(model, steps, lp, sol), solveMs };
  const thetaRad = sol.x.slice(theta0, theta0 + n);
  const muFrom = new Float64Array(m);
  const muTo = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    if (flowRow[k]! < 0) continue;
    const y = sol.rowDual[flowRow[k]!]!;
    muFrom[k] = Math.max(0, -y);
    muTo[k] = Math.max(0, y);
  }
  return {
    status: 'optimal',
    objective: sol.objective,
    pgMw: sol.x.slice(0, cc.nGen),
    stepMw: sol.x.slice(cc.stepCol0, cc.stepCol0 + cc.nSteps),
    thetaRad,
    lmp: sol.rowDual.slice(0, n),
    flowMw: branchFlowsMw(model, thetaRad),
    muFrom,
    muTo,
    program: lp,
    solution: sol,
    rounds: 1,
    solveMs,
  };
}

/** Options of the PTDF formulation. */
export interface PtdfOptions {
  /** Feasibility tolerance on branch flows, MW (a line is added when it exceeds its limit by more). */
  flowToleranceMw?: number;
  /** Maximum constraint-generation rounds before giving up with status "error". */
  maxRounds?: number;
}

/**
 * Solves the dispatch problem in PTDF form with constraint generation: first without branch limits,
 * then adding the PTDF rows of every branch whose flow exceeds its limit (or angle difference its
 * bounds), until none does. The final program contains only the added limits; its duals give the
 * LMPs: LMP_i = lambda_island - sum_l (mu_l^+ - mu_l^-) PTDF_{l,i}.
 */
export function solvePtdf(
  model: DcModel,
  steps: StepIndex,
  solve: Solve,
  options: PtdfOptions = {},
): DispatchSolution {
  const tol = options.flowToleranceMw ?? 1e-6;
  const maxRounds = options.maxRounds ?? 50;
  const cc = costColumns(model, steps);
  const n = model.busRows.length;
  const m = model.branchRows.length;
  const nIsl = model.islandRef.length;
  const base = model.baseMVA;
  // Injection column lists per bus: (column, sign).
  const colBus: number[] = [];
  const colSign: number[] = [];
  const colIdx: number[] = [];
  for (let k = 0; k < cc.nGen; k++) {
    colIdx.push(k);
    colBus.push(model.genBus[k]!);
    colSign.push(1);
  }
  for (let s = 0; s < cc.nSteps; s++) {
    colIdx.push(cc.stepCol0 + s);
    colBus.push(steps.bus[s]!);
    colSign.push(steps.sign[s]!);
  }
  // Fixed injections per bus (MW): -load - base*Pbusinj (the phase shifters' equivalent injections).
  const fixedInj = new Float64Array(n);
  for (let i = 0; i < n; i++) fixedInj[i] = -model.loadMw[i]! - base * model.pBusInjPu[i]!;
  const islandLoad = new Float64Array(nIsl);
  for (let i = 0; i < n; i++) islandLoad[model.busIsland[i]!]! -= fixedInj[i]!;

  interface Limit {
    branch: number;
    kind: 'flow' | 'angle';
    ptdf: Float64Array;
  }
  const limits: Limit[] = [];
  const have = new Set<string>();
  const ptdfCache = new Map<number, Float64Array>();
  const getPtdf = (k: number) => {
    let r = ptdfCache.get(k);
    if (!r) {
      r = ptdfRow(model, k);
      ptdfCache.set(k, r);
    }
    return r;
  };
  let solveMs = 0;
  let rounds = 0;
  for (;;) {
    rounds++;
    const rows = new RowBuilder();
    // One balance row per island: sum of injections = island load.
    const islCols: number[][] = Array.from({ length: nIsl }, () => []);
    const islVals: number[][] = Array.from({ length: nIsl }, () => []);
    for (let c = 0; c < colIdx.length; c++) {
      const isl = model.busIsland[colBus[c]!]!;
      islCols[isl]!.push(colIdx[c]!);
      islVals[isl]!.push(colSign[c]!);
    }
    for (let s = 0; s < nIsl; s++) rows.add(islCols[s]!, islVals[s]!, islandLoad[s]!, islandLoad[s]!);
    // Limits: flow_l = sum_i ptdf_li * inj_i + base * pfinj_l (the fixed part folded into the bounds).
    const limitRow: number[] = [];
    for (const lim of limits) {
      const k = lim.branch;
      const ptdf = lim.ptdf;
      let fixed = base * model.pfInjPu[k]!;
      for (let i = 0; i < n; i++) fixed += ptdf[i]! * fixedInj[i]!;
      const cols: number[] = [];
      const vals: number[] = [];
      for (let c = 0; c < colIdx.length; c++) {
        const v = ptdf[colBus[c]!]! * colSign[c]!;
        if (v !== 0) {
          cols.push(colIdx[c]!);
          vals.push(v);
        }
      }
      let lo: number;
      let hi: number;
      if (lim.kind === 'flow') {
        const rate = model.network.branches[model.branchRows[k]!]!.rateAMw;
        lo = -rate - fixed;
        hi = rate - fixed;
      } else {
        // angle difference = (flow/base - pfinj) / b
        const a = angleLimits(model, k)!;
        const scale = base * model.brB[k]!;
        const flo = a.lo * scale + base * model.pfInjPu[k]!;
        const fhi = a.hi * scale + base * model.pfInjPu[k]!;
        lo = Math.min(flo, fhi) - fixed;
        hi = Math.max(flo, fhi) - fixed;
      }
      limitRow.push(rows.add(cols, vals, lo, hi));
    }
    for (const r of cc.pwlRows) rows.add([r.y, r.g], [1, -r.slope], r.rhs, Number.POSITIVE_INFINITY);
    const lp = toProgram(cc, [], rows);
    const t0 = performance.now();
    const sol = solve(lp);
    solveMs += performance.now() - t0;
    if (sol.status !== 'optimal') return { ...emptyDispatch(model, steps, lp, sol), rounds, solveMs };
    // Flows of the current dispatch by one DC power flow.
    const inj = new Float64Array(n);
    for (let i = 0; i < n; i++) inj[i] = -model.loadMw[i]!;
    for (let c = 0; c < colIdx.length; c++) inj[colBus[c]!]! += colSign[c]! * sol.x[colIdx[c]!]!;
    const thetaRad = solveAngles(model, inj);
    const flowMw = branchFlowsMw(model, thetaRad);
    let added = 0;
    for (let k = 0; k < m; k++) {
      const rate = model.network.branches[model.branchRows[k]!]!.rateAMw;
      if (rate > 0 && Math.abs(flowMw[k]!) > rate + tol && !have.has(`f${k}`)) {
        have.add(`f${k}`);
        limits.push({ branch: k, kind: 'flow', ptdf: getPtdf(k) });
        added++;
      }
      const a = angleLimits(model, k);
      if (a) {
        const d = thetaRad[model.brFrom[k]!]! - thetaRad[model.brTo[k]!]!;
        const atol = tol / (base * Math.abs(model.brB[k]!));
        if ((d < a.lo - atol || d > a.hi + atol) && !have.has(`a${k}`)) {
          have.add(`a${k}`);
          limits.push({ branch: k, kind: 'angle', ptdf: getPtdf(k) });
          added++;
        }
      }
    }
    if (added > 0 && rounds < maxRounds) continue;
    if (added > 0) {
      return {
        ...emptyDispatch(model, steps, lp, { ...sol, status: 'error' }),
        reason: `constraint generation did not converge in ${maxRounds} rounds`,
        status: 'error',
        rounds,
        solveMs,
      };
    }
    // LMPs from the duals: lambda of the island minus the limits' PTDF-weighted duals.
    const lmp = new Float64Array(n);
    for (let i = 0; i < n; i++) lmp[i] = sol.rowDual[model.busIsland[i]!]!;
    const muFrom = new Float64Array(m);
    const muTo = new Float64Array(m);
    limits.forEach((lim, r) => {
      const y = sol.rowDual[limitRow[r]!]!;
      if (y === 0) return;
      for (let i = 0; i < n; i++) lmp[i]! += y * lim.ptdf[i]!;
      if (lim.kind === 'flow') {
        muFrom[lim.branch] = Math.max(0, -y);
        muTo[lim.branch] = Math.max(0, y);
      }
    });
    return {
      status: 'optimal',
      objective: sol.objective,
      pgMw: sol.x.slice(0, cc.nGen),
      stepMw: sol.x.slice(cc.stepCol0, cc.stepCol0 + cc.nSteps),
      thetaRad,
      lmp,
      flowMw,
      muFrom,
      muTo,
      program: lp,
      solution: sol,
      rounds,
      solveMs,
    };
  }
}
