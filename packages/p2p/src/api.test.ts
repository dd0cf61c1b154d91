// The public API of @gridledger/p2p: a change to this list is a change reviewers should see.
import { expect, it } from 'vitest';
import * as api from './index.ts';

it('exports exactly these values', () => {
  expect(Object.keys(api).sort()).toEqual([
    'DEFAULT_MAX_FRAME_BYTES',
    'DEFAULT_PEER_LIMITS',
    'FrameCipher',
    'FrameDecoder',
    'GOSSIP_KINDS',
    'MAX_TXS_PER_MESSAGE',
    'MessageType',
    'P2P_PROTOCOL_VERSION',
    'P2pNetwork',
    'P2pProtocolError',
    'PRE_HANDSHAKE_MAX_FRAME_BYTES',
    'SEAL_OVERHEAD_BYTES',
    'authSignBytes',
    'decodeMessage',
    'deriveSession',
    'encodeFrame',
    'encodeMessage',
    'handshakeTranscript',
    'newEphemeralKeyPair',
    'parsePeerAddress',
    'verifyAuth',
  ]);
});
