// RFC 8032 section 7.1 test vectors, and agreement with the noble implementation the node:crypto one replaced.
import { fromHex, toHex, utf8 } from '@gridledger/base';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519KeyPair, ed25519Sign, ed25519Verify } from './ed25519.ts';

const VECTORS = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

describe('ed25519 (RFC 8032 vectors)', () => {
  it('derives the public key and the exact signature, and verifies it', () => {
    for (const v of VECTORS) {
      const kp = ed25519KeyPair(fromHex(v.secret));
      expect(toHex(kp.publicKey)).toBe(`0x${v.public}`);
      const sig = ed25519Sign(fromHex(v.message), kp.secretKey);
      expect(toHex(sig)).toBe(`0x${v.signature}`);
      expect(ed25519Verify(sig, fromHex(v.message), kp.publicKey)).toBe(true);
    }
  });
  it('agrees with noble on keys, signatures and verification for random inputs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 100 }),
        (seed, msg) => {
          const kp = ed25519KeyPair(seed);
          expect(kp.publicKey).toEqual(ed25519.getPublicKey(seed));
          const sig = ed25519Sign(msg, seed);
          expect(sig).toEqual(ed25519.sign(msg, seed));
          expect(ed25519.verify(sig, msg, kp.publicKey)).toBe(true);
          const flipped = sig.slice();
          flipped[0]! ^= 1;
          expect(ed25519Verify(flipped, msg, kp.publicKey)).toBe(false);
        },
      ),
      { numRuns: 50 },
    );
  });
  it('returns false, never throws, for malformed keys and signatures', () => {
    const kp = ed25519KeyPair(new Uint8Array(32).fill(3));
    const sig = ed25519Sign(utf8('m'), kp.secretKey);
    expect(ed25519Verify(sig, utf8('m'), new Uint8Array(31))).toBe(false);
    expect(ed25519Verify(sig, utf8('m'), new Uint8Array(32).fill(0xff))).toBe(false);
    expect(ed25519Verify(new Uint8Array(64), utf8('m'), kp.publicKey)).toBe(false);
    expect(() => ed25519Sign(utf8('m'), new Uint8Array(31))).toThrow(/32 bytes, got 31/);
    expect(ed25519KeyPair().publicKey).toHaveLength(32);
  });
});
