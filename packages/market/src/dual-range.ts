// Midpoint prices on the network path (docs/dc-opf.md "Price ranges", docs/market-rules.md §6a). With the
// primal solution fixed, the optimal duals of the dispatch program are the y that satisfy, with that x,
// dual feasibility and complementary slackness (the certificate's conditions): a convex polyhedron. The
// solver returns one vertex of it, which can sit at either end of a bus's range of prices. Here two small
// linear programs over y (the "dual-range LPs") find the vertices that minimise and maximise the sum of
// every bus's LMP, island by island; their midpoint is itself an optimal dual (the set is convex) and is
// what the market publishes, with each bus's price at the two vertices as its range (`lmpLow`, `lmpHigh`).
//
// Variables: one y_r per row of the final program, bounded by the row's state at x (interior: 0; at its
// lower bound: >= 0; at its upper: <= 0; an equality: free). Rows:
// - per bus b: lo_b <= LMP_b(y) <= hi_b, where LMP_b(y) = sum_r W_br y_r is the price of a unit injection
//   at b (PTDF: y of b's island row + sum_l y_l PTDF_lb; b-theta: y of b's balance row), and the bounds
//   come from the order steps at b (a step cleared in part pins LMP_b to its price; a full sell step or an
//   unserved bid gives LMP_b >= price; a full bid or an unused offer LMP_b <= price) and from the
//   configured price floor and cap;
// - per other column j (generators, epigraph and angle columns): g_j - (A'y)_j = 0 (interior), >= 0 (at
//   its lower bound), <= 0 (at its upper), g_j = c_j + q_j x_j;
// - per island s: -M·n_s <= sum of its buses' LMP <= M·n_s (M = 1e7 $/MWh): a range open on one side is
//   recognised by its island sum reaching this bound, and then the island's price is the finite end.
// Objective: minimise (then maximise) the sum over all buses of LMP_b(y). Islands share no row or column,
// so one pair of solves finds every island's two vertices.
import { type DcModel, ptdfRow } from '@gridledger/grid';
import type { Highs } from 'highs';
import type { DispatchSolution, LimitRef } from './dispatch-solution.ts';
import type { StepIndex } from './dispatch-steps.ts';
import { fromEndShadowPrice, toEndShadowPrice } from './lmp.ts';
import { type LinearProgram, type LpSolution, solveLinearProgram } from './lp.ts';
import { stepColumnStart } from './pro-rata.ts';
import type { BusPriceRanges } from './types.ts';

export type { BusPriceRanges };

/** How a clearing's prices are chosen among the optimal duals. */
export interface PriceRangeOptions {
  /**
   * "midpoint" (the default): each bus at the midpoint of its range over the optimal duals with the
   * dispatch fixed; "vertex": the dual the solver returns (the engine before issue 13; for comparisons).
   */
  priceRule?: 'midpoint' | 'vertex';
  /** Highest price any bus may have, $/MWh: closes a range open above (default: none). */
  priceCap?: number;
  /** Lowest price any bus may have, $/MWh: closes a range open below (default: none). */
  priceFloor?: number;
}

/** Bound on the sum of an island's prices, per bus, that marks a range as open, $/MWh. */
const OPEN_PRICE = 1e7;
/** A value within this (relative to max(1, |bound|)) of a bound counts as at the bound. */
const AT_BOUND = 1e-7;

const atBound = (v: number, b: number) =>
  Number.isFinite(b) && Math.abs(v - b) <= AT_BOUND * Math.max(1, Math.abs(b));

/** The limit rows of the final program and the LMP weights W (sparse rows, one per bus). */
function priceWeights(
  model: DcModel,
  d: DispatchSolution,
  formulation: 'ptdf' | 'b-theta',
): { wStart: Int32Array; wRow: Int32Array; wVal: Float64Array; limits: (LimitRef & { row: number })[] } {
  const n = model.busRows.length;
  const p = d.program;
  const limits: (LimitRef & { row: number })[] = [];
  const wStart = new Int32Array(n + 1);
  if (formulation === 'b-theta') {
    // Rows: one balance row per bus, one flow row per limited branch (branch order), then the rest.
    let r = n;
    for (let k = 0; k < model.branchRows.length; k++) {
      if (model.network.branches[model.branchRows[k]!]!.rateAMw > 0)
        limits.push({ branch: k, kind: 'flow', row: r++ });
    }
    const wRow = new Int32Array(n);
    for (let b = 0; b < n; b++) {
      wRow[b] = b;
      wStart[b + 1] = b + 1;
    }
    return { wStart, wRow, wVal: new Float64Array(n).fill(1), limits };
  }
  // Rows: island balances, piecewise-linear cuts, then the limits in the order they were added.
  const pd = d as DispatchSolution & { limitBranches?: LimitRef[]; limitPtdf?: Float64Array[] };
  const refs = pd.limitBranches ?? [];
  const first = p.numRows - refs.length;
  // The PTDF rows of the solve when it kept them (constraint-generation.ts), else solved again.
  const kept = pd.limitPtdf?.length === refs.length ? pd.limitPtdf : undefined;
  const ptdfs = refs.map((l, j) => {
    limits.push({ ...l, row: first + j });
    return kept?.[j] ?? ptdfRow(model, l.branch);
  });
  // Typed arrays sized for the densest case (every PTDF entry non-zero).
  const wRow = new Int32Array(n * (1 + ptdfs.length));
  const wVal = new Float64Array(n * (1 + ptdfs.length));
  let len = 0;
  for (let b = 0; b < n; b++) {
    wRow[len] = model.busIsland[b]!;
    wVal[len++] = 1;
    for (let j = 0; j < ptdfs.length; j++) {
      const v = ptdfs[j]![b]!;
      if (v === 0) continue;
      wRow[len] = first + j;
      wVal[len++] = v;
    }
    wStart[b + 1] = len;
  }
  return { wStart, wRow: wRow.subarray(0, len), wVal: wVal.subarray(0, len), limits };
}

/**
 * Replaces the dispatch's duals by the midpoint of each island's range of optimal duals (with the primal
 * fixed) and returns every bus's range. Updates `d.lmp`, `d.muFrom`, `d.muTo` and the certificate's row
 * and column duals in place. With `priceRule: "vertex"`, or when the LPs fail, the duals are kept and
 * each range has zero width (`solved` false in the latter case).
 * @example const range = publishMidpointPrices(model, steps, dispatch, 'ptdf', highs);
 */
export function publishMidpointPrices(
  model: DcModel,
  steps: StepIndex,
  d: DispatchSolution,
  formulation: 'ptdf' | 'b-theta',
  highs: Highs,
  options: PriceRangeOptions = {},
): BusPriceRanges {
  const t0 = performance.now();
  const n = model.busRows.length;
  const keep = (solved: boolean): BusPriceRanges => ({
    lmpLow: d.lmp.slice(),
    lmpHigh: d.lmp.slice(),
    ms: performance.now() - t0,
    solved,
  });
  if (d.status !== 'optimal' || options.priceRule === 'vertex' || d.program.numRows === 0) return keep(true);
  const p = d.program;
  const x = d.solution.x;
  const R = p.numRows;
  const nS = steps.price.length;
  const col0 = stepColumnStart(model);
  const { wStart, wRow, wVal, limits } = priceWeights(model, d, formulation);

  // Island of every row (through W, else through a column's bus), and of every column.
  const nIsl = model.islandRef.length;
  const colIsland = new Int32Array(p.numCols).fill(-1);
  for (let k = 0; k < model.genRows.length; k++) colIsland[k] = model.busIsland[model.genBus[k]!]!;
  for (let s = 0; s < nS; s++) colIsland[col0 + s] = model.busIsland[steps.bus[s]!]!;
  if (formulation === 'b-theta') for (let b = 0; b < n; b++) colIsland[col0 + nS + b] = model.busIsland[b]!;
  const rowIsland = new Int32Array(R).fill(-1);
  for (let b = 0; b < n; b++)
    for (let k = wStart[b]!; k < wStart[b + 1]!; k++) rowIsland[wRow[k]!] = model.busIsland[b]!;
  for (let r = 0; r < R; r++) {
    for (let k = p.rowStart[r]!; k < p.rowStart[r + 1]! && rowIsland[r]! < 0; k++)
      rowIsland[r] = colIsland[p.index[k]!]!;
  }

  // Variables y_r: bounds from the row's state at x. Also A'(.) for the columns that are not steps.
  const yLo = new Float64Array(R);
  const yUp = new Float64Array(R);
  const colRows: number[][] = [];
  const colVals: number[][] = [];
  for (let r = 0; r < R; r++) {
    let v = 0;
    for (let k = p.rowStart[r]!; k < p.rowStart[r + 1]!; k++) {
      const j = p.index[k]!;
      v += p.value[k]! * x[j]!;
      if (j < col0 || j >= col0 + nS) {
        (colRows[j] ??= []).push(r);
        (colVals[j] ??= []).push(p.value[k]!);
      }
    }
    const lo = p.rowLower[r]!;
    const up = p.rowUpper[r]!;
    const atLo = lo === up || atBound(v, lo);
    const atUp = lo === up || atBound(v, up);
    yLo[r] = atUp ? Number.NEGATIVE_INFINITY : 0;
    yUp[r] = atLo ? Number.POSITIVE_INFINITY : 0;
  }

  // Rows of the dual-range LP (CSR over y).
  const start: number[] = [0];
  const index: number[] = [];
  const value: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  const addRow = (cols: ArrayLike<number>, vals: ArrayLike<number>, lo: number, up: number) => {
    for (let k = 0; k < cols.length; k++) {
      index.push(cols[k]!);
      value.push(vals[k]!);
    }
    start.push(index.length);
    lower.push(lo);
    upper.push(up);
  };
  // Per bus: the steps' bounds on its price, and the floor and cap.
  const lo = new Float64Array(n).fill(options.priceFloor ?? Number.NEGATIVE_INFINITY);
  const hi = new Float64Array(n).fill(options.priceCap ?? Number.POSITIVE_INFINITY);
  for (let s = 0; s < nS; s++) {
    const q = steps.quantity[s]!;
    if (!(q > 0)) continue;
    const b = steps.bus[s]!;
    const v = x[col0 + s]!;
    const pr = steps.price[s]!;
    const full = atBound(v, q);
    const none = atBound(v, 0);
    const sell = steps.sign[s]! > 0;
    // A sell step cleared fully, or a bid left unserved: LMP >= price. The opposite: LMP <= price.
    const geq = sell ? full : none;
    const leq = sell ? none : full;
    if (!leq && pr > lo[b]!) lo[b] = pr;
    if (!geq && pr < hi[b]!) hi[b] = pr;
  }
  for (let b = 0; b < n; b++) {
    if (lo[b] === Number.NEGATIVE_INFINITY && hi[b] === Number.POSITIVE_INFINITY) continue;
    if (lo[b]! > hi[b]!) {
      // Only float noise can cross them (a step in part at p and another at bound at p): one price.
      const m = (lo[b]! + hi[b]!) / 2;
      lo[b] = m;
      hi[b] = m;
    }
    addRow(
      wRow.subarray(wStart[b]!, wStart[b + 1]!),
      wVal.subarray(wStart[b]!, wStart[b + 1]!),
      lo[b]!,
      hi[b]!,
    );
  }
  // Per other column: the sign of its reduced cost.
  for (let j = 0; j < p.numCols; j++) {
    if (j >= col0 && j < col0 + nS) continue;
    const cl = p.colLower[j]!;
    const cu = p.colUpper[j]!;
    if (cl === cu) continue;
    const g = p.colCost[j]! + p.colQuadratic[j]! * x[j]!;
    const atLo = atBound(x[j]!, cl);
    const atUp = atBound(x[j]!, cu);
    if (atLo && atUp) continue;
    // z = g - A'y: at lower z >= 0 (A'y <= g), at upper z <= 0 (A'y >= g), interior z = 0.
    addRow(
      colRows[j] ?? [],
      colVals[j] ?? [],
      atLo ? Number.NEGATIVE_INFINITY : g,
      atUp ? Number.POSITIVE_INFINITY : g,
    );
  }
  // Per island: the sum of its prices, bounded to recognise an open range. Objective: all prices.
  const busesOf = new Int32Array(nIsl);
  for (let b = 0; b < n; b++) busesOf[model.busIsland[b]!]!++;
  // Σ_{b in s} W_b per island s, dense over the (few) rows; the objective is their sum.
  const islandW = new Float64Array(nIsl * R);
  const objective = new Float64Array(R);
  for (let b = 0; b < n; b++) {
    const o = model.busIsland[b]! * R;
    for (let k = wStart[b]!; k < wStart[b + 1]!; k++) {
      islandW[o + wRow[k]!]! += wVal[k]!;
      objective[wRow[k]!]! += wVal[k]!;
    }
  }
  const islandRow0 = lower.length;
  for (let s = 0; s < nIsl; s++) {
    const rows: number[] = [];
    const vals: number[] = [];
    for (let r = 0; r < R; r++) {
      if (rowIsland[r] !== s || islandW[s * R + r] === 0) continue;
      rows.push(r);
      vals.push(islandW[s * R + r]!);
    }
    addRow(rows, vals, -OPEN_PRICE * busesOf[s]!, OPEN_PRICE * busesOf[s]!);
  }
  const lp = (sense: 1 | -1): LinearProgram => ({
    numCols: R,
    numRows: lower.length,
    colCost: objective.map((c) => sense * c),
    colQuadratic: new Float64Array(R),
    colLower: yLo,
    colUpper: yUp,
    rowLower: Float64Array.from(lower),
    rowUpper: Float64Array.from(upper),
    rowStart: Int32Array.from(start),
    index: Int32Array.from(index),
    value: Float64Array.from(value),
    offset: 0,
  });
  const low = solveLinearProgram(highs, lp(1));
  const high = solveLinearProgram(highs, lp(-1));
  if (low.status !== 'optimal' || high.status !== 'optimal') return keep(false);

  // Which islands are open below or above: their price sum reached the bound.
  const sumOf = (sol: LpSolution, s: number) => sol.rowValue[islandRow0 + s]!;
  const openLow = new Uint8Array(nIsl);
  const openHigh = new Uint8Array(nIsl);
  for (let s = 0; s < nIsl; s++) {
    const bound = OPEN_PRICE * busesOf[s]! * (1 - 1e-9);
    if (sumOf(low, s) <= -bound) openLow[s] = 1;
    if (sumOf(high, s) >= bound) openHigh[s] = 1;
  }
  // Published duals per island: the midpoint; the finite end when one side is open; the solver's when both.
  const y = new Float64Array(R);
  const vertex = d.solution.rowDual;
  for (let r = 0; r < R; r++) {
    const s = rowIsland[r]!;
    const ol = s >= 0 && openLow[s] === 1;
    const oh = s >= 0 && openHigh[s] === 1;
    y[r] = ol && oh ? vertex[r]! : ol ? high.x[r]! : oh ? low.x[r]! : (low.x[r]! + high.x[r]!) / 2;
  }
  const priceAt = (v: Float64Array, b: number) => {
    let l = 0;
    for (let k = wStart[b]!; k < wStart[b + 1]!; k++) l += wVal[k]! * v[wRow[k]!]!;
    return l;
  };
  const lmpLow = new Float64Array(n);
  const lmpHigh = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    const s = model.busIsland[b]!;
    const a = priceAt(low.x, b);
    const c = priceAt(high.x, b);
    d.lmp[b] = priceAt(y, b);
    lmpLow[b] = openLow[s] ? Number.NEGATIVE_INFINITY : Math.min(a, c, d.lmp[b]!);
    lmpHigh[b] = openHigh[s] ? Number.POSITIVE_INFINITY : Math.max(a, c, d.lmp[b]!);
  }
  // The certificate's duals: y and the reduced costs z = c + q x - A'y.
  const z = new Float64Array(p.numCols);
  for (let j = 0; j < p.numCols; j++) z[j] = p.colCost[j]! + p.colQuadratic[j]! * x[j]!;
  for (let r = 0; r < R; r++) {
    const yr = y[r]!;
    if (yr === 0) continue;
    for (let k = p.rowStart[r]!; k < p.rowStart[r + 1]!; k++) z[p.index[k]!]! -= p.value[k]! * yr;
  }
  d.solution = { ...d.solution, rowDual: y, colDual: z };
  for (const l of limits) {
    if (l.kind !== 'flow') continue;
    d.muFrom[l.branch] = fromEndShadowPrice(y[l.row]!);
    d.muTo[l.branch] = toEndShadowPrice(y[l.row]!);
  }
  return { lmpLow, lmpHigh, ms: performance.now() - t0, solved: true };
}
