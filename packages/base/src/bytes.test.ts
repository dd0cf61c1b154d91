import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintToBytes, bytesToBigint, compareBytes, fromHex, toHex } from './bytes.ts';
import { InputError } from './errors.ts';
import { floorDiv, roundHalfAwayFromZero } from './units.ts';

describe('hex', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
      }),
    );
  });
  it('rejects odd length and bad digits', () => {
    expect(() => fromHex('0xabc')).toThrow(InputError);
    expect(() => fromHex('0xzz')).toThrow(/expected hex digits/);
  });
});

describe('integers', () => {
  it('round-trips bigints in fixed width', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), (v) => {
        expect(bytesToBigint(bigintToBytes(v, 32))).toBe(v);
      }),
    );
  });
  it('rejects overflow and negatives', () => {
    expect(() => bigintToBytes(256n, 1)).toThrow(/does not fit/);
    expect(() => bigintToBytes(-1n, 1)).toThrow(/non-negative/);
  });
  it('orders bytes lexicographically', () => {
    expect(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(-1);
    expect(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(-1);
  });
  it('rounds half away from zero and floors division', () => {
    expect(roundHalfAwayFromZero(2.5)).toBe(3n);
    expect(roundHalfAwayFromZero(-2.5)).toBe(-3n);
    expect(roundHalfAwayFromZero(2.4999)).toBe(2n);
    expect(floorDiv(-7n, 2n)).toBe(-4n);
    expect(floorDiv(7n, 2n)).toBe(3n);
  });
});
