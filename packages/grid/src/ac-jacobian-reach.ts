// Sparse solves with the block-LU Jacobian (ac-jacobian.ts) for right-hand sides with few nonzeros, such
// as the AC-OPF's sensitivities J^-1 e_c. The elimination tree of the factors (parent of position k: the
// first position of its fill pattern) is a forest with one tree per connected part of the bus graph
// without the reference bus, and a solve from a right-hand side in one tree is zero outside it. So a
// solve restricted to the trees that hold the right-hand side, in the same order as the full solve,
// gives the same bits on that support and exact zeros elsewhere: on a radial feeder it costs one lateral,
// not the whole feeder.
import type { AcModel } from './ac-admittance.ts';
import type { AcJacobianFactor, AcJacobianPattern } from './ac-jacobian.ts';

/** Where the solution of a solve can be nonzero. */
export interface SolveSupport {
  /** Elimination positions, ascending. */
  positions: Int32Array;
  /** The same as internal buses, ascending. */
  buses: Int32Array;
}

/** Root (elimination position) of each position's elimination tree. */
export function eliminationRoots(pattern: AcJacobianPattern): Int32Array {
  const { nBlocks: nb, sp, si } = pattern;
  const root = new Int32Array(nb);
  for (let k = nb - 1; k >= 0; k--) root[k] = sp[k]! < sp[k + 1]! ? root[si[sp[k]!]!]! : k;
  return root;
}

/**
 * The support of solves whose right-hand side is nonzero only at the given internal buses (the reference
 * bus is ignored): every bus in the same elimination tree as one of them.
 */
export function solveSupport(
  model: AcModel,
  pattern: AcJacobianPattern,
  roots: Int32Array,
  rhsBuses: ArrayLike<number>,
): SolveSupport {
  const nb = pattern.nBlocks;
  const wanted = new Uint8Array(nb);
  for (let j = 0; j < rhsBuses.length; j++) {
    const k = pattern.position[rhsBuses[j]!]!;
    if (k >= 0) wanted[roots[k]!] = 1;
  }
  const positions: number[] = [];
  for (let k = 0; k < nb; k++) if (wanted[roots[k]!]) positions.push(k);
  const buses: number[] = [];
  for (let i = 0; i < model.nBus; i++) {
    const k = pattern.position[i]!;
    if (k >= 0 && wanted[roots[k]!]) buses.push(i);
  }
  return { positions: Int32Array.from(positions), buses: Int32Array.from(buses) };
}

/**
 * Solves J x = b on a support (as `solveJacobian`, whose layout it shares): only the support's entries of
 * `out` are written, so `out` must be zero elsewhere (reuse one array per support). `work` has 2 x nBlocks
 * entries and is left zero.
 */
export function solveJacobianOn(
  fac: AcJacobianFactor,
  support: SolveSupport,
  b: ArrayLike<number>,
  out: Float64Array,
  work: Float64Array,
): void {
  const { sp, si, order } = fac.pattern;
  const { dinv, l, u } = fac;
  const pos = support.positions;
  const y = work;
  for (let t = 0; t < pos.length; t++) {
    const k = pos[t]!;
    y[2 * k] = b[2 * order[k]!]!;
    y[2 * k + 1] = b[2 * order[k]! + 1]!;
  }
  for (let t = 0; t < pos.length; t++) {
    const j = pos[t]!;
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
  for (let t = pos.length - 1; t >= 0; t--) {
    const j = pos[t]!;
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
  for (let t = 0; t < pos.length; t++) {
    const k = pos[t]!;
    out[2 * order[k]!] = y[2 * k]!;
    out[2 * order[k]! + 1] = y[2 * k + 1]!;
    y[2 * k] = 0;
    y[2 * k + 1] = 0;
  }
}
