import { fromHex, toHex, utf8 } from '@gridledger/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ed25519KeyPair,
  ed25519Sign,
  ed25519Verify,
  keccak256,
  merkleProof,
  merkleRoot,
  merkleVerify,
  privateKeyToAddress,
  secp256k1RecoverAddress,
  secp256k1SignRecoverable,
  sha256,
} from './index.ts';

describe('hashes', () => {
  it('match published vectors', () => {
    expect(toHex(sha256(utf8('abc')))).toBe(
      '0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(toHex(keccak256(new Uint8Array()))).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
  });
});

describe('secp256k1', () => {
  it('derives the Ethereum address of a known key (hardhat account 0)', () => {
    const pk = fromHex('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
    expect(privateKeyToAddress(pk)).toBe('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
  });
  it('recovers the signer and rejects a tampered digest', () => {
    const pk = fromHex('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
    const digest = keccak256(utf8('hello'));
    const sig = secp256k1SignRecoverable(digest, pk);
    expect(toHex(secp256k1RecoverAddress(digest, sig)!)).toBe(privateKeyToAddress(pk));
    const other = keccak256(utf8('hellp'));
    expect(toHex(secp256k1RecoverAddress(other, sig) ?? new Uint8Array())).not.toBe(privateKeyToAddress(pk));
    expect(secp256k1RecoverAddress(digest, sig.subarray(0, 64))).toBeNull();
  });
});

describe('ed25519', () => {
  it('signs and verifies, rejecting other messages and malformed input', () => {
    const kp = ed25519KeyPair(new Uint8Array(32).fill(7));
    const sig = ed25519Sign(utf8('vote'), kp.secretKey);
    expect(ed25519Verify(sig, utf8('vote'), kp.publicKey)).toBe(true);
    expect(ed25519Verify(sig, utf8('vote!'), kp.publicKey)).toBe(false);
    expect(ed25519Verify(sig.subarray(1), utf8('vote'), kp.publicKey)).toBe(false);
  });
});

describe('merkle', () => {
  it('proves every leaf of any tree and rejects a wrong leaf', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (leaves, k) => {
          const i = k % leaves.length;
          const root = merkleRoot(leaves);
          const proof = merkleProof(leaves, i);
          expect(merkleVerify(root, leaves[i]!, proof)).toBe(true);
          const bad = new Uint8Array([...leaves[i]!, 1]);
          expect(merkleVerify(root, bad, proof)).toBe(false);
        },
      ),
    );
  });
  it('changes the root when any leaf changes', () => {
    const a = merkleRoot([utf8('a'), utf8('b'), utf8('c')]);
    const b = merkleRoot([utf8('a'), utf8('b'), utf8('d')]);
    expect(toHex(a)).not.toBe(toHex(b));
  });
});
