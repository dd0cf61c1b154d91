// Encodings of non-uint256 data in the uint256 module state: signed integers (two's complement) and
// byte blobs (a length word and 32-byte big-endian chunks), for stored JSON such as the registered
// network and each interval's clearing result and certificate.
import type { CallContext, JournaledState } from '@gridledger/execution';

const TWO_256 = 1n << 256n;
const TWO_255 = 1n << 255n;

/** What read-only views need of the state: `JournaledState`, or `{ get: (k) => app.stateValue(k) }`. */
export type StateReader = Pick<JournaledState, 'get'>;

/** The smaller of two bigints (Math.min does not take bigints). */
export const minBig = (a: bigint, b: bigint) => (a < b ? a : b);
/** The larger of two bigints. */
export const maxBig = (a: bigint, b: bigint) => (a > b ? a : b);

/** A signed integer as a uint256 word (two's complement). */
export function encodeSigned(x: bigint): bigint {
  return x < 0n ? TWO_256 + x : x;
}

/** A uint256 word as a signed integer (two's complement). */
export function decodeSigned(v: bigint): bigint {
  return v >= TWO_255 ? v - TWO_256 : v;
}

/** Writes `bytes` under `prefix` (`prefix:len`, `prefix:<i>`), clearing chunks of a longer old blob. */
export function writeBlob(ctx: CallContext, prefix: string, bytes: Uint8Array): void {
  const oldLen = Number(ctx.read(`${prefix}:len`));
  const n = Math.ceil(bytes.length / 32);
  for (let i = 0; i < n; i++) {
    let w = 0n;
    for (let j = 0; j < 32; j++) w = (w << 8n) | BigInt(bytes[i * 32 + j] ?? 0);
    ctx.write(`${prefix}:${i}`, w);
  }
  for (let i = n; i < Math.ceil(oldLen / 32); i++) ctx.write(`${prefix}:${i}`, 0n);
  ctx.write(`${prefix}:len`, BigInt(bytes.length));
}

/** Reads the blob under `prefix` (empty when absent), unmetered. */
export function readBlob(state: StateReader, prefix: string): Uint8Array {
  const len = Number(state.get(`${prefix}:len`));
  const out = new Uint8Array(Math.ceil(len / 32) * 32);
  for (let i = 0; i * 32 < len; i++) {
    let w = state.get(`${prefix}:${i}`);
    for (let j = 31; j >= 0; j--) {
      out[i * 32 + j] = Number(w & 0xffn);
      w >>= 8n;
    }
  }
  return out.subarray(0, len);
}

/** Writes a JSON value as a UTF-8 blob. */
export function writeJsonBlob(ctx: CallContext, prefix: string, value: unknown): void {
  writeBlob(ctx, prefix, new TextEncoder().encode(JSON.stringify(value)));
}

/** Reads a JSON blob (undefined when absent). */
export function readJsonBlob<T>(state: StateReader, prefix: string): T | undefined {
  const b = readBlob(state, prefix);
  return b.length === 0 ? undefined : (JSON.parse(new TextDecoder().decode(b)) as T);
}
