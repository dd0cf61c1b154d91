// Pro rata at the margin on the network path (docs/market-rules.md §6a): order steps of one (bus, side,
// price) group are identical columns of the dispatch program up to their bounds, so the solver may split
// the group's cleared total among them in any way (a simplex vertex fills them in column order, that is
// by input position). After the solve, each group's total is shared again in proportion to the steps'
// quantities. The row activities, the objective, the flows and every dual stay as they were, so the
// optimality certificate still holds (its `x` is updated in place).
import { InternalError } from '@gridledger/base';
import type { DcModel } from '@gridledger/grid';
import type { DispatchSolution } from './dispatch-solution.ts';
import type { StepIndex } from './dispatch-steps.ts';

/**
 * The first step column of the dispatch program: generators, then one epigraph column per generator with
 * a piecewise-linear cost, then the steps (the layout of `costColumns`, dispatch-program.ts).
 */
export function stepColumnStart(model: DcModel): number {
  let nPwl = 0;
  for (const r of model.genRows) if (model.network.generators[r]!.cost?.model !== 'polynomial') nPwl++;
  return model.genRows.length + nPwl;
}

/**
 * Shares each (bus, side, price) group's cleared MW among its steps in proportion to their quantities:
 * `x_s = X · q_s / Q` for a group that clears `X` of its `Q` MW in part; a group cleared fully or not at
 * all is set exactly to its bounds. Updates `d.stepMw` and the certificate's `x` in place; returns how
 * many groups were shared. Integer Wh come later, from settlement's largest-remainder rule (§7).
 * @example shareTiesProRata(model, steps, dispatch) // 1 for sA/sB tied at 30 $/MWh
 */
export function shareTiesProRata(model: DcModel, steps: StepIndex, d: DispatchSolution): number {
  const nS = steps.price.length;
  if (d.status !== 'optimal' || nS < 2) return 0;
  const col0 = stepColumnStart(model);
  const x = d.solution.x;
  if (x.length < col0 + nS || x[col0] !== d.stepMw[0]) {
    throw new InternalError('shareTiesProRata: the program does not have the step columns where expected');
  }
  // Only steps priced at their bus's LMP can be split arbitrarily: a step strictly in or out of the money
  // has a non-zero reduced cost, and so has every step of its group (same column), all at their bounds.
  const z = d.solution.colDual;
  const { bus, sign, price, quantity } = steps;
  const candidates: number[] = [];
  for (let s = 0; s < nS; s++) {
    if (Math.abs(z[col0 + s]!) <= 1e-7 * Math.max(1, Math.abs(price[s]!))) candidates.push(s);
  }
  if (candidates.length < 2) return 0;
  // Group by (bus, sign, price): sort step indices by that key; the price compares as a number, so -0 and
  // 0 are one price.
  const order = Int32Array.from(candidates);
  const nC = order.length;
  order.sort(
    (a, b) =>
      bus[a]! - bus[b]! ||
      sign[a]! - sign[b]! ||
      (price[a]! < price[b]! ? -1 : price[a]! > price[b]! ? 1 : a - b),
  );
  let shared = 0;
  for (let g = 0; g < nC; ) {
    let e = g + 1;
    const s0 = order[g]!;
    while (e < nC) {
      const t = order[e]!;
      if (bus[t] !== bus[s0] || sign[t] !== sign[s0] || price[t] !== price[s0]) break;
      e++;
    }
    if (e - g > 1) {
      let total = 0;
      let q = 0;
      for (let k = g; k < e; k++) {
        total += d.stepMw[order[k]!]!;
        q += quantity[order[k]!]!;
      }
      const tol = 1e-9 * Math.max(1, q);
      for (let k = g; k < e; k++) {
        const s = order[k]!;
        const v = total >= q - tol ? quantity[s]! : total <= tol ? 0 : (total * quantity[s]!) / q;
        d.stepMw[s] = v;
        x[col0 + s] = v;
      }
      shared++;
    }
    g = e;
  }
  return shared;
}
