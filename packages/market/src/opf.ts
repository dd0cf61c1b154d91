// DC optimal power flow with LMPs (`solveOpf`): minimise generation cost subject to the network, and
// report dispatch, angles, flows, LMPs split into energy and congestion parts, branch shadow prices per
// direction (MATPOWER's mu_Sf / mu_St), the objective, timings and the optimality certificate.
import { buildDcModel, type DcModel, type Network } from '@gridledger/grid';
import { solveBTheta } from './b-theta-formulation.ts';
import { buildCertificate, type Certificate } from './certificate.ts';
import type { PtdfOptions } from './constraint-generation.ts';
import type { DispatchSolution } from './dispatch-solution.ts';
import { indexSteps, type StepIndex } from './dispatch-steps.ts';
import { busPrices } from './lmp.ts';
import { loadSolver } from './lp.ts';
import { solvePtdf } from './ptdf-formulation.ts';
import type { BranchResult, BusPrice, ClearingStatus, Order } from './types.ts';

/** The two formulations of the same problem (b-theta-formulation.ts, ptdf-formulation.ts). */
export type Formulation = 'ptdf' | 'b-theta';

/** Options of {@link solveOpf} and clearNetwork. */
export interface DispatchOptions extends PtdfOptions {
  /** Default "ptdf" (constraint generation); "b-theta" is MATPOWER's bus-angle form. */
  formulation?: Formulation;
  /** A DC model already built for this network (saves the factorisation when solving repeatedly). */
  model?: DcModel;
}

/** Bus result of an OPF: prices and angle. */
export interface OpfBus extends BusPrice {
  vaDeg: number;
}

/** Generator result (index is the 1-based row in the case file; status 0 rows have pgMw 0). */
export interface OpfGenerator {
  index: number;
  bus: number;
  pgMw: number;
}

/** Result of {@link solveOpf}. */
export interface OpfResult {
  case: string;
  status: ClearingStatus;
  reason?: string;
  /** Total generation cost, $/h, constant terms included. */
  objective: number;
  baseMVA: number;
  buses: OpfBus[];
  generators: OpfGenerator[];
  branches: BranchResult[];
  /** Primal and dual solution in matrix form, checkable by verifyCertificate. */
  certificate: Certificate;
  formulation: Formulation;
  /** Solver calls (constraint-generation rounds for "ptdf"). */
  rounds: number;
  timingMs: { build: number; solve: number; extract: number };
}

/** Solves the dispatch problem of a network and order steps; shared by solveOpf and clearNetwork. */
export async function solveDispatch(
  network: Network,
  orders: readonly Order[],
  options: DispatchOptions = {},
): Promise<{ model: DcModel; steps: StepIndex; dispatch: DispatchSolution; buildMs: number }> {
  const highs = await loadSolver();
  const t0 = performance.now();
  const model = options.model ?? buildDcModel(network);
  const steps = indexSteps(model, orders);
  const t1 = performance.now();
  const dispatch =
    options.formulation === 'b-theta'
      ? solveBTheta(model, steps, highs)
      : solvePtdf(model, steps, highs, options);
  const buildMs = t1 - t0 + (performance.now() - t1 - dispatch.solveMs);
  return { model, steps, dispatch, buildMs };
}

/** Per-branch results in network order (out-of-service rows have zero flow and duals). */
export function branchResults(model: DcModel, d: DispatchSolution): BranchResult[] {
  const out: BranchResult[] = model.network.branches.map((b) => ({
    index: b.index,
    from: b.from,
    to: b.to,
    flowMw: 0,
    muFrom: 0,
    muTo: 0,
  }));
  model.branchRows.forEach((r, k) => {
    const br = out[r]!;
    br.flowMw = d.flowMw[k]!;
    br.muFrom = d.muFrom[k]!;
    br.muTo = d.muTo[k]!;
  });
  return out;
}

/**
 * DC optimal power flow of a network with its generators' cost curves.
 * Infeasible or unbounded problems give a result with `status` and `reason`, not an exception.
 * @throws InputError when the network cannot be modelled (no costs, cubic costs, singular B).
 * @example
 * const net = await loadMatpower('case9.m');
 * const r = await solveOpf(net);
 * r.buses[0].lmp; // $/MWh
 */
export async function solveOpf(network: Network, options: DispatchOptions = {}): Promise<OpfResult> {
  const { model, dispatch: d, buildMs } = await solveDispatch(network, [], options);
  const t0 = performance.now();
  const generators: OpfGenerator[] = network.generators.map((g) => ({ index: g.index, bus: g.bus, pgMw: 0 }));
  model.genRows.forEach((r, k) => {
    generators[r]!.pgMw = d.pgMw[k]!;
  });
  const buses = busPrices(model, d);
  const branches = branchResults(model, d);
  const certificate = buildCertificate(d.program, d.solution);
  const extract = performance.now() - t0;
  return {
    case: network.name,
    status: d.status,
    ...(d.reason ? { reason: d.reason } : {}),
    objective: d.objective,
    baseMVA: network.baseMVA,
    buses,
    generators,
    branches,
    certificate,
    formulation: options.formulation ?? 'ptdf',
    rounds: d.rounds,
    timingMs: { build: buildMs, solve: d.solveMs, extract },
  };
}
