// Branch flows of the AC model at both ends (S = V conj(I), per unit) and their gradients over the end
// buses' (theta, |V|), with the two coefficients A and B the second derivatives are made of.
//
// For an end at bus i (other end k) with self admittance a + jb (Y_ff or Y_tt) and mutual admittance
// yR + j yI (Y_ft or Y_tf), A = yR cos(theta_ik) + yI sin(theta_ik), B = yR sin(theta_ik) - yI cos(theta_ik):
//   P = a |V_i|^2 + |V_i||V_k| A,   Q = -b |V_i|^2 + |V_i||V_k| B.
import type { AcModel } from './ac-admittance.ts';

/** Flows of every in-service branch (model order), per unit. */
export interface AcBranchFlows {
  pf: Float64Array;
  qf: Float64Array;
  pt: Float64Array;
  qt: Float64Array;
}

/**
 * Flows at both ends of every in-service branch from the rectangular voltage parts e, f.
 * @example
 * const fl = branchFlows(model, r.vm, r.e, r.f); fl.pf[0] * model.baseMVA; // MW
 */
export function branchFlows(
  model: AcModel,
  vm: Float64Array,
  e: Float64Array,
  f: Float64Array,
): AcBranchFlows {
  const nl = model.branchRows.length;
  const out = {
    pf: new Float64Array(nl),
    qf: new Float64Array(nl),
    pt: new Float64Array(nl),
    qt: new Float64Array(nl),
  };
  const g = new Float64Array(10);
  for (let l = 0; l < nl; l++) {
    branchEnd(model, l, 0, vm, e, f, g);
    out.pf[l] = g[0]!;
    out.qf[l] = g[1]!;
    branchEnd(model, l, 1, vm, e, f, g);
    out.pt[l] = g[0]!;
    out.qt[l] = g[1]!;
  }
  return out;
}

/**
 * One branch end (0 from, 1 to) into `out`: [P, Q, dP/dth_i, dP/dth_k, dP/dV_i, dP/dV_k, dQ/dth_i,
 * dQ/dth_k, dQ/dV_i, dQ/dV_k, ...] and A, B at out[10], out[11] when out has room (length >= 12).
 * Index i is this end's bus, k the other end's.
 */
export function branchEnd(
  model: AcModel,
  l: number,
  end: number,
  vm: Float64Array,
  e: Float64Array,
  f: Float64Array,
  out: Float64Array,
): void {
  const y = model.branchY[l]!;
  const i = end === 0 ? model.brFrom[l]! : model.brTo[l]!;
  const k = end === 0 ? model.brTo[l]! : model.brFrom[l]!;
  const a = end === 0 ? y.gff : y.gtt;
  const b = end === 0 ? y.bff : y.btt;
  const yr = end === 0 ? y.gft : y.gtf;
  const yim = end === 0 ? y.bft : y.btf;
  const vi = vm[i]!;
  const vk = vm[k]!;
  // |V_i||V_k| cos, sin of theta_ik
  const c = e[i]! * e[k]! + f[i]! * f[k]!;
  const s = f[i]! * e[k]! - e[i]! * f[k]!;
  const vAv = yr * c + yim * s; // |V_i||V_k| A
  const vBv = yr * s - yim * c; // |V_i||V_k| B
  out[0] = a * vi * vi + vAv;
  out[1] = -b * vi * vi + vBv;
  out[2] = -vBv;
  out[3] = vBv;
  out[4] = 2 * a * vi + vAv / vi;
  out[5] = vAv / vk;
  out[6] = vAv;
  out[7] = -vAv;
  out[8] = -2 * b * vi + vBv / vi;
  out[9] = vBv / vk;
  if (out.length >= 12) {
    const vv = vi * vk;
    out[10] = vAv / vv;
    out[11] = vBv / vv;
  }
}
