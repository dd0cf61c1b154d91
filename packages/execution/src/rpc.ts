// The execution layer's JSON-RPC methods, as a table of handlers (method name -> (params) => result)
// that the node's RPC server mounts beside its chain methods. Answers use Ethereum's encodings (hex
// quantities, 0x data) and error conventions: code 3 "execution reverted" with the revert data in
// `error.data`, -32000 for rejected transactions and unavailable state, -32602 for bad params.
// Gas is free on this chain: gas price, priority fee, base fee and balances are all zero.

import { bytesToHex, decodeErrorResult, type Hex, hexToBytes, isHex, parseAbi, parseTransaction } from 'viem';
import type { ExecutionApp } from './app.ts';
import type { Address, Log } from './module.ts';
import { bloomMayContain, type StoredBlock, type StoredReceipt } from './receipts.ts';
import { encodeSmtProofJson } from './smt.ts';

/** JSON-RPC error codes used here. */
export const EXEC_RPC_ERRORS = {
  INVALID_PARAMS: -32602,
  /** Rejected transaction, unavailable state, out of gas (geth's generic server error). */
  SERVER: -32000,
  /** A call that reverted; `data` holds the revert data. */
  EXECUTION_REVERTED: 3,
} as const;

/** The error a handler throws; the server answers `{ code, message, data }` with it. */
export class ExecutionRpcError extends Error {
  readonly code: number;
  readonly data?: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
    this.name = 'ExecutionRpcError';
  }
}

/** A handler: positional params in, JSON-ready result out. */
export type ExecutionRpcMethod = (params: unknown[]) => Promise<unknown>;

/** What the handlers need from the node besides the app. */
export interface ExecutionRpcDeps {
  app: ExecutionApp;
  /** Hands a transaction to the mempool (which runs app.checkTx); the reason when refused. */
  submitTx(raw: Uint8Array): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** The consensus hash of committed block `height` (default: 32 zero bytes, until the node provides it). */
  blockHash?(height: bigint): Promise<Hex | undefined> | Hex | undefined;
  /** The height of the committed block with hash `hash`, for eth_getLogs' blockHash filter. */
  heightOfBlockHash?(hash: Hex): Promise<bigint | undefined> | bigint | undefined;
  /**
   * The encoded transaction with Ethereum hash `hash` while it waits in the mempool (undefined when it
   * is not there): eth_getTransactionByHash answers it with a null block, as Ethereum clients do.
   */
  pendingTx?(hash: Hex): Uint8Array | undefined;
  /**
   * Widest eth_getLogs block range (default 10,000) and most logs returned (default 100,000: the
   * settlement block of a 10,000-device interval holds over 10,000 cash transfers, and one block cannot
   * be split further by the client).
   */
  maxLogBlocks?: bigint;
  maxLogs?: number;
}

const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;
/** What eth_getCode answers for module addresses: one INVALID opcode, so "has code" checks pass. */
export const MODULE_CODE_MARKER: Hex = '0xfe';
const ERROR_STRING = parseAbi(['error Error(string)']);

const q = (v: bigint | number): Hex => `0x${v.toString(16)}`;

function invalid(message: string): ExecutionRpcError {
  return new ExecutionRpcError(EXEC_RPC_ERRORS.INVALID_PARAMS, `invalid params: ${message}`);
}

function parseAddress(v: unknown, what: string): Address {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v))
    throw invalid(`${what} must be a 20-byte 0x-hex address`);
  return v.toLowerCase() as Address;
}

function parseData(v: unknown, what: string): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array();
  if (typeof v !== 'string' || !isHex(v) || v.length % 2 !== 0) throw invalid(`${what} must be 0x-hex bytes`);
  return hexToBytes(v);
}

function parseQuantity(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(v))
    throw invalid(`${what} must be a hex quantity`);
  return BigInt(v);
}

function parseHash(v: unknown, what: string): Hex {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v))
    throw invalid(`${what} must be a 32-byte 0x-hex hash`);
  return v.toLowerCase() as Hex;
}

/** A block tag or number as a height; `latest`, `pending`, `safe` and `finalized` are the last committed block. */
function parseBlockTag(v: unknown, latest: bigint, what: string): bigint {
  if (v === undefined || v === null || v === 'latest' || v === 'pending' || v === 'safe' || v === 'finalized')
    return latest;
  if (v === 'earliest') return 0n;
  if (typeof v === 'object' && v !== null && 'blockNumber' in v)
    return parseQuantity((v as { blockNumber: unknown }).blockNumber, what);
  return parseQuantity(v, what);
}

function callObject(v: unknown): { from?: Address; to: Address; data: Uint8Array; gas?: bigint } {
  if (v === null || typeof v !== 'object')
    throw invalid('expected a call object {from?, to, data|input, gas?}');
  const o = v as Record<string, unknown>;
  if (o.to === undefined || o.to === null)
    throw invalid('call object: "to" is required (contract creation is not supported)');
  const dataField = o.input ?? o.data;
  const value = o.value === undefined || o.value === null ? 0n : parseQuantity(o.value, 'value');
  if (value !== 0n)
    throw new ExecutionRpcError(
      EXEC_RPC_ERRORS.SERVER,
      'value transfer not supported: the chain has no native coin',
    );
  return {
    ...(o.from === undefined || o.from === null ? {} : { from: parseAddress(o.from, 'from') }),
    to: parseAddress(o.to, 'to'),
    data: parseData(dataField, 'data'),
    ...(o.gas === undefined || o.gas === null ? {} : { gas: parseQuantity(o.gas, 'gas') }),
  };
}

function revertError(revertData: Hex): ExecutionRpcError {
  let message = 'execution reverted';
  try {
    const d = decodeErrorResult({ abi: ERROR_STRING, data: revertData });
    message = `execution reverted: ${d.args[0]}`;
  } catch {
    // A custom error or empty data: the message stays generic, the data says which.
  }
  return new ExecutionRpcError(EXEC_RPC_ERRORS.EXECUTION_REVERTED, message, revertData);
}

/**
 * Builds the execution JSON-RPC methods.
 * @example
 * const methods = buildExecutionRpcMethods({ app, submitTx: (raw) => mempool.add(raw) });
 * await methods.get('eth_getTransactionCount')!(['0x…', 'latest']);
 */
export function buildExecutionRpcMethods(deps: ExecutionRpcDeps): Map<string, ExecutionRpcMethod> {
  const { app } = deps;
  const maxLogBlocks = deps.maxLogBlocks ?? 10_000n;
  const maxLogs = deps.maxLogs ?? 100_000;
  const hashOf = async (h: bigint): Promise<Hex> => (await deps.blockHash?.(h)) ?? ZERO_HASH;

  function formatLog(
    log: Log,
    height: bigint,
    blockHash: Hex,
    txHash: Hex,
    txIndex: number,
    logIndex: number,
  ) {
    return {
      address: log.address,
      topics: log.topics,
      data: log.data,
      blockNumber: q(height),
      blockHash,
      transactionHash: txHash,
      transactionIndex: q(txIndex),
      logIndex: q(logIndex),
      removed: false,
    };
  }

  async function formatReceipt(r: StoredReceipt) {
    const blockHash = await hashOf(r.height);
    return {
      transactionHash: r.txHash,
      transactionIndex: q(r.txIndex),
      blockHash,
      blockNumber: q(r.height),
      from: r.from,
      to: r.to,
      cumulativeGasUsed: q(r.cumulativeGasUsed),
      gasUsed: q(r.gasUsed),
      effectiveGasPrice: '0x0',
      contractAddress: null,
      logs: r.logs.map((l, i) => formatLog(l, r.height, blockHash, r.txHash, r.txIndex, r.firstLogIndex + i)),
      logsBloom: r.logsBloom,
      status: q(r.status),
      type: r.type === 'legacy' ? '0x0' : '0x2',
      ...(r.status === 0 ? { revertReason: r.revertData ?? '0x', error: r.error } : {}),
    };
  }

  /** A committed transaction (`where` its block) or a pending one (`where` undefined: null block fields). */
  async function formatTransaction(
    r: Pick<StoredReceipt, 'raw' | 'txHash' | 'nonce' | 'from' | 'to' | 'gasLimit'>,
    where?: { height: bigint; txIndex: number },
  ) {
    const p = parseTransaction(r.raw);
    const base = {
      hash: r.txHash,
      nonce: q(r.nonce),
      blockHash: where === undefined ? null : await hashOf(where.height),
      blockNumber: where === undefined ? null : q(where.height),
      transactionIndex: where === undefined ? null : q(where.txIndex),
      from: r.from,
      to: r.to,
      value: '0x0',
      gas: q(r.gasLimit),
      input: p.data ?? '0x',
      chainId: q(app.chainId),
      r: p.r,
      s: p.s,
    };
    if (p.type === 'legacy') return { ...base, type: '0x0', gasPrice: q(p.gasPrice ?? 0n), v: q(p.v ?? 0n) };
    return {
      ...base,
      type: '0x2',
      gasPrice: '0x0',
      maxFeePerGas: q(p.maxFeePerGas ?? 0n),
      maxPriorityFeePerGas: q(p.maxPriorityFeePerGas ?? 0n),
      accessList: p.accessList ?? [],
      v: q(p.yParity ?? 0),
      yParity: q(p.yParity ?? 0),
    };
  }

  function requireLatest(tag: unknown): void {
    const h = parseBlockTag(tag, app.height, 'block');
    if (h !== app.height) {
      throw new ExecutionRpcError(
        EXEC_RPC_ERRORS.SERVER,
        `historical state not available: only the latest block (${app.height}) can be read`,
      );
    }
  }

  const m = new Map<string, ExecutionRpcMethod>();

  m.set('eth_chainId', async () => q(app.chainId));
  m.set('eth_gasPrice', async () => '0x0');
  m.set('eth_maxPriorityFeePerGas', async () => '0x0');
  m.set('eth_getBalance', async (p) => {
    parseAddress(p[0], 'address');
    return '0x0';
  });
  m.set('eth_getCode', async (p) => {
    const a = parseAddress(p[0], 'address');
    return app.modules.get(a) === undefined ? '0x' : MODULE_CODE_MARKER;
  });

  m.set('eth_sendRawTransaction', async (p) => {
    const raw = parseData(p[0], 'transaction');
    const d = app.decode(raw);
    if (!d.ok) throw new ExecutionRpcError(EXEC_RPC_ERRORS.SERVER, d.reason);
    const r = await deps.submitTx(raw);
    if (!r.ok) throw new ExecutionRpcError(EXEC_RPC_ERRORS.SERVER, r.reason);
    return d.tx.hash;
  });

  m.set('eth_call', async (p) => {
    const call = callObject(p[0]);
    requireLatest(p[1]);
    const out = app.staticCall(call);
    if (out.error === 'out of gas') throw new ExecutionRpcError(EXEC_RPC_ERRORS.SERVER, 'out of gas');
    if (!out.ok) throw revertError(out.revertData ?? '0x');
    return out.returnData;
  });

  m.set('eth_estimateGas', async (p) => {
    const call = callObject(p[0]);
    if (p[1] !== undefined) requireLatest(p[1]);
    const out = app.staticCall(call);
    if (out.error === 'out of gas') {
      throw new ExecutionRpcError(
        EXEC_RPC_ERRORS.SERVER,
        `gas required exceeds allowance (${call.gas ?? 'the per-transaction maximum'})`,
      );
    }
    if (!out.ok) throw revertError(out.revertData ?? '0x');
    // Charges are all-or-nothing against the limit, so the gas used is exactly enough.
    return q(out.gasUsed);
  });

  m.set('eth_getTransactionCount', async (p) => {
    const a = parseAddress(p[0], 'address');
    if (p[1] === 'pending') return q(app.pendingNonceOf(a));
    requireLatest(p[1]);
    return q(app.nonceOf(a));
  });

  m.set('eth_getTransactionReceipt', async (p) => {
    const r = await app.loadReceipt(parseHash(p[0], 'transaction hash'));
    return r === undefined ? null : formatReceipt(r);
  });

  m.set('eth_getTransactionByHash', async (p) => {
    const hash = parseHash(p[0], 'transaction hash');
    const r = await app.loadReceipt(hash);
    if (r !== undefined) return formatTransaction(r, r);
    const raw = deps.pendingTx?.(hash);
    const d = raw === undefined ? undefined : app.decode(raw);
    if (d === undefined || !d.ok) return null;
    const { tx } = d;
    return formatTransaction({
      raw: bytesToHex(tx.raw),
      txHash: tx.hash,
      nonce: tx.nonce,
      from: tx.from,
      to: tx.to,
      gasLimit: tx.gasLimit,
    });
  });

  m.set('eth_feeHistory', async (p) => {
    const count = typeof p[0] === 'number' ? BigInt(p[0]) : parseQuantity(p[0], 'blockCount');
    const newest = parseBlockTag(p[1], app.height, 'newestBlock');
    if (newest > app.height) throw invalid(`newestBlock ${newest} is beyond the latest block ${app.height}`);
    const percentiles = Array.isArray(p[2]) ? p[2] : [];
    const n = count > 1024n ? 1024n : count > newest + 1n ? newest + 1n : count;
    const oldest = newest - n + 1n;
    const gasUsedRatio: number[] = [];
    const reward: Hex[][] = [];
    for (let h = oldest; h <= newest; h++) {
      const b = await app.loadBlock(h);
      gasUsedRatio.push(b === undefined ? 0 : Number(b.gasUsed) / Number(app.blockGasLimit));
      reward.push(percentiles.map(() => '0x0'));
    }
    return {
      oldestBlock: q(oldest < 0n ? 0n : oldest),
      baseFeePerGas: Array.from({ length: Number(n) + 1 }, () => '0x0'),
      gasUsedRatio,
      ...(percentiles.length > 0 ? { reward } : {}),
    };
  });

  m.set('eth_getLogs', async (p) => {
    const f = (p[0] ?? {}) as Record<string, unknown>;
    if (typeof f !== 'object' || f === null) throw invalid('expected a filter object');
    let from: bigint;
    let to: bigint;
    if (f.blockHash !== undefined) {
      const hash = parseHash(f.blockHash, 'blockHash');
      const h = await deps.heightOfBlockHash?.(hash);
      if (h === undefined) throw new ExecutionRpcError(EXEC_RPC_ERRORS.SERVER, `unknown block ${hash}`);
      from = to = h;
    } else {
      from = parseBlockTag(f.fromBlock, app.height, 'fromBlock');
      to = parseBlockTag(f.toBlock, app.height, 'toBlock');
    }
    if (from < 1n) from = 1n;
    if (to > app.height) to = app.height;
    if (to - from + 1n > maxLogBlocks) {
      throw new ExecutionRpcError(
        EXEC_RPC_ERRORS.SERVER,
        `block range too wide: ${to - from + 1n} blocks, limit ${maxLogBlocks}`,
      );
    }
    const filter = parseLogFilter(f);
    const out: ReturnType<typeof formatLog>[] = [];
    for (let h = from; h <= to; h++) {
      const b: StoredBlock | undefined = await app.loadBlock(h);
      if (b === undefined) continue;
      const logs = selectBlockLogs(b, filter);
      if (logs.length === 0) continue;
      const blockHash = await hashOf(h);
      for (const log of logs) {
        out.push(formatLog(log, h, blockHash, log.txHash, log.txIndex, log.logIndex));
        if (out.length > maxLogs) {
          throw new ExecutionRpcError(
            EXEC_RPC_ERRORS.SERVER,
            `query returned more than ${maxLogs} results: narrow the block range or filters`,
          );
        }
      }
    }
    return out;
  });

  m.set('gl_getProof', async (p) => {
    if (typeof p[0] !== 'string' || p[0].length === 0 || p[0].length > 512)
      throw invalid('key must be a state key string');
    if (p[1] !== undefined) requireLatest(p[1]);
    const { proof, root, height } = app.prove(p[0]);
    return { height: q(height), ...encodeSmtProofJson(proof, root) };
  });

  return m;
}

/** An address and topic filter (eth_getLogs, eth_subscribe "logs"), parsed. */
export interface LogFilter {
  /** Any of these addresses (empty: any address). */
  addresses: Address[];
  /** Per topic position: null (any) or the alternatives. */
  topics: (Hex[] | null)[];
}

/** Parses the `address` and `topics` fields of an Ethereum log filter; throws invalid-params errors. */
export function parseLogFilter(f: Record<string, unknown>): LogFilter {
  const addresses =
    f.address === undefined || f.address === null
      ? []
      : (Array.isArray(f.address) ? f.address : [f.address]).map((a, i) => parseAddress(a, `address[${i}]`));
  if (f.topics !== undefined && f.topics !== null && !Array.isArray(f.topics))
    throw invalid('topics must be an array');
  const topics = ((f.topics as unknown[] | undefined) ?? []).map((t, i) =>
    t === null ? null : (Array.isArray(t) ? t : [t]).map((x) => parseHash(x, `topics[${i}]`)),
  );
  return { addresses, topics };
}

/** The logs of a stored block that match `filter`, in block order (uses the block bloom first). */
export function selectBlockLogs(block: StoredBlock, filter: LogFilter): StoredBlock['logs'] {
  if (block.logs.length === 0) return [];
  const bloom = hexToBytes(block.logsBloom);
  if (filter.addresses.length > 0 && !filter.addresses.some((a) => bloomMayContain(bloom, hexToBytes(a))))
    return [];
  return block.logs.filter((log) => {
    if (filter.addresses.length > 0 && !filter.addresses.includes(log.address)) return false;
    return filter.topics.every((alts, i) => {
      if (alts === null || alts.length === 0) return true;
      const t = log.topics[i];
      return t !== undefined && alts.includes(t.toLowerCase() as Hex);
    });
  });
}

/**
 * Wraps the execution methods for another JSON-RPC server: handlers take `(params, ctx)` and throw the
 * server's own error type, made by `makeError(code, message, data)`.
 * @example
 * for (const [name, fn] of adaptRpcMethods(buildExecutionRpcMethods(deps), (c, m, d) => new RpcError(c, m, d))) methods.set(name, fn);
 */
export function adaptRpcMethods(
  methods: Map<string, ExecutionRpcMethod>,
  makeError: (code: number, message: string, data?: unknown) => Error,
): Map<string, (params: unknown[], ctx?: unknown) => Promise<unknown>> {
  const out = new Map<string, (params: unknown[], ctx?: unknown) => Promise<unknown>>();
  for (const [name, fn] of methods) {
    out.set(name, async (params) => {
      try {
        return await fn(params);
      } catch (err) {
        if (err instanceof ExecutionRpcError) throw makeError(err.code, err.message, err.data);
        throw err;
      }
    });
  }
  return out;
}
