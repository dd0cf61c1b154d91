import { bigintToBytes, concatBytes, toHex, utf8 } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_HASH,
  pathBit,
  SparseMerkleTree,
  smtInnerHash,
  smtLeafHash,
  smtPath,
  verifySmtProof,
} from './smt.ts';
import { JournaledState } from './state.ts';

/** Reference definition: the root of a set of leaves, computed from scratch by splitting on path bits. */
function referenceRoot(leaves: { path: Uint8Array; value: bigint }[], depth = 0): Uint8Array {
  if (leaves.length === 0) return EMPTY_HASH;
  if (leaves.length === 1) return smtLeafHash(leaves[0]!.path, leaves[0]!.value);
  const left = leaves.filter((l) => pathBit(l.path, depth) === 0);
  const right = leaves.filter((l) => pathBit(l.path, depth) === 1);
  return smtInnerHash(referenceRoot(left, depth + 1), referenceRoot(right, depth + 1));
}

const ops = fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.bigInt({ min: 0n, max: 1000n })), {
  maxLength: 120,
});

describe('SparseMerkleTree', () => {
  it('has the reference root after any sequence of sets and deletes, and proves every key', () => {
    fc.assert(
      fc.property(ops, (list) => {
        const t = new SparseMerkleTree();
        const model = new Map<string, bigint>();
        for (const [k, v] of list) {
          t.set(`k${k}`, v);
          if (v === 0n) model.delete(`k${k}`);
          else model.set(`k${k}`, v);
        }
        const leaves = [...model].map(([k, value]) => ({ path: smtPath(k), value }));
        const root = t.root();
        expect(toHex(root)).toBe(toHex(referenceRoot(leaves)));
        expect(t.size).toBe(model.size);
        for (let k = 0; k <= 40; k++) {
          const p = t.prove(`k${k}`);
          expect(p.value).toBe(model.get(`k${k}`) ?? 0n);
          expect(verifySmtProof(root, p)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('hashes nodes as documented: sha256(0x00 || path || value32) and sha256(0x01 || left || right)', () => {
    const a = sha256(utf8('a'));
    const b = sha256(utf8('b'));
    expect(smtPath('a')).toEqual(a);
    expect(toHex(smtLeafHash(a, 5n))).toBe(
      toHex(sha256(concatBytes(new Uint8Array([0]), a, bigintToBytes(5n, 32)))),
    );
    expect(toHex(smtInnerHash(a, b))).toBe(toHex(sha256(concatBytes(new Uint8Array([1]), a, b))));
  });

  it('is empty-hashed when empty and independent of update order', () => {
    const a = new SparseMerkleTree();
    expect(a.root()).toEqual(EMPTY_HASH);
    a.set('x', 1n);
    a.set('y', 2n);
    const b = new SparseMerkleTree();
    b.set('y', 2n);
    b.set('z', 9n);
    b.set('x', 1n);
    b.set('z', 0n);
    expect(a.root()).toEqual(b.root());
    b.set('x', 0n);
    b.set('y', 0n);
    expect(b.root()).toEqual(EMPTY_HASH);
  });

  it('rejects proofs with a wrong value, key, sibling or root', () => {
    const t = new SparseMerkleTree();
    for (let i = 0; i < 50; i++) t.set(`a${i}`, BigInt(i + 1));
    const root = t.root();
    const p = t.prove('a7');
    expect(verifySmtProof(root, p)).toBe(true);
    expect(verifySmtProof(root, { ...p, value: 9n })).toBe(false);
    expect(verifySmtProof(root, { ...p, key: 'a8' })).toBe(false);
    const sib = p.siblings.map((s) => s.slice());
    sib[0]![0]! ^= 1;
    expect(verifySmtProof(root, { ...p, siblings: sib })).toBe(false);
    expect(verifySmtProof(new Uint8Array(32), p)).toBe(false);
    // An exclusion proof for an absent key verifies; claiming a value for it does not.
    const absent = t.prove('nope');
    expect(absent.value).toBe(0n);
    expect(verifySmtProof(root, absent)).toBe(true);
    expect(verifySmtProof(root, { ...absent, value: 1n, other: null })).toBe(false);
    // A present key cannot be proven absent.
    expect(verifySmtProof(root, { ...p, value: 0n })).toBe(false);
  });
});

describe('JournaledState', () => {
  it('reverts to any snapshot and lists changed keys in sorted order', () => {
    const s = new JournaledState();
    s.set('b', 1n);
    s.set('a', 2n);
    const snap = s.snapshot();
    s.set('a', 0n);
    s.set('c', 3n);
    expect(s.get('a')).toBe(0n);
    s.revert(snap);
    expect([s.get('a'), s.get('b'), s.get('c')]).toEqual([2n, 1n, 0n]);
    expect(s.changedKeys()).toEqual([
      ['a', 2n],
      ['b', 1n],
    ]);
    s.markCommitted();
    expect(s.changedKeys()).toEqual([]);
    s.set('b', 5n);
    s.revert(0);
    expect(s.get('b')).toBe(1n);
    expect(() => s.set('x', -1n)).toThrow(/uint256/);
    expect(() => s.revert(5)).toThrow(/not in the journal/);
  });
});
