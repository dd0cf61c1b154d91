// An in-memory KVStore for applications run without a database (in-process consensus simulations).
import type { KVStore, StateWrite } from './state-batch.ts';

/**
 * A {@link KVStore} held in memory; {@link MemoryKVStore.apply} plays the role of a committed batch.
 * @example
 * const kv = new MemoryKVStore();
 * kv.apply(batch.writes());
 */
export class MemoryKVStore implements KVStore {
  /** Hex of the key -> value bytes as a latin1 string: strings, not one ArrayBuffer per key and value,
   * keep a large in-memory state cheap for the garbage collector. Hex order is byte order. */
  readonly #map = new Map<string, string>();

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const v = this.#map.get(hexOf(key));
    return v === undefined ? undefined : new Uint8Array(Buffer.from(v, 'latin1'));
  }

  async *entries(prefix: Uint8Array = new Uint8Array(0)): AsyncIterable<[Uint8Array, Uint8Array]> {
    const p = hexOf(prefix);
    const hits = [...this.#map.keys()].filter((k) => k.startsWith(p)).sort();
    for (const k of hits) {
      yield [new Uint8Array(Buffer.from(k, 'hex')), new Uint8Array(Buffer.from(this.#map.get(k)!, 'latin1'))];
    }
  }

  /** Applies writes in order (null deletes). */
  apply(writes: readonly StateWrite[]): void {
    for (const w of writes) {
      if (w.value === null) this.#map.delete(hexOf(w.key));
      else this.#map.set(hexOf(w.key), latin1Of(w.value));
    }
  }
}

const view = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const hexOf = (b: Uint8Array) => view(b).toString('hex');
const latin1Of = (b: Uint8Array) => view(b).toString('latin1');
