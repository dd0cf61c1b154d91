// Receipts and logs in Ethereum's shape: the 2048-bit logs bloom (yellow paper M3:2048), per-transaction
// receipts with status, gas used and cumulative gas, and the per-block record that eth_getLogs scans.
// Stored as JSON under the application's store prefixes 0x02 (receipt by tx hash) and 0x03 (block by
// height); hashes and data as 0x-hex, integers as decimal strings.
import { bigintToBytes, concatBytes } from '@gridledger/base';
import { keccak256 } from '@gridledger/crypto';
import { bytesToHex, type Hex } from 'viem';
import type { Address, Log } from './module.ts';

/** Store key prefix of receipts (0x02 || tx hash). */
export const RECEIPT_PREFIX = 0x02;
/** Store key prefix of block records (0x03 || height as 8 bytes). */
export const BLOCK_PREFIX = 0x03;

/** The store key of a receipt. */
export function receiptStoreKey(txHash: Hex): Uint8Array {
  const key = new Uint8Array(33);
  key[0] = RECEIPT_PREFIX;
  if (Buffer.from(key.buffer, 1, 32).write(txHash.slice(2), 'hex') !== 32)
    throw new RangeError(`receiptStoreKey: expected a 32-byte 0x-hex hash, got ${txHash}`);
  return key;
}

/** The store key of a block record. */
export function blockStoreKey(height: bigint): Uint8Array {
  return concatBytes(new Uint8Array([BLOCK_PREFIX]), bigintToBytes(height, 8));
}

/** Adds `item` (an address or topic) to a 256-byte bloom, in place. */
export function bloomAdd(bloom: Uint8Array, item: Uint8Array): void {
  const h = keccak256(item);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    bloom[255 - (bit >> 3)]! |= 1 << (bit & 7);
  }
}

/** True when `item` may be in `bloom` (false means certainly not). */
export function bloomMayContain(bloom: Uint8Array, item: Uint8Array): boolean {
  const h = keccak256(item);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    if ((bloom[255 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/** Bloom bit positions (byte index, mask) per address or topic, memoised: a chain's logs repeat them. */
const bitsCache = new Map<string, Int32Array>();
const BITS_CACHE_MAX = 100_000;

function bloomBits(itemHex: Hex): Int32Array {
  const key = itemHex.toLowerCase();
  let bits = bitsCache.get(key);
  if (bits === undefined) {
    const h = keccak256(Buffer.from(itemHex.slice(2), 'hex'));
    bits = new Int32Array(6);
    for (let i = 0; i < 6; i += 2) {
      const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
      bits[i] = 255 - (bit >> 3);
      bits[i + 1] = 1 << (bit & 7);
    }
    if (bitsCache.size >= BITS_CACHE_MAX) bitsCache.clear();
    bitsCache.set(key, bits);
  }
  return bits;
}

/** The logs bloom of a list of logs: every log's address and every topic. */
export function logsBloom(logs: readonly Log[], into: Uint8Array = new Uint8Array(256)): Uint8Array {
  for (const log of logs) {
    for (const item of [log.address, ...log.topics]) {
      const b = bloomBits(item);
      into[b[0]!]! |= b[1]!;
      into[b[2]!]! |= b[3]!;
      into[b[4]!]! |= b[5]!;
    }
  }
  return into;
}

/** A transaction's receipt and the transaction itself, as the application stores them. */
export interface StoredReceipt {
  txHash: Hex;
  height: bigint;
  txIndex: number;
  /** Index of the receipt's first log within the block. */
  firstLogIndex: number;
  from: Address;
  to: Address;
  nonce: bigint;
  type: 'legacy' | 'eip1559';
  gasLimit: bigint;
  gasUsed: bigint;
  cumulativeGasUsed: bigint;
  status: 0 | 1;
  logs: Log[];
  logsBloom: Hex;
  /** Revert data (Error(string), a custom error or empty) when the call reverted. */
  revertData: Hex | undefined;
  /** 'execution reverted' or 'out of gas' when status is 0. */
  error: string | undefined;
  /** The encoded transaction. */
  raw: Hex;
}

/** A block as the application records it for log queries. */
export interface StoredBlock {
  height: bigint;
  timeMs: bigint;
  gasUsed: bigint;
  /** Hashes of the block's transactions that executed (have receipts), in order. */
  txHashes: Hex[];
  logsBloom: Hex;
  /** Every log of the block with its position. */
  logs: (Log & { txHash: Hex; txIndex: number; logIndex: number })[];
}

const BIG_FIELDS = new Set(['height', 'nonce', 'gasLimit', 'gasUsed', 'cumulativeGasUsed', 'timeMs']);

/**
 * Encodes a stored record as JSON bytes (bigints as decimal strings). A receipt's logs bloom is not
 * stored: it is a function of its logs, recomputed by {@link decodeRecord}.
 */
export function encodeRecord(
  rec: StoredReceipt | StoredBlock | Omit<StoredReceipt, 'logsBloom'>,
): Uint8Array {
  // Known bigint fields converted up front: JSON.stringify without a replacer is several times faster.
  const plain: Record<string, unknown> = { ...rec };
  for (const k of BIG_FIELDS) if (typeof plain[k] === 'bigint') plain[k] = (plain[k] as bigint).toString();
  if ('txHash' in plain) delete plain.logsBloom;
  return encoder.encode(JSON.stringify(plain));
}

const encoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Decodes a stored record (a receipt gets its logs bloom back). */
export function decodeRecord<T extends StoredReceipt | StoredBlock>(bytes: Uint8Array): T {
  // Bigints are top-level fields only: converted after the parse (a reviver would run on every value).
  const rec = JSON.parse(textDecoder.decode(bytes)) as Record<string, unknown>;
  for (const k of BIG_FIELDS) if (typeof rec[k] === 'string') rec[k] = BigInt(rec[k] as string);
  if ('txHash' in rec && rec.logsBloom === undefined) rec.logsBloom = bloomHex(logsBloom(rec.logs as Log[]));
  return rec as unknown as T;
}

/** ORs bloom `b` into `into`, in place. */
export function bloomMerge(into: Uint8Array, b: Uint8Array): void {
  for (let i = 0; i < 256; i++) into[i]! |= b[i]!;
}

/** The bloom as hex. */
export function bloomHex(bloom: Uint8Array): Hex {
  return bytesToHex(bloom);
}
