// The certificate's inputs when order steps were screened out of the solved program: the full PTDF program
// (every step column at its original bounds, the same rows in the same order), the primal values with the
// fixed steps at their fixed quantities, the same row duals, and the fixed steps' reduced costs, so that
// buildCertificate (certificate.ts) covers every step and verifyCertificate checks the full problem.
import type { DcModel } from '@gridledger/grid';
import type { PtdfDispatch } from './constraint-generation.ts';
import type { CostColumns } from './dispatch-program.ts';
import type { DispatchSolution } from './dispatch-solution.ts';
import type { StepIndex } from './dispatch-steps.ts';
import { ptdfProgram } from './ptdf-model.ts';

/**
 * Maps a solve with some steps left out (fixed) back to the full problem: the full program (all step
 * columns, original bounds, same rows in the same order), x with the fixed values, the same row duals,
 * and the fixed steps' reduced costs c_j - sign_j * LMP_bus, so the certificate covers every step.
 */
export function expandReduced(
  model: DcModel,
  steps: StepIndex,
  cc: CostColumns,
  r: PtdfDispatch,
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
