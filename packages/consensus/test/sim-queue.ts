// The simulation's determinism: a seeded PRNG and the event queue that orders everything that happens in
// simulated time (timers, message deliveries, faults) by time and then by insertion.

/** sfc32: small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 + seed * 7;
  let c = 0xb7e15162 ^ (seed << 3);
  let d = 1;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 20; i++) next();
  return next;
}

/** One queued event: its time, and its insertion number (ties run in insertion order). */
interface Queued<E> {
  t: number;
  seq: number;
  e: E;
}

/** A binary min-heap of events by (time, insertion number): same pushes, same pops. */
export class EventQueue<E> {
  #a: Queued<E>[] = [];
  get size(): number {
    return this.#a.length;
  }
  #less(x: Queued<E>, y: Queued<E>): boolean {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
  push(q: Queued<E>): void {
    const a = this.#a;
    a.push(q);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Queued<E> | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.#less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.#less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
