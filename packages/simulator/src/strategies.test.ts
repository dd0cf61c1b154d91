// The `strategies:` section of a scenario and what strategic participants do differently from their
// twins, without a chain: strategies.yaml loads with every strategy, each paired with a twin sharing its
// device (same physical index, so the same weather and noise) and its bus; each kind of bad entry is an
// InputError naming the file and the field; the orders and readings each strategy changes; how each
// meter's report goes to the chain (meterReport).
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
    expect(strategicOrders(p.a, p.planned, false)).toEqual([]);
    expect(strategicOrders(p.b, p.planned, false)).toEqual(p.planned);
    p = pair('phantom-buyer');
    expect(wh(strategicOrders(p.a, p.planned, false), 'buy')).toBe(wh(p.planned, 'buy') + 2000n);
    p = pair('phantom-seller');
    expect(wh(strategicOrders(p.a, p.planned, false), 'sell')).toBe(wh(p.planned, 'sell') + 2000n);
    p = pair('over-deliver');
    const sold = wh(strategicOrders(p.a, p.planned, false), 'sell');
    expect(sold).toBeGreaterThan(0n);
    expect(sold).toBeLessThanOrEqual(wh(p.planned, 'sell') / 10n + 1n);
    p = pair('default-and-run');
    expect(wh(strategicOrders(p.a, p.planned, false), 'buy')).toBeLessThanOrEqual(
      wh(p.planned, 'buy') / 4n + 1n,
    );
    expect(strategicOrders(p.a, p.planned, true)).toEqual([]);
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
