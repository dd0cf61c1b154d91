// The AC part of the cleared view (acViewOf): components and voltage per bus from gl_prices points in
// display units, voltage-limited buses (at a limit within 1e-4 p.u., or priced by one), the substation
// held at its setpoint not counted, DC points (no `ac`) giving null.
import type { GlPrice } from '@gridledger/rpc';
import { describe, expect, it } from 'vitest';
import { acViewOf, VOLTAGE_LIMIT_TOLERANCE_PU } from './cleared-view.ts';

const limits = [
  { id: 1, vminPu: 1, vmaxPu: 1 },
  { id: 2, vminPu: 0.9, vmaxPu: 1.1 },
  { id: 3, vminPu: 0.95, vmaxPu: 1.05 },
  { id: 4, vminPu: 0.95, vmaxPu: 1.05 },
];

function point(bus: number, c: [number, number, number, number], vmMicroPu: number): GlPrice {
  const lmp = c.reduce((a, b) => a + b, 0);
  return {
    interval: '7',
    startMs: '0',
    bus,
    lmpMicrosPerMWh: String(lmp),
    lmpLowMicrosPerMWh: String(lmp),
    lmpHighMicrosPerMWh: String(lmp),
    ac: {
      lmpEnergyMicrosPerMWh: String(c[0]),
      lmpLossMicrosPerMWh: String(c[1]),
      lmpCongestionMicrosPerMWh: String(c[2]),
      lmpVoltageMicrosPerMWh: String(c[3]),
      vmMicroPu: String(vmMicroPu),
    },
  };
}

describe('acViewOf', () => {
  it('gives each bus its components in $/MWh, |V| in p.u. and the losses in kW', () => {
    const v = acViewOf(
      [point(1, [120_000_000, 0, 0, 0], 1_000_000), point(2, [120_000_000, 1_250_000, -3, 0], 987_654)],
      limits,
      '12345',
    );
    expect(v).toEqual({
      buses: {
        '1': { energy: 120, loss: 0, congestion: 0, voltage: 0, vmPu: 1, voltageLimited: false },
        '2': {
          energy: 120,
          loss: 1.25,
          congestion: -0.000003,
          voltage: 0,
          vmPu: 0.987654,
          voltageLimited: false,
        },
      },
      lossesKw: 12.345,
    });
  });

  it('marks buses at a voltage limit or priced by one, not the substation at its setpoint', () => {
    const tol = VOLTAGE_LIMIT_TOLERANCE_PU * 1e6;
    const v = acViewOf(
      [
        point(1, [30_000_000, 0, 0, 0], 1_000_000), // vmin = vmax = 1: a setpoint, not a limit
        point(2, [30_000_000, -500_000, 0, 0], 1_100_000 - tol / 2), // within the tolerance of vmax
        point(3, [30_000_000, -500_000, 0, 0], 1_050_000 - 3 * tol), // near, not at, its vmax
        point(4, [30_000_000, -500_000, 0, -2_000_000], 1_040_000), // its voltage component binds
      ],
      limits,
      undefined,
    );
    expect(Object.entries(v!.buses).map(([b, a]) => [b, a.voltageLimited])).toEqual([
      ['1', false],
      ['2', true],
      ['3', false],
      ['4', true],
    ]);
    expect(v!.lossesKw).toBe(0);
  });

  it('is null for DC intervals (no point carries ac)', () => {
    const dc = { ...point(2, [1, 0, 0, 0], 1), ac: undefined };
    expect(acViewOf([dc], limits, undefined)).toBeNull();
    expect(acViewOf([], limits, undefined)).toBeNull();
  });
});
