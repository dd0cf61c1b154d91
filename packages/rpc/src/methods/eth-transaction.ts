// Transactions on the wire (execution app): eth_sendRawTransaction, eth_getTransactionByHash,
// eth_getTransactionReceipt, eth_getTransactionCount, and the transaction, receipt and log JSON.
// eth_sendRawTransaction recovers the sender on the app's worker pool before the mempool sees the
// transaction (checkTx then hits the decode cache) and answers refusals in Ethereum's wording.
import { toHex } from '@gridledger/base';
import type { Log, StoredReceipt } from '@gridledger/execution';
import { bytesToHex, parseTransaction } from 'viem';
import { RPC_ERRORS, RpcError } from '../errors.ts';
import { quantity } from '../hex.ts';
import type { RpcMethodTable } from '../method.ts';
import { parseAddress, parseHash, parseRawTransaction, requireLatest } from '../params.ts';
import type { RpcBackend, RpcExecutionApp } from '../port.ts';
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

const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;

/** The consensus hash of committed block `height` as 0x-hex (32 zero bytes when the node has none). */
export async function blockHashHex(backend: RpcBackend, height: bigint): Promise<Hex> {
  const h = await backend.blockHash?.(height);
  return h === undefined ? ZERO_HASH : toHex(h);
}

/** The wire form of a log of block `height`. */
export function formatLog(
  log: Log,
  height: bigint,
  blockHash: Hex,
  txHash: Hex,
  txIndex: number,
  logIndex: number,
): EthLog {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: quantity(height),
    blockHash,
    transactionHash: txHash,
    transactionIndex: quantity(txIndex),
    logIndex: quantity(logIndex),
    removed: false,
  };
}

async function formatReceipt(backend: RpcBackend, r: StoredReceipt): Promise<EthReceipt> {
  const blockHash = await blockHashHex(backend, r.height);
  return {
    transactionHash: r.txHash,
    transactionIndex: quantity(r.txIndex),
    blockHash,
    blockNumber: quantity(r.height),
    from: r.from,
    to: r.to,
    cumulativeGasUsed: quantity(r.cumulativeGasUsed),
    gasUsed: quantity(r.gasUsed),
    effectiveGasPrice: '0x0',
    contractAddress: null,
    logs: r.logs.map((l, i) => formatLog(l, r.height, blockHash, r.txHash, r.txIndex, r.firstLogIndex + i)),
    logsBloom: r.logsBloom,
    status: quantity(r.status),
    type: r.type === 'legacy' ? '0x0' : '0x2',
    ...(r.status === 0 ? { revertReason: r.revertData ?? '0x', error: r.error } : {}),
  } as EthReceipt;
}

/** A committed transaction (`where` its block) or a pending one (`where` undefined: null block fields). */
async function formatTransaction(
  backend: RpcBackend,
  app: RpcExecutionApp,
  r: Pick<StoredReceipt, 'raw' | 'txHash' | 'nonce' | 'from' | 'to' | 'gasLimit'>,
  where?: { height: bigint; txIndex: number },
): Promise<EthTransaction> {
  const p = parseTransaction(r.raw);
  const base = {
    hash: r.txHash,
    nonce: quantity(r.nonce),
    blockHash: where === undefined ? null : await blockHashHex(backend, where.height),
    blockNumber: where === undefined ? null : quantity(where.height),
    transactionIndex: where === undefined ? null : quantity(where.txIndex),
    from: r.from,
    to: r.to,
    value: '0x0' as Hex,
    gas: quantity(r.gasLimit),
    input: p.data ?? '0x',
    chainId: quantity(app.chainId),
    r: p.r as Hex,
    s: p.s as Hex,
  };
  if (p.type === 'legacy')
    return { ...base, type: '0x0', gasPrice: quantity(p.gasPrice ?? 0n), v: quantity(p.v ?? 0n) };
  return {
    ...base,
    type: '0x2',
    gasPrice: '0x0',
    maxFeePerGas: quantity(p.maxFeePerGas ?? 0n),
    maxPriorityFeePerGas: quantity(p.maxPriorityFeePerGas ?? 0n),
    accessList: (p.accessList ?? []) as Eth1559Transaction['accessList'],
    v: quantity(p.yParity ?? 0),
    yParity: quantity(p.yParity ?? 0),
  };
}

/**
 * eth_getTransactionByHash's answer: the committed transaction with its block, a transaction still in
 * the mempool with null block fields (as geth answers pending ones), or null.
 */
export async function transactionByHash(
  backend: RpcBackend,
  app: RpcExecutionApp,
  hash: Hex,
): Promise<EthGetTransactionByHashReturnType> {
  const r = await app.loadReceipt(hash);
  if (r !== undefined) return formatTransaction(backend, app, r, r);
  // The mempool is keyed by sha256; its transactions' Ethereum hashes come from the app's decode cache.
  let raw: Uint8Array | undefined;
  for (const tx of backend.pendingTxs?.() ?? []) {
    const d = app.decode(tx);
    if (d.ok && d.tx.hash === hash) {
      raw = tx;
      break;
    }
  }
  const d = raw === undefined ? undefined : app.decode(raw);
  if (d === undefined || !d.ok) return null;
  const { tx } = d;
  return formatTransaction(backend, app, {
    raw: bytesToHex(tx.raw),
    txHash: tx.hash,
    nonce: tx.nonce,
    from: tx.from,
    to: tx.to,
    gasLimit: tx.gasLimit,
  });
}

/** The execution app's transaction methods. */
export function ethTransactionMethods(backend: RpcBackend, app: RpcExecutionApp): RpcMethodTable {
  const m: RpcMethodTable = new Map();
  m.set('eth_sendRawTransaction', async (p): Promise<EthSendRawTransactionReturnType> => {
    const raw = parseRawTransaction(p[0]);
    // Recovery on the worker pool (batched with the other requests of this tick); checkTx then hits the cache.
    const [d] = await app.decodeMany([raw]);
    if (d === undefined || !d.ok)
      throw new RpcError(RPC_ERRORS.TX_REJECTED, d?.reason ?? 'malformed transaction');
    const r = await backend.submitTx(raw);
    if (!r.ok) {
      let reason = r.reason;
      if (r.code === 'duplicate') reason = 'already known';
      else if (r.code === 'committed') {
        const c = await app.checkTx(raw);
        reason = c.ok ? 'already known' : c.reason;
      } else if (r.code === 'full') reason = `txpool is full: ${r.reason}`;
      throw new RpcError(RPC_ERRORS.TX_REJECTED, reason);
    }
    return d.tx.hash;
  });
  m.set('eth_getTransactionCount', async (p): Promise<EthGetTransactionCountReturnType> => {
    const a = parseAddress(p[0], 'address');
    if (p[1] === 'pending') return quantity(app.pendingNonceOf(a));
    requireLatest(p[1], app.height);
    return quantity(app.nonceOf(a));
  });
  m.set('eth_getTransactionReceipt', async (p): Promise<EthGetTransactionReceiptReturnType> => {
    const r = await app.loadReceipt(parseHash(p[0], 'transaction hash'));
    return r === undefined ? null : formatReceipt(backend, r);
  });
  m.set(
    'eth_getTransactionByHash',
    async (p): Promise<EthGetTransactionByHashReturnType> =>
      transactionByHash(backend, app, parseHash(p[0], 'transaction hash')),
  );
  return m;
}
