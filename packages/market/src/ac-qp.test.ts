import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { absEigenModify, symmetricEigen } from './ac-eigen.ts';
import { type DenseQp, solveDenseQp } from './ac-qp.ts';

describe('dense active-set QP', () => {
  it('solves a small QP with an active row and an active bound, with HiGHS-signed multipliers', () => {
    // min (x0-2)^2 + (x1-2)^2 s.t. x0 + x1 <= 2, x1 <= 0.5  ->  x = (1.5, 0.5)
    const qp: DenseQp = {
      n: 2,
      m: 1,
      c: Float64Array.of(-4, -4),
      h: Float64Array.of(2, 0, 0, 2),
      a: Float64Array.of(1, 1),
      rowLower: Float64Array.of(Number.NEGATIVE_INFINITY),
      rowUpper: Float64Array.of(2),
      colLower: Float64Array.of(-10, -10),
      colUpper: Float64Array.of(10, 0.5),
    };
    const r = solveDenseQp(qp, Float64Array.of(0, 0), new Int8Array(1), new Int8Array(2));
    expect(r.ok).toBe(true);
    expect(r.x[0]).toBeCloseTo(1.5, 12);
    expect(r.x[1]).toBeCloseTo(0.5, 12);
    expect(r.y[0]).toBeCloseTo(-1, 9); // upper bound active: y < 0
    expect(r.z[1]).toBeCloseTo(-2, 9);
  });
  it('keeps equality rows and returns the same bits twice', () => {
    const qp: DenseQp = {
      n: 3,
      m: 1,
      c: Float64Array.of(1, 2, 3),
      h: Float64Array.of(2, 0, 0, 0, 1, 0, 0, 0, 0.5),
      a: Float64Array.of(1, 1, 1),
      rowLower: Float64Array.of(1),
      rowUpper: Float64Array.of(1),
      colLower: Float64Array.of(0, 0, 0),
      colUpper: Float64Array.of(1, 1, 1),
    };
    const run = () => solveDenseQp(qp, Float64Array.of(1, 0, 0), Int8Array.of(2), new Int8Array(3));
    const a = run();
    const b = run();
    expect(a.ok).toBe(true);
    expect(a.x[0]! + a.x[1]! + a.x[2]!).toBeCloseTo(1, 12);
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    // stationarity: c + Hx - A'y - z = 0
    for (let j = 0; j < 3; j++) {
      const g = qp.c[j]! + qp.h[4 * j]! * a.x[j]!;
      expect(Math.abs(g - a.y[0]! - a.z[j]!)).toBeLessThan(1e-9);
    }
  });
});

/** The decomposition reconstructs `a` (n x n from the lower triangle of `vals`, 12 per row) and |D| is PSD. */
function checkEigen(n: number, vals: number[]): void {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = vals[i * 12 + j]!;
  const { d, v } = symmetricEigen(a, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v[i * n + k]! * d[k]! * v[j * n + k]!;
      expect(Math.abs(s - a[i * n + j]!)).toBeLessThan(1e-9 * 10 * n);
    }
  const m = absEigenModify(a, n);
  const again = symmetricEigen(m, n);
  for (let k = 0; k < n; k++) expect(again.d[k]!).toBeGreaterThan(-1e-9 * 10 * n);
}

describe('symmetric eigen-decomposition', () => {
  it('reconstructs random symmetric matrices and |D| is positive semidefinite', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 144, maxLength: 144 }),
        checkEigen,
      ),
      { numRuns: 200 },
    );
  });

  it('a tiny off-diagonal beside a zero leading block does not overflow the shift (was NaN)', () => {
    // fast-check's counterexample from a CI run (seed -282761766): the QL shift divided by 1e-280.
    const vals = new Array<number>(144).fill(0);
    vals[0] = -2.6179613497559617;
    vals[24] = -1.2080875103449934e-56;
    vals[25] = 1.6963169066321703e-14;
    vals[37] = 9.999999999999987e-280;
    vals[49] = 9.81818693059542e-90;
    checkEigen(5, vals);
  });
});
