// ed25519 signing and verification for consensus through Node's OpenSSL binding (RFC 8032, the same
// signatures as @gridledger/crypto's noble implementation, about 20x faster to verify here: ~0.1 ms
// against ~2 ms), with parsed public keys cached. Also the `Signer` interface the state machine signs with.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { InputError } from '@gridledger/base';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const keyCache = new Map<string, KeyObject | null>();
const KEY_CACHE_MAX = 4096;

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey).toString('hex');
  let k = keyCache.get(id);
  if (k !== undefined) return k;
  try {
    k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch {
    k = null;
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(id, k);
  return k;
}

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
  const k = publicKeyObject(publicKey);
  if (k === null) return false;
  let ok = false;
  try {
    ok = verify(null, message, k, signature);
  } catch {
    return false;
  }
  if (ok) {
    if (verified.size >= VERIFIED_MAX) verified.clear();
    verified.add(id);
  }
  return ok;
}

/** Signs with a 32-byte ed25519 secret seed; returns the 64-byte signature. */
export function signEd25519(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, ed25519PrivateKeyObject(secretKey)));
}

function ed25519PrivateKeyObject(secretKey: Uint8Array): KeyObject {
  if (secretKey.length !== 32)
    throw new InputError(`ed25519 secret key must be 32 bytes, got ${secretKey.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
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

/** A plain in-memory signer over a 32-byte ed25519 seed (wrap it in a SignGuard before use in a node). */
export function keySigner(secretKey: Uint8Array): Signer {
  const priv = ed25519PrivateKeyObject(secretKey);
  const pub = createPublicKey(priv).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(pub.subarray(pub.length - 32));
  return {
    publicKey,
    sign: (r) => new Uint8Array(sign(null, r.signBytes, priv)),
  };
}
