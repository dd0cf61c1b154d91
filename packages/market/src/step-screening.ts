// Screening of order steps before the exact solve of the PTDF formulation: with approximate prices (a
// linear program with quadratic costs replaced by tangent cuts), steps far in or out of the money are
// fixed at their bounds and left out of the program; a fixed step whose reduced cost at the resulting
// prices has the wrong sign is freed and the program solved again, so the answer is the exact optimum of
// the full problem. The full program is restored for the certificate (certificate-inputs.ts).
import type { DcModel } from '@gridledger/grid';
import type { Highs } from 'highs';
import { expandReduced } from './certificate-inputs.ts';
import { type PtdfDispatch, type PtdfOptions, ptdfCore } from './constraint-generation.ts';
import { approximateQuadratic, type CostColumns, costColumns } from './dispatch-program.ts';
import type { LimitRef } from './dispatch-solution.ts';
import { type StepIndex, subsetSteps } from './dispatch-steps.ts';

/** The dispatch problem with the quadratic costs replaced by tangent cuts, refined until tight. */
export function approximateLp(
  model: DcModel,
  steps: StepIndex,
  highs: Highs,
  options: PtdfOptions,
  seed: readonly LimitRef[],
  extraInjMw?: Float64Array,
) {
  const approx = approximateQuadratic(costColumns(model, steps));
  return ptdfCore(
    model,
    steps,
    approx.cc,
    approx.extra,
    highs,
    { ...options, maxRounds: 400 },
    seed,
    approx.tangents,
    extraInjMw,
  );
}

/**
 * Solves with the steps more than `window` $/MWh in or out of the money at `prices` fixed at their bounds
 * and left out of the program; fixed steps whose reduced cost at the resulting prices has the wrong sign
 * are freed and the program solved again, until none. `approximate` uses tangent cuts for quadratic costs.
 */
export function screenedSolve(
  model: DcModel,
  steps: StepIndex,
  cc: CostColumns,
  highs: Highs,
  options: PtdfOptions,
  prices: Float64Array,
  window: number,
  seed0: readonly LimitRef[],
  approximate: boolean,
): {
  result?: PtdfDispatch;
  rounds: number;
  solveMs: number;
} {
  const nS = cc.nSteps;
  const isFixed = new Uint8Array(nS);
  const fixedMw = new Float64Array(nS);
  for (let s = 0; s < nS; s++) {
    const lmp = prices[steps.bus[s]!]!;
    const margin = steps.sign[s]! > 0 ? lmp - steps.price[s]! : steps.price[s]! - lmp;
    if (Math.abs(margin) > window) {
      isFixed[s] = 1;
      fixedMw[s] = margin > 0 ? steps.quantity[s]! : 0;
    }
  }
  let seed = seed0;
  let rounds = 0;
  let solveMs = 0;
  for (let iter = 0; iter < 50; iter++) {
    const active: number[] = [];
    for (let s = 0; s < nS; s++) if (!isFixed[s]) active.push(s);
    const sub = subsetSteps(steps, active);
    const extraInj = new Float64Array(model.busRows.length);
    for (let s = 0; s < nS; s++) if (isFixed[s]) extraInj[steps.bus[s]!]! += steps.sign[s]! * fixedMw[s]!;
    const r = approximate
      ? approximateLp(model, sub, highs, options, seed, extraInj)
      : ptdfCore(model, sub, costColumns(model, sub), [], highs, options, seed, [], extraInj);
    rounds += r.rounds;
    solveMs += r.solveMs;
    if (r.status !== 'optimal') return { rounds, solveMs };
    const freed: number[] = [];
    for (let s = 0; s < nS; s++) {
      if (!isFixed[s]) continue;
      const z = cc.colCost[cc.stepCol0 + s]! - steps.sign[s]! * r.lmp[steps.bus[s]!]!;
      if ((fixedMw[s]! > 0 && z > 1e-9) || (fixedMw[s]! === 0 && z < -1e-9)) freed.push(s);
    }
    if (freed.length === 0) {
      if (approximate) return { result: r, rounds, solveMs };
      return {
        result: {
          ...expandReduced(model, steps, cc, r, active, isFixed, fixedMw),
          limitBranches: r.limitBranches,
        },
        rounds,
        solveMs,
      };
    }
    for (const s of freed) isFixed[s] = 0;
    seed = r.limitBranches;
  }
  return { rounds, solveMs };
}
