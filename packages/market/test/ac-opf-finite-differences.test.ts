// Our AC LMPs against central finite differences of our own optimal cost (1 kW load steps), on every
// shared case with AC data small enough for a test; the components sum to the LMP; repeated solves give
// the same bits. The method note explains why this is the sharp oracle (MATPOWER's lam_P carries its own
// KKT tolerance).
import { join } from 'node:path';
import { loadMatpower } from '@gridledger/grid';
import { describe, expect, it } from 'vitest';
import { solveAcOpf } from '../src/ac-opf.ts';
import { GRID_CASES } from './cases.ts';
import { finiteDifferenceLmp } from './finite-difference.ts';

const cases: [string, number[]][] = [
  ['case9', [5, 7, 9]],
  ['case14', [3, 9, 14]],
  ['case30', [8, 21, 30]],
  ['case33bw', [18, 33]],
  ['case33bw_congested', [14, 17, 18]],
  ['case69', [27, 65]],
  ['case141', [60, 141]],
  ['case30pwl', [8, 30]],
];

describe.each(cases)('%s: LMP = d(optimal cost)/d(load)', (name, probe) => {
  it('at a few buses to 1e-4 $/MWh; components sum to the LMP; same bits twice', async () => {
    const net = await loadMatpower(join(GRID_CASES, `${name}.m`));
    const r = await solveAcOpf(net);
    expect(r.status).toBe('optimal');
    for (const b of r.buses) {
      if (!Number.isFinite(b.lmp)) continue;
      expect(Math.abs(b.lmpEnergy + b.lmpLoss + b.lmpCongestion + b.lmpVoltage - b.lmp)).toBeLessThan(1e-9);
    }
    for (const id of probe) {
      const fd = await finiteDifferenceLmp(net, id);
      const lmp = r.buses.find((b) => b.id === id)!.lmp;
      expect(Math.abs(lmp - fd), `bus ${id}: LMP ${lmp} vs finite difference ${fd}`).toBeLessThan(1e-4);
    }
    const again = await solveAcOpf(net);
    expect(again.buses.map((b) => b.lmp)).toEqual(r.buses.map((b) => b.lmp));
    expect(again.objective).toBe(r.objective);
  });
});
