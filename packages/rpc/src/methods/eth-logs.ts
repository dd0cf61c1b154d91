// eth_getLogs and the log filter it shares with the "logs" subscription: parsing the filter and
// selecting a stored block's matching logs (bloom first).
import { bloomMayContain, type StoredBlock } from '@gridledger/execution';
import { hexToBytes } from 'viem';
import { invalidParams, RPC_ERRORS, RpcError } from '../errors.ts';
import type { RpcMethodTable } from '../method.ts';
import { parseAddress, parseBlockTag, parseHash } from '../params.ts';
import type { RpcBackend, RpcExecutionApp } from '../port.ts';
import type { AddressHex, BlockTag, Hex } from '../wire.ts';
import { blockHashHex, type EthLog, formatLog } from './eth-transaction.ts';

/** An Ethereum log filter. */
export interface EthLogFilterRequest {
  fromBlock?: BlockTag;
  toBlock?: BlockTag;
  blockHash?: Hex;
  address?: AddressHex | AddressHex[];
  topics?: (Hex | Hex[] | null)[];
}

/** eth_getLogs: the filter. */
export type EthGetLogsParameters = [filter: EthLogFilterRequest];
/** eth_getLogs: matching logs in block order (at most 100,000 from at most 10,000 blocks). */
export type EthGetLogsReturnType = EthLog[];

/** An address and topic filter (eth_getLogs, eth_subscribe "logs"), parsed. */
export interface LogFilter {
  /** Any of these addresses (empty: any address). */
  addresses: AddressHex[];
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
    throw invalidParams('topics must be an array');
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

/** Limits of eth_getLogs. */
export interface LogLimits {
  /** Widest block range (default 10,000). */
  maxLogBlocks?: bigint;
  /**
   * Most logs returned (default 100,000: the settlement block of a 10,000-device interval holds over
   * 10,000 cash transfers, and one block cannot be split further by the client).
   */
  maxLogs?: number;
}

/** eth_getLogs over the execution app's stored blocks. */
export function ethLogMethods(
  backend: RpcBackend,
  app: RpcExecutionApp,
  limits: LogLimits = {},
): RpcMethodTable {
  const maxLogBlocks = limits.maxLogBlocks ?? 10_000n;
  const maxLogs = limits.maxLogs ?? 100_000;
  const m: RpcMethodTable = new Map();
  m.set('eth_getLogs', async (p): Promise<EthGetLogsReturnType> => {
    const f = (p[0] ?? {}) as Record<string, unknown>;
    if (typeof f !== 'object' || f === null) throw invalidParams('expected a filter object');
    let from: bigint;
    let to: bigint;
    if (f.blockHash !== undefined) {
      const hash = parseHash(f.blockHash, 'blockHash');
      const h = await backend.blockHeight?.(hexToBytes(hash));
      if (h === undefined) throw new RpcError(RPC_ERRORS.SERVER_ERROR, `unknown block ${hash}`);
      from = to = h;
    } else {
      from = parseBlockTag(f.fromBlock, app.height, 'fromBlock');
      to = parseBlockTag(f.toBlock, app.height, 'toBlock');
    }
    if (from < 1n) from = 1n;
    if (to > app.height) to = app.height;
    if (to - from + 1n > maxLogBlocks) {
      throw new RpcError(
        RPC_ERRORS.SERVER_ERROR,
        `block range too wide: ${to - from + 1n} blocks, limit ${maxLogBlocks}`,
      );
    }
    const filter = parseLogFilter(f);
    const out: EthLog[] = [];
    for (let h = from; h <= to; h++) {
      const b = await app.loadBlock(h);
      if (b === undefined) continue;
      const logs = selectBlockLogs(b, filter);
      if (logs.length === 0) continue;
      const blockHash = await blockHashHex(backend, h);
      for (const log of logs) {
        out.push(formatLog(log, h, blockHash, log.txHash, log.txIndex, log.logIndex));
        if (out.length > maxLogs) {
          throw new RpcError(
            RPC_ERRORS.SERVER_ERROR,
            `query returned more than ${maxLogs} results: narrow the block range or filters`,
          );
        }
      }
    }
    return out;
  });
  return m;
}
