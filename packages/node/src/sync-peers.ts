// Block sync's choice of whom to ask: the heights peers announce in `status`, and the next block-request
// (which peer, which heights) for a tip. Pure: the node feeds it statuses, empty answers, disconnects and
// the clock, and sends what it returns. A peer's announced height is only a claim: requests rotate among
// every peer ahead (not always the highest), each has a deadline, and a peer that lets one pass without
// a block or answers "unknown" for a height it announced is benched for a while and its claim capped.

/** What to ask next: blocks `from`..`to` (inclusive) of `peer`. */
export interface SyncRequest {
  peer: string;
  from: bigint;
  to: bigint;
}

/** A request not answered by a single block within this time counts against its peer. */
const SYNC_REQUEST_DEADLINE_MS = 1000;
/** How long a peer that missed a deadline or could not back its height is not asked (nor believed). */
const SYNC_BENCH_MS = 10_000;

interface PeerState {
  height: bigint;
  /** When this peer was first seen exactly one block ahead of us (for the grace period before syncing). */
  aheadSinceMs: number | undefined;
  /** Not asked, and its height not counted, before this time. */
  benchedUntilMs: number;
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
  #inFlight: (SyncRequest & { atMs: number }) | undefined;
  /** The peer asked last: the next request goes to the next peer ahead after it (in id order). */
  #lastAsked = '';
  #nowMs = 0;

  /**
   * @param options.batch most blocks in one request
   * @param options.graceMs how long a peer exactly one block ahead is given before we ask it (it may be
   *   deciding that block with us)
   */
  constructor(options: { batch: number; graceMs: number }) {
    this.#batch = BigInt(options.batch);
    this.#graceMs = options.graceMs;
  }

  /** A peer's `status`: its last committed height (a claim, believed while the peer is not benched). */
  onStatus(peer: string, height: bigint): void {
    const s = this.#peers.get(peer) ?? { height: 0n, aheadSinceMs: undefined, benchedUntilMs: 0 };
    if (height !== s.height) s.aheadSinceMs = undefined;
    s.height = height;
    this.#peers.set(peer, s);
  }

  /**
   * A peer answered "unknown" for `height`: it cannot back a claim at or above it. Its height is capped
   * below `height` and it is benched; the request in flight to it is over.
   */
  onEmptyResponse(peer: string, height: bigint): void {
    const s = this.#peers.get(peer);
    if (s && s.height >= height) {
      s.height = height - 1n;
      s.benchedUntilMs = this.#nowMs + SYNC_BENCH_MS;
    }
    if (this.#inFlight?.peer === peer) this.#inFlight = undefined;
  }

  /** A peer disconnected: its status no longer counts. */
  onDisconnected(peer: string): void {
    this.#peers.delete(peer);
    if (this.#inFlight?.peer === peer) this.#inFlight = undefined;
  }

  /** True while some peer that is not benched reports a height above `tip` + 1. */
  isCatchingUp(tip: bigint): boolean {
    for (const p of this.#peers.values())
      if (p.height > tip + 1n && p.benchedUntilMs <= this.#nowMs) return true;
    return false;
  }

  /** The block-request to send now for our `tip`, or undefined (no peer ahead, or one is in flight). */
  next(tip: bigint, nowMs: number): SyncRequest | undefined {
    this.#nowMs = nowMs;
    const f = this.#inFlight;
    if (f !== undefined) {
      if (tip >= f.to)
        this.#inFlight = undefined; // answered in full
      else if (nowMs - f.atMs < SYNC_REQUEST_DEADLINE_MS) return undefined;
      else {
        // Deadline passed: without a single block, the peer could not back what it announced.
        const s = this.#peers.get(f.peer);
        if (s && tip < f.from) {
          s.benchedUntilMs = nowMs + SYNC_BENCH_MS;
          if (s.height >= f.from) s.height = f.from - 1n;
        }
        this.#inFlight = undefined;
      }
    }
    const ahead: [string, PeerState][] = [];
    for (const [id, s] of this.#peers) {
      if (s.benchedUntilMs > nowMs) continue;
      if (s.height <= tip) {
        s.aheadSinceMs = undefined;
        continue;
      }
      if (s.height === tip + 1n) {
        s.aheadSinceMs ??= nowMs;
        if (nowMs - s.aheadSinceMs < this.#graceMs) continue;
      }
      ahead.push([id, s]);
    }
    if (ahead.length === 0) return undefined;
    ahead.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const [peer, s] = ahead.find(([id]) => id > this.#lastAsked) ?? ahead[0]!;
    const from = tip + 1n;
    const to = s.height < from + this.#batch - 1n ? s.height : from + this.#batch - 1n;
    this.#lastAsked = peer;
    this.#inFlight = { peer, from, to, atMs: nowMs };
    return { peer, from, to };
  }
}
