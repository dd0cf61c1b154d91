// Account state reads (execution app): eth_getBalance (always 0: no native coin), eth_getCode (0xfe
// at module addresses) and gl_getProof (a sparse-Merkle proof of one state key).
import { encodeSmtProofJson } from '@gridledger/execution';
import { quantity } from '../hex.ts';
import type { RpcMethodTable } from '../method.ts';
import { parseAddress, parseStateKey, requireLatest } from '../params.ts';
import type { RpcExecutionApp } from '../port.ts';
import type { AddressHex, BlockTag, Hex } from '../wire.ts';

/** eth_getBalance: address, block. */
export type EthGetBalanceParameters = [address: AddressHex, block?: BlockTag];
/** eth_getBalance: always 0x0. */
export type EthGetBalanceReturnType = Hex;

/** eth_getCode: address, block. */
export type EthGetCodeParameters = [address: AddressHex, block?: BlockTag];
/** eth_getCode: `0xfe` at a module address, `0x` elsewhere. */
export type EthGetCodeReturnType = Hex;

/** gl_getProof: the state key, block (only the latest). */
export type GlGetProofParameters = [key: string, block?: BlockTag];
/** gl_getProof: the proof against the state root at `height`. */
export interface GlGetProofReturnType {
  height: Hex;
  root: Hex;
  key: string;
  path: Hex;
  value: Hex;
  siblings: Hex[];
  /** For an absent key: the leaf found on its path instead, if any. */
  other: { path: Hex; value: Hex } | null;
}

/** What eth_getCode answers for module addresses: one INVALID opcode, so "has code" checks pass. */
export const MODULE_CODE_MARKER: Hex = '0xfe';

/** eth_getBalance, eth_getCode and gl_getProof over the execution app's latest state. */
export function ethStateMethods(app: RpcExecutionApp): RpcMethodTable {
  const m: RpcMethodTable = new Map();
  m.set('eth_getBalance', async (p): Promise<EthGetBalanceReturnType> => {
    parseAddress(p[0], 'address');
    return '0x0';
  });
  m.set('eth_getCode', async (p): Promise<EthGetCodeReturnType> => {
    const a = parseAddress(p[0], 'address');
    return app.modules.get(a) === undefined ? '0x' : MODULE_CODE_MARKER;
  });
  m.set('gl_getProof', async (p): Promise<GlGetProofReturnType> => {
    const key = parseStateKey(p[0]);
    if (p[1] !== undefined) requireLatest(p[1], app.height);
    const { proof, root, height } = app.prove(key);
    return {
      height: quantity(height),
      ...(encodeSmtProofJson(proof, root) as Omit<GlGetProofReturnType, 'height'>),
    };
  });
  return m;
}
