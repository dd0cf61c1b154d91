// The default scenario congests from its first intervals: the devices' orders for the first hour from
// 11:00, cleared off-chain like the chain does (orders, then the upstream offer and bid), fill line 15-16
// to its 0.2 MW limit in the export direction, and prices behind it (buses 16-18) are below the rest.
import { microsPerMWhToDollars as priceToDollars, whToMw } from '@gridledger/base';
import { clearIntervalAc, networkFromJson, networkToJson } from '@gridledger/energy';
import { clearNetwork, type Order } from '@gridledger/market';
import { describe, expect, it } from 'vitest';
import { initialState, planOrders } from './devices.ts';
import { scenarioGenesis } from './genesis.ts';
import { loadScenario } from './scenario.ts';

describe('default scenario', () => {
  it('binds line 15-16 and splits prices from the first interval at 11:00', async () => {
    const s = await loadScenario();
    const g = scenarioGenesis(s, { genesisTimeMs: 1_790_000_000_000n });
    expect(g.extraAccounts).toHaveLength(g.devices.length);
    expect(g.energy.clock?.scale).toBe(30n);
    const L = g.energy.intervalMs;
    const first = BigInt(s.startMs) / L;
    const network = networkFromJson(networkToJson(s.network));
    const up = g.energy.upstream;
    for (let k = first; k < first + 12n; k += 4n) {
      const ctx = { seed: s.seed, interval: k, startMs: Number(k * L), minutes: s.intervalMinutes };
      const orders: Order[] = [];
      g.devices.forEach((d, i) => {
        for (const [j, o] of planOrders(d.spec, initialState(d.spec, 75e6), ctx).entries())
          orders.push({
            id: `d${i}-${j}`,
            bus: d.spec.bus,
            side: o.side,
            steps: o.steps.map((x) => ({
              price: priceToDollars(x.priceMicrosPerMWh),
              quantity: whToMw(x.energyWh, 5),
            })),
          });
      });
      orders.push(
        {
          id: 'up-sell',
          bus: up.bus,
          side: 'sell',
          steps: [{ price: 120, quantity: whToMw(up.capacityWh, 5) }],
        },
        {
          id: 'up-buy',
          bus: up.bus,
          side: 'buy',
          steps: [{ price: 30, quantity: whToMw(up.capacityWh, 5) }],
        },
      );
      const r = await clearNetwork(network, orders);
      expect(r.status).toBe('optimal');
      const line = r.branches.find((b) => b.index === 15)!; // 1-based row: 15-16
      expect(Math.abs(line.flowMw)).toBeCloseTo(0.2, 6);
      const lmp = new Map(r.buses.map((b) => [b.id, b.lmp]));
      for (const behind of [16, 17, 18]) expect(lmp.get(behind)!).toBeLessThan(lmp.get(15)! - 1);
      expect(lmp.get(1)).toBeCloseTo(30, 6);
    }
  });

  it("with pricing: 'ac' the first interval clears with the AC-OPF: prices change along the feeder, the line still binds", async () => {
    const s = { ...(await loadScenario()), pricing: 'ac' as const };
    const g = scenarioGenesis(s, { genesisTimeMs: 1_790_000_000_000n });
    expect(g.energy.pricing).toBe('ac');
    const L = g.energy.intervalMs;
    const k = BigInt(s.startMs) / L;
    const ctx = { seed: s.seed, interval: k, startMs: Number(k * L), minutes: s.intervalMinutes };
    const orders: Order[] = [];
    g.devices.forEach((d, i) => {
      for (const [j, o] of planOrders(d.spec, initialState(d.spec, 75e6), ctx).entries())
        orders.push({
          id: `d${i}-${j}`,
          bus: d.spec.bus,
          side: o.side,
          steps: o.steps.map((x) => ({
            price: priceToDollars(x.priceMicrosPerMWh),
            quantity: whToMw(x.energyWh, 5),
          })),
        });
    });
    const up = g.energy.upstream;
    const capMw = whToMw(up.capacityWh, 5);
    orders.push(
      { id: 'up-sell', bus: up.bus, side: 'sell', steps: [{ price: 120, quantity: capMw }] },
      { id: 'up-buy', bus: up.bus, side: 'buy', steps: [{ price: 30, quantity: capMw }] },
    );
    const network = networkFromJson(networkToJson(s.network, { ac: true }));
    const c0 = process.cpuUsage();
    const r = await clearIntervalAc(network, orders, g.energy);
    const cpu = process.cpuUsage(c0);
    process.stderr.write(
      `default scenario, AC clearing of the first interval (${orders.length} orders): ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU\n`,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const lmp = new Map(r.result.buses.map((b) => [b.id, b.lmp]));
    // At 11:00 the feeder exports (the upstream buys at 30 $/MWh at bus 1): with losses, power injected
    // farther out is worth less, so the prices fall along the main feeder away from the substation ...
    expect(lmp.get(1)).toBeCloseTo(30, 6);
    const path = [1, 2, 3, 6, 9];
    for (let i = 1; i < path.length; i++) expect(lmp.get(path[i]!)!).toBeLessThan(lmp.get(path[i - 1]!)!);
    // ... and the congested line still splits them.
    for (const behind of [16, 17, 18]) expect(lmp.get(behind)!).toBeLessThan(lmp.get(15)! - 1);
  });
});
