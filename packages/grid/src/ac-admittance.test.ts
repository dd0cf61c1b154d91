import { describe, expect, it } from 'vitest';
import { branchAdmittance } from './ac-admittance.ts';

/** Complex helpers for an independent evaluation of makeYbus's formulas. */
type C = [number, number];
const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const div = (a: C, b: C): C => {
  const d = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
};
const conj = (a: C): C => [a[0], -a[1]];

describe('branch admittances (MATPOWER makeYbus)', () => {
  it.each([
    [0.01, 0.05, 0.02, 0, 0],
    [0.0, 0.2, 0, 0.978, 0],
    [0.003, 0.04, 0.1, 1.05, -10],
    [0.02, 0.06, 0.03, 0, 30],
  ])('r=%f x=%f b=%f tap=%f shift=%f', (r, x, b, tap, shift) => {
    const y = branchAdmittance(r, x, b, tap, shift);
    const ys = div([1, 0], [r, x]);
    const t = tap === 0 ? 1 : tap;
    const phi = (shift * Math.PI) / 180;
    const tau: C = [t * Math.cos(phi), t * Math.sin(phi)];
    const ytt: C = [ys[0], ys[1] + b / 2];
    const yff = div(ytt, mul(tau, conj(tau)));
    const yft = div([-ys[0], -ys[1]], conj(tau));
    const ytf = div([-ys[0], -ys[1]], tau);
    const close = (a: number, e: number) =>
      expect(Math.abs(a - e)).toBeLessThan(1e-12 * Math.max(1, Math.abs(e)));
    close(y.gtt, ytt[0]);
    close(y.btt, ytt[1]);
    close(y.gff, yff[0]);
    close(y.bff, yff[1]);
    close(y.gft, yft[0]);
    close(y.bft, yft[1]);
    close(y.gtf, ytf[0]);
    close(y.btf, ytf[1]);
  });
});
