// @gridledger/p2p: the validator-to-validator transport. TCP, length-prefixed frames, an ed25519
// challenge-response handshake restricted to the validator set, typed messages and gossip deduplication.
export { P2pProtocolError } from './errors.ts';
export { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from './frame.ts';
export { handshakeSignBytes, signHandshake, verifyHandshake } from './handshake.ts';
export {
  type AuthMessage,
  decodeMessage,
  encodeMessage,
  GOSSIP_KINDS,
  type HelloMessage,
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
} from './network.ts';
