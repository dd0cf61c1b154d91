// The reduced Hessian of the AC-OPF Lagrangian over the controls: H_r = modify(Z' W Z), where
// W = sum_i (yP_i d2P_i + yQ_i d2Q_i) + sum_ends mu_e d2|S_e| over (theta, |V|) is assembled branch end by
// branch end (a 4x4 block over theta_i, theta_k, |V_i|, |V_k|) plus the bus shunts' diagonal terms, and
// `modify` replaces each eigenvalue by its absolute value. The products W Z_c are 16 multiply-adds per
// branch end and control, kept in small functions so that V8 optimises them.
import { type AcModel, branchEnd } from '@gridledger/grid';
import { absEigenModify } from './ac-eigen.ts';

/**
 * The 4x4 curvature block (row-major, 16 numbers) of every branch end (2l from end, 2l+1 to end).
 * yP, yQ: balance multipliers per bus ($/h per p.u.); mu: flow-limit multiplier per end (>= 0).
 */
export function branchCurvature(
  model: AcModel,
  vm: Float64Array,
  e: Float64Array,
  f: Float64Array,
  yP: Float64Array,
  yQ: Float64Array,
  mu: Float64Array,
): Float64Array {
  const nl = model.branchRows.length;
  const out = new Float64Array(32 * nl);
  const gr = new Float64Array(12);
  for (let l = 0; l < nl; l++) {
    for (let end = 0; end < 2; end++) {
      branchEnd(model, l, end, vm, e, f, gr);
      const i = end === 0 ? model.brFrom[l]! : model.brTo[l]!;
      const y = model.branchY[l]!;
      const a = end === 0 ? y.gff : y.gtt;
      const b = end === 0 ? y.bff : y.btt;
      endBlock(
        out,
        16 * (2 * l + end),
        gr,
        vm[i]!,
        vm[end === 0 ? model.brTo[l]! : model.brFrom[l]!]!,
        a,
        b,
        yP[i]!,
        yQ[i]!,
        mu[2 * l + end]!,
      );
    }
  }
  return out;
}

function endBlock(
  out: Float64Array,
  o: number,
  gr: Float64Array,
  vi: number,
  vk: number,
  a: number,
  b: number,
  wP: number,
  wQ: number,
  mu: number,
): void {
  const P = gr[0]!;
  const Q = gr[1]!;
  const A = gr[10]!;
  const B = gr[11]!;
  let alpha = wP;
  let beta = wQ;
  const S = Math.sqrt(P * P + Q * Q);
  const useS = mu > 0 && S > 0;
  if (useS) {
    alpha += (mu * P) / S;
    beta += (mu * Q) / S;
  }
  const vv = vi * vk;
  const ab = alpha * A + beta * B;
  const m02 = -alpha * vk * B + beta * vk * A;
  const m03 = -alpha * vi * B + beta * vi * A;
  const m22 = 2 * alpha * a - 2 * beta * b;
  // rows/cols: 0 theta_i, 1 theta_k, 2 |V_i|, 3 |V_k|
  out[o] = -vv * ab;
  out[o + 1] = vv * ab;
  out[o + 2] = m02;
  out[o + 3] = m03;
  out[o + 5] = -vv * ab;
  out[o + 6] = -m02;
  out[o + 7] = -m03;
  out[o + 10] = m22;
  out[o + 11] = ab;
  out[o + 15] = 0;
  if (useS) {
    const w = mu / S;
    for (let r = 0; r < 4; r++) {
      const pr = gr[2 + r]!;
      const qr = gr[6 + r]!;
      const sr = (P * pr + Q * qr) / S;
      for (let c = r; c < 4; c++) {
        const pc = gr[2 + c]!;
        const qc = gr[6 + c]!;
        const sc = (P * pc + Q * qc) / S;
        out[o + 4 * r + c] = out[o + 4 * r + c]! + w * (pr * pc + qr * qc - sr * sc);
      }
    }
  }
  for (let r = 1; r < 4; r++) for (let c = 0; c < r; c++) out[o + 4 * r + c] = out[o + 4 * c + r]!;
}

/**
 * out = W z for a full-length state vector z that is zero outside `buses` (ascending); `branches` lists,
 * ascending, the branches with an end in `buses`. Same sums in the same order as over every branch.
 */
function curvatureTimes(
  model: AcModel,
  blocks: Float64Array,
  shuntDiag: Float64Array,
  z: Float64Array,
  buses: Int32Array,
  branches: Int32Array,
  out: Float64Array,
): void {
  out.fill(0);
  const from = model.brFrom;
  const to = model.brTo;
  for (let t = 0; t < branches.length; t++) {
    const l = branches[t]!;
    applyEnd(blocks, 32 * l, from[l]!, to[l]!, z, out);
    applyEnd(blocks, 32 * l + 16, to[l]!, from[l]!, z, out);
  }
  for (let t = 0; t < buses.length; t++) {
    const i = buses[t]!;
    out[2 * i + 1] = out[2 * i + 1]! + shuntDiag[i]! * z[2 * i + 1]!;
  }
}

function applyEnd(
  w: Float64Array,
  o: number,
  i: number,
  k: number,
  z: Float64Array,
  out: Float64Array,
): void {
  const z0 = z[2 * i]!;
  const z1 = z[2 * k]!;
  const z2 = z[2 * i + 1]!;
  const z3 = z[2 * k + 1]!;
  out[2 * i] = out[2 * i]! + (w[o]! * z0 + w[o + 1]! * z1 + w[o + 2]! * z2 + w[o + 3]! * z3);
  out[2 * k] = out[2 * k]! + (w[o + 4]! * z0 + w[o + 5]! * z1 + w[o + 6]! * z2 + w[o + 7]! * z3);
  out[2 * i + 1] = out[2 * i + 1]! + (w[o + 8]! * z0 + w[o + 9]! * z1 + w[o + 10]! * z2 + w[o + 11]! * z3);
  out[2 * k + 1] = out[2 * k + 1]! + (w[o + 12]! * z0 + w[o + 13]! * z1 + w[o + 14]! * z2 + w[o + 15]! * z3);
}

/** z . w over the entries of `buses` (ascending), where z is zero elsewhere. */
function dotOnBuses(z: Float64Array, w: Float64Array, buses: Int32Array): number {
  let s = 0;
  for (let t = 0; t < buses.length; t++) {
    const j = 2 * buses[t]!;
    s += z[j]! * w[j]!;
    s += z[j + 1]! * w[j + 1]!;
  }
  return s;
}

/**
 * H_r = modify(Z' W Z) over the controls (row-major k x k), given the sensitivities Z_c (full-length
 * state vectors, the reference |V| entry 1 for the |V_r| control), each zero outside its `buses`, and the
 * branches touching those buses. The sparse sums equal the dense ones bit for bit (only zero terms are
 * left out); on a feeder, a DER's sensitivity covers its lateral only, so this is O(k^2 x lateral).
 */
export function reducedHessian(
  model: AcModel,
  blocks: Float64Array,
  shuntDiag: Float64Array,
  Z: Float64Array[],
  buses: Int32Array[],
  branches: Int32Array[],
): Float64Array {
  const k = Z.length;
  const H = new Float64Array(k * k);
  const wz = new Float64Array(2 * model.nBus);
  for (let c = 0; c < k; c++) {
    curvatureTimes(model, blocks, shuntDiag, Z[c]!, buses[c]!, branches[c]!, wz);
    for (let d = 0; d <= c; d++) {
      const v = dotOnBuses(Z[d]!, wz, buses[d]!);
      H[c * k + d] = v;
      H[d * k + c] = v;
    }
  }
  return absEigenModify(H, k);
}
