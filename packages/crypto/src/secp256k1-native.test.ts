// libsecp256k1 (native, through the `secp256k1` package's prebuilt binary) and noble must recover the
// same sender, or both refuse, for every signature: valid, high-S, v as 27/28, and arbitrary bytes.
import { bigintToBytes, bytesToBigint, concatBytes, toHex } from '@gridledger/base';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keccak256 } from './hash.ts';
import {
  nobleRecoverAddress,
  privateKeyToAddress,
  secp256k1Backend,
  secp256k1RecoverAddress,
  secp256k1SignRecoverable,
} from './secp256k1.ts';

const N = secp256k1.Point.CURVE().n;
const hex = (b: Uint8Array | null) => (b === null ? null : toHex(b));

function bothAgree(digest: Uint8Array, sig: Uint8Array): string | null {
  const fast = hex(secp256k1RecoverAddress(digest, sig));
  let v = sig[64]!;
  if (v >= 27) v -= 27;
  const slow = v > 1 ? null : hex(nobleRecoverAddress(digest, sig, v));
  expect(fast).toBe(slow);
  return fast;
}

describe('secp256k1 sender recovery: native and noble agree', () => {
  it('loads the native libsecp256k1 binding on this platform', () => {
    expect(secp256k1Backend()).toBe('libsecp256k1');
  });

  it('recovers the signer from valid, high-S and v=27/28 signatures', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: N - 1n }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (k, msg) => {
          const key = bigintToBytes(k, 32);
          const digest = keccak256(msg);
          const sig = secp256k1SignRecoverable(digest, key);
          const addr = privateKeyToAddress(key);
          expect(bothAgree(digest, sig)).toBe(addr);
          expect(bothAgree(digest, concatBytes(sig.subarray(0, 64), new Uint8Array([sig[64]! + 27])))).toBe(
            addr,
          );
          // The malleated twin (s -> n - s, parity flipped) recovers the same key in both.
          const highS = bigintToBytes(N - bytesToBigint(sig.subarray(32, 64)), 32);
          const twin = concatBytes(sig.subarray(0, 32), highS, new Uint8Array([sig[64]! ^ 1]));
          expect(bothAgree(digest, twin)).toBe(addr);
          // Another digest gives another (or no) address, identically in both.
          const other = keccak256(concatBytes(msg, new Uint8Array([1])));
          expect(bothAgree(other, sig)).not.toBe(addr);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('agrees on arbitrary and out-of-range signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 65, maxLength: 65 }),
        (d, s) => {
          bothAgree(d, s);
        },
      ),
      { numRuns: 200 },
    );
    const digest = keccak256(new Uint8Array([1]));
    const edge = [0n, 1n, N - 1n, N, N + 1n, (1n << 256n) - 1n];
    for (const r of edge) {
      for (const s of edge) {
        for (const v of [0, 1, 2, 27, 28, 29]) {
          bothAgree(digest, concatBytes(bigintToBytes(r, 32), bigintToBytes(s, 32), new Uint8Array([v])));
        }
      }
    }
  });
});
