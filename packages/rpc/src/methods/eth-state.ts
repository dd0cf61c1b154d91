// Account state reads (execution app): eth_getBalance (always 0: no native coin), eth_getCode (0xfe
// at module addresses) and gl_getProof (a sparse-Merkle proof of one state key).
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
