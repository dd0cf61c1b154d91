// Sparse symmetric linear algebra for the susceptance system: a minimum-degree ordering and an LDL^T
// factorisation (elimination tree, up-looking rows, after T. Davis's LDL), with solves. Small, exact
// and deterministic: no pivoting (B of a connected network with the reference removed is definite in
// practice), ties in the ordering broken by the lowest index.
import { GridledgerError } from '@gridledger/base';

/** A square sparse symmetric matrix with both triangles stored, compressed by rows (= by columns). */
export interface SymmetricCsr {
  n: number;
  /** Row starts, length n + 1. */
  p: Int32Array;
  /** Column index of each entry. */
  i: Int32Array;
  /** Value of each entry. */
  x: Float64Array;
}

/**
 * Builds a {@link SymmetricCsr} from triplets (duplicates are summed). Give each off-diagonal entry
 * once per triangle, or use `symmetric: true` to mirror (row, col) into (col, row) automatically.
 */
export function buildSymmetricCsr(
  n: number,
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  vals: ArrayLike<number>,
): SymmetricCsr {
  const count = new Int32Array(n + 1);
  for (let k = 0; k < rows.length; k++) count[rows[k]! + 1]!++;
  for (let r = 0; r < n; r++) count[r + 1]! += count[r]!;
  const next = count.slice(0, n);
  const ci = new Int32Array(rows.length);
  const cx = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const at = next[rows[k]!]!++;
    ci[at] = cols[k]!;
    cx[at] = vals[k]!;
  }
  // Sort each row by column and sum duplicates.
  const p = new Int32Array(n + 1);
  const outI = new Int32Array(rows.length);
  const outX = new Float64Array(rows.length);
  let len = 0;
  const mark = new Int32Array(n).fill(-1);
  for (let r = 0; r < n; r++) {
    const start = len;
    for (let k = count[r]!; k < count[r + 1]!; k++) {
      const c = ci[k]!;
      if (mark[c]! >= start) outX[mark[c]!]! += cx[k]!;
      else {
        mark[c] = len;
        outI[len] = c;
        outX[len] = cx[k]!;
        len++;
      }
    }
    // insertion sort of the (small) row
    for (let a = start + 1; a < len; a++) {
      const ki = outI[a]!;
      const kx = outX[a]!;
      let b = a - 1;
      while (b >= start && outI[b]! > ki) {
        outI[b + 1] = outI[b]!;
        outX[b + 1] = outX[b]!;
        b--;
      }
      outI[b + 1] = ki;
      outX[b + 1] = kx;
    }
    p[r + 1] = len;
  }
  return { n, p, i: outI.slice(0, len), x: outX.slice(0, len) };
}

/**
 * Minimum-degree ordering of the graph of a symmetric matrix (explicit elimination graph; fine for the
 * very sparse graphs of power networks). Returns `perm` with perm[k] = original index eliminated k-th.
 */
export function minimumDegreeOrder(a: SymmetricCsr): Int32Array {
  const n = a.n;
  const adj: Set<number>[] = [];
  for (let r = 0; r < n; r++) {
    const s = new Set<number>();
    for (let k = a.p[r]!; k < a.p[r + 1]!; k++) if (a.i[k] !== r) s.add(a.i[k]!);
    adj.push(s);
  }
  // Degree buckets as doubly linked lists for O(1) updates.
  const deg = new Int32Array(n);
  const head = new Int32Array(n + 1).fill(-1);
  const nextB = new Int32Array(n).fill(-1);
  const prevB = new Int32Array(n).fill(-1);
  const insert = (v: number, d: number) => {
    deg[v] = d;
    prevB[v] = -1;
    nextB[v] = head[d]!;
    if (head[d]! >= 0) prevB[head[d]!] = v;
    head[d] = v;
  };
  const remove = (v: number) => {
    const d = deg[v]!;
    if (prevB[v]! >= 0) nextB[prevB[v]!] = nextB[v]!;
    else head[d] = nextB[v]!;
    if (nextB[v]! >= 0) prevB[nextB[v]!] = prevB[v]!;
  };
  for (let v = n - 1; v >= 0; v--) insert(v, Math.min(adj[v]!.size, n));
  const perm = new Int32Array(n);
  const done = new Uint8Array(n);
  let minD = 0;
  for (let k = 0; k < n; k++) {
    while (head[minD]! < 0) minD++;
    const v = head[minD]!;
    remove(v);
    done[v] = 1;
    perm[k] = v;
    const nb = [...adj[v]!];
    for (const u of nb) adj[u]!.delete(v);
    for (let x = 0; x < nb.length; x++) {
      const u = nb[x]!;
      const su = adj[u]!;
      for (let y = 0; y < nb.length; y++) if (y !== x) su.add(nb[y]!);
      remove(u);
      insert(u, Math.min(su.size, n));
      if (su.size < minD) minD = su.size;
    }
    adj[v]!.clear();
  }
  return perm;
}

/** An LDL^T factorisation of P A P^T. */
export interface LdlFactor {
  n: number;
  perm: Int32Array;
  pinv: Int32Array;
  lp: Int32Array;
  li: Int32Array;
  lx: Float64Array;
  d: Float64Array;
}

/** Thrown when the matrix is singular (an island without a reference, a zero-reactance loop...). */
export class SingularMatrixError extends GridledgerError {
  constructor(message: string) {
    super('E_SINGULAR', message);
    this.name = 'SingularMatrixError';
  }
}

/**
 * Factorises a symmetric matrix as P A P^T = L D L^T (L unit lower triangular).
 * @throws SingularMatrixError when a pivot is zero.
 */
export function factorLdl(a: SymmetricCsr, perm: Int32Array = minimumDegreeOrder(a)): LdlFactor {
  const n = a.n;
  const pinv = new Int32Array(n);
  for (let k = 0; k < n; k++) pinv[perm[k]!] = k;
  const parent = new Int32Array(n);
  const lnz = new Int32Array(n);
  const flag = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    parent[k] = -1;
    flag[k] = k;
    lnz[k] = 0;
    const kk = perm[k]!;
    for (let p = a.p[kk]!; p < a.p[kk + 1]!; p++) {
      let i = pinv[a.i[p]!]!;
      if (i < k) {
        for (; flag[i] !== k; i = parent[i]!) {
          if (parent[i] === -1) parent[i] = k;
          lnz[i]!++;
          flag[i] = k;
        }
      }
    }
  }
  const lp = new Int32Array(n + 1);
  for (let k = 0; k < n; k++) lp[k + 1] = lp[k]! + lnz[k]!;
  const li = new Int32Array(lp[n]!);
  const lx = new Float64Array(lp[n]!);
  const d = new Float64Array(n);
  const y = new Float64Array(n);
  const pattern = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    y[k] = 0;
    let top = n;
    flag[k] = k;
    lnz[k] = 0;
    const kk = perm[k]!;
    for (let p = a.p[kk]!; p < a.p[kk + 1]!; p++) {
      let i = pinv[a.i[p]!]!;
      if (i <= k) {
        y[i]! += a.x[p]!;
        let len = 0;
        for (; flag[i] !== k; i = parent[i]!) {
          pattern[len++] = i;
          flag[i] = k;
        }
        while (len > 0) pattern[--top] = pattern[--len]!;
      }
    }
    d[k] = y[k]!;
    y[k] = 0;
    for (; top < n; top++) {
      const i = pattern[top]!;
      const yi = y[i]!;
      y[i] = 0;
      const p2 = lp[i]! + lnz[i]!;
      for (let p = lp[i]!; p < p2; p++) y[li[p]!]! -= lx[p]! * yi;
      const lki = yi / d[i]!;
      d[k]! -= lki * yi;
      li[p2] = k;
      lx[p2] = lki;
      lnz[i]!++;
    }
    if (d[k] === 0 || !Number.isFinite(d[k]!)) {
      throw new SingularMatrixError(`matrix is singular: zero pivot at row ${perm[k]}`);
    }
  }
  return { n, perm, pinv, lp, li, lx, d };
}

/** Solves A x = b with a factor from {@link factorLdl}; returns a new array. */
export function solveLdl(f: LdlFactor, b: ArrayLike<number>): Float64Array {
  const n = f.n;
  const x = new Float64Array(n);
  for (let k = 0; k < n; k++) x[k] = b[f.perm[k]!]!;
  const { lp, li, lx, d } = f;
  for (let j = 0; j < n; j++) {
    const xj = x[j]!;
    if (xj !== 0) for (let p = lp[j]!; p < lp[j + 1]!; p++) x[li[p]!]! -= lx[p]! * xj;
  }
  for (let j = 0; j < n; j++) x[j]! /= d[j]!;
  for (let j = n - 1; j >= 0; j--) {
    let s = x[j]!;
    for (let p = lp[j]!; p < lp[j + 1]!; p++) s -= lx[p]! * x[li[p]!]!;
    x[j] = s;
  }
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[f.perm[k]!] = x[k]!;
  return out;
}

/** y = A x for a {@link SymmetricCsr}. */
export function multiplyCsr(a: SymmetricCsr, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(a.n);
  for (let r = 0; r < a.n; r++) {
    let s = 0;
    for (let k = a.p[r]!; k < a.p[r + 1]!; k++) s += a.x[k]! * x[a.i[k]!]!;
    y[r] = s;
  }
  return y;
}
