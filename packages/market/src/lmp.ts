// Locational marginal prices from the duals of the dispatch problem, in $/MWh:
// - b-theta: LMP_i is the dual of bus i's balance row;
// - ptdf:    LMP_i = λ_island(i) + Σ_l y_l · PTDF_{l,i}, the island's balance dual plus the limit rows'
//            duals weighted by the branch's PTDF row (docs/dc-opf.md);
// the branch shadow prices per direction from a limit row's dual (MATPOWER's mu_Sf / mu_St), and the
// split of each bus's LMP into its energy part (the LMP of its island's reference bus) and congestion part.
import type { DcModel } from '@gridledger/grid';
import type { DispatchSolution } from './dispatch-solution.ts';
import type { BusPrice } from './types.ts';

/**
 * LMPs of the b-theta formulation: the duals of the first `busCount` rows (one balance row per bus).
 * @example balanceRowLmps(sol.rowDual, model.busRows.length)
 */
export function balanceRowLmps(rowDual: Float64Array, busCount: number): Float64Array {
  return rowDual.slice(0, busCount);
}

/** A limit row of the PTDF program: its row index and the branch's PTDF row (MW/MW per bus). */
export interface PricedLimit {
  row: number;
  ptdf: Float64Array;
}

/**
 * LMPs of the PTDF formulation: LMP_i = λ_island(i) + Σ_l y_l · PTDF_{l,i}, where the island balance
 * rows come first (row s is island s) and limits whose row is beyond `rowDual` (added after the solve)
 * contribute nothing.
 * @example ptdfLmps(model, sol.rowDual, limits)
 */
export function ptdfLmps(
  model: DcModel,
  rowDual: Float64Array,
  limits: readonly PricedLimit[],
): Float64Array {
  const n = model.busRows.length;
  const lmp = new Float64Array(n);
  for (let i = 0; i < n; i++) lmp[i] = rowDual[model.busIsland[i]!]!;
  for (const lim of limits) {
    if (lim.row >= rowDual.length) continue;
    const y = rowDual[lim.row]!;
    if (y === 0) continue;
    for (let i = 0; i < n; i++) lmp[i]! += y * lim.ptdf[i]!;
  }
  return lmp;
}

/**
 * Shadow price of a branch's from→to limit from its limit row's dual y ($/MWh per MW): max(0, -y).
 * @example fromEndShadowPrice(-3) // 3
 */
export function fromEndShadowPrice(y: number): number {
  return Math.max(0, -y);
}

/**
 * Shadow price of a branch's to→from limit from its limit row's dual y ($/MWh per MW): max(0, y).
 * @example toEndShadowPrice(-3) // 0
 */
export function toEndShadowPrice(y: number): number {
  return Math.max(0, y);
}

/**
 * Per-bus prices in network order: LMP, energy part (the LMP of the island's reference bus) and
 * congestion part (LMP minus energy part), with the bus angle in degrees. Buses out of the model are NaN.
 */
export function busPrices(model: DcModel, d: DispatchSolution): (BusPrice & { vaDeg: number })[] {
  const out: (BusPrice & { vaDeg: number })[] = model.network.buses.map((b) => ({
    id: b.id,
    lmp: Number.NaN,
    lmpEnergy: Number.NaN,
    lmpCongestion: Number.NaN,
    vaDeg: Number.NaN,
  }));
  model.busRows.forEach((r, i) => {
    const bp = out[r]!;
    const energy = d.lmp[model.islandRef[model.busIsland[i]!]!]!;
    bp.lmp = d.lmp[i]!;
    bp.lmpEnergy = energy;
    bp.lmpCongestion = d.lmp[i]! - energy;
    bp.vaDeg = (d.thetaRad[i]! * 180) / Math.PI;
  });
  return out;
}
