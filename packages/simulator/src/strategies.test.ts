// The `strategies:` section of a scenario and what strategic participants do differently from their
// twins, without a chain: strategies.yaml loads with every strategy, each paired with a twin sharing its
// device (same physical index, so the same weather and noise) and its bus; each kind of bad entry is an
// InputError naming the file and the field; the orders and readings each strategy changes, every order
// within what the market accepts (its meters' capacity, so no strategy goes unplayed: the phantom buyer's
// 2 kWh once exceeded it every interval), a phantom's step cut to the headroom; how each meter's report
// goes to the chain (meterReport).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@gridledger/base';
import { afterAll, describe, expect, it } from 'vitest';
import { deliver, initialState, planOrders } from './devices.ts';
import { connectionCapacityW } from './meter-capacity.ts';
import { buildPopulation, type SimDevice } from './population.ts';
import { loadScenario } from './scenario.ts';
import { meterReport, readsAlone, reportedReading, stashOf, strategicOrders } from './strategies.ts';
import { STRATEGY_KINDS } from './strategy-schema.ts';

const STRATEGIES = fileURLToPath(new URL('../scenarios/strategies.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gl-strategies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = 'name: t\nnetwork: grid-cases:case33bw_congested.m\nprosumers: { count: 2 }\n';
async function errorOf(strategies: string): Promise<string> {
  const p = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, `${BASE}strategies:\n${strategies}\n`);
  try {
    await loadScenario(p);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return `${(e as InputError).message}\n${(e as InputError).details ?? ''}`;
  }
  throw new Error('loaded, expected an error');
}

const ctx = { seed: '7', interval: 5940132n, startMs: 5940132 * 300_000, minutes: 5 };

describe('strategies in a scenario', () => {
  it('strategies.yaml: every strategy once, each beside a truthful twin with the same device and bus', async () => {
    const s = await loadScenario(STRATEGIES);
    expect(s.strategies.map((x) => x.kind)).toEqual(STRATEGY_KINDS);
    const devices = buildPopulation(s);
    const pairs = devices.filter((d) => d.strategy !== undefined);
    expect(pairs).toHaveLength(2 * STRATEGY_KINDS.length);
    for (let j = 0; j < pairs.length; j += 2) {
      const [a, b] = [pairs[j]!, pairs[j + 1]!];
      expect([a.strategy!.role, b.strategy!.role]).toEqual(['strategic', 'truthful']);
      expect(b.spec).toEqual(a.spec);
      expect(a.account.address).not.toBe(b.account.address);
      expect(a.meterId).not.toBe(b.meterId);
      expect(a.fault).toBe('none');
      // Same device, same draws: what they would meter for the same clearing is the same.
      const c = { boughtWh: 1000n, soldWh: 0n };
      expect(deliver(a.spec, initialState(a.spec, 0), ctx, c)).toEqual(
        deliver(b.spec, initialState(b.spec, 0), ctx, c),
      );
    }
    // --devices N keeps the strategies beside the N devices.
    const s24 = { ...s, devices: 24 };
    expect(buildPopulation(s24)).toHaveLength(24 + 2 * STRATEGY_KINDS.length);
  });

  it('rejects an unknown kind, a bus outside the network, a knob of another kind, bad values and bad device parameters', async () => {
    expect(await errorOf('  - { kind: free-lunch, bus: 3 }')).toMatch(
      /strategies\.0\.kind: expected kind to be one of free-rider, phantom-buyer/,
    );
    expect(await errorOf('  - { kind: free-rider, bus: 99 }')).toMatch(
      /strategies\.0\.bus: bus 99 is not in the network/,
    );
    expect(await errorOf('  - { kind: free-rider, bus: 3, phantomKwh: 2 }')).toMatch(
      /strategies\.0.*phantomKwh/,
    );
    expect(await errorOf('  - { kind: phantom-buyer, bus: 3, phantomKwh: -1 }')).toMatch(
      /strategies\.0\.phantomKwh/,
    );
    expect(await errorOf('  - { kind: over-deliver, bus: 3, soldShare: 1 }')).toMatch(
      /strategies\.0\.soldShare/,
    );
    expect(await errorOf('  - { kind: inflate-reading, bus: 3, inflateFactor: 1 }')).toMatch(
      /strategies\.0\.inflateFactor/,
    );
    expect(await errorOf('  - { kind: default-and-run, bus: 3.5 }')).toMatch(/strategies\.0\.bus/);
    expect(await errorOf('  - { bus: 3 }')).toMatch(/strategies\.0\.kind/);
    expect(await errorOf('  - { kind: phantom-seller, bus: 3, device: { peakKw: -5 } }')).toMatch(
      /strategies\.0\.device \(pv\).*peakKw/,
    );
    // A load's parameter given to a PV strategy.
    expect(await errorOf('  - { kind: inflate-reading, bus: 3, device: { dailyKwh: 5 } }')).toMatch(
      /strategies\.0\.device \(pv\).*dailyKwh/,
    );
  });

  it('changes orders and readings as each strategy says; the twin plays its device as planned', async () => {
    const s = await loadScenario(STRATEGIES);
    const devices = buildPopulation(s);
    const pair = (kind: string) => {
      const [a, b] = devices.filter((d) => d.strategy?.spec.kind === kind) as [SimDevice, SimDevice];
      return { a, b, planned: planOrders(a.spec, initialState(a.spec, 0), ctx) };
    };
    const wh = (os: ReturnType<typeof planOrders>, side: string) =>
      os
        .filter((o) => o.side === side)
        .reduce((x, o) => x + o.steps.reduce((y, st) => y + st.energyWh, 0n), 0n);
    const m = { importedWh: 4000n, exportedWh: 1500n };

    let p = pair('free-rider');
    expect(wh(p.planned, 'buy')).toBeGreaterThan(0n);
    expect(strategicOrders(p.a, p.planned, false, 5)).toEqual([]);
    expect(strategicOrders(p.b, p.planned, false, 5)).toEqual(p.planned);
    // The phantom buyer's 2 kWh on top of its bid would exceed what its 25 kW connection carries in 5
    // minutes (2,083 Wh): it bids up to that. The phantom seller's 40 kW carry 3,333 Wh: its 2 kWh fit.
    p = pair('phantom-buyer');
    expect(wh(p.planned, 'buy') + 2000n).toBeGreaterThan(2083n);
    expect(wh(strategicOrders(p.a, p.planned, false, 5), 'buy')).toBe(2083n);
    p = pair('phantom-seller');
    expect(wh(strategicOrders(p.a, p.planned, false, 5), 'sell')).toBe(wh(p.planned, 'sell') + 2000n);
    p = pair('over-deliver');
    const sold = wh(strategicOrders(p.a, p.planned, false, 5), 'sell');
    expect(sold).toBeGreaterThan(0n);
    expect(sold).toBeLessThanOrEqual(wh(p.planned, 'sell') / 10n + 1n);
    p = pair('default-and-run');
    expect(wh(strategicOrders(p.a, p.planned, false, 5), 'buy')).toBeLessThanOrEqual(
      wh(p.planned, 'buy') / 4n + 1n,
    );
    expect(strategicOrders(p.a, p.planned, true, 5)).toEqual([]);
    expect(stashOf('7', p.a)).toBeDefined();
    expect(stashOf('7', p.b)).toBeUndefined();

    expect(reportedReading(pair('withhold-reading').a, m, 5)).toBeUndefined();
    expect(reportedReading(pair('withhold-reading').b, m, 5)).toEqual(m);
    const inflate = pair('inflate-reading');
    // 3 × its registered 40 kW (twice its 20 kW peak) × 5 min = 10 kWh.
    expect(connectionCapacityW(inflate.a.spec)).toBe(40_000n);
    expect(reportedReading(inflate.a, m, 5)).toEqual({ importedWh: 4000n, exportedWh: 10_000n });
    expect(readsAlone(inflate.a)).toBe(true);
    expect(readsAlone(inflate.b)).toBe(false);
  });

  it("strategies.yaml: each strategic order fits what the market accepts (its meters' capacity), the phantoms above their twins", async () => {
    const s = await loadScenario(STRATEGIES);
    const devices = buildPopulation(s);
    const L = 300_000;
    // The market refuses an owner's orders on one side of an interval beyond Σ capacityW × interval.
    const capWh = (d: SimDevice) => (connectionCapacityW(d.spec) * BigInt(L)) / 3_600_000n;
    const wh = (os: ReturnType<typeof planOrders>, side: string) =>
      os
        .filter((o) => o.side === side)
        .reduce((x, o) => x + o.steps.reduce((y, st) => y + st.energyWh, 0n), 0n);
    // The first hour from the scenario's start (a run orders its intervals after a few of setup).
    for (let j = 0; j < 12; j++) {
      const k = BigInt(s.startMs / L + j);
      const c = { seed: s.seed, interval: k, startMs: Number(k) * L, minutes: 5 };
      for (const d of devices.filter((x) => x.strategy?.role === 'strategic')) {
        const twin = devices.find(
          (x) => x.strategy?.role === 'truthful' && x.strategy.spec === d.strategy!.spec,
        )!;
        const planned = planOrders(d.spec, initialState(d.spec, 0), c);
        expect(planOrders(twin.spec, initialState(twin.spec, 0), c)).toEqual(planned);
        const orders = strategicOrders(d, planned, false, 5);
        const what = `${d.strategy!.spec.kind} in interval ${k}`;
        for (const side of ['buy', 'sell'])
          expect(wh(orders, side), `${what}, ${side}`).toBeLessThanOrEqual(capWh(d));
        if (d.strategy!.spec.kind === 'phantom-buyer') {
          // Up to 2 kWh more than the twin, as much as the connection carries.
          const want = wh(planned, 'buy') + 2000n < capWh(d) ? wh(planned, 'buy') + 2000n : capWh(d);
          expect(wh(orders, 'buy'), what).toBe(want);
          expect(wh(orders, 'buy'), what).toBeGreaterThan(wh(planned, 'buy') + 1000n);
        }
        if (d.strategy!.spec.kind === 'phantom-seller')
          expect(wh(orders, 'sell'), what).toBe(wh(planned, 'sell') + 2000n);
      }
    }
  });

  it('a phantom order is cut to the headroom its meters leave, and left out when there is none', async () => {
    const devices = buildPopulation(await loadScenario(STRATEGIES));
    const a = devices.find(
      (d) => d.strategy?.spec.kind === 'phantom-buyer' && d.strategy.role === 'strategic',
    )!;
    const huge: SimDevice = {
      ...a,
      strategy: { ...a.strategy!, spec: { ...a.strategy!.spec, phantomWh: 10_000_000 } },
    };
    const price = 300_000_000n;
    const bid = (energyWh: bigint) => [
      { side: 'buy' as const, steps: [{ energyWh, priceMicrosPerMWh: price }] },
    ];
    // 25 kW over 5 minutes: 2,083 Wh; over 15 minutes: 6,250 Wh.
    expect(strategicOrders(huge, bid(100n), false, 5)).toEqual([
      {
        side: 'buy',
        steps: [
          { energyWh: 100n, priceMicrosPerMWh: price },
          { energyWh: 1983n, priceMicrosPerMWh: price },
        ],
      },
    ]);
    expect(strategicOrders(huge, [], false, 15)).toEqual(bid(6250n));
    expect(strategicOrders(huge, bid(2083n), false, 5)).toEqual(bid(2083n));
    expect(strategicOrders(huge, bid(3000n), false, 5)).toEqual(bid(3000n));
    expect(strategicOrders(a, [], false, 5)).toEqual(bid(2000n));
  });

  it('meterReport: the report, its key and its route, for each strategy and meter fault (both drivers send these)', async () => {
    const devices = buildPopulation(await loadScenario(STRATEGIES));
    const of = (kind: string, role: string) =>
      devices.find((d) => d.strategy?.spec.kind === kind && d.strategy.role === role)!;
    const m = { importedWh: 4000n, exportedWh: 1500n };
    const twin = of('inflate-reading', 'truthful');
    expect(meterReport(twin, m, 5)).toEqual({ metered: m, key: twin.meterKey, route: 'batch' });
    expect(meterReport(of('withhold-reading', 'strategic'), m, 5)).toBeUndefined();
    expect(meterReport(of('inflate-reading', 'strategic'), m, 5)).toMatchObject({
      metered: { importedWh: 4000n, exportedWh: 10_000n },
      route: 'alone',
    });
    // Meter faults, on the twin's device: a missing meter sends nothing, a faulty one signs with the wrong
    // key and goes alone, a late one goes after the deadline.
    const wrongKey = of('free-rider', 'truthful').meterKey;
    expect(meterReport({ ...twin, fault: 'missing' }, m, 5)).toBeUndefined();
    expect(meterReport({ ...twin, fault: 'faulty', wrongKey }, m, 5)).toEqual({
      metered: m,
      key: wrongKey,
      route: 'alone',
    });
    expect(meterReport({ ...twin, fault: 'late' }, m, 5)?.route).toBe('late');
  });
});
