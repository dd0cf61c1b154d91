// The CLI's market units: WH@PRICE steps to integers (exact decimals, no floats), bad steps refused
// with a message naming the step, and micro-units printed back as dollars.
import { describe, expect, it } from 'vitest';
import { formatStep, parseDollarsToMicros, parseStep, parseSteps } from './market-units.ts';

describe('order steps at the command line', () => {
  it('parses WH@PRICE exactly', () => {
    expect(parseStep('2000@45.5', 1)).toEqual({ energyWh: 2000n, priceMicrosPerMWh: 45_500_000n });
    expect(parseStep('1@0', 1)).toEqual({ energyWh: 1n, priceMicrosPerMWh: 0n });
    expect(parseStep('60000000@20.000001', 1).priceMicrosPerMWh).toBe(20_000_001n);
    // 0.1 + 0.2 style float residue cannot happen: decimals are parsed as integers
    expect(parseDollarsToMicros('0.3', 'x')).toBe(300_000n);
    expect(parseSteps(['1@1', '2@2'])).toHaveLength(2);
  });

  it.each([
    ['2000', /expected WH@PRICE/],
    ['2000@45@1', /expected WH@PRICE/],
    ['0@45', /whole number of Wh in 1\.\./],
    ['1.5@45', /whole number of Wh/],
    ['-5@45', /whole number of Wh/],
    ['1000000000001@1', /whole number of Wh in 1\.\.1000000000000/],
    ['2000@-1', /not negative/],
    ['2000@45.1234567', /at most 6 decimals/],
    ['2000@abc', /price in \$\/MWh/],
    ['2000@', /price in \$\/MWh/],
    ['2kWh@45', /whole number of Wh/],
  ])('refuses %s naming the step', (text, why) => {
    expect(() => parseStep(text, 3)).toThrow(why);
    expect(() => parseStep(text, 3)).toThrow(/--step 3/);
  });

  it('needs at least one step', () => {
    expect(() => parseSteps([])).toThrow(/at least one --step/);
    expect(() => parseSteps(undefined)).toThrow(/at least one --step/);
  });

  it('prints steps with prices in dollars', () => {
    expect(formatStep({ energyWh: '2000', priceMicrosPerMWh: '45500000' })).toBe('2000 Wh @ 45.5');
    expect(formatStep({ energyWh: 1n, priceMicrosPerMWh: 100_000_000n })).toBe('1 Wh @ 100');
    expect(formatStep({ energyWh: 1n, priceMicrosPerMWh: 0n })).toBe('1 Wh @ 0');
  });
});
