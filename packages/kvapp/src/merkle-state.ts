// The key-value state held in memory with its commitment, updated incrementally so that a block costs
// O(touched keys x (bucket size + 16)) hashes, not O(state size). The commitment (a pure function of
// the set of pairs, independent of the order they were written in):
//   leaf(k, v)    = u16 big-endian key length || k || v
//   bucket(k)     = first 2 bytes of sha256(k), a number in 0..65535
//   bucketRoot(b) = merkleRoot (@gridledger/crypto, RFC 6962 style) of the leaves of bucket b sorted by
//                   key bytes; sha256 of no bytes for an empty bucket
//   root          = the complete binary Merkle tree of depth 16 over the 65,536 bucket roots in bucket
//                   order, inner node = sha256(0x01 || left || right)
import { hash } from 'node:crypto';
import { merkleLeafHash, sha256 } from '@gridledger/crypto';

interface Entry {
  key: Uint8Array;
  value: Uint8Array;
  leaf: Uint8Array;
}

/** Depth of the fixed tree over buckets. */
export const STATE_BUCKET_BITS = 16;
const BUCKETS = 1 << STATE_BUCKET_BITS;

/** The leaf bytes of one pair: 2-byte big-endian key length, key, value. */
export function encodeStateLeaf(key: Uint8Array, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + key.length + value.length);
  out[0] = key.length >> 8;
  out[1] = key.length & 0xff;
  out.set(key, 2);
  out.set(value, 2 + key.length);
  return out;
}

/** The bucket of a key: the first two bytes of sha256(key). */
export function stateBucketOf(key: Uint8Array): number {
  const h = hash('sha256', key, 'buffer');
  return (h[0]! << 8) | h[1]!;
}

// Inner nodes are hashed from one reused 65-byte buffer with the one-shot hash (the hot path of root()).
const NODE_BUF = Buffer.alloc(65);
NODE_BUF[0] = 0x01;
function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  NODE_BUF.set(left, 1);
  NODE_BUF.set(right, 33);
  const b = hash('sha256', NODE_BUF, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Map key of a byte string: its hex (native encoder; hex order equals byte order). */
function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

/** Root of the RFC 6962 style tree over already-hashed leaves (promotion of an unpaired node). */
function rootOfLeafHashes(level: Uint8Array[]): Uint8Array {
  if (level.length === 0) return EMPTY_ROOT;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    }
    level = next;
  }
  return level[0]!;
}

const EMPTY_ROOT = sha256(new Uint8Array(0));
/** EMPTY[d]: hash of an all-empty subtree of height d (d = 0 is an empty bucket). */
const EMPTY: Uint8Array[] = [EMPTY_ROOT];
for (let d = 1; d <= STATE_BUCKET_BITS; d++) EMPTY.push(nodeHash(EMPTY[d - 1]!, EMPTY[d - 1]!));

/**
 * Key-value pairs and their commitment (see the file header).
 * @example
 * const s = new MerkleKvState();
 * s.set(utf8('a'), utf8('1'));
 * s.root(); // 32 bytes
 */
export class MerkleKvState {
  readonly #entries = new Map<string, Entry>();
  /** Hex keys of each non-empty bucket, sorted. */
  readonly #buckets = new Map<number, string[]>();
  /** Heap-ordered tree nodes: index 1 is the root, BUCKETS + b is bucket b; absent means empty. */
  readonly #nodes = new Map<number, Uint8Array>();
  readonly #dirty = new Set<number>();

  /** Number of keys. */
  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key`, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.#entries.get(keyId(key))?.value;
  }

  /** Sets `key` to `value` (null deletes); returns the previous value or null. */
  set(key: Uint8Array, value: Uint8Array | null): Uint8Array | null {
    const hex = keyId(key);
    const prev = this.#entries.get(hex);
    if (value === null) {
      if (prev === undefined) return null;
      this.#entries.delete(hex);
      const b = stateBucketOf(key);
      const list = this.#buckets.get(b)!;
      list.splice(indexOf(list, hex), 1);
      if (list.length === 0) this.#buckets.delete(b);
      this.#dirty.add(b);
      return prev.value;
    }
    const b = stateBucketOf(key);
    this.#entries.set(hex, {
      key: key.slice(),
      value: value.slice(),
      leaf: merkleLeafHash(encodeStateLeaf(key, value)),
    });
    if (prev === undefined) {
      let list = this.#buckets.get(b);
      if (list === undefined) this.#buckets.set(b, (list = []));
      list.splice(indexOf(list, hex), 0, hex);
    }
    this.#dirty.add(b);
    return prev?.value ?? null;
  }

  /** The commitment to all pairs; recomputes only the buckets touched since the last call. */
  root(): Uint8Array {
    if (this.#dirty.size > 0) {
      let level = new Set<number>();
      for (const b of this.#dirty) {
        const list = this.#buckets.get(b);
        const idx = BUCKETS + b;
        if (list === undefined) this.#nodes.delete(idx);
        else this.#nodes.set(idx, rootOfLeafHashes(list.map((h) => this.#entries.get(h)!.leaf)));
        level.add(idx >> 1);
      }
      this.#dirty.clear();
      for (let d = 1; d <= STATE_BUCKET_BITS; d++) {
        const next = new Set<number>();
        for (const i of level) {
          const l = this.#nodes.get(2 * i);
          const r = this.#nodes.get(2 * i + 1);
          if (l === undefined && r === undefined) this.#nodes.delete(i);
          else this.#nodes.set(i, nodeHash(l ?? EMPTY[d - 1]!, r ?? EMPTY[d - 1]!));
          next.add(i >> 1);
        }
        level = next;
      }
    }
    return this.#nodes.get(1) ?? EMPTY[STATE_BUCKET_BITS]!;
  }

  /** Every pair, in no particular order. */
  *entries(): Iterable<[Uint8Array, Uint8Array]> {
    for (const e of this.#entries.values()) yield [e.key, e.value];
  }
}

/** Position of `hex` in the sorted list, or where it would be inserted. */
function indexOf(list: string[], hex: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < hex) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
