// Decoding and checking transactions statelessly for the execution app, with a bounded cache of the
// results by raw bytes (so checkTx, proposal checks and block execution decode and recover each
// transaction once), and batch sender recovery on the recovery pool's worker threads when there is one.
import { recoverAddress } from './recover.ts';
import type { SenderRecoveryPool } from './recover-pool.ts';
import {
  type DecodeTxResult,
  decodeSignedTx,
  finishSignedTx,
  type PreparedTx,
  prepareSignedTx,
  type TxLimits,
} from './tx.ts';

/**
 * The decoded-transaction cache's key of raw bytes: their latin1 string (Node converts natively into a
 * flat string; viem's hex is built by concatenation and costs a flattening at every Map lookup).
 */
export const txCacheKey = (raw: Uint8Array): string =>
  Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');

/**
 * Decodes transactions and remembers the results (oldest forgotten first beyond `cacheSize`).
 * @example
 * const decoder = new TxDecoder({ chainId: 1337n, maxTxBytes, maxTxGas }, 50_000);
 * const [r] = await decoder.decodeMany([raw]);
 */
export class TxDecoder {
  readonly #limits: TxLimits;
  readonly #cacheSize: number;
  readonly #pool: SenderRecoveryPool | undefined;
  readonly #cache = new Map<string, DecodeTxResult>();

  constructor(limits: TxLimits, cacheSize: number, pool?: SenderRecoveryPool) {
    this.#limits = limits;
    this.#cacheSize = cacheSize;
    this.#pool = pool;
  }

  /** The result remembered for these bytes, or undefined. */
  cached(raw: Uint8Array): DecodeTxResult | undefined {
    return this.#cache.get(txCacheKey(raw));
  }

  /** Decodes and checks a transaction statelessly (recovering inline), remembering the result by its bytes. */
  decode(raw: Uint8Array): DecodeTxResult {
    const key = txCacheKey(raw);
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    return this.#remember(key, decodeSignedTx(raw, this.#limits));
  }

  /**
   * Decodes many transactions; the senders not yet cached are recovered in one batch on the recovery
   * pool's worker threads when there is one.
   */
  async decodeMany(raws: Uint8Array[]): Promise<DecodeTxResult[]> {
    const results: DecodeTxResult[] = new Array(raws.length);
    const misses: { i: number; key: string; prepared: PreparedTx }[] = [];
    raws.forEach((raw, i) => {
      const key = txCacheKey(raw);
      const hit = this.#cache.get(key);
      if (hit !== undefined) {
        results[i] = hit;
        return;
      }
      const prepared = prepareSignedTx(raw, this.#limits);
      if (prepared.ok) misses.push({ i, key, prepared });
      else results[i] = this.#remember(key, prepared);
    });
    if (misses.length === 0) return results;
    const senders =
      this.#pool === undefined
        ? misses.map(({ prepared: p }) => recoverAddress(p.signingHash, p.signature, p.recoveryId))
        : await this.#pool.recover(
            misses.map(({ prepared: p }) => ({
              digest: p.signingHash,
              signature: p.signature,
              recoveryId: p.recoveryId,
            })),
          );
    misses.forEach(({ i, key, prepared }, n) => {
      results[i] = this.#remember(key, finishSignedTx(prepared, senders[n] ?? null));
    });
    return results;
  }

  /** Forgets the results of these cache keys (transactions of a committed block). */
  forget(keys: readonly string[]): void {
    for (const key of keys) this.#cache.delete(key);
  }

  #remember(key: string, r: DecodeTxResult): DecodeTxResult {
    if (this.#cache.size >= this.#cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(key, r);
    return r;
  }
}
