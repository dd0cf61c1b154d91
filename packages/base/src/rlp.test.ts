import fc from 'fast-check';
import { fromRlp, toRlp } from 'viem';
import { describe, expect, it } from 'vitest';
import { GridledgerError } from './errors.ts';
import { RlpError, type RlpItem, rlpDecode, rlpEncode, rlpEncodeInt, rlpIntBytes } from './rlp.ts';

const item: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>((tie) => ({
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 80 }),
    fc.uint8Array({ minLength: 0, maxLength: 1 }),
    fc.array(tie('item'), { maxLength: 5 }),
  ),
})).item;

describe('rlp', () => {
  it('encodes exactly as viem (Ethereum RLP) and decodes back', () => {
    fc.assert(
      fc.property(item, (x) => {
        const mine = rlpEncode(x);
        expect(mine).toEqual(toRlp(x as never, 'bytes'));
        expect(rlpDecode(mine)).toEqual(x);
      }),
      { numRuns: 500 },
    );
  });
  it('handles long strings and lists (multi-byte length prefixes)', () => {
    for (const n of [55, 56, 255, 256, 1000]) {
      const s = new Uint8Array(n).fill(7);
      expect(rlpEncode(s)).toEqual(toRlp(s, 'bytes'));
      expect(rlpDecode(rlpEncode([s, [s]]))).toEqual([s, [s]]);
    }
    const big = new Uint8Array(70_000).fill(3);
    const enc = rlpEncode([big]);
    expect(Array.from(enc.subarray(0, 8))).toEqual([0xf9 + 1, 0x01, 0x11, 0x74, 0xba, 0x01, 0x11, 0x70]);
    expect(rlpDecode(enc)).toEqual([big]);
  });
  it('accepts only canonical input', () => {
    const bad: [number[], RegExp][] = [
      [[0x81, 0x05], /single byte below 0x80/],
      [[0xb8, 0x05, 1, 2, 3, 4, 5], /long form used for a short length/],
      [[0xb9, 0x00, 0x40], /leading zero/],
      [[0x83, 1, 2], /runs past the end/],
      [[0xc2, 0x01], /runs past the end/],
      [[0x01, 0x02], /1 trailing bytes/],
      [[], /unexpected end/],
    ];
    for (const [b, why] of bad) expect(() => rlpDecode(new Uint8Array(b))).toThrow(why);
    let deep: RlpItem = [];
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(() => rlpDecode(rlpEncode(deep))).toThrow(/nested deeper/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (b) => {
        let x: RlpItem | undefined;
        try {
          x = rlpDecode(b);
        } catch (e) {
          expect(e).toBeInstanceOf(RlpError);
          return;
        }
        expect(rlpEncode(x)).toEqual(b); // whatever is accepted is canonical
        expect(fromRlp(b, 'bytes')).toEqual(x);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('RlpError', () => {
  it('is a GridledgerError with code E_RLP and the offset where decoding stopped', () => {
    const e = new RlpError('trailing bytes', 3);
    expect(e).toBeInstanceOf(GridledgerError);
    expect([e.code, e.offset, e.message]).toEqual(['E_RLP', 3, 'trailing bytes at byte 3']);
  });
});

describe('RLP integers', () => {
  it('writes minimal big-endian bytes, empty for zero, and refuses negatives', () => {
    expect(rlpIntBytes(0n)).toEqual(new Uint8Array(0));
    expect(rlpIntBytes(1n)).toEqual(Uint8Array.of(1));
    expect(rlpIntBytes(1024n)).toEqual(Uint8Array.of(4, 0));
    expect(rlpIntBytes(2n ** 256n - 1n)).toEqual(new Uint8Array(32).fill(0xff));
    expect(() => rlpIntBytes(-1n)).toThrow(/expected a non-negative integer, got -1/);
    expect(rlpEncodeInt(0n)).toEqual(Uint8Array.of(0x80));
    expect(rlpEncodeInt(0x7fn)).toEqual(Uint8Array.of(0x7f));
    expect(rlpEncodeInt(0x80n)).toEqual(Uint8Array.of(0x81, 0x80));
    expect(rlpEncodeInt(1337n)).toEqual(Uint8Array.of(0x82, 0x05, 0x39));
  });
  it("agrees with viem's toRlp of the integer's minimal hex, and decodes back", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), (v) => {
        const hex =
          v === 0n ? '0x' : `0x${v.toString(16).padStart(Math.ceil(v.toString(16).length / 2) * 2, '0')}`;
        expect(Buffer.from(rlpEncodeInt(v)).toString('hex')).toBe(toRlp(hex as `0x${string}`).slice(2));
        const back = rlpDecode(rlpEncodeInt(v)) as Uint8Array;
        expect(back.length === 0 ? 0n : BigInt(`0x${Buffer.from(back).toString('hex')}`)).toBe(v);
      }),
    );
  });
});
