// The state commitment: a sparse Merkle tree over 256-bit paths (path = sha256(key)) in which a subtree
// holding one leaf is that leaf itself and an empty subtree hashes to 32 zero bytes, so the tree has
// the depth of its keys' longest common prefixes (about log2 n), not 256. The root is a function of the
// set of (key, value) pairs alone, whatever the order of updates. Proof format: README.md.
//   empty      = 0x00 * 32
//   leaf       = sha256(0x00 || path || value as 32-byte big-endian)
//   inner      = sha256(0x01 || left || right)
import { hash as oneShotHash } from 'node:crypto';
import { bigintToBytes, bytesToBigint, equalBytes, InputError, toHex, utf8 } from '@gridledger/base';

/** The hash of an empty subtree. */
export const EMPTY_HASH: Uint8Array = new Uint8Array(32);
const MAX_U256 = (1n << 256n) - 1n;

interface Leaf {
  leaf: true;
  path: Uint8Array;
  value: bigint;
  hash: Uint8Array;
}
interface Inner {
  leaf: false;
  left: SmtNode | null;
  right: SmtNode | null;
  hash: Uint8Array | null;
}
type SmtNode = Leaf | Inner;

/** An inclusion (value > 0) or exclusion (value 0) proof of one key; see README.md. */
export interface SmtProof {
  /** The key as stored (UTF-8 string). */
  key: string;
  /** sha256(utf8(key)). */
  path: Uint8Array;
  /** The value proven (0n: the key is absent). */
  value: bigint;
  /** Sibling hashes from the root's children (index 0) down to the terminal node's sibling. */
  siblings: Uint8Array[];
  /**
   * For an absent key only: the different leaf found where the path ends (its path and value), or
   * null when the path ends in an empty subtree.
   */
  other: { path: Uint8Array; value: bigint } | null;
}

/** SHA-256 through Node's one-shot `crypto.hash` (several times cheaper than createHash for 65 bytes). */
function sha(data: Uint8Array): Uint8Array {
  const b = oneShotHash('sha256', data, 'buffer') as unknown as Uint8Array;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Scratch buffer of a node preimage: tag byte and two 32-byte halves (hashing copies it). */
const scratch = new Uint8Array(65);

/** The path of a key: sha256 of its UTF-8 bytes. */
export function smtPath(key: string): Uint8Array {
  return sha(utf8(key));
}

function hashNode(tag: number, a: Uint8Array, b: Uint8Array): Uint8Array {
  scratch[0] = tag;
  scratch.set(a, 1);
  scratch.set(b, 33);
  return sha(scratch);
}

/** The hash of the leaf holding `value` at `path`. */
export function smtLeafHash(path: Uint8Array, value: bigint): Uint8Array {
  return hashNode(0, path, bigintToBytes(value, 32));
}

/** The hash of an inner node. */
export function smtInnerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return hashNode(1, left, right);
}

/** Bit `i` (0 = most significant bit of byte 0) of a path. */
export function pathBit(path: Uint8Array, i: number): number {
  return (path[i >> 3]! >> (7 - (i & 7))) & 1;
}

/**
 * The sparse Merkle tree, in memory. Values are uint256; setting 0 deletes.
 * @example
 * const t = new SparseMerkleTree();
 * t.set('k', 5n);
 * verifySmtProof(t.root(), t.prove('k')); // true
 */
export class SparseMerkleTree {
  #root: SmtNode | null = null;
  #size = 0;

  /** Number of non-zero leaves. */
  get size(): number {
    return this.#size;
  }

  /** Sets `key` to `value` (0n deletes). */
  set(key: string, value: bigint): void {
    this.setPath(smtPath(key), value);
  }

  /** Sets the leaf at a precomputed `path` (sha256 of the key). */
  setPath(path: Uint8Array, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value > MAX_U256) {
      throw new InputError(`SparseMerkleTree.set: expected a uint256 bigint value, got ${String(value)}`);
    }
    if (value === 0n) this.#root = this.#delete(this.#root, 0, path);
    else
      this.#root = this.#insert(this.#root, 0, { leaf: true, path, value, hash: smtLeafHash(path, value) });
  }

  /** The root hash (EMPTY_HASH when no leaves). */
  root(): Uint8Array {
    return this.#hash(this.#root);
  }

  /** A proof of `key`'s value (0n when absent) against {@link root}. */
  prove(key: string): SmtProof {
    const path = smtPath(key);
    const siblings: Uint8Array[] = [];
    let node = this.#root;
    let depth = 0;
    while (node !== null && !node.leaf) {
      const bit = pathBit(path, depth);
      siblings.push(this.#hash(bit === 0 ? node.right : node.left));
      node = bit === 0 ? node.left : node.right;
      depth++;
    }
    if (node === null) return { key, path, value: 0n, siblings, other: null };
    if (equalBytes(node.path, path)) return { key, path, value: node.value, siblings, other: null };
    return { key, path, value: 0n, siblings, other: { path: node.path, value: node.value } };
  }

  #insert(node: SmtNode | null, depth: number, leaf: Leaf): SmtNode {
    if (node === null) {
      this.#size++;
      return leaf;
    }
    if (node.leaf) {
      if (equalBytes(node.path, leaf.path)) return leaf;
      this.#size++;
      return split(node, leaf, depth);
    }
    if (pathBit(leaf.path, depth) === 0) node.left = this.#insert(node.left, depth + 1, leaf);
    else node.right = this.#insert(node.right, depth + 1, leaf);
    node.hash = null;
    return node;
  }

  #delete(node: SmtNode | null, depth: number, path: Uint8Array): SmtNode | null {
    if (node === null) return null;
    if (node.leaf) {
      if (!equalBytes(node.path, path)) return node;
      this.#size--;
      return null;
    }
    if (pathBit(path, depth) === 0) node.left = this.#delete(node.left, depth + 1, path);
    else node.right = this.#delete(node.right, depth + 1, path);
    node.hash = null;
    // A subtree left with one leaf and nothing else becomes that leaf.
    if (node.left === null && node.right === null) return null;
    if (node.left === null && node.right!.leaf) return node.right;
    if (node.right === null && node.left!.leaf) return node.left;
    return node;
  }

  #hash(node: SmtNode | null): Uint8Array {
    if (node === null) return EMPTY_HASH;
    if (node.leaf) return node.hash;
    if (node.hash === null) node.hash = smtInnerHash(this.#hash(node.left), this.#hash(node.right));
    return node.hash;
  }
}

/** Two different leaves under one inner node at `depth`: inner nodes down to the first differing bit. */
function split(a: Leaf, b: Leaf, depth: number): Inner {
  const ba = pathBit(a.path, depth);
  const bb = pathBit(b.path, depth);
  if (ba !== bb) {
    return ba === 0
      ? { leaf: false, left: a, right: b, hash: null }
      : { leaf: false, left: b, right: a, hash: null };
  }
  const child = split(a, b, depth + 1);
  return ba === 0
    ? { leaf: false, left: child, right: null, hash: null }
    : { leaf: false, left: null, right: child, hash: null };
}

/**
 * Checks a proof against a root: recomputes the terminal node (the key's leaf, the other leaf, or an
 * empty subtree) and hashes up with the siblings.
 * @example verifySmtProof(root, proof) // true or false, never throws on a malformed proof
 */
export function verifySmtProof(root: Uint8Array, proof: SmtProof): boolean {
  try {
    if (!equalBytes(proof.path, smtPath(proof.key))) return false;
    if (proof.siblings.length > 256) return false;
    let h: Uint8Array;
    if (proof.value !== 0n) {
      if (proof.other !== null) return false;
      h = smtLeafHash(proof.path, proof.value);
    } else if (proof.other === null) {
      h = EMPTY_HASH;
    } else {
      if (proof.other.value === 0n || equalBytes(proof.other.path, proof.path)) return false;
      // The other leaf must share the path's first `siblings.length` bits to sit where the path ends.
      for (let i = 0; i < proof.siblings.length; i++) {
        if (pathBit(proof.other.path, i) !== pathBit(proof.path, i)) return false;
      }
      h = smtLeafHash(proof.other.path, proof.other.value);
    }
    for (let i = proof.siblings.length - 1; i >= 0; i--) {
      const sib = proof.siblings[i]!;
      if (sib.length !== 32) return false;
      h = pathBit(proof.path, i) === 0 ? smtInnerHash(h, sib) : smtInnerHash(sib, h);
    }
    return equalBytes(h, root);
  } catch {
    return false;
  }
}

/** A proof as JSON (hex strings), the `gl_getProof` answer. */
export function encodeSmtProofJson(proof: SmtProof, root: Uint8Array) {
  return {
    root: toHex(root),
    key: proof.key,
    path: toHex(proof.path),
    value: `0x${proof.value.toString(16)}`,
    siblings: proof.siblings.map(toHex),
    other:
      proof.other === null
        ? null
        : { path: toHex(proof.other.path), value: `0x${proof.other.value.toString(16)}` },
  };
}

/** Decodes a value stored as 32 big-endian bytes. */
export function decodeValue32(bytes: Uint8Array): bigint {
  return bytesToBigint(bytes);
}
