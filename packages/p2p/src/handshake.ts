// The authenticated, encrypted channel between validators, after CometBFT's SecretConnection (STS:
// station-to-station with ephemeral Diffie-Hellman, as Noise XX does it):
//   1. each side sends HELLO in clear: protocol version, chain id, a fresh ephemeral X25519 public key;
//   2. both compute the X25519 shared secret and the transcript hash
//        h = sha256("gridledger/p2p/v2" 0x00 version chainId 0x00 lowEphemeral highEphemeral)
//      (the two ephemeral keys in byte order, so both sides get the same h), and from HKDF-SHA256
//      (ikm = shared secret, salt = h, info = "gridledger/p2p/v2 frame keys") two 32-byte keys, one per
//      direction (the side with the lower ephemeral key sends with the first);
//   3. each side sends AUTH sealed with its key: its ed25519 validator key and a signature over
//        "gridledger/p2p/v2/auth" 0x00 h ownEphemeral;
//      the receiver checks the signature and that the key is a validator's.
// Every frame after HELLO is sealed with ChaCha20-Poly1305 (RFC 8439): nonce = 4 zero bytes then a 64-bit
// little-endian counter per direction, starting at 0 and incremented per frame, so a tampered, replayed,
// reordered or injected frame fails to open. The AEAD runs in Node's OpenSSL binding (node:crypto): 3.7-5x
// the frames per second of @noble/ciphers in `npm run bench:p2p`; handshake.test.ts checks the two agree. A relay that forwards HELLOs cannot read or write the channel
// (it lacks the ephemeral secrets); one that replaces an ephemeral key changes h on one side, so the
// signature it forwards does not verify there. The signed bytes name the transcript, hence both ephemeral
// keys, the chain and the protocol version: an AUTH is good for one connection only.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { compareBytes, concatBytes, utf8 } from '@gridledger/base';
import { ed25519Sign, ed25519Verify } from '@gridledger/crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { P2pProtocolError } from './errors.ts';

const TRANSCRIPT_DOMAIN = utf8('gridledger/p2p/v2');
const AUTH_DOMAIN = utf8('gridledger/p2p/v2/auth');
const KEYS_INFO = utf8('gridledger/p2p/v2 frame keys');
const SEP = new Uint8Array([0]);
/** Bytes a sealed frame adds to its plaintext (the Poly1305 tag). */
export const SEAL_OVERHEAD_BYTES = 16;

/** An ephemeral X25519 key pair, fresh for each connection. */
export interface EphemeralKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A fresh ephemeral X25519 key pair. */
export function newEphemeralKeyPair(): EphemeralKeyPair {
  const secretKey = x25519.utils.randomSecretKey();
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

/** The transcript hash both sides sign: version, chain id and both ephemeral keys in byte order. */
export function handshakeTranscript(
  version: number,
  chainId: string,
  ephemeralA: Uint8Array,
  ephemeralB: Uint8Array,
): Uint8Array {
  const [low, high] =
    compareBytes(ephemeralA, ephemeralB) < 0 ? [ephemeralA, ephemeralB] : [ephemeralB, ephemeralA];
  return sha256(
    concatBytes(TRANSCRIPT_DOMAIN, SEP, new Uint8Array([version]), utf8(chainId), SEP, low, high),
  );
}

/** The bytes a side signs with its validator key: the transcript and its own ephemeral key. */
export function authSignBytes(transcript: Uint8Array, ownEphemeral: Uint8Array): Uint8Array {
  return concatBytes(AUTH_DOMAIN, SEP, transcript, ownEphemeral);
}

/** One side's view of an established handshake: the transcript and a cipher per direction. */
export interface HandshakeSession {
  transcript: Uint8Array;
  send: FrameCipher;
  receive: FrameCipher;
  /** This side's AUTH signature over the transcript (to send sealed). */
  signature: Uint8Array;
}

/**
 * Derives the session from our ephemeral key pair and the peer's ephemeral public key, and signs the
 * transcript with our validator key. Throws P2pProtocolError for a peer key that gives no shared secret
 * (a low-order point) or equals ours (a reflected HELLO).
 * @example
 * const s = deriveSession({ version: 2, chainId, own: eph, theirEphemeral: hello.ephemeralKey, validatorSecretKey });
 * socket.write(encodeFrame(s.send.seal(encodeMessage({ kind: 'auth', publicKey, signature: s.signature }))));
 */
export function deriveSession(p: {
  version: number;
  chainId: string;
  own: EphemeralKeyPair;
  theirEphemeral: Uint8Array;
  validatorSecretKey: Uint8Array;
}): HandshakeSession {
  if (p.theirEphemeral.length !== 32) throw new P2pProtocolError('hello: ephemeral key must be 32 bytes');
  const order = compareBytes(p.own.publicKey, p.theirEphemeral);
  if (order === 0) throw new P2pProtocolError('peer echoed our ephemeral key');
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(p.own.secretKey, p.theirEphemeral);
  } catch {
    throw new P2pProtocolError('hello: ephemeral key gives no shared secret');
  }
  if (shared.every((x) => x === 0)) throw new P2pProtocolError('hello: ephemeral key is of low order');
  const transcript = handshakeTranscript(p.version, p.chainId, p.own.publicKey, p.theirEphemeral);
  const okm = hkdf(sha256, shared, transcript, KEYS_INFO, 64);
  const lowKey = okm.slice(0, 32);
  const highKey = okm.slice(32, 64);
  shared.fill(0);
  okm.fill(0);
  return {
    transcript,
    send: new FrameCipher(order < 0 ? lowKey : highKey),
    receive: new FrameCipher(order < 0 ? highKey : lowKey),
    signature: ed25519Sign(authSignBytes(transcript, p.own.publicKey), p.validatorSecretKey),
  };
}

/** Checks the peer's AUTH signature over the transcript and its ephemeral key. */
export function verifyAuth(
  transcript: Uint8Array,
  theirEphemeral: Uint8Array,
  publicKey: Uint8Array,
  signature: Uint8Array,
): boolean {
  return ed25519Verify(signature, authSignBytes(transcript, theirEphemeral), publicKey);
}

/**
 * ChaCha20-Poly1305 for one direction of a connection, the frame counter as the nonce. `seal` and
 * `open` must be called in frame order (the order of the byte stream).
 * @example
 * const c = new FrameCipher(key32);
 * const sealed = c.seal(body); // body.length + 16 bytes
 */
export class FrameCipher {
  readonly #key: Uint8Array;
  readonly #nonce = new Uint8Array(12);
  #counter = 0n;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`FrameCipher: expected a 32-byte key, got ${key.length}`);
    this.#key = key;
  }

  /** Frames sealed or opened so far. */
  get frames(): bigint {
    return this.#counter;
  }

  #next(): Uint8Array {
    if (this.#counter >= 1n << 64n) throw new P2pProtocolError('frame counter exhausted');
    new DataView(this.#nonce.buffer).setBigUint64(4, this.#counter, true);
    this.#counter++;
    return this.#nonce;
  }

  /** Seals one frame body: the ciphertext, then the 16-byte tag. */
  seal(plaintext: Uint8Array): Uint8Array {
    const c = createCipheriv('chacha20-poly1305', this.#key, this.#next(), {
      authTagLength: SEAL_OVERHEAD_BYTES,
    });
    const out = new Uint8Array(plaintext.length + SEAL_OVERHEAD_BYTES);
    out.set(c.update(plaintext), 0);
    c.final();
    out.set(c.getAuthTag(), plaintext.length);
    return out;
  }

  /** Opens the next frame; throws P2pProtocolError when it was tampered with, replayed or reordered. */
  open(sealed: Uint8Array): Uint8Array {
    if (sealed.length < SEAL_OVERHEAD_BYTES) throw new P2pProtocolError('sealed frame shorter than its tag');
    const end = sealed.length - SEAL_OVERHEAD_BYTES;
    const d = createDecipheriv('chacha20-poly1305', this.#key, this.#next(), {
      authTagLength: SEAL_OVERHEAD_BYTES,
    });
    d.setAuthTag(sealed.subarray(end));
    const plain = d.update(sealed.subarray(0, end));
    try {
      d.final();
    } catch {
      throw new P2pProtocolError('frame does not authenticate (tampered, replayed or out of order)');
    }
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
  }
}
