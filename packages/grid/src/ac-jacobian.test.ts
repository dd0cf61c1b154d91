import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAcModel, checkAcNetwork } from './ac-admittance.ts';
import { branchEnd } from './ac-branch-flow.ts';
import {
  allocateFactor,
  assembleJacobian,
  buildJacobianPattern,
  busInjections,
  factorJacobian,
  solveJacobian,
  solveJacobianTransposed,
  voltageParts,
} from './ac-jacobian.ts';
import { solveCasePowerFlow } from './ac-powerflow.ts';
import { GRID_CASES_DIR } from './cases-dir.ts';
import { loadMatpower } from './matpower.ts';
import type { Network } from './network.ts';

/** A deterministic perturbed voltage point. */
function point(n: number, seed: number) {
  const vm = new Float64Array(n);
  const va = new Float64Array(n);
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let i = 0; i < n; i++) {
    vm[i] = 0.95 + 0.1 * rnd();
    va[i] = 0.2 * (rnd() - 0.5);
  }
  return { vm, va };
}

function injections(model: ReturnType<typeof buildAcModel>, vm: Float64Array, va: Float64Array) {
  const n = model.nBus;
  const e = new Float64Array(n);
  const f = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  voltageParts(vm, va, e, f);
  busInjections(model, e, f, p, q);
  return { e, f, p, q };
}

describe('AC Jacobian', () => {
  it.each(['case9', 'case30', 'case118', 'case69'])('%s: equals central finite differences', async (name) => {
    const net = await loadMatpower(join(GRID_CASES_DIR, `${name}.m`));
    const model = buildAcModel(net);
    const n = model.nBus;
    const { vm, va } = point(n, 7);
    const { e, f, p, q } = injections(model, vm, va);
    const pattern = buildJacobianPattern(model);
    const fac = allocateFactor(pattern);
    assembleJacobian(model, fac, vm, e, f, p, q);
    expect(factorJacobian(fac)).toBe(true);
    // For each state column c, the finite-difference column d = dF/dx_c must satisfy J^-1 d = e_c.
    const h = 1e-6;
    let worst = 0;
    for (let c = 0; c < 2 * n; c++) {
      const bus = c >> 1;
      if (bus === model.ref) continue;
      const vp = Float64Array.from(vm);
      const ap = Float64Array.from(va);
      const vn = Float64Array.from(vm);
      const an = Float64Array.from(va);
      if (c & 1) {
        vp[bus]! += h;
        vn[bus]! -= h;
      } else {
        ap[bus]! += h;
        an[bus]! -= h;
      }
      const plus = injections(model, vp, ap);
      const minus = injections(model, vn, an);
      const col = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        if (i === model.ref) continue;
        col[2 * i] = (plus.p[i]! - minus.p[i]!) / (2 * h);
        col[2 * i + 1] = (plus.q[i]! - minus.q[i]!) / (2 * h);
      }
      const x = solveJacobian(fac, col);
      for (let k = 0; k < 2 * n; k++) {
        if (k >> 1 === model.ref) continue;
        worst = Math.max(worst, Math.abs(x[k]! - (k === c ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('transposed solve is the adjoint of the forward solve', async () => {
    const net = await loadMatpower(join(GRID_CASES_DIR, 'case30.m'));
    const model = buildAcModel(net);
    const { vm, va } = point(model.nBus, 3);
    const { e, f, p, q } = injections(model, vm, va);
    const fac = allocateFactor(buildJacobianPattern(model));
    assembleJacobian(model, fac, vm, e, f, p, q);
    factorJacobian(fac);
    const a = new Float64Array(2 * model.nBus).map((_, k) => Math.cos(k));
    const b = new Float64Array(2 * model.nBus).map((_, k) => Math.sin(3 * k));
    a[2 * model.ref] = a[2 * model.ref + 1] = b[2 * model.ref] = b[2 * model.ref + 1] = 0;
    const x = solveJacobian(fac, a);
    const y = solveJacobianTransposed(fac, b);
    let l = 0;
    let r = 0;
    for (let k = 0; k < a.length; k++) {
      l += b[k]! * x[k]!;
      r += y[k]! * a[k]!;
    }
    expect(Math.abs(l - r)).toBeLessThan(1e-9 * Math.max(1, Math.abs(l)));
  });

  it('branch-end gradients equal finite differences', async () => {
    const net = await loadMatpower(join(GRID_CASES_DIR, 'case30.m'));
    const model = buildAcModel(net);
    const { vm, va } = point(model.nBus, 11);
    const h = 1e-6;
    const g = new Float64Array(12);
    const gp = new Float64Array(12);
    const gm = new Float64Array(12);
    let worst = 0;
    for (let l = 0; l < model.branchRows.length; l++) {
      for (const end of [0, 1]) {
        const { e, f } = injections(model, vm, va);
        branchEnd(model, l, end, vm, e, f, g);
        const i = end === 0 ? model.brFrom[l]! : model.brTo[l]!;
        const k = end === 0 ? model.brTo[l]! : model.brFrom[l]!;
        const vars: [Float64Array, number][] = [
          [va, i],
          [va, k],
          [vm, i],
          [vm, k],
        ];
        vars.forEach(([arr, bus], v) => {
          const old = arr[bus]!;
          arr[bus] = old + h;
          const P = injections(model, vm, va);
          branchEnd(model, l, end, vm, P.e, P.f, gp);
          arr[bus] = old - h;
          const M = injections(model, vm, va);
          branchEnd(model, l, end, vm, M.e, M.f, gm);
          arr[bus] = old;
          worst = Math.max(worst, Math.abs((gp[0]! - gm[0]!) / (2 * h) - g[2 + v]!));
          worst = Math.max(worst, Math.abs((gp[1]! - gm[1]!) / (2 * h) - g[6 + v]!));
        });
      }
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('gives the same bits on repeated solves', async () => {
    const net = await loadMatpower(join(GRID_CASES_DIR, 'case118.m'));
    const a = solveCasePowerFlow(net);
    const b = solveCasePowerFlow(net);
    expect('vm' in a && 'vm' in b).toBe(true);
    if ('vm' in a && 'vm' in b) {
      expect(Buffer.from(a.vm.buffer).equals(Buffer.from(b.vm.buffer))).toBe(true);
      expect(Buffer.from(a.va.buffer).equals(Buffer.from(b.va.buffer))).toBe(true);
    }
  });
});

describe('bad networks', () => {
  const tiny = (): Network => ({
    name: 'tiny',
    baseMVA: 100,
    buses: [1, 2, 3].map((id) => ({
      id,
      type: id === 1 ? 3 : 1,
      pdMw: id === 1 ? 0 : 10,
      qdMvar: 2,
      gsMw: 0,
      bsMvar: 0,
      area: 1,
      vmPu: 1,
      vaDeg: 0,
      baseKv: 12,
      zone: 1,
      vmaxPu: 1.1,
      vminPu: 0.9,
    })),
    generators: [],
    branches: [
      {
        index: 1,
        from: 1,
        to: 2,
        rPu: 0.01,
        xPu: 0.05,
        bPu: 0,
        rateAMw: 0,
        rateBMw: 0,
        rateCMw: 0,
        tap: 0,
        shiftDeg: 0,
        status: 1,
        angminDeg: -360,
        angmaxDeg: 360,
      },
      {
        index: 2,
        from: 2,
        to: 3,
        rPu: 0.01,
        xPu: 0.05,
        bPu: 0,
        rateAMw: 0,
        rateBMw: 0,
        rateCMw: 0,
        tap: 0,
        shiftDeg: 0,
        status: 1,
        angminDeg: -360,
        angmaxDeg: 360,
      },
    ],
    extra: {},
  });
  it('no reference bus', () => {
    const net = tiny();
    net.buses[0]!.type = 2;
    expect(checkAcNetwork(net)).toMatch(/no reference bus/);
    const r = solveCasePowerFlow(net);
    expect(r.status).toBe('invalid-network');
  });
  it('islanded buses', () => {
    const net = tiny();
    net.branches[1]!.status = 0;
    const r = solveCasePowerFlow(net);
    expect(r.status).toBe('invalid-network');
    expect(r.reason).toMatch(/not connected to the reference bus 1: 3/);
  });
  it('a load too heavy to serve does not converge and says so', () => {
    const net = tiny();
    net.buses[2]!.pdMw = 5000;
    const r = solveCasePowerFlow(net);
    expect(r.status).toBe('not-converged');
    expect(r.reason).toMatch(/diverged|no convergence/);
  });
  it('converges on the small feeder', () => {
    const r = solveCasePowerFlow(tiny());
    expect(r.status).toBe('converged');
  });
});
