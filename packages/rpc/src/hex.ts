// Ethereum JSON-RPC hex encodings: QUANTITY (0x-prefixed, no leading zeros) and DATA (0x + even digits),
// and their strict parsing for method parameters.
import { fromHex, toHex } from '@gridledger/base';
import { invalidParams } from './errors.ts';

/** Encodes a non-negative integer as a QUANTITY ("0x0", "0x1a"). */
export function quantity(v: bigint | number): `0x${string}` {
  return `0x${BigInt(v).toString(16)}`;
}

/** Encodes bytes as DATA. */
export function data(bytes: Uint8Array): `0x${string}` {
  return toHex(bytes);
}

/** Parses a QUANTITY parameter; throws an invalid-params RpcError naming `what`. */
export function parseQuantity(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(v)) {
    throw invalidParams(
      `${what} must be a hex quantity like "0x1a" (at most 16 digits), got ${JSON.stringify(v)}`,
    );
  }
  return BigInt(v);
}

/** Parses a DATA parameter of exactly `length` bytes (any length when omitted, up to `maxBytes`). */
export function parseData(
  v: unknown,
  what: string,
  opts: { length?: number; maxBytes?: number } = {},
): Uint8Array {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) {
    throw invalidParams(`${what} must be 0x-prefixed hex with an even number of digits, got ${preview(v)}`);
  }
  const n = (v.length - 2) / 2;
  if (opts.length !== undefined && n !== opts.length) {
    throw invalidParams(`${what} must be ${opts.length} bytes, got ${n}`);
  }
  if (opts.maxBytes !== undefined && n > opts.maxBytes) {
    throw invalidParams(`${what} must be at most ${opts.maxBytes} bytes, got ${n}`);
  }
  return fromHex(v);
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
