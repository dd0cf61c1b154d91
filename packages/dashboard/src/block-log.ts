// The recent blocks the dashboard has seen (newest first, at most BLOCK_BUFFER) and the chain view's
// statistics over them: transactions per second and block time over the last 30 s of block time, and
// the mean time from a block's timestamp to the dashboard seeing it.
import type { EthBlock, EthBlockHeader } from '@gridledger/rpc';
import type { BlockRow, ChainView } from './view.ts';

/** Blocks kept for the chain statistics; the view shows the newest 20. */
const BLOCK_BUFFER = 400;

const avg = (xs: number[]) => (xs.length === 0 ? 0 : Math.round(xs.reduce((s, x) => s + x, 0) / xs.length));

/** A head's time in ms (its timestampMs when the node sends one). */
const timeMsOf = (head: Pick<EthBlockHeader, 'timestamp' | 'timestampMs'>) =>
  Number(BigInt(head.timestampMs ?? BigInt(head.timestamp) * 1000n));

/** The recent blocks, newest first. */
export class BlockLog {
  #rows: BlockRow[] = [];

  /** Adds a block as its newHeads notification came; false when it is already there. */
  addHead(head: EthBlockHeader, receivedMs: number): boolean {
    const number = Number(BigInt(head.number));
    if (this.#rows.some((b) => b.number === number)) return false;
    const timeMs = timeMsOf(head);
    this.#rows.unshift({
      number,
      hash: head.hash,
      timeMs,
      txCount: null,
      finalityMs: Math.max(0, receivedMs - timeMs),
      proposer: head.miner ?? '',
    });
    this.#rows.sort((a, b) => b.number - a.number);
    this.#rows.length = Math.min(this.#rows.length, BLOCK_BUFFER);
    return true;
  }

  /** Adds blocks from before the first notification (eth_getBlockByNumber), finality unknown. */
  addEarlier(blocks: readonly EthBlock[]): void {
    for (const b of blocks) {
      if (this.#rows.some((x) => x.number === Number(BigInt(b.number)))) continue;
      this.#rows.push({
        number: Number(BigInt(b.number)),
        hash: b.hash,
        timeMs: timeMsOf(b),
        txCount: b.transactions.length,
        finalityMs: null,
        proposer: b.miner ?? '',
      });
    }
    this.#rows.sort((a, b) => b.number - a.number);
  }

  /** Sets a shown block's transaction count (a hex quantity as the node sends it). */
  setTxCount(number: number, count: unknown): void {
    const row = this.#rows.find((b) => b.number === number);
    if (row && typeof count === 'string') row.txCount = Number(BigInt(count));
  }

  /** The chain view: the newest 20 blocks and the statistics; the read timings carried over from `prev`. */
  view(url: string, prev: ChainView | null): ChainView {
    const blocks = this.#rows;
    const newest = blocks[0];
    let tps = 0;
    let avgBlockMs = 0;
    if (newest) {
      const window = blocks.filter((b) => b.timeMs > newest.timeMs - 30_000);
      const oldest = window[window.length - 1]!;
      const spanMs = newest.timeMs - oldest.timeMs;
      if (spanMs > 0) {
        tps = (window.slice(0, -1).reduce((s, b) => s + (b.txCount ?? 0), 0) * 1000) / spanMs;
        avgBlockMs = spanMs / (window.length - 1);
      }
    }
    const recent = blocks.slice(0, 20);
    return {
      rpcUrl: url,
      height: newest?.number ?? 0,
      blocks: recent,
      tps: Math.round(tps * 10) / 10,
      avgBlockMs: Math.round(avgBlockMs),
      feedMs: 0,
      readMs: prev?.readMs ?? 0,
      loopStallMs: prev?.loopStallMs ?? 0,
      avgFinalityMs: avg(recent.flatMap((b) => (b.finalityMs === null ? [] : [b.finalityMs]))),
    };
  }
}
