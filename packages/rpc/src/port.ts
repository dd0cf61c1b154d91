// The port: what the JSON-RPC server needs from a running node, declared here and implemented by the
// node (packages/node/src/rpc-backend.ts; store-backend.ts has adapters over the node store and
// mempool). Chain reads (latest block, blocks, certificates, block hashes), mempool add and find,
// status, state reads and queries of the application, and block notifications for subscriptions. With
// the execution app the node also hands over the app's read side (RpcExecutionApp) and, when genesis
// enables the market, its configuration. rpc never imports node.
import type { MarketConfig } from '@gridledger/energy';
import type { ExecutionApp } from '@gridledger/execution';

/** A committed block as the RPC server shows it. Hashes are 32 bytes. */
export interface RpcBlock {
  height: bigint;
  hash: Uint8Array;
  /** Previous block's hash (32 zero bytes at height 1). */
  parentHash: Uint8Array;
  timeMs: bigint;
  /** The proposer's ed25519 public key (32 bytes). */
  proposer: Uint8Array;
  /** Application state root in the header (state after the previous block, CometBFT convention). */
  appHash: Uint8Array;
  txRoot: Uint8Array;
  validatorsHash: Uint8Array;
  lastCommitHash: Uint8Array;
  txs: Uint8Array[];
  /** Encoded size of the block in bytes. */
  sizeBytes: number;
}

/** One commit signature. */
export interface RpcCommitSignature {
  validatorIndex: number;
  signature: Uint8Array;
}

/** The commit certificate of a height. */
export interface RpcCommit {
  height: bigint;
  round: number;
  blockHash: Uint8Array;
  signatures: RpcCommitSignature[];
}

/** A validator jailed by committed equivocation evidence (power 0 from `fromHeight` on). */
export interface RpcJail {
  index: number;
  publicKey: Uint8Array;
  fromHeight: bigint;
  /** Height of the block that committed the evidence. */
  committedAt: bigint;
  /** The evidence key `validator/height/round/type`. */
  evidence: string;
}

/** One validator, with its power in force at the next height (0 once jailed). */
export interface RpcValidator {
  publicKey: Uint8Array;
  power: bigint;
  /** Its jail record, when committed evidence jailed it. */
  jailed?: Omit<RpcJail, 'index' | 'publicKey'>;
}

/** The node's view of itself, for gl_status. */
export interface RpcStatus {
  chainId: string;
  height: bigint;
  /** Hash of the block at `height` (undefined before the first block). */
  latestHash: Uint8Array | undefined;
  latestTimeMs: bigint | undefined;
  /** Connected peers. */
  peers: number;
  /** This node's validator public key and index in the set (index null if it is not a validator). */
  validator: { publicKey: Uint8Array; index: number | null } | undefined;
  /** True while the node is behind its peers and syncing blocks. */
  catchingUp: boolean;
  /** Validators jailed by committed evidence (none when omitted). */
  jailed?: RpcJail[];
}

/** What a transaction submission became. */
export type SubmitTxResult =
  | { ok: true; hash: Uint8Array }
  | { ok: false; hash?: Uint8Array; code: string; reason: string };

/**
 * What the execution methods read from the execution app: decoding and checking transactions, static
 * calls, nonces, receipts and executed blocks, state values and proofs.
 */
export type RpcExecutionApp = Pick<
  ExecutionApp,
  | 'chainId'
  | 'height'
  | 'blockGasLimit'
  | 'modules'
  | 'decode'
  | 'decodeMany'
  | 'checkTx'
  | 'staticCall'
  | 'nonceOf'
  | 'pendingNonceOf'
  | 'loadReceipt'
  | 'loadBlock'
  | 'stateValue'
  | 'prove'
>;

/** The node's tip: last committed height, its time, and the application state root after it. */
export interface RpcTip {
  height: bigint;
  timeMs: bigint;
  appHash: Uint8Array;
}

/** Everything the RPC server reads from (and the one thing it writes to) a node. */
export interface RpcBackend {
  /** The chain id as a number, for eth_chainId and net_version (genesis.json's ethChainId, chosen at `gridledger init`). */
  readonly ethChainId: bigint;
  /** Height of the last committed block (0n when none). */
  latestHeight(): bigint | Promise<bigint>;
  /** A committed block by height or hash, or undefined. */
  getBlock(ref: { height: bigint } | { hash: Uint8Array }): Promise<RpcBlock | undefined>;
  /** The commit certificate of `height`, or undefined. */
  commit(height: bigint): Promise<RpcCommit | undefined>;
  status(): RpcStatus | Promise<RpcStatus>;
  validators(): RpcValidator[] | Promise<RpcValidator[]>;
  /** Hands a transaction to the mempool. */
  submitTx(tx: Uint8Array): Promise<SubmitTxResult>;
  /** The hash a transaction is known by (default sha256, the mempool's {@link txHash}). */
  txHash?(tx: Uint8Array): Uint8Array;
  /** The application's committed value of `key` and the height it is from (enables gl_query). */
  query?(key: Uint8Array): Promise<{ height: bigint; value: Uint8Array | undefined }>;
  /** Calls `listener` after each committed block; returns an unsubscribe function (enables eth_subscribe newHeads). */
  onBlock?(listener: (height: bigint) => void): () => void;
  /** The hash of committed block `height` (cheaper than getBlock: no decoding). */
  blockHash?(height: bigint): Promise<Uint8Array | undefined>;
  /** The height of the committed block with hash `hash`. */
  blockHeight?(hash: Uint8Array): Promise<bigint | undefined>;
  /** The transactions waiting in the mempool (eth_getTransactionByHash answers pending ones). */
  pendingTxs?(): Iterable<Uint8Array>;
  /** The node's tip (stateRoot of the latest block, the market clock). */
  tip?(): RpcTip;
  /** The execution app when genesis chose it: enables the execution methods (eth_call, receipts, logs...). */
  execution?: RpcExecutionApp;
  /** The energy market's configuration when genesis enables it (with `execution`): enables gl_market methods. */
  market?: MarketConfig;
}
