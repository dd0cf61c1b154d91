// Hash functions: sha256 (Node's OpenSSL binding, the fastest here) and keccak256 (the `keccak`
// package's prebuilt native Keccak as native.mjs loads it, ~5x noble on transaction-sized input;
// noble's JavaScript when the binary does not load). Both keccak paths give the same digest (tested).
import { createHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { nativeKeccak256 } from './native.mjs';

/** SHA-256 of the bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** Which implementation {@link keccak256} uses: `native` (the `keccak` addon) or `noble` (JavaScript). */
export const keccakBackend: 'native' | 'noble' = nativeKeccak256 === undefined ? 'noble' : 'native';

/** Keccak-256 with noble (JavaScript), whatever the backend; for comparison and fallback. */
export function keccak256Noble(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/** Keccak-256 (Ethereum's hash) of the bytes. */
export function keccak256(data: Uint8Array): Uint8Array {
  return nativeKeccak256 === undefined ? keccak_256(data) : nativeKeccak256(data);
}
