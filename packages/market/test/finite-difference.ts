// Central finite differences of the AC optimal cost in a bus's load: the oracle the AC LMPs are tested
// against (docs/ac-opf.md).
import type { Network } from '@gridledger/grid';
import { expect } from 'vitest';
import { solveAcOpf } from '../src/ac-opf.ts';

/** LMP at bus id by central differences of the optimal cost in Pd (step in MW). */
export async function finiteDifferenceLmp(net: Network, busId: number, stepMw = 0.001): Promise<number> {
  const at = net.buses.findIndex((b) => b.id === busId);
  const shifted = (d: number): Network => ({
    ...net,
    buses: net.buses.map((b, k) => (k === at ? { ...b, pdMw: b.pdMw + d } : b)),
  });
  const up = await solveAcOpf(shifted(stepMw));
  const down = await solveAcOpf(shifted(-stepMw));
  expect(up.status).toBe('optimal');
  expect(down.status).toBe('optimal');
  return (up.objective - down.objective) / (2 * stepMw);
}
