// Newton-Raphson AC power flow in polar coordinates: unknowns theta and |V| of every bus but the
// reference, equations the P and Q balances; buses flagged to hold their voltage (PV buses) replace their
// Q balance by d|V| = 0. Converged when the largest mismatch is below the tolerance (1e-9 p.u.); at most
// 30 iterations; a singular Jacobian or a diverging iterate is a status, not an exception.
import { type AcModel, buildAcModel, checkAcNetwork } from './ac-admittance.ts';
import {
  type AcJacobianFactor,
  type AcJacobianPattern,
  allocateFactor,
  assembleJacobian,
  buildJacobianPattern,
  busInjections,
  factorJacobian,
  solveJacobian,
  voltageParts,
} from './ac-jacobian.ts';
import { BusType, type Network } from './network.ts';

/** Options of {@link solveAcPowerFlow}. */
export interface AcPowerFlowOptions {
  /** Largest P or Q mismatch accepted, per unit (default 1e-9). */
  tolerance?: number;
  /** Newton iterations at most (default 30). */
  maxIterations?: number;
}

/** The specified injections and the starting (and held) voltages of a power flow. */
export interface AcPowerFlowInput {
  /** Net specified injection (generation minus demand) per internal bus, per unit. */
  pSpec: Float64Array;
  qSpec: Float64Array;
  /** Starting |V| (held at the reference and at buses with holdV = 1), per unit. */
  vm: Float64Array;
  /** Starting angles, radians (the reference's is held). */
  va: Float64Array;
  /** 1 where |V| is held and Q is free (PV buses). */
  holdV: Uint8Array;
}

/** Outcome of a power flow: 'converged', or why not. */
export type AcPowerFlowStatus = 'converged' | 'not-converged' | 'singular' | 'invalid-network';

/** Result of {@link solveAcPowerFlow}. */
export interface AcPowerFlowResult {
  status: AcPowerFlowStatus;
  reason?: string;
  iterations: number;
  /** Largest mismatch at the returned point, per unit. */
  maxMismatch: number;
  vm: Float64Array;
  va: Float64Array;
  /** Computed injections at the returned point, per unit. */
  p: Float64Array;
  q: Float64Array;
  /** Rectangular voltage parts at the returned point. */
  e: Float64Array;
  f: Float64Array;
}

/** A model with its Jacobian pattern and work storage, reusable across solves of one network. */
export interface AcSolver {
  model: AcModel;
  pattern: AcJacobianPattern;
  factor: AcJacobianFactor;
}

/** Builds the model, the symbolic factorisation and the work storage once per network. */
export function buildAcSolver(model: AcModel): AcSolver {
  const pattern = buildJacobianPattern(model);
  return { model, pattern, factor: allocateFactor(pattern) };
}

/** Largest absolute P/Q mismatch (Q rows skipped where |V| is held); writes the mismatch vector. */
function mismatch(
  solver: AcSolver,
  input: AcPowerFlowInput,
  p: Float64Array,
  q: Float64Array,
  F: Float64Array,
) {
  const { model } = solver;
  let worst = 0;
  for (let i = 0; i < model.nBus; i++) {
    if (i === model.ref) {
      F[2 * i] = 0;
      F[2 * i + 1] = 0;
      continue;
    }
    const dp = p[i]! - input.pSpec[i]!;
    const dq = input.holdV[i] ? 0 : q[i]! - input.qSpec[i]!;
    F[2 * i] = dp;
    F[2 * i + 1] = dq;
    const a = Math.max(Math.abs(dp), Math.abs(dq));
    if (!(a <= worst)) worst = a; // NaN propagates
  }
  return worst;
}

/**
 * Runs Newton's method from the input's voltages.
 * @example
 * const s = buildAcSolver(buildAcModel(net));
 * const r = solveAcPowerFlow(s, input); // r.status === 'converged'
 */
export function solveAcPowerFlow(
  solver: AcSolver,
  input: AcPowerFlowInput,
  options: AcPowerFlowOptions = {},
): AcPowerFlowResult {
  const tol = options.tolerance ?? 1e-9;
  const maxIt = options.maxIterations ?? 30;
  const { model, factor } = solver;
  const n = model.nBus;
  const vm = Float64Array.from(input.vm);
  const va = Float64Array.from(input.va);
  const e = new Float64Array(n);
  const f = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  const F = new Float64Array(2 * n);
  const dx = new Float64Array(2 * n);
  voltageParts(vm, va, e, f);
  busInjections(model, e, f, p, q);
  let worst = mismatch(solver, input, p, q, F);
  let it = 0;
  const done = (status: AcPowerFlowStatus, reason?: string): AcPowerFlowResult => ({
    status,
    ...(reason ? { reason } : {}),
    iterations: it,
    maxMismatch: worst,
    vm,
    va,
    p,
    q,
    e,
    f,
  });
  while (!(worst < tol)) {
    if (!Number.isFinite(worst))
      return done('not-converged', 'the power flow diverged (non-finite mismatch)');
    if (it >= maxIt) {
      return done(
        'not-converged',
        `no convergence in ${maxIt} Newton iterations (mismatch ${worst.toExponential(2)} p.u.)`,
      );
    }
    assembleJacobian(model, factor, vm, e, f, p, q, input.holdV);
    if (!factorJacobian(factor)) {
      const bus = model.network.buses[model.busRows[factor.failedBus]!]!.id;
      return done('singular', `the power-flow Jacobian is singular at bus ${bus}`);
    }
    solveJacobian(factor, F, dx);
    for (let i = 0; i < n; i++) {
      if (i === model.ref) continue;
      va[i] = va[i]! - dx[2 * i]!;
      if (!input.holdV[i]) vm[i] = vm[i]! - dx[2 * i + 1]!;
    }
    it++;
    voltageParts(vm, va, e, f);
    busInjections(model, e, f, p, q);
    worst = mismatch(solver, input, p, q, F);
  }
  return done('converged');
}

/**
 * The case's own power flow (MATPOWER runpf conventions): generation Pg at every bus, |V| held at the
 * reference and at PV buses with a generator in service (at the generator's VG), flat start elsewhere.
 * An unusable network (no reference bus, islands) gives status 'invalid-network'.
 */
export function solveCasePowerFlow(network: Network, options: AcPowerFlowOptions = {}) {
  const problem = checkAcNetwork(network);
  if (problem) {
    return { status: 'invalid-network' as const, reason: problem, iterations: 0 };
  }
  const model = buildAcModel(network);
  const solver = buildAcSolver(model);
  const input = caseInput(model);
  return { ...solveAcPowerFlow(solver, input, options), model };
}

/** Injections and held voltages of a case as it is (runpf conventions). */
export function caseInput(model: AcModel): AcPowerFlowInput {
  const n = model.nBus;
  const net = model.network;
  const pSpec = new Float64Array(n);
  const qSpec = new Float64Array(n);
  const vm = new Float64Array(n).fill(1);
  const va = new Float64Array(n);
  const holdV = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const b = net.buses[model.busRows[i]!]!;
    pSpec[i] = -model.pdPu[i]!;
    qSpec[i] = -model.qdPu[i]!;
    va[i] = (b.vaDeg * Math.PI) / 180;
    vm[i] = b.vmPu;
  }
  const refVa = va[model.ref]!;
  for (let i = 0; i < n; i++) va[i] = refVa;
  for (let k = 0; k < model.genRows.length; k++) {
    const g = net.generators[model.genRows[k]!]!;
    const i = model.genBus[k]!;
    pSpec[i] = pSpec[i]! + g.pgMw / model.baseMVA;
    qSpec[i] = qSpec[i]! + g.qgMvar / model.baseMVA;
    const t = net.buses[model.busRows[i]!]!.type;
    if (t === BusType.PV || t === BusType.REF) {
      holdV[i] = 1;
      vm[i] = g.vgPu;
    }
  }
  for (let i = 0; i < n; i++) if (!holdV[i]) vm[i] = 1;
  holdV[model.ref] = 1;
  return { pSpec, qSpec, vm, va, holdV };
}
