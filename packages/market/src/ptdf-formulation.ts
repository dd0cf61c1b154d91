// The PTDF formulation of the DC dispatch problem (the default; what market operators run): injections
// only, one balance row per island, and the branch limits that bind, found by constraint generation
// (constraint-generation.ts) with PTDF rows (ptdf-model.ts). With many order steps, the steps are screened
// first (step-screening.ts). It gives the same dispatch, LMPs (lmp.ts) and branch shadow prices as the
// b-theta formulation (b-theta-formulation.ts); see opf.ts for which is used.
import type { DcModel } from '@gridledger/grid';
import type { Highs } from 'highs';
import { type PtdfOptions, ptdfCore } from './constraint-generation.ts';
import { costColumns } from './dispatch-program.ts';
import type { DispatchSolution, LimitRef } from './dispatch-solution.ts';
import { aggregateSteps, type StepIndex } from './dispatch-steps.ts';
import { approximateLp, screenedSolve } from './step-screening.ts';

/**
 * Solves the dispatch problem in PTDF form with constraint generation: first without branch limits,
 * then adding the PTDF rows of every branch whose flow exceeds its limit (or angle difference its
 * bounds), until none does. One HiGHS instance serves the rounds of one solve (rows are appended and
 * the solver restarts from its last basis) and is disposed at the end. The final program contains only
 * the added limits; its duals give the LMPs: LMP_i = lambda_island + sum_l y_l PTDF_{l,i}.
 *
 * With many order steps, HiGHS needs about one iteration per step that changes bound (active-set QP,
 * and the simplex on congested LPs), so the steps are screened first: an LP with the quadratic costs replaced by tangent
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
  if (!(cc.nSteps > (options.screenAboveSteps ?? 200))) {
    return ptdfCore(model, steps, cc, [], highs, options);
  }
  let rounds = 0;
  let solveMs = 0;
  let prices: Float64Array;
  let seed: readonly LimitRef[] = [];
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
