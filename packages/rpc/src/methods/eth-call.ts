// Read-only execution: eth_call and eth_estimateGas against the latest committed state. A revert is
// code 3 "execution reverted[: reason]" with the revert data in error.data.
import { decodeErrorResult, parseAbi } from 'viem';
import { invalidParams, RPC_ERRORS, RpcError } from '../errors.ts';
import { quantity } from '../hex.ts';
import type { RpcMethodTable } from '../method.ts';
import { parseAddress, parseEthData, parseEthQuantity, requireLatest } from '../params.ts';
import type { RpcExecutionApp } from '../port.ts';
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

const ERROR_STRING = parseAbi(['error Error(string)']);

/** A parsed call object. */
interface ParsedCall {
  from?: AddressHex;
  to: AddressHex;
  data: Uint8Array;
  gas?: bigint;
}

function parseCall(v: unknown): ParsedCall {
  if (v === null || typeof v !== 'object')
    throw invalidParams('expected a call object {from?, to, data|input, gas?}');
  const o = v as Record<string, unknown>;
  if (o.to === undefined || o.to === null)
    throw invalidParams('call object: "to" is required (contract creation is not supported)');
  const dataField = o.input ?? o.data;
  const value = o.value === undefined || o.value === null ? 0n : parseEthQuantity(o.value, 'value');
  if (value !== 0n)
    throw new RpcError(RPC_ERRORS.SERVER_ERROR, 'value transfer not supported: the chain has no native coin');
  return {
    ...(o.from === undefined || o.from === null ? {} : { from: parseAddress(o.from, 'from') }),
    to: parseAddress(o.to, 'to'),
    data: parseEthData(dataField, 'data'),
    ...(o.gas === undefined || o.gas === null ? {} : { gas: parseEthQuantity(o.gas, 'gas') }),
  };
}

/** Code 3 "execution reverted[: reason]" with the revert data (an Error(string) reason is decoded). */
function revertError(revertData: Hex): RpcError {
  let message = 'execution reverted';
  try {
    const d = decodeErrorResult({ abi: ERROR_STRING, data: revertData });
    message = `execution reverted: ${d.args[0]}`;
  } catch {
    // A custom error or empty data: the message stays generic, the data says which.
  }
  return new RpcError(RPC_ERRORS.EXECUTION_REVERTED, message, revertData);
}

/** Most gas one eth_call or eth_estimateGas may use (as geth's RPCGasCap): a larger `gas` is capped. */
export const RPC_GAS_CAP = 50_000_000n;

/** The call with its gas capped at `cap` (issue 17: a huge gas would run unbounded work on the node). */
function capGas(call: ReturnType<typeof parseCall>, cap: bigint): ReturnType<typeof parseCall> {
  return call.gas !== undefined && call.gas > cap ? { ...call, gas: cap } : call;
}

/** eth_call and eth_estimateGas against the latest committed state (gas capped at `gasCap`). */
export function ethCallMethods(app: RpcExecutionApp, gasCap: bigint = RPC_GAS_CAP): RpcMethodTable {
  const m: RpcMethodTable = new Map();
  m.set('eth_call', async (p): Promise<EthCallReturnType> => {
    const call = capGas(parseCall(p[0]), gasCap);
    requireLatest(p[1], app.height);
    const out = app.staticCall(call);
    if (out.error === 'out of gas') throw new RpcError(RPC_ERRORS.SERVER_ERROR, 'out of gas');
    if (!out.ok) throw revertError(out.revertData ?? '0x');
    return out.returnData;
  });
  m.set('eth_estimateGas', async (p): Promise<EthEstimateGasReturnType> => {
    const call = capGas(parseCall(p[0]), gasCap);
    if (p[1] !== undefined) requireLatest(p[1], app.height);
    const out = app.staticCall(call);
    if (out.error === 'out of gas') {
      throw new RpcError(
        RPC_ERRORS.SERVER_ERROR,
        `gas required exceeds allowance (${call.gas ?? 'the per-transaction maximum'})`,
      );
    }
    if (!out.ok) throw revertError(out.revertData ?? '0x');
    // Charges are all-or-nothing against the limit, so the gas used is exactly enough.
    return quantity(out.gasUsed);
  });
  return m;
}
