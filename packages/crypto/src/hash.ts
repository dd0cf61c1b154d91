// Hash functions: sha256 (Node's OpenSSL binding, the fastest here) and keccak256 (the `keccak`
// package's prebuilt native Keccak, loaded without install scripts, ~5x noble on transaction-sized input;
// noble's JavaScript when the binary does not load). Both keccak paths give the same digest (tested).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { keccak_256 } from '@noble/hashes/sha3.js';

/** SHA-256 of the bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

interface KeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

function loadNativeKeccak(): (new () => KeccakState) | undefined {
  try {
    const require = createRequire(import.meta.url);
    const build = require('node-gyp-build') as (dir: string) => unknown;
    const addon = build(dirname(require.resolve('keccak/package.json')));
    return typeof addon === 'function' ? (addon as new () => KeccakState) : undefined;
  } catch {
    return undefined;
  }
}

const NativeKeccak = loadNativeKeccak();

/** Which implementation {@link keccak256} uses: `native` (the `keccak` addon) or `noble` (JavaScript). */
export const keccakBackend: 'native' | 'noble' = NativeKeccak === undefined ? 'noble' : 'native';

/** Keccak-256 with noble (JavaScript), whatever the backend; for comparison and fallback. */
export function keccak256Noble(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/** Keccak-256 (Ethereum's hash) of the bytes. */
export function keccak256(data: Uint8Array): Uint8Array {
  if (NativeKeccak === undefined) return keccak_256(data);
  const s = new NativeKeccak();
  s.initialize(1088, 512);
  s.absorb(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  s.absorbLastFewBits(0x01);
  const out = s.squeeze(32);
  return new Uint8Array(out.buffer, out.byteOffset, 32);
}
