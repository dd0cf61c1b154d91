// Per-peer limits after the handshake: a token bucket for messages and one for bytes per connection, and
// the temporary bans of peers that exceeded them. A validator's honest traffic is bursty (a block
// proposal, a batch of gossiped transactions, a sync response of 20 blocks) but bounded; a peer that keeps
// sending faster than the sustained rate once its burst allowance is spent is flooding, and is
// disconnected and refused for a while (docs/node-and-p2p.md "Per-peer limits"). Every frame counts,
// keepalive pings and pongs included: an honest peer sends at most one per sweep period, a ping flood is
// banned like any other.

/** Limits of one authenticated connection (see P2pOptions). */
export interface PeerLimits {
  /** Sustained messages per second, and how many may arrive at once above it. */
  messagesPerSecond: number;
  messageBurst: number;
  /** Sustained frame bytes per second, and how many may arrive at once above it. */
  bytesPerSecond: number;
  byteBurst: number;
}

/** Defaults: well above what a validator sends at the chain's measured saturation, far below a flood. */
export const DEFAULT_PEER_LIMITS: PeerLimits = {
  messagesPerSecond: 5_000,
  messageBurst: 20_000,
  bytesPerSecond: 32 * 1024 * 1024,
  byteBurst: 128 * 1024 * 1024,
};

/**
 * Two token buckets (messages, bytes) for one connection, refilled continuously at the sustained rates
 * up to the bursts; {@link PeerBudget.take} spends one message of `bytes` and says whether the peer
 * stayed within its limits.
 * @example const b = new PeerBudget(DEFAULT_PEER_LIMITS, Date.now()); if (!b.take(frame.length, Date.now())) ban();
 */
export class PeerBudget {
  readonly #limits: PeerLimits;
  #messages: number;
  #bytes: number;
  #atMs: number;

  constructor(limits: PeerLimits, nowMs: number) {
    this.#limits = limits;
    this.#messages = limits.messageBurst;
    this.#bytes = limits.byteBurst;
    this.#atMs = nowMs;
  }

  /** Spends one message of `bytes`; false when either bucket is overdrawn (the peer exceeded a limit). */
  take(bytes: number, nowMs: number): boolean {
    const dt = Math.max(0, nowMs - this.#atMs) / 1000;
    this.#atMs = nowMs;
    const l = this.#limits;
    this.#messages = Math.min(l.messageBurst, this.#messages + dt * l.messagesPerSecond) - 1;
    this.#bytes = Math.min(l.byteBurst, this.#bytes + dt * l.bytesPerSecond) - bytes;
    return this.#messages >= 0 && this.#bytes >= 0;
  }
}

/** Peers refused until a time, by peer id. */
export class PeerBans {
  readonly #until = new Map<string, number>();

  ban(peerId: string, untilMs: number): void {
    this.#until.set(peerId, untilMs);
  }

  /** The time the ban ends, or undefined when the peer is not banned at `nowMs` (expired bans are dropped). */
  bannedUntil(peerId: string, nowMs: number): number | undefined {
    const t = this.#until.get(peerId);
    if (t === undefined) return undefined;
    if (t <= nowMs) {
      this.#until.delete(peerId);
      return undefined;
    }
    return t;
  }
}
