// The deployment configuration (market.json): defaults, and every bad field named in the error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeployConfig } from './deploy-platform.ts';

const CASES = fileURLToPath(new URL('../../../../../shared/grid-cases/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gl-evm-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const me = '0x00000000000000000000000000000000000000aa' as const;
const file = (name: string, v: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v));
  return p;
};

describe('loadDeployConfig', () => {
  it('defaults to DC pricing on case33bw_congested with 5-minute intervals, the deployer as grid operator', async () => {
    const c = await loadDeployConfig(undefined, me, CASES);
    expect(c.pricing).toBe('dc');
    expect(c.network.name).toBe('case33bw_congested');
    expect(c.market.intervalMs).toBe(300_000n);
    expect(c.market.gridOperator).toBe(me);
    expect(c.market.upstream.bus).toBe(1n);
    expect(c.tolerances.flowW).toBe(50n);
  });

  it('reads a network, prices as strings or numbers, and tolerances', async () => {
    const c = await loadDeployConfig(
      file('ok.json', {
        network: `${CASES}case9.m`,
        market: { intervalMs: '900000', upstream: { importPriceMicrosPerMWh: 70_000_000 } },
        tolerances: { flowW: '10' },
      }),
      me,
      CASES,
    );
    expect(c.network.buses.length).toBe(9);
    expect(c.market.intervalMs).toBe(900_000n);
    expect(c.market.upstream.importPriceMicrosPerMWh).toBe(70_000_000n);
    expect(c.tolerances.flowW).toBe(10n);
    expect(c.market.sealed).toBeUndefined();
  });

  it('turns sealed bids on: the whole gate lead and 10 % forfeit by default', async () => {
    const c = await loadDeployConfig(file('sealed.json', { market: { sealed: {} } }), me, CASES);
    expect(c.market.sealed).toEqual({ revealWindowMs: 60_000n, forfeitBps: 1000 });
    const d = await loadDeployConfig(
      file('sealed2.json', { market: { sealed: { revealWindowMs: '30000', forfeitBps: 0 } } }),
      me,
      CASES,
    );
    expect(d.market.sealed).toEqual({ revealWindowMs: 30_000n, forfeitBps: 0 });
  });

  it('always configures the second settlement: δ 5 $/MWh, cap = shortfall − δ, floor and penalty 0 by default', async () => {
    const defaults = {
      penaltyMicrosPerMWh: 5_000_000n,
      priceCapMicrosPerMWh: 115_000_000n,
      priceFloorMicrosPerMWh: 0n,
      nonReportingPenaltyMicros: 0n,
      liquidatedDamagesMicrosPerMWh: 0n,
      trueUpDelayMs: 0n,
      balanceToleranceWh: 0n,
    };
    const c = await loadDeployConfig(file('rt.json', { market: { realtime: {} } }), me, CASES);
    expect(c.market.realtime).toEqual(defaults);
    // without `realtime` (the default market.json) the same: there is no flat-price settlement (issue 16)
    const d = await loadDeployConfig(file('nort.json', { market: {} }), me, CASES);
    expect(d.market.realtime).toEqual(defaults);
    expect((await loadDeployConfig(undefined, me, CASES)).market.realtime).toEqual(defaults);
    // the cap follows a configured shortfall price
    const s = await loadDeployConfig(
      file('short.json', { market: { shortfallPriceMicrosPerMWh: 205_000_000 } }),
      me,
      CASES,
    );
    expect(s.market.realtime?.priceCapMicrosPerMWh).toBe(200_000_000n);
    await expect(
      loadDeployConfig(file('rtbad.json', { market: { realtime: 5 } }), me, CASES),
    ).rejects.toThrow(/market\.realtime: expected an object/);
    // a negative floor (at most the upstream export price), as native
    const n = await loadDeployConfig(
      file('neg.json', { market: { realtime: { priceFloorMicrosPerMWh: '-50000000' } } }),
      me,
      CASES,
    );
    expect(n.market.realtime?.priceFloorMicrosPerMWh).toBe(-50_000_000n);
  });

  it('reads the upstream tariff by time of day and its notice (absent: one period at the flat prices, one day)', async () => {
    const c = await loadDeployConfig(
      file('tariff.json', {
        market: {
          upstream: {
            tariff: [
              { fromMinute: 0, importPriceMicrosPerMWh: 50_000_000, exportPriceMicrosPerMWh: '5000000' },
              { fromMinute: 420, importPriceMicrosPerMWh: '90000000', exportPriceMicrosPerMWh: 10_000_000 },
            ],
            tariffLeadMs: '3600000',
          },
        },
      }),
      me,
      CASES,
    );
    expect(c.market.tariff).toEqual([
      { fromMinute: 0, importPriceMicrosPerMWh: 50_000_000n, exportPriceMicrosPerMWh: 5_000_000n },
      { fromMinute: 420, importPriceMicrosPerMWh: 90_000_000n, exportPriceMicrosPerMWh: 10_000_000n },
    ]);
    expect(c.market.tariffLeadMs).toBe(3_600_000n);
    const d = await loadDeployConfig(file('notariff.json', {}), me, CASES);
    expect(d.market.tariff).toBeUndefined();
    expect(d.market.tariffLeadMs).toBeUndefined();
  });

  it('takes the true-up window, the balance tolerance and the upstream meter (as native genesis), refusing bad values', async () => {
    const rt = { trueUpDelayMs: '600000', balanceToleranceWh: 1000, upstreamMeter: '7' };
    const c = await loadDeployConfig(file('rt2.json', { market: { realtime: rt } }), me, CASES);
    expect(c.market.realtime).toMatchObject({
      trueUpDelayMs: 600_000n,
      balanceToleranceWh: 1_000n,
      upstreamMeter: 7n,
    });
    await expect(
      loadDeployConfig(file('rt3.json', { market: { realtime: { trueUpDelayMs: -1 } } }), me, CASES),
    ).rejects.toThrow(/market.realtime.trueUpDelayMs: expected 0..2\^64/);
    await expect(
      loadDeployConfig(file('rt4.json', { market: { realtime: { upstreamMeter: 'x' } } }), me, CASES),
    ).rejects.toThrow(/market.realtime.upstreamMeter: expected an integer/);
  });

  it('caps orders by the registered meters when asked (absent: not capped)', async () => {
    const c = await loadDeployConfig(
      file('capped.json', { market: { ordersCappedByMeters: true } }),
      me,
      CASES,
    );
    expect(c.market.ordersCappedByMeters).toBe(true);
    const d = await loadDeployConfig(file('uncapped.json', { market: {} }), me, CASES);
    expect(d.market.ordersCappedByMeters).toBeUndefined();
  });

  it('names the wrong field', async () => {
    const bad: [unknown, RegExp][] = [
      ['{not json', /is not JSON/],
      [[1, 2], /expected a JSON object/],
      [{ pricing: 'ac' }, /pricing: only "dc"/],
      [
        { market: { intervalMs: '420000' } },
        /market\.intervalMs: expected whole minutes that divide an hour/,
      ],
      [{ market: { gateLeadMs: 'soon' } }, /market\.gateLeadMs: expected an integer/],
      [{ market: { upstream: { bus: 99 } } }, /market\.upstream\.bus: bus 99 is not in network/],
      [{ market: { gridOperator: '0x12' } }, /market\.gridOperator: expected a 0x address/],
      [
        { market: { sealed: { revealWindowMs: 60_001 } } },
        /market\.sealed\.revealWindowMs: expected 1\.\.gateLeadMs/,
      ],
      [
        { market: { sealed: { revealWindowMs: 0 } } },
        /market\.sealed\.revealWindowMs: expected 1\.\.gateLeadMs/,
      ],
      [{ market: { sealed: { forfeitBps: 10_001 } } }, /market\.sealed\.forfeitBps: expected 0\.\.10000/],
      [{ market: { sealed: { forfeitBps: 'all' } } }, /market\.sealed\.forfeitBps: expected an integer/],
      [{ market: { ordersCappedByMeters: 1 } }, /market\.ordersCappedByMeters: expected true or false/],
      [
        { market: { realtime: { penaltyMicrosPerMWh: 0 } } },
        /market\.realtime\.penaltyMicrosPerMWh: expected > 0/,
      ],
      [
        { market: { realtime: { priceCapMicrosPerMWh: 100_000_000 } } },
        /market\.realtime\.priceCapMicrosPerMWh: expected shortfallPriceMicrosPerMWh − penalty = 115000000/,
      ],
      [
        { market: { realtime: { priceFloorMicrosPerMWh: 20_000_001 } } },
        /market\.realtime\.priceFloorMicrosPerMWh: expected -1000000000000\.\.20000000 \(at most the price cap and the upstream export price/,
      ],
      [
        { market: { realtime: { priceFloorMicrosPerMWh: '-1000000000001' } } },
        /market\.realtime\.priceFloorMicrosPerMWh: expected -1000000000000\.\./,
      ],
      [{ market: { upstream: { tariff: {} } } }, /market\.upstream\.tariff: expected an array/],
      [{ market: { upstream: { tariff: [] } } }, /market\.upstream\.tariff: expected 1\.\.48 periods, got 0/],
      [
        {
          market: {
            upstream: { tariff: [{ fromMinute: 0, importPriceMicrosPerMWh: 5, exportPriceMicrosPerMWh: 5 }] },
          },
        },
        /market\.upstream\.tariff: period 1: expected the export price below the import price/,
      ],
      [
        {
          market: {
            upstream: {
              tariff: [{ fromMinute: 60, importPriceMicrosPerMWh: 5, exportPriceMicrosPerMWh: 1 }],
            },
          },
        },
        /market\.upstream\.tariff: period 1 must start at minute 0/,
      ],
      [
        { market: { upstream: { tariff: [{ fromMinute: 0, importPriceMicrosPerMWh: 'x' }] } } },
        /market\.upstream\.tariff\[0\]\.importPriceMicrosPerMWh: expected an integer/,
      ],
      [
        { market: { upstream: { tariffLeadMs: 0 } } },
        /market\.upstream\.tariffLeadMs: expected > 0 ms, got 0/,
      ],
      [{ network: `${dir}/missing.json` }, /network: .* is neither a MATPOWER \.m file nor readable JSON/],
      [{ network: { buses: [] } }, /network: expected baseMVA > 0/],
    ];
    for (const [v, re] of bad) {
      await expect(loadDeployConfig(file('bad.json', v), me, CASES)).rejects.toThrow(re);
    }
    await expect(loadDeployConfig(join(dir, 'absent.json'), me, CASES)).rejects.toThrow(/cannot be read/);
  });
});
