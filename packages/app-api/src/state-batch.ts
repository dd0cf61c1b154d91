// The small key-value API an application sees: a read-only KVStore over its committed state and a
// StateBatch that collects the writes of one block, handed to NodeStore.saveBlock so that they are
// committed in the same atomic database batch as the block itself.
import { InputError } from '@gridledger/base';

/** One write of application state: a value, or null to delete the key. */
export interface StateWrite {
  key: Uint8Array;
  value: Uint8Array | null;
}

/** Read access to committed application state (keys and values are opaque bytes). */
export interface KVStore {
  /** The committed value of `key`, or undefined. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Every committed pair whose key starts with `prefix`, in ascending byte order of keys. */
  entries(prefix?: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]>;
}

/** Largest key an application may write (bytes). */
export const MAX_STATE_KEY_BYTES = 1024;

/**
 * Writes of one block, in order; a later write to a key replaces an earlier one.
 * @example
 * const batch = new StateBatch();
 * batch.put(utf8('a'), utf8('1'));
 * batch.del(utf8('b'));
 * await store.saveBlock(record, { writes: batch.writes(), appHash });
 */
export class StateBatch {
  readonly #writes = new Map<string, StateWrite>();

  /** Sets `key` to `value`. */
  put(key: Uint8Array, value: Uint8Array): this {
    checkKey(key);
    if (!(value instanceof Uint8Array))
      throw new InputError('StateBatch.put: expected the value as a Uint8Array');
    this.#writes.set(keyId(key), { key: key.slice(), value: value.slice() });
    return this;
  }

  /** Deletes `key`. */
  del(key: Uint8Array): this {
    checkKey(key);
    this.#writes.set(keyId(key), { key: key.slice(), value: null });
    return this;
  }

  /** Number of distinct keys written. */
  get size(): number {
    return this.#writes.size;
  }

  /** The final write of every key touched, in first-touch order. */
  writes(): StateWrite[] {
    return [...this.#writes.values()];
  }
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new InputError('StateBatch: expected the key as a Uint8Array');
  if (key.length === 0 || key.length > MAX_STATE_KEY_BYTES) {
    throw new InputError(`StateBatch: expected a key of 1..${MAX_STATE_KEY_BYTES} bytes, got ${key.length}`);
  }
}

/** Map key of a byte string (native hex encoder). */
function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}
