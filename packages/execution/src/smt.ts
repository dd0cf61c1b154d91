// The state commitment: a sparse Merkle tree over 256-bit paths (path = sha256(key)) in which a subtree
// holding one leaf is that leaf itself and an empty subtree hashes to 32 zero bytes, so the tree has
// the depth of its keys' longest common prefixes (about log2 n), not 256. The root is a function of the
// set of (key, value) pairs alone, whatever the order of updates. Proof format: README.md.
//   empty      = 0x00 * 32
//   leaf       = sha256(0x00 || path || value as 32-byte big-endian)
//   inner      = sha256(0x01 || left || right)
import { hash as oneShotHash } from 'node:crypto';
import { bigintToBytes, equalBytes, InputError, toHex } from '@gridledger/base';

/** The hash of an empty subtree. */
export const EMPTY_HASH: Uint8Array = new Uint8Array(32);
const MAX_U256 = (1n << 256n) - 1n;

// Inside the tree, paths and hashes are 32-character latin1 strings (one char per byte): Node hashes
// into a string without allocating an ArrayBuffer per digest, which made a large block's commitment
// mostly garbage collection. The public functions below take and return bytes.
type H = string;
const EMPTY: H = '\0'.repeat(32);

interface Leaf {
  leaf: true;
  path: H;
  value: bigint;
  hash: H;
}
interface Inner {
  leaf: false;
  left: SmtNode | null;
  right: SmtNode | null;
  hash: H | null;
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

/** Scratch buffer of a node preimage: tag byte and two 32-byte halves (hashing copies it). */
const scratch = Buffer.alloc(65);

const toBytes = (h: H): Uint8Array => new Uint8Array(Buffer.from(h, 'latin1'));
const fromBytes = (b: Uint8Array, what: string): H => {
  if (!(b instanceof Uint8Array) || b.length !== 32) throw new InputError(`${what}: expected 32 bytes`);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
};

/** The path of a key, as a string: sha256 of its UTF-8 bytes (Node encodes the string natively). */
const pathOf = (key: string): H => oneShotHash('sha256', key, 'binary');

/** Hash of a node preimage `tag || a || b` (32-char strings). */
function node(tag: number, a: H, b: H): H {
  scratch[0] = tag;
  scratch.write(a, 1, 32, 'latin1');
  scratch.write(b, 33, 32, 'latin1');
  return oneShotHash('sha256', scratch, 'binary');
}

/** Hash of a leaf: `0x00 || path || value as 32-byte big-endian`. */
function leafHash(path: H, value: bigint): H {
  scratch[0] = 0;
  scratch.write(path, 1, 32, 'latin1');
  scratch.write(value.toString(16).padStart(64, '0'), 33, 32, 'hex');
  return oneShotHash('sha256', scratch, 'binary');
}

const bit = (path: H, i: number): number => (path.charCodeAt(i >> 3) >> (7 - (i & 7))) & 1;

/** The path of a key: sha256 of its UTF-8 bytes. */
export function smtPath(key: string): Uint8Array {
  return toBytes(pathOf(key));
}

/** The hash of the leaf holding `value` at `path`. */
export function smtLeafHash(path: Uint8Array, value: bigint): Uint8Array {
  return toBytes(node(0, fromBytes(path, 'smtLeafHash path'), fromBytes(bigintToBytes(value, 32), 'value')));
}

/** The hash of an inner node. */
export function smtInnerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return toBytes(node(1, fromBytes(left, 'smtInnerHash left'), fromBytes(right, 'smtInnerHash right')));
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
    this.#set(pathOf(key), value);
  }

  /** Sets the leaf at a precomputed `path` (sha256 of the key). */
  setPath(path: Uint8Array, value: bigint): void {
    this.#set(fromBytes(path, 'SparseMerkleTree.setPath'), value);
  }

  #set(path: H, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value > MAX_U256) {
      throw new InputError(`SparseMerkleTree.set: expected a uint256 bigint value, got ${String(value)}`);
    }
    if (value === 0n) this.#root = this.#delete(this.#root, 0, path);
    else this.#root = this.#insert(this.#root, 0, { leaf: true, path, value, hash: leafHash(path, value) });
  }

  /** The root hash (EMPTY_HASH when no leaves). */
  root(): Uint8Array {
    return toBytes(this.#hash(this.#root));
  }

  /** A proof of `key`'s value (0n when absent) against {@link root}. */
  prove(key: string): SmtProof {
    const path = pathOf(key);
    const siblings: Uint8Array[] = [];
    let n = this.#root;
    let depth = 0;
    while (n !== null && !n.leaf) {
      const b = bit(path, depth);
      siblings.push(toBytes(this.#hash(b === 0 ? n.right : n.left)));
      n = b === 0 ? n.left : n.right;
      depth++;
    }
    const pathBytes = toBytes(path);
    if (n === null) return { key, path: pathBytes, value: 0n, siblings, other: null };
    if (n.path === path) return { key, path: pathBytes, value: n.value, siblings, other: null };
    return { key, path: pathBytes, value: 0n, siblings, other: { path: toBytes(n.path), value: n.value } };
  }

  #insert(n: SmtNode | null, depth: number, leaf: Leaf): SmtNode {
    if (n === null) {
      this.#size++;
      return leaf;
    }
    if (n.leaf) {
      if (n.path === leaf.path) return leaf;
      this.#size++;
      return split(n, leaf, depth);
    }
    if (bit(leaf.path, depth) === 0) n.left = this.#insert(n.left, depth + 1, leaf);
    else n.right = this.#insert(n.right, depth + 1, leaf);
    n.hash = null;
    return n;
  }

  #delete(n: SmtNode | null, depth: number, path: H): SmtNode | null {
    if (n === null) return null;
    if (n.leaf) {
      if (n.path !== path) return n;
      this.#size--;
      return null;
    }
    if (bit(path, depth) === 0) n.left = this.#delete(n.left, depth + 1, path);
    else n.right = this.#delete(n.right, depth + 1, path);
    n.hash = null;
    // A subtree left with one leaf and nothing else becomes that leaf.
    if (n.left === null && n.right === null) return null;
    if (n.left === null && n.right!.leaf) return n.right;
    if (n.right === null && n.left!.leaf) return n.left;
    return n;
  }

  #hash(n: SmtNode | null): H {
    if (n === null) return EMPTY;
    if (n.leaf) return n.hash;
    if (n.hash === null) n.hash = node(1, this.#hash(n.left), this.#hash(n.right));
    return n.hash;
  }
}

/** Two different leaves under one inner node at `depth`: inner nodes down to the first differing bit. */
function split(a: Leaf, b: Leaf, depth: number): Inner {
  const ba = bit(a.path, depth);
  const bb = bit(b.path, depth);
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
