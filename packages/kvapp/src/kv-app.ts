// The minimal key-value application behind consensus (issue 3 item 4). Executes `key=value`
// transactions (tx.ts) deterministically on an in-memory MerkleKvState, and persists through the node
// store: finalizeBlock stages the block's writes, the node commits them with the block in one batch
// (store.saveBlock(block, app.pendingCommit(h))), then app.commit(h) makes them the committed state.
import {
  type AppCommit,
  type AppInfo,
  type Application,
  type CheckTxResult,
  type KVStore,
  StateBatch,
  type TxResult,
} from '@gridledger/app-api';
import { equalBytes, GridledgerError, toHex } from '@gridledger/base';
import { MerkleKvState } from './merkle-state.ts';
import { decodeKvTx } from './tx.ts';

/** Where a KvApp keeps its committed state: a {@link NodeStore} fits (its `state` and `loadAppInfo`). */
export interface KvAppStorage {
  readonly state: KVStore;
  loadAppInfo(): AppInfo | undefined;
}

/** Misuse of the application's commit protocol or a state that does not match its root (code `E_APP`). */
export class AppError extends GridledgerError {
  constructor(message: string) {
    super('E_APP', message);
    this.name = 'AppError';
  }
}

interface Pending {
  height: bigint;
  appHash: Uint8Array;
  /** Previous values of every touched key (null: absent), to roll back an uncommitted block. */
  undo: Map<string, { key: Uint8Array; value: Uint8Array | null }>;
  batch: StateBatch;
}

/**
 * The key-value application.
 * @example
 * const store = await NodeStore.open(dir);
 * const app = await KvApp.load(store);
 * const { appHash } = await app.finalizeBlock({ height: 1n, timeMs, proposer, txs });
 * await store.saveBlock({ height: 1n, hash, block, cert }, app.pendingCommit(1n));
 * await app.commit(1n);
 */
export class KvApp implements Application {
  readonly #state = new MerkleKvState();
  readonly #storage: KvAppStorage | undefined;
  #height = 0n;
  #committedRoot: Uint8Array;
  #pending: Pending | undefined;

  private constructor(storage: KvAppStorage | undefined) {
    this.#storage = storage;
    this.#committedRoot = this.#state.root();
  }

  /**
   * Loads the committed state from `storage` (or starts empty, in memory only, without one) and checks
   * that it hashes to the stored root; throws {@link AppError} when it does not.
   */
  static async load(storage?: KvAppStorage): Promise<KvApp> {
    const app = new KvApp(storage);
    if (storage === undefined) return app;
    for await (const [k, v] of storage.state.entries()) app.#state.set(k, v);
    const info = storage.loadAppInfo();
    const root = app.#state.root();
    if (info === undefined) {
      if (app.#state.size !== 0)
        throw new AppError(`stored state has ${app.#state.size} keys but no app info`);
      app.#committedRoot = root;
      return app;
    }
    if (!equalBytes(root, info.appHash)) {
      throw new AppError(
        `stored state at height ${info.height} hashes to ${toHex(root)}, but its recorded root is ${toHex(info.appHash)}: the database is corrupt`,
      );
    }
    app.#height = info.height;
    app.#committedRoot = root;
    return app;
  }

  /** Accepts a well-formed `key=value` transaction within the size limits; otherwise the reason. */
  async checkTx(tx: Uint8Array): Promise<CheckTxResult> {
    const r = decodeKvTx(tx);
    return r.ok ? { ok: true } : { ok: false, reason: r.reason };
  }

  /** Keeps well-formed candidates, in order, while their total stays within maxBytes. */
  async prepareProposal(req: { height: bigint; timeMs: bigint; txs: Uint8Array[]; maxBytes: number }) {
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (const tx of req.txs) {
      if (!decodeKvTx(tx).ok) continue;
      if (bytes + tx.length > req.maxBytes) break;
      bytes += tx.length;
      out.push(tx);
    }
    return out;
  }

  /** A proposal is acceptable when every transaction is well formed. */
  async processProposal(req: { height: bigint; timeMs: bigint; txs: Uint8Array[] }): Promise<boolean> {
    return req.txs.every((tx) => decodeKvTx(tx).ok);
  }

  /**
   * Executes block `height` (last committed + 1; executing the same height again first rolls back the
   * earlier uncommitted run). A malformed transaction fails alone with a reason and changes nothing.
   */
  async finalizeBlock(req: { height: bigint; timeMs: bigint; proposer: Uint8Array; txs: Uint8Array[] }) {
    if (this.#pending !== undefined) this.#rollback();
    if (req.height !== this.#height + 1n) {
      throw new AppError(`finalizeBlock: expected height ${this.#height + 1n}, got ${String(req.height)}`);
    }
    const undo: Pending['undo'] = new Map();
    const batch = new StateBatch();
    const txResults: TxResult[] = req.txs.map((bytes) => {
      const r = decodeKvTx(bytes);
      if (!r.ok) return { ok: false, info: r.reason };
      const { key, value } = r.tx;
      const hex = toHex(key);
      const next = value.length === 0 ? null : value;
      const prev = this.#state.set(key, next);
      if (!undo.has(hex)) undo.set(hex, { key, value: prev });
      if (next === null) batch.del(key);
      else batch.put(key, next);
      return { ok: true, info: next === null ? 'deleted' : 'set' };
    });
    const appHash = this.#state.root();
    this.#pending = { height: req.height, appHash, undo, batch };
    return { appHash, txResults };
  }

  /** The state writes and root of the finalized, not yet committed block `height`, for NodeStore.saveBlock. */
  pendingCommit(height: bigint): AppCommit {
    const p = this.#pending;
    if (p === undefined || p.height !== height) {
      throw new AppError(
        `pendingCommit(${height}): no finalized block at that height (finalizeBlock it first)`,
      );
    }
    return { writes: p.batch.writes(), appHash: p.appHash };
  }

  /**
   * Makes finalized block `height` the committed state. With storage, the node must already have saved
   * the block with {@link pendingCommit}'s writes (one atomic batch); this checks that it did.
   */
  async commit(height: bigint): Promise<void> {
    const p = this.#pending;
    if (p === undefined || p.height !== height) {
      throw new AppError(`commit(${height}): no finalized block at that height`);
    }
    if (this.#storage !== undefined) {
      const info = this.#storage.loadAppInfo();
      if (info === undefined || info.height !== height || !equalBytes(info.appHash, p.appHash)) {
        throw new AppError(
          `commit(${height}): the store holds app state of height ${info?.height ?? 0n}; save the block with ` +
            `store.saveBlock(block, app.pendingCommit(${height})) before app.commit(${height})`,
        );
      }
    }
    this.#pending = undefined;
    this.#height = height;
    this.#committedRoot = p.appHash;
  }

  /** The last committed height and state root. */
  async info(): Promise<{ height: bigint; appHash: Uint8Array }> {
    return { height: this.#height, appHash: this.#committedRoot.slice() };
  }

  /** The committed value of `key` (not counting a finalized, uncommitted block), or undefined. */
  query(key: Uint8Array): Uint8Array | undefined {
    const u = this.#pending?.undo.get(toHex(key));
    if (u !== undefined) return u.value ?? undefined;
    return this.#state.get(key);
  }

  /** Number of keys in the committed state plus the pending block. */
  get size(): number {
    return this.#state.size;
  }

  #rollback(): void {
    const p = this.#pending;
    if (p === undefined) return;
    for (const [, { key, value }] of p.undo) this.#state.set(key, value);
    this.#pending = undefined;
  }
}
