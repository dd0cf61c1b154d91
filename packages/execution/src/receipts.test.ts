import fc from 'fast-check';
import { hexToBytes, keccak256 } from 'viem';
import { describe, expect, it } from 'vitest';
import { bloomAdd, bloomMayContain, logsBloom } from './receipts.ts';

/** The yellow paper's M3:2048, written out independently of receipts.ts. */
function referenceBloom(items: Uint8Array[]): Uint8Array {
  const bloom = new Uint8Array(256);
  for (const item of items) {
    const h = hexToBytes(keccak256(item));
    for (const [hi, lo] of [
      [0, 1],
      [2, 3],
      [4, 5],
    ] as const) {
      const bitFromRight = ((h[hi]! << 8) + h[lo]!) % 2048;
      const byteFromLeft = 255 - Math.floor(bitFromRight / 8);
      bloom[byteFromLeft]! |= 2 ** (bitFromRight % 8);
    }
  }
  return bloom;
}

describe('logs bloom', () => {
  it('equals the reference M3:2048 bloom over addresses and topics, and contains each of them', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            address: fc.uint8Array({ minLength: 20, maxLength: 20 }),
            topics: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 4 }),
          }),
          { maxLength: 5 },
        ),
        (raw) => {
          const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}` as `0x${string}`;
          const logs = raw.map((l) => ({
            address: hex(l.address),
            topics: l.topics.map(hex),
            data: '0x' as const,
          }));
          const bloom = logsBloom(logs);
          const items = raw.flatMap((l) => [l.address, ...l.topics]);
          expect(bloom).toEqual(referenceBloom(items));
          const direct = new Uint8Array(256);
          for (const it of items) bloomAdd(direct, it);
          expect(direct).toEqual(bloom);
          for (const it of items) expect(bloomMayContain(bloom, it)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});
