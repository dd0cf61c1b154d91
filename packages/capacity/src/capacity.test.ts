import { InputError } from '@gridledger/base';
import { describe, expect, it } from 'vitest';
import {
  assess,
  clearingMs,
  type Deployment,
  defaultDeployment,
  deriveLoad,
  mergeMeasured,
  parseCount,
  parseDurationS,
  parseMeasured,
  parseSweep,
  splitDevices,
  sweep,
  sweepChartSvg,
} from './index.ts';

/** 100 PV devices, every one trading, readings 10 to a transaction: small enough to work by hand. */
function handDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return defaultDeployment(100, {
    devices: { pv: 100, battery: 0, ev: 0, load: 0, flex: 0 },
    tradingShare: 1,
    cancelShare: 0,
    clearedShare: 0.5,
    readingsPerTx: 10,
    buses: 1,
    branches: 0,
    ...overrides,
  } as Partial<Deployment>);
}

describe('load model (hand-worked example in docs/capacity.md)', () => {
  it('derives rates, sizes, settlement work and storage', () => {
    const l = deriveLoad(handDeployment());
    expect(l.ordersPerInterval).toBe(100);
    expect(l.readingTxsPerInterval).toBe(10);
    expect(l.txsPerInterval).toBe(110);
    expect(l.avgTps).toBeCloseTo(110 / 300, 12);
    expect(l.peakTps).toBeCloseTo(100 / 60 + 10 / 60, 12);
    expect(l.avgTxBytes).toBeCloseTo(54_900 / 110, 9);
    expect(l.avgBlockBytes).toBeCloseTo(836 + (110 / 300) * (54_900 / 110), 9);
    expect(l.promisesPerInterval).toBe(49);
    expect(l.settlementOpsPerInterval).toBe(149);
    expect(l.storageBytesPerDay).toBeCloseTo(106_009_344, 3);
    expect(l.storageBytesPerYear).toBeCloseTo(106_009_344 * 365, 0);
  });
  it('keeps only the retention window', () => {
    const l = deriveLoad(handDeployment({ retentionDays: 30 }));
    expect(l.storageBytesHeld).toBeCloseTo(106_009_344 * 30, 3);
  });
  it('splits a device count over the mix exactly', () => {
    const s = splitDevices(1001);
    expect(Object.values(s).reduce((a, b) => a + b, 0)).toBe(1001);
    expect(s.pv).toBe(351); // 350.35 has the largest remainder
  });
  it('scales linearly with devices', () => {
    const a = deriveLoad(defaultDeployment(1000, { buses: 10, branches: 9 }));
    const b = deriveLoad(defaultDeployment(2000, { buses: 10, branches: 9 }));
    expect(b.avgTps / a.avgTps).toBeCloseTo(2, 2);
  });
});

describe('assessment against measured capacity', () => {
  const measured = mergeMeasured([
    parseMeasured('{"txPerSec":1,"finalityP50Ms":200,"finalityP99Ms":500,"validators":4}', 'm'),
  ]);
  it('computes headroom, backlog-driven finality and the largest device count', () => {
    const a = assess(handDeployment(), measured);
    const tp = a.rows.find((r) => r.resource === 'throughput')!;
    expect(tp.headroom).toBeCloseTo(1 / (110 / 60), 12);
    // n/60 + ceil(n/10)/60 <= 1 holds up to n = 54
    expect(tp.maxDevices).toBe(54);
    // backlog (11/6 - 1) tx/s * 60 s = 50 tx, drained at 1 tx/s, plus the measured p99
    expect(a.predictedFinalityS).toBeCloseTo(50.5, 9);
    expect(a.binding).toBe('throughput');
  });
  it('scales capacity to another validator count and says so', () => {
    const a = assess(handDeployment({ validators: 8 }), measured);
    expect(a.capacityTps).toBeCloseTo(0.5, 12);
    expect(a.notes.join(' ')).toMatch(/scaled to 8/);
  });
  it('interpolates clearing time as a power law', () => {
    const pts = [
      { orders: 1000, ms: 10 },
      { orders: 100_000, ms: 1000 },
    ];
    expect(clearingMs(pts, 10_000)).toBeCloseTo(100, 6);
    expect(clearingMs(pts, 1_000_000)).toBeCloseTo(10_000, 3);
    expect(clearingMs([], 10)).toBeNull();
  });
  it("reads bench:market's clearing rows (clearMs) as clearing points", () => {
    const m = parseMeasured(
      '{"opf":[],"clearing":[{"case":"case118","orders":100000,"steps":200095,"clearMs":687.3,"status":"optimal"}]}',
      'bench-market.json',
    );
    expect(m.clearing).toEqual([{ orders: 100000, ms: 687.3 }]);
    expect(() => parseMeasured('{"clearing":[{"orders":10}]}', 'x.json')).toThrow(/needs ms/);
  });
  it("takes bench:chain's sub-capacity finality over its saturated one, and bench:e2e's clearing points", () => {
    const chain = parseMeasured(
      '{"txPerSec":900,"finalityP50Ms":8000,"finalityP99Ms":11000,"subCapacity":{"txPerSec":450,"finalityP50Ms":700,"finalityP99Ms":1400}}',
      'chain.json',
    );
    expect(chain).toMatchObject({ txPerSec: 900, finalityP50Ms: 700, finalityP99Ms: 1400 });
    expect(
      parseMeasured(
        '{"txPerSec":900,"finalityP50Ms":8000,"finalityP99Ms":11000,"subCapacity":null}',
        'c.json',
      ),
    ).toMatchObject({ finalityP99Ms: 11000 });
    const e2e = parseMeasured(
      '{"bench":"e2e","runs":[],"clearing":[{"orders":1076,"ms":9174}],"devicesPer5MinInterval":8169}',
      'e2e.json',
    );
    expect(e2e.clearing).toEqual([{ orders: 1076, ms: 9174 }]);
    // Repeated measurements at one order count: the slowest is kept and clearing time stays defined.
    const repeated = parseMeasured(
      '{"clearing":[{"orders":1076,"ms":3128},{"orders":1076,"ms":1967},{"orders":1076,"ms":1415}]}',
      'e2e.json',
    );
    const merged = mergeMeasured([chain, repeated]);
    expect(merged.clearing).toEqual([{ orders: 1076, ms: 3128 }]);
    expect(clearingMs(merged.clearing, 2152)).toBeCloseTo(6256, 6);
  });
  it('finds clearing time binding when the gate lead is short', () => {
    const m = mergeMeasured([
      parseMeasured('{"txPerSec":1e9,"finalityP50Ms":1,"finalityP99Ms":1}', 'chain'),
      parseMeasured('table line\n{"clearing":[{"orders":10,"ms":1000},{"orders":100,"ms":10000}]}', 'e2e'),
    ]);
    const a = assess(handDeployment({ gateLeadS: 20.05 }), m);
    expect(a.binding).toBe('clearing time');
    // t = 100 ms per order: 20.05 s allows 200 orders, i.e. 200 devices of one order each
    expect(a.maxDevices).toBe(200);
  });
});

describe('sweep', () => {
  it('marks the crossing where required peak load meets capacity', () => {
    const m = mergeMeasured([parseMeasured('{"txPerSec":500,"finalityP50Ms":300,"finalityP99Ms":900}', 'm')]);
    const { devices: _d, ...base } = defaultDeployment(1000, { buses: 50, branches: 49 });
    const s = sweep(parseSweep('1e3..1e6'), base, m);
    const c = s.crossingDevices!;
    const at = (n: number) => deriveLoad(defaultDeployment(n, base)).peakTps;
    expect(at(c)).toBeLessThanOrEqual(500);
    expect(at(c + 1)).toBeGreaterThan(500);
    const svg = sweepChartSvg(s, 'test');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toMatch(/crossing: [0-9,]+ devices/);
  });
});

describe('bad input', () => {
  it('rejects zero, negative and malformed counts and durations', () => {
    expect(() => parseCount('0')).toThrow(InputError);
    expect(() => parseCount('-5')).toThrow(/positive whole number/);
    expect(() => parseCount('1.5')).toThrow(/whole number/);
    expect(() => parseDurationS('5 fortnights')).toThrow(/unknown unit "fortnights"/);
    expect(() => parseDurationS('5')).toThrow(/with a unit/);
    expect(() => parseDurationS('0m')).toThrow(/positive/);
    expect(() => parseSweep('1e7..1e3')).toThrow(/above the low end/);
    expect(() => defaultDeployment(100, { validators: 0 })).toThrow(/validators/);
    expect(() => defaultDeployment(100, { tradingShare: 1.5 })).toThrow(/trading share/);
  });
  it('rejects measured files of the wrong shape with what was expected', () => {
    expect(() => parseMeasured('not json', 'x.json')).toThrow(/x.json: expected JSON/);
    expect(() => parseMeasured('{"txPerSec":"fast"}', 'x.json')).toThrow(/x.json: txPerSec/);
    expect(() => parseMeasured('{"txPerSec":10}', 'x.json')).toThrow(/must all be given together/);
    expect(() => parseMeasured('{"hello":1}', 'x.json')).toThrow(/no measurement found/);
    expect(() => mergeMeasured([parseMeasured('{"clearing":[{"orders":1,"ms":1}]}', 'c')])).toThrow(
      /no chain measurement/,
    );
  });
});
