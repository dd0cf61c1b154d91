// The synthetic DER feeder (der-feeder.ts: case69 with two DERs, a rated lateral and a voltage ceiling):
// a flow limit and a voltage limit bind, and the LMPs (with their congestion and voltage components)
// equal central finite differences of the optimal cost.
import { join } from 'node:path';
import { loadMatpower } from '@gridledger/grid';
import { expect, it } from 'vitest';
import { solveAcOpf } from '../src/ac-opf.ts';
import { GRID_CASES } from './cases.ts';
import { derFeeder } from './der-feeder.ts';
import { finiteDifferenceLmp } from './finite-difference.ts';

it('case69 with DERs: flow and voltage limits bind and LMPs equal finite differences', async () => {
  const net = derFeeder(await loadMatpower(join(GRID_CASES, 'case69.m')));
  const r = await solveAcOpf(net);
  expect(r.status).toBe('optimal');
  const lateral = r.branches.find((b) => b.from === 22 && b.to === 23)!;
  expect(lateral.muTo).toBeGreaterThan(1);
  expect(lateral.loadingPct).toBeCloseTo(100, 6);
  const atCeiling = r.buses.filter((b) => b.vm > 1.01 - 1e-8);
  expect(atCeiling.length).toBeGreaterThan(0);
  expect(r.buses.some((b) => Math.abs(b.lmpVoltage) > 0.1)).toBe(true);
  expect(r.buses.some((b) => Math.abs(b.lmpCongestion) > 0.1)).toBe(true);
  for (const b of r.buses)
    expect(b.vm).toBeLessThanOrEqual(net.buses.find((x) => x.id === b.id)!.vmaxPu + 1e-9);
  for (const id of [23, 27, 61, 65]) {
    const fd = await finiteDifferenceLmp(net, id);
    const lmp = r.buses.find((b) => b.id === id)!.lmp;
    expect(Math.abs(lmp - fd), `bus ${id}: LMP ${lmp} vs finite difference ${fd}`).toBeLessThan(1e-4);
  }
});
