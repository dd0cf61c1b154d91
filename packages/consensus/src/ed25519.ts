// ed25519 for consensus: @gridledger/crypto's signing and verification (node:crypto, RFC 8032) with a
// cache of signatures already found valid, and the `Signer` interface the state machine signs with.
import { ed25519KeyPair, ed25519Sign, ed25519Verify } from '@gridledger/crypto';

// Signatures already found valid, keyed by (signature, public key, message): a vote is checked once
// when it arrives and again inside every proposal's last commit and block-sync certificate. Only
// successes are remembered, so a forged signature is always checked in full.
const verified = new Set<string>();
const VERIFIED_MAX = 50_000;

/**
 * Verifies an ed25519 signature; false (never a throw) for any malformed input. Valid triples are cached.
 * @example verifyEd25519(sig, signBytes, validator.publicKey)
 */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const id =
    Buffer.from(signature).toString('base64') +
    Buffer.from(publicKey).toString('base64') +
    Buffer.from(message).toString('base64');
  if (verified.has(id)) return true;
  const ok = ed25519Verify(signature, message, publicKey);
  if (ok) {
    if (verified.size >= VERIFIED_MAX) verified.clear();
    verified.add(id);
  }
  return ok;
}

/** Signs with a 32-byte ed25519 secret seed; returns the 64-byte signature. */
export function signEd25519(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519Sign(message, secretKey);
}

/** Signs consensus messages. The state machine never sees the secret key. */
export interface Signer {
  /** The validator's ed25519 public key (32 bytes). */
  readonly publicKey: Uint8Array;
  /** Signs the given sign bytes; returns the 64-byte signature, or null when signing is refused (see SignGuard). */
  sign(request: SignRequest): Uint8Array | null;
}

/** What the machine asks a {@link Signer} to sign: the bytes plus the (height, round, step) they belong to. */
export interface SignRequest {
  height: bigint;
  round: number;
  step: 'proposal' | 'prevote' | 'precommit';
  signBytes: Uint8Array;
}

/**
 * A plain in-memory signer over a 32-byte ed25519 seed (wrap it in a SignGuard before use in a node).
 * @example const signer = new SignGuard(keySigner(home.nodeKey.secretKey), savedState);
 */
export function keySigner(secretKey: Uint8Array): Signer {
  const { publicKey } = ed25519KeyPair(secretKey);
  return { publicKey, sign: (r) => ed25519Sign(r.signBytes, secretKey) };
}
