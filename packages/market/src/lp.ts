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

/**
 * Loads (once per process) the HiGHS WebAssembly module, then solves one tiny LP and one tiny QP on
 * throw-away instances so that the engine has compiled the solver's code before the first timed solve.
 * `warmUp: false` skips those two solves (a one-shot command that solves once gains nothing from them);
 * results do not depend on it.
 */
export function loadSolver(options: { warmUp?: boolean } = {}): Promise<Highs> {
  if (options.warmUp === false) {
    highsPromise ??= loadHighs();
    return highsPromise;
  }
  highsPromise ??= loadHighs().then((highs) => {
    const tiny = (q: number): LinearProgram => ({
      numCols: 2,
      numRows: 1,
      colCost: Float64Array.of(1, 2),
      colQuadratic: Float64Array.of(q, 0),
      colLower: Float64Array.of(0, 0),
      colUpper: Float64Array.of(10, 10),
      rowLower: Float64Array.of(1),
      rowUpper: Float64Array.of(Number.POSITIVE_INFINITY),
      rowStart: Int32Array.of(0, 2),
      index: Int32Array.of(0, 1),
      value: Float64Array.of(1, 1),
      offset: 0,
    });
    solveLinearProgram(highs, tiny(0));
    solveLinearProgram(highs, tiny(2));
    return highs;
  });
  return highsPromise;
}

/**
 * Options of every solve: quiet; no time limit; presolve off (the programs are small in rows, and it lets
 * constraint generation restart from the last basis); no QP regularisation (it would bias the duals).
 */
const SOLVER_OPTIONS: Record<string, string | number | boolean> = {
  output_flag: false,
  log_to_console: false,
  qp_regularization_value: 0,
  presolve: 'off',
};

/**
 * Solves a linear program (or a convex QP when some q_j > 0) with a fresh HiGHS instance.
 * Infeasible and unbounded problems are results with a reason, not exceptions.
 */
export function solveLinearProgram(highs: Highs, lp: LinearProgram): LpSolution {
  if (lp.numCols === 0) {
    // Nothing to decide: feasible when every row admits an activity of 0.
    let feasible = true;
    for (let i = 0; i < lp.numRows; i++)
      if (lp.rowLower[i]! > 1e-9 || lp.rowUpper[i]! < -1e-9) feasible = false;
    return {
      status: feasible ? 'optimal' : 'infeasible',
      ...(feasible ? {} : { reason: 'the problem is infeasible (nothing can serve the fixed demand)' }),
      objective: lp.offset,
      x: new Float64Array(0),
      rowValue: new Float64Array(lp.numRows),
      rowDual: new Float64Array(lp.numRows),
      colDual: new Float64Array(0),
    };
  }
  return withLpSession(highs, lp, (s) => s.run());
}

/**
 * A HiGHS instance kept open for a sequence of solves of one growing program (constraint generation
 * within one clearing): rows are appended and the solver restarts from its previous basis. Created and
 * disposed by {@link withLpSession}, so nothing outlives the clearing that opened it.
 */
export interface LpSession {
  /** Solves the current program. */
  run(): LpSolution;
  /** Appends rows (CSR over the program's columns). */
  addRows(
    lower: Float64Array,
    upper: Float64Array,
    start: Int32Array,
    index: Int32Array,
    value: Float64Array,
  ): void;
  /** Changes the bounds of the given columns (indices strictly increasing). */
  setColBounds(indices: Int32Array, lower: Float64Array, upper: Float64Array): void;
}

/** Opens a fresh HiGHS instance on `lp`, runs `body` with it and disposes it, whatever happens. */
export function withLpSession<T>(highs: Highs, lp: LinearProgram, body: (s: LpSession) => T): T {
  let quadratic = false;
  for (let j = 0; j < lp.numCols; j++) if (lp.colQuadratic[j] !== 0) quadratic = true;
  const model = toModelData(highs, lp, quadratic);
  const ms = highs.constants.modelStatus;
  let numRows = lp.numRows;
  return highs.withModel(model, (m) => {
    m.options.set(SOLVER_OPTIONS);
    const session: LpSession = {
      run(): LpSolution {
        const empty = (status: LpSolution['status'], reason: string): LpSolution => ({
          status,
          reason,
          objective: Number.NaN,
          x: new Float64Array(lp.numCols),
          rowValue: new Float64Array(numRows),
          rowDual: new Float64Array(numRows),
          colDual: new Float64Array(lp.numCols),
        });
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
      },
      addRows(lower, upper, start, index, value) {
        m.addRows({
          lower,
          upper,
          matrix: {
            format: 'csr',
            numRows: lower.length,
            numCols: lp.numCols,
            starts: start,
            indices: index,
            values: value,
          },
        });
        numRows += lower.length;
      },
      setColBounds(indices, lower, upper) {
        m.changeColsBounds({ kind: 'set', indices }, lower, upper);
      },
    };
    return body(session);
  });
}

function toModelData(highs: Highs, lp: LinearProgram, quadratic: boolean) {
  let hessian:
    | {
        format: 'triangular';
        dimension: number;
        starts: Int32Array;
        indices: Int32Array;
        values: Float64Array;
      }
    | undefined;
  if (quadratic) {
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
    hessian = {
      format: 'triangular',
      dimension: lp.numCols,
      starts,
      indices: Int32Array.from(idx),
      values: Float64Array.from(val),
    };
  }
  return {
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
}
