// The columns and rows shared by both formulations of the DC dispatch problem: cost columns
// (generators at their cost curves, piecewise-linear epigraph variables, order steps as bids and offers),
// tangent-cut approximations of quadratic costs, a growing CSR row builder, assembly of the
// `LinearProgram` handed to HiGHS, and branch angle-difference limits.
import { InputError } from '@gridledger/base';
import type { DcModel } from '@gridledger/grid';
import type { StepIndex } from './dispatch-steps.ts';
import type { LinearProgram } from './lp.ts';

/** Column layout shared by both formulations: generators, PWL epigraph variables, order steps. */
export interface CostColumns {
  nGen: number;
  /** Generator k (internal) -> its epigraph column, or -1. */
  pwlCol: Int32Array;
  nPwl: number;
  stepCol0: number;
  nSteps: number;
  colCost: Float64Array;
  colQuadratic: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  offset: number;
  /** PWL rows as (gen column, epigraph column, slope, rhs). */
  pwlRows: { g: number; y: number; slope: number; rhs: number }[];
}

/** An extra column appended after the cost columns (bus angles, epigraph variables). */
export interface ExtraColumn {
  cost: number;
  lower: number;
  upper: number;
}

/** The cost columns of a network's generators and a set of order steps. */
export function costColumns(model: DcModel, steps: StepIndex): CostColumns {
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
  const nSteps = steps.price.length;
  const cost = new Float64Array(stepCol0 + nSteps);
  const quadratic = new Float64Array(stepCol0 + nSteps);
  const lower = new Float64Array(stepCol0 + nSteps);
  const upper = new Float64Array(stepCol0 + nSteps);
  cost.set(colCost);
  quadratic.set(colQuadratic);
  lower.set(colLower);
  upper.set(colUpper);
  for (let s = 0; s < nSteps; s++) {
    cost[stepCol0 + s] = steps.sign[s]! > 0 ? steps.price[s]! : -steps.price[s]!;
    upper[stepCol0 + s] = steps.quantity[s]!;
  }
  return {
    nGen,
    pwlCol,
    nPwl,
    stepCol0,
    nSteps,
    colCost: cost,
    colQuadratic: quadratic,
    colLower: lower,
    colUpper: upper,
    offset,
    pwlRows,
  };
}

/** A quadratic cost c2 p^2 + c1 p of generator column `g`, represented by tangent cuts on column `y`. */
export interface TangentCost {
  g: number;
  y: number;
  c2: number;
  c1: number;
}

/** An outer linear approximation of the quadratic costs: epigraph columns with a few tangent cuts. */
export function approximateQuadratic(cc: CostColumns): {
  cc: CostColumns;
  extra: { cost: number; lower: number; upper: number }[];
  tangents: TangentCost[];
} {
  const out: CostColumns = {
    ...cc,
    colCost: cc.colCost.slice(),
    colQuadratic: cc.colQuadratic.slice(),
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

/** Growing CSR rows. */
export class RowBuilder {
  start: number[] = [0];
  lower: number[] = [];
  upper: number[] = [];
  /** Entries in typed buffers that double when full. */
  private idx = new Int32Array(1024);
  private val = new Float64Array(1024);
  private len = 0;
  /** Appends one entry to the row being built (zeros are skipped). */
  push(col: number, v: number): void {
    if (v === 0) return;
    if (this.len === this.idx.length) {
      const i2 = new Int32Array(this.len * 2);
      i2.set(this.idx);
      this.idx = i2;
      const v2 = new Float64Array(this.len * 2);
      v2.set(this.val);
      this.val = v2;
    }
    this.idx[this.len] = col;
    this.val[this.len] = v;
    this.len++;
  }
  /** Ends the row being built with its bounds; returns its index. */
  end(lo: number, up: number): number {
    this.start.push(this.len);
    this.lower.push(lo);
    this.upper.push(up);
    return this.lower.length - 1;
  }
  add(cols: ArrayLike<number>, vals: ArrayLike<number>, lo: number, up: number): number {
    for (let k = 0; k < cols.length; k++) this.push(cols[k]!, vals[k]!);
    return this.end(lo, up);
  }
  get count(): number {
    return this.lower.length;
  }
  /** Copies of the entries from position `from` on. */
  entries(from = 0): { index: Int32Array; value: Float64Array } {
    return { index: this.idx.slice(from, this.len), value: this.val.slice(from, this.len) };
  }
}

/** The program of the cost columns, extra columns and rows, in HiGHS's matrix form. */
export function toProgram(
  cc: CostColumns,
  extraCols: { cost: number; lower: number; upper: number }[],
  rows: RowBuilder,
): LinearProgram {
  const nc = cc.colCost.length;
  const colCost = new Float64Array(nc + extraCols.length);
  const colQuadratic = new Float64Array(nc + extraCols.length);
  const colLower = new Float64Array(nc + extraCols.length);
  const colUpper = new Float64Array(nc + extraCols.length);
  colCost.set(cc.colCost);
  colQuadratic.set(cc.colQuadratic);
  colLower.set(cc.colLower);
  colUpper.set(cc.colUpper);
  extraCols.forEach((c, j) => {
    colCost[nc + j] = c.cost;
    colLower[nc + j] = c.lower;
    colUpper[nc + j] = c.upper;
  });
  return {
    numCols: colCost.length,
    numRows: rows.count,
    colCost,
    colQuadratic,
    colLower,
    colUpper,
    rowLower: Float64Array.from(rows.lower),
    rowUpper: Float64Array.from(rows.upper),
    rowStart: Int32Array.from(rows.start),
    ...rows.entries(),
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
