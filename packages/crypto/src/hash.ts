// Hash functions: sha256 (Node's OpenSSL binding, the fastest here) and keccak256 (noble).
import { createHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';

/** SHA-256 of the bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** Keccak-256 (Ethereum's hash) of the bytes. */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}
