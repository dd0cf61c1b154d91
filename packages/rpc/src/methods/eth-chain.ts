// Chain-level eth_ methods: chain id, block number, sync status and the (free) gas market: eth_chainId,
// eth_blockNumber, eth_syncing, eth_gasPrice, eth_maxPriorityFeePerGas, eth_feeHistory.

import { invalidParams } from '../errors.ts';
import { quantity } from '../hex.ts';
import type { RpcMethodTable } from '../method.ts';
import { arity, parseBlockCount, parseBlockTag } from '../params.ts';
import type { RpcBackend, RpcExecutionApp } from '../port.ts';
import type { BlockTag, Hex } from '../wire.ts';

/** eth_chainId: no parameters. */
export type EthChainIdParameters = [];
/** eth_chainId: the numeric chain id, hex. */
export type EthChainIdReturnType = Hex;

/** eth_blockNumber: no parameters. */
export type EthBlockNumberParameters = [];
/** eth_blockNumber: the latest committed height, hex. */
export type EthBlockNumberReturnType = Hex;

/** eth_syncing: no parameters. */
export type EthSyncingParameters = [];
/** eth_syncing: false, or progress while the node catches up. */
export type EthSyncingReturnType = false | { startingBlock: Hex; currentBlock: Hex; highestBlock: Hex };

/** eth_gasPrice: no parameters. */
export type EthGasPriceParameters = [];
/** eth_gasPrice: always 0x0 (gas is free on this chain). */
export type EthGasPriceReturnType = Hex;

/** eth_maxPriorityFeePerGas: no parameters. */
export type EthMaxPriorityFeePerGasParameters = [];
/** eth_maxPriorityFeePerGas: always 0x0. */
export type EthMaxPriorityFeePerGasReturnType = Hex;

/** eth_feeHistory: block count (hex or number), newest block, reward percentiles. */
export type EthFeeHistoryParameters = [
  blockCount: Hex | number,
  newestBlock: BlockTag,
  rewardPercentiles?: number[],
];
/** eth_feeHistory: zero fees, the blocks' gas used over the block gas limit. */
export interface EthFeeHistoryReturnType {
  oldestBlock: Hex;
  baseFeePerGas: Hex[];
  gasUsedRatio: number[];
  /** Present when percentiles were asked for: zeros. */
  reward?: Hex[][];
}

/** eth_chainId, eth_syncing and eth_blockNumber over the chain (either app). */
export function ethChainMethods(backend: RpcBackend): RpcMethodTable {
  const m: RpcMethodTable = new Map();
  m.set('eth_chainId', async (p): Promise<EthChainIdReturnType> => {
    arity(p, 0, 0, 'no parameters');
    return quantity(backend.ethChainId);
  });
  m.set('eth_syncing', async (p): Promise<EthSyncingReturnType> => {
    arity(p, 0, 0, 'no parameters');
    const s = await backend.status();
    return s.catchingUp
      ? { startingBlock: '0x0', currentBlock: quantity(s.height), highestBlock: quantity(s.height) }
      : false;
  });
  m.set('eth_blockNumber', async (p): Promise<EthBlockNumberReturnType> => {
    arity(p, 0, 0, 'no parameters');
    return quantity(await backend.latestHeight());
  });
  return m;
}

/**
 * The execution app's chain id and its gas market, which is free: gas price, priority fee and base fee
 * are zero; eth_feeHistory reports each block's gas used over the block gas limit.
 */
export function ethGasMethods(app: RpcExecutionApp): RpcMethodTable {
  const m: RpcMethodTable = new Map();
  m.set('eth_chainId', async (): Promise<EthChainIdReturnType> => quantity(app.chainId));
  m.set('eth_gasPrice', async (): Promise<EthGasPriceReturnType> => '0x0');
  m.set('eth_maxPriorityFeePerGas', async (): Promise<EthMaxPriorityFeePerGasReturnType> => '0x0');
  m.set('eth_feeHistory', async (p): Promise<EthFeeHistoryReturnType> => {
    const count = parseBlockCount(p[0]);
    const newest = parseBlockTag(p[1], app.height, 'newestBlock');
    if (newest > app.height)
      throw invalidParams(`newestBlock ${newest} is beyond the latest block ${app.height}`);
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
      oldestBlock: quantity(oldest < 0n ? 0n : oldest),
      baseFeePerGas: Array.from({ length: Number(n) + 1 }, () => '0x0' as Hex),
      gasUsedRatio,
      ...(percentiles.length > 0 ? { reward } : {}),
    };
  });
  return m;
}
