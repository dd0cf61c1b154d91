// The module state: uint256 values under string keys (`<module address>:<field>:<args...>`), zero meaning
// absent, with a journal so that any call can be reverted to a snapshot and an uncommitted block rolled
// back. Block boundaries: `changedKeys()` lists the keys touched since the last `markCommitted()`, in
// canonical (sorted) order, which the application folds into the sparse Merkle tree once per block.
import { InputError } from '@gridledger/base';

const MAX_U256 = (1n << 256n) - 1n;

/** A position in the journal that {@link JournaledState.revert} returns to. */
export type Snapshot = number;

/**
 * Journaled key-value state of uint256 values.
 * @example
 * const s = new JournaledState();
 * const snap = s.snapshot();
 * s.set('k', 1n);
 * s.revert(snap); // s.get('k') === 0n
 */
export class JournaledState {
  readonly #values = new Map<string, bigint>();
  /** (key, previous value) for every set since the last markCommitted. */
  #journal: { key: string; prev: bigint }[] = [];

  /** The value of `key` (0n when absent). */
  get(key: string): bigint {
    return this.#values.get(key) ?? 0n;
  }

  /** Sets `key` to `value` (0n deletes); values must be uint256. */
  set(key: string, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value > MAX_U256) {
      throw new InputError(`state.set(${key}): expected a uint256 bigint, got ${String(value)}`);
    }
    const prev = this.#values.get(key) ?? 0n;
    if (prev === value) return;
    this.#journal.push({ key, prev });
    if (value === 0n) this.#values.delete(key);
    else this.#values.set(key, value);
  }

  /** The current journal position. */
  snapshot(): Snapshot {
    return this.#journal.length;
  }

  /** Undoes every set made after `snap`. */
  revert(snap: Snapshot): void {
    if (!Number.isInteger(snap) || snap < 0 || snap > this.#journal.length) {
      throw new InputError(
        `state.revert: snapshot ${snap} is not in the journal (length ${this.#journal.length})`,
      );
    }
    for (let i = this.#journal.length - 1; i >= snap; i--) {
      const { key, prev } = this.#journal[i]!;
      if (prev === 0n) this.#values.delete(key);
      else this.#values.set(key, prev);
    }
    this.#journal.length = snap;
  }

  /** Keys set since the last {@link markCommitted}, sorted, with their current values. */
  changedKeys(): [string, bigint][] {
    const keys = new Set<string>();
    for (const { key } of this.#journal) keys.add(key);
    return [...keys].sort().map((k) => [k, this.get(k)]);
  }

  /** Forgets the journal: the current values become the base that {@link revert}(0) returns to. */
  markCommitted(): void {
    this.#journal = [];
  }

  /** Number of non-zero keys. */
  get size(): number {
    return this.#values.size;
  }

  /** Every non-zero (key, value), keys sorted. */
  entries(): [string, bigint][] {
    return [...this.#values.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Every non-zero (key, value) whose key starts with `prefix`, keys sorted. */
  entriesWithPrefix(prefix: string): [string, bigint][] {
    return this.entries().filter(([k]) => k.startsWith(prefix));
  }
}
