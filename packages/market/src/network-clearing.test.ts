import { fileURLToPath } from 'node:url';
import { InputError } from '@gridledger/base';
import type { Branch } from '@gridledger/grid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyCertificate } from './certificate.ts';
import { clearNetwork } from './network-clearing.ts';
import { branch, bus, gen, network } from './test-networks.ts';
import type { Order } from './types.ts';

const order = (id: string, at: number, side: 'buy' | 'sell', price: number, quantity: number): Order => ({
  id,
  bus: at,
  side,
  steps: [{ price, quantity }],
});

describe('clearNetwork', () => {
  it('clears a pure order book on one bus at the marginal price', async () => {
    const net = network([bus(1, 0, 3)], []);
    const r = await clearNetwork(net, [
      order('b1', 1, 'buy', 50, 10),
      order('b2', 1, 'buy', 30, 10),
      order('s1', 1, 'sell', 20, 15),
      order('s2', 1, 'sell', 40, 10),
    ]);
    expect(r.status).toBe('optimal');
    expect(r.orders.map((o) => o.cleared)).toEqual([10, 5, 15, 0].map((v) => expect.closeTo(v, 9)));
    // b2 is marginal (partly cleared): the price is its bid.
    expect(r.buses[0]!.lmp).toBeCloseTo(30, 9);
    expect(r.welfare).toBeCloseTo(50 * 10 + 30 * 5 - 20 * 15, 9);
    expect(r.congestionRent).toBeCloseTo(0, 9);
    expect(verifyCertificate(r.certificate).ok).toBe(true);
  });

  it('separates prices across a binding line and collects the congestion rent', async () => {
    const net = network([bus(1, 0, 3), bus(2)], [branch(1, 1, 2, 0.1, 5)]);
    const r = await clearNetwork(net, [order('s', 1, 'sell', 10, 20), order('b', 2, 'buy', 60, 20)]);
    expect(r.orders[0]!.cleared).toBeCloseTo(5, 9);
    expect(r.orders[1]!.cleared).toBeCloseTo(5, 9);
    expect(r.buses[0]!.lmp).toBeCloseTo(10, 9);
    expect(r.buses[1]!.lmp).toBeCloseTo(60, 9);
    expect(r.buses[1]!.lmpEnergy).toBeCloseTo(10, 9);
    expect(r.buses[1]!.lmpCongestion).toBeCloseTo(50, 9);
    expect(r.branches[0]!.flowMw).toBeCloseTo(5, 9);
    expect(r.branches[0]!.muFrom).toBeCloseTo(50, 9);
    expect(r.branches[0]!.muTo).toBe(0);
    expect(r.congestionRent).toBeCloseTo(50 * 5, 6);
  });

  it('lets the case generators offer at their cost and serves the case loads', async () => {
    const net = network([bus(1, 0, 3), bus(2, 30)], [branch(1, 1, 2, 0.1, 100)], [gen(1, 1, 100, 25)]);
    const r = await clearNetwork(net, [order('b', 2, 'buy', 40, 10), order('s', 2, 'sell', 35, 10)]);
    expect(r.status).toBe('optimal');
    expect(r.generatorsMw[0]).toBeCloseTo(40, 9);
    expect(r.orders[0]!.cleared).toBeCloseTo(10, 9);
    expect(r.orders[1]!.cleared).toBeCloseTo(0, 9);
    expect(r.buses.every((b) => Math.abs(b.lmp - 25) < 1e-9)).toBe(true);
    expect(r.welfare).toBeCloseTo(40 * 10 - 25 * 40, 6);
  });

  it('reports an infeasible network as a value', async () => {
    const net = network([bus(1, 0, 3), bus(2, 30)], [branch(1, 1, 2, 0.1, 10)], [gen(1, 1, 100, 25)]);
    const r = await clearNetwork(net, []);
    expect(r.status).toBe('infeasible');
    expect(r.reason).toMatch(/infeasible/);
  });

  it('rejects orders at unknown buses and bad numbers', async () => {
    const net = network([bus(1, 0, 3)], []);
    await expect(clearNetwork(net, [order('x', 9, 'buy', 1, 1)])).rejects.toThrow(InputError);
    await expect(clearNetwork(net, [order('x', 9, 'buy', 1, 1)])).rejects.toThrow(/order "x": bus 9/);
    await expect(clearNetwork(net, [order('x', 1, 'buy', 1, -1)])).rejects.toThrow(/quantity >= 0/);
    await expect(clearNetwork(net, [order('x', 1, 'buy', Number.NaN, 1)])).rejects.toThrow(/finite price/);
  });
});

/** A random connected network (a tree plus extra lines) with random orders. */
const scenario = fc
  .record({
    nBus: fc.integer({ min: 2, max: 6 }),
    extra: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 5, max: 50 })), { maxLength: 3 }),
    tree: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 5, max: 50 }), fc.integer({ min: 1, max: 60 })), {
      minLength: 5,
      maxLength: 5,
    }),
    orders: fc.array(
      fc.record({
        bus: fc.nat(),
        side: fc.constantFrom('buy' as const, 'sell' as const),
        steps: fc.array(
          fc.record({ price: fc.integer({ min: 1, max: 100 }), quantity: fc.integer({ min: 1, max: 40 }) }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      { minLength: 1, maxLength: 12 },
    ),
  })
  .map(({ nBus, extra, tree, orders }) => {
    const buses = Array.from({ length: nBus }, (_, i) => bus(i + 1, 0, i === 0 ? 3 : 1));
    const branches: Branch[] = [];
    for (let i = 1; i < nBus; i++) {
      const [p, x, rate] = tree[i - 1]!;
      branches.push(branch(branches.length + 1, (p % i) + 1, i + 1, x / 100, rate));
    }
    for (const [a, b, x] of extra) {
      const f = (a % nBus) + 1;
      const t = (b % nBus) + 1;
      if (f !== t) branches.push(branch(branches.length + 1, f, t, x / 100, 0));
    }
    const os: Order[] = orders.map((o, k) => ({
      id: `o${k}`,
      bus: (o.bus % nBus) + 1,
      side: o.side,
      steps: o.steps,
    }));
    return { net: network(buses, branches), orders: os };
  });

describe('clearNetwork properties on random networks and books', () => {
  it('balances power, respects limits and bids, collects non-negative rent, certifies', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ net, orders }) => {
        const r = await clearNetwork(net, orders);
        expect(r.status).toBe('optimal');
        const tol = 1e-6;
        let sold = 0;
        let bought = 0;
        const lmp = new Map(r.buses.map((b) => [b.id, b.lmp]));
        for (const o of r.orders) {
          const src = orders.find((x) => x.id === o.id)!;
          if (o.side === 'sell') sold += o.cleared;
          else bought += o.cleared;
          src.steps.forEach((s, j) => {
            const q = o.clearedSteps[j]!;
            expect(q).toBeGreaterThanOrEqual(-tol);
            expect(q).toBeLessThanOrEqual(s.quantity + tol);
            if (q > 1e-6 && o.side === 'buy') expect(lmp.get(o.bus)!).toBeLessThanOrEqual(s.price + tol);
            if (q > 1e-6 && o.side === 'sell') expect(lmp.get(o.bus)!).toBeGreaterThanOrEqual(s.price - tol);
          });
        }
        expect(Math.abs(sold - bought)).toBeLessThan(tol);
        for (const b of r.branches) {
          const rate = net.branches[b.index - 1]!.rateAMw;
          if (rate > 0) expect(Math.abs(b.flowMw)).toBeLessThanOrEqual(rate + tol);
        }
        expect(r.congestionRent).toBeGreaterThanOrEqual(-tol);
        const binding = r.branches.some((b) => b.muFrom > 1e-7 || b.muTo > 1e-7);
        if (!binding) {
          const ps = r.buses.map((b) => b.lmp);
          expect(Math.max(...ps) - Math.min(...ps)).toBeLessThan(1e-6);
        }
        expect(verifyCertificate(r.certificate).ok).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('clearNetwork with many steps and quadratic costs (step screening)', () => {
  it('gives the same optimum as the unscreened QP and a certificate over every step', async () => {
    const { loadMatpower } = await import('@gridledger/grid');
    const net = await loadMatpower(
      fileURLToPath(new URL('../../../../shared/grid-cases/case30_congested.m', import.meta.url)),
    );
    const rnd = (() => {
      let a = 12345;
      return () => {
        a = (a * 1103515245 + 12345) % 2147483648;
        return a / 2147483648;
      };
    })();
    const orders: Order[] = Array.from({ length: 150 }, (_, k) => ({
      id: `o${k}`,
      bus: net.buses[Math.floor(rnd() * net.buses.length)]!.id,
      side: rnd() < 0.5 ? 'buy' : 'sell',
      steps: [
        { price: Math.round(rnd() * 600) / 100, quantity: Math.round(rnd() * 300) / 100 },
        { price: Math.round(rnd() * 600) / 100, quantity: Math.round(rnd() * 300) / 100 },
      ],
    }));
    const screened = await clearNetwork(net, orders, { screenAboveSteps: 10 });
    const coarse = await clearNetwork(net, orders, { screenAboveSteps: 10, coarseAboveSteps: 10 });
    const plain = await clearNetwork(net, orders, { screenAboveSteps: Number.POSITIVE_INFINITY });
    expect(screened.status).toBe('optimal');
    expect(plain.status).toBe('optimal');
    expect(Math.abs(screened.welfare - plain.welfare)).toBeLessThan(
      1e-6 * Math.max(1, Math.abs(plain.welfare)),
    );
    screened.buses.forEach((b, k) => {
      expect(Math.abs(b.lmp - plain.buses[k]!.lmp)).toBeLessThan(1e-5);
    });
    expect(Math.abs(coarse.welfare - plain.welfare)).toBeLessThan(
      1e-6 * Math.max(1, Math.abs(plain.welfare)),
    );
    coarse.buses.forEach((b, k) => {
      expect(Math.abs(b.lmp - plain.buses[k]!.lmp)).toBeLessThan(1e-5);
    });
    expect(verifyCertificate(coarse.certificate).ok).toBe(true);
    const check = verifyCertificate(screened.certificate);
    expect(check.failures).toEqual([]);
    expect(screened.certificate.x.length).toBe(plain.certificate.x.length);
  });
});

describe('clearNetwork with many steps and linear costs (step screening of an LP)', () => {
  it('reaches the optimal welfare of the unscreened LP with a certificate over every step', async () => {
    const { loadMatpower } = await import('@gridledger/grid');
    const net = await loadMatpower(
      fileURLToPath(new URL('../../../../shared/grid-cases/case5.m', import.meta.url)),
    );
    let a = 99;
    const rnd = () => {
      a = (a * 1103515245 + 12345) % 2147483648;
      return a / 2147483648;
    };
    const orders: Order[] = Array.from({ length: 300 }, (_, k) => ({
      id: `o${k}`,
      bus: net.buses[Math.floor(rnd() * net.buses.length)]!.id,
      side: rnd() < 0.5 ? 'buy' : 'sell',
      steps: [{ price: Math.round(rnd() * 5000) / 100, quantity: Math.round(rnd() * 500) / 100 }],
    }));
    const plain = await clearNetwork(net, orders, { screenAboveSteps: Number.POSITIVE_INFINITY });
    for (const opts of [{ screenAboveSteps: 10 }, { screenAboveSteps: 10, coarseAboveSteps: 10 }]) {
      const r = await clearNetwork(net, orders, opts);
      expect(r.status).toBe('optimal');
      expect(Math.abs(r.welfare - plain.welfare)).toBeLessThan(1e-7 * Math.max(1, Math.abs(plain.welfare)));
      expect(verifyCertificate(r.certificate).failures).toEqual([]);
    }
  });
});
