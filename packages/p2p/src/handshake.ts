// The authenticated handshake. Both ends send HELLO (version, chain id, a fresh 32-byte challenge), then
// AUTH: their ed25519 public key and a signature over
//   "gridledger/p2p/v1" || 0x00 || chainId || 0x00 || challenge-from-the-other-side || own-challenge.
// Signing the other side's fresh challenge proves possession of the key now (no replay); binding both
// challenges and the chain id ties the proof to this one connection on this one chain. The receiver then
// checks the key is in the validator set.
import { concatBytes, utf8 } from '@gridledger/base';
import { ed25519Sign, ed25519Verify } from '@gridledger/crypto';

const DOMAIN = utf8('gridledger/p2p/v1');
const SEP = new Uint8Array([0]);

/** The bytes a node signs to answer `challenge` (the peer's nonce); `ownNonce` is the one it sent. */
export function handshakeSignBytes(chainId: string, challenge: Uint8Array, ownNonce: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN, SEP, utf8(chainId), SEP, challenge, ownNonce);
}

/** Signs the answer to the peer's challenge. */
export function signHandshake(
  chainId: string,
  challenge: Uint8Array,
  ownNonce: Uint8Array,
  secretKey: Uint8Array,
): Uint8Array {
  return ed25519Sign(handshakeSignBytes(chainId, challenge, ownNonce), secretKey);
}

/** Checks a peer's answer to our challenge `myNonce`; `theirNonce` is the nonce the peer sent us. */
export function verifyHandshake(
  chainId: string,
  myNonce: Uint8Array,
  theirNonce: Uint8Array,
  publicKey: Uint8Array,
  signature: Uint8Array,
): boolean {
  return ed25519Verify(signature, handshakeSignBytes(chainId, myNonce, theirNonce), publicKey);
}
