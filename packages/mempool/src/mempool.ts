// The transaction pool between clients/peers and the proposer: every transaction is checked by the
// application on entry, deduplicated by sha256 hash (also against recently committed ones), bounded in
// count and bytes, reaped in arrival order (FIFO) for proposals, and pruned of committed transactions
// after each block (optionally re-checking the rest against the new state).
import type { Application } from '@gridledger/app-api';
import { InputError } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';

/** Options of {@link Mempool}. */
export interface MempoolOptions {
  /** The application's admission check. */
  app: Pick<Application, 'checkTx'>;
  /** Most transactions held (default 10,000). */
  maxTxs?: number;
  /** Most bytes held, summed over transactions (default 16 MiB). */
  maxBytes?: number;
  /** Largest single transaction (default 1 MiB); the application may set a tighter limit in checkTx. */
  maxTxBytes?: number;
  /** How many recently committed transaction hashes are remembered and refused (default 10,000; 0 disables). */
  committedCacheSize?: number;
  /** Re-run checkTx on the remaining transactions after each block (default true). */
  recheck?: boolean;
}

/** Why a transaction was not admitted. */
export type RejectCode = 'too_large' | 'duplicate' | 'committed' | 'full' | 'rejected';

/** The outcome of {@link Mempool.add}: admitted, or refused with a code and a reason for the sender. */
export type AddTxResult =
  | { ok: true; hash: Uint8Array }
  | { ok: false; hash: Uint8Array; code: RejectCode; reason: string };

interface Entry {
  tx: Uint8Array;
  hash: Uint8Array;
}

/** The hash a transaction is known by (sha256 of its bytes, as in the block's transaction Merkle tree leaves). */
export function txHash(tx: Uint8Array): Uint8Array {
  return sha256(tx);
}

/**
 * A bounded FIFO pool of checked transactions.
 * @example
 * const pool = new Mempool({ app, maxTxs: 5000 });
 * const r = await pool.add(tx); // { ok: false, code: 'full', reason: 'mempool full: 5000 txs / ... bytes, limit ...' }
 * const txs = pool.reap({ maxBytes: 1 << 20 });
 * await pool.update(height, block.txs);
 */
export class Mempool {
  readonly maxTxs: number;
  readonly maxBytes: number;
  readonly maxTxBytes: number;
  readonly #app: Pick<Application, 'checkTx'>;
  readonly #recheck: boolean;
  readonly #committedCacheSize: number;
  /** Insertion-ordered, so iteration is FIFO. */
  readonly #txs = new Map<string, Entry>();
  /** Hashes whose checkTx is in flight (deduplicates concurrent adds). */
  readonly #checking = new Set<string>();
  /** Recently committed hashes, oldest first. */
  readonly #committed = new Set<string>();
  #bytes = 0;

  constructor(options: MempoolOptions) {
    this.#app = options.app;
    this.maxTxs = positiveInt('maxTxs', options.maxTxs ?? 10_000);
    this.maxBytes = positiveInt('maxBytes', options.maxBytes ?? 16 * 1024 * 1024);
    this.maxTxBytes = positiveInt('maxTxBytes', options.maxTxBytes ?? 1024 * 1024);
    const cache = options.committedCacheSize ?? 10_000;
    if (!Number.isInteger(cache) || cache < 0) {
      throw new InputError(`Mempool: committedCacheSize must be a non-negative integer, got ${cache}`);
    }
    this.#committedCacheSize = cache;
    this.#recheck = options.recheck ?? true;
  }

  /** Number of transactions held. */
  get size(): number {
    return this.#txs.size;
  }

  /** Bytes held (sum of transaction lengths). */
  get bytes(): number {
    return this.#bytes;
  }

  /** True when a transaction with this hash is held. */
  has(hash: Uint8Array): boolean {
    return this.#txs.has(keyOf(hash));
  }

  /**
   * Admits `tx` if it is within the size limit, new (neither held, being checked, nor recently
   * committed), fits the pool, and the application accepts it.
   */
  async add(tx: Uint8Array): Promise<AddTxResult> {
    if (!(tx instanceof Uint8Array))
      throw new InputError('Mempool.add: expected the transaction as a Uint8Array');
    const hash = txHash(tx);
    const key = keyOf(hash);
    const early = this.#admissible(tx, key);
    if (early !== undefined) return { ok: false, hash, ...early };
    this.#checking.add(key);
    let check: Awaited<ReturnType<Application['checkTx']>>;
    try {
      check = await this.#app.checkTx(tx);
    } finally {
      this.#checking.delete(key);
    }
    if (!check.ok) return { ok: false, hash, code: 'rejected', reason: check.reason };
    // The pool may have changed while the application was checking.
    const late = this.#admissible(tx, key);
    if (late !== undefined) return { ok: false, hash, ...late };
    this.#txs.set(key, { tx, hash });
    this.#bytes += tx.length;
    return { ok: true, hash };
  }

  /** The oldest transactions whose total size is at most `maxBytes` (and count at most `maxTxs`), in order. */
  reap(limits: { maxBytes: number; maxTxs?: number }): Uint8Array[] {
    const maxTxs = limits.maxTxs ?? Number.POSITIVE_INFINITY;
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (const { tx } of this.#txs.values()) {
      if (out.length >= maxTxs || bytes + tx.length > limits.maxBytes) break;
      bytes += tx.length;
      out.push(tx);
    }
    return out;
  }

  /** Every held transaction, oldest first. */
  txs(): Uint8Array[] {
    return [...this.#txs.values()].map((e) => e.tx);
  }

  /**
   * After block `height` committed `committedTxs`: removes them (remembering their hashes), then, if
   * re-checking is on, drops every remaining transaction the application now rejects. Returns how many
   * transactions the re-check dropped.
   */
  async update(_height: bigint, committedTxs: readonly Uint8Array[]): Promise<number> {
    for (const tx of committedTxs) {
      const key = keyOf(txHash(tx));
      this.#delete(key);
      this.#remember(key);
    }
    if (!this.#recheck) return 0;
    let dropped = 0;
    for (const [key, e] of [...this.#txs]) {
      const r = await this.#app.checkTx(e.tx);
      if (!r.ok && this.#delete(key)) dropped++;
    }
    return dropped;
  }

  /** Removes the transactions with these hashes (those held); returns how many were removed. */
  remove(hashes: readonly Uint8Array[]): number {
    let n = 0;
    for (const h of hashes) if (this.#delete(keyOf(h))) n++;
    return n;
  }

  #admissible(tx: Uint8Array, key: string): { code: RejectCode; reason: string } | undefined {
    if (tx.length > this.maxTxBytes) {
      return {
        code: 'too_large',
        reason: `transaction too large: ${tx.length} bytes, limit ${this.maxTxBytes}`,
      };
    }
    if (this.#txs.has(key) || this.#checking.has(key)) {
      return { code: 'duplicate', reason: `transaction 0x${key} is already in the mempool` };
    }
    if (this.#committed.has(key)) {
      return { code: 'committed', reason: `transaction 0x${key} was already committed` };
    }
    if (this.#txs.size + 1 > this.maxTxs || this.#bytes + tx.length > this.maxBytes) {
      return {
        code: 'full',
        reason:
          `mempool full: ${this.#txs.size} txs / ${this.#bytes} bytes, limit ${this.maxTxs} txs / ` +
          `${this.maxBytes} bytes (this transaction: ${tx.length} bytes)`,
      };
    }
    return undefined;
  }

  #delete(key: string): boolean {
    const e = this.#txs.get(key);
    if (e === undefined) return false;
    this.#txs.delete(key);
    this.#bytes -= e.tx.length;
    return true;
  }

  #remember(key: string): void {
    if (this.#committedCacheSize === 0) return;
    this.#committed.delete(key);
    this.#committed.add(key);
    while (this.#committed.size > this.#committedCacheSize) {
      const oldest = this.#committed.values().next().value as string;
      this.#committed.delete(oldest);
    }
  }
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0)
    throw new InputError(`Mempool: ${name} must be a positive integer, got ${v}`);
  return v;
}

/** Map key of a hash: its hex without 0x (Node's native encoder). */
function keyOf(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}
