// An in-memory KVStore for applications run without a database (in-process consensus simulations).
import { compareBytes, toHex } from '@gridledger/base';
import type { KVStore, StateWrite } from './state-batch.ts';

/**
 * A {@link KVStore} held in memory; {@link MemoryKVStore.apply} plays the role of a committed batch.
 * @example
 * const kv = new MemoryKVStore();
 * kv.apply(batch.writes());
 */
export class MemoryKVStore implements KVStore {
  readonly #map = new Map<string, [Uint8Array, Uint8Array]>();

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#map.get(toHex(key))?.[1].slice();
  }

  async *entries(prefix: Uint8Array = new Uint8Array(0)): AsyncIterable<[Uint8Array, Uint8Array]> {
    const hits = [...this.#map.values()].filter(([k]) => startsWith(k, prefix));
    hits.sort((a, b) => compareBytes(a[0], b[0]));
    for (const [k, v] of hits) yield [k.slice(), v.slice()];
  }

  /** Applies writes in order (null deletes). */
  apply(writes: readonly StateWrite[]): void {
    for (const w of writes) {
      if (w.value === null) this.#map.delete(toHex(w.key));
      else this.#map.set(toHex(w.key), [w.key.slice(), w.value.slice()]);
    }
  }
}

function startsWith(a: Uint8Array, prefix: Uint8Array): boolean {
  if (a.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (a[i] !== prefix[i]) return false;
  return true;
}
