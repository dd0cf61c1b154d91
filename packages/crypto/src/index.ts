// @gridledger/crypto: hashes, signatures and Merkle trees. Owns no keys on disk and no networking.

export { type Ed25519KeyPair, ed25519KeyPair, ed25519Sign, ed25519Verify } from './ed25519.ts';
export { keccak256, keccak256Noble, keccakBackend, sha256 } from './hash.ts';
export { type MerkleProof, merkleLeafHash, merkleProof, merkleRoot, merkleVerify } from './merkle.ts';
export {
  nobleRecoverAddress,
  privateKeyToAddress,
  publicKeyToAddress,
  secp256k1Backend,
  secp256k1PrivateKey,
  secp256k1RecoverAddress,
  secp256k1SignRecoverable,
} from './secp256k1.ts';
