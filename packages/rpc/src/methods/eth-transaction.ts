// Transactions on the wire (execution app): eth_sendRawTransaction, eth_getTransactionByHash,
// eth_getTransactionReceipt, eth_getTransactionCount, and the transaction, receipt and log JSON.
import type { AddressHex, BlockTag, Hex } from '../wire.ts';

/** An Ethereum log as served (eth_getLogs, receipts, the "logs" subscription). */
export interface EthLog {
  address: AddressHex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  transactionIndex: Hex;
  logIndex: Hex;
  /** Always false: a BFT block is final. */
  removed: false;
}

interface EthTransactionBase {
  hash: Hex;
  nonce: Hex;
  /** null while the transaction waits in the mempool. */
  blockHash: Hex | null;
  blockNumber: Hex | null;
  transactionIndex: Hex | null;
  from: AddressHex;
  to: AddressHex;
  value: Hex;
  gas: Hex;
  input: Hex;
  chainId: Hex;
  r: Hex;
  s: Hex;
}

/** A legacy (EIP-155) transaction. */
export interface EthLegacyTransaction extends EthTransactionBase {
  type: '0x0';
  gasPrice: Hex;
  v: Hex;
}

/** An EIP-1559 transaction. */
export interface Eth1559Transaction extends EthTransactionBase {
  type: '0x2';
  gasPrice: Hex;
  maxFeePerGas: Hex;
  maxPriorityFeePerGas: Hex;
  accessList: { address: AddressHex; storageKeys: Hex[] }[];
  v: Hex;
  yParity: Hex;
}

/** A transaction as served by eth_getTransactionByHash and in full blocks. */
export type EthTransaction = EthLegacyTransaction | Eth1559Transaction;

/** A transaction receipt. */
export interface EthReceipt {
  transactionHash: Hex;
  transactionIndex: Hex;
  blockHash: Hex;
  blockNumber: Hex;
  from: AddressHex;
  to: AddressHex;
  cumulativeGasUsed: Hex;
  gasUsed: Hex;
  effectiveGasPrice: Hex;
  contractAddress: null;
  logs: EthLog[];
  logsBloom: Hex;
  /** 0x1 success, 0x0 failure. */
  status: Hex;
  type: '0x0' | '0x2';
  /** On failure: the revert data and the reason. */
  revertReason?: Hex;
  error?: string;
}

/** eth_sendRawTransaction: the signed transaction. */
export type EthSendRawTransactionParameters = [raw: Hex];
/** eth_sendRawTransaction: the keccak256 transaction hash. */
export type EthSendRawTransactionReturnType = Hex;

/** eth_getTransactionByHash: the transaction hash. */
export type EthGetTransactionByHashParameters = [hash: Hex];
/** eth_getTransactionByHash: the transaction (pending: null block fields), or null when unknown. */
export type EthGetTransactionByHashReturnType = EthTransaction | null;

/** eth_getTransactionReceipt: the transaction hash. */
export type EthGetTransactionReceiptParameters = [hash: Hex];
/** eth_getTransactionReceipt: the receipt, or null. */
export type EthGetTransactionReceiptReturnType = EthReceipt | null;

/** eth_getTransactionCount: address, `latest` or `pending`. */
export type EthGetTransactionCountParameters = [address: AddressHex, block?: BlockTag];
/** eth_getTransactionCount: the nonce, hex. */
export type EthGetTransactionCountReturnType = Hex;
