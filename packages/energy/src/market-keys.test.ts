import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOrderOutcome, encodeOrderOutcome } from './market-keys.ts';

describe('order outcome word', () => {
  it('round-trips cleared Wh, signed price and signed amount; refuses what does not fit', () => {
    const i96 = fc.bigInt({ min: -(1n << 95n), max: (1n << 95n) - 1n });
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), i96, i96, (clearedWh, price, amount) => {
        const w = encodeOrderOutcome({ clearedWh, price, amount })!;
        expect(w >= 0n && w < 1n << 256n).toBe(true);
        expect(decodeOrderOutcome(w)).toEqual({ clearedWh, price, amount });
      }),
      { numRuns: 300 },
    );
    expect(decodeOrderOutcome(0n)).toEqual({ clearedWh: 0n, price: 0n, amount: 0n });
    expect(encodeOrderOutcome({ clearedWh: 1n << 64n, price: 0n, amount: 0n })).toBeUndefined();
    expect(encodeOrderOutcome({ clearedWh: 1n, price: 1n << 95n, amount: 0n })).toBeUndefined();
    expect(encodeOrderOutcome({ clearedWh: 1n, price: 0n, amount: -(1n << 95n) - 1n })).toBeUndefined();
  });
});
