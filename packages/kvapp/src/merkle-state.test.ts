import { compareBytes, concatBytes, toHex, utf8 } from '@gridledger/base';
import { merkleRoot, sha256 } from '@gridledger/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeStateLeaf, MerkleKvState, STATE_BUCKET_BITS, stateBucketOf } from './merkle-state.ts';

const EMPTY_BUCKET = merkleRoot([]);

/** The commitment computed from scratch, straight from its definition in merkle-state.ts. */
function referenceRoot(pairs: [Uint8Array, Uint8Array][]): Uint8Array {
  const buckets: [Uint8Array, Uint8Array][][] = Array.from({ length: 1 << STATE_BUCKET_BITS }, () => []);
  for (const p of pairs) buckets[(sha256(p[0])[0]! << 8) | sha256(p[0])[1]!]!.push(p);
  let level = buckets.map((b) =>
    b.length === 0
      ? EMPTY_BUCKET
      : merkleRoot(b.sort((x, y) => compareBytes(x[0], y[0])).map(([k, v]) => encodeStateLeaf(k, v))),
  );
  // A memo of node hashes by child identity (a pure cache: most of the 65,535 nodes are empty-over-empty,
  // and equal empty subtrees are the same object here).
  const memo = new Map<Uint8Array, Map<Uint8Array, Uint8Array>>();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const l = level[i]!;
      const r = level[i + 1]!;
      let byRight = memo.get(l);
      if (byRight === undefined) memo.set(l, (byRight = new Map()));
      let h = byRight.get(r);
      if (h === undefined) byRight.set(r, (h = sha256(concatBytes(new Uint8Array([1]), l, r))));
      next.push(h);
    }
    level = next;
  }
  return level[0]!;
}

describe('MerkleKvState', () => {
  it('matches the from-scratch definition after any sequence of sets, deletes and root() calls', () => {
    // Keys from a small alphabet so that sets, overwrites and deletes hit the same keys; a few
    // hand-picked keys share a bucket so that buckets with several sorted leaves are exercised.
    const shared: Uint8Array[] = [];
    for (let i = 0; shared.length < 3; i++) {
      const k = utf8(`c${i}`);
      if (shared.length === 0 || stateBucketOf(k) === stateBucketOf(shared[0]!)) shared.push(k);
    }
    const key = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 2 }), fc.constantFrom(...shared));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.option(fc.uint8Array({ maxLength: 4 })), fc.boolean()), { maxLength: 40 }),
        (ops) => {
          const s = new MerkleKvState();
          const model = new Map<string, [Uint8Array, Uint8Array]>();
          for (const [k, v, takeRoot] of ops) {
            s.set(k, v);
            if (v === null) model.delete(toHex(k));
            else model.set(toHex(k), [k, v]);
            if (takeRoot) s.root();
          }
          expect(toHex(s.root())).toBe(toHex(referenceRoot([...model.values()])));
          expect(s.size).toBe(model.size);
        },
      ),
      { numRuns: 40 },
    );
  });
  it('is independent of insertion order, and changes with any value', () => {
    const a = new MerkleKvState();
    const empty = a.root();
    expect(empty).toEqual(referenceRoot([]));
    a.set(utf8('x'), utf8('1'));
    a.set(utf8('y'), utf8('2'));
    const b = new MerkleKvState();
    b.set(utf8('y'), utf8('2'));
    b.set(utf8('x'), utf8('1'));
    expect(a.root()).toEqual(b.root());
    b.set(utf8('y'), utf8('3'));
    expect(a.root()).not.toEqual(b.root());
    b.set(utf8('y'), null);
    b.set(utf8('x'), null);
    expect(b.root()).toEqual(empty);
  });
});
