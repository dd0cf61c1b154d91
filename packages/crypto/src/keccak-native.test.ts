// keccak256 through the `keccak` package's prebuilt native binary must be the one that loads here, and
// must give noble's digest for every input: empty, the Keccak rate boundaries (135/136/137 bytes), long
// input, views into larger buffers, and random bytes. Known vectors pin both to Ethereum's Keccak-256.
import { toHex, utf8 } from '@gridledger/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keccak256, keccak256Noble, keccakBackend } from './hash.ts';

describe('keccak256: native and noble agree', () => {
  it('loads the native Keccak binary on this platform', () => {
    expect(keccakBackend).toBe('native');
  });

  it("gives Ethereum's Keccak-256 (not SHA3-256) on known vectors", () => {
    expect(toHex(keccak256(new Uint8Array()))).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
    expect(toHex(keccak256(utf8('transfer(address,uint256)'))).slice(0, 10)).toBe('0xa9059cbb');
  });

  it('matches noble at the rate boundaries, on long input and on views into larger buffers', () => {
    for (const n of [0, 1, 31, 32, 33, 135, 136, 137, 271, 272, 273, 100_000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      expect(toHex(keccak256(b))).toBe(toHex(keccak256Noble(b)));
    }
    const big = Uint8Array.from({ length: 500 }, (_, i) => i & 0xff);
    const view = big.subarray(17, 217);
    expect(toHex(keccak256(view))).toBe(toHex(keccak256Noble(view.slice())));
    expect(toHex(keccak256(Buffer.from(view)))).toBe(toHex(keccak256Noble(view.slice())));
  });

  it('matches noble on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => toHex(keccak256(b)) === toHex(keccak256Noble(b))),
      { numRuns: 500 },
    );
  });
});
