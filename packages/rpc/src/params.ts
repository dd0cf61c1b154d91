// Every parameter parser of the JSON-RPC methods, in one style: `parseX(value, what)` returns the
// checked value or throws an invalid-params RpcError (-32602) whose message names the parameter and what
// was expected. The messages are part of the wire: each method keeps the wording it has always answered
// with, so the key-value read side (arity-checked, `invalid params: X must be ...`), the execution methods
// (`invalid params: X must be ...`) and the market views (`X: expected ...`) have their own variants.
import { fromHex } from '@gridledger/base';
import { hexToBytes, isHex } from 'viem';
import { invalidParams, RPC_ERRORS, RpcError } from './errors.ts';
import type { AddressHex, Hex } from './wire.ts';

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** Checks the number of positional params: `usage` says what was expected ("[block hash, full?]"). */
export function arity(params: unknown[], min: number, max: number, usage: string): void {
  if (params.length < min || params.length > max) {
    throw invalidParams(`expected ${usage}, got ${params.length} parameter${params.length === 1 ? '' : 's'}`);
  }
}

/** An optional boolean (false when absent). */
export function parseFlag(v: unknown, what: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalidParams(`${what} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** A QUANTITY of at most 16 hex digits ("0x1a"). */
export function parseQuantity(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(v)) {
    throw invalidParams(
      `${what} must be a hex quantity like "0x1a" (at most 16 digits), got ${JSON.stringify(v)}`,
    );
  }
  return BigInt(v);
}

/** A height given as a hex quantity ("0x1a"), a decimal string or a non-negative integer (26). */
export function parseHeight(v: unknown, what: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0)
      throw invalidParams(`${what} must be a non-negative integer, got ${v}`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^[0-9]{1,19}$/.test(v)) return BigInt(v);
  return parseQuantity(v, what);
}

/** DATA of exactly `length` bytes (any length when omitted, up to `maxBytes`). */
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

/** An Ethereum QUANTITY without leading zeros, any size (execution methods). */
export function parseEthQuantity(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(v))
    throw invalidParams(`${what} must be a hex quantity`);
  return BigInt(v);
}

/** Optional DATA (absent or null: empty bytes) (execution methods). */
export function parseEthData(v: unknown, what: string): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array();
  if (typeof v !== 'string' || !isHex(v) || v.length % 2 !== 0)
    throw invalidParams(`${what} must be 0x-hex bytes`);
  return hexToBytes(v);
}

/** A 20-byte address, answered lower case (execution methods). */
export function parseAddress(v: unknown, what: string): AddressHex {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v))
    throw invalidParams(`${what} must be a 20-byte 0x-hex address`);
  return v.toLowerCase() as AddressHex;
}

/** A 32-byte hash, lower case (execution methods). */
export function parseHash(v: unknown, what: string): Hex {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v))
    throw invalidParams(`${what} must be a 32-byte 0x-hex hash`);
  return v.toLowerCase() as Hex;
}

/**
 * A block tag, number or `{ blockNumber }` as a height (execution methods): absent, `latest`, `pending`,
 * `safe` and `finalized` are the last committed block (BFT finality); `earliest` is 0.
 */
export function parseBlockTag(v: unknown, latest: bigint, what: string): bigint {
  if (v === undefined || v === null || v === 'latest' || v === 'pending' || v === 'safe' || v === 'finalized')
    return latest;
  if (v === 'earliest') return 0n;
  if (typeof v === 'object' && v !== null && 'blockNumber' in v)
    return parseEthQuantity((v as { blockNumber: unknown }).blockNumber, what);
  return parseEthQuantity(v, what);
}

/** A market-view parameter error: the message names the parameter ("interval: expected ..."). */
export function marketParamError(message: string): RpcError {
  return new RpcError(RPC_ERRORS.INVALID_PARAMS, message);
}

/** A non-negative integer as a JSON number, a decimal string or a 0x string (market views). */
export function parseInteger(v: unknown, name: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]{1,16}|[0-9]{1,19})$/.test(v)) return BigInt(v);
  throw marketParamError(
    `${name}: expected a non-negative integer (number, decimal or 0x string), got ${JSON.stringify(v)}`,
  );
}

/** A 20-byte address, lower case (market views). */
export function parseOwner(v: unknown, name: string): AddressHex {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v))
    throw marketParamError(`${name}: expected a 20-byte 0x address`);
  return v.toLowerCase() as AddressHex;
}

/**
 * Checks that a block parameter names the latest block (`latest`: the height of the last committed
 * block): only the latest state is kept, so anything else is a server error (-32000).
 */
export function requireLatest(v: unknown, latest: bigint): void {
  const h = parseBlockTag(v, latest, 'block');
  if (h !== latest) {
    throw new RpcError(
      RPC_ERRORS.SERVER_ERROR,
      `historical state not available: only the latest block (${latest}) can be read`,
    );
  }
}

/** A signed raw transaction as 0x-hex (at least one byte) (eth_sendRawTransaction). */
export function parseRawTransaction(v: unknown): Uint8Array {
  if (typeof v !== 'string' || !isHex(v) || v.length % 2 !== 0 || v.length < 4)
    throw invalidParams('transaction must be 0x-hex bytes');
  return new Uint8Array(Buffer.from(v.slice(2), 'hex'));
}

/** An optional boolean, false when absent (execution methods' wording). */
export function parseEthFlag(v: unknown, what: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalidParams(`${what} must be true or false`);
  return v;
}

/**
 * A block number or tag of the execution block methods: `latest` for the tags that mean the last
 * committed block, else the height (`earliest` is 1, the first block).
 */
export function parseEthBlockRef(v: unknown): 'latest' | bigint {
  if (v === 'latest' || v === 'pending' || v === 'safe' || v === 'finalized') return 'latest';
  if (v === 'earliest') return 1n;
  if (typeof v === 'string' && /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(v)) return BigInt(v);
  throw invalidParams(
    `block must be a hex number or one of "latest", "earliest", "pending", "safe", "finalized", got ${JSON.stringify(v)}`,
  );
}

/** A block count: a JSON number or a hex quantity (eth_feeHistory). */
export function parseBlockCount(v: unknown): bigint {
  return typeof v === 'number' ? BigInt(v) : parseEthQuantity(v, 'blockCount');
}

/** A state key of the execution app (gl_getProof): a non-empty string of at most 512 characters. */
export function parseStateKey(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 512)
    throw invalidParams('key must be a state key string');
  return v;
}
