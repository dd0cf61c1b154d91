// The channel's key schedule: both ends derive the same transcript and mirrored keys, a frame opens only
// once and in order, and the transcript binds the chain, the version and both ephemeral keys.
import { ed25519KeyPair } from '@gridledger/crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import { P2pProtocolError } from './errors.ts';
import {
  deriveSession,
  FrameCipher,
  handshakeTranscript,
  newEphemeralKeyPair,
  verifyAuth,
} from './handshake.ts';

const alice = ed25519KeyPair(new Uint8Array(32).fill(1));
const bob = ed25519KeyPair(new Uint8Array(32).fill(2));

function pair(chainA = 'c', chainB = 'c') {
  const ea = newEphemeralKeyPair();
  const eb = newEphemeralKeyPair();
  const a = deriveSession({
    version: 2,
    chainId: chainA,
    own: ea,
    theirEphemeral: eb.publicKey,
    validatorSecretKey: alice.secretKey,
  });
  const b = deriveSession({
    version: 2,
    chainId: chainB,
    own: eb,
    theirEphemeral: ea.publicKey,
    validatorSecretKey: bob.secretKey,
  });
  return { a, b, ea, eb };
}

describe('handshake', () => {
  it('gives both ends one transcript, each other’s signatures verify, frames open in order only', () => {
    const { a, b, ea, eb } = pair();
    expect(a.transcript).toEqual(b.transcript);
    expect(verifyAuth(b.transcript, ea.publicKey, alice.publicKey, a.signature)).toBe(true);
    expect(verifyAuth(a.transcript, eb.publicKey, bob.publicKey, b.signature)).toBe(true);
    // A signature is for one side's ephemeral key: reflected back it does not verify.
    expect(verifyAuth(a.transcript, eb.publicKey, alice.publicKey, a.signature)).toBe(false);
    const f1 = a.send.seal(new Uint8Array([1, 2, 3]));
    const f2 = a.send.seal(new Uint8Array([4]));
    expect(b.receive.open(f1)).toEqual(new Uint8Array([1, 2, 3]));
    expect(() => b.receive.open(f1)).toThrow(P2pProtocolError); // replay
    // The other direction has its own key: a frame sealed by a does not open as one sealed by b.
    expect(() => a.receive.open(f2)).toThrow(P2pProtocolError);
  });

  it('binds the chain id, the version and both ephemeral keys', () => {
    const { a, b } = pair('c', 'other');
    expect(a.transcript).not.toEqual(b.transcript);
    const e1 = newEphemeralKeyPair().publicKey;
    const e2 = newEphemeralKeyPair().publicKey;
    const t = handshakeTranscript(2, 'c', e1, e2);
    expect(handshakeTranscript(2, 'c', e2, e1)).toEqual(t);
    expect(handshakeTranscript(3, 'c', e1, e2)).not.toEqual(t);
    expect(handshakeTranscript(2, 'c', e1, newEphemeralKeyPair().publicKey)).not.toEqual(t);
  });

  it('seals exactly as @noble/ciphers ChaCha20-Poly1305 with the counter nonce (RFC 8439)', () => {
    const key = new Uint8Array(32).map((_, i) => i);
    const sender = new FrameCipher(key);
    const receiver = new FrameCipher(key);
    for (let counter = 0; counter < 3; counter++) {
      const body = new Uint8Array(100 + counter).fill(counter + 1);
      const nonce = new Uint8Array(12);
      new DataView(nonce.buffer).setBigUint64(4, BigInt(counter), true);
      const sealed = sender.seal(body);
      expect(sealed).toEqual(chacha20poly1305(key, nonce).encrypt(body));
      expect(receiver.open(sealed)).toEqual(body);
    }
  });

  it('refuses an echoed or low-order ephemeral key', () => {
    const e = newEphemeralKeyPair();
    const args = { version: 2, chainId: 'c', own: e, validatorSecretKey: alice.secretKey };
    expect(() => deriveSession({ ...args, theirEphemeral: e.publicKey })).toThrow(/echoed/);
    expect(() => deriveSession({ ...args, theirEphemeral: new Uint8Array(32) })).toThrow(P2pProtocolError);
  });
});
