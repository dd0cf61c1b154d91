// Sender recovery off the main thread: a pool of worker threads (recover-worker.mjs) running native
// libsecp256k1 recovery on batches. Requests made in the same tick are gathered into one batch and
// split evenly across the workers, so the main thread (consensus, RPC) keeps running while a block's
// or the mempool's signatures are checked. Needs the native binding; `create` returns undefined
// without it (callers then recover inline).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { GridledgerError } from '@gridledger/base';
import { recoveryBackend } from './recover.ts';

/** One recovery request: the signing hash, r || s and the recovery id. */
export interface RecoveryRequest {
  digest: Uint8Array;
  signature: Uint8Array;
  recoveryId: number;
}

interface Job {
  items: RecoveryRequest[];
  resolve: (out: (Uint8Array | null)[]) => void;
  reject: (err: unknown) => void;
}

/**
 * A pool of recovery worker threads. Close it when done ({@link close}); workers are unref'ed.
 * @example
 * const pool = SenderRecoveryPool.create(2);
 * const [addr] = await pool!.recover([{ digest, signature, recoveryId }]);
 * await pool!.close();
 */
export class SenderRecoveryPool {
  readonly #workers: Worker[];
  readonly #waiting = new Map<
    number,
    { resolve: (buf: ArrayBuffer) => void; reject: (err: unknown) => void }
  >();
  #nextId = 0;
  #next = 0;
  #queue: Job[] = [];
  #scheduled = false;
  #closed = false;

  private constructor(size: number) {
    this.#workers = Array.from({ length: size }, () => {
      const w = new Worker(new URL('./recover-worker.mjs', import.meta.url));
      w.unref();
      w.on('message', ({ id, output }: { id: number; output: ArrayBuffer }) => {
        const done = this.#waiting.get(id);
        this.#waiting.delete(id);
        done?.resolve(output);
      });
      w.on('error', (err) => {
        for (const [, w] of this.#waiting) w.reject(err);
        this.#waiting.clear();
      });
      return w;
    });
  }

  /** A pool of `size` workers (default: available cores, at most 4), or undefined without the native binding. */
  static create(size = Math.min(4, availableParallelism())): SenderRecoveryPool | undefined {
    if (recoveryBackend !== 'native') return undefined;
    return new SenderRecoveryPool(Math.max(1, size));
  }

  /** Number of worker threads. */
  get size(): number {
    return this.#workers.length;
  }

  /** Recovers the 20-byte address of each request (null when it does not recover). */
  recover(items: RecoveryRequest[]): Promise<(Uint8Array | null)[]> {
    if (this.#closed)
      return Promise.reject(
        new GridledgerError(
          'E_CLOSED',
          'SenderRecoveryPool is closed: create a new pool (SenderRecoveryPool.create) to recover more senders',
        ),
      );
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#queue.push({ items, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Terminates the workers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  #flush(): void {
    this.#scheduled = false;
    const jobs = this.#queue;
    this.#queue = [];
    const all = jobs.flatMap((j) => j.items);
    const chunk = Math.ceil(all.length / this.#workers.length);
    const parts: Promise<ArrayBuffer>[] = [];
    for (let start = 0; start < all.length; start += chunk) {
      parts.push(this.#send(all.slice(start, start + chunk)));
    }
    Promise.all(parts).then(
      (buffers) => {
        const results: (Uint8Array | null)[] = [];
        for (const buf of buffers) {
          const out = new Uint8Array(buf);
          for (let i = 0; i < out.length; i += 21)
            results.push(out[i] === 1 ? out.slice(i + 1, i + 21) : null);
        }
        let at = 0;
        for (const j of jobs) {
          j.resolve(results.slice(at, at + j.items.length));
          at += j.items.length;
        }
      },
      (err) => {
        for (const j of jobs) j.reject(err);
      },
    );
  }

  #send(items: RecoveryRequest[]): Promise<ArrayBuffer> {
    const input = new Uint8Array(items.length * 97);
    items.forEach((it, i) => {
      input.set(it.digest, i * 97);
      input.set(it.signature, i * 97 + 32);
      input[i * 97 + 96] = it.recoveryId;
    });
    const id = this.#nextId++;
    const worker = this.#workers[this.#next++ % this.#workers.length]!;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ id, input: input.buffer, count: items.length }, [input.buffer]);
    });
  }
}
