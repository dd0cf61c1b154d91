// The AC-OPF's outer loop (docs/ac-opf.md): start (step 0), then per iteration linearise at the power-flow
// point (factorise J, sensitivities, monitored rows), build and solve the QP (HiGHS LP for a feasible vertex
// and working set, the dense active-set QP to finish), price from the QP's multipliers (one transposed
// solve), take the step inside the per-control trust radii, predict the state and run the next power
// flow; stop when the step and the price move are below tolerance. Every loop runs in a fixed order, so
// an iteration is a pure function of its input, bit for bit.
import { type AcSolver, assembleJacobian, factorJacobian } from '@gridledger/grid';
import type { Highs } from 'highs';
import { type GenCostData, generationCost, pwlValue, type Steps } from './ac-opf-inputs.ts';
import { initialWorkingSet, squarePoint, toLp } from './ac-opf-lp.ts';
import { assemble } from './ac-opf-result.ts';
import {
  absorbSlack,
  buildControls,
  planSensitivities,
  powerFlow,
  type State,
  sensitivities,
  slackGradients,
} from './ac-opf-state.ts';
import {
  buildSubproblem,
  type Column,
  type FlowRow,
  type Layout,
  monitoredRows,
} from './ac-opf-subproblem.ts';
import type { AcOpfOptions, AcOpfResult, AcStatus } from './ac-opf-types.ts';
import { type AcBusPrices, acBusPrices, type PriceRows } from './ac-prices.ts';
import { type DenseQp, solveDenseQp } from './ac-qp.ts';
import { solveLinearProgram } from './lp.ts';

/** Stalled iterations in a row, at the iteration limit, that count as converged. */
const STALL_ITERATIONS = 10;

/** Runs the SQP on a built solver (model, pattern, factors) and returns the assembled result. */
export function iterate(
  solver: AcSolver,
  costs: GenCostData,
  steps: Steps,
  highs: Highs,
  options: AcOpfOptions,
): AcOpfResult {
  const model = solver.model;
  const n = model.nBus;
  const r = model.ref;
  const maxIt = options.maxIterations ?? 50;
  const stepTol = options.stepTolerance ?? 1e-6;
  const priceTol = options.priceTolerance ?? 1e-4;
  const genAtBus = new Int32Array(n);
  for (let k = 0; k < model.genRows.length; k++) genAtBus[model.genBus[k]!]!++;

  // Step 0: start.
  const st = startState(model, costs, steps.bus.length);
  let pt = powerFlow(solver, st, steps, genAtBus);
  const result = (
    status: AcStatus,
    reason: string | undefined,
    it: number,
    prices?: AcBusPrices,
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

  const lay = layout(solver, costs, steps);
  const { cols, ctrl } = lay;
  const nBaseCols = cols.length;
  const trust = trustRadii(lay);

  let prevLmp: Float64Array | undefined;
  let factor = solver.factor;
  // Iterations in a row whose prices held still (priceTol) with steps below STALL_STEP (see the stop rule).
  let stalled = 0;
  for (let it = 1; it <= maxIt; it++) {
    // Step 2: linearise.
    const p0 = pt;
    assembleJacobian(model, factor, p0.vm, p0.e, p0.f, p0.p, p0.q);
    if (!factorJacobian(factor))
      return result('error', 'the AC Jacobian is singular at the current point', it);
    const Z = sensitivities(model, factor, ctrl, p0, lay.plan);
    const { gp, gq } = slackGradients(model, p0);
    const { vRows, fRows } = monitoredRows(lay, st, p0);
    // Step 3: the QP.
    const { qp, allCols, genuineLo, genuineUp } = buildSubproblem(
      lay,
      st,
      p0,
      Z,
      gp,
      gq,
      vRows,
      fRows,
      trust.radius,
    );
    // Without controls (a single-source feeder) the rows fix the reference generators and the slacks: that
    // point is the only feasible one, and the dense QP prices it without an LP.
    // Small problems whose current point is feasible (controls unchanged) start the dense QP there too:
    // a fresh HiGHS instance costs more than the few active-set steps (case33bw_congested).
    const square = ctrl.count === 0 || qp.n <= 24 ? squarePoint(qp, allCols, nBaseCols) : undefined;
    const lp = square ?? solveLinearProgram(highs, toLp(qp));
    if (lp.status !== 'optimal') {
      return result(
        'infeasible',
        `the linearised problem at iteration ${it} is ${lp.status}: ${lp.reason ?? ''}`.trim(),
        it,
      );
    }
    const { rowActive, colActive } = initialWorkingSet(qp, lp, genuineLo, genuineUp);
    const qpr = solveDenseQp(qp, lp.x, rowActive, colActive);
    const d = qpr.ok ? qpr.x : lp.x;
    const y = qpr.ok ? qpr.y : lp.rowDual;
    const zCol = qpr.ok ? qpr.z : lp.colDual;
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
    const { du, maxStep } = takeStep(lay, st, d, trust, stepTol);
    // Predict the state and run the power flow.
    const vm = Float64Array.from(p0.vm);
    const va = Float64Array.from(p0.va);
    for (let c = 0; c < ctrl.count; c++) {
      const z = Z[c]!;
      const u = du[c]!;
      if (u === 0) continue;
      const sup = lay.plan.buses[c]!;
      for (let t = 0; t < sup.length; t++) {
        const i = sup[t]!;
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
    let pStep = 0;
    for (let c = 0; c < ctrl.count; c++) if (ctrl.kind[c] === 0) pStep = Math.max(pStep, Math.abs(du[c]!));
    stalled = priceMove < priceTol && pStep < stepTol ? stalled + 1 : 0;
    // Converged: the step and the prices stopped moving. Or, at the iteration limit only, a flat
    // direction: for STALL_ITERATIONS iterations the prices held and no real power moved, while the
    // trust region bounced a control that costs nothing (reactive power, the substation's voltage) along
    // it: e.g. when nothing trades across a line, or a trade sits at the reference bus. The point is a
    // converged power flow within the limits, priced; the certificate checks its KKT residuals.
    if ((maxStep < stepTol && priceMove < priceTol) || (it === maxIt && stalled >= STALL_ITERATIONS)) {
      let worstSlack = 0;
      for (let j = nBaseCols; j < qp.n; j++) worstSlack = Math.max(worstSlack, d[j]!);
      if (worstSlack > 1e-8) {
        return result(
          'infeasible',
          `the voltage and flow limits cannot all be met (elastic slack ${worstSlack.toExponential(2)} p.u.); prices not published`,
          it,
        );
      }
      const out = result('optimal', undefined, it, prices, { flow: fRows, y, flow0: 2 + vRows.length });
      out.residuals = kktResiduals(qp, d, y, zCol);
      return out;
    }
    factor = solver.factor;
  }
  return result('not-converged', `no convergence in ${maxIt} iterations`, maxIt);
}

/**
 * KKT residuals of the final QP at its solution d with row multipliers y and bound multipliers z:
 * stationarity max_j |c_j + (H d)_j - (A' y)_j - z_j| ($/h per p.u.) and the largest row or bound
 * violation (p.u.).
 */
function kktResiduals(
  qp: DenseQp,
  d: Float64Array,
  y: Float64Array,
  z: Float64Array,
): { qpStationarity: number; qpPrimal: number } {
  const { n, m } = qp;
  let stat = 0;
  for (let j = 0; j < n; j++) {
    let g = qp.c[j]! - z[j]!;
    for (let k = 0; k < n; k++) g += qp.h[j * n + k]! * d[k]!;
    for (let i = 0; i < m; i++) g -= qp.a[i * n + j]! * y[i]!;
    stat = Math.max(stat, Math.abs(g));
  }
  let primal = 0;
  for (let i = 0; i < m; i++) {
    let ax = 0;
    for (let j = 0; j < n; j++) ax += qp.a[i * n + j]! * d[j]!;
    primal = Math.max(primal, qp.rowLower[i]! - ax, ax - qp.rowUpper[i]!);
  }
  for (let j = 0; j < n; j++) primal = Math.max(primal, qp.colLower[j]! - d[j]!, d[j]! - qp.colUpper[j]!);
  return { qpStationarity: stat, qpPrimal: primal };
}

/** Step 0: generator outputs clipped to their limits, generator-bus |V| clipped, flat elsewhere. */
function startState(model: AcSolver['model'], costs: GenCostData, nS: number): State {
  const net = model.network;
  const base = model.baseMVA;
  const n = model.nBus;
  const nG = model.genRows.length;
  const nl = model.branchRows.length;
  const r = model.ref;
  const refBus = net.buses[model.busRows[r]!]!;
  const bus = (i: number) => net.buses[model.busRows[i]!]!;
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
    const g = net.generators[model.genRows[k]!]!;
    st.pg[k] = clip(g.pgMw, g.pminMw, g.pmaxMw) / base;
    st.qg[k] = clip(g.qgMvar, g.qminMvar, g.qmaxMvar) / base;
    const i = model.genBus[k]!;
    st.vm[i] = clip(bus(i).vmPu, bus(i).vminPu, bus(i).vmaxPu);
  }
  st.vm[r] = clip(refBus.vmPu, refBus.vminPu, refBus.vmaxPu);
  // The first Hessian's balance multipliers: the reference generator's marginal cost at every bus.
  let refMarginal = 0;
  for (let k = 0; k < nG; k++) {
    if (model.genBus[k] !== r) continue;
    const mw = st.pg[k]! * base;
    const segs = costs.pwl[k];
    refMarginal = (segs ? pwlValue(segs, mw).slope : costs.c1[k]! + 2 * costs.c2[k]! * mw) * base;
    break;
  }
  st.yP.fill(refMarginal);
  return st;
}

/** The controls and base columns (generator P, generator Q, |V_r|, steps, PWL epigraphs), and the penalty. */
function layout(solver: AcSolver, costs: GenCostData, steps: Steps): Layout {
  const model = solver.model;
  const net = model.network;
  const base = model.baseMVA;
  const nG = model.genRows.length;
  const nS = steps.bus.length;
  const nl = model.branchRows.length;
  const r = model.ref;
  const refBus = net.buses[model.busRows[r]!]!;
  const vrFree = refBus.vminPu < refBus.vmaxPu;
  const rate = new Float64Array(nl);
  for (let l = 0; l < nl; l++) rate[l] = net.branches[model.branchRows[l]!]!.rateAMw / base;
  const { ctrl, pOf, qOf } = buildControls(model, steps, vrFree);
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
  let penalty = 0;
  for (let k = 0; k < nG; k++) {
    const segs = costs.pwl[k];
    const m = segs
      ? Math.max(...segs.map((s) => Math.abs(s.slope)))
      : Math.abs(costs.c1[k]!) +
        2 * Math.abs(costs.c2[k]!) * Math.abs(net.generators[model.genRows[k]!]!.pmaxMw);
    penalty = Math.max(penalty, m);
  }
  for (let s = 0; s < nS; s++) penalty = Math.max(penalty, Math.abs(steps.price[s]!));
  return {
    model,
    costs,
    steps,
    ctrl,
    plan: planSensitivities(solver, ctrl),
    cols,
    rate,
    refBus,
    penalty: 1000 * Math.max(penalty, 1) * base,
  };
}

/** Trust radius per base column (infinite for non-controls), its starting value and the last step. */
interface Trust {
  radius: Float64Array;
  radius0: Float64Array;
  lastStep: Float64Array;
}

/** Starting radii: half the P or Q range (at least 1e-4 p.u.), 0.05 p.u. for |V_r|, half a step's size. */
function trustRadii(lay: Layout): Trust {
  const { model, cols, steps } = lay;
  const base = model.baseMVA;
  const gen = (k: number) => model.network.generators[model.genRows[k]!]!;
  const nBaseCols = cols.length;
  const radius = new Float64Array(nBaseCols);
  const radius0 = new Float64Array(nBaseCols);
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
  return { radius, radius0, lastStep: new Float64Array(nBaseCols) };
}

/**
 * Applies the QP step d to the controls, returns the step per control and the largest control step, and
 * updates the trust radii: halve on a reversal at the radius, double (up to the start) at the radius in
 * the same direction.
 */
function takeStep(
  lay: Layout,
  st: State,
  d: Float64Array,
  trust: Trust,
  stepTol: number,
): { du: Float64Array; maxStep: number } {
  const { cols, ctrl } = lay;
  const { radius, radius0, lastStep } = trust;
  let maxStep = 0;
  const du = new Float64Array(ctrl.count);
  for (let c = 0; c < cols.length; c++) {
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
      // flat direction, seen on case118's Q at bus 116): clamp the radius to this step, so that a further
      // reversal reaches it and halves it.
      radius[c] = Math.max(Math.abs(dc), 1e-9);
    }
    if (dc !== 0) lastStep[c] = dc;
  }
  return { du, maxStep };
}
