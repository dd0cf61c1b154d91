import { fileURLToPath } from 'node:url';
import { loadMatpower } from '@gridledger/grid';
import { describe, expect, it } from 'vitest';
import { type Certificate, verifyCertificate } from './certificate.ts';
import { solveOpf } from './opf.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));

/** A copy of a certificate with one array changed. */
function perturb(
  c: Certificate,
  field: 'x' | 'rowDual' | 'colDual',
  k: number,
  f: (v: number) => number,
): Certificate {
  const copy = c[field].slice();
  copy[k] = f(copy[k]!);
  return { ...c, [field]: copy };
}

describe('verifyCertificate', () => {
  it('accepts the solver answers and rejects perturbed ones (congested case9)', async () => {
    const r = await solveOpf(await loadMatpower(`${CASES}case9_congested.m`));
    const c = r.certificate;
    const ok = verifyCertificate(c, 1e-6);
    expect(ok.ok).toBe(true);
    expect(ok.stationarity).toBeLessThan(1e-6);
    // a dispatch moved by 1 MW breaks the balance (primal) and stationarity
    const moved = verifyCertificate(perturb(c, 'x', 0, (v) => v + 1));
    expect(moved.ok).toBe(false);
    expect(moved.primalInfeasibility).toBeGreaterThan(1e-6);
    // the energy price (balance dual, row 0) moved by 1 $/MWh breaks stationarity
    const priced = verifyCertificate(perturb(c, 'rowDual', 0, (v) => v + 1));
    expect(priced.ok).toBe(false);
    expect(priced.stationarity).toBeGreaterThan(1e-6);
    // the binding line's dual with its sign flipped: dual infeasible / not complementary
    const lineRow = c.rowDual.findIndex((y, i) => i > 0 && Math.abs(y) > 1e-3);
    expect(lineRow).toBeGreaterThan(0);
    const flipped = verifyCertificate(perturb(c, 'rowDual', lineRow, (v) => -v));
    expect(flipped.ok).toBe(false);
    expect(flipped.failures.join('\n')).toMatch(/not at its (lower|upper) bound|stationarity/);
    // a claimed objective that is not c'x
    expect(verifyCertificate({ ...c, objective: c.objective + 1 }).ok).toBe(false);
  });

  it('accepts a quadratic-cost and a piecewise-linear case', async () => {
    for (const f of ['case118.m', 'case30pwl.m']) {
      const r = await solveOpf(await loadMatpower(`${CASES}${f}`));
      expect(verifyCertificate(r.certificate).ok).toBe(true);
      expect(verifyCertificate(perturb(r.certificate, 'colDual', 0, (v) => v + 5)).ok).toBe(false);
    }
  });

  it('rejects vectors of the wrong size', async () => {
    const r = await solveOpf(await loadMatpower(`${CASES}case9.m`));
    expect(verifyCertificate({ ...r.certificate, x: r.certificate.x.slice(1) }).ok).toBe(false);
  });
});
