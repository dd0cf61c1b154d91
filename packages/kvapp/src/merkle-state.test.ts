import { compareBytes, toHex, utf8 } from '@gridledger/base';
import { merkleRoot, sha256 } from '@gridledger/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeStateLeaf, MerkleKvState } from './merkle-state.ts';

describe('MerkleKvState', () => {
  it('has the Merkle root of the sorted pairs after any sequence of sets and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.option(fc.uint8Array({ maxLength: 4 }))),
          {
            maxLength: 60,
          },
        ),
        (ops) => {
          const s = new MerkleKvState();
          const model = new Map<string, [Uint8Array, Uint8Array]>();
          for (const [k, v] of ops) {
            s.set(k, v);
            if (v === null) model.delete(toHex(k));
            else model.set(toHex(k), [k, v]);
          }
          const pairs = [...model.values()].sort((a, b) => compareBytes(a[0], b[0]));
          expect(toHex(s.root())).toBe(toHex(merkleRoot(pairs.map(([k, v]) => encodeStateLeaf(k, v)))));
          expect([...s.entries()].map(([k]) => toHex(k))).toEqual(pairs.map(([k]) => toHex(k)));
        },
      ),
    );
  });
  it('is the hash of no bytes when empty and independent of insertion order', () => {
    const a = new MerkleKvState();
    expect(a.root()).toEqual(sha256(new Uint8Array()));
    a.set(utf8('x'), utf8('1'));
    a.set(utf8('y'), utf8('2'));
    const b = new MerkleKvState();
    b.set(utf8('y'), utf8('2'));
    b.set(utf8('x'), utf8('1'));
    expect(a.root()).toEqual(b.root());
    b.set(utf8('y'), utf8('3'));
    expect(a.root()).not.toEqual(b.root());
  });
});
