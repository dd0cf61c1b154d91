// Module state with its per-block commitment and persistence. Holds the JournaledState and the sparse
// Merkle tree; once per block, `finalize()` folds the keys the block changed into the tree (one root per
// block) and returns the store writes for them, which the node saves atomically with the block
// (NodeStore.saveBlock's AppCommit). On load the tree is rebuilt from the persisted leaves, so a
// restart gives the same root. Store layout inside the application's state namespace:
//   0x01 || utf8(key) -> value as 32-byte big-endian      (state leaves; absent = 0)
// Other prefixes (receipts, blocks) belong to the application (app.ts), not to the commitment.
import type { KVStore, StateWrite } from '@gridledger/app-api';
import { type SmtProof, SparseMerkleTree } from './smt.ts';
import { JournaledState } from './state.ts';

/** Store key prefix of state leaves. */
export const STATE_LEAF_PREFIX = 0x01;
const LEAF_PREFIX_BYTES = new Uint8Array([STATE_LEAF_PREFIX]);
const LEAF_PREFIX_CHAR = String.fromCharCode(STATE_LEAF_PREFIX);
const decoder = new TextDecoder();

/** A uint256 as 32 big-endian bytes (through hex: Node converts natively, no per-byte bigint steps). */
export function encodeValue32(value: bigint): Uint8Array {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

/** 32 (or fewer) big-endian bytes as a bigint. */
function decodeValue32Bytes(bytes: Uint8Array): bigint {
  return bytes.length === 0
    ? 0n
    : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

/**
 * Committed module state: values, journal, sparse Merkle tree.
 * @example
 * const cs = await CommittedState.load(store.state);
 * cs.state.set('k', 1n);
 * const { root, writes } = cs.finalize();
 */
export class CommittedState {
  readonly state = new JournaledState();
  readonly tree = new SparseMerkleTree();
  #finalized: [string, bigint][] | undefined;

  /** Loads every persisted leaf from `kv` (or starts empty). */
  static async load(kv?: KVStore): Promise<CommittedState> {
    const cs = new CommittedState();
    if (kv === undefined) return cs;
    for await (const [k, v] of kv.entries(LEAF_PREFIX_BYTES)) {
      const key = decoder.decode(k.subarray(1));
      const value = decodeValue32Bytes(v);
      cs.state.set(key, value);
      cs.tree.set(key, value);
    }
    cs.state.markCommitted();
    return cs;
  }

  /** The root of the tree as last finalized. */
  root(): Uint8Array {
    return this.tree.root();
  }

  /**
   * Folds the keys changed since the last commit into the tree; returns the new root and the store
   * writes of those keys (in sorted key order).
   */
  finalize(): { root: Uint8Array; writes: StateWrite[] } {
    const changed = this.state.changedKeys();
    const writes: StateWrite[] = [];
    // Set first: a rollback after a throw part-way through the loop restores every key it touched.
    this.#finalized = changed;
    for (const [key, value] of changed) {
      this.tree.set(key, value);
      writes.push({ key: leafStoreKey(key), value: value === 0n ? null : encodeValue32(value) });
    }
    return { root: this.tree.root(), writes };
  }

  /** Undoes everything since the last commit, in the values and (if finalized) in the tree. */
  rollback(): void {
    const changed = this.#finalized ?? [];
    this.state.revert(0);
    for (const [key] of changed) this.tree.set(key, this.state.get(key));
    this.#finalized = undefined;
  }

  /** Makes the finalized state the base of the next block. */
  commit(): void {
    this.state.markCommitted();
    this.#finalized = undefined;
  }

  /** A proof of `key` against {@link root} (the last finalized root). */
  prove(key: string): SmtProof {
    return this.tree.prove(key);
  }
}

/** The store key of a state leaf. */
export function leafStoreKey(key: string): Uint8Array {
  return Buffer.from(LEAF_PREFIX_CHAR + key, 'utf8');
}
