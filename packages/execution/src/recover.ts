// secp256k1 sender recovery, the hot path of transaction checking. Uses the native libsecp256k1
// binding (`secp256k1` npm package, prebuilt binary loaded without install scripts) when it loads, and
// noble-curves (pure JavaScript, ~20x slower) otherwise. Both return the same 20-byte address. The
// binding comes from @gridledger/crypto's one loader of native add-ons.
import { keccak256, secp256k1RecoverAddress } from '@gridledger/crypto';
import { nativeSecp256k1 as native } from '@gridledger/crypto/native';

/** Which implementation {@link recoverAddress} uses: `native` (libsecp256k1) or `noble` (JavaScript). */
export const recoveryBackend: 'native' | 'noble' = native === undefined ? 'noble' : 'native';

/** Recovers with noble-curves (JavaScript) regardless of the native binding; for comparison and fallback. */
export function recoverAddressNoble(
  digest: Uint8Array,
  signature64: Uint8Array,
  recoveryId: number,
): Uint8Array | null {
  const sig = new Uint8Array(65);
  sig.set(signature64, 0);
  sig[64] = recoveryId;
  return secp256k1RecoverAddress(digest, sig);
}

/** Recovers with the native binding; null when the signature is invalid or the binding did not load. */
export function recoverAddressNative(
  digest: Uint8Array,
  signature64: Uint8Array,
  recoveryId: number,
): Uint8Array | null {
  if (native === undefined) return null;
  try {
    const pub = native.ecdsaRecover(signature64, recoveryId, digest, false);
    return keccak256(pub.subarray(1)).slice(12);
  } catch {
    return null;
  }
}

/**
 * The Ethereum address (20 bytes) that signed the 32-byte `digest` with r || s (`signature64`) and
 * recovery id 0 or 1; null when the signature does not recover.
 * @example recoverAddress(signingHash, sig.subarray(0, 64), sig[64]!)
 */
export function recoverAddress(
  digest: Uint8Array,
  signature64: Uint8Array,
  recoveryId: number,
): Uint8Array | null {
  if (digest.length !== 32 || signature64.length !== 64 || (recoveryId !== 0 && recoveryId !== 1))
    return null;
  return native === undefined
    ? recoverAddressNoble(digest, signature64, recoveryId)
    : recoverAddressNative(digest, signature64, recoveryId);
}
