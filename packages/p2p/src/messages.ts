// The p2p message set and its binary encoding. A frame body is one type byte followed by the payload.
// Consensus objects (proposals, votes, blocks with certificates) travel as the bytes of the consensus
// codecs: this layer moves and deduplicates them, the node decodes and verifies them.
import { utf8 } from '@gridledger/base';
import { P2pProtocolError } from './errors.ts';

/** Wire protocol version carried in the handshake. */
export const P2P_PROTOCOL_VERSION = 3;

/** Type bytes on the wire. */
export const MessageType = {
  hello: 0x01,
  auth: 0x02,
  ping: 0x03,
  pong: 0x04,
  proposal: 0x10,
  vote: 0x11,
  tx: 0x12,
  status: 0x13,
  blockRequest: 0x14,
  blockResponse: 0x15,
  txs: 0x16,
} as const;

/** Most transactions in one `txs` message. */
export const MAX_TXS_PER_MESSAGE = 10_000;

/** Handshake step 1 (in clear): protocol version, chain and a fresh ephemeral X25519 public key. */
export interface HelloMessage {
  kind: 'hello';
  version: number;
  chainId: string;
  ephemeralKey: Uint8Array;
}

/**
 * Handshake step 2 (sealed with the derived key): the validator key and its signature over the
 * handshake transcript (handshake.ts).
 */
export interface AuthMessage {
  kind: 'auth';
  publicKey: Uint8Array;
  signature: Uint8Array;
}

/**
 * The keepalive (sealed, after the handshake): a ping asks for a pong. The network answers and counts
 * them itself; they are not delivered to the node.
 */
export type KeepaliveMessage = { kind: 'ping' } | { kind: 'pong' };

/** Messages exchanged once a connection is authenticated. */
export type PeerMessage =
  /** A proposal, encoded with the consensus codec. Gossiped. */
  | { kind: 'proposal'; data: Uint8Array }
  /** A signed vote, encoded with the consensus codec. Gossiped. */
  | { kind: 'vote'; data: Uint8Array }
  /** A raw transaction. Gossiped. */
  | { kind: 'tx'; data: Uint8Array }
  /** Raw transactions gossiped together (what a node admitted in one tick): one frame instead of many. */
  | { kind: 'txs'; txs: Uint8Array[] }
  /** The sender's last committed height and that block's hash (empty before the first block). */
  | { kind: 'status'; height: bigint; latestHash: Uint8Array }
  /** Asks for committed blocks fromHeight..toHeight inclusive. */
  | { kind: 'block-request'; fromHeight: bigint; toHeight: bigint }
  /** One committed block with its commit certificate (consensus codec bytes), or empty data if unknown. */
  | { kind: 'block-response'; height: bigint; data: Uint8Array };

/** Every message on the wire, handshake included. */
export type WireMessage = HelloMessage | AuthMessage | KeepaliveMessage | PeerMessage;

/** Kinds that are gossiped (forwarded once, deduplicated by hash). */
export const GOSSIP_KINDS: ReadonlySet<PeerMessage['kind']> = new Set(['proposal', 'vote', 'tx', 'txs']);

const MAX_CHAIN_ID_BYTES = 128;
const U64_MAX = (1n << 64n) - 1n;

function u64(view: DataView, offset: number, v: bigint, what: string): void {
  if (v < 0n || v > U64_MAX) throw new RangeError(`${what} ${v} is not a u64`);
  view.setBigUint64(offset, v, false);
}

/** Encodes a message as a frame body (type byte + payload). */
export function encodeMessage(msg: WireMessage): Uint8Array {
  switch (msg.kind) {
    case 'hello': {
      const chain = utf8(msg.chainId);
      if (chain.length > MAX_CHAIN_ID_BYTES)
        throw new RangeError(`chain id longer than ${MAX_CHAIN_ID_BYTES} bytes`);
      if (msg.ephemeralKey.length !== 32) throw new RangeError('hello ephemeral key must be 32 bytes');
      const out = new Uint8Array(1 + 1 + 32 + 1 + chain.length);
      out[0] = MessageType.hello;
      out[1] = msg.version;
      out.set(msg.ephemeralKey, 2);
      out[34] = chain.length;
      out.set(chain, 35);
      return out;
    }
    case 'auth': {
      if (msg.publicKey.length !== 32 || msg.signature.length !== 64) {
        throw new RangeError('auth needs a 32-byte public key and a 64-byte signature');
      }
      const out = new Uint8Array(1 + 32 + 64);
      out[0] = MessageType.auth;
      out.set(msg.publicKey, 1);
      out.set(msg.signature, 33);
      return out;
    }
    case 'ping':
    case 'pong':
      return new Uint8Array([MessageType[msg.kind]]);
    case 'proposal':
    case 'vote':
    case 'tx': {
      const out = new Uint8Array(1 + msg.data.length);
      out[0] = MessageType[msg.kind];
      out.set(msg.data, 1);
      return out;
    }
    case 'txs': {
      // type || (u32 length || bytes) per transaction
      if (msg.txs.length === 0 || msg.txs.length > MAX_TXS_PER_MESSAGE)
        throw new RangeError(`txs message: 1..${MAX_TXS_PER_MESSAGE} transactions, got ${msg.txs.length}`);
      let size = 1;
      for (const tx of msg.txs) size += 4 + tx.length;
      const out = new Uint8Array(size);
      const v = new DataView(out.buffer);
      out[0] = MessageType.txs;
      let at = 1;
      for (const tx of msg.txs) {
        if (tx.length === 0) throw new RangeError('txs message: empty transaction');
        v.setUint32(at, tx.length, false);
        out.set(tx, at + 4);
        at += 4 + tx.length;
      }
      return out;
    }
    case 'status': {
      const out = new Uint8Array(1 + 8 + 1 + msg.latestHash.length);
      const v = new DataView(out.buffer);
      out[0] = MessageType.status;
      u64(v, 1, msg.height, 'status height');
      if (msg.latestHash.length > 64) throw new RangeError('status hash longer than 64 bytes');
      out[9] = msg.latestHash.length;
      out.set(msg.latestHash, 10);
      return out;
    }
    case 'block-request': {
      const out = new Uint8Array(1 + 16);
      const v = new DataView(out.buffer);
      out[0] = MessageType.blockRequest;
      u64(v, 1, msg.fromHeight, 'fromHeight');
      u64(v, 9, msg.toHeight, 'toHeight');
      return out;
    }
    case 'block-response': {
      const out = new Uint8Array(1 + 8 + msg.data.length);
      const v = new DataView(out.buffer);
      out[0] = MessageType.blockResponse;
      u64(v, 1, msg.height, 'block height');
      out.set(msg.data, 9);
      return out;
    }
  }
}

function need(body: Uint8Array, n: number, what: string, exact = true): void {
  if (exact ? body.length !== n : body.length < n) {
    throw new P2pProtocolError(
      `${what} message: expected ${exact ? '' : 'at least '}${n} bytes, got ${body.length}`,
    );
  }
}

/** Decodes a frame body; throws {@link P2pProtocolError} for an unknown type or a malformed payload. */
export function decodeMessage(body: Uint8Array): WireMessage {
  if (body.length === 0) throw new P2pProtocolError('empty message');
  const type = body[0]!;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (type) {
    case MessageType.hello: {
      need(body, 35, 'hello', false);
      const len = body[34]!;
      need(body, 35 + len, 'hello');
      if (len === 0 || len > MAX_CHAIN_ID_BYTES)
        throw new P2pProtocolError(`hello: bad chain id length ${len}`);
      let chainId: string;
      try {
        chainId = new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(35));
      } catch {
        throw new P2pProtocolError('hello: chain id is not UTF-8');
      }
      return { kind: 'hello', version: body[1]!, ephemeralKey: body.slice(2, 34), chainId };
    }
    case MessageType.auth:
      need(body, 97, 'auth');
      return { kind: 'auth', publicKey: body.slice(1, 33), signature: body.slice(33, 97) };
    case MessageType.ping:
      need(body, 1, 'ping');
      return { kind: 'ping' };
    case MessageType.pong:
      need(body, 1, 'pong');
      return { kind: 'pong' };
    case MessageType.proposal:
    case MessageType.vote:
    case MessageType.tx: {
      const kind = type === MessageType.proposal ? 'proposal' : type === MessageType.vote ? 'vote' : 'tx';
      need(body, 2, kind, false);
      return { kind, data: body.slice(1) };
    }
    case MessageType.txs: {
      const txs: Uint8Array[] = [];
      let at = 1;
      while (at < body.length) {
        if (at + 4 > body.length) throw new P2pProtocolError('txs: truncated length');
        const len = view.getUint32(at, false);
        if (len === 0) throw new P2pProtocolError('txs: empty transaction');
        if (at + 4 + len > body.length) throw new P2pProtocolError('txs: transaction runs past the message');
        if (txs.length === MAX_TXS_PER_MESSAGE)
          throw new P2pProtocolError(`txs: more than ${MAX_TXS_PER_MESSAGE} transactions`);
        txs.push(body.slice(at + 4, at + 4 + len));
        at += 4 + len;
      }
      if (txs.length === 0) throw new P2pProtocolError('txs: no transactions');
      return { kind: 'txs', txs };
    }
    case MessageType.status: {
      need(body, 10, 'status', false);
      const len = body[9]!;
      need(body, 10 + len, 'status');
      return { kind: 'status', height: view.getBigUint64(1, false), latestHash: body.slice(10) };
    }
    case MessageType.blockRequest: {
      need(body, 17, 'block-request');
      const fromHeight = view.getBigUint64(1, false);
      const toHeight = view.getBigUint64(9, false);
      if (fromHeight > toHeight)
        throw new P2pProtocolError(`block-request: from ${fromHeight} > to ${toHeight}`);
      return { kind: 'block-request', fromHeight, toHeight };
    }
    case MessageType.blockResponse:
      need(body, 9, 'block-response', false);
      return { kind: 'block-response', height: view.getBigUint64(1, false), data: body.slice(9) };
    default:
      throw new P2pProtocolError(`unknown message type 0x${type.toString(16).padStart(2, '0')}`);
  }
}
