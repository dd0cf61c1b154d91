// The execution application behind consensus (Application of @gridledger/app-api): composes the
// transaction decoder (tx-decoding.ts), the admission and proposal checks (admission.ts) and block
// execution (block-execution.ts) over the committed state, and commits one sparse-Merkle state root per
// block; it owns the commit protocol, the loading of stored state and the read views (static calls,
// nonces, proofs, receipts, blocks). Store writes (state leaves, receipts, block records) are handed to
// the node through `pendingCommit(h)` and saved atomically with the block (NodeStore.saveBlock), as the
// kv app does; `commit(h)` then checks the store recorded them. Without storage (simulations, tests) it
// keeps everything in memory.
//
// Transaction validity in a block is block-execution.ts's: a transaction that does not decode or check
// fails alone (no receipt, no state change); any other gets a receipt and uses its nonce.
import {
  type AppCommit,
  type AppInfo,
  type Application,
  type CheckTxResult,
  type KVStore,
  MemoryKVStore,
  type StateWrite,
  type TxOrdering,
} from '@gridledger/app-api';
import { equalBytes, GridledgerError, toHex } from '@gridledger/base';
import type { Hex } from 'viem';
import { admissionRefusal, isAcceptableProposal, selectProposalTxs } from './admission.ts';
import { executeBlock, pushBlockRecords } from './block-execution.ts';
import { CommittedState } from './commitment.ts';
import { applyCall, type CallOutcome } from './executor.ts';
import type { ExecutionExtension } from './extension.ts';
import { applyGenesis, createPlatformModules, type ExecutionGenesis } from './genesis.ts';
import type { Address, Log, ModuleRegistry } from './module.ts';
import { accountsView } from './modules/accounts.ts';
import {
  blockStoreKey,
  decodeRecord,
  receiptStoreKey,
  type StoredBlock,
  type StoredReceipt,
} from './receipts.ts';
import type { SenderRecoveryPool } from './recover-pool.ts';
import type { SmtProof } from './smt.ts';
import { DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_TX_GAS, type DecodeTxResult } from './tx.ts';
import { TxDecoder, txCacheKey } from './tx-decoding.ts';

/** Where the application keeps its committed state: a NodeStore fits (its `state` and `loadAppInfo`). */
export interface ExecutionStorage {
  readonly state: KVStore;
  loadAppInfo(): AppInfo | undefined;
}

/** Misuse of the commit protocol or a stored state that does not match its root (code `E_APP`). */
export class ExecutionAppError extends GridledgerError {
  constructor(message: string) {
    super('E_APP', message);
    this.name = 'ExecutionAppError';
  }
}

/** Options of {@link ExecutionApp.load}. */
export interface ExecutionAppOptions {
  /** The Ethereum chain id transactions must carry. */
  chainId: bigint;
  genesis: ExecutionGenesis;
  /** Committed state; without it the app runs in memory. */
  storage?: ExecutionStorage;
  /** Largest encoded transaction (bytes). */
  maxTxBytes?: number;
  /** Largest gas limit of one transaction. */
  maxTxGas?: bigint;
  /** Largest sum of gas limits in one block (default 200,000,000: about 4,000 ERC-20 transfers). */
  blockGasLimit?: bigint;
  /** How far ahead of the sender's next nonce checkTx accepts (default 1,000). */
  maxNonceGap?: bigint;
  /** Most decoded transactions kept between checkTx and execution (default 50,000). */
  txCacheSize?: number;
  /** Worker threads for sender recovery (the caller creates and closes it); inline recovery without. */
  recoveryPool?: SenderRecoveryPool;
  /** Extra modules with genesis and begin-block steps (e.g. @gridledger/energy), in this order. */
  extensions?: readonly ExecutionExtension[];
}

/** The default block gas limit. */
export const DEFAULT_BLOCK_GAS_LIMIT = 200_000_000n;

interface Pending {
  height: bigint;
  appHash: Uint8Array;
  writes: StateWrite[];
  block: StoredBlock;
  /** Cache keys (txCacheKey) of the block's transactions. */
  rawKeys: string[];
}

/** Result of a static call (eth_call / eth_estimateGas). */
export type StaticCallResult = CallOutcome;

/**
 * The execution application.
 * @example
 * const app = await ExecutionApp.load({ chainId: 1337n, genesis, storage: store });
 * const { appHash } = await app.finalizeBlock({ height: 1n, timeMs, proposer, txs });
 * await store.saveBlock(record, app.pendingCommit(1n));
 * await app.commit(1n);
 */
export class ExecutionApp implements Application {
  readonly chainId: bigint;
  readonly modules: ModuleRegistry;
  readonly blockGasLimit: bigint;
  readonly #cs: CommittedState;
  readonly #storage: ExecutionStorage | undefined;
  readonly #kv: KVStore;
  readonly #maxTxGas: bigint;
  readonly #maxNonceGap: bigint;
  readonly #decoder: TxDecoder;
  /** Next nonce per sender counting transactions accepted by checkTx (for `pending` counts). */
  readonly #pendingNonce = new Map<Address, bigint>();
  #height = 0n;
  #committedRoot: Uint8Array;
  #lastTimeMs = 0n;
  #pending: Pending | undefined;
  /** Genesis state writes, saved with block 1. */
  #genesisWrites: StateWrite[] = [];
  readonly #extensions: readonly ExecutionExtension[];

  private constructor(options: ExecutionAppOptions, cs: CommittedState) {
    this.chainId = options.chainId;
    this.modules = createPlatformModules();
    this.#extensions = options.extensions ?? [];
    for (const ext of this.#extensions) for (const m of ext.modules?.() ?? []) this.modules.add(m);
    this.blockGasLimit = options.blockGasLimit ?? DEFAULT_BLOCK_GAS_LIMIT;
    this.#cs = cs;
    this.#storage = options.storage;
    this.#kv = options.storage?.state ?? new MemoryKVStore();
    this.#maxTxGas = options.maxTxGas ?? DEFAULT_MAX_TX_GAS;
    this.#maxNonceGap = options.maxNonceGap ?? 1000n;
    this.#decoder = new TxDecoder(
      {
        chainId: options.chainId,
        maxTxBytes: options.maxTxBytes ?? DEFAULT_MAX_TX_BYTES,
        maxTxGas: this.#maxTxGas,
      },
      options.txCacheSize ?? 50_000,
      options.recoveryPool,
    );
    this.#committedRoot = cs.root();
  }

  /**
   * Loads the committed state from `options.storage` and checks it against the stored root, or applies
   * the genesis when nothing is stored yet (its writes are saved with block 1).
   */
  static async load(options: ExecutionAppOptions): Promise<ExecutionApp> {
    if (typeof options.chainId !== 'bigint' || options.chainId <= 0n) {
      throw new ExecutionAppError(
        `ExecutionApp.load: expected chainId as a positive bigint, got ${String(options.chainId)}`,
      );
    }
    const cs = await CommittedState.load(options.storage?.state);
    const app = new ExecutionApp(options, cs);
    const info = options.storage?.loadAppInfo();
    if (info === undefined) {
      if (cs.state.size !== 0) {
        throw new ExecutionAppError(
          `stored state has ${cs.state.size} keys but no app info: the database is corrupt`,
        );
      }
      applyGenesis(cs.state, app.modules, options.genesis);
      for (const ext of app.#extensions) ext.genesis?.(cs.state, app.modules);
      const { root, writes } = cs.finalize();
      cs.commit();
      app.#genesisWrites = writes;
      app.#committedRoot = root;
      return app;
    }
    const root = cs.root();
    if (!equalBytes(root, info.appHash)) {
      throw new ExecutionAppError(
        `stored state at height ${info.height} hashes to ${toHex(root)}, but its recorded root is ${toHex(info.appHash)}: the database is corrupt`,
      );
    }
    app.#height = info.height;
    app.#committedRoot = root;
    const last = await app.loadBlock(info.height);
    app.#lastTimeMs = last?.timeMs ?? 0n;
    return app;
  }

  /** Decodes and checks a transaction statelessly (recovering inline), remembering the result by its bytes. */
  decode(raw: Uint8Array): DecodeTxResult {
    return this.#decoder.decode(raw);
  }

  /**
   * Decodes many transactions; the senders not yet cached are recovered in one batch on the recovery
   * pool's worker threads when there is one.
   */
  decodeMany(raws: Uint8Array[]): Promise<DecodeTxResult[]> {
    return this.#decoder.decodeMany(raws);
  }

  /**
   * Mempool admission: decodes, checks chain id, size, gas and signature, that the sender is registered
   * and that the nonce is not used and not more than `maxNonceGap` ahead.
   */
  async checkTx(raw: Uint8Array): Promise<CheckTxResult> {
    const [r] = await this.decodeMany([raw]);
    if (r === undefined) return { ok: false, reason: 'malformed transaction' };
    if (!r.ok) return { ok: false, reason: r.reason };
    const refused = admissionRefusal(this.#cs.state, r.tx, this.#maxNonceGap);
    if (refused !== undefined) return refused;
    const { from, nonce } = r.tx;
    const next = accountsView.nonce(this.#cs.state, from);
    const p = this.#pendingNonce.get(from) ?? next;
    if (nonce === p || (p < next && nonce === next)) this.#pendingNonce.set(from, nonce + 1n);
    const to = r.tx.to.toLowerCase() as Address;
    const ordering: TxOrdering = {
      sender: from,
      nonce,
      nextNonce: next,
      feePerGas: r.tx.maxFeePerGas ?? r.tx.gasPrice ?? 0n,
      reserved: this.#extensions.some((ext) => ext.reservedLane?.(to, r.tx.data) === true),
    };
    return { ok: true, ordering };
  }

  /**
   * checkTx's verdict for a transaction this app decoded before (still in its cache), without decoding
   * or awaiting anything: the checks against the latest state only. Undefined when the transaction is
   * not in the cache (call checkTx). For re-checking a mempool after blocks (the node's pruner).
   */
  recheckTx(raw: Uint8Array): CheckTxResult | undefined {
    const r = this.#decoder.cached(raw);
    if (r === undefined) return undefined;
    if (!r.ok) return { ok: false, reason: r.reason };
    return admissionRefusal(this.#cs.state, r.tx, this.#maxNonceGap) ?? { ok: true };
  }

  /**
   * Chooses a block from mempool candidates: valid transactions of registered senders, each sender's in
   * nonce order from its next nonce without gaps or duplicates, taken round-robin across senders (in
   * order of first appearance: every sender's first transaction, then every sender's second, ...), within
   * maxBytes and the block gas limit. Candidates may span several blocks' worth of the mempool; the
   * round-robin keeps one sender with a long queue from filling the block ahead of older transactions
   * of others.
   */
  async prepareProposal(req: {
    height: bigint;
    timeMs: bigint;
    txs: Uint8Array[];
    maxBytes: number;
  }): Promise<Uint8Array[]> {
    const decoded = await this.decodeMany(req.txs);
    return selectProposalTxs(this.#cs.state, decoded, req.maxBytes, this.blockGasLimit);
  }

  /**
   * Accepts a proposal when every transaction decodes and checks, comes from a registered sender with
   * exactly its next nonce (counting earlier transactions of the block), and the gas limits fit the block.
   */
  async processProposal(req: { height: bigint; timeMs: bigint; txs: Uint8Array[] }): Promise<boolean> {
    const decoded = await this.decodeMany(req.txs);
    return isAcceptableProposal(this.#cs.state, decoded, this.blockGasLimit);
  }

  /**
   * Executes block `height` (last committed + 1; executing the same height again first rolls back the
   * earlier uncommitted run): one receipt per executed transaction, then one state root.
   */
  async finalizeBlock(req: { height: bigint; timeMs: bigint; proposer: Uint8Array; txs: Uint8Array[] }) {
    // Recovery may await worker threads; everything after it runs without yielding.
    const decoded = await this.decodeMany(req.txs);
    if (this.#pending !== undefined) this.#rollback();
    if (req.height !== this.#height + 1n) {
      throw new ExecutionAppError(
        `finalizeBlock: expected height ${this.#height + 1n}, got ${String(req.height)}`,
      );
    }
    const state = this.#cs.state;
    const systemLogs: Log[][] = [];
    let executed: ReturnType<typeof executeBlock>;
    let finalized: ReturnType<CommittedState['finalize']>;
    try {
      for (const ext of this.#extensions) {
        systemLogs.push(
          (await ext.beginBlock?.(state, this.modules, { height: req.height, timeMs: req.timeMs })) ?? [],
        );
      }
      executed = executeBlock(state, this.modules, req, systemLogs, decoded);
      finalized = this.#cs.finalize();
    } catch (e) {
      // Nothing half-done stays in the journal: a retry of this height starts from the committed state.
      this.#cs.rollback();
      throw e;
    }
    const { root, writes } = finalized;
    const all = pushBlockRecords(req.height === 1n ? [...this.#genesisWrites, ...writes] : writes, executed);
    this.#pending = {
      height: req.height,
      appHash: root,
      writes: all,
      block: executed.block,
      rawKeys: req.txs.map(txCacheKey),
    };
    return { appHash: root.slice(), txResults: executed.txResults };
  }

  /** The store writes and root of the finalized, not yet committed block `height`, for NodeStore.saveBlock. */
  pendingCommit(height: bigint): AppCommit {
    const p = this.#pending;
    if (p === undefined || p.height !== height) {
      throw new ExecutionAppError(
        `pendingCommit(${height}): no finalized block at that height (finalizeBlock it first)`,
      );
    }
    return { writes: p.writes, appHash: p.appHash };
  }

  /**
   * Makes finalized block `height` the committed state. With storage, the node must already have saved
   * the block with {@link pendingCommit}'s writes (one atomic batch); this checks that it did.
   */
  async commit(height: bigint): Promise<void> {
    const p = this.#pending;
    if (p === undefined || p.height !== height) {
      throw new ExecutionAppError(`commit(${height}): no finalized block at that height`);
    }
    if (this.#storage !== undefined) {
      const info = this.#storage.loadAppInfo();
      if (info === undefined || info.height !== height || !equalBytes(info.appHash, p.appHash)) {
        throw new ExecutionAppError(
          `commit(${height}): the store holds app state of height ${info?.height ?? 0n}; save the block with ` +
            `store.saveBlock(block, app.pendingCommit(${height})) before app.commit(${height})`,
        );
      }
    } else {
      (this.#kv as MemoryKVStore).apply(p.writes);
    }
    this.#cs.commit();
    this.#pending = undefined;
    this.#height = height;
    this.#committedRoot = p.appHash;
    this.#lastTimeMs = p.block.timeMs;
    this.#genesisWrites = [];
    this.#decoder.forget(p.rawKeys);
    for (const [sender, n] of this.#pendingNonce) {
      if (n <= accountsView.nonce(this.#cs.state, sender)) this.#pendingNonce.delete(sender);
    }
  }

  /** The last committed height and state root. */
  async info(): Promise<{ height: bigint; appHash: Uint8Array }> {
    return { height: this.#height, appHash: this.#committedRoot.slice() };
  }

  /** The last committed height. */
  get height(): bigint {
    return this.#height;
  }

  /** Timestamp (ms) of the last committed block (0 before any). */
  get lastTimeMs(): bigint {
    return this.#lastTimeMs;
  }

  /**
   * Runs a call against the latest state and undoes it (eth_call, eth_estimateGas). The sender need
   * not be registered; `gas` defaults to the per-transaction maximum.
   */
  staticCall(req: { from?: Address; to: Address; data: Uint8Array; gas?: bigint }): StaticCallResult {
    const state = this.#cs.state;
    const snap = state.snapshot();
    try {
      return applyCall(
        state,
        this.modules,
        {
          sender: (req.from ?? '0x0000000000000000000000000000000000000000').toLowerCase() as Address,
          height: this.#height + 1n,
          timeMs: this.#lastTimeMs,
        },
        req.to.toLowerCase() as Address,
        req.data,
        req.gas ?? this.#maxTxGas,
      );
    } finally {
      state.revert(snap);
    }
  }

  /** The next nonce of `address` in the latest state. */
  nonceOf(address: Address): bigint {
    return accountsView.nonce(this.#cs.state, address.toLowerCase() as Address);
  }

  /** The next nonce of `address` counting transactions checkTx accepted and not yet executed. */
  pendingNonceOf(address: Address): bigint {
    const a = address.toLowerCase() as Address;
    const latest = this.nonceOf(a);
    const p = this.#pendingNonce.get(a);
    return p !== undefined && p > latest ? p : latest;
  }

  /** A state value of the latest state (0n when absent). */
  stateValue(key: string): bigint {
    return this.#cs.state.get(key);
  }

  /** A proof of `key` against the last committed root (call between blocks: not while one is pending). */
  prove(key: string): { proof: SmtProof; root: Uint8Array; height: bigint } {
    if (this.#pending !== undefined) {
      return { proof: this.#cs.prove(key), root: this.#pending.appHash, height: this.#pending.height };
    }
    return { proof: this.#cs.prove(key), root: this.#committedRoot, height: this.#height };
  }

  /** The receipt of a committed transaction, or undefined. */
  async loadReceipt(txHash: Hex): Promise<StoredReceipt | undefined> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(txHash)) return undefined;
    const v = await this.#kv.get(receiptStoreKey(txHash.toLowerCase() as Hex));
    return v === undefined ? undefined : decodeRecord<StoredReceipt>(v);
  }

  /** The record of committed block `height`, or undefined. */
  async loadBlock(height: bigint): Promise<StoredBlock | undefined> {
    if (height < 1n || height > this.#height) return undefined;
    const v = await this.#kv.get(blockStoreKey(height));
    return v === undefined ? undefined : decodeRecord<StoredBlock>(v);
  }

  #rollback(): void {
    this.#cs.rollback();
    this.#pending = undefined;
  }
}
