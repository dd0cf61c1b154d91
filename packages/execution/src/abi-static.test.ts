import fc from 'fast-check';
import { bytesToHex, decodeAbiParameters, encodeAbiParameters, hexToBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { decodeStaticParameters, encodeStaticParameters, encodeStaticTopic } from './abi-static.ts';

const types = ['uint8', 'uint48', 'uint64', 'uint256', 'int8', 'int64', 'int256', 'address', 'bool'] as const;
type T = (typeof types)[number];
const value = (t: T): fc.Arbitrary<unknown> => {
  if (t === 'address')
    return fc.bigInt({ min: 0n, max: (1n << 160n) - 1n }).map((v) => `0x${v.toString(16).padStart(40, '0')}`);
  if (t === 'bool') return fc.boolean();
  const bits = BigInt(Number(t.replace(/^u?int/, '')));
  const signed = t.startsWith('int');
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  // Also a little outside the range: then the fast path must decline, as viem throws.
  const v = fc.bigInt({ min: min - 2n, max: max + 2n });
  return bits <= 48n ? fc.oneof(v, v.map(Number)) : v;
};
const params = fc.array(fc.constantFrom(...types), { minLength: 1, maxLength: 4 });
const row = params.chain((ts) => fc.tuple(fc.constant(ts), fc.tuple(...ts.map(value))));

describe('static ABI fast path', () => {
  it('encodes exactly as viem, or declines where viem throws', () => {
    fc.assert(
      fc.property(row, ([ts, vs]) => {
        const ps = ts.map((type) => ({ type }));
        const fast = encodeStaticParameters(ps, vs);
        let slow: string | undefined;
        try {
          slow = encodeAbiParameters(ps, vs);
        } catch {
          slow = undefined;
        }
        if (fast !== undefined) expect(fast).toBe(slow);
        else expect(slow).toBeUndefined();
        if (ts.length === 1) {
          const topic = encodeStaticTopic(ps[0]!, vs[0]);
          if (topic !== undefined) expect(topic).toBe(slow);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('decodes exactly as viem (addresses in lower case), or declines', () => {
    const words = fc.array(
      fc.oneof(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc
          .bigInt({ min: 0n, max: (1n << 64n) - 1n })
          .map((v) => hexToBytes(`0x${v.toString(16).padStart(64, '0')}`)),
        fc.constant(hexToBytes(`0x${'f'.repeat(64)}`)),
        fc.constant(hexToBytes(`0x${'0'.repeat(63)}1`)),
      ),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(params, words, (ts, ws) => {
        const ps = ts.slice(0, ws.length).map((type) => ({ type }));
        const data = new Uint8Array(ws.slice(0, ps.length).flatMap((w) => [...w]));
        const fast = decodeStaticParameters(ps, data);
        let slow: unknown[] | undefined;
        try {
          slow = [...decodeAbiParameters(ps, bytesToHex(data))].map((a) =>
            typeof a === 'string' ? a.toLowerCase() : a,
          );
        } catch {
          slow = undefined;
        }
        if (fast !== undefined) expect(fast).toEqual(slow);
      }),
      { numRuns: 500 },
    );
    // Round trip of clean encodings always takes the fast path.
    const ps = [{ type: 'address' }, { type: 'uint256' }, { type: 'bool' }, { type: 'int64' }];
    const vs = ['0x00000000000000000000000000000000000000aa', 5n, true, -3n];
    expect(decodeStaticParameters(ps, hexToBytes(encodeAbiParameters(ps, vs)))).toEqual(vs);
    expect(decodeStaticParameters([{ type: 'string' }], new Uint8Array(32))).toBeUndefined();
    expect(decodeStaticParameters(ps, new Uint8Array(31))).toBeUndefined();
  });
});
