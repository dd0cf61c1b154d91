// The solver boundary: a linear or convex quadratic program in matrix form (the same form the optimality
// certificate carries) and its solution by HiGHS (WebAssembly). Every solve creates a fresh native HiGHS
// instance and disposes it afterwards, so no solver state carries over between solves; the loaded
// WebAssembly module itself is cached (it holds code, not solver state).
import loadHighs, { type Highs, type ObjectiveSense } from 'highs';

/**
 * minimise offset + c'x + 1/2 sum_j q_j x_j^2 subject to rowLower <= A x <= rowUpper and
 * colLower <= x <= colUpper. A is stored by rows (CSR). Infinite bounds are +-Infinity.
 */
export interface LinearProgram {
  numCols: number;
  numRows: number;
  colCost: Float64Array;
  /** Diagonal of the Hessian (objective term 1/2 q_j x_j^2); all zero for an LP. */
  colQuadratic: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  /** Row starts into `index`/`value`, length numRows + 1. */
  rowStart: Int32Array;
  index: Int32Array;
  value: Float64Array;
  offset: number;
}

/** Outcome of {@link solveLinearProgram}. */
export interface LpSolution {
  status: 'optimal' | 'infeasible' | 'unbounded' | 'error';
  /** Solver's model status text when not optimal. */
  reason?: string;
  objective: number;
  x: Float64Array;
  /** Row activities A x. */
  rowValue: Float64Array;
  /** Row duals y: d(objective)/d(row bound); y > 0 at a binding lower bound, y < 0 at an upper. */
  rowDual: Float64Array;
  /** Reduced costs z = c + Qx - A'y (bound duals, same sign rule as rows). */
  colDual: Float64Array;
}

let highsPromise: Promise<Highs> | undefined;

/** Loads (once per process) the HiGHS WebAssembly module. */
export function loadSolver(): Promise<Highs> {
  highsPromise ??= loadHighs();
  return highsPromise;
}

/** Options passed to every solve: quiet, deterministic, no time limit. */
const SOLVER_OPTIONS = { output_flag: false, log_to_console: false, qp_regularization_value: 0 } as const;

/**
 * Solves a linear program (or a convex QP when some q_j > 0) with a fresh HiGHS instance.
 * Infeasible and unbounded problems are results with a reason, not exceptions.
 */
export function solveLinearProgram(highs: Highs, lp: LinearProgram): LpSolution {
  const empty = (status: LpSolution['status'], reason: string): LpSolution => ({
    status,
    reason,
    objective: Number.NaN,
    x: new Float64Array(lp.numCols),
    rowValue: new Float64Array(lp.numRows),
    rowDual: new Float64Array(lp.numRows),
    colDual: new Float64Array(lp.numCols),
  });
  let quadratic = false;
  for (let j = 0; j < lp.numCols; j++) if (lp.colQuadratic[j] !== 0) quadratic = true;
  const hessian = quadratic
    ? (() => {
        const starts = new Int32Array(lp.numCols + 1);
        const idx: number[] = [];
        const val: number[] = [];
        for (let j = 0; j < lp.numCols; j++) {
          if (lp.colQuadratic[j] !== 0) {
            idx.push(j);
            val.push(lp.colQuadratic[j]!);
          }
          starts[j + 1] = idx.length;
        }
        return {
          format: 'triangular' as const,
          dimension: lp.numCols,
          starts,
          indices: Int32Array.from(idx),
          values: Float64Array.from(val),
        };
      })()
    : undefined;
  const model = {
    numCols: lp.numCols,
    numRows: lp.numRows,
    sense: highs.constants.objectiveSense.minimize as ObjectiveSense,
    offset: lp.offset,
    colCost: lp.colCost,
    colLower: lp.colLower,
    colUpper: lp.colUpper,
    rowLower: lp.rowLower,
    rowUpper: lp.rowUpper,
    matrix: {
      format: 'csr' as const,
      numRows: lp.numRows,
      numCols: lp.numCols,
      starts: lp.rowStart,
      indices: lp.index,
      values: lp.value,
    },
    ...(hessian ? { hessian } : {}),
  };
  const ms = highs.constants.modelStatus;
  return highs.withModel(model, (m): LpSolution => {
    m.options.set(SOLVER_OPTIONS);
    let status: number;
    try {
      status = m.run().modelStatus;
    } catch (err) {
      return empty('error', `the solver failed: ${(err as Error).message}`);
    }
    if (status === ms.infeasible) return empty('infeasible', 'the problem is infeasible');
    if (status === ms.unbounded) return empty('unbounded', 'the problem is unbounded');
    if (status === ms.unboundedOrInfeasible)
      return empty('infeasible', 'the problem is infeasible or unbounded');
    if (status === ms.empty && lp.numCols === 0) {
      return { ...empty('optimal', ''), reason: undefined, objective: lp.offset } as LpSolution;
    }
    if (status !== ms.optimal) return empty('error', `solver stopped with model status ${status}`);
    const sol = m.getSolution();
    return {
      status: 'optimal',
      objective: m.getObjectiveValue(),
      x: sol.colValue,
      rowValue: sol.rowValue,
      rowDual: sol.rowDual,
      colDual: sol.colDual,
    };
  });
}
