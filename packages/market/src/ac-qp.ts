// A small dense primal active-set QP, the second stage of each AC-OPF step: started from HiGHS's LP
// vertex and working set, it finds the exact minimiser of the convex quadratic model. Each iteration
// solves the equality-constrained QP on the working set ([H_FF + diag(delta), -A_WF'; A_WF, 0] by dense LU with
// partial pivoting, largest magnitude and lowest index on ties), takes the longest feasible step (ratio
// test against every other row and bound) and, after a full step, releases the multiplier of wrong sign
// with the largest magnitude. Plain loops in a fixed order: the result is the same bits on every engine.
// Multipliers follow HiGHS: y = d(objective)/d(bound), y > 0 at an active lower bound, y < 0 at an upper.

/** minimise c'x + 1/2 x'Hx subject to rowLower <= A x <= rowUpper, colLower <= x <= colUpper. */
export interface DenseQp {
  n: number;
  m: number;
  c: Float64Array;
  /** Row-major n x n, symmetric positive semidefinite. */
  h: Float64Array;
  /** Row-major m x n. */
  a: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
}

/** Result of {@link solveDenseQp}. */
export interface DenseQpResult {
  ok: boolean;
  reason?: string;
  x: Float64Array;
  /** Row multipliers (0 off the working set). */
  y: Float64Array;
  /** Bound multipliers (reduced costs). */
  z: Float64Array;
  iterations: number;
}

/** Working-set state of a row or column: 0 free, -1 at its lower bound, 1 at its upper, 2 equality. */
export type Active = Int8Array;

/**
 * Solves a convex QP from a feasible point `x0` and an initial working set (equality rows must be in it).
 * @example
 * const r = solveDenseQp(qp, x0, rowActive, colActive, 200);
 */
export function solveDenseQp(
  qp: DenseQp,
  x0: Float64Array,
  rowActive: Active,
  colActive: Active,
  maxIterations = 200,
): DenseQpResult {
  const { n, m } = qp;
  const x = Float64Array.from(x0);
  for (let j = 0; j < n; j++) {
    if (x[j]! < qp.colLower[j]!) x[j] = qp.colLower[j]!;
    if (x[j]! > qp.colUpper[j]!) x[j] = qp.colUpper[j]!;
    if (colActive[j] === -1) x[j] = qp.colLower[j]!;
    if (colActive[j] === 1) x[j] = qp.colUpper[j]!;
  }
  // Regularisation per column, delta_j = 1e-9 max(1, H_jj): one delta for all columns scaled by the
  // largest diagonal (1e-9 max diag H) damped the steps of columns without curvature (a PWL generator's
  // P) so much that the outer iteration stopped short of the optimum on case30pwl.
  const delta = new Float64Array(n);
  for (let j = 0; j < n; j++) delta[j] = 1e-9 * Math.max(1, Math.abs(qp.h[j * n + j]!));
  const g = new Float64Array(n);
  const p = new Float64Array(n);
  const y = new Float64Array(m);
  const z = new Float64Array(n);
  const ra = Int8Array.from(rowActive);
  const ca = Int8Array.from(colActive);
  for (let i = 0; i < m; i++) if (qp.rowLower[i] === qp.rowUpper[i]) ra[i] = 2;
  for (let it = 1; it <= maxIterations; it++) {
    gradient(qp, x, g);
    const free: number[] = [];
    for (let j = 0; j < n; j++) if (ca[j] === 0) free.push(j);
    const rows: number[] = [];
    for (let i = 0; i < m; i++) if (ra[i] !== 0) rows.push(i);
    const sol = solveEqp(qp, g, free, rows, delta);
    if (!sol) return fail(qp, x, it, 'the working-set system is singular');
    p.fill(0);
    let pmax = 0;
    let xmax = 1;
    for (let a = 0; a < free.length; a++) {
      p[free[a]!] = sol[a]!;
      pmax = Math.max(pmax, Math.abs(sol[a]!));
    }
    for (let j = 0; j < n; j++) xmax = Math.max(xmax, Math.abs(x[j]!));
    y.fill(0);
    for (let b = 0; b < rows.length; b++) y[rows[b]!] = sol[free.length + b]!;
    const step = pmax <= 1e-13 * xmax ? { alpha: 1, col: -1, row: -1, side: 0 } : ratioTest(qp, x, p, ra, ca);
    if (step.col < 0 && step.row < 0) {
      // Full step: x + p minimises on the working set; y are its multipliers. Check their signs.
      for (let j = 0; j < n; j++) x[j] = x[j]! + p[j]!;
      gradient(qp, x, g);
      for (let j = 0; j < n; j++) {
        let s = g[j]!;
        for (const i of rows) s -= qp.a[i * n + j]! * y[i]!;
        z[j] = ca[j] === 0 ? 0 : s;
      }
      let gmax = 1;
      for (let j = 0; j < n; j++) gmax = Math.max(gmax, Math.abs(g[j]!));
      const tol = 1e-11 * gmax;
      let worst = tol;
      let drop = -1;
      let dropIsRow = false;
      for (const i of rows) {
        const wrong = ra[i] === -1 ? -y[i]! : ra[i] === 1 ? y[i]! : 0;
        if (wrong > worst) {
          worst = wrong;
          drop = i;
          dropIsRow = true;
        }
      }
      for (let j = 0; j < n; j++) {
        const wrong = ca[j] === -1 ? -z[j]! : ca[j] === 1 ? z[j]! : 0;
        if (wrong > worst) {
          worst = wrong;
          drop = j;
          dropIsRow = false;
        }
      }
      if (drop < 0) {
        refine(qp, x, g, free, rows, y, z, ca);
        return { ok: true, x, y, z, iterations: it };
      }
      if (dropIsRow) ra[drop] = 0;
      else ca[drop] = 0;
      continue;
    }
    for (let j = 0; j < n; j++) x[j] = x[j]! + step.alpha * p[j]!;
    if (step.col >= 0) {
      ca[step.col] = step.side;
      x[step.col] = step.side < 0 ? qp.colLower[step.col]! : qp.colUpper[step.col]!;
    } else if (step.row >= 0) ra[step.row] = step.side;
  }
  return fail(qp, x, maxIterations, `no optimum in ${maxIterations} active-set iterations`);
}

/**
 * The multipliers at the optimum without the regularisation delta (it biases y by delta * p on columns
 * with no curvature, e.g. a PWL epigraph column, by up to ~1e-5 of a price): the least-squares solution
 * of A_WF' y = g_F at the final x (normal equations), kept when its stationarity residual is smaller.
 */
function refine(
  qp: DenseQp,
  x: Float64Array,
  g: Float64Array,
  free: number[],
  rows: number[],
  y: Float64Array,
  z: Float64Array,
  ca: Active,
): void {
  const n = qp.n;
  const nr = rows.length;
  if (nr === 0) return;
  gradient(qp, x, g);
  const M = new Float64Array(nr * nr);
  const rhs = new Float64Array(nr);
  for (let a = 0; a < nr; a++) {
    const oa = rows[a]! * n;
    for (const j of free) rhs[a] = rhs[a]! + qp.a[oa + j]! * g[j]!;
    for (let b = 0; b <= a; b++) {
      const ob = rows[b]! * n;
      let s = 0;
      for (const j of free) s += qp.a[oa + j]! * qp.a[ob + j]!;
      M[a * nr + b] = s;
      M[b * nr + a] = s;
    }
  }
  const sol = luSolve(M, rhs, nr);
  if (!sol) return;
  const residual = (yy: (i: number) => number) => {
    let worst = 0;
    for (const j of free) {
      let s = g[j]!;
      for (let a = 0; a < nr; a++) s -= qp.a[rows[a]! * n + j]! * yy(a);
      worst = Math.max(worst, Math.abs(s));
    }
    return worst;
  };
  const before = residual((a) => y[rows[a]!]!);
  const after = residual((a) => sol[a]!);
  if (!(after < before)) return;
  for (let a = 0; a < nr; a++) y[rows[a]!] = sol[a]!;
  for (let j = 0; j < n; j++) {
    let s = g[j]!;
    for (const i of rows) s -= qp.a[i * n + j]! * y[i]!;
    z[j] = ca[j] === 0 ? 0 : s;
  }
}

function fail(qp: DenseQp, x: Float64Array, it: number, reason: string): DenseQpResult {
  return { ok: false, reason, x, y: new Float64Array(qp.m), z: new Float64Array(qp.n), iterations: it };
}

/** g = c + H x. */
function gradient(qp: DenseQp, x: Float64Array, g: Float64Array): void {
  const n = qp.n;
  for (let i = 0; i < n; i++) {
    let s = qp.c[i]!;
    const o = i * n;
    for (let j = 0; j < n; j++) s += qp.h[o + j]! * x[j]!;
    g[i] = s;
  }
}

/** Solves [H_FF + diag(delta), -A_RF'; A_RF, 0] [p; y] = [-g_F; 0]; undefined when singular. */
function solveEqp(qp: DenseQp, g: Float64Array, free: number[], rows: number[], delta: Float64Array) {
  const nf = free.length;
  const N = nf + rows.length;
  const K = new Float64Array(N * N);
  const rhs = new Float64Array(N);
  const n = qp.n;
  for (let a = 0; a < nf; a++) {
    const ja = free[a]!;
    for (let b = 0; b < nf; b++) K[a * N + b] = qp.h[ja * n + free[b]!]!;
    K[a * N + a] = K[a * N + a]! + delta[ja]!;
    rhs[a] = -g[ja]!;
  }
  for (let r = 0; r < rows.length; r++) {
    const o = rows[r]! * n;
    for (let a = 0; a < nf; a++) {
      const v = qp.a[o + free[a]!]!;
      K[(nf + r) * N + a] = v;
      K[a * N + nf + r] = -v;
    }
  }
  return luSolve(K, rhs, N);
}

/** Dense LU with partial pivoting (largest magnitude, lowest index on ties); solves in place. */
export function luSolve(K: Float64Array, b: Float64Array, N: number): Float64Array | undefined {
  let scale = 0;
  for (let k = 0; k < N * N; k++) scale = Math.max(scale, Math.abs(K[k]!));
  const tiny = 1e-14 * (scale || 1);
  for (let k = 0; k < N; k++) {
    let piv = k;
    let best = Math.abs(K[k * N + k]!);
    for (let i = k + 1; i < N; i++) {
      const v = Math.abs(K[i * N + k]!);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    if (!(best > tiny)) return undefined;
    if (piv !== k) {
      for (let j = 0; j < N; j++) {
        const t = K[k * N + j]!;
        K[k * N + j] = K[piv * N + j]!;
        K[piv * N + j] = t;
      }
      const t = b[k]!;
      b[k] = b[piv]!;
      b[piv] = t;
    }
    eliminate(K, b, N, k);
  }
  for (let k = N - 1; k >= 0; k--) {
    let s = b[k]!;
    for (let j = k + 1; j < N; j++) s -= K[k * N + j]! * b[j]!;
    b[k] = s / K[k * N + k]!;
  }
  return b;
}

function eliminate(K: Float64Array, b: Float64Array, N: number, k: number): void {
  const pk = K[k * N + k]!;
  for (let i = k + 1; i < N; i++) {
    const f = K[i * N + k]! / pk;
    if (f === 0) continue;
    K[i * N + k] = 0;
    const oi = i * N;
    const ok = k * N;
    for (let j = k + 1; j < N; j++) K[oi + j] = K[oi + j]! - f * K[ok + j]!;
    b[i] = b[i]! - f * b[k]!;
  }
}

/** Longest step along p within every bound and row not in the working set. */
function ratioTest(qp: DenseQp, x: Float64Array, p: Float64Array, ra: Active, ca: Active) {
  const { n, m } = qp;
  let alpha = 1;
  let col = -1;
  let row = -1;
  let side = 0;
  for (let j = 0; j < n; j++) {
    if (ca[j] !== 0) continue;
    const pj = p[j]!;
    if (pj < 0) {
      const t = Math.max(0, x[j]! - qp.colLower[j]!) / -pj;
      if (t < alpha) {
        alpha = t;
        col = j;
        row = -1;
        side = -1;
      }
    } else if (pj > 0) {
      const t = Math.max(0, qp.colUpper[j]! - x[j]!) / pj;
      if (t < alpha) {
        alpha = t;
        col = j;
        row = -1;
        side = 1;
      }
    }
  }
  for (let i = 0; i < m; i++) {
    if (ra[i] !== 0) continue;
    let ap = 0;
    let mag = 0;
    let ax = 0;
    const o = i * n;
    for (let j = 0; j < n; j++) {
      const aij = qp.a[o + j]!;
      ap += aij * p[j]!;
      mag += Math.abs(aij * p[j]!);
      ax += aij * x[j]!;
    }
    if (!(Math.abs(ap) > 1e-12 * mag)) continue;
    const t = ap > 0 ? Math.max(0, qp.rowUpper[i]! - ax) / ap : Math.max(0, ax - qp.rowLower[i]!) / -ap;
    if (t < alpha) {
      alpha = t;
      row = i;
      col = -1;
      side = ap > 0 ? 1 : -1;
    }
  }
  return { alpha, col, row, side };
}
