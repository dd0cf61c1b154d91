// Scenario files: the default loads with its documented values; each kind of bad input gives an
// InputError naming the file, the field and what was expected.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { InputError } from '@gridledger/base';
import { afterAll, describe, expect, it } from 'vitest';
import { evmDeployConfig } from './evm-run.ts';
import { scenarioGenesis } from './genesis.ts';
import { buildPopulation, countByKind } from './population.ts';
import {
  DEFAULT_SCENARIO_PATH,
  GRID_CASES_DIR,
  loadScenario,
  pacedForChain,
  pacingNote,
  withDevices,
  withPacing,
} from './scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'gl-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function errorOf(path: string): Promise<InputError> {
  try {
    await loadScenario(path);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error(`${path} loaded, expected an error`);
}
const text = (e: InputError) => `${e.message}\n${e.details ?? ''}`;

describe('scenario files', () => {
  it('loads the default scenario: case33bw_congested, >= 100 prosumers, 5-minute intervals every 10 s', async () => {
    const s = await loadScenario(DEFAULT_SCENARIO_PATH);
    expect(s.networkPath).toBe(join(GRID_CASES_DIR, 'case33bw_congested.m'));
    expect(s.network.buses).toHaveLength(33);
    expect(s.prosumers.count).toBeGreaterThanOrEqual(100);
    expect(s.intervalMinutes).toBe(5);
    expect(s.clockScale).toBe(30n);
    expect(new Date(s.startMs).toISOString()).toBe('2026-06-21T11:00:00.000Z');
    const devices = buildPopulation(s);
    const kinds = countByKind(devices);
    expect(kinds.load).toBe(120);
    expect(kinds.pv).toBeGreaterThan(4);
    expect(devices.filter((d) => d.fault !== 'none').length).toBeGreaterThan(0);
    // --devices N gives exactly N devices, groups first.
    const small = buildPopulation(withDevices(s, 24));
    expect(small).toHaveLength(24);
    expect(small.slice(0, 4).every((d) => d.group === 'community solar park')).toBe(true);
  });

  it('paces a scenario scaled by --devices to at most 75 orders/s, on a divisor of the interval', async () => {
    const s = await loadScenario(DEFAULT_SCENARIO_PATH);
    // Not scaled, or slow enough already: unchanged (the same object).
    expect(pacedForChain(s)).toBe(s);
    const small = withDevices(s, 500);
    expect(pacedForChain(small)).toBe(small);
    const k1 = pacedForChain(withDevices(s, 1000)); // 13.3 s needed -> 15 s
    expect([k1.wallSecondsPerInterval, k1.clockScale]).toEqual([15, 20n]);
    const k10 = pacedForChain(withDevices(s, 10_000)); // 133 s -> 150 s
    expect([k10.wallSecondsPerInterval, k10.clockScale]).toEqual([150, 2n]);
    const k100 = pacedForChain(withDevices(s, 100_000)); // beyond one interval: real time
    expect([k100.wallSecondsPerInterval, k100.clockScale]).toEqual([300, 1n]);
    expect(pacedForChain(withDevices(s, 1000), 200)).toEqual(withDevices(s, 1000));
    expect(pacingNote(withDevices(s, 10_000), k10)).toMatch(/every 150 s of wall time instead of 10 s/);
    expect(() => pacedForChain(s, 0)).toThrow(InputError);
    // A recorded pacing resumes to the same scenario; a pacing that does not divide the interval is refused.
    expect(withPacing(withDevices(s, 10_000), 150)).toEqual(k10);
    expect(() => withPacing(s, 7)).toThrow(/expected a divisor of the interval \(300 s\)/);
  });

  it('accepts JSON with a network path relative to the scenario file, and fills defaults', async () => {
    const p = file(
      'rel.json',
      JSON.stringify({ name: 'rel', network: join(relative(dir, GRID_CASES_DIR), 'case9_congested.m') }),
    );
    expect(JSON.parse(readFileSync(p, 'utf8')).network.startsWith('..')).toBe(true);
    const s = await loadScenario(p);
    expect(s.network.buses).toHaveLength(9);
    expect(s.seed).toBe('1');
    expect(s.deviceDefaults.battery.capacityKwh).toBe(10);
    expect(s.upstream.bus).toBe(1);
  });

  it('rejects an unknown device kind, naming the field', async () => {
    const e = await errorOf(
      file(
        'kind.yaml',
        'name: x\nnetwork: grid-cases:case9.m\ndeviceGroups:\n  - kind: windmill\n    count: 2\n    buses: all\n',
      ),
    );
    expect(text(e)).toContain('kind.yaml');
    expect(text(e)).toContain('deviceGroups.0.kind');
    expect(text(e)).toContain('expected kind to be one of pv, load, ev, battery, flex');
  });

  it('rejects a negative count', async () => {
    const e = await errorOf(
      file('neg.yaml', 'name: x\nnetwork: grid-cases:case9.m\nprosumers:\n  count: -5\n'),
    );
    expect(text(e)).toMatch(/prosumers\.count: .*>=\s*0/);
  });

  it('rejects a missing network file, saying where it looked', async () => {
    const e = await errorOf(file('net.yaml', 'name: x\nnetwork: nowhere/case_missing.m\n'));
    expect(e.message).toContain('net.yaml: network: file');
    expect(e.message).toContain(join(dir, 'nowhere/case_missing.m'));
    expect(e.message).toContain('not found');
  });

  it('rejects bad YAML with the file and the position', async () => {
    const e = await errorOf(file('bad.yaml', 'name: x\nnetwork: [unclosed\n  seed: 3\n'));
    expect(e.message).toContain('bad.yaml: not valid YAML');
    expect(e.message).toMatch(/line \d+/);
  });

  it('rejects unknown fields, a bus outside the network, a clock that is not a whole multiple, inverted tariffs', async () => {
    const cases: [string, RegExp][] = [
      ['name: x\nnetwork: grid-cases:case9.m\nsede: 3\n', /\(top level\): Unrecognized key: "sede"/],
      [
        'name: x\nnetwork: grid-cases:case9.m\nprosumers: { buses: [1, 99] }\n',
        /prosumers\.buses: bus 99 is not in the network/,
      ],
      [
        'name: x\nnetwork: grid-cases:case9.m\nwallSecondsPerInterval: 7\n',
        /wallSecondsPerInterval: expected a divisor/,
      ],
      [
        'name: x\nnetwork: grid-cases:case9.m\nupstream: { importPricePerMWh: 10, exportPricePerMWh: 20 }\n',
        /upstream: expected exportPricePerMWh < importPricePerMWh/,
      ],
      ['name: x\nnetwork: grid-cases:case9.m\nmeters: { lateShare: 1.5 }\n', /meters\.lateShare: .*<=\s*1/],
      [
        'name: x\nnetwork: grid-cases:case9.m\nupstream: { tariff: [{ fromMinute: 60, importPricePerMWh: 90, exportPricePerMWh: 10 }] }\n',
        /upstream\.tariff: period 1 must start at minute 0/,
      ],
      [
        'name: x\nnetwork: grid-cases:case9.m\nupstream: { tariff: [{ fromMinute: 0, importPricePerMWh: 90, exportPricePerMWh: 95 }] }\n',
        /upstream\.tariff: period 1: expected the export price below the import price/,
      ],
      ['network: grid-cases:case9.m\n', /name: /],
    ];
    for (const [i, [yaml, re]] of cases.entries())
      expect(text(await errorOf(file(`c${i}.yaml`, yaml)))).toMatch(re);
  });

  it('gives its upstream tariff to the native genesis and to the EVM deployment alike, and a negative floor to both', async () => {
    const s = await loadScenario(
      file(
        'tariff.yaml',
        [
          'name: x',
          'network: grid-cases:case9.m',
          'upstream: { importPricePerMWh: 120, exportPricePerMWh: 30, tariffLeadMinutes: 60, tariff: [',
          '  { fromMinute: 0, importPricePerMWh: 80, exportPricePerMWh: 20 },',
          '  { fromMinute: 420, importPricePerMWh: 150, exportPricePerMWh: 40 } ] }',
          'imbalance: { priceFloorPerMWh: -20 }',
          '',
        ].join('\n'),
      ),
    );
    const g = scenarioGenesis(s, { genesisTimeMs: 0n });
    const evm = evmDeployConfig(s, '0x0000000000000000000000000000000000000001', 0n);
    const tariff = [
      { fromMinute: 0, importPriceMicrosPerMWh: 80_000_000n, exportPriceMicrosPerMWh: 20_000_000n },
      { fromMinute: 420, importPriceMicrosPerMWh: 150_000_000n, exportPriceMicrosPerMWh: 40_000_000n },
    ];
    expect(g.energy.upstream.tariff).toEqual(tariff);
    expect(g.energy.upstream.tariffLeadMs).toBe(3_600_000n);
    expect(evm.market.tariff).toEqual(tariff);
    expect(evm.market.tariffLeadMs).toBe(3_600_000n);
    expect(g.energy.imbalance.priceFloorMicrosPerMWh).toBe(-20_000_000n);
    expect(evm.market.realtime?.priceFloorMicrosPerMWh).toBe(-20_000_000n);
    // without a tariff neither sets one: both take one period at the flat prices and a day's notice
    const d = await loadScenario(file('flat.yaml', 'name: y\nnetwork: grid-cases:case9.m\n'));
    expect(
      evmDeployConfig(d, '0x0000000000000000000000000000000000000001', 0n).market.tariff,
    ).toBeUndefined();
    expect(scenarioGenesis(d, { genesisTimeMs: 0n }).energy.upstream.tariff).toBeUndefined();
  });
});
