// Re-checking the mempool off the commit path (used with the execution app). The mempool's own
// re-check runs inside `mempool.update`, which the node awaits before starting the next height, so its
// cost (one checkTx per waiting transaction) grows the block interval with the backlog. With the
// execution app nothing is lost by doing it later: proposals already skip stale nonces
// (prepareProposal) and blocks re-check every transaction. So the node turns the inline re-check off
// and this pruner drops what the app now refuses (nonces used, senders removed) every few blocks, in
// chunks that yield to the event loop between them.
import type { Application, CheckTxResult } from '@gridledger/app-api';
import { type Mempool, txHash } from '@gridledger/mempool';

/**
 * What the pruner needs of the app: checkTx, and optionally a synchronous re-check of a transaction the
 * app decoded before (ExecutionApp.recheckTx: state checks only, no decoding, no await; undefined when
 * it has to be decoded again).
 */
export type PrunableApp = Pick<Application, 'checkTx'> & {
  recheckTx?(tx: Uint8Array): CheckTxResult | undefined;
};

/** Transactions re-checked between two yields to the event loop. */
export const PRUNE_CHUNK = 500;

/**
 * Drops transactions the application refuses, every `everyBlocks` committed blocks, in the background.
 * @example const pruner = new MempoolPruner(mempool, app); node.onBlock(() => pruner.onBlock());
 */
export class MempoolPruner {
  readonly #mempool: Mempool;
  readonly #app: PrunableApp;
  readonly #everyBlocks: number;
  #blocks = 0;
  #running: Promise<number> | undefined;
  /** Transactions dropped so far. */
  dropped = 0;

  constructor(mempool: Mempool, app: PrunableApp, everyBlocks = 5) {
    this.#mempool = mempool;
    this.#app = app;
    this.#everyBlocks = everyBlocks;
  }

  /** Call after each committed block; starts a prune every `everyBlocks` blocks unless one is running. */
  onBlock(): void {
    if (++this.#blocks % this.#everyBlocks !== 0 || this.#running !== undefined) return;
    this.#running = this.prune().finally(() => {
      this.#running = undefined;
    });
  }

  /** Re-checks every held transaction now; resolves with how many were dropped. */
  async prune(): Promise<number> {
    const txs = this.#mempool.txs();
    let dropped = 0;
    for (let i = 0; i < txs.length; i += PRUNE_CHUNK) {
      const refused: Uint8Array[] = [];
      for (const tx of txs.slice(i, i + PRUNE_CHUNK)) {
        const r = this.#app.recheckTx?.(tx) ?? (await this.#app.checkTx(tx));
        if (!r.ok) refused.push(txHash(tx));
      }
      dropped += this.#mempool.remove(refused);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.dropped += dropped;
    return dropped;
  }

  /** Waits for a running prune (for a clean stop). */
  async idle(): Promise<void> {
    await this.#running?.catch(() => {});
  }
}
