// The DC dispatch problem shared by the OPF and network clearing: generators at their cost curves,
// order steps as bids and offers, fixed loads, nodal balance, branch limits in both directions, angle
// differences and generator limits. Two formulations of the same problem:
// - "b-theta": bus angles are variables, one balance row per bus (MATPOWER's DC OPF);
// - "ptdf": injections only, one system balance row per island plus the branch limits that bind,
//   found by constraint generation with PTDF rows from sparse solves of the susceptance matrix.
// Both produce the same dispatch, LMPs and branch shadow prices; see opf.ts for which is used.
import { InputError } from '@gridledger/base';
import { branchFlowsMw, type DcModel, ptdfRow, solveAngles } from '@gridledger/grid';
import type { Highs } from 'highs';
import {
  type LinearProgram,
  type LpSession,
  type LpSolution,
  solveLinearProgram,
  withLpSession,
} from './lp.ts';
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
  /** Screen order steps (see solvePtdf) when costs are quadratic and there are more steps than this (200). */
  screenAboveSteps?: number;
  /** Start screening from prices of steps merged into 1 $/MWh bands above this many steps (5000). */
  coarseAboveSteps?: number;
}

/** Column bounds that override the program's (fixed order steps during screening). */
interface FixedSteps {
  /** Step index -> 1 when fixed. */
  fixed: Uint8Array;
  lower: Float64Array;
  upper: Float64Array;
}

/** A quadratic cost c2 p^2 + c1 p of generator column `g`, represented by tangent cuts on column `y`. */
interface TangentCost {
  g: number;
  y: number;
  c2: number;
  c1: number;
}

/** An outer linear approximation of the quadratic costs: epigraph columns with a few tangent cuts. */
function approximateQuadratic(cc: CostColumns): {
  cc: CostColumns;
  extra: { cost: number; lower: number; upper: number }[];
  tangents: TangentCost[];
} {
  const out: CostColumns = {
    ...cc,
    colCost: [...cc.colCost],
    colQuadratic: [...cc.colQuadratic],
    pwlRows: [...cc.pwlRows],
  };
  const extra: { cost: number; lower: number; upper: number }[] = [];
  const tangents: TangentCost[] = [];
  const firstExtra = cc.stepCol0 + cc.nSteps;
  for (let k = 0; k < cc.nGen; k++) {
    const q = cc.colQuadratic[k]!;
    if (q === 0) continue;
    const c2 = q / 2;
    const c1 = cc.colCost[k]!;
    const lo = Number.isFinite(cc.colLower[k]!) ? cc.colLower[k]! : -1e4;
    const hi = Number.isFinite(cc.colUpper[k]!) ? cc.colUpper[k]! : 1e4;
    const y = firstExtra + extra.length;
    extra.push({ cost: 1, lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY });
    out.colQuadratic[k] = 0;
    out.colCost[k] = 0;
    for (const at of [lo, (lo + hi) / 2, hi]) {
      out.pwlRows.push({ g: k, y, slope: 2 * c2 * at + c1, rhs: -c2 * at * at });
    }
    tangents.push({ g: k, y, c2, c1 });
  }
  return { cc: out, extra, tangents };
}

/**
 * Solves the dispatch problem in PTDF form with constraint generation: first without branch limits,
 * then adding the PTDF rows of every branch whose flow exceeds its limit (or angle difference its
 * bounds), until none does. One HiGHS instance serves the rounds of one solve (rows are appended and
 * the solver restarts from its last basis) and is disposed at the end. The final program contains only
 * the added limits; its duals give the LMPs: LMP_i = lambda_island + sum_l y_l PTDF_{l,i}.
 *
 * With quadratic costs and many order steps, HiGHS's active-set QP solver needs about one iteration per
 * step that moves, so the steps are screened first: an LP with the quadratic costs replaced by tangent
 * cuts gives approximate prices, steps far in or out of the money are fixed at their bounds, and the
 * exact QP is solved with the rest free. A fixed step whose reduced cost then has the wrong sign is
 * freed and the QP solved again, so the final answer is the exact optimum of the full problem (the
 * certificate is checked against the original bounds).
 */
export function solvePtdf(
  model: DcModel,
  steps: StepIndex,
  highs: Highs,
  options: PtdfOptions = {},
): DispatchSolution {
  const cc = costColumns(model, steps);
  const quadratic = cc.colQuadratic.some((q) => q !== 0);
  if (!(quadratic && cc.nSteps > (options.screenAboveSteps ?? 200))) {
    return ptdfCore(model, steps, cc, [], highs, options);
  }
  let rounds = 0;
  let solveMs = 0;
  let prices: Float64Array;
  let seed: { branch: number; kind: 'flow' | 'angle' }[] = [];
  if (cc.nSteps > (options.coarseAboveSteps ?? 5000)) {
    // 0. Coarse prices from the steps merged per bus, side and 1 $/MWh price band (tangent-cut LP),
    // 1. then the tangent-cut LP over the steps within 2 $/MWh of them (others fixed, checked, freed).
    const coarse = approximateLp(model, aggregateSteps(steps, 1), highs, options, []);
    rounds += coarse.rounds;
    solveMs += coarse.solveMs;
    if (coarse.status !== 'optimal') return ptdfCore(model, steps, cc, [], highs, options);
    const mid = screenedSolve(model, steps, cc, highs, options, coarse.lmp, 2, coarse.limitBranches, true);
    rounds += mid.rounds;
    solveMs += mid.solveMs;
    if (!mid.result) return ptdfCore(model, steps, cc, [], highs, options);
    prices = mid.result.lmp;
    seed = mid.result.limitBranches;
  } else {
    // 1. Approximate prices: the tangent-cut LP over all steps.
    const guess = approximateLp(model, steps, highs, options, []);
    rounds += guess.rounds;
    solveMs += guess.solveMs;
    if (guess.status !== 'optimal') return ptdfCore(model, steps, cc, [], highs, options);
    prices = guess.lmp;
    seed = guess.limitBranches;
  }
  // 2. The exact QP over the steps within 1e-3 $/MWh of those prices, the others fixed, checked, freed.
  const exact = screenedSolve(model, steps, cc, highs, options, prices, 1e-3, seed, false);
  rounds += exact.rounds;
  solveMs += exact.solveMs;
  if (!exact.result) {
    const full = ptdfCore(model, steps, cc, [], highs, options);
    return { ...full, rounds: rounds + full.rounds, solveMs: solveMs + full.solveMs };
  }
  return { ...exact.result, rounds, solveMs };
}

/** The dispatch problem with the quadratic costs replaced by tangent cuts, refined until tight. */
function approximateLp(
  model: DcModel,
  steps: StepIndex,
  highs: Highs,
  options: PtdfOptions,
  seed: { branch: number; kind: 'flow' | 'angle' }[],
  extraInjMw?: Float64Array,
) {
  const approx = approximateQuadratic(costColumns(model, steps));
  return ptdfCore(
    model,
    steps,
    approx.cc,
    approx.extra,
    highs,
    { ...options, maxRounds: 400 },
    undefined,
    seed,
    approx.tangents,
    extraInjMw,
  );
}

/** Steps merged per bus, side and price band of `width` $/MWh (quantity-weighted mean price). */
function aggregateSteps(steps: StepIndex, width: number): StepIndex {
  const key = new Map<string, number>();
  const bus: number[] = [];
  const sign: number[] = [];
  const value: number[] = [];
  const quantity: number[] = [];
  for (let s = 0; s < steps.price.length; s++) {
    const k = `${steps.bus[s]}:${steps.sign[s]}:${Math.floor(steps.price[s]! / width)}`;
    let j = key.get(k);
    if (j === undefined) {
      j = bus.length;
      key.set(k, j);
      bus.push(steps.bus[s]!);
      sign.push(steps.sign[s]!);
      value.push(0);
      quantity.push(0);
    }
    value[j]! += steps.price[s]! * steps.quantity[s]!;
    quantity[j]! += steps.quantity[s]!;
  }
  return {
    bus: Int32Array.from(bus),
    sign: Int8Array.from(sign),
    price: Float64Array.from(value, (v, j) => (quantity[j]! > 0 ? v / quantity[j]! : 0)),
    quantity: Float64Array.from(quantity),
    orderStart: Int32Array.from([0, bus.length]),
  };
}

/**
 * Solves with the steps more than `window` $/MWh in or out of the money at `prices` fixed at their bounds
 * and left out of the program; fixed steps whose reduced cost at the resulting prices has the wrong sign
 * are freed and the program solved again, until none. `approximate` uses tangent cuts for quadratic costs.
 */
function screenedSolve(
  model: DcModel,
  steps: StepIndex,
  cc: CostColumns,
  highs: Highs,
  options: PtdfOptions,
  prices: Float64Array,
  window: number,
  seed0: { branch: number; kind: 'flow' | 'angle' }[],
  approximate: boolean,
): {
  result?: DispatchSolution & { limitBranches: { branch: number; kind: 'flow' | 'angle' }[] };
  rounds: number;
  solveMs: number;
} {
  const nS = cc.nSteps;
  const isFixed = new Uint8Array(nS);
  const fixedMw = new Float64Array(nS);
  for (let s = 0; s < nS; s++) {
    const lmp = prices[steps.bus[s]!]!;
    const margin = steps.sign[s]! > 0 ? lmp - steps.price[s]! : steps.price[s]! - lmp;
    if (Math.abs(margin) > window) {
      isFixed[s] = 1;
      fixedMw[s] = margin > 0 ? steps.quantity[s]! : 0;
    }
  }
  let seed = seed0;
  let rounds = 0;
  let solveMs = 0;
  for (let iter = 0; iter < 50; iter++) {
    const active: number[] = [];
    for (let s = 0; s < nS; s++) if (!isFixed[s]) active.push(s);
    const sub = subsetSteps(steps, active);
    const extraInj = new Float64Array(model.busRows.length);
    for (let s = 0; s < nS; s++) if (isFixed[s]) extraInj[steps.bus[s]!]! += steps.sign[s]! * fixedMw[s]!;
    const r = approximate
      ? approximateLp(model, sub, highs, options, seed, extraInj)
      : ptdfCore(model, sub, costColumns(model, sub), [], highs, options, undefined, seed, [], extraInj);
    rounds += r.rounds;
    solveMs += r.solveMs;
    if (r.status !== 'optimal') return { rounds, solveMs };
    const freed: number[] = [];
    for (let s = 0; s < nS; s++) {
      if (!isFixed[s]) continue;
      const z = cc.colCost[cc.stepCol0 + s]! - steps.sign[s]! * r.lmp[steps.bus[s]!]!;
      if ((fixedMw[s]! > 0 && z > 1e-9) || (fixedMw[s]! === 0 && z < -1e-9)) freed.push(s);
    }
    if (freed.length === 0) {
      if (approximate) return { result: r, rounds, solveMs };
      return {
        result: {
          ...expandReduced(model, steps, cc, r, active, isFixed, fixedMw),
          limitBranches: r.limitBranches,
        },
        rounds,
        solveMs,
      };
    }
    for (const s of freed) isFixed[s] = 0;
    seed = r.limitBranches;
  }
  return { rounds, solveMs };
}

/** The order steps with the given indices. */
function subsetSteps(steps: StepIndex, idx: number[]): StepIndex {
  return {
    bus: Int32Array.from(idx, (s) => steps.bus[s]!),
    sign: Int8Array.from(idx, (s) => steps.sign[s]!),
    price: Float64Array.from(idx, (s) => steps.price[s]!),
    quantity: Float64Array.from(idx, (s) => steps.quantity[s]!),
    orderStart: Int32Array.from([0, idx.length]),
  };
}

/**
 * Maps a solve with some steps left out (fixed) back to the full problem: the full program (all step
 * columns, original bounds, same rows in the same order), x with the fixed values, the same row duals,
 * and the fixed steps' reduced costs c_j - sign_j * LMP_bus, so the certificate covers every step.
 */
function expandReduced(
  model: DcModel,
  steps: StepIndex,
  cc: CostColumns,
  r: DispatchSolution & { limitBranches: { branch: number; kind: 'flow' | 'angle' }[] },
  active: number[],
  isFixed: Uint8Array,
  fixedMw: Float64Array,
): DispatchSolution {
  const program = ptdfProgram(model, cc, steps, r.limitBranches);
  const sol = r.solution;
  const nS = cc.nSteps;
  const x = new Float64Array(program.numCols);
  const colDual = new Float64Array(program.numCols);
  const head = cc.stepCol0; // generators and PWL epigraph columns: same layout in both programs
  x.set(sol.x.subarray(0, head));
  colDual.set(sol.colDual.subarray(0, head));
  let objective = sol.objective;
  active.forEach((s, j) => {
    x[head + s] = sol.x[head + j]!;
    colDual[head + s] = sol.colDual[head + j]!;
  });
  for (let s = 0; s < nS; s++) {
    if (!isFixed[s]) continue;
    x[head + s] = fixedMw[s]!;
    colDual[head + s] = cc.colCost[head + s]! - steps.sign[s]! * r.lmp[steps.bus[s]!]!;
    objective += cc.colCost[head + s]! * fixedMw[s]!;
  }
  const rowValue = new Float64Array(program.numRows);
  for (let i = 0; i < program.numRows; i++) {
    let v = 0;
    for (let k = program.rowStart[i]!; k < program.rowStart[i + 1]!; k++)
      v += program.value[k]! * x[program.index[k]!]!;
    rowValue[i] = v;
  }
  const stepMw = new Float64Array(nS);
  for (let s = 0; s < nS; s++) stepMw[s] = x[head + s]!;
  return {
    ...r,
    objective,
    stepMw,
    program,
    solution: { status: 'optimal', objective, x, rowValue, rowDual: sol.rowDual, colDual },
  };
}

/** The PTDF program with the given limits, rows in ptdfCore's order (island balances, PWL cuts, limits). */
function ptdfProgram(
  model: DcModel,
  cc: CostColumns,
  steps: StepIndex,
  limitList: { branch: number; kind: 'flow' | 'angle' }[],
): LinearProgram {
  const rows = new RowBuilder();
  const t = ptdfTerms(model, cc, steps);
  t.addIslandRows(rows);
  for (const r of cc.pwlRows) rows.add([r.y, r.g], [1, -r.slope], r.rhs, Number.POSITIVE_INFINITY);
  for (const l of limitList) t.addLimitRow(rows, l.branch, l.kind);
  return toProgram(cc, [], rows);
}

/** Injection columns and row makers of the PTDF formulation (shared by ptdfCore and ptdfProgram). */
function ptdfTerms(model: DcModel, cc: CostColumns, steps: StepIndex, extraInjMw?: Float64Array) {
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
    const cols: number[] = [];
    const vals: number[] = [];
    for (let c = 0; c < nInj; c++) {
      const v = ptdf[colBus[c]!]! * colSign[c]!;
      if (v !== 0) {
        cols.push(colIdx[c]!);
        vals.push(v);
      }
    }
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
    return { row: rows.add(cols, vals, lo, hi), ptdf };
  };
  return { nInj, colIdx, colBus, colSign, addIslandRows, addLimitRow };
}

function ptdfCore(
  model: DcModel,
  steps: StepIndex,
  cc: CostColumns,
  extra: { cost: number; lower: number; upper: number }[],
  highs: Highs,
  options: PtdfOptions,
  fx?: FixedSteps,
  seed: { branch: number; kind: 'flow' | 'angle' }[] = [],
  tangents: TangentCost[] = [],
  extraInjMw?: Float64Array,
): DispatchSolution & { limitBranches: { branch: number; kind: 'flow' | 'angle' }[] } {
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

  interface Limit {
    branch: number;
    kind: 'flow' | 'angle';
    ptdf: Float64Array;
    row: number;
  }
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
  if (fx) {
    lp0.colLower = lp0.colLower.slice();
    lp0.colUpper = lp0.colUpper.slice();
    for (let s = 0; s < cc.nSteps; s++) {
      if (fx.fixed[s]) {
        lp0.colLower[cc.stepCol0 + s] = fx.lower[s]!;
        lp0.colUpper[cc.stepCol0 + s] = fx.upper[s]!;
      }
    }
  }
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
      // LMPs from the duals: lambda of the island plus the limits' PTDF-weighted duals.
      const lmp = new Float64Array(n);
      for (let i = 0; i < n; i++) lmp[i] = sol.rowDual[model.busIsland[i]!]!;
      const muFrom = new Float64Array(m);
      const muTo = new Float64Array(m);
      for (const lim of limits) {
        if (lim.row >= sol.rowDual.length) continue;
        const y = sol.rowDual[lim.row]!;
        if (y === 0) continue;
        for (let i = 0; i < n; i++) lmp[i]! += y * lim.ptdf[i]!;
        if (lim.kind === 'flow') {
          muFrom[lim.branch] = Math.max(0, -y);
          muTo[lim.branch] = Math.max(0, y);
        }
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
      // Fixed steps whose reduced cost c_j - sign_j * LMP_bus has the wrong sign for their bound are freed.
      const freed: number[] = [];
      if (fx) {
        for (let s = 0; s < cc.nSteps; s++) {
          if (!fx.fixed[s]) continue;
          const z = cc.colCost[cc.stepCol0 + s]! - steps.sign[s]! * lmp[steps.bus[s]!]!;
          const atUpper = fx.upper[s]! > 0;
          if ((atUpper && z > 1e-9) || (!atUpper && z < -1e-9)) {
            fx.fixed[s] = 0;
            freed.push(s);
          }
        }
      }
      if ((added > 0 || freed.length > 0) && rounds < maxRounds) {
        if (added > 0) {
          const s0 = rows.start[firstNew]!;
          session.addRows(
            Float64Array.from(rows.lower.slice(firstNew)),
            Float64Array.from(rows.upper.slice(firstNew)),
            Int32Array.from(rows.start.slice(firstNew), (v) => v - s0),
            Int32Array.from(rows.index.slice(s0)),
            Float64Array.from(rows.value.slice(s0)),
          );
        }
        if (freed.length > 0) {
          session.setColBounds(
            Int32Array.from(freed, (s) => cc.stepCol0 + s),
            Float64Array.from(freed, (s) => cc.colLower[cc.stepCol0 + s]!),
            Float64Array.from(freed, (s) => cc.colUpper[cc.stepCol0 + s]!),
          );
        }
        continue;
      }
      if (added > 0 || freed.length > 0) {
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
