// Bad input to the AC-OPF returns a clear status and changes nothing: islanded buses, no reference bus,
// voltage limits no dispatch can meet (reported infeasible, not priced), no convergence, orders at
// unknown buses; clearing rejects malformed orders as misuse.
import { join } from 'node:path';
import { loadMatpower, type Network } from '@gridledger/grid';
import { describe, expect, it } from 'vitest';
import { clearNetworkAc } from '../src/ac-clearing.ts';
import { solveAcOpf } from '../src/ac-opf.ts';
import { GRID_CASES } from './cases.ts';

const load = (name: string) => loadMatpower(join(GRID_CASES, `${name}.m`));

describe('AC-OPF bad input', () => {
  it('islanded buses: invalid-network, naming them, the network untouched', async () => {
    const net = await load('case33bw');
    net.branches.find((b) => b.from === 32 && b.to === 33)!.status = 0;
    const before = JSON.stringify(net);
    const r = await solveAcOpf(net);
    expect(r.status).toBe('invalid-network');
    expect(r.reason).toMatch(/not connected to the reference bus 1: 33/);
    expect(r.buses).toEqual([]);
    expect(JSON.stringify(net)).toBe(before);
  });
  it('no reference bus', async () => {
    const net = await load('case9');
    for (const b of net.buses) if (b.type === 3) b.type = 2;
    const r = await solveAcOpf(net);
    expect(r.status).toBe('invalid-network');
    expect(r.reason).toMatch(/no reference bus/);
  });
  it('voltage limits no dispatch can meet: infeasible, no prices published', async () => {
    const net = await load('case33bw');
    for (const b of net.buses) if (b.type !== 3) b.vminPu = 0.97;
    const r = await solveAcOpf(net);
    expect(r.status).toBe('infeasible');
    expect(r.reason).toMatch(/cannot all be met/);
    expect(r.buses.every((b) => Number.isNaN(b.lmp))).toBe(true);
  });
  it('no convergence within the iteration limit', async () => {
    const r = await solveAcOpf(await load('case30'), { maxIterations: 2 });
    expect(r.status).toBe('not-converged');
    expect(r.reason).toMatch(/no convergence in 2 iterations/);
    expect(Number.isNaN(r.objective)).toBe(true);
  });
  it('a load the feeder cannot carry: the power flow fails with a status', async () => {
    const net: Network = await load('case33bw');
    net.buses.find((b) => b.id === 18)!.pdMw = 500;
    const r = await solveAcOpf(net);
    expect(['not-converged', 'infeasible']).toContain(r.status);
    expect(r.reason).toBeTruthy();
  });
  it('costs above degree 2 and missing costs', async () => {
    const net = await load('case9');
    net.generators[0]!.cost = { model: 'polynomial', startup: 0, shutdown: 0, coefficients: [1, 1, 1, 1] };
    expect((await solveAcOpf(net)).reason).toMatch(/above degree 2/);
    delete net.generators[0]!.cost;
    expect((await solveAcOpf(net)).reason).toMatch(/has no cost/);
  });
  it('clearing: orders at unknown buses give a status, malformed orders throw', async () => {
    const net = await load('case33bw');
    const r = await clearNetworkAc(net, [
      { id: 'x', bus: 99, side: 'buy', steps: [{ price: 30, quantity: 0.1 }] },
    ]);
    expect(r.status).toBe('invalid-network');
    expect(r.reason).toMatch(/bus 99/);
    await expect(
      clearNetworkAc(net, [{ id: 'y', bus: 18, side: 'buy', steps: [{ price: 30, quantity: -1 }] }]),
    ).rejects.toThrow(/quantity >= 0/);
  });
});

describe('AC clearing', () => {
  it('clears bids and offers on the feeder at their buses, prices by bus', async () => {
    const net = await load('case33bw');
    const r = await clearNetworkAc(net, [
      { id: 'pv18', bus: 18, side: 'sell', steps: [{ price: 5, quantity: 0.3 }] },
      {
        id: 'ev33',
        bus: 33,
        side: 'buy',
        steps: [
          { price: 40, quantity: 0.2 },
          { price: 10, quantity: 0.2 },
        ],
      },
    ]);
    expect(r.status).toBe('optimal');
    const [pv, ev] = r.orders;
    expect(pv!.cleared).toBeCloseTo(0.3, 6);
    expect(ev!.clearedSteps[0]).toBeCloseTo(0.2, 6);
    expect(ev!.clearedSteps[1]).toBeCloseTo(0, 6);
    expect(pv!.price).toBeLessThan(ev!.price);
    expect(r.welfare).toBeGreaterThan(-100);
    expect(r.surplus).toBeGreaterThan(0);
    const again = await clearNetworkAc(net, [
      { id: 'pv18', bus: 18, side: 'sell', steps: [{ price: 5, quantity: 0.3 }] },
      {
        id: 'ev33',
        bus: 33,
        side: 'buy',
        steps: [
          { price: 40, quantity: 0.2 },
          { price: 10, quantity: 0.2 },
        ],
      },
    ]);
    expect(again.buses.map((b) => b.lmp)).toEqual(r.buses.map((b) => b.lmp));
  });
});
