// Keys and signatures for the simulated devices and meters: private keys derived from labels (the
// scenario's seed and the device index: reproducible, development only), addresses, raw signed
// EIP-1559 transactions and EIP-712 meter-reading signatures. Signing uses libsecp256k1 (the
// `secp256k1` package's prebuilt binding) when it loads, noble otherwise; both give the same bytes
// (RFC 6979 deterministic nonces).
import { nativeSecp256k1 as native } from '@gridledger/crypto/native';
import type { Reading } from '@gridledger/energy';
import type { Address } from '@gridledger/execution';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import {
  bytesToHex,
  type Hex,
  hexToBytes,
  serializeTransaction,
  type TransactionSerializableEIP1559,
} from 'viem';
import { readingDigestBytes } from './encode.ts';

/** A secp256k1 key and its Ethereum address. */
export interface KeyPair {
  privateKey: Uint8Array;
  address: Address;
}

/** The key derived from `label`: keccak256 of its UTF-8 bytes (public labels: development only). */
export function keyFromLabel(label: string): KeyPair {
  return keyFromPrivate(keccak_256(new TextEncoder().encode(label)));
}

/** The key pair of a private key. */
export function keyFromPrivate(privateKey: Uint8Array | Hex): KeyPair {
  const pk = typeof privateKey === 'string' ? hexToBytes(privateKey) : privateKey;
  const pub = native !== undefined ? native.publicKeyCreate(pk, false) : secp256k1.getPublicKey(pk, false);
  const address = bytesToHex(keccak_256(pub.subarray(1)).subarray(12)) as Address;
  return { privateKey: pk, address };
}

/** Signs a 32-byte digest: r, s and the recovery id. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): { r: Hex; s: Hex; recid: number } {
  if (native !== undefined) {
    const { signature, recid } = native.ecdsaSign(digest, privateKey);
    return { r: bytesToHex(signature.subarray(0, 32)), s: bytesToHex(signature.subarray(32, 64)), recid };
  }
  const rec = secp256k1.sign(digest, privateKey, { prehash: false, format: 'recovered' });
  return { r: bytesToHex(rec.subarray(1, 33)), s: bytesToHex(rec.subarray(33, 65)), recid: rec[0]! };
}

/** A raw signed EIP-1559 transaction (0x hex) and its hash (`0x` when `withHash` is false). */
export function signTransaction(
  privateKey: Uint8Array,
  tx: TransactionSerializableEIP1559,
  withHash = true,
): { raw: Hex; hash: Hex } {
  const digest = keccak_256(hexToBytes(serializeTransaction(tx)));
  const { r, s, recid } = signDigest(digest, privateKey);
  const raw = serializeTransaction(tx, { r, s, yParity: recid });
  return { raw, hash: withHash ? bytesToHex(keccak_256(hexToBytes(raw))) : '0x' };
}

/** A meter's EIP-712 signature of a reading (65 bytes, v = 27 + recovery id). */
export function signReading(privateKey: Uint8Array, chainId: bigint, reading: Reading): Hex {
  const { r, s, recid } = signDigest(readingDigestBytes(chainId, reading), privateKey);
  return `${r}${s.slice(2)}${(27 + recid).toString(16)}` as Hex;
}
