// The key-value state held in memory with its commitment: a Merkle root (the RFC 6962 style tree of
// @gridledger/crypto) over the pairs sorted by key bytes, leaf = u16 key length || key || value.
// Leaf hashes are cached per key, so a block re-hashes only the leaves it touched plus the inner nodes.
import { toHex } from '@gridledger/base';
import { merkleLeafHash, sha256 } from '@gridledger/crypto';

interface Entry {
  key: Uint8Array;
  value: Uint8Array;
  leaf: Uint8Array;
}

const NODE = 0x01;

/** The leaf bytes of one pair: 2-byte big-endian key length, key, value. */
export function encodeStateLeaf(key: Uint8Array, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + key.length + value.length);
  out[0] = key.length >> 8;
  out[1] = key.length & 0xff;
  out.set(key, 2);
  out.set(value, 2 + key.length);
  return out;
}

/**
 * Sorted key-value pairs and their Merkle root.
 * @example
 * const s = new MerkleKvState();
 * s.set(utf8('a'), utf8('1'));
 * s.root(); // equals merkleRoot([encodeStateLeaf(utf8('a'), utf8('1'))])
 */
export class MerkleKvState {
  /** Hex of every key, sorted (hex order of lower-case digits equals byte order). */
  readonly #sorted: string[] = [];
  readonly #entries = new Map<string, Entry>();
  #root: Uint8Array | undefined;

  /** Number of keys. */
  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key`, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.#entries.get(toHex(key))?.value;
  }

  /** Sets `key` to `value` (null deletes); returns the previous value or null. */
  set(key: Uint8Array, value: Uint8Array | null): Uint8Array | null {
    const hex = toHex(key);
    const prev = this.#entries.get(hex);
    this.#root = undefined;
    if (value === null) {
      if (prev === undefined) return null;
      this.#entries.delete(hex);
      this.#sorted.splice(this.#indexOf(hex), 1);
      return prev.value;
    }
    const entry = {
      key: key.slice(),
      value: value.slice(),
      leaf: merkleLeafHash(encodeStateLeaf(key, value)),
    };
    this.#entries.set(hex, entry);
    if (prev === undefined) this.#sorted.splice(this.#indexOf(hex), 0, hex);
    return prev?.value ?? null;
  }

  /** The Merkle root over all pairs in key order (sha256 of no bytes when empty). */
  root(): Uint8Array {
    if (this.#root !== undefined) return this.#root;
    if (this.#sorted.length === 0) return (this.#root = sha256(new Uint8Array(0)));
    let level = this.#sorted.map((h) => this.#entries.get(h)!.leaf);
    const buf = new Uint8Array(65);
    buf[0] = NODE;
    while (level.length > 1) {
      const next: Uint8Array[] = new Array(Math.ceil(level.length / 2));
      for (let i = 0; i < level.length; i += 2) {
        if (i + 1 < level.length) {
          buf.set(level[i]!, 1);
          buf.set(level[i + 1]!, 33);
          next[i >> 1] = sha256(buf);
        } else {
          next[i >> 1] = level[i]!;
        }
      }
      level = next;
    }
    return (this.#root = level[0]!);
  }

  /** Every pair in key order. */
  *entries(): Iterable<[Uint8Array, Uint8Array]> {
    for (const h of this.#sorted) {
      const e = this.#entries.get(h)!;
      yield [e.key, e.value];
    }
  }

  /** Position of `hex` in the sorted list, or where it would be inserted. */
  #indexOf(hex: string): number {
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#sorted[mid]! < hex) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
