// AC optimal power flow and AC network clearing by the reduced-space successive QP of docs/ac-opf.md:
// at each power-flow point, the controls' (generator P and Q, order steps, a free reference voltage) state
// sensitivities from the block-LU Jacobian give linear rows (slack P and Q balance, the voltage and flow
// rows near their limits, with elastic slacks where violated); HiGHS's LP finds a feasible vertex and
// working set, the dense active-set QP (ac-qp.ts) finishes on the quadratic model with the reduced
// Hessian (ac-hessian.ts); the step is taken inside per-control trust radii and a new power flow
// follows. Prices come from the last QP's multipliers (ac-prices.ts). Every loop runs in a fixed order
// and the trigonometry is our own, so a solve is a pure function of its input, bit for bit.
//
// This file is the entry point: checks, the internal model and inputs, then the SQP (ac-sqp.ts). The parts:
// ac-opf-types.ts (public types), ac-opf-inputs.ts (orders and cost curves), ac-opf-state.ts (the iterate,
// power flow and sensitivities), ac-opf-subproblem.ts (rows, bounds, Hessian of one iteration),
// ac-opf-lp.ts (LP stage and working set), ac-opf-result.ts (the result in network order).
import { buildAcModel, buildAcSolver, checkAcNetwork, type Network } from '@gridledger/grid';
import { genCosts, indexSteps } from './ac-opf-inputs.ts';
import type { AcOpfOptions, AcOpfResult, AcStatus } from './ac-opf-types.ts';
import { iterate } from './ac-sqp.ts';
import { loadSolver } from './lp.ts';
import type { Order } from './types.ts';

/**
 * AC optimal power flow of a network with its generators' cost curves (and, for clearing, order steps).
 * Unusable networks, infeasible limits and non-convergence give a result with `status` and `reason`.
 * @example
 * const r = await solveAcOpf(await loadMatpower('case69.m'));
 * r.buses[64].lmp; // $/MWh
 */
export async function solveAcOpf(
  network: Network,
  options: AcOpfOptions = {},
  orders: readonly Order[] = [],
): Promise<AcOpfResult> {
  const highs = await loadSolver();
  const t0 = performance.now();
  const empty = (status: AcStatus, reason: string): AcOpfResult => ({
    case: network.name,
    status,
    reason,
    objective: Number.NaN,
    lossesMw: Number.NaN,
    baseMVA: network.baseMVA,
    iterations: 0,
    buses: [],
    generators: [],
    branches: [],
    stepMw: [],
    timingMs: { build: performance.now() - t0, solve: 0 },
  });
  const problem = checkAcNetwork(network);
  if (problem) return empty('invalid-network', problem);
  const model = buildAcModel(network, true);
  const costs = genCosts(model);
  if (typeof costs === 'string') return empty('invalid-network', costs);
  const steps = indexSteps(model, orders);
  if (typeof steps === 'string') return empty('invalid-network', steps);
  const solver = buildAcSolver(model);
  const t1 = performance.now();
  const out = iterate(solver, costs, steps, highs, options);
  const t2 = performance.now();
  out.timingMs = { build: t1 - t0, solve: t2 - t1 };
  return out;
}
