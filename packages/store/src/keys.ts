// Key layout of the node database: one leading namespace byte per record kind, heights as 8-byte
// big-endian integers so that LevelDB's byte order is height order. Nothing outside this package
// depends on the layout.
import { bigintToBytes, bytesToBigint, concatBytes, InputError } from '@gridledger/base';

/** Namespace bytes (ASCII letters, so that a hex dump of the database is readable). */
export const NS = {
  /** `b` + height -> encoded block */
  block: 0x62,
  /** `h` + block hash -> height */
  blockHash: 0x68,
  /** `c` + height -> encoded commit certificate */
  cert: 0x63,
  /** `s` + application key -> application value */
  state: 0x73,
  /** `e` + evidence id -> encoded evidence */
  evidence: 0x65,
  /** `r` + utf8 name -> a named consensus record (sign guard, last vote, ...) */
  record: 0x72,
  /** `w` + height + sequence -> one write-ahead-log entry */
  wal: 0x77,
  /** `m` + utf8 name -> store metadata (latest height, app info) */
  meta: 0x6d,
} as const;

const MAX_U64 = (1n << 64n) - 1n;

/** Encodes a height (0 <= h < 2^64) as 8 big-endian bytes. */
export function encodeHeight(height: bigint): Uint8Array {
  if (typeof height !== 'bigint' || height < 0n || height > MAX_U64) {
    throw new InputError(`store: expected a height as a bigint in 0..2^64-1, got ${String(height)}`);
  }
  return bigintToBytes(height, 8);
}

/** Decodes 8 big-endian bytes as a height. */
export function decodeHeight(bytes: Uint8Array): bigint {
  if (bytes.length !== 8) throw new InputError(`store: expected an 8-byte height, got ${bytes.length} bytes`);
  return bytesToBigint(bytes);
}

/** The database key of `suffix` in namespace `ns`. */
export function nsKey(ns: number, ...suffix: Uint8Array[]): Uint8Array {
  return concatBytes(new Uint8Array([ns]), ...suffix);
}

/** Range bounds (gte, lt) covering every key of namespace `ns` that starts with `prefix`. */
export function nsRange(
  ns: number,
  prefix: Uint8Array = new Uint8Array(0),
): { gte: Uint8Array; lt: Uint8Array } {
  const gte = nsKey(ns, prefix);
  // The smallest key greater than every key starting with gte: increment the last byte below 0xff.
  const lt = gte.slice();
  let i = lt.length - 1;
  while (i >= 0 && lt[i] === 0xff) i--;
  if (i < 0) throw new InputError('store: cannot range over an all-0xff prefix');
  lt[i]! += 1;
  return { gte, lt: lt.subarray(0, i + 1) };
}
