// The AC-OPF's iterate and its power-flow point: the controls (generator P and Q, order steps) and the
// voltages, the power flow of the current controls (PV at generator buses and the reference), the slack
// absorbed by the reference generators, the list of controls (P and Q per bus, a free |V_r|), the state
// sensitivities Z_c = J^-1 e_c (one forward solve each) and the gradients of the reference bus's P and Q.
import {
  type AcJacobianFactor,
  type AcModel,
  type AcSolver,
  eliminationRoots,
  type SolveSupport,
  solveAcPowerFlow,
  solveJacobianOn,
  solveSupport,
} from '@gridledger/grid';
import type { Steps } from './ac-opf-inputs.ts';

/** The iteration's state: controls, voltages and what the previous QP learnt. */
export interface State {
  pg: Float64Array;
  qg: Float64Array;
  xs: Float64Array;
  vm: Float64Array;
  va: Float64Array;
  yP: Float64Array;
  yQ: Float64Array;
  mu: Float64Array;
  everV: Uint8Array;
  everMu: Uint8Array;
}

/** What a power flow gave: voltages and computed injections. */
export interface Point {
  vm: Float64Array;
  va: Float64Array;
  e: Float64Array;
  f: Float64Array;
  p: Float64Array;
  q: Float64Array;
}

/** Runs the power flow of the current controls (PV at generator buses and the reference). */
export function powerFlow(solver: AcSolver, st: State, steps: Steps, genAtBus: Int32Array): Point | string {
  const model = solver.model;
  const n = model.nBus;
  const pSpec = new Float64Array(n);
  const qSpec = new Float64Array(n);
  const holdV = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    pSpec[i] = -model.pdPu[i]!;
    qSpec[i] = -model.qdPu[i]!;
    if (genAtBus[i]! > 0) holdV[i] = 1;
  }
  holdV[model.ref] = 1;
  for (let k = 0; k < st.pg.length; k++) {
    const i = model.genBus[k]!;
    pSpec[i] = pSpec[i]! + st.pg[k]!;
    qSpec[i] = qSpec[i]! + st.qg[k]!;
  }
  for (let s = 0; s < st.xs.length; s++)
    pSpec[steps.bus[s]!] = pSpec[steps.bus[s]!]! + steps.sign[s]! * st.xs[s]!;
  const r = solveAcPowerFlow(solver, { pSpec, qSpec, vm: st.vm, va: st.va, holdV });
  if (r.status !== 'converged') return r.reason ?? r.status;
  return { vm: r.vm, va: r.va, e: r.e, f: r.f, p: r.p, q: r.q };
}

/**
 * After a power flow: the reference generators take the slack P, and the generators of each bus the
 * difference between the bus's computed Q and their current total, shared equally (so the split the QP
 * chose between generators of one bus is kept).
 */
export function absorbSlack(model: AcModel, st: State, steps: Steps, pt: Point, genAtBus: Int32Array): void {
  const n = model.nBus;
  const gapP = new Float64Array(n);
  const gapQ = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    gapP[i] = pt.p[i]! + model.pdPu[i]!;
    gapQ[i] = pt.q[i]! + model.qdPu[i]!;
  }
  for (let s = 0; s < st.xs.length; s++)
    gapP[steps.bus[s]!] = gapP[steps.bus[s]!]! - steps.sign[s]! * st.xs[s]!;
  for (let k = 0; k < st.pg.length; k++) {
    const i = model.genBus[k]!;
    gapP[i] = gapP[i]! - st.pg[k]!;
    gapQ[i] = gapQ[i]! - st.qg[k]!;
  }
  for (let k = 0; k < st.pg.length; k++) {
    const i = model.genBus[k]!;
    const cnt = genAtBus[i]!;
    st.qg[k] = st.qg[k]! + gapQ[i]! / cnt;
    if (i === model.ref) st.pg[k] = st.pg[k]! + gapP[i]! / cnt;
  }
  st.vm = pt.vm;
  st.va = pt.va;
}

/** The controls of the reduced space, in a fixed order: P per bus, Q per bus, then |V_r| when free. */
export interface Controls {
  /** kind 0 P at bus, 1 Q at bus, 2 |V_r|. */
  kind: Int8Array;
  bus: Int32Array;
  count: number;
}

/** Numbers the controls; pOf/qOf map an internal bus to its P/Q control (-1 when none). */
export function buildControls(
  model: AcModel,
  steps: Steps,
  free: boolean,
): { ctrl: Controls; pOf: Int32Array; qOf: Int32Array } {
  const n = model.nBus;
  const pOf = new Int32Array(n).fill(-1);
  const qOf = new Int32Array(n).fill(-1);
  const kind: number[] = [];
  const bus: number[] = [];
  const addP = (i: number) => {
    if (i === model.ref || pOf[i]! >= 0) return;
    pOf[i] = kind.length;
    kind.push(0);
    bus.push(i);
  };
  for (let k = 0; k < model.genRows.length; k++) addP(model.genBus[k]!);
  for (let s = 0; s < steps.bus.length; s++) addP(steps.bus[s]!);
  for (let k = 0; k < model.genRows.length; k++) {
    const i = model.genBus[k]!;
    if (i === model.ref || qOf[i]! >= 0) continue;
    qOf[i] = kind.length;
    kind.push(1);
    bus.push(i);
  }
  if (free) {
    kind.push(2);
    bus.push(model.ref);
  }
  return { ctrl: { kind: Int8Array.from(kind), bus: Int32Array.from(bus), count: kind.length }, pOf, qOf };
}

/**
 * Where each control's sensitivity can be nonzero (the elimination trees of its right-hand side, plus r
 * for |V_r|), the branches touching it, and the reused sensitivity vectors. Built once per solve.
 */
export interface SensitivityPlan {
  support: SolveSupport[];
  /** Internal buses of each control's support, ascending (r included for |V_r|). */
  buses: Int32Array[];
  /** Internal branches with an end in each control's support, ascending. */
  branches: Int32Array[];
  /** Z_c, full-length state vectors, zero outside the support. */
  Z: Float64Array[];
  rhs: Float64Array;
  work: Float64Array;
}

/** The sparsity plan of the sensitivities of the controls on a solver's network. */
export function planSensitivities(solver: AcSolver, ctrl: Controls): SensitivityPlan {
  const model = solver.model;
  const pattern = solver.factor.pattern;
  const n = model.nBus;
  const r = model.ref;
  const roots = eliminationRoots(pattern);
  const neighbours: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === r) continue;
    for (let a = model.yp[i]!; a < model.yp[i + 1]!; a++) if (model.yi[a] === r) neighbours.push(i);
  }
  const plan: SensitivityPlan = {
    support: [],
    buses: [],
    branches: [],
    Z: [],
    rhs: new Float64Array(2 * n),
    work: new Float64Array(2 * pattern.nBlocks),
  };
  const mark = new Uint8Array(n);
  // P and Q controls of one bus (and of buses in one elimination tree) share their support.
  const byRoot = new Map<number, { sup: SolveSupport; buses: Int32Array; branches: Int32Array }>();
  for (let c = 0; c < ctrl.count; c++) {
    const vr = ctrl.kind[c] === 2;
    const root = vr ? -1 : roots[pattern.position[ctrl.bus[c]!]!]!;
    let entry = byRoot.get(root);
    if (!entry) {
      const sup = solveSupport(model, pattern, roots, vr ? neighbours : [ctrl.bus[c]!]);
      const buses = vr ? Int32Array.from([...sup.buses, r]).sort() : sup.buses;
      mark.fill(0);
      for (const i of buses) mark[i] = 1;
      const br: number[] = [];
      for (let l = 0; l < model.brFrom.length; l++)
        if (mark[model.brFrom[l]!] || mark[model.brTo[l]!]) br.push(l);
      entry = { sup, buses, branches: Int32Array.from(br) };
      if (!vr) byRoot.set(root, entry);
    }
    plan.support.push(entry.sup);
    plan.buses.push(entry.buses);
    plan.branches.push(entry.branches);
    plan.Z.push(new Float64Array(2 * n));
  }
  return plan;
}

/**
 * Sensitivities Z_c of the state to each control (one forward solve each, on its support), written into
 * the plan's vectors (valid until the next call).
 */
export function sensitivities(
  model: AcModel,
  fac: AcJacobianFactor,
  ctrl: Controls,
  pt: Point,
  plan: SensitivityPlan,
): Float64Array[] {
  const n = model.nBus;
  const r = model.ref;
  const rhs = plan.rhs;
  for (let c = 0; c < ctrl.count; c++) {
    const kind = ctrl.kind[c]!;
    if (kind === 2) {
      // -dF/d|V_r| over the neighbours of r
      for (let i = 0; i < n; i++) {
        if (i === r) continue;
        for (let a = model.yp[i]!; a < model.yp[i + 1]!; a++) {
          if (model.yi[a] !== r) continue;
          const cc = pt.e[i]! * pt.e[r]! + pt.f[i]! * pt.f[r]!;
          const ss = pt.f[i]! * pt.e[r]! - pt.e[i]! * pt.f[r]!;
          const g = model.yg[a]!;
          const b = model.yb[a]!;
          rhs[2 * i] = -(g * cc + b * ss) / pt.vm[r]!;
          rhs[2 * i + 1] = -(g * ss - b * cc) / pt.vm[r]!;
        }
      }
    } else rhs[2 * ctrl.bus[c]! + kind] = 1;
    const z = plan.Z[c]!;
    solveJacobianOn(fac, plan.support[c]!, rhs, z, plan.work);
    if (kind === 2) z[2 * r + 1] = 1;
    rhs.fill(0);
  }
  return plan.Z;
}

/** Gradients of P_r and Q_r over the full state (the |V_r| entry included, theta_r unused). */
export function slackGradients(model: AcModel, pt: Point): { gp: Float64Array; gq: Float64Array } {
  const n = model.nBus;
  const r = model.ref;
  const gp = new Float64Array(2 * n);
  const gq = new Float64Array(2 * n);
  for (let a = model.yp[r]!; a < model.yp[r + 1]!; a++) {
    const k = model.yi[a]!;
    const g = model.yg[a]!;
    const b = model.yb[a]!;
    if (k === r) {
      const v = pt.vm[r]!;
      gp[2 * r + 1] = pt.p[r]! / v + g * v;
      gq[2 * r + 1] = pt.q[r]! / v - b * v;
      continue;
    }
    const c = pt.e[r]! * pt.e[k]! + pt.f[r]! * pt.f[k]!;
    const s = pt.f[r]! * pt.e[k]! - pt.e[r]! * pt.f[k]!;
    gp[2 * k] = g * s - b * c;
    gq[2 * k] = -(g * c + b * s);
    gp[2 * k + 1] = (g * c + b * s) / pt.vm[k]!;
    gq[2 * k + 1] = (g * s - b * c) / pt.vm[k]!;
  }
  return { gp, gq };
}

/**
 * Dot product of a full-length state vector with a sensitivity that is zero outside `buses` (ascending):
 * the same sum, in the same order, as over every entry, without the zero terms.
 */
export function dotOn(a: Float64Array, z: Float64Array, buses: Int32Array): number {
  let s = 0;
  for (let t = 0; t < buses.length; t++) {
    const j = 2 * buses[t]!;
    s += a[j]! * z[j]!;
    s += a[j + 1]! * z[j + 1]!;
  }
  return s;
}
