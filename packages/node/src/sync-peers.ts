// Block sync's choice of whom to ask: the heights peers announce in `status`, and the next block-request
// (which peer, which heights) for a tip. Pure: the node feeds it statuses, disconnects and the clock, and
// sends what it returns.

/** What to ask next: blocks `from`..`to` (inclusive) of `peer`. */
export interface SyncRequest {
  peer: string;
  from: bigint;
  to: bigint;
}

interface PeerState {
  height: bigint;
  /** When this peer was first seen exactly one block ahead of us (for the grace period before syncing). */
  aheadSinceMs: number | undefined;
}

/**
 * The heights peers announce and the block-requests that follow from them.
 * @example
 * const sync = new SyncPeers({ batch: 20, graceMs: 1950 });
 * sync.onStatus(peer, 57n);
 * const req = sync.next(tipHeight, Date.now()); // { peer, from, to } or undefined
 */
export class SyncPeers {
  readonly #batch: bigint;
  readonly #graceMs: number;
  readonly #peers = new Map<string, PeerState>();
  #requestedUpTo = 0n;
  #requestedAtMs = 0;

  /**
   * @param options.batch most blocks in one request
   * @param options.graceMs how long a peer exactly one block ahead is given before we ask it (it may be
   *   deciding that block with us)
   */
  constructor(options: { batch: number; graceMs: number }) {
    this.#batch = BigInt(options.batch);
    this.#graceMs = options.graceMs;
  }

  /** A peer's `status`: its last committed height. */
  onStatus(peer: string, height: bigint): void {
    const s = this.#peers.get(peer) ?? { height: 0n, aheadSinceMs: undefined };
    if (height !== s.height) s.aheadSinceMs = undefined;
    s.height = height;
    this.#peers.set(peer, s);
  }

  /** A peer disconnected: its status no longer counts. */
  onDisconnected(peer: string): void {
    this.#peers.delete(peer);
  }

  /** True while some peer reports a height above `tip` + 1. */
  isCatchingUp(tip: bigint): boolean {
    for (const p of this.#peers.values()) if (p.height > tip + 1n) return true;
    return false;
  }

  /** The block-request to send now for our `tip`, or undefined (no peer ahead, or one is in flight). */
  next(tip: bigint, nowMs: number): SyncRequest | undefined {
    let best: [string, bigint] | undefined;
    for (const [id, s] of this.#peers) {
      if (s.height <= tip) {
        s.aheadSinceMs = undefined;
        continue;
      }
      if (s.height === tip + 1n) {
        s.aheadSinceMs ??= nowMs;
        if (nowMs - s.aheadSinceMs < this.#graceMs) continue;
      }
      if (!best || s.height > best[1]) best = [id, s.height];
    }
    if (!best) return undefined;
    const from = tip + 1n;
    // Do not re-ask while the previous request is still being answered (1 s timeout).
    if (this.#requestedUpTo >= from && nowMs - this.#requestedAtMs < 1000) return undefined;
    const to = best[1] < from + this.#batch - 1n ? best[1] : from + this.#batch - 1n;
    this.#requestedUpTo = to;
    this.#requestedAtMs = nowMs;
    return { peer: best[0], from, to };
  }
}
