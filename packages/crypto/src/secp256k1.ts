// secp256k1 account keys, Ethereum addresses and recoverable signatures (r || s || v, v in {0,1}),
// through noble-curves. Messages are 32-byte digests (keccak256), signed without a further prehash.

import { InputError, toHex } from '@gridledger/base';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak256 } from './hash.ts';

/** Generates a random 32-byte secp256k1 private key. */
export function secp256k1PrivateKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey();
}

/** The Ethereum address (20 bytes) of an uncompressed or compressed public key. */
export function publicKeyToAddress(publicKey: Uint8Array): Uint8Array {
  const point = secp256k1.Point.fromBytes(publicKey);
  const uncompressed = point.toBytes(false);
  return keccak256(uncompressed.subarray(1)).subarray(12);
}

/** The Ethereum address of a private key, as 0x-prefixed lower-case hex. */
export function privateKeyToAddress(privateKey: Uint8Array): `0x${string}` {
  return toHex(publicKeyToAddress(secp256k1.getPublicKey(privateKey, false)));
}

/** Signs a 32-byte digest, returning 65 bytes r || s || v with v the recovery id (0 or 1). */
export function secp256k1SignRecoverable(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new InputError(`expected a 32-byte digest, got ${digest.length} bytes`);
  const rec = secp256k1.sign(digest, privateKey, { prehash: false, format: 'recovered' });
  const out = new Uint8Array(65);
  out.set(rec.subarray(1, 65), 0);
  out[64] = rec[0]!;
  return out;
}

/** Recovers the signer's address from a digest and an r || s || v signature; null if invalid. */
export function secp256k1RecoverAddress(digest: Uint8Array, signature: Uint8Array): Uint8Array | null {
  if (digest.length !== 32 || signature.length !== 65) return null;
  let v = signature[64]!;
  if (v >= 27) v -= 27;
  if (v > 1) return null;
  const rec = new Uint8Array(65);
  rec[0] = v;
  rec.set(signature.subarray(0, 64), 1);
  try {
    const pub = secp256k1.recoverPublicKey(rec, digest, { prehash: false });
    return publicKeyToAddress(pub);
  } catch {
    return null;
  }
}
