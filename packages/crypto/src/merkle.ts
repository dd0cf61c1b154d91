// Binary Merkle trees over sha256 in the RFC 6962 style: leaves hashed as H(0x00 || leaf), inner nodes
// as H(0x01 || left || right), an unpaired node promoted unchanged (no duplication, so no CVE-2012-2459
// style second preimage). The empty tree's root is sha256 of no bytes.
import { concatBytes, equalBytes } from '@gridledger/base';
import { sha256 } from './hash.ts';

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** Hash of one leaf. */
export function merkleLeafHash(leaf: Uint8Array): Uint8Array {
  return sha256(concatBytes(LEAF, leaf));
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concatBytes(NODE, left, right));
}

/** Merkle root of the leaves, in order. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  let level = leaves.map(merkleLeafHash);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    }
    level = next;
  }
  return level[0]!;
}

/** An inclusion proof: sibling hashes from the leaf upward, each marked left or right of the path. */
export interface MerkleProof {
  index: number;
  leafCount: number;
  siblings: { hash: Uint8Array; left: boolean }[];
}

/** Builds the inclusion proof of leaf `index`. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf index ${index} out of range 0..${leaves.length - 1}`);
  }
  const siblings: MerkleProof['siblings'] = [];
  let level = leaves.map(merkleLeafHash);
  let i = index;
  while (level.length > 1) {
    const sib = i % 2 === 0 ? i + 1 : i - 1;
    if (sib < level.length) siblings.push({ hash: level[sib]!, left: sib < i });
    const next: Uint8Array[] = [];
    for (let k = 0; k < level.length; k += 2) {
      next.push(k + 1 < level.length ? nodeHash(level[k]!, level[k + 1]!) : level[k]!);
    }
    level = next;
    i = Math.floor(i / 2);
  }
  return { index, leafCount: leaves.length, siblings };
}

/** Checks that `leaf` is in the tree with `root` according to `proof`. */
export function merkleVerify(root: Uint8Array, leaf: Uint8Array, proof: MerkleProof): boolean {
  let h = merkleLeafHash(leaf);
  for (const s of proof.siblings) h = s.left ? nodeHash(s.hash, h) : nodeHash(h, s.hash);
  return equalBytes(h, root);
}
