// Read-only execution: eth_call and eth_estimateGas against the latest committed state. A revert is
// code 3 "execution reverted[: reason]" with the revert data in error.data.
import type { AddressHex, BlockTag, Hex } from '../wire.ts';

/** The call object of eth_call and eth_estimateGas (no contract creation, no value). */
export interface EthCallRequest {
  from?: AddressHex;
  to: AddressHex;
  data?: Hex;
  input?: Hex;
  gas?: Hex;
  value?: Hex;
}

/** eth_call: the call and the block (only the latest). */
export type EthCallParameters = [call: EthCallRequest, block?: BlockTag | { blockNumber: Hex }];
/** eth_call: the return data. */
export type EthCallReturnType = Hex;

/** eth_estimateGas: the call and the block (only the latest). */
export type EthEstimateGasParameters = [call: EthCallRequest, block?: BlockTag | { blockNumber: Hex }];
/** eth_estimateGas: the exact gas used, hex. */
export type EthEstimateGasReturnType = Hex;
