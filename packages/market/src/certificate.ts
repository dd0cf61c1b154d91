// Optimality certificates: the solved program in matrix form with its primal and dual solution, and a
// verifier that checks the KKT conditions without any solver, so anyone can audit a clearing.
//
// Program:  minimise offset + c'x + 1/2 sum_j q_j x_j^2
//           subject to rowLower <= A x <= rowUpper, colLower <= x <= colUpper.
// Dual:     y (one per row), z (one per column), with the sign rule: y_i > 0 only where the row is at its
//           lower bound, y_i < 0 only where it is at its upper bound (z likewise for bounds).
// KKT:      stationarity      c + q.x - A'y - z = 0
//           primal feasible   bounds hold
//           dual feasible     y_i > 0 needs a finite lower bound, y_i < 0 a finite upper (z likewise)
//           complementarity   y_i > 0 => A_i x = lower_i; y_i < 0 => A_i x = upper_i (z likewise)
// For a convex program these conditions prove x optimal. Tolerances are relative: a violation v of a
// quantity of magnitude s passes when v <= tol * max(1, s).
import type { LinearProgram, LpSolution } from './lp.ts';

/** Solver-independent record of a solved program (see the file header for the conditions). */
export interface Certificate {
  format: 'gridledger-kkt-v1';
  program: LinearProgram;
  /** Primal solution. */
  x: Float64Array;
  /** Row duals y. */
  rowDual: Float64Array;
  /** Bound duals z (reduced costs). */
  colDual: Float64Array;
  /** Objective value claimed for x. */
  objective: number;
  /**
   * Each bus's range of optimal prices with x fixed ($/MWh, network order; +-Infinity where open), as
   * clearNetwork and solveOpf publish it (dual-range.ts). The duals above are its midpoint. Not checked
   * by verifyCertificate (that would need the dual-range LPs); it says what the market chose among.
   */
  priceRange?: { busIds: number[]; lmpLow: Float64Array; lmpHigh: Float64Array };
}

/** Measured violations of each condition and whether all are within tolerance. */
export interface CertificateCheck {
  ok: boolean;
  tolerance: number;
  primalInfeasibility: number;
  dualInfeasibility: number;
  complementarity: number;
  stationarity: number;
  objectiveError: number;
  /** Human-readable failures (first few). */
  failures: string[];
}

/** Packages a solved program as a certificate (copies nothing: the arrays are the solver's copies). */
export function buildCertificate(
  program: LinearProgram,
  solution: LpSolution,
  priceRange?: Certificate['priceRange'],
): Certificate {
  return {
    format: 'gridledger-kkt-v1',
    program,
    x: solution.x,
    rowDual: solution.rowDual,
    colDual: solution.colDual,
    objective: solution.objective,
    ...(priceRange ? { priceRange } : {}),
  };
}

/**
 * Checks a certificate's KKT conditions to a relative tolerance, without a solver.
 * @param tol relative tolerance (default 1e-6).
 * @example
 * const check = verifyCertificate(result.certificate);
 * if (!check.ok) console.log(check.failures);
 */
export function verifyCertificate(cert: Certificate, tol = 1e-6): CertificateCheck {
  const p = cert.program;
  const { x, rowDual: y, colDual: z } = cert;
  const failures: string[] = [];
  const fail = (msg: string) => {
    if (failures.length < 10) failures.push(msg);
  };
  let primal = 0;
  let dualInf = 0;
  let compl = 0;
  let stat = 0;
  if (x.length !== p.numCols || z.length !== p.numCols || y.length !== p.numRows) {
    return {
      ok: false,
      tolerance: tol,
      primalInfeasibility: Number.POSITIVE_INFINITY,
      dualInfeasibility: Number.POSITIVE_INFINITY,
      complementarity: Number.POSITIVE_INFINITY,
      stationarity: Number.POSITIVE_INFINITY,
      objectiveError: Number.POSITIVE_INFINITY,
      failures: ['solution vectors do not match the program dimensions'],
    };
  }
  const rel = (v: number, s: number) => v / Math.max(1, Math.abs(s));
  // Check one bounded quantity (row activity or column value) with its dual.
  const checkBounded = (what: string, v: number, lo: number, up: number, d: number, dualScale: number) => {
    const pv = Math.max(lo - v, v - up, 0);
    const pr = rel(pv, pv === lo - v ? lo : up);
    if (pr > primal) primal = pr;
    if (pr > tol) fail(`${what}: value ${v} outside [${lo}, ${up}]`);
    const dscale = Math.max(1, dualScale);
    if (d > 0) {
      if (lo === Number.NEGATIVE_INFINITY) {
        const r = d / dscale;
        if (r > dualInf) dualInf = r;
        if (r > tol) fail(`${what}: dual ${d} > 0 but no lower bound`);
      } else {
        const gap = Math.abs(v - lo) / Math.max(1, Math.abs(lo));
        const r = Math.min(gap, d / dscale);
        if (r > compl) compl = r;
        if (r > tol) fail(`${what}: dual ${d} > 0 but value ${v} is not at its lower bound ${lo}`);
      }
    } else if (d < 0) {
      if (up === Number.POSITIVE_INFINITY) {
        const r = -d / dscale;
        if (r > dualInf) dualInf = r;
        if (r > tol) fail(`${what}: dual ${d} < 0 but no upper bound`);
      } else {
        const gap = Math.abs(up - v) / Math.max(1, Math.abs(up));
        const r = Math.min(gap, -d / dscale);
        if (r > compl) compl = r;
        if (r > tol) fail(`${what}: dual ${d} < 0 but value ${v} is not at its upper bound ${up}`);
      }
    }
  };
  // Dual scale: the largest objective coefficient magnitude, so that price-sized duals are compared
  // relative to prices.
  let cmax = 1;
  for (let j = 0; j < p.numCols; j++) cmax = Math.max(cmax, Math.abs(p.colCost[j]!));
  const aty = new Float64Array(p.numCols);
  const atyAbs = new Float64Array(p.numCols);
  let objective = p.offset;
  for (let i = 0; i < p.numRows; i++) {
    let ax = 0;
    const yi = y[i]!;
    for (let k = p.rowStart[i]!; k < p.rowStart[i + 1]!; k++) {
      const j = p.index[k]!;
      ax += p.value[k]! * x[j]!;
      aty[j]! += p.value[k]! * yi;
      atyAbs[j]! += Math.abs(p.value[k]! * yi);
    }
    checkBounded(`row ${i}`, ax, p.rowLower[i]!, p.rowUpper[i]!, yi, cmax);
  }
  for (let j = 0; j < p.numCols; j++) {
    const xj = x[j]!;
    checkBounded(`column ${j}`, xj, p.colLower[j]!, p.colUpper[j]!, z[j]!, cmax);
    const g = p.colCost[j]! + p.colQuadratic[j]! * xj;
    objective += p.colCost[j]! * xj + 0.5 * p.colQuadratic[j]! * xj * xj;
    const r = Math.abs(g - aty[j]! - z[j]!) / Math.max(1, Math.abs(g), atyAbs[j]!, Math.abs(z[j]!));
    if (r > stat) stat = r;
    if (r > tol) fail(`column ${j}: stationarity residual ${g - aty[j]! - z[j]!}`);
  }
  const objectiveError = Math.abs(objective - cert.objective) / Math.max(1, Math.abs(objective));
  if (objectiveError > tol) fail(`objective ${cert.objective} differs from c'x + 1/2 x'Qx = ${objective}`);
  return {
    ok: failures.length === 0,
    tolerance: tol,
    primalInfeasibility: primal,
    dualInfeasibility: dualInf,
    complementarity: compl,
    stationarity: stat,
    objectiveError,
    failures,
  };
}
