// @gridledger/p2p: the validator-to-validator transport. TCP, length-prefixed frames, an authenticated
// encrypted channel (ephemeral X25519, the transcript signed with the ed25519 validator key, frames sealed
// with ChaCha20-Poly1305) restricted to the validator set, typed messages and gossip deduplication.
export { P2pProtocolError } from './errors.ts';
export { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from './frame.ts';
export {
  authSignBytes,
  deriveSession,
  type EphemeralKeyPair,
  FrameCipher,
  type HandshakeSession,
  handshakeTranscript,
  newEphemeralKeyPair,
  SEAL_OVERHEAD_BYTES,
  verifyAuth,
} from './handshake.ts';
export {
  type AuthMessage,
  decodeMessage,
  encodeMessage,
  GOSSIP_KINDS,
  type HelloMessage,
  type KeepaliveMessage,
  MAX_TXS_PER_MESSAGE,
  MessageType,
  P2P_PROTOCOL_VERSION,
  type PeerMessage,
  type WireMessage,
} from './messages.ts';
export {
  type MessageHandler,
  P2pNetwork,
  type P2pOptions,
  type P2pStats,
  type PeerHandler,
  type PeerInfo,
  PRE_HANDSHAKE_MAX_FRAME_BYTES,
  parsePeerAddress,
} from './network.ts';
export { DEFAULT_PEER_LIMITS, type PeerLimits } from './peer-limits.ts';
