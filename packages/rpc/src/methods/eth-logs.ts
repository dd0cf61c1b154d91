// eth_getLogs and the log filter it shares with the "logs" subscription: parsing the filter and
// selecting a stored block's matching logs (bloom first).
import type { AddressHex, BlockTag, Hex } from '../wire.ts';
import type { EthLog } from './eth-transaction.ts';

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
