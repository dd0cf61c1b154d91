import { GridledgerError } from '@gridledger/base';
import fc from 'fast-check';
import { fromRlp, toRlp } from 'viem';
import { describe, expect, it } from 'vitest';
import { RlpError, type RlpItem, rlpDecode, rlpEncode } from './rlp.ts';

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
