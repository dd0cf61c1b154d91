// Chain-level eth_ methods: chain id, block number, sync status and the (free) gas market: eth_chainId,
// eth_blockNumber, eth_syncing, eth_gasPrice, eth_maxPriorityFeePerGas, eth_feeHistory.
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
