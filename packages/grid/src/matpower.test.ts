import { InputError } from '@gridledger/base';
import { describe, expect, it } from 'vitest';
import { parseMatpower } from './matpower.ts';

const small = (
  extra = '',
  busRows = '1 3 0 0 0 0 1 1 0 100 1 1.1 0.9;\n 7 1 50 10 0 0 1 1 0 100 1 1.1 0.9;',
) => `
function mpc = tiny
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [ % comment
 ${busRows}
];
mpc.gen = [1 0 0 0 0 1 100 1 2e2 0; 7 0 0 0 0 1 100 0 50 0];
mpc.branch = [
 1, 7, 0, 0.1, 0, 40, 0, 0, 0, 0, 1, -360, 360, 9, 9
];
mpc.gencost = [2 0 0 3 0.01 10 5 0; 1 0 0 2 0 0 50 1000];
mpc.bus_name = { 'one'; 'seven %x' };
${extra}`;

describe('parseMatpower', () => {
  it('reads rows separated by ; and newlines, extra columns, commas, status 0 rows and cells', () => {
    const net = parseMatpower(small(), 'tiny.m');
    expect(net.name).toBe('tiny');
    expect(net.buses.map((b) => b.id)).toEqual([1, 7]);
    expect(net.generators[0]!.pmaxMw).toBe(200);
    expect(net.generators[1]!.status).toBe(0);
    expect(net.generators[0]!.cost).toEqual({
      model: 'polynomial',
      startup: 0,
      shutdown: 0,
      coefficients: [0.01, 10, 5],
    });
    expect(net.generators[1]!.cost).toMatchObject({
      model: 'piecewise',
      points: [
        { mw: 0, cost: 0 },
        { mw: 50, cost: 1000 },
      ],
    });
    expect(net.branches[0]).toMatchObject({ index: 1, from: 1, to: 7, xPu: 0.1, rateAMw: 40 });
    expect(net.extra.bus_name).toEqual([['one'], ['seven %x']]);
  });
  it('evaluates trailing unit conversions', () => {
    const net = parseMatpower(
      small(`define_constants;
Vbase = mpc.bus(1, BASE_KV) * 1e3;  %% volts
Sbase = mpc.baseMVA * 1e6;
mpc.branch(:, [BR_R BR_X]) = mpc.branch(:, [BR_R BR_X]) / (Vbase^2 / Sbase);
mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;
pf = 0.85;
mpc.bus(:, QD) = mpc.bus(:, PD) * sin(acos(pf));
mpc.bus(:, PD) = mpc.bus(:, PD) * pf;`),
      'tiny.m',
    );
    expect(net.branches[0]!.xPu).toBeCloseTo(0.1 / (1e10 / 1e8), 15);
    expect(net.buses[1]!.pdMw).toBeCloseTo(0.05 * 0.85, 15);
    expect(net.buses[1]!.qdMvar).toBeCloseTo(0.05 * Math.sin(Math.acos(0.85)), 15);
  });
  it('evaluates idx_bus destructuring continued over lines', () => {
    const net = parseMatpower(
      small(`[PQ, PV, REF, NONE, BUS_I, BUS_TYPE, PD, QD, GS, BS, BUS_AREA, VM, ...
    VA, BASE_KV, ZONE, VMAX, VMIN, LAM_P, LAM_Q, MU_VMAX, MU_VMIN] = idx_bus;
mpc.bus(2, PD) = -2^2 + 1;`),
      'tiny.m',
    );
    expect(net.buses[1]!.pdMw).toBe(-3);
  });
  const bad: [string, string, RegExp][] = [
    [
      'a non-number',
      small('', '1 3 0 0 0 0 1 1 0 100 1 1.1 abc;\n 7 1 50 10 0 0 1 1 0 100 1 1.1 0.9;'),
      /tiny\.m:6: expected a number in mpc\.bus, got "abc"/,
    ],
    [
      'a short row',
      small('', '1 3 0 0 0 0 1 1 0 100 1 1.1 0.9;\n 7 1 50 10 0 0 1 1 0 100 1 1.1;'),
      /tiny\.m:7: row 2 of mpc\.bus has 12 columns, expected 13/,
    ],
    [
      'an unknown statement',
      small('mpc.bus = myscale(mpc.bus);'),
      /tiny\.m:15: cannot evaluate MATLAB statement .*unknown name "myscale"/,
    ],
    ['an unknown variable', small('mpc.bus(:, 3) = mpc.bus(:, 3) * k;'), /tiny\.m:15: .*unknown name "k"/],
    [
      'an unclosed matrix',
      small('mpc.areas = [1 2;'),
      /tiny\.m:15: mpc\.areas opened with "\[" is never closed/,
    ],
    [
      'a generator at an unknown bus',
      small().replace('7 0 0 0 0 1 100 0 50 0', '8 0 0 0 0 1 100 0 50 0'),
      /tiny\.m:9: row 2, column 1: expected the number of a bus in mpc\.bus, got 8/,
    ],
    [
      'missing branch matrix',
      small().replace(/mpc\.branch = \[[^\]]*\];/, ''),
      /tiny\.m: expected a matrix "mpc\.branch/,
    ],
    [
      'a bad cost model',
      small().replace('2 0 0 3 0.01', '3 0 0 3 0.01'),
      /tiny\.m:13: mpc\.gencost row 1: expected cost model 1/,
    ],
    [
      'version 1',
      small().replace("mpc.version = '2'", "mpc.version = '1'"),
      /expected MATPOWER case format version 2/,
    ],
    [
      'a zero reactance',
      small().replace('0, 0.1, 0', '0, 0, 0'),
      /tiny\.m:11: branch 1: expected a nonzero reactance/,
    ],
    ['a matrix product', small('mpc.bus = mpc.bus * mpc.bus;'), /tiny\.m:15: .*only with a scalar operand/],
  ];
  for (const [what, text, msg] of bad) {
    it(`rejects ${what} with file and line`, () => {
      expect(() => parseMatpower(text, 'tiny.m')).toThrow(InputError);
      expect(() => parseMatpower(text, 'tiny.m')).toThrow(msg);
    });
  }
});
