import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildSymmetricCsr,
  factorLdl,
  minimumDegreeOrder,
  multiplyCsr,
  SingularMatrixError,
  solveLdl,
} from './sparse.ts';

/** A random weighted graph Laplacian plus a positive diagonal: sparse, symmetric positive definite. */
const spd = fc
  .record({
    n: fc.integer({ min: 1, max: 40 }),
    edges: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.double({ min: 0.01, max: 100, noNaN: true })), {
      maxLength: 120,
    }),
    diag: fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: 40, maxLength: 40 }),
    rhs: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 40, maxLength: 40 }),
  })
  .map(({ n, edges, diag, rhs }) => {
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    for (const [a, b, w] of edges) {
      const i = a % n;
      const j = b % n;
      if (i === j) continue;
      r.push(i, j, i, j);
      c.push(i, j, j, i);
      v.push(w, w, -w, -w);
    }
    for (let i = 0; i < n; i++) {
      r.push(i);
      c.push(i);
      v.push(diag[i]!);
    }
    return { a: buildSymmetricCsr(n, r, c, v), b: rhs.slice(0, n) };
  });

describe('sparse LDL^T', () => {
  it('solves random sparse SPD systems to a small residual', () => {
    fc.assert(
      fc.property(spd, ({ a, b }) => {
        const x = solveLdl(factorLdl(a), b);
        const ax = multiplyCsr(a, x);
        const scale = Math.max(1, ...b.map(Math.abs));
        for (let i = 0; i < a.n; i++) expect(Math.abs(ax[i]! - b[i]!)).toBeLessThan(1e-8 * scale * 1e3);
      }),
      { numRuns: 200 },
    );
  });
  it('orders every index exactly once', () => {
    fc.assert(
      fc.property(spd, ({ a }) => {
        const p = [...minimumDegreeOrder(a)].sort((x, y) => x - y);
        expect(p).toEqual(Array.from({ length: a.n }, (_, i) => i));
      }),
    );
  });
  it('sums duplicate triplets and reports a singular matrix', () => {
    const a = buildSymmetricCsr(2, [0, 0, 1, 0, 1], [0, 0, 1, 1, 0], [1, 1, 4, 2, 2]);
    expect([...a.x]).toEqual([2, 2, 2, 4]);
    const singular = buildSymmetricCsr(2, [0, 1, 0, 1], [0, 1, 1, 0], [1, 1, -1, -1]);
    expect(() => factorLdl(singular)).toThrow(SingularMatrixError);
  });
});
