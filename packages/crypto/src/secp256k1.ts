// secp256k1 account keys, Ethereum addresses and recoverable signatures (r || s || v, v in {0,1}),
// through noble-curves. Messages are 32-byte digests (keccak256), signed without a further prehash.
// Sender recovery, the per-transaction hot path, uses libsecp256k1 through the `secp256k1` package's
// prebuilt binary when it loads (about 14-25x faster here, `npm run bench:crypto`) and noble otherwise;
// both give the same answer for every input (tested), so nodes may differ in which one they load. The
// binding is loaded by native.mjs, the one loader of the native add-ons.

import { InputError, toHex } from '@gridledger/base';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak256 } from './hash.ts';
import { nativeSecp256k1 as native } from './native.mjs';

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

/** Which implementation recovers senders in this process: the native libsecp256k1 binding or noble. */
export function secp256k1Backend(): 'libsecp256k1' | 'noble' {
  return native === undefined ? 'noble' : 'libsecp256k1';
}

/** Recovers the signer's address from a digest and an r || s || v signature (v in 0, 1, 27, 28); null if invalid. */
export function secp256k1RecoverAddress(digest: Uint8Array, signature: Uint8Array): Uint8Array | null {
  if (digest.length !== 32 || signature.length !== 65) return null;
  let v = signature[64]!;
  if (v >= 27) v -= 27;
  if (v > 1) return null;
  if (native !== undefined) {
    try {
      const pub = native.ecdsaRecover(signature.subarray(0, 64), v, digest, false);
      return keccak256(pub.subarray(1)).subarray(12);
    } catch {
      return null;
    }
  }
  return nobleRecoverAddress(digest, signature, v);
}

/** The noble path of {@link secp256k1RecoverAddress} (exported for the agreement tests and the benchmark). */
export function nobleRecoverAddress(digest: Uint8Array, signature: Uint8Array, v: number): Uint8Array | null {
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
