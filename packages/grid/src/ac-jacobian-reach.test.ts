import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAcModel } from './ac-admittance.ts';
import {
  allocateFactor,
  assembleJacobian,
  buildJacobianPattern,
  busInjections,
  factorJacobian,
  solveJacobian,
  voltageParts,
} from './ac-jacobian.ts';
import { eliminationRoots, solveJacobianOn, solveSupport } from './ac-jacobian-reach.ts';
import { GRID_CASES_DIR } from './cases-dir.ts';
import { loadMatpower } from './matpower.ts';
import type { Network } from './network.ts';

/** `copies` copies of a feeder hung off one substation bus (bus ids c*1000 + id). */
function multiFeeder(src: Network, copies: number): Network {
  const net: Network = {
    name: 'multi',
    baseMVA: src.baseMVA,
    buses: [{ ...src.buses[0]!, id: 1, type: 3 }],
    generators: [{ ...src.generators[0]!, bus: 1 }],
    branches: [],
    extra: {},
  };
  for (let c = 1; c <= copies; c++) {
    for (const b of src.buses) net.buses.push({ ...b, id: c * 1000 + b.id, type: 1 });
    net.branches.push({ ...src.branches[0]!, index: net.branches.length + 1, from: 1, to: c * 1000 + 1 });
    for (const br of src.branches)
      net.branches.push({
        ...br,
        index: net.branches.length + 1,
        from: c * 1000 + br.from,
        to: c * 1000 + br.to,
      });
  }
  return net;
}

async function factored(net: Network) {
  const model = buildAcModel(net);
  const n = model.nBus;
  const vm = new Float64Array(n);
  const va = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    vm[i] = 0.97 + 0.0003 * (i % 97);
    va[i] = -0.001 * (i % 31);
  }
  const e = new Float64Array(n);
  const f = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  voltageParts(vm, va, e, f);
  busInjections(model, e, f, p, q);
  const fac = allocateFactor(buildJacobianPattern(model));
  assembleJacobian(model, fac, vm, e, f, p, q);
  expect(factorJacobian(fac)).toBe(true);
  return { model, fac };
}

describe('sparse Jacobian solves', () => {
  it.each([
    ['case118 (meshed, one tree)', 'case118', 1],
    ['three copies of case33bw under one substation', 'case33bw', 3],
  ])(
    '%s: solves on the support equal the full solve bit for bit, zero elsewhere',
    async (_, name, copies) => {
      const src = await loadMatpower(join(GRID_CASES_DIR, `${name}.m`));
      const net = copies === 1 ? src : multiFeeder(src, copies);
      const { model, fac } = await factored(net);
      const n = model.nBus;
      const roots = eliminationRoots(fac.pattern);
      const work = new Float64Array(2 * fac.pattern.nBlocks);
      for (let j = 0; j < n; j++) {
        if (j === model.ref) continue;
        const sup = solveSupport(model, fac.pattern, roots, [j]);
        expect(sup.buses.length).toBe(copies === 1 ? n - 1 : (n - 1) / copies);
        for (let part = 0; part < 2; part++) {
          const b = new Float64Array(2 * n);
          b[2 * j + part] = 1;
          const dense = solveJacobian(fac, b);
          const sparse = new Float64Array(2 * n);
          solveJacobianOn(fac, sup, b, sparse, work);
          for (let t = 0; t < 2 * n; t++) expect(sparse[t] === dense[t]).toBe(true);
          expect(work.every((v) => v === 0)).toBe(true);
        }
      }
    },
  );
});
