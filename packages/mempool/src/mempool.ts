// The transaction pool between clients/peers and the proposer: every transaction is checked by the
// application on entry, deduplicated by sha256 hash (also against recently committed ones), bounded in
// count and bytes, and pruned of committed transactions after each block (optionally re-checking the
// rest against the new state). For an application that reports each transaction's ordering (sender,
// nonce, fee; the execution app) the pool keeps lanes as geth's txpool does (issue 17, H1):
//   pending   executable: consecutive nonces from the sender's next one;
//   queued    behind a nonce gap; capped per sender and in total, and dropped after a TTL;
//   reserved  executable settlement inputs (meter readings, order cancellations): a lane of its own,
//             beside the main limits, so order spam cannot keep them out of the pool or the blocks.
// One transaction per (sender, nonce): a second one replaces the first only with a fee per gas at
// least 10% higher (and higher at all). Per sender at most `maxTxsPerSender`. A full pool makes room
// for an executable transaction by dropping the newest queued one. Reaping takes the reserved lane
// first, then pending, each in arrival order; queued transactions are never reaped.
import type { Application, TxOrdering } from '@gridledger/app-api';
import { InputError } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';

/** Options of {@link Mempool}. */
export interface MempoolOptions {
  /** The application's admission check. */
  app: Pick<Application, 'checkTx'>;
  /** Most transactions held in the pending and queued lanes together (default 10,000). */
  maxTxs?: number;
  /** Most bytes held in the pending and queued lanes, summed over transactions (default 16 MiB). */
  maxBytes?: number;
  /** Largest single transaction (default 1 MiB); the application may set a tighter limit in checkTx. */
  maxTxBytes?: number;
  /** How many recently committed transaction hashes are remembered and refused (default 10,000; 0 disables). */
  committedCacheSize?: number;
  /** Re-run checkTx on the remaining transactions after each block (default true). */
  recheck?: boolean;
  /** Most transactions of one sender, all lanes (default 1,000). */
  maxTxsPerSender?: number;
  /** Most queued transactions of one sender (default 64). */
  maxQueuedPerSender?: number;
  /** Most queued transactions in total (default maxTxs / 4). */
  maxQueuedTxs?: number;
  /** A queued transaction older than this is dropped (default 10 minutes). */
  queuedTtlMs?: number;
  /** Most transactions in the reserved lane (default maxTxs / 10), beside maxTxs. */
  maxReservedTxs?: number;
  /** Most bytes in the reserved lane (default maxBytes / 8), beside maxBytes. */
  maxReservedBytes?: number;
  /** The sender's next nonce in the latest committed state (re-read after each block to promote and prune). */
  nonceOf?: (sender: string) => bigint;
  /** Milliseconds clock for the queued TTL (default Date.now). */
  now?: () => number;
}

/** Why a transaction was not admitted. */
export type RejectCode =
  | 'too_large'
  | 'duplicate'
  | 'committed'
  | 'full'
  | 'rejected'
  | 'underpriced'
  | 'sender_full'
  | 'queued_full';

/** The outcome of {@link Mempool.add}: admitted, or refused with a code and a reason for the sender. */
export type AddTxResult =
  | { ok: true; hash: Uint8Array }
  | { ok: false; hash: Uint8Array; code: RejectCode; reason: string };

/** The lanes of the pool (see the file header). */
export type Lane = 'pending' | 'queued' | 'reserved';

interface Entry {
  tx: Uint8Array;
  hash: Uint8Array;
  key: string;
  ordering: TxOrdering | undefined;
  lane: Lane;
  addedMs: number;
}

/** One sender's transactions in the pool. */
interface SenderTxs {
  /** Next nonce in the latest committed state, as last learned. */
  next: bigint;
  /** How many consecutive nonces from `next` the pool holds (those are executable). */
  run: number;
  byNonce: Map<bigint, Entry>;
}

const rejection = (code: RejectCode, reason: string) => ({ code, reason });

/** The hash a transaction is known by (sha256 of its bytes, as in the block's transaction Merkle tree leaves). */
export function txHash(tx: Uint8Array): Uint8Array {
  return sha256(tx);
}

/**
 * A bounded pool of checked transactions in lanes.
 * @example
 * const pool = new Mempool({ app, maxTxs: 5000, nonceOf: (s) => app.nonceOf(s) });
 * const r = await pool.add(tx); // { ok: false, code: 'full', reason: 'mempool full: 5000 txs / ... bytes, limit ...' }
 * const txs = pool.reap({ maxBytes: 1 << 20 });
 * await pool.update(height, block.txs);
 */
export class Mempool {
  readonly maxTxs: number;
  readonly maxBytes: number;
  readonly maxTxBytes: number;
  readonly maxTxsPerSender: number;
  readonly maxQueuedPerSender: number;
  readonly maxQueuedTxs: number;
  readonly queuedTtlMs: number;
  readonly maxReservedTxs: number;
  readonly maxReservedBytes: number;
  readonly #app: Pick<Application, 'checkTx'>;
  readonly #recheck: boolean;
  readonly #committedCacheSize: number;
  readonly #nonceOf: ((sender: string) => bigint) | undefined;
  readonly #now: () => number;
  /** Insertion-ordered, so iteration is FIFO. */
  readonly #txs = new Map<string, Entry>();
  /** Keys of reserved-kind transactions, insertion-ordered (their lane is reserved or queued). */
  readonly #reservedKeys = new Set<string>();
  readonly #senders = new Map<string, SenderTxs>();
  /** Hashes whose checkTx is in flight (deduplicates concurrent adds). */
  readonly #checking = new Set<string>();
  /** Recently committed hashes, oldest first. */
  readonly #committed = new Set<string>();
  readonly #count: Record<Lane, number> = { pending: 0, queued: 0, reserved: 0 };
  readonly #laneBytes: Record<Lane, number> = { pending: 0, queued: 0, reserved: 0 };

  constructor(options: MempoolOptions) {
    this.#app = options.app;
    this.maxTxs = positiveInt('maxTxs', options.maxTxs ?? 10_000);
    this.maxBytes = positiveInt('maxBytes', options.maxBytes ?? 16 * 1024 * 1024);
    this.maxTxBytes = positiveInt('maxTxBytes', options.maxTxBytes ?? 1024 * 1024);
    this.maxTxsPerSender = positiveInt('maxTxsPerSender', options.maxTxsPerSender ?? 1000);
    this.maxQueuedPerSender = positiveInt('maxQueuedPerSender', options.maxQueuedPerSender ?? 64);
    this.maxQueuedTxs = positiveInt('maxQueuedTxs', options.maxQueuedTxs ?? Math.max(1, this.maxTxs >> 2));
    this.queuedTtlMs = positiveInt('queuedTtlMs', options.queuedTtlMs ?? 600_000);
    this.maxReservedTxs = positiveInt(
      'maxReservedTxs',
      options.maxReservedTxs ?? Math.max(1, Math.floor(this.maxTxs / 10)),
    );
    this.maxReservedBytes = positiveInt(
      'maxReservedBytes',
      options.maxReservedBytes ?? Math.max(this.maxTxBytes, this.maxBytes >> 3),
    );
    const cache = options.committedCacheSize ?? 10_000;
    if (!Number.isInteger(cache) || cache < 0) {
      throw new InputError(`Mempool: committedCacheSize must be a non-negative integer, got ${cache}`);
    }
    this.#committedCacheSize = cache;
    this.#recheck = options.recheck ?? true;
    this.#nonceOf = options.nonceOf;
    this.#now = options.now ?? Date.now;
  }

  /** Number of transactions held (all lanes). */
  get size(): number {
    return this.#txs.size;
  }

  /** Bytes held (sum of transaction lengths, all lanes). */
  get bytes(): number {
    return this.#laneBytes.pending + this.#laneBytes.queued + this.#laneBytes.reserved;
  }

  /** Transactions per lane. */
  laneSizes(): Record<Lane, number> {
    return { ...this.#count };
  }

  /** True when a transaction with this hash is held. */
  has(hash: Uint8Array): boolean {
    return this.#txs.has(keyOf(hash));
  }

  /**
   * Admits `tx` if it is within the size limit, new (neither held, being checked, nor recently
   * committed), the application accepts it, and its lane and sender have room (see the file header).
   */
  async add(tx: Uint8Array): Promise<AddTxResult> {
    if (!(tx instanceof Uint8Array))
      throw new InputError('Mempool.add: expected the transaction as a Uint8Array');
    const hash = txHash(tx);
    const key = keyOf(hash);
    const early = this.#known(tx, key);
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
    const late = this.#known(tx, key) ?? this.#place(tx, hash, key, check.ordering);
    if (late !== undefined) return { ok: false, hash, ...late };
    return { ok: true, hash };
  }

  /**
   * Executable transactions, the reserved lane first, then pending, each oldest first, whose total size
   * is at most `maxBytes` (and count at most `maxTxs`).
   */
  reap(limits: { maxBytes: number; maxTxs?: number }): Uint8Array[] {
    const maxTxs = limits.maxTxs ?? Number.POSITIVE_INFINITY;
    const out: Uint8Array[] = [];
    let bytes = 0;
    const take = (e: Entry): boolean => {
      if (out.length >= maxTxs || bytes + e.tx.length > limits.maxBytes) return false;
      bytes += e.tx.length;
      out.push(e.tx);
      return true;
    };
    for (const key of this.#reservedKeys) {
      const e = this.#txs.get(key)!;
      if (e.lane === 'reserved' && !take(e)) return out;
    }
    for (const e of this.#txs.values()) {
      if (e.lane === 'pending' && !take(e)) break;
    }
    return out;
  }

  /** Every held transaction, oldest first. */
  txs(): Uint8Array[] {
    return [...this.#txs.values()].map((e) => e.tx);
  }

  /**
   * After block `height` committed `committedTxs`: removes them (remembering their hashes), re-reads each
   * sender's next nonce (dropping used nonces, promoting what became executable), drops queued
   * transactions past their TTL, then, if re-checking is on, drops every remaining transaction the
   * application now rejects. Returns how many transactions the re-check dropped.
   */
  async update(_height: bigint, committedTxs: readonly Uint8Array[]): Promise<number> {
    for (const tx of committedTxs) {
      const key = keyOf(txHash(tx));
      this.#delete(key);
      this.#remember(key);
    }
    if (this.#nonceOf !== undefined) {
      for (const [sender, s] of [...this.#senders]) this.#advance(sender, s, this.#nonceOf(sender));
    }
    this.#expireQueued();
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

  /** Refusals that need no application check: size, duplicates, recently committed. */
  #known(tx: Uint8Array, key: string): { code: RejectCode; reason: string } | undefined {
    if (tx.length > this.maxTxBytes) {
      return rejection('too_large', `transaction too large: ${tx.length} bytes, limit ${this.maxTxBytes}`);
    }
    if (this.#txs.has(key) || this.#checking.has(key)) {
      return rejection('duplicate', `transaction 0x${key} is already in the mempool`);
    }
    if (this.#committed.has(key)) {
      return rejection('committed', `transaction 0x${key} was already committed`);
    }
    return undefined;
  }

  /** Puts a checked transaction in its lane, or says why there is no room. */
  #place(
    tx: Uint8Array,
    hash: Uint8Array,
    key: string,
    o: TxOrdering | undefined,
  ): { code: RejectCode; reason: string } | undefined {
    const entry: Entry = { tx, hash, key, ordering: o, lane: 'pending', addedMs: this.#now() };
    if (o === undefined) {
      const full = this.#mainFull(tx.length, 'pending');
      if (full !== undefined) return full;
      this.#insert(entry);
      return undefined;
    }
    let s = this.#senders.get(o.sender);
    if (s !== undefined) this.#advance(o.sender, s, o.nextNonce);
    s = this.#senders.get(o.sender);
    const old = s?.byNonce.get(o.nonce);
    if (old !== undefined) {
      const fee = old.ordering!.feePerGas;
      if (!(o.feePerGas > fee && o.feePerGas * 10n >= fee * 11n)) {
        return rejection(
          'underpriced',
          `replacement transaction underpriced: ${o.sender} already has nonce ${o.nonce} in the mempool at ` +
            `${fee} per gas; a replacement needs at least ${(fee * 11n + 9n) / 10n} and more than ${fee}`,
        );
      }
    }
    const next = s?.next ?? o.nextNonce;
    const run = s?.run ?? 0;
    const executable = o.nonce < next + BigInt(run) + 1n;
    const lane: Lane = !executable ? 'queued' : o.reserved ? 'reserved' : 'pending';
    const senderCount = (s?.byNonce.size ?? 0) - (old === undefined ? 0 : 1);
    if (senderCount + 1 > this.maxTxsPerSender) {
      return rejection(
        'sender_full',
        `sender ${o.sender} has ${senderCount} transactions in the mempool, the most one sender may have`,
      );
    }
    if (lane === 'queued') {
      const queuedOfSender = s === undefined ? 0 : s.byNonce.size - s.run;
      if (queuedOfSender + 1 > this.maxQueuedPerSender) {
        return rejection(
          'queued_full',
          `sender ${o.sender} has ${queuedOfSender} transactions queued behind a nonce gap (next nonce ` +
            `${next + BigInt(run)}), limit ${this.maxQueuedPerSender}`,
        );
      }
      this.#expireQueued();
      if (this.#count.queued + 1 > this.maxQueuedTxs) {
        return rejection(
          'queued_full',
          `mempool queued lane full: ${this.#count.queued} transactions behind nonce gaps, limit ${this.maxQueuedTxs}`,
        );
      }
    }
    if (lane === 'reserved') {
      if (
        this.#count.reserved + 1 > this.maxReservedTxs ||
        this.#laneBytes.reserved + tx.length > this.maxReservedBytes
      ) {
        return rejection(
          'full',
          `mempool reserved lane full: ${this.#count.reserved} txs / ${this.#laneBytes.reserved} bytes, limit ` +
            `${this.maxReservedTxs} txs / ${this.maxReservedBytes} bytes`,
        );
      }
    } else {
      const full = this.#mainFull(tx.length, lane, old);
      if (full !== undefined) return full;
    }
    if (old !== undefined) this.#delete(old.key);
    this.#insert(entry);
    return undefined;
  }

  /** Room in the pending and queued lanes for `bytes` more, dropping the newest queued ones for an executable one. */
  #mainFull(bytes: number, lane: Lane, replacing?: Entry): { code: RejectCode; reason: string } | undefined {
    const freed = replacing !== undefined && replacing.lane !== 'reserved' ? 1 : 0;
    const freedBytes = freed ? replacing!.tx.length : 0;
    const over = () =>
      this.#count.pending + this.#count.queued - freed + 1 > this.maxTxs ||
      this.#laneBytes.pending + this.#laneBytes.queued - freedBytes + bytes > this.maxBytes;
    if (over() && lane === 'pending') this.#expireQueued();
    while (over() && lane === 'pending' && this.#count.queued > 0) this.#dropNewestQueued(replacing);
    if (!over()) return undefined;
    return rejection(
      'full',
      `mempool full: ${this.#count.pending + this.#count.queued} txs / ` +
        `${this.#laneBytes.pending + this.#laneBytes.queued} bytes, limit ${this.maxTxs} txs / ` +
        `${this.maxBytes} bytes (this transaction: ${bytes} bytes)`,
    );
  }

  #insert(e: Entry): void {
    this.#txs.set(e.key, e);
    if (e.ordering === undefined) {
      this.#enterLane(e, 'pending');
      return;
    }
    if (e.ordering.reserved) this.#reservedKeys.add(e.key);
    let s = this.#senders.get(e.ordering.sender);
    if (s === undefined) {
      s = { next: e.ordering.nextNonce, run: 0, byNonce: new Map() };
      this.#senders.set(e.ordering.sender, s);
    }
    s.byNonce.set(e.ordering.nonce, e);
    e.lane = 'queued';
    this.#count.queued++;
    this.#laneBytes.queued += e.tx.length;
    this.#relane(s);
  }

  #enterLane(e: Entry, lane: Lane): void {
    e.lane = lane;
    this.#count[lane]++;
    this.#laneBytes[lane] += e.tx.length;
  }

  #leaveLane(e: Entry): void {
    this.#count[e.lane]--;
    this.#laneBytes[e.lane] -= e.tx.length;
  }

  /** Recomputes a sender's executable run from its next nonce and the lane of each of its entries. */
  #relane(s: SenderTxs): void {
    let run = 0;
    while (s.byNonce.has(s.next + BigInt(run))) run++;
    s.run = run;
    for (const [nonce, e] of s.byNonce) {
      const lane: Lane =
        nonce < s.next + BigInt(run) ? (e.ordering!.reserved ? 'reserved' : 'pending') : 'queued';
      if (lane === e.lane) continue;
      this.#leaveLane(e);
      this.#enterLane(e, lane);
    }
  }

  /** Moves a sender's next nonce up to `next`: drops its used nonces and promotes. */
  #advance(sender: string, s: SenderTxs, next: bigint): void {
    if (next <= s.next) return;
    s.next = next;
    for (const [nonce, e] of [...s.byNonce]) if (nonce < next) this.#delete(e.key);
    if (this.#senders.has(sender)) this.#relane(s);
  }

  /** Drops queued transactions past the TTL (the pool is in arrival order: stops at the first younger one). */
  #expireQueued(): void {
    if (this.#count.queued === 0) return;
    const cutoff = this.#now() - this.queuedTtlMs;
    const expired: string[] = [];
    for (const e of this.#txs.values()) {
      if (e.addedMs >= cutoff) break;
      if (e.lane === 'queued') expired.push(e.key);
    }
    for (const key of expired) this.#delete(key);
  }

  /** Drops the most recently added queued transaction (never `keep`). */
  #dropNewestQueued(keep: Entry | undefined): void {
    const all = [...this.#txs.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const e = all[i]!;
      if (e.lane === 'queued' && e !== keep) {
        this.#delete(e.key);
        return;
      }
    }
  }

  #delete(key: string): boolean {
    const e = this.#txs.get(key);
    if (e === undefined) return false;
    this.#txs.delete(key);
    this.#reservedKeys.delete(key);
    this.#leaveLane(e);
    const o = e.ordering;
    if (o !== undefined) {
      const s = this.#senders.get(o.sender);
      if (s !== undefined && s.byNonce.get(o.nonce) === e) {
        s.byNonce.delete(o.nonce);
        if (s.byNonce.size === 0) this.#senders.delete(o.sender);
        else this.#relane(s);
      }
    }
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
