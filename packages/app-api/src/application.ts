// The application interface: how consensus drives the state machine it orders transactions for
// (after CometBFT's ABCI++). The key-value app (@gridledger/kvapp) and the execution app
// (@gridledger/execution) implement it, the node's consensus driver calls it; it lives in the base layer so
// that neither side imports the other. Header convention (as CometBFT): block h's header carries the app hash returned by
// finalizeBlock of block h-1, so a commit certificate for h also attests the state after h-1.

/**
 * How the mempool orders an admitted transaction of an application with per-sender nonces (the execution
 * app): one transaction per (sender, nonce), executable ones (consecutive nonces from the sender's next)
 * apart from queued ones behind a gap.
 */
export interface TxOrdering {
  sender: string;
  nonce: bigint;
  /** The sender's next nonce in the latest committed state. */
  nextNonce: bigint;
  /** Fee per gas offered: a transaction replacing another of the same (sender, nonce) must raise it. */
  feePerGas: bigint;
  /** A settlement input (meter readings, order cancellations): kept in the mempool's reserved lane. */
  reserved: boolean;
}

/** Result of a mempool admission check (with the transaction's ordering where the application has one). */
export type CheckTxResult = { ok: true; ordering?: TxOrdering } | { ok: false; reason: string };

/** Result of executing one transaction inside a block. */
export interface TxResult {
  ok: boolean;
  /** Why it failed, or extra information. */
  info?: string;
}

/** The application behind consensus. Every method must be deterministic except checkTx's use of mempool state. */
export interface Application {
  /** Mempool admission: a clear reason when the transaction is not acceptable. */
  checkTx(tx: Uint8Array): Promise<CheckTxResult>;
  /** The proposer chooses a block's transactions from mempool candidates, within maxBytes in total. */
  prepareProposal(req: {
    height: bigint;
    timeMs: bigint;
    txs: Uint8Array[];
    maxBytes: number;
  }): Promise<Uint8Array[]>;
  /** A validator checks a proposed block's transactions before it prevotes for it. */
  processProposal(req: { height: bigint; timeMs: bigint; txs: Uint8Array[] }): Promise<boolean>;
  /** Executes a decided block; returns the state root after it and one result per transaction. */
  finalizeBlock(req: {
    height: bigint;
    timeMs: bigint;
    proposer: Uint8Array;
    txs: Uint8Array[];
  }): Promise<{ appHash: Uint8Array; txResults: TxResult[] }>;
  /** Makes the state of the last finalized block durable (atomically with the block, see the store). */
  commit(height: bigint): Promise<void>;
  /** The last committed height and state root (0n and the genesis root before any block). */
  info(): Promise<{ height: bigint; appHash: Uint8Array }>;
}
