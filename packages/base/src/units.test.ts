// The float↔integer conversions of units.ts: examples for each, and properties of their rounding (half
// away from zero, symmetric in sign, within half a unit, exact round trips for integers below 2^53).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dollarsPerMWhToMicros,
  dollarsToMicros,
  formatMicros,
  microsPerMWhToDollars,
  microsToDollars,
  minutesToMs,
  msToMinutes,
  mwToW,
  mwToWh,
  whToMw,
  wToMw,
} from './units.ts';

/**
 * Integers that survive int -> float -> int: m / 10^6 and back multiply two roundings of relative error
 * 2^-53 each, within half a unit while |m| < 2^51 (2^50 here, about 1.1e15 µ$ or W).
 */
const safeBig = fc.bigInt({ min: -(2n ** 50n), max: 2n ** 50n });

describe('prices: $/MWh <-> µ$/MWh', () => {
  it('rounds half a micro-dollar away from zero', () => {
    expect(dollarsPerMWhToMicros(42)).toBe(42_000_000n);
    expect(dollarsPerMWhToMicros(0.0000025)).toBe(3n);
    expect(dollarsPerMWhToMicros(-0.0000025)).toBe(-3n);
    expect(dollarsPerMWhToMicros(0.0000024)).toBe(2n);
    expect(dollarsPerMWhToMicros(-0)).toBe(0n);
    expect(microsPerMWhToDollars(45_500_000n)).toBe(45.5);
    expect(() => dollarsPerMWhToMicros(Number.NaN)).toThrow(RangeError);
    expect(() => dollarsPerMWhToMicros(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
  it('is the LMP rounding: the same integer as rounding lmp * 1e6 half away from zero', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (lmp) => {
        const scaled = lmp * 1e6;
        const expected = BigInt(Math.sign(scaled) * Math.round(Math.abs(scaled)));
        expect(dollarsPerMWhToMicros(lmp)).toBe(expected);
      }),
    );
  });
  it('is odd (symmetric in sign) and within half a micro-dollar of the scaled float', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (p) => {
        const m = dollarsPerMWhToMicros(p);
        expect(dollarsPerMWhToMicros(-p)).toBe(-m);
        expect(Math.abs(Number(m) - p * 1e6)).toBeLessThanOrEqual(0.5);
      }),
    );
  });
  it('round-trips every integer price up to 2^50 µ$/MWh', () => {
    fc.assert(
      fc.property(safeBig, (m) => {
        expect(dollarsPerMWhToMicros(microsPerMWhToDollars(m))).toBe(m);
      }),
    );
  });
});

describe('money: $ <-> µ$', () => {
  it('converts with the same rounding as prices', () => {
    expect(dollarsToMicros(10_000)).toBe(10_000_000_000n);
    expect(dollarsToMicros(1.25)).toBe(1_250_000n);
    expect(dollarsToMicros(-0.0000005)).toBe(-1n);
    expect(microsToDollars(1_250_000n)).toBe(1.25);
    fc.assert(
      fc.property(safeBig, (m) => {
        expect(dollarsToMicros(microsToDollars(m))).toBe(m);
      }),
    );
  });
  it('formats micro-units as a decimal with 6 places, exactly', () => {
    expect(formatMicros(45_500_000n)).toBe('45.500000');
    expect(formatMicros('-1')).toBe('-0.000001');
    expect(formatMicros(0n)).toBe('0.000000');
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 128n), max: 2n ** 128n }), (m) => {
        const [whole, frac] = formatMicros(m).replace('-', '').split('.') as [string, string];
        const abs = BigInt(whole) * 1_000_000n + BigInt(frac);
        expect(formatMicros(m).startsWith('-') ? -abs : abs).toBe(m);
        expect(frac).toHaveLength(6);
      }),
    );
  });
});

describe('power: MW <-> W', () => {
  it('rounds half a watt away from zero', () => {
    expect(mwToW(1.5)).toBe(1_500_000n);
    expect(mwToW(0.0000005)).toBe(1n);
    expect(mwToW(-0.0000005)).toBe(-1n);
    expect(wToMw(1_500_000n)).toBe(1.5);
    expect(wToMw(-1n)).toBe(-0.000001);
    expect(() => mwToW(Number.NaN)).toThrow(RangeError);
  });
  it('round-trips every integer power up to 2^50 W, and stays within half a watt', () => {
    fc.assert(
      fc.property(safeBig, (w) => {
        expect(mwToW(wToMw(w))).toBe(w);
      }),
    );
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (mw) => {
        expect(Math.abs(Number(mwToW(mw)) - mw * 1e6)).toBeLessThanOrEqual(0.5);
      }),
    );
  });
});

describe('energy over an interval: Wh <-> MW', () => {
  it('gives the constant power that delivers the energy, and back', () => {
    expect(whToMw(1_000_000n, 60)).toBe(1);
    expect(whToMw(500_000n, 5)).toBe(6);
    expect(whToMw(-250n, 15)).toBe(-0.001);
    expect(mwToWh(1, 60)).toBe(1_000_000);
    expect(mwToWh(6, 5)).toBe(500_000);
    expect(mwToWh(0.5, 15)).toBe(125_000);
  });
  it('round-trips to the nearest Wh for intervals of 1 to 1440 minutes', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.integer({ min: 1, max: 1440 }),
        (wh, m) => {
          expect(BigInt(Math.round(mwToWh(whToMw(wh, m), m)))).toBe(wh);
        },
      ),
    );
  });
});

describe('time: minutes <-> ms', () => {
  it('converts whole minutes and truncates partial ones', () => {
    expect(minutesToMs(5)).toBe(300_000n);
    expect(msToMinutes(300_000n)).toBe(5);
    expect(msToMinutes(359_999n)).toBe(5);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (m) => {
        expect(msToMinutes(minutesToMs(m))).toBe(m);
      }),
    );
  });
});
