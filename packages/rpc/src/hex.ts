// Ethereum JSON-RPC hex encodings of results: QUANTITY (0x-prefixed, no leading zeros) and DATA
// (0x + even digits). Parameters are parsed in params.ts.
import { toHex } from '@gridledger/base';
import type { Hex } from './wire.ts';

/** Encodes a non-negative integer as a QUANTITY ("0x0", "0x1a"). */
export function quantity(v: bigint | number): Hex {
  return `0x${BigInt(v).toString(16)}`;
}

/** Encodes bytes as DATA. */
export function data(bytes: Uint8Array): Hex {
  return toHex(bytes);
}
