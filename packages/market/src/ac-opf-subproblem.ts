// One SQP iteration's subproblem of the AC-OPF (docs/ac-opf.md, steps 2 and 3): the monitored voltage and
// flow rows near their limits, the columns' bounds (limits minus current values, intersected with the trust
// box, "limits win" when they exclude zero), elastic slack columns on violated rows, the dense rows (slack P
// and Q balances with the loss factors, voltage, flow tangents, piecewise-linear epigraphs) and the
// Hessian (exact cost curvature plus the modified reduced Hessian of the Lagrangian over the controls).
import { type AcModel, type Bus, branchEnd } from '@gridledger/grid';
import { branchCurvature, reducedHessian } from './ac-hessian.ts';
import { type GenCostData, pwlValue, type Steps } from './ac-opf-inputs.ts';
import { type Controls, dotOn, type Point, type SensitivityPlan, type State } from './ac-opf-state.ts';
import type { DenseQp } from './ac-qp.ts';

/** One QP column: a generator's P or Q, |V_r|, an order step, a PWL epigraph or an elastic slack. */
export interface Column {
  kind: 'pg' | 'qg' | 'vr' | 'step' | 'pwl' | 'slack';
  /** Internal generator or step index (or PWL generator). */
  ref: number;
  /** Control index, or -1 (reference generators, epigraph and slack columns). */
  ctrl: number;
  /** +1 injection, -1 withdrawal (buy step). */
  sign: number;
}

/** One monitored flow row: branch l, end (0 from, 1 to), its |S| gradient over the full state. */
export interface FlowRow {
  l: number;
  end: number;
  s: number;
  grad: Float64Array;
}

/** What stays fixed over the iterations of one solve. */
export interface Layout {
  model: AcModel;
  costs: GenCostData;
  steps: Steps;
  ctrl: Controls;
  /** Sparsity of the controls' sensitivities. */
  plan: SensitivityPlan;
  /** Base columns (generators P, Q, |V_r|, steps, PWL epigraphs); slacks are added per iteration. */
  cols: Column[];
  /** Flow limit per internal branch, p.u. (0 unrated). */
  rate: Float64Array;
  refBus: Bus;
  /** Elastic slack cost, $/h per p.u. */
  penalty: number;
}

/** The rows to monitor at a power-flow point: voltages within 0.01 p.u. of a limit, flows >= 80% (50%). */
export function monitoredRows(lay: Layout, st: State, p0: Point): { vRows: number[]; fRows: FlowRow[] } {
  const { model, rate } = lay;
  const net = model.network;
  const n = model.nBus;
  const r = model.ref;
  const vRows: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === r) continue;
    const b = net.buses[model.busRows[i]!]!;
    if (p0.vm[i]! >= b.vmaxPu - 0.01 || p0.vm[i]! <= b.vminPu + 0.01 || st.everV[i]) vRows.push(i);
  }
  const fRows: FlowRow[] = [];
  const gr = new Float64Array(12);
  for (let l = 0; l < rate.length; l++) {
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
  return { vRows, fRows };
}

/** The QP of one iteration with its columns (slacks included) and which bounds are genuine limits. */
export interface Subproblem {
  qp: DenseQp;
  allCols: Column[];
  genuineLo: boolean[];
  genuineUp: boolean[];
}

/** Column bounds, costs and whether a limit excludes zero (the "limits win" case). */
function columnBounds(lay: Layout, st: State, p0: Point, radius: Float64Array) {
  const { model, costs, steps, cols, refBus } = lay;
  const net = model.network;
  const base = model.baseMVA;
  const r = model.ref;
  const gen = (k: number) => net.generators[model.genRows[k]!]!;
  const colLo: number[] = [];
  const colUp: number[] = [];
  const genuineLo: boolean[] = [];
  const genuineUp: boolean[] = [];
  const cost: number[] = [];
  let boxExcludesZero = false;
  const pwlVal = new Float64Array(model.genRows.length);
  for (let c = 0; c < cols.length; c++) {
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
  return { colLo, colUp, genuineLo, genuineUp, cost, boxExcludesZero, pwlVal };
}

/**
 * Builds the iteration's QP at the power-flow point p0: Z are the control sensitivities, gp and gq the
 * gradients of the reference bus's P and Q, radius the trust radius per base column.
 */
export function buildSubproblem(
  lay: Layout,
  st: State,
  p0: Point,
  Z: Float64Array[],
  gp: Float64Array,
  gq: Float64Array,
  vRows: number[],
  fRows: FlowRow[],
  radius: Float64Array,
): Subproblem {
  const { model, costs, steps, ctrl, cols, rate } = lay;
  const net = model.network;
  const base = model.baseMVA;
  const r = model.ref;
  const nG = model.genRows.length;
  const nS = steps.bus.length;
  const nBaseCols = cols.length;
  const bus = (i: number) => net.buses[model.busRows[i]!]!;
  const { colLo, colUp, genuineLo, genuineUp, cost, boxExcludesZero, pwlVal } = columnBounds(
    lay,
    st,
    p0,
    radius,
  );
  // Elastic slacks.
  const vSlack: number[] = []; // per vRow: first slack column or -1
  const fSlack: number[] = [];
  const allCols = cols.slice();
  const addSlack = (ref: number) => {
    allCols.push({ kind: 'slack', ref, ctrl: -1, sign: 1 });
    colLo.push(0);
    colUp.push(Number.POSITIVE_INFINITY);
    genuineLo.push(true);
    genuineUp.push(true);
    cost.push(lay.penalty);
  };
  for (const i of vRows) {
    const b = bus(i);
    if (boxExcludesZero || p0.vm[i]! > b.vmaxPu || p0.vm[i]! < b.vminPu) {
      vSlack.push(allCols.length);
      addSlack(i);
      addSlack(i);
    } else vSlack.push(-1);
  }
  for (const fr of fRows) {
    if (boxExcludesZero || fr.s > rate[fr.l]!) {
      fSlack.push(allCols.length);
      addSlack(fr.l);
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
    for (let c = 0; c < ctrl.count; c++) out[c] = dotOn(grad, Z[c]!, lay.plan.buses[c]!);
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
  const qp: DenseQp = {
    n: nc,
    m,
    c: Float64Array.from(cost),
    h: hessian(lay, st, p0, Z, nc),
    a: A,
    rowLower: rlo,
    rowUpper: rup,
    colLower: Float64Array.from(colLo),
    colUpper: Float64Array.from(colUp),
  };
  return { qp, allCols, genuineLo, genuineUp };
}

/** Cost curvature plus the modified reduced Hessian over the controls (nc x nc, row-major). */
function hessian(lay: Layout, st: State, p0: Point, Z: Float64Array[], nc: number): Float64Array {
  const { model, costs, ctrl, cols } = lay;
  const base = model.baseMVA;
  const n = model.nBus;
  const nBaseCols = cols.length;
  const blocks = branchCurvature(model, p0.vm, p0.e, p0.f, st.yP, st.yQ, st.mu);
  const shuntDiag = new Float64Array(n);
  for (let i = 0; i < n; i++) shuntDiag[i] = 2 * (st.yP[i]! * model.gsPu[i]! - st.yQ[i]! * model.bsPu[i]!);
  const Hr =
    ctrl.count > 0
      ? reducedHessian(model, blocks, shuntDiag, Z, lay.plan.buses, lay.plan.branches)
      : new Float64Array(0);
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
  return H;
}
