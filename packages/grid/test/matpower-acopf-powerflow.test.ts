// AC power flow against MATPOWER's runopf references (../shared/grid-cases/reference/*.acopf.json): at
// the reference dispatch (Pg, Qg, and |V| held at the generator buses) Newton's method reproduces the
// reference voltages; the case's own runpf-style power flow converges on the shared AC cases.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRID_CASES_DIR } from '../src/cases-dir.ts';
import {
  buildAcModel,
  buildAcSolver,
  caseInput,
  loadMatpower,
  solveAcPowerFlow,
  solveCasePowerFlow,
} from '../src/index.ts';

interface AcReference {
  bus: { bus_i: number; Vm: number; Va: number }[];
  gen: { bus: number; status: number; Pg: number; Qg: number }[];
  branch: { PF: number; QF: number; PT: number; QT: number }[];
}

describe.each(['case30', 'case69'])('%s: power flow at the AC-OPF reference dispatch', (name) => {
  it('reproduces MATPOWER Vm and Va', async () => {
    const net = await loadMatpower(join(GRID_CASES_DIR, `${name}.m`));
    const ref = JSON.parse(
      readFileSync(join(GRID_CASES_DIR, 'reference', `${name}.acopf.json`), 'utf8'),
    ) as AcReference;
    const model = buildAcModel(net);
    const input = caseInput(model);
    const base = model.baseMVA;
    for (let i = 0; i < model.nBus; i++) {
      input.pSpec[i] = -model.pdPu[i]!;
      input.qSpec[i] = -model.qdPu[i]!;
      input.holdV[i] = 0;
      input.vm[i] = 1;
      input.va[i] = 0;
    }
    for (const g of ref.gen) {
      if (!(g.status > 0)) continue;
      const i = model.busIndex.get(g.bus)!;
      input.pSpec[i]! += g.Pg / base;
      input.qSpec[i]! += g.Qg / base;
      input.holdV[i] = 1;
    }
    for (const b of ref.bus) {
      const i = model.busIndex.get(b.bus_i)!;
      if (input.holdV[i]) input.vm[i] = b.Vm;
      if (i === model.ref) input.va[i] = (b.Va * Math.PI) / 180;
    }
    input.holdV[model.ref] = 1;
    const r = solveAcPowerFlow(buildAcSolver(model), input);
    expect(r.status).toBe('converged');
    expect(r.maxMismatch).toBeLessThan(1e-9);
    let dvm = 0;
    let dva = 0;
    for (const b of ref.bus) {
      const i = model.busIndex.get(b.bus_i)!;
      dvm = Math.max(dvm, Math.abs(r.vm[i]! - b.Vm));
      dva = Math.max(dva, Math.abs((r.va[i]! * 180) / Math.PI - b.Va));
    }
    expect(dvm).toBeLessThan(1e-6);
    expect(dva).toBeLessThan(1e-5);
  });
});

describe('the case power flow', () => {
  it.each(['case9', 'case14', 'case30', 'case33bw', 'case69', 'case141', 'case118'])(
    '%s converges',
    async (name) => {
      const net = await loadMatpower(join(GRID_CASES_DIR, `${name}.m`));
      const r = solveCasePowerFlow(net);
      expect(r.status).toBe('converged');
      expect(r.iterations).toBeLessThanOrEqual(10);
    },
  );
});
