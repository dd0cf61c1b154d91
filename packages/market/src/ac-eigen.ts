// Symmetric eigen-decomposition for the AC-OPF's reduced Hessian: Householder tridiagonalisation and the
// implicit QL method (the EISPACK tred2/tql2 pair), plain loops in a fixed order and sqrt(x*x + y*y) in
// place of hypot (scaled against overflow), so the result is the same bits on every engine. `absEigenModify` replaces every
// eigenvalue by its absolute value (the modification the method note found to avoid limit cycles).

/**
 * Eigenvalues `d` and eigenvectors (columns of `v`, row-major n x n) of the symmetric matrix `a`
 * (row-major n x n, read only).
 * @example
 * const { d } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2); // d = [1, 3] in some order
 */
export function symmetricEigen(a: Float64Array, n: number): { d: Float64Array; v: Float64Array } {
  // Scaled to largest magnitude 1 (entries below 1e-280 of it set to 0), so that no step overflows or
  // meets subnormal numbers; the eigenvalues are scaled back.
  let scale = 0;
  for (let k = 0; k < n * n; k++) scale = Math.max(scale, Math.abs(a[k]!));
  const v = new Float64Array(n * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { d, v };
  if (scale === 0 || !Number.isFinite(scale)) {
    for (let i = 0; i < n; i++) v[i * n + i] = 1;
    if (!Number.isFinite(scale)) d.fill(Number.NaN);
    return { d, v };
  }
  for (let k = 0; k < n * n; k++) {
    const x = a[k]! / scale;
    v[k] = Math.abs(x) < 1e-280 ? 0 : x;
  }
  tred2(n, v, d, e);
  tql2(n, v, d, e);
  for (let i = 0; i < n; i++) d[i] = d[i]! * scale;
  return { d, v };
}

function tred2(n: number, V: Float64Array, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k] = e[k]! + V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j] = V[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j] = V[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tql2(n: number, V: Float64Array, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  // Off-diagonal entries are negligible against the whole matrix's norm (not only the rows before, as
  // EISPACK's running maximum has it): with a running maximum a tiny leading block left an off-diagonal
  // of 1e-280 standing beside O(1) diagonals, the shift (d[l+1] - d[l]) / 2e[l] overflowed and the
  // decomposition returned NaN.
  let tst1 = 0;
  for (let l = 0; l < n; l++) tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    let m = l;
    while (m < n - 1) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        iter++;
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = hypot2(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = hypot2(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          rotate(V, n, i, c, s);
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1 && iter < 60);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/** sqrt(x^2 + y^2) without overflow, from +, *, / and sqrt only (Math.hypot's rounding varies by engine). */
function hypot2(x: number, y: number): number {
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  const m = Math.max(ax, ay);
  if (m === 0) return 0;
  const u = ax / m;
  const w = ay / m;
  return m * Math.sqrt(u * u + w * w);
}

/** Applies the Givens rotation of columns i and i+1 of V. */
function rotate(V: Float64Array, n: number, i: number, c: number, s: number): void {
  for (let k = 0; k < n; k++) {
    const h = V[k * n + i + 1]!;
    V[k * n + i + 1] = s * V[k * n + i]! + c * h;
    V[k * n + i] = c * V[k * n + i]! - s * h;
  }
}

/**
 * Returns V |D| V' for the symmetric `a` = V D V' (row-major n x n): the nearest positive semidefinite
 * matrix with the same eigenvectors and the absolute values of the eigenvalues.
 */
export function absEigenModify(a: Float64Array, n: number): Float64Array {
  const { d, v } = symmetricEigen(a, n);
  const out = new Float64Array(n * n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) w[k] = v[i * n + k]! * Math.abs(d[k]!);
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += w[k]! * v[j * n + k]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}
