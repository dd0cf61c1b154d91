// The AC power-flow Jacobian and its factorisation: bus injections P + jQ from polar voltages, the
// Jacobian of the P and Q balances of every bus but the reference over (theta, |V|) as one 2x2 block per
// Ybus nonzero, and a block LU without pivoting in minimum-degree order (the 2x2 pivots' determinants are
// checked), with forward and transposed solves. The symbolic part (order, fill) is built once per model;
// a radial feeder has no fill. Loops run in a fixed order, so results are the same bits on every engine.
import type { AcModel } from './ac-admittance.ts';
import { buildSymmetricCsr, minimumDegreeOrder } from './sparse.ts';
import { cosDet, sinDet } from './trig.ts';

/** Symbolic block LU of the Jacobian: elimination order, fill pattern, where each Ybus entry goes. */
export interface AcJacobianPattern {
  /** Number of block rows (buses other than the reference). */
  nBlocks: number;
  /** Elimination position k -> internal bus. */
  order: Int32Array;
  /** Internal bus -> elimination position (-1 for the reference). */
  position: Int32Array;
  /** Strictly-after-k pattern of block column k of L (= block row k of U), positions sorted. */
  sp: Int32Array;
  si: Int32Array;
  /** For each Ybus entry: 0 none (reference row or column), 1 diagonal, 2 U block, 3 L block. */
  yKind: Uint8Array;
  /** Block index for kinds 2 and 3 (into si), or the position k for the diagonal. */
  yAt: Int32Array;
}

/** Numeric block LU factors (values for one Jacobian; 4 numbers per 2x2 block, row-major). */
export interface AcJacobianFactor {
  pattern: AcJacobianPattern;
  d: Float64Array;
  dinv: Float64Array;
  l: Float64Array;
  u: Float64Array;
  /** False when a pivot block was singular; the factors are then unusable. */
  ok: boolean;
  /** The bus whose pivot failed, when not ok. */
  failedBus: number;
}

/**
 * Minimum-degree order and fill of the bus graph without the reference bus.
 * @example
 * const pattern = buildJacobianPattern(buildAcModel(net));
 */
export function buildJacobianPattern(model: AcModel): AcJacobianPattern {
  const n = model.nBus;
  const r = model.ref;
  const red = new Int32Array(n).fill(-1);
  let nb = 0;
  for (let i = 0; i < n; i++) if (i !== r) red[i] = nb++;
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === r) continue;
    rows.push(red[i]!);
    cols.push(red[i]!);
    vals.push(1);
    for (let p = model.yp[i]!; p < model.yp[i + 1]!; p++) {
      const k = model.yi[p]!;
      if (k === r || k === i) continue;
      rows.push(red[i]!);
      cols.push(red[k]!);
      vals.push(1);
    }
  }
  const graph = buildSymmetricCsr(nb, rows, cols, vals);
  const permRed = minimumDegreeOrder(graph);
  const busOfRed = new Int32Array(nb);
  for (let i = 0; i < n; i++) if (red[i]! >= 0) busOfRed[red[i]!] = i;
  const order = new Int32Array(nb);
  const position = new Int32Array(n).fill(-1);
  for (let k = 0; k < nb; k++) {
    order[k] = busOfRed[permRed[k]!]!;
    position[order[k]!] = k;
  }
  // Symbolic elimination: struct(k) = neighbours after k, plus struct(child) \ {k} for each etree child.
  const children: number[][] = Array.from({ length: nb }, () => []);
  const structs: Int32Array[] = [];
  const mark = new Int32Array(nb).fill(-1);
  for (let k = 0; k < nb; k++) {
    const list: number[] = [];
    const bus = order[k]!;
    for (let p = model.yp[bus]!; p < model.yp[bus + 1]!; p++) {
      const kk = position[model.yi[p]!]!;
      if (kk > k && mark[kk] !== k) {
        mark[kk] = k;
        list.push(kk);
      }
    }
    for (const c of children[k]!) {
      for (const kk of structs[c]!) {
        if (kk > k && mark[kk] !== k) {
          mark[kk] = k;
          list.push(kk);
        }
      }
    }
    list.sort((a, b) => a - b);
    structs.push(Int32Array.from(list));
    if (list.length > 0) children[list[0]!]!.push(k);
  }
  const sp = new Int32Array(nb + 1);
  for (let k = 0; k < nb; k++) sp[k + 1] = sp[k]! + structs[k]!.length;
  const si = new Int32Array(sp[nb]!);
  for (let k = 0; k < nb; k++) si.set(structs[k]!, sp[k]!);
  const yKind = new Uint8Array(model.yi.length);
  const yAt = new Int32Array(model.yi.length).fill(-1);
  for (let i = 0; i < n; i++) {
    const ki = position[i]!;
    if (ki < 0) continue;
    for (let p = model.yp[i]!; p < model.yp[i + 1]!; p++) {
      const kk = position[model.yi[p]!]!;
      if (kk < 0) continue;
      if (kk === ki) {
        yKind[p] = 1;
        yAt[p] = ki;
      } else if (ki < kk) {
        yKind[p] = 2;
        yAt[p] = findIn(si, sp[ki]!, sp[ki + 1]!, kk);
      } else {
        yKind[p] = 3;
        yAt[p] = findIn(si, sp[kk]!, sp[kk + 1]!, ki);
      }
    }
  }
  return { nBlocks: nb, order, position, sp, si, yKind, yAt };
}

function findIn(a: Int32Array, from: number, to: number, v: number): number {
  for (let p = from; p < to; p++) if (a[p] === v) return p;
  throw new Error(`internal: block ${v} missing from the fill pattern`);
}

/** Rectangular parts e = |V| cos(theta), f = |V| sin(theta) of every bus (deterministic trig). */
export function voltageParts(vm: ArrayLike<number>, va: ArrayLike<number>, e: Float64Array, f: Float64Array) {
  for (let i = 0; i < e.length; i++) {
    e[i] = vm[i]! * cosDet(va[i]!);
    f[i] = vm[i]! * sinDet(va[i]!);
  }
}

/** Computed injections P_i + jQ_i = V_i conj(sum_k Y_ik V_k), per unit, into p and q. */
export function busInjections(
  model: AcModel,
  e: Float64Array,
  f: Float64Array,
  p: Float64Array,
  q: Float64Array,
): void {
  const { yp, yi, yg, yb } = model;
  for (let i = 0; i < model.nBus; i++) {
    let sp = 0;
    let sq = 0;
    const ei = e[i]!;
    const fi = f[i]!;
    for (let a = yp[i]!; a < yp[i + 1]!; a++) {
      const k = yi[a]!;
      const c = ei * e[k]! + fi * f[k]!;
      const s = fi * e[k]! - ei * f[k]!;
      const g = yg[a]!;
      const b = yb[a]!;
      sp += g * c + b * s;
      sq += g * s - b * c;
    }
    p[i] = sp;
    q[i] = sq;
  }
}

/** Allocates factor storage for a pattern. */
export function allocateFactor(pattern: AcJacobianPattern): AcJacobianFactor {
  const nb = pattern.nBlocks;
  const nz = pattern.si.length;
  return {
    pattern,
    d: new Float64Array(4 * nb),
    dinv: new Float64Array(4 * nb),
    l: new Float64Array(4 * nz),
    u: new Float64Array(4 * nz),
    ok: false,
    failedBus: -1,
  };
}

/**
 * Fills the factor storage with the Jacobian at a voltage point (before factorisation). Rows are the P and
 * Q balances of the buses other than the reference, columns their theta and |V|. Where `holdV[i]` is 1
 * (a PV bus in the power flow) the Q row of bus i becomes d|V_i| = 0 and its |V| column is dropped.
 */
export function assembleJacobian(
  model: AcModel,
  fac: AcJacobianFactor,
  vm: Float64Array,
  e: Float64Array,
  f: Float64Array,
  p: Float64Array,
  q: Float64Array,
  holdV?: Uint8Array,
): void {
  const { yp, yi, yg, yb } = model;
  const { yKind, yAt } = fac.pattern;
  fac.l.fill(0);
  fac.u.fill(0);
  fac.d.fill(0);
  for (let i = 0; i < model.nBus; i++) {
    const hi = holdV ? holdV[i]! : 0;
    for (let a = yp[i]!; a < yp[i + 1]!; a++) {
      const kind = yKind[a]!;
      if (kind === 0) continue;
      const g = yg[a]!;
      const b = yb[a]!;
      if (kind === 1) {
        const v = vm[i]!;
        const o = 4 * yAt[a]!;
        if (hi) {
          fac.d[o] = -q[i]! - b * v * v;
          fac.d[o + 3] = 1;
        } else {
          fac.d[o] = -q[i]! - b * v * v;
          fac.d[o + 1] = p[i]! / v + g * v;
          fac.d[o + 2] = p[i]! - g * v * v;
          fac.d[o + 3] = q[i]! / v - b * v;
        }
        continue;
      }
      const k = yi[a]!;
      const c = e[i]! * e[k]! + f[i]! * f[k]!;
      const s = f[i]! * e[k]! - e[i]! * f[k]!;
      const gsbc = g * s - b * c;
      const gcbs = g * c + b * s;
      const hk = holdV ? holdV[k]! : 0;
      const blk = kind === 2 ? fac.u : fac.l;
      const o = 4 * yAt[a]!;
      blk[o] = gsbc;
      blk[o + 1] = hk ? 0 : gcbs / vm[k]!;
      blk[o + 2] = hi ? 0 : -gcbs;
      blk[o + 3] = hi || hk ? 0 : gsbc / vm[k]!;
    }
  }
}

/** dst(4 at od) -= A(4 at oa) * B(4 at ob), 2x2 row-major blocks. */
function subMul(dst: Float64Array, od: number, a: Float64Array, oa: number, b: Float64Array, ob: number) {
  const a0 = a[oa]!;
  const a1 = a[oa + 1]!;
  const a2 = a[oa + 2]!;
  const a3 = a[oa + 3]!;
  const b0 = b[ob]!;
  const b1 = b[ob + 1]!;
  const b2 = b[ob + 2]!;
  const b3 = b[ob + 3]!;
  dst[od] = dst[od]! - (a0 * b0 + a1 * b2);
  dst[od + 1] = dst[od + 1]! - (a0 * b1 + a1 * b3);
  dst[od + 2] = dst[od + 2]! - (a2 * b0 + a3 * b2);
  dst[od + 3] = dst[od + 3]! - (a2 * b1 + a3 * b3);
}

/**
 * Factorises the assembled Jacobian in place as L U (block unit lower L, block upper U with the pivot
 * blocks on its diagonal). Sets `ok` false (and `failedBus`) when a pivot block is singular.
 */
export function factorJacobian(fac: AcJacobianFactor): boolean {
  const { nBlocks: nb, sp, si, order } = fac.pattern;
  const { d, dinv, l, u } = fac;
  const pos = new Int32Array(nb);
  const tmp = new Float64Array(4);
  for (let j = 0; j < nb; j++) {
    const o = 4 * j;
    const a = d[o]!;
    const b = d[o + 1]!;
    const c = d[o + 2]!;
    const dd = d[o + 3]!;
    const det = a * dd - b * c;
    const scale = Math.abs(a * dd) + Math.abs(b * c);
    if (!(Math.abs(det) > 1e-14 * scale) || !Number.isFinite(det)) {
      fac.ok = false;
      fac.failedBus = order[j]!;
      return false;
    }
    dinv[o] = dd / det;
    dinv[o + 1] = -b / det;
    dinv[o + 2] = -c / det;
    dinv[o + 3] = a / det;
    // L[i,j] = A[i,j] D_j^-1
    for (let p = sp[j]!; p < sp[j + 1]!; p++) {
      const q = 4 * p;
      tmp[0] = l[q]!;
      tmp[1] = l[q + 1]!;
      tmp[2] = l[q + 2]!;
      tmp[3] = l[q + 3]!;
      l[q] = 0;
      l[q + 1] = 0;
      l[q + 2] = 0;
      l[q + 3] = 0;
      subMul(l, q, tmp, 0, dinv, o);
      l[q] = -l[q]!;
      l[q + 1] = -l[q + 1]!;
      l[q + 2] = -l[q + 2]!;
      l[q + 3] = -l[q + 3]!;
    }
    // Schur complement update of the rows and columns in struct(j).
    for (let qa = sp[j]!; qa < sp[j + 1]!; qa++) {
      const k = si[qa]!;
      subMul(d, 4 * k, l, 4 * qa, u, 4 * qa);
      if (qa + 1 === sp[j + 1]) continue;
      for (let r = sp[k]!; r < sp[k + 1]!; r++) pos[si[r]!] = r;
      for (let pb = qa + 1; pb < sp[j + 1]!; pb++) {
        const at = pos[si[pb]!]!;
        subMul(l, 4 * at, l, 4 * pb, u, 4 * qa); // A[i,k] -= L[i,j] U[j,k]
        subMul(u, 4 * at, l, 4 * qa, u, 4 * pb); // A[k,i] -= L[k,j] U[j,i]
      }
    }
  }
  fac.ok = true;
  fac.failedBus = -1;
  return true;
}

/**
 * Solves J x = b. `b` and the result are full-length vectors over internal buses (theta of bus i at 2i,
 * |V| at 2i+1; the P balance of bus i at 2i, Q at 2i+1); reference entries are ignored and returned 0.
 */
export function solveJacobian(fac: AcJacobianFactor, b: ArrayLike<number>, out?: Float64Array): Float64Array {
  const { nBlocks: nb, sp, si, order } = fac.pattern;
  const { dinv, l, u } = fac;
  const y = new Float64Array(2 * nb);
  for (let k = 0; k < nb; k++) {
    y[2 * k] = b[2 * order[k]!]!;
    y[2 * k + 1] = b[2 * order[k]! + 1]!;
  }
  forwardL(nb, sp, si, l, y);
  backwardU(nb, sp, si, u, dinv, y);
  const x = out ?? new Float64Array(b.length);
  x.fill(0);
  for (let k = 0; k < nb; k++) {
    x[2 * order[k]!] = y[2 * k]!;
    x[2 * order[k]! + 1] = y[2 * k + 1]!;
  }
  return x;
}

function forwardL(nb: number, sp: Int32Array, si: Int32Array, l: Float64Array, y: Float64Array) {
  for (let j = 0; j < nb; j++) {
    const y0 = y[2 * j]!;
    const y1 = y[2 * j + 1]!;
    if (y0 === 0 && y1 === 0) continue;
    for (let p = sp[j]!; p < sp[j + 1]!; p++) {
      const i = si[p]!;
      const o = 4 * p;
      y[2 * i] = y[2 * i]! - (l[o]! * y0 + l[o + 1]! * y1);
      y[2 * i + 1] = y[2 * i + 1]! - (l[o + 2]! * y0 + l[o + 3]! * y1);
    }
  }
}

function backwardU(
  nb: number,
  sp: Int32Array,
  si: Int32Array,
  u: Float64Array,
  dinv: Float64Array,
  y: Float64Array,
) {
  for (let j = nb - 1; j >= 0; j--) {
    let t0 = y[2 * j]!;
    let t1 = y[2 * j + 1]!;
    for (let p = sp[j]!; p < sp[j + 1]!; p++) {
      const k = si[p]!;
      const o = 4 * p;
      t0 -= u[o]! * y[2 * k]! + u[o + 1]! * y[2 * k + 1]!;
      t1 -= u[o + 2]! * y[2 * k]! + u[o + 3]! * y[2 * k + 1]!;
    }
    const o = 4 * j;
    y[2 * j] = dinv[o]! * t0 + dinv[o + 1]! * t1;
    y[2 * j + 1] = dinv[o + 2]! * t0 + dinv[o + 3]! * t1;
  }
}

/** Solves J' x = b (same vector layout as {@link solveJacobian}). */
export function solveJacobianTransposed(
  fac: AcJacobianFactor,
  b: ArrayLike<number>,
  out?: Float64Array,
): Float64Array {
  const { nBlocks: nb, sp, si, order } = fac.pattern;
  const { dinv, l, u } = fac;
  const z = new Float64Array(2 * nb);
  for (let k = 0; k < nb; k++) {
    z[2 * k] = b[2 * order[k]!]!;
    z[2 * k + 1] = b[2 * order[k]! + 1]!;
  }
  // U' z = b: z_j = D_j^-T b_j, then b_k -= U[j,k]' z_j.
  for (let j = 0; j < nb; j++) {
    const o = 4 * j;
    const b0 = z[2 * j]!;
    const b1 = z[2 * j + 1]!;
    const z0 = dinv[o]! * b0 + dinv[o + 2]! * b1;
    const z1 = dinv[o + 1]! * b0 + dinv[o + 3]! * b1;
    z[2 * j] = z0;
    z[2 * j + 1] = z1;
    if (z0 === 0 && z1 === 0) continue;
    for (let p = sp[j]!; p < sp[j + 1]!; p++) {
      const k = si[p]!;
      const q = 4 * p;
      z[2 * k] = z[2 * k]! - (u[q]! * z0 + u[q + 2]! * z1);
      z[2 * k + 1] = z[2 * k + 1]! - (u[q + 1]! * z0 + u[q + 3]! * z1);
    }
  }
  // L' x = z: x_j = z_j - sum_i L[i,j]' x_i.
  for (let j = nb - 1; j >= 0; j--) {
    let t0 = z[2 * j]!;
    let t1 = z[2 * j + 1]!;
    for (let p = sp[j]!; p < sp[j + 1]!; p++) {
      const i = si[p]!;
      const q = 4 * p;
      t0 -= l[q]! * z[2 * i]! + l[q + 2]! * z[2 * i + 1]!;
      t1 -= l[q + 1]! * z[2 * i]! + l[q + 3]! * z[2 * i + 1]!;
    }
    z[2 * j] = t0;
    z[2 * j + 1] = t1;
  }
  const x = out ?? new Float64Array(b.length);
  x.fill(0);
  for (let k = 0; k < nb; k++) {
    x[2 * order[k]!] = z[2 * k]!;
    x[2 * order[k]! + 1] = z[2 * k + 1]!;
  }
  return x;
}
