// The first stage of an AC-OPF iteration's QP: a feasible vertex and working set. squarePoint finds a
// feasible point without an LP when that is easy (no controls, or controls unchanged and every row met);
// otherwise HiGHS solves the QP's linear part (toLp). initialWorkingSet reads the active rows and bounds
// from the LP's duals for the dense active-set QP (ac-qp.ts) that finishes the iteration.
import type { Column } from './ac-opf-subproblem.ts';
import type { DenseQp } from './ac-qp.ts';
import type { LinearProgram, LpSolution } from './lp.ts';

/**
 * A feasible point without an LP, when it is easy: controls unchanged, the reference generators taking
 * the slack P and Q rows (shared equally), each elastic slack at its row's violation, and every bound and
 * row met to 1e-12. Without controls it is the only feasible point. Undefined otherwise (the LP then
 * finds a vertex or reports infeasibility).
 */
export function squarePoint(qp: DenseQp, cols: Column[], nBaseCols: number): LpSolution | undefined {
  const x = new Float64Array(qp.n);
  let nP = 0;
  let nQ = 0;
  for (let c = 0; c < nBaseCols; c++) {
    const col = cols[c]!;
    if (col.ctrl >= 0 || col.kind === 'pwl') continue;
    if (col.kind === 'pg') nP++;
    else if (col.kind === 'qg') nQ++;
    else return undefined;
  }
  if (nP === 0 || nQ === 0) return undefined;
  for (let c = 0; c < nBaseCols; c++) {
    const col = cols[c]!;
    if (col.ctrl >= 0 || col.kind === 'pwl') continue;
    x[c] = col.kind === 'pg' ? -qp.rowLower[0]! / nP : -qp.rowLower[1]! / nQ;
  }
  for (let i = 2; i < qp.m; i++) {
    let ax = 0;
    for (let j = 0; j < nBaseCols; j++) ax += qp.a[i * qp.n + j]! * x[j]!;
    for (let j = nBaseCols; j < qp.n; j++) {
      const a = qp.a[i * qp.n + j]!;
      if (a === 0 || x[j] !== 0) continue;
      // a slack column of this row: take up the violation on its side
      const need = a > 0 ? qp.rowLower[i]! - ax : qp.rowUpper[i]! - ax;
      if ((a > 0 && need > 0) || (a < 0 && need < 0)) {
        x[j] = need / a;
        ax += need;
      }
    }
  }
  const rowValue = new Float64Array(qp.m);
  for (let i = 0; i < qp.m; i++) {
    let ax = 0;
    for (let j = 0; j < qp.n; j++) ax += qp.a[i * qp.n + j]! * x[j]!;
    rowValue[i] = ax;
    if (ax < qp.rowLower[i]! - 1e-12 || ax > qp.rowUpper[i]! + 1e-12) return undefined;
  }
  for (let j = 0; j < qp.n; j++) if (x[j]! < qp.colLower[j]! || x[j]! > qp.colUpper[j]!) return undefined;
  return {
    status: 'optimal',
    objective: 0,
    x,
    rowValue,
    rowDual: new Float64Array(qp.m),
    colDual: new Float64Array(qp.n),
  };
}

/** The LP part of a dense QP in the solver's CSR form. */
export function toLp(qp: DenseQp): LinearProgram {
  const start = new Int32Array(qp.m + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < qp.m; i++) {
    for (let j = 0; j < qp.n; j++) {
      const v = qp.a[i * qp.n + j]!;
      if (v !== 0) {
        idx.push(j);
        val.push(v);
      }
    }
    start[i + 1] = idx.length;
  }
  return {
    numCols: qp.n,
    numRows: qp.m,
    colCost: qp.c,
    colQuadratic: new Float64Array(qp.n),
    colLower: qp.colLower,
    colUpper: qp.colUpper,
    rowLower: qp.rowLower,
    rowUpper: qp.rowUpper,
    rowStart: start,
    index: Int32Array.from(idx),
    value: Float64Array.from(val),
    offset: 0,
  };
}

/**
 * The working set the dense QP starts from: equality rows, rows with a nonzero LP dual (on the dual's side)
 * and columns at a genuine limit (not a trust bound) with a nonzero reduced cost.
 */
export function initialWorkingSet(
  qp: DenseQp,
  lp: LpSolution,
  genuineLo: boolean[],
  genuineUp: boolean[],
): { rowActive: Int8Array; colActive: Int8Array } {
  const { m, n: nc } = qp;
  const rowActive = new Int8Array(m);
  const colActive = new Int8Array(nc);
  let cmax = 1;
  for (let j = 0; j < nc; j++) cmax = Math.max(cmax, Math.abs(qp.c[j]!));
  const dualTol = 1e-9 * cmax;
  for (let i = 0; i < m; i++) {
    if (qp.rowLower[i] === qp.rowUpper[i]) rowActive[i] = 2;
    else if (Math.abs(lp.rowDual[i]!) > dualTol) rowActive[i] = lp.rowDual[i]! > 0 ? -1 : 1;
  }
  for (let j = 0; j < nc; j++) {
    const zj = lp.colDual[j]!;
    if (zj > dualTol && genuineLo[j] && Math.abs(lp.x[j]! - qp.colLower[j]!) <= 1e-9) colActive[j] = -1;
    else if (zj < -dualTol && genuineUp[j] && Math.abs(lp.x[j]! - qp.colUpper[j]!) <= 1e-9) colActive[j] = 1;
  }
  return { rowActive, colActive };
}
