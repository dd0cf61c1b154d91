// Byte helpers: hex encoding and decoding, concatenation, comparison, and big-endian integer codecs.
import { InputError } from './errors.ts';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Encodes bytes as lower-case hex with a 0x prefix. */
export function toHex(bytes: Uint8Array): `0x${string}` {
  let s = '0x';
  for (const b of bytes) s += HEX[b];
  return s as `0x${string}`;
}

/** Decodes hex (with or without 0x) to bytes; throws {@link InputError} on odd length or bad digits. */
export function fromHex(hex: string): Uint8Array {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0) throw new InputError(`expected hex with an even number of digits, got ${h.length}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) {
    const v = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
    if (Number.isNaN(v) || !/^[0-9a-fA-F]{2}$/.test(h.slice(2 * i, 2 * i + 2))) {
      throw new InputError(`expected hex digits, got "${h.slice(2 * i, 2 * i + 2)}" at byte ${i}`);
    }
    out[i] = v;
  }
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** True when both arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Lexicographic comparison of two byte arrays (-1, 0, 1). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Encodes a non-negative bigint as a fixed-width big-endian byte array. */
export function bigintToBytes(value: bigint, width: number): Uint8Array {
  if (value < 0n) throw new InputError(`expected a non-negative integer, got ${value}`);
  const out = new Uint8Array(width);
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new InputError(`integer ${value} does not fit in ${width} bytes`);
  return out;
}

/** Decodes a big-endian byte array as a non-negative bigint. */
export function bytesToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** UTF-8 encoding of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
