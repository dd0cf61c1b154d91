// Requests per second per client IP for the RPC server (issue 17): a token bucket per IP, refilled at
// the rate and holding at most two seconds' worth, so short bursts pass and a sustained flood is
// refused. Buckets of IPs idle for a minute are forgotten.

/** Token buckets by key. */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();
  #sweptMs = 0;
  readonly #now: () => number;

  constructor(perSecond: number, now: () => number = () => performance.now()) {
    this.#perSecond = perSecond;
    this.#now = now;
  }

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const now = this.#now();
    const cap = 2 * this.#perSecond;
    let b = this.#buckets.get(key);
    if (b === undefined) this.#buckets.set(key, (b = { tokens: cap, atMs: now }));
    b.tokens = Math.min(cap, b.tokens + ((now - b.atMs) * this.#perSecond) / 1000);
    b.atMs = now;
    if (now - this.#sweptMs > 60_000) this.#sweep(now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** The limit in words. */
  describe(): string {
    return `at most ${this.#perSecond} requests per second per client address`;
  }

  #sweep(now: number): void {
    this.#sweptMs = now;
    for (const [k, b] of this.#buckets) if (now - b.atMs > 60_000) this.#buckets.delete(k);
  }
}
