// Blocks on the wire: eth_getBlockByNumber, eth_getBlockByHash, eth_getBlockTransactionCountByNumber,
// and the Ethereum block JSON they answer (also the newHeads subscription's header).
//
// With the key-value app a block maps as:
//   number/hash/parentHash  height, block hash, previous block hash
//   timestamp               block time in whole seconds (timestampMs keeps the milliseconds)
//   stateRoot               the header's appHash (state after the previous block), sha256 of it if not 32 bytes
//   transactionsRoot        the header's txRoot (RFC 6962 Merkle root over the transactions)
//   miner                   the proposer's "address": last 20 bytes of keccak256(ed25519 public key)
//   gas, fees, difficulty   0; logsBloom all zero; no uncles; receiptsRoot the empty-trie root
// Transactions are the application's raw bytes (input), from the zero address, to null, type 0x0, with
// hash = backend.txHash (sha256 by default). gridledger-only fields: timestampMs, proposer, appHash,
// validatorsHash, lastCommitHash.
//
// With the execution app these fields differ:
//   transactions      the executed Ethereum transactions (hashes are keccak256 of the raw bytes)
//   gasUsed/gasLimit  the block's gas used and the app's block gas limit
//   logsBloom         the OR of the receipts' blooms
//   receiptsRoot      Ethereum's receipts trie root (execution's ethReceiptsRoot), cached per height
//   transactionsRoot  Ethereum's transactions trie root over the executed transactions (execution's
//                     ethTransactionsRoot), cached with the receipts root; the consensus header's own
//                     RFC 6962 root over the block's bytes stays in gl_commit
//   stateRoot         the app state root after the block (the next header's appHash, or the tip's)
import { toHex } from '@gridledger/base';
import { keccak256, sha256 } from '@gridledger/crypto';
import {
  ethReceiptsRoot,
  ethTransactionsRoot,
  type StoredBlock,
  type StoredReceipt,
} from '@gridledger/execution';
import { hexToBytes } from 'viem';
import { invalidParams } from '../errors.ts';
import { data, quantity } from '../hex.ts';
import type { RpcMethodTable } from '../method.ts';
import {
  arity,
  parseData,
  parseEthBlockRef,
  parseEthFlag,
  parseFlag,
  parseHash,
  parseQuantity,
} from '../params.ts';
import type { RpcBackend, RpcBlock, RpcExecutionApp } from '../port.ts';
import type { AddressHex, BlockTag, Hex } from '../wire.ts';
import { type EthTransaction, transactionByHash } from './eth-transaction.ts';

/** An Ethereum block as served. With the key-value app, transactions are the app's raw bytes. */
export interface EthBlock {
  number: Hex;
  hash: Hex;
  parentHash: Hex;
  nonce: Hex;
  mixHash: Hex;
  sha3Uncles: Hex;
  logsBloom: Hex;
  transactionsRoot: Hex;
  stateRoot: Hex;
  receiptsRoot: Hex;
  /** The proposer's "address": last 20 bytes of keccak256 of its ed25519 key. */
  miner: AddressHex;
  difficulty: Hex;
  totalDifficulty: Hex;
  extraData: Hex;
  size: Hex;
  gasLimit: Hex;
  gasUsed: Hex;
  baseFeePerGas: Hex;
  /** Seconds. */
  timestamp: Hex;
  /** Hashes, or full transaction objects when asked for. */
  transactions: Hex[] | EthTransaction[] | EthKvTransaction[];
  uncles: [];
  /** gridledger only: the block time in milliseconds. */
  timestampMs: Hex;
  /** gridledger only: the proposer's ed25519 public key. */
  proposer: Hex;
  appHash: Hex;
  validatorsHash: Hex;
  lastCommitHash: Hex;
}

/** A block header as pushed by eth_subscribe "newHeads": the block without `transactions`. */
export type EthBlockHeader = Omit<EthBlock, 'transactions'>;

/** A key-value app transaction inside a block (full transactions with the key-value app). */
export interface EthKvTransaction {
  hash: Hex;
  nonce: Hex;
  blockHash: Hex;
  blockNumber: Hex;
  transactionIndex: Hex;
  from: AddressHex;
  to: null;
  value: Hex;
  gas: Hex;
  gasPrice: Hex;
  /** The raw application transaction. */
  input: Hex;
  v: Hex;
  r: Hex;
  s: Hex;
  type: Hex;
  chainId: Hex;
}

/** eth_getBlockByNumber: block number or tag, full transactions? */
export type EthGetBlockByNumberParameters = [block: BlockTag, fullTransactions?: boolean];
/** eth_getBlockByNumber: the block, or null. */
export type EthGetBlockByNumberReturnType = EthBlock | null;

/** eth_getBlockByHash: 32-byte hash, full transactions? */
export type EthGetBlockByHashParameters = [hash: Hex, fullTransactions?: boolean];
/** eth_getBlockByHash: the block, or null. */
export type EthGetBlockByHashReturnType = EthBlock | null;

/** eth_getBlockTransactionCountByNumber: block number or tag. */
export type EthGetBlockTransactionCountByNumberParameters = [block: BlockTag];
/** eth_getBlockTransactionCountByNumber: hex count, or null for an unknown block. */
export type EthGetBlockTransactionCountByNumberReturnType = Hex | null;

const ZERO_BLOOM: Hex = `0x${'00'.repeat(256)}`;
const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;
const ZERO_ADDRESS: Hex = `0x${'00'.repeat(20)}`;
/** keccak256(rlp([])): the uncles hash of a block without uncles. */
const EMPTY_UNCLES = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';
/** Root of the empty Merkle-Patricia trie. */
const EMPTY_TRIE = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

/** The Ethereum-style address shown as a block's miner for an ed25519 proposer key. */
export function proposerAddress(publicKey: Uint8Array): `0x${string}` {
  return data(keccak256(publicKey).subarray(12));
}

function hash32(b: Uint8Array): `0x${string}` {
  return data(b.length === 32 ? b : sha256(b));
}

/** Ethereum JSON of a transaction inside `block`. */
export function formatEthTransaction(
  block: RpcBlock,
  index: number,
  txHash: (tx: Uint8Array) => Uint8Array,
  ethChainId: bigint,
): EthKvTransaction {
  const tx = block.txs[index]!;
  return {
    hash: data(txHash(tx)),
    nonce: '0x0',
    blockHash: data(block.hash),
    blockNumber: quantity(block.height),
    transactionIndex: quantity(index),
    from: ZERO_ADDRESS,
    to: null,
    value: '0x0',
    gas: '0x0',
    gasPrice: '0x0',
    input: data(tx),
    v: '0x0',
    r: '0x0',
    s: '0x0',
    type: '0x0',
    chainId: quantity(ethChainId),
  };
}

/** Ethereum JSON of a block; `fullTransactions` chooses transaction objects over hashes. */
export function formatEthBlock(
  block: RpcBlock,
  fullTransactions: boolean,
  txHash: (tx: Uint8Array) => Uint8Array,
  ethChainId: bigint,
): EthBlock {
  return {
    number: quantity(block.height),
    hash: data(block.hash),
    parentHash: data(block.parentHash),
    nonce: '0x0000000000000000',
    mixHash: ZERO_HASH,
    sha3Uncles: EMPTY_UNCLES,
    logsBloom: ZERO_BLOOM,
    transactionsRoot: hash32(block.txRoot),
    stateRoot: hash32(block.appHash),
    receiptsRoot: EMPTY_TRIE,
    miner: proposerAddress(block.proposer),
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: '0x',
    size: quantity(block.sizeBytes),
    gasLimit: '0x0',
    gasUsed: '0x0',
    baseFeePerGas: '0x0',
    timestamp: quantity(block.timeMs / 1000n),
    transactions: fullTransactions
      ? block.txs.map((_tx, i) => formatEthTransaction(block, i, txHash, ethChainId))
      : block.txs.map((tx) => data(txHash(tx))),
    uncles: [],
    timestampMs: quantity(block.timeMs),
    proposer: data(block.proposer),
    appHash: data(block.appHash),
    validatorsHash: data(block.validatorsHash),
    lastCommitHash: data(block.lastCommitHash),
  };
}

/** The key-value view's block parameter: a hex number (at most 16 digits) or a tag; 0n means none. */
async function resolveTag(backend: RpcBackend, tag: unknown): Promise<bigint> {
  if (tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized') {
    // BFT finality: the latest committed block is final; nothing is pending outside the mempool.
    return backend.latestHeight();
  }
  if (tag === 'earliest') return 1n;
  if (typeof tag === 'string' && tag.startsWith('0x')) return parseQuantity(tag, 'block number');
  throw invalidParams(
    `block must be a hex number or one of "latest", "earliest", "pending", "safe", "finalized", got ${JSON.stringify(tag)}`,
  );
}

/** The block hash of a transaction as the chain knows it (sha256 unless the backend says otherwise). */
export function chainTxHash(backend: RpcBackend): (tx: Uint8Array) => Uint8Array {
  return (tx) => (backend.txHash ? backend.txHash(tx) : sha256(tx));
}

/** The block methods with the key-value app (blocks of raw application transactions). */
export function ethBlockMethods(backend: RpcBackend): RpcMethodTable {
  const txHash = chainTxHash(backend);
  const ethBlock = (b: RpcBlock | undefined, full: boolean) =>
    b === undefined ? null : formatEthBlock(b, full, txHash, backend.ethChainId);
  const m: RpcMethodTable = new Map();
  m.set('eth_getBlockByNumber', async (p): Promise<EthGetBlockByNumberReturnType> => {
    arity(p, 1, 2, '[block number or tag, full transactions?]');
    const height = await resolveTag(backend, p[0]);
    const full = parseFlag(p[1], 'full transactions flag');
    return ethBlock(height === 0n ? undefined : await backend.getBlock({ height }), full);
  });
  m.set('eth_getBlockByHash', async (p): Promise<EthGetBlockByHashReturnType> => {
    arity(p, 1, 2, '[block hash, full transactions?]');
    const hash = parseData(p[0], 'block hash', { length: 32 });
    const full = parseFlag(p[1], 'full transactions flag');
    return ethBlock(await backend.getBlock({ hash }), full);
  });
  m.set(
    'eth_getBlockTransactionCountByNumber',
    async (p): Promise<EthGetBlockTransactionCountByNumberReturnType> => {
      arity(p, 1, 1, '[block number or tag]');
      const height = await resolveTag(backend, p[0]);
      const b = height === 0n ? undefined : await backend.getBlock({ height });
      return b === undefined ? null : quantity(b.txs.length);
    },
  );
  return m;
}

const EMPTY_BLOOM: Hex = `0x${'00'.repeat(256)}`;
const ROOT_CACHE = 1024;

/** A block with the execution app's view of it: its executed transactions, gas, bloom, roots. */
export interface ExecutionBlockView {
  /** Ethereum JSON of a committed block (null for none); `full` chooses transaction objects over hashes. */
  ethBlock(b: RpcBlock | undefined, full: boolean): Promise<EthBlock | null>;
}

/** The execution app's block view over `backend` (caches the tries of the last 1,024 blocks asked for). */
export function executionBlockView(backend: RpcBackend, app: RpcExecutionApp): ExecutionBlockView {
  const rootCache = new Map<bigint, { receiptsRoot: Hex; transactionsRoot: Hex }>();

  async function receiptsOf(rec: StoredBlock): Promise<StoredReceipt[]> {
    const out: StoredReceipt[] = [];
    for (const h of rec.txHashes) {
      const r = await app.loadReceipt(h);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** The block's Ethereum receipts and transactions trie roots (cached). */
  async function tries(rec: StoredBlock): Promise<{ receiptsRoot: Hex; transactionsRoot: Hex }> {
    const hit = rootCache.get(rec.height);
    if (hit !== undefined) return hit;
    const receipts = await receiptsOf(rec);
    const roots = {
      receiptsRoot: await ethReceiptsRoot(receipts),
      transactionsRoot: await ethTransactionsRoot(receipts.map((r) => hexToBytes(r.raw))),
    };
    if (rootCache.size >= ROOT_CACHE) rootCache.delete(rootCache.keys().next().value as bigint);
    rootCache.set(rec.height, roots);
    return roots;
  }

  /** State root after block `b`: the next header's appHash, or the tip's when `b` is the tip. */
  async function stateRootAfter(b: RpcBlock): Promise<Hex | undefined> {
    const tip = backend.tip?.();
    if (tip !== undefined && b.height === tip.height) return toHex(tip.appHash);
    const next = await backend.getBlock({ height: b.height + 1n });
    return next === undefined ? undefined : toHex(next.appHash);
  }

  return {
    async ethBlock(b, full) {
      if (b === undefined) return null;
      const out = formatEthBlock(b, false, keccak256, app.chainId);
      const rec = await app.loadBlock(b.height);
      const hashes = rec?.txHashes ?? [];
      out.transactions = full
        ? ((await Promise.all(hashes.map((h) => transactionByHash(backend, app, h)))) as EthTransaction[])
        : hashes;
      out.gasUsed = quantity(rec?.gasUsed ?? 0n);
      out.gasLimit = quantity(app.blockGasLimit);
      out.logsBloom = rec?.logsBloom ?? EMPTY_BLOOM;
      if (rec !== undefined) Object.assign(out, await tries(rec));
      out.stateRoot = (await stateRootAfter(b)) ?? out.stateRoot;
      return out;
    },
  };
}

/** The block methods with the execution app (they replace the key-value app's). */
export function ethExecutionBlockMethods(
  backend: RpcBackend,
  app: RpcExecutionApp,
  view: ExecutionBlockView,
): RpcMethodTable {
  async function blockAt(tag: unknown): Promise<RpcBlock | undefined> {
    const ref = parseEthBlockRef(tag);
    const height = ref === 'latest' ? (backend.tip?.().height ?? (await backend.latestHeight())) : ref;
    return height === 0n ? undefined : backend.getBlock({ height });
  }

  const m: RpcMethodTable = new Map();
  m.set(
    'eth_getBlockByNumber',
    async (p): Promise<EthGetBlockByNumberReturnType> =>
      view.ethBlock(await blockAt(p[0]), parseEthFlag(p[1], 'full transactions flag')),
  );
  m.set('eth_getBlockByHash', async (p): Promise<EthGetBlockByHashReturnType> => {
    const hash = parseHash(p[0], 'block hash');
    return view.ethBlock(
      await backend.getBlock({ hash: hexToBytes(hash) }),
      parseEthFlag(p[1], 'full transactions flag'),
    );
  });
  m.set(
    'eth_getBlockTransactionCountByNumber',
    async (p): Promise<EthGetBlockTransactionCountByNumberReturnType> => {
      const b = await blockAt(p[0]);
      if (b === undefined) return null;
      return quantity((await app.loadBlock(b.height))?.txHashes.length ?? 0);
    },
  );
  return m;
}
