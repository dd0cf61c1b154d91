// The AC-OPF's inputs in internal form: order steps indexed by internal bus (sign +1 sell, -1 buy; MW and
// $/MWh as given) and the generators' cost curves (polynomial of degree <= 2 as c2, c1, c0; piecewise-linear
// as segments of an epigraph), with the cost of a dispatch in $/h. Bad input is a reason string, which the
// caller turns into an `invalid-network` status.
import type { AcModel } from '@gridledger/grid';
import type { Order } from './types.ts';

/** Order steps in internal form (one entry per step, orders flattened in order). */
export interface Steps {
  bus: Int32Array;
  sign: Int8Array;
  price: Float64Array;
  /** MW */
  quantity: Float64Array;
}

/** Flattens the orders' steps onto internal buses, or says which order names an unknown bus. */
export function indexSteps(model: AcModel, orders: readonly Order[]): Steps | string {
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
export interface GenCostData {
  c2: Float64Array;
  c1: Float64Array;
  c0: Float64Array;
  /** PWL segments (slope $/MWh, intercept $/h) per generator, or undefined for polynomial. */
  pwl: ({ slope: number; rhs: number }[] | undefined)[];
}

/** The cost curves of the in-service generators, or why they cannot be used. */
export function genCosts(model: AcModel): GenCostData | string {
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

/** Value ($/h) and slope ($/MWh) of a piecewise-linear cost at mw (its highest segment there). */
export function pwlValue(
  segs: { slope: number; rhs: number }[],
  mw: number,
): { cost: number; slope: number } {
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
export function generationCost(model: AcModel, costs: GenCostData, pg: Float64Array): number {
  let total = 0;
  for (let k = 0; k < pg.length; k++) {
    const mw = pg[k]! * model.baseMVA;
    const segs = costs.pwl[k];
    total += segs ? pwlValue(segs, mw).cost : costs.c2[k]! * mw * mw + costs.c1[k]! * mw + costs.c0[k]!;
  }
  return total;
}
