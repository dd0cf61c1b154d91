// AC optimal power flow and AC network clearing by the reduced-space successive QP of docs/ac-opf.md:
// at each power-flow point, the controls' (generator P and Q, order steps, a free reference voltage) state
// sensitivities from the block-LU Jacobian give linear rows (slack P and Q balance, the voltage and flow
// rows near their limits, with elastic slacks where violated); HiGHS's LP finds a feasible vertex and
// working set, the dense active-set QP (ac-qp.ts) finishes on the quadratic model with the reduced
// Hessian (ac-hessian.ts); the step is taken inside per-control trust radii and a new power flow
// follows. Prices come from the last QP's multipliers (ac-prices.ts). Every loop runs in a fixed order
// and the trigonometry is our own, so a solve is a pure function of its input, bit for bit.
import {
  type AcJacobianFactor,
  type AcModel,
  type AcSolver,
  assembleJacobian,
  branchEnd,
  branchFlows,
  buildAcModel,
  buildAcSolver,
  checkAcNetwork,
  factorJacobian,
  type Network,
  solveAcPowerFlow,
  solveJacobian,
} from '@gridledger/grid';
import type { Highs } from 'highs';
import { branchCurvature, reducedHessian } from './ac-hessian.ts';
import { acBusPrices, type PriceRows } from './ac-prices.ts';
import { type DenseQp, solveDenseQp } from './ac-qp.ts';
import { type LinearProgram, type LpSolution, loadSolver, solveLinearProgram } from './lp.ts';
import type { Order } from './types.ts';

/** Outcome of an AC solve. */
export type AcStatus = 'optimal' | 'infeasible' | 'not-converged' | 'invalid-network' | 'error';

/** Options of {@link solveAcOpf} and {@link clearNetworkAc}. */
export interface AcOpfOptions {
  /** Outer iterations at most (default 50). */
  maxIterations?: number;
  /** Largest control step at convergence, p.u. (default 1e-6). */
  stepTolerance?: number;
  /** Largest LMP change at convergence, $/MWh (default 1e-4). */
  priceTolerance?: number;
  /** Called after each iteration (diagnostics). */
  onIteration?: (info: {
    iteration: number;
    maxStep: number;
    priceMove: number;
    qpOk: boolean;
    qpIterations: number;
    monitored: number;
    cost: number;
  }) => void;
}

/** Prices, voltage and angle of one bus. */
export interface AcBusResult {
  id: number;
  /** $/MWh: lmpEnergy + lmpLoss + lmpCongestion + lmpVoltage. */
  lmp: number;
  lmpEnergy: number;
  lmpLoss: number;
  lmpCongestion: number;
  lmpVoltage: number;
  /** Reactive price, $/MVArh. */
  lmpQ: number;
  vm: number;
  vaDeg: number;
}

/** Flows of one branch at both ends, its loss, loading and flow-limit prices ($/MVAh, MATPOWER's mu_Sf/mu_St). */
export interface AcBranchResult {
  index: number;
  from: number;
  to: number;
  pFromMw: number;
  qFromMvar: number;
  pToMw: number;
  qToMvar: number;
  lossMw: number;
  /** max(|S_from|, |S_to|) / RATE_A in %, or null when unrated. */
  loadingPct: number | null;
  muFrom: number;
  muTo: number;
}

/** Output of one generator (status 0 rows have zeros). */
export interface AcGeneratorResult {
  index: number;
  bus: number;
  pgMw: number;
  qgMvar: number;
}

/** Result of {@link solveAcOpf}. */
export interface AcOpfResult {
  case: string;
  status: AcStatus;
  reason?: string;
  /** Generation cost plus offers' cost minus bids' value, $/h (constant cost terms included). */
  objective: number;
  lossesMw: number;
  baseMVA: number;
  iterations: number;
  buses: AcBusResult[];
  generators: AcGeneratorResult[];
  branches: AcBranchResult[];
  /** MW cleared per order step (flattened in order), when orders were given. */
  stepMw: number[];
  timingMs: { build: number; solve: number };
}

interface Column {
  kind: 'pg' | 'qg' | 'vr' | 'step' | 'pwl' | 'slack';
  /** Internal generator or step index (or PWL generator). */
  ref: number;
  /** Control index, or -1 (reference generators, epigraph and slack columns). */
  ctrl: number;
  /** +1 injection, -1 withdrawal (buy step). */
  sign: number;
}

interface Steps {
  bus: Int32Array;
  sign: Int8Array;
  price: Float64Array;
  /** MW */
  quantity: Float64Array;
}

function indexSteps(model: AcModel, orders: readonly Order[]): Steps | string {
  let n = 0;
  for (const o of orders) n += o.steps.length;
  const s: Steps = {
    bus: new Int32Array(n),
    sign: new Int8Array(n),
    price: new Float64Array(n),
    quantity: new Float64Array(n),
  };
  let k = 0;
  for (const o of orders) {
    const b = model.busIndex.get(o.bus);
    if (b === undefined)
      return `order "${o.id}": bus ${o.bus} is not an in-service bus of ${model.network.name}`;
    for (const st of o.steps) {
      s.bus[k] = b;
      s.sign[k] = o.side === 'sell' ? 1 : -1;
      s.price[k] = st.price;
      s.quantity[k] = st.quantity;
      k++;
    }
  }
  return s;
}

/** Cost curve pieces per in-service generator. */
interface GenCostData {
  c2: Float64Array;
  c1: Float64Array;
  c0: Float64Array;
  /** PWL segments (slope $/MWh, intercept $/h) per generator, or undefined for polynomial. */
  pwl: ({ slope: number; rhs: number }[] | undefined)[];
}

function genCosts(model: AcModel): GenCostData | string {
  const nG = model.genRows.length;
  const out: GenCostData = {
    c2: new Float64Array(nG),
    c1: new Float64Array(nG),
    c0: new Float64Array(nG),
    pwl: [],
  };
  for (let k = 0; k < nG; k++) {
    const g = model.network.generators[model.genRows[k]!]!;
    const cost = g.cost;
    if (!cost)
      return `${model.network.name}: generator ${g.index} has no cost (mpc.gencost is needed for an OPF)`;
    if (cost.model === 'polynomial') {
      const c = cost.coefficients;
      if (c.length > 3)
        return `${model.network.name}: generator ${g.index}: polynomial costs above degree 2 are not supported`;
      out.c2[k] = c.length === 3 ? c[0]! : 0;
      out.c1[k] = c.length >= 2 ? c[c.length - 2]! : 0;
      out.c0[k] = c.length >= 1 ? c[c.length - 1]! : 0;
      if (out.c2[k]! < 0) return `${model.network.name}: generator ${g.index}: concave quadratic cost`;
      out.pwl.push(undefined);
    } else {
      const pts = cost.points;
      const segs: { slope: number; rhs: number }[] = [];
      for (let s = 1; s < pts.length; s++) {
        const slope = (pts[s]!.cost - pts[s - 1]!.cost) / (pts[s]!.mw - pts[s - 1]!.mw);
        segs.push({ slope, rhs: pts[s - 1]!.cost - slope * pts[s - 1]!.mw });
      }
      if (segs.length === 0)
        return `${model.network.name}: generator ${g.index}: piecewise-linear cost needs 2 points`;
      out.pwl.push(segs);
    }
  }
  return out;
}

function pwlValue(segs: { slope: number; rhs: number }[], mw: number): { cost: number; slope: number } {
  let best = Number.NEGATIVE_INFINITY;
  let slope = 0;
  for (const s of segs) {
    const v = s.slope * mw + s.rhs;
    if (v > best) {
      best = v;
      slope = s.slope;
    }
  }
  return { cost: best, slope };
}

/** Cost in $/h of every generator at pg (p.u.), PWL by its epigraph. */
function generationCost(model: AcModel, costs: GenCostData, pg: Float64Array): number {
  let total = 0;
  for (let k = 0; k < pg.length; k++) {
    const mw = pg[k]! * model.baseMVA;
    const segs = costs.pwl[k];
    total += segs ? pwlValue(segs, mw).cost : costs.c2[k]! * mw * mw + costs.c1[k]! * mw + costs.c0[k]!;
  }
  return total;
}

/** The iteration's state: controls, voltages and what the previous QP learnt. */
interface State {
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
interface Point {
  vm: Float64Array;
  va: Float64Array;
  e: Float64Array;
  f: Float64Array;
  p: Float64Array;
  q: Float64Array;
}

/** Runs the power flow of the current controls (PV at generator buses and the reference). */
function powerFlow(solver: AcSolver, st: State, steps: Steps, genAtBus: Int32Array): Point | string {
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
function absorbSlack(model: AcModel, st: State, steps: Steps, pt: Point, genAtBus: Int32Array): void {
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

interface Controls {
  /** kind 0 P at bus, 1 Q at bus, 2 |V_r|. */
  kind: Int8Array;
  bus: Int32Array;
  count: number;
}

function buildControls(
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

/** Sensitivities Z_c of the state to each control (one forward solve each). */
function sensitivities(model: AcModel, fac: AcJacobianFactor, ctrl: Controls, pt: Point): Float64Array[] {
  const n = model.nBus;
  const r = model.ref;
  const Z: Float64Array[] = [];
  const rhs = new Float64Array(2 * n);
  for (let c = 0; c < ctrl.count; c++) {
    rhs.fill(0);
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
    const z = solveJacobian(fac, rhs);
    if (kind === 2) z[2 * r + 1] = 1;
    Z.push(z);
  }
  return Z;
}

/** Gradients of P_r and Q_r over the full state (the |V_r| entry included, theta_r unused). */
function slackGradients(model: AcModel, pt: Point): { gp: Float64Array; gq: Float64Array } {
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

function dotFull(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

/** One monitored flow row: branch l, end (0 from, 1 to), its |S| gradient over the full state. */
interface FlowRow {
  l: number;
  end: number;
  s: number;
  grad: Float64Array;
}

function iterate(
  solver: AcSolver,
  costs: GenCostData,
  steps: Steps,
  highs: Highs,
  options: AcOpfOptions,
): AcOpfResult {
  const model = solver.model;
  const net = model.network;
  const base = model.baseMVA;
  const n = model.nBus;
  const nG = model.genRows.length;
  const nS = steps.bus.length;
  const nl = model.branchRows.length;
  const r = model.ref;
  const maxIt = options.maxIterations ?? 50;
  const stepTol = options.stepTolerance ?? 1e-6;
  const priceTol = options.priceTolerance ?? 1e-4;
  const refBus = net.buses[model.busRows[r]!]!;
  const vrFree = refBus.vminPu < refBus.vmaxPu;
  const genAtBus = new Int32Array(n);
  for (let k = 0; k < nG; k++) genAtBus[model.genBus[k]!]!++;
  const gen = (k: number) => net.generators[model.genRows[k]!]!;
  const bus = (i: number) => net.buses[model.busRows[i]!]!;
  const rate = new Float64Array(nl);
  for (let l = 0; l < nl; l++) rate[l] = net.branches[model.branchRows[l]!]!.rateAMw / base;

  // Step 0: start.
  const st: State = {
    pg: new Float64Array(nG),
    qg: new Float64Array(nG),
    xs: new Float64Array(nS),
    vm: new Float64Array(n).fill(1),
    va: new Float64Array(n).fill((refBus.vaDeg * Math.PI) / 180),
    yP: new Float64Array(n),
    yQ: new Float64Array(n),
    mu: new Float64Array(2 * nl),
    everV: new Uint8Array(n),
    everMu: new Uint8Array(2 * nl),
  };
  const clip = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  for (let k = 0; k < nG; k++) {
    const g = gen(k);
    st.pg[k] = clip(g.pgMw, g.pminMw, g.pmaxMw) / base;
    st.qg[k] = clip(g.qgMvar, g.qminMvar, g.qmaxMvar) / base;
    const i = model.genBus[k]!;
    st.vm[i] = clip(bus(i).vmPu, bus(i).vminPu, bus(i).vmaxPu);
  }
  st.vm[r] = clip(refBus.vmPu, refBus.vminPu, refBus.vmaxPu);
  let refMarginal = 0;
  for (let k = 0; k < nG; k++) {
    if (model.genBus[k] !== r) continue;
    const mw = st.pg[k]! * base;
    const segs = costs.pwl[k];
    refMarginal = (segs ? pwlValue(segs, mw).slope : costs.c1[k]! + 2 * costs.c2[k]! * mw) * base;
    break;
  }
  st.yP.fill(refMarginal);
  let pt = powerFlow(solver, st, steps, genAtBus);
  const result = (
    status: AcStatus,
    reason: string | undefined,
    it: number,
    prices?: ReturnType<typeof acBusPrices>,
    rowsY?: { flow: FlowRow[]; y: Float64Array; flow0: number },
  ): AcOpfResult =>
    assemble(
      model,
      costs,
      steps,
      st,
      typeof pt === 'string' ? undefined : pt,
      status,
      reason,
      it,
      prices,
      rowsY,
    );
  if (typeof pt === 'string') return result('not-converged', `the starting power flow failed: ${pt}`, 0);
  absorbSlack(model, st, steps, pt, genAtBus);

  const { ctrl, pOf, qOf } = buildControls(model, steps, vrFree);
  // Columns: generator P, generator Q, |V_r|, steps, PWL epigraphs (slacks are added per iteration).
  const cols: Column[] = [];
  for (let k = 0; k < nG; k++) {
    const i = model.genBus[k]!;
    cols.push({ kind: 'pg', ref: k, ctrl: i === r ? -1 : pOf[i]!, sign: 1 });
  }
  for (let k = 0; k < nG; k++) {
    const i = model.genBus[k]!;
    cols.push({ kind: 'qg', ref: k, ctrl: i === r ? -1 : qOf[i]!, sign: 1 });
  }
  if (vrFree) cols.push({ kind: 'vr', ref: 0, ctrl: ctrl.count - 1, sign: 1 });
  for (let s = 0; s < nS; s++) {
    const i = steps.bus[s]!;
    cols.push({ kind: 'step', ref: s, ctrl: i === r ? -1 : pOf[i]!, sign: steps.sign[s]! });
  }
  for (let k = 0; k < nG; k++) if (costs.pwl[k]) cols.push({ kind: 'pwl', ref: k, ctrl: -1, sign: 1 });
  const nBaseCols = cols.length;
  // Trust radii per control column.
  const radius = new Float64Array(nBaseCols);
  const radius0 = new Float64Array(nBaseCols);
  const lastStep = new Float64Array(nBaseCols);
  for (let c = 0; c < nBaseCols; c++) {
    const col = cols[c]!;
    let tr = Number.POSITIVE_INFINITY;
    if (col.kind === 'pg' && col.ctrl >= 0)
      tr = Math.max(1e-4, (0.5 * (gen(col.ref).pmaxMw - gen(col.ref).pminMw)) / base);
    if (col.kind === 'qg' && col.ctrl >= 0)
      tr = Math.max(1e-4, (0.5 * (gen(col.ref).qmaxMvar - gen(col.ref).qminMvar)) / base);
    if (col.kind === 'vr') tr = 0.05;
    if (col.kind === 'step') tr = Math.max(1e-4, (0.5 * steps.quantity[col.ref]!) / base);
    if (!Number.isFinite(tr) && col.ctrl >= 0) tr = 1;
    radius[c] = tr;
    radius0[c] = tr;
  }
  let penalty = 0;
  for (let k = 0; k < nG; k++) {
    const segs = costs.pwl[k];
    const m = segs
      ? Math.max(...segs.map((s) => Math.abs(s.slope)))
      : Math.abs(costs.c1[k]!) + 2 * Math.abs(costs.c2[k]!) * Math.abs(gen(k).pmaxMw);
    penalty = Math.max(penalty, m);
  }
  for (let s = 0; s < nS; s++) penalty = Math.max(penalty, Math.abs(steps.price[s]!));
  const M = 1000 * Math.max(penalty, 1) * base;

  let prevLmp: Float64Array | undefined;
  let factor = solver.factor;
  for (let it = 1; it <= maxIt; it++) {
    // Step 2: linearise.
    const p0 = pt;
    assembleJacobian(model, factor, p0.vm, p0.e, p0.f, p0.p, p0.q);
    if (!factorJacobian(factor))
      return result('error', 'the AC Jacobian is singular at the current point', it);
    const Z = sensitivities(model, factor, ctrl, p0);
    const { gp, gq } = slackGradients(model, p0);
    // Monitored rows.
    const vRows: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i === r) continue;
      const b = bus(i);
      if (p0.vm[i]! >= b.vmaxPu - 0.01 || p0.vm[i]! <= b.vminPu + 0.01 || st.everV[i]) vRows.push(i);
    }
    const fRows: FlowRow[] = [];
    const gr = new Float64Array(12);
    for (let l = 0; l < nl; l++) {
      if (!(rate[l]! > 0)) continue;
      for (let end = 0; end < 2; end++) {
        branchEnd(model, l, end, p0.vm, p0.e, p0.f, gr);
        const s = Math.sqrt(gr[0]! * gr[0]! + gr[1]! * gr[1]!);
        if (s >= 0.8 * rate[l]! || (st.everMu[2 * l + end] && s >= 0.5 * rate[l]!)) {
          const i = end === 0 ? model.brFrom[l]! : model.brTo[l]!;
          const k = end === 0 ? model.brTo[l]! : model.brFrom[l]!;
          const grad = new Float64Array(2 * n);
          if (s > 0) {
            for (let v = 0; v < 4; v++) {
              const at = v === 0 ? 2 * i : v === 1 ? 2 * k : v === 2 ? 2 * i + 1 : 2 * k + 1;
              grad[at] = grad[at]! + (gr[0]! * gr[2 + v]! + gr[1]! * gr[6 + v]!) / s;
            }
          }
          grad[2 * r] = 0;
          fRows.push({ l, end, s, grad });
        }
      }
    }
    // Column bounds, costs.
    const colLo: number[] = [];
    const colUp: number[] = [];
    const genuineLo: boolean[] = [];
    const genuineUp: boolean[] = [];
    const cost: number[] = [];
    let boxExcludesZero = false;
    const pwlVal = new Float64Array(nG);
    for (let c = 0; c < nBaseCols; c++) {
      const col = cols[c]!;
      let lo: number;
      let up: number;
      let cst = 0;
      if (col.kind === 'pg') {
        lo = gen(col.ref).pminMw / base - st.pg[col.ref]!;
        up = gen(col.ref).pmaxMw / base - st.pg[col.ref]!;
        const mw = st.pg[col.ref]! * base;
        if (!costs.pwl[col.ref]) cst = (costs.c1[col.ref]! + 2 * costs.c2[col.ref]! * mw) * base;
      } else if (col.kind === 'qg') {
        lo = gen(col.ref).qminMvar / base - st.qg[col.ref]!;
        up = gen(col.ref).qmaxMvar / base - st.qg[col.ref]!;
      } else if (col.kind === 'vr') {
        lo = refBus.vminPu - p0.vm[r]!;
        up = refBus.vmaxPu - p0.vm[r]!;
      } else if (col.kind === 'step') {
        lo = -st.xs[col.ref]!;
        up = steps.quantity[col.ref]! / base - st.xs[col.ref]!;
        cst = col.sign * steps.price[col.ref]! * base;
      } else {
        lo = Number.NEGATIVE_INFINITY;
        up = Number.POSITIVE_INFINITY;
        cst = 1;
        pwlVal[col.ref] = pwlValue(costs.pwl[col.ref]!, st.pg[col.ref]! * base).cost;
      }
      let gLo = true;
      let gUp = true;
      if (up < 0 || lo > 0) boxExcludesZero = true;
      if (col.ctrl >= 0) {
        const tr = radius[c]!;
        if (up < -tr) lo = Math.max(lo, up - tr);
        else if (lo > tr) up = Math.min(up, lo + tr);
        else {
          if (-tr > lo) {
            lo = -tr;
            gLo = false;
          }
          if (tr < up) {
            up = tr;
            gUp = false;
          }
        }
      }
      colLo.push(lo);
      colUp.push(up);
      genuineLo.push(gLo);
      genuineUp.push(gUp);
      cost.push(cst);
    }
    // Elastic slacks.
    const vSlack: number[] = []; // per vRow: first slack column or -1
    const fSlack: number[] = [];
    const allCols = cols.slice();
    for (const i of vRows) {
      const b = bus(i);
      if (boxExcludesZero || p0.vm[i]! > b.vmaxPu || p0.vm[i]! < b.vminPu) {
        vSlack.push(allCols.length);
        for (let t = 0; t < 2; t++) {
          allCols.push({ kind: 'slack', ref: i, ctrl: -1, sign: 1 });
          colLo.push(0);
          colUp.push(Number.POSITIVE_INFINITY);
          genuineLo.push(true);
          genuineUp.push(true);
          cost.push(M);
        }
      } else vSlack.push(-1);
    }
    for (const fr of fRows) {
      if (boxExcludesZero || fr.s > rate[fr.l]!) {
        fSlack.push(allCols.length);
        allCols.push({ kind: 'slack', ref: fr.l, ctrl: -1, sign: 1 });
        colLo.push(0);
        colUp.push(Number.POSITIVE_INFINITY);
        genuineLo.push(true);
        genuineUp.push(true);
        cost.push(M);
      } else fSlack.push(-1);
    }
    const nc = allCols.length;
    // Rows (dense): slack P, slack Q, voltage, flow, PWL.
    const nPwlRows = costs.pwl.reduce((a, s) => a + (s ? s.length : 0), 0);
    const m = 2 + vRows.length + fRows.length + nPwlRows;
    const A = new Float64Array(m * nc);
    const rlo = new Float64Array(m);
    const rup = new Float64Array(m);
    // Coefficients of controls on each state-function row.
    const ctrlCoef = (grad: Float64Array, out: Float64Array) => {
      for (let c = 0; c < ctrl.count; c++) out[c] = dotFull(grad, Z[c]!);
    };
    const coef = new Float64Array(ctrl.count);
    const fillRow = (row: number) => {
      for (let c = 0; c < nBaseCols; c++) {
        const col = cols[c]!;
        if (col.ctrl >= 0) A[row * nc + c] = col.sign * coef[col.ctrl]!;
      }
    };
    // slack P
    let refInj = 0;
    for (let s = 0; s < nS; s++) if (steps.bus[s] === r) refInj += steps.sign[s]! * st.xs[s]!;
    let pgRef = 0;
    let qgRef = 0;
    for (let k = 0; k < nG; k++) {
      if (model.genBus[k] !== r) continue;
      pgRef += st.pg[k]!;
      qgRef += st.qg[k]!;
    }
    ctrlCoef(gp, coef);
    fillRow(0);
    for (let c = 0; c < nBaseCols; c++) {
      const col = cols[c]!;
      if (col.ctrl >= 0) continue;
      if (col.kind === 'pg') A[c] = -1;
      if (col.kind === 'step') A[c] = -col.sign;
    }
    rlo[0] = rup[0] = -(p0.p[r]! + model.pdPu[r]! - pgRef - refInj);
    ctrlCoef(gq, coef);
    fillRow(1);
    for (let c = 0; c < nBaseCols; c++) if (cols[c]!.kind === 'qg' && cols[c]!.ctrl < 0) A[nc + c] = -1;
    rlo[1] = rup[1] = -(p0.q[r]! + model.qdPu[r]! - qgRef);
    let row = 2;
    for (let v = 0; v < vRows.length; v++) {
      const i = vRows[v]!;
      for (let c = 0; c < ctrl.count; c++) coef[c] = Z[c]![2 * i + 1]!;
      fillRow(row);
      if (vSlack[v]! >= 0) {
        A[row * nc + vSlack[v]!] = 1;
        A[row * nc + vSlack[v]! + 1] = -1;
      }
      rlo[row] = bus(i).vminPu - p0.vm[i]!;
      rup[row] = bus(i).vmaxPu - p0.vm[i]!;
      row++;
    }
    for (let q = 0; q < fRows.length; q++) {
      const fr = fRows[q]!;
      ctrlCoef(fr.grad, coef);
      fillRow(row);
      if (fSlack[q]! >= 0) A[row * nc + fSlack[q]!] = -1;
      rlo[row] = Number.NEGATIVE_INFINITY;
      rup[row] = rate[fr.l]! - fr.s;
      row++;
    }
    for (let c = 0; c < nBaseCols; c++) {
      const col = cols[c]!;
      if (col.kind !== 'pwl') continue;
      const k = col.ref;
      for (const seg of costs.pwl[k]!) {
        // (y0 + dy) - slope * base * (pg0 + dpg) >= rhs
        A[row * nc + c] = 1;
        A[row * nc + k] = -seg.slope * base;
        rlo[row] = seg.rhs - pwlVal[k]! + seg.slope * base * st.pg[k]!;
        rup[row] = Number.POSITIVE_INFINITY;
        row++;
      }
    }
    // Hessian: cost curvature plus the modified reduced Hessian over the controls.
    const blocks = branchCurvature(model, p0.vm, p0.e, p0.f, st.yP, st.yQ, st.mu);
    const shuntDiag = new Float64Array(n);
    for (let i = 0; i < n; i++) shuntDiag[i] = 2 * (st.yP[i]! * model.gsPu[i]! - st.yQ[i]! * model.bsPu[i]!);
    const Hr = ctrl.count > 0 ? reducedHessian(model, blocks, shuntDiag, Z) : new Float64Array(0);
    const H = new Float64Array(nc * nc);
    for (let a = 0; a < nBaseCols; a++) {
      const ca = cols[a]!;
      if (ca.kind === 'pg' && !costs.pwl[ca.ref]) H[a * nc + a] = 2 * costs.c2[ca.ref]! * base * base;
      if (ca.ctrl < 0) continue;
      for (let b = 0; b < nBaseCols; b++) {
        const cb = cols[b]!;
        if (cb.ctrl < 0) continue;
        H[a * nc + b] = H[a * nc + b]! + ca.sign * cb.sign * Hr[ca.ctrl * ctrl.count + cb.ctrl]!;
      }
    }
    const qp: DenseQp = {
      n: nc,
      m,
      c: Float64Array.from(cost),
      h: H,
      a: A,
      rowLower: rlo,
      rowUpper: rup,
      colLower: Float64Array.from(colLo),
      colUpper: Float64Array.from(colUp),
    };
    // Without controls (a single-source feeder) the rows fix the reference generators and the slacks: that
    // point is the only feasible one, and the dense QP prices it without an LP.
    // Small problems whose current point is feasible (controls unchanged) start the dense QP there too:
    // a fresh HiGHS instance costs more than the few active-set steps (case33bw_congested).
    const square = ctrl.count === 0 || nc <= 24 ? squarePoint(qp, allCols, nBaseCols) : undefined;
    const lp = square ?? solveLinearProgram(highs, toLp(qp));
    if (lp.status !== 'optimal') {
      return result(
        'infeasible',
        `the linearised problem at iteration ${it} is ${lp.status}: ${lp.reason ?? ''}`.trim(),
        it,
      );
    }
    const rowActive = new Int8Array(m);
    const colActive = new Int8Array(nc);
    let cmax = 1;
    for (let j = 0; j < nc; j++) cmax = Math.max(cmax, Math.abs(qp.c[j]!));
    const dualTol = 1e-9 * cmax;
    for (let i = 0; i < m; i++) {
      if (rlo[i] === rup[i]) rowActive[i] = 2;
      else if (Math.abs(lp.rowDual[i]!) > dualTol) rowActive[i] = lp.rowDual[i]! > 0 ? -1 : 1;
    }
    for (let j = 0; j < nc; j++) {
      const zj = lp.colDual[j]!;
      if (zj > dualTol && genuineLo[j] && Math.abs(lp.x[j]! - colLo[j]!) <= 1e-9) colActive[j] = -1;
      else if (zj < -dualTol && genuineUp[j] && Math.abs(lp.x[j]! - colUp[j]!) <= 1e-9) colActive[j] = 1;
    }
    const qpr = solveDenseQp(qp, lp.x, rowActive, colActive);
    const d = qpr.ok ? qpr.x : lp.x;
    const y = qpr.ok ? qpr.y : lp.rowDual;
    // Step 4: prices.
    const pr: PriceRows = {
      slackP: new Float64Array(2 * n),
      voltage: new Float64Array(2 * n),
      flow: new Float64Array(2 * n),
      ySlackP: y[0]!,
      ySlackQ: y[1]!,
    };
    for (let j = 0; j < 2 * n; j++) {
      pr.slackP[j] = y[0]! * gp[j]!;
      pr.voltage[j] = y[1]! * gq[j]!;
    }
    for (let v = 0; v < vRows.length; v++) {
      const i = vRows[v]!;
      const yv = y[2 + v]!;
      pr.voltage[2 * i + 1] = pr.voltage[2 * i + 1]! + yv;
      if (yv !== 0) st.everV[i] = 1;
    }
    st.mu.fill(0);
    for (let q = 0; q < fRows.length; q++) {
      const fr = fRows[q]!;
      const yf = y[2 + vRows.length + q]!;
      if (yf === 0) continue;
      for (let j = 0; j < 2 * n; j++) pr.flow[j] = pr.flow[j]! + yf * fr.grad[j]!;
      st.mu[2 * fr.l + fr.end] = st.mu[2 * fr.l + fr.end]! + Math.max(0, -yf);
      st.everMu[2 * fr.l + fr.end] = 1;
    }
    for (let j = 0; j < 2; j++) {
      pr.slackP[2 * r + j] = 0;
      pr.voltage[2 * r + j] = 0;
      pr.flow[2 * r + j] = 0;
    }
    const prices = acBusPrices(model, factor, pr);
    st.yP = prices.yP;
    st.yQ = prices.yQ;
    // Step 5: update and stop.
    let maxStep = 0;
    const du = new Float64Array(ctrl.count);
    for (let c = 0; c < nBaseCols; c++) {
      const col = cols[c]!;
      const dc = d[c]!;
      if (col.kind === 'pg') st.pg[col.ref] = st.pg[col.ref]! + dc;
      else if (col.kind === 'qg') st.qg[col.ref] = st.qg[col.ref]! + dc;
      else if (col.kind === 'step') st.xs[col.ref] = st.xs[col.ref]! + dc;
      if (col.ctrl < 0) continue;
      du[col.ctrl] = du[col.ctrl]! + col.sign * dc;
      maxStep = Math.max(maxStep, Math.abs(dc));
      // Trust radius rule.
      const tr = radius[c]!;
      const reversed = lastStep[c]! !== 0 && dc !== 0 && Math.sign(lastStep[c]!) !== Math.sign(dc);
      if (Math.abs(dc) >= tr * (1 - 1e-9)) {
        if (reversed) radius[c] = Math.max(tr / 2, 1e-9);
        else radius[c] = Math.min(2 * tr, radius0[c]!);
      } else if (
        reversed &&
        Math.abs(dc) > stepTol &&
        Math.abs(dc) > 0.5 * Math.abs(lastStep[c]!) &&
        Math.abs(dc) < 0.01 * radius0[c]!
      ) {
        // A reversal far inside the radius by at least half the previous step (a 2-cycle in a nearly
        // flat direction, seen on case118's Q at bus 116): clamp the radius to this step, so that a further reversal reaches
        // it and halves it.
        radius[c] = Math.max(Math.abs(dc), 1e-9);
      }
      if (dc !== 0) lastStep[c] = dc;
    }
    // Predict the state and run the power flow.
    const vm = Float64Array.from(p0.vm);
    const va = Float64Array.from(p0.va);
    for (let c = 0; c < ctrl.count; c++) {
      const z = Z[c]!;
      const u = du[c]!;
      if (u === 0) continue;
      for (let i = 0; i < n; i++) {
        if (i === r) continue;
        va[i] = va[i]! + z[2 * i]! * u;
        vm[i] = vm[i]! + z[2 * i + 1]! * u;
      }
      if (ctrl.kind[c] === 2) vm[r] = vm[r]! + u;
    }
    st.vm = vm;
    st.va = va;
    const next = powerFlow(solver, st, steps, genAtBus);
    if (typeof next === 'string')
      return result('not-converged', `the power flow failed at iteration ${it}: ${next}`, it);
    pt = next;
    absorbSlack(model, st, steps, pt, genAtBus);
    let priceMove = Number.POSITIVE_INFINITY;
    if (prevLmp) {
      priceMove = 0;
      for (let i = 0; i < n; i++) priceMove = Math.max(priceMove, Math.abs(prices.lmp[i]! - prevLmp[i]!));
    }
    prevLmp = prices.lmp;
    options.onIteration?.({
      iteration: it,
      maxStep,
      priceMove,
      qpOk: qpr.ok,
      qpIterations: qpr.iterations,
      monitored: vRows.length + fRows.length,
      cost: generationCost(model, costs, st.pg),
    });
    if (maxStep < stepTol && priceMove < priceTol) {
      let worstSlack = 0;
      for (let j = nBaseCols; j < nc; j++) worstSlack = Math.max(worstSlack, d[j]!);
      if (worstSlack > 1e-8) {
        return result(
          'infeasible',
          `the voltage and flow limits cannot all be met (elastic slack ${worstSlack.toExponential(2)} p.u.); prices not published`,
          it,
        );
      }
      return result('optimal', undefined, it, prices, { flow: fRows, y, flow0: 2 + vRows.length });
    }
    factor = solver.factor;
  }
  return result('not-converged', `no convergence in ${maxIt} iterations`, maxIt);
}

/**
 * A feasible point without an LP, when it is easy: controls unchanged, the reference generators taking
 * the slack P and Q rows (shared equally), each elastic slack at its row's violation, and every bound and
 * row met to 1e-12. Without controls it is the only feasible point. Undefined otherwise (the LP then
 * finds a vertex or reports infeasibility).
 */
function squarePoint(qp: DenseQp, cols: Column[], nBaseCols: number): LpSolution | undefined {
  const x = new Float64Array(qp.n);
  let nP = 0;
  let nQ = 0;
  for (let c = 0; c < nBaseCols; c++) {
    const col = cols[c]!;
    if (col.ctrl >= 0 || col.kind === 'pwl') continue;
    if (col.kind === 'pg') nP++;
    else if (col.kind === 'qg') nQ++;
    else return undefined;
  }
  if (nP === 0 || nQ === 0) return undefined;
  for (let c = 0; c < nBaseCols; c++) {
    const col = cols[c]!;
    if (col.ctrl >= 0 || col.kind === 'pwl') continue;
    x[c] = col.kind === 'pg' ? -qp.rowLower[0]! / nP : -qp.rowLower[1]! / nQ;
  }
  for (let i = 2; i < qp.m; i++) {
    let ax = 0;
    for (let j = 0; j < nBaseCols; j++) ax += qp.a[i * qp.n + j]! * x[j]!;
    for (let j = nBaseCols; j < qp.n; j++) {
      const a = qp.a[i * qp.n + j]!;
      if (a === 0 || x[j] !== 0) continue;
      // a slack column of this row: take up the violation on its side
      const need = a > 0 ? qp.rowLower[i]! - ax : qp.rowUpper[i]! - ax;
      if ((a > 0 && need > 0) || (a < 0 && need < 0)) {
        x[j] = need / a;
        ax += need;
      }
    }
  }
  const rowValue = new Float64Array(qp.m);
  for (let i = 0; i < qp.m; i++) {
    let ax = 0;
    for (let j = 0; j < qp.n; j++) ax += qp.a[i * qp.n + j]! * x[j]!;
    rowValue[i] = ax;
    if (ax < qp.rowLower[i]! - 1e-12 || ax > qp.rowUpper[i]! + 1e-12) return undefined;
  }
  for (let j = 0; j < qp.n; j++) if (x[j]! < qp.colLower[j]! || x[j]! > qp.colUpper[j]!) return undefined;
  return {
    status: 'optimal',
    objective: 0,
    x,
    rowValue,
    rowDual: new Float64Array(qp.m),
    colDual: new Float64Array(qp.n),
  };
}

/** The LP part of a dense QP in the solver's CSR form. */
function toLp(qp: DenseQp): LinearProgram {
  const start = new Int32Array(qp.m + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < qp.m; i++) {
    for (let j = 0; j < qp.n; j++) {
      const v = qp.a[i * qp.n + j]!;
      if (v !== 0) {
        idx.push(j);
        val.push(v);
      }
    }
    start[i + 1] = idx.length;
  }
  return {
    numCols: qp.n,
    numRows: qp.m,
    colCost: qp.c,
    colQuadratic: new Float64Array(qp.n),
    colLower: qp.colLower,
    colUpper: qp.colUpper,
    rowLower: qp.rowLower,
    rowUpper: qp.rowUpper,
    rowStart: start,
    index: Int32Array.from(idx),
    value: Float64Array.from(val),
    offset: 0,
  };
}

/** Builds the result in network order (out-of-service rows zero, unpriced buses NaN). */
function assemble(
  model: AcModel,
  costs: GenCostData,
  steps: Steps,
  st: State,
  pt: Point | undefined,
  status: AcStatus,
  reason: string | undefined,
  iterations: number,
  prices: ReturnType<typeof acBusPrices> | undefined,
  rowsY: { flow: FlowRow[]; y: Float64Array; flow0: number } | undefined,
): AcOpfResult {
  const net = model.network;
  const base = model.baseMVA;
  const ok = status === 'optimal' && prices !== undefined && pt !== undefined;
  const buses: AcBusResult[] = net.buses.map((b) => ({
    id: b.id,
    lmp: Number.NaN,
    lmpEnergy: Number.NaN,
    lmpLoss: Number.NaN,
    lmpCongestion: Number.NaN,
    lmpVoltage: Number.NaN,
    lmpQ: Number.NaN,
    vm: Number.NaN,
    vaDeg: Number.NaN,
  }));
  const generators: AcGeneratorResult[] = net.generators.map((g) => ({
    index: g.index,
    bus: g.bus,
    pgMw: 0,
    qgMvar: 0,
  }));
  const branches: AcBranchResult[] = net.branches.map((b) => ({
    index: b.index,
    from: b.from,
    to: b.to,
    pFromMw: 0,
    qFromMvar: 0,
    pToMw: 0,
    qToMvar: 0,
    lossMw: 0,
    loadingPct: b.rateAMw > 0 ? 0 : null,
    muFrom: 0,
    muTo: 0,
  }));
  let objective = Number.NaN;
  let lossesMw = Number.NaN;
  const stepMw: number[] = [];
  if (ok) {
    for (let i = 0; i < model.nBus; i++) {
      const b = buses[model.busRows[i]!]!;
      b.lmp = prices.lmp[i]!;
      b.lmpEnergy = prices.energy[i]!;
      b.lmpLoss = prices.loss[i]!;
      b.lmpCongestion = prices.congestion[i]!;
      b.lmpVoltage = prices.voltage[i]!;
      b.lmpQ = prices.lmpQ[i]!;
      b.vm = pt.vm[i]!;
      b.vaDeg = (pt.va[i]! * 180) / Math.PI;
    }
    for (let k = 0; k < model.genRows.length; k++) {
      const g = generators[model.genRows[k]!]!;
      g.pgMw = st.pg[k]! * base;
      g.qgMvar = st.qg[k]! * base;
    }
    const fl = branchFlows(model, pt.vm, pt.e, pt.f);
    for (let l = 0; l < model.branchRows.length; l++) {
      const br = branches[model.branchRows[l]!]!;
      br.pFromMw = fl.pf[l]! * base;
      br.qFromMvar = fl.qf[l]! * base;
      br.pToMw = fl.pt[l]! * base;
      br.qToMvar = fl.qt[l]! * base;
      br.lossMw = br.pFromMw + br.pToMw;
      const rateMw = net.branches[model.branchRows[l]!]!.rateAMw;
      if (rateMw > 0) {
        const sf = Math.sqrt(br.pFromMw * br.pFromMw + br.qFromMvar * br.qFromMvar);
        const stt = Math.sqrt(br.pToMw * br.pToMw + br.qToMvar * br.qToMvar);
        br.loadingPct = (100 * Math.max(sf, stt)) / rateMw;
      }
    }
    if (rowsY) {
      rowsY.flow.forEach((fr, q) => {
        const mu = Math.max(0, -rowsY.y[rowsY.flow0 + q]!) / base;
        const br = branches[model.branchRows[fr.l]!]!;
        if (fr.end === 0) br.muFrom += mu;
        else br.muTo += mu;
      });
    }
    objective = generationCost(model, costs, st.pg);
    for (let s = 0; s < steps.bus.length; s++) {
      const mw = st.xs[s]! * base;
      stepMw.push(mw);
      objective += steps.sign[s]! * steps.price[s]! * mw;
    }
    let inj = 0;
    for (let i = 0; i < model.nBus; i++) inj += pt.p[i]!;
    lossesMw = inj * base;
  }
  return {
    case: net.name,
    status,
    ...(reason ? { reason } : {}),
    objective,
    lossesMw,
    baseMVA: base,
    iterations,
    buses,
    generators,
    branches,
    stepMw,
    timingMs: { build: 0, solve: 0 },
  };
}
