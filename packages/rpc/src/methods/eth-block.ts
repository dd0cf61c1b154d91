// Blocks on the wire: eth_getBlockByNumber, eth_getBlockByHash, eth_getBlockTransactionCountByNumber,
// and the Ethereum block JSON they answer (also the newHeads subscription's header).
import type { AddressHex, BlockTag, Hex } from '../wire.ts';
import type { EthTransaction } from './eth-transaction.ts';

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
