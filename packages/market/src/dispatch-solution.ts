// What a solved dispatch problem tells (`DispatchSolution`: dispatch, angles, LMPs, flows, branch shadow
// prices, the program and solution for the certificate, solver rounds and time), and the empty solution
// reported when the solver does not find an optimum.
import type { DcModel } from '@gridledger/grid';
import type { StepIndex } from './dispatch-steps.ts';
import type { LinearProgram, LpSolution } from './lp.ts';

/** A branch limit added to the PTDF program: its flow limit or its angle-difference limit. */
export interface LimitRef {
  branch: number;
  kind: 'flow' | 'angle';
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

/** The solution reported when the solver ends without an optimum (status and reason kept, values zero). */
export function emptyDispatch(
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
