// ed25519 validator keys (RFC 8032) through noble-curves.

import { InputError } from '@gridledger/base';
import { ed25519 } from '@noble/curves/ed25519.js';

/** An ed25519 key pair: 32-byte secret seed and 32-byte public key. */
export interface Ed25519KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Generates a key pair from the CSPRNG, or derives it from a 32-byte seed. */
export function ed25519KeyPair(seed?: Uint8Array): Ed25519KeyPair {
  const secretKey = seed ?? ed25519.utils.randomSecretKey();
  if (secretKey.length !== 32)
    throw new InputError(`ed25519 secret key must be 32 bytes, got ${secretKey.length}`);
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

/** Signs a message (64-byte signature). */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/** Verifies a signature; false (never a throw) for any malformed input. */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
