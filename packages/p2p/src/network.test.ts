import { connect, createServer, type Server, type Socket } from 'node:net';
import { toHex, utf8 } from '@gridledger/base';
import { type Ed25519KeyPair, ed25519KeyPair } from '@gridledger/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from './frame.ts';
import { deriveSession, type HandshakeSession, newEphemeralKeyPair } from './handshake.ts';
import {
  decodeMessage,
  encodeMessage,
  P2P_PROTOCOL_VERSION,
  type PeerMessage,
  type WireMessage,
} from './messages.ts';
import { P2pNetwork, type P2pOptions, PRE_HANDSHAKE_MAX_FRAME_BYTES } from './network.ts';

const CHAIN = 'test-chain';
const keys = [1, 2, 3, 4].map((i) => ed25519KeyPair(new Uint8Array(32).fill(i)));
const stranger = ed25519KeyPair(new Uint8Array(32).fill(99));
const validatorSet = new Set(keys.map((k) => toHex(k.publicKey)));
const running: P2pNetwork[] = [];
const sockets: Socket[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(running.splice(0).map((n) => n.stop()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/**
 * A TCP relay to `port` that can go silent: while `silent`, it forwards no byte and closes nothing, and a
 * connection accepted then is never connected through. A connection it silenced stays silent (a middlebox
 * that lost its state); once it speaks again, new connections pass.
 */
async function silentRelay(port: number): Promise<{ port: number; setSilent: (on: boolean) => void }> {
  let silent = false;
  const open = new Set<{ silent: boolean }>();
  const server = createServer((a) => {
    sockets.push(a);
    a.on('error', () => {});
    const pipe = { silent };
    open.add(pipe);
    a.on('close', () => open.delete(pipe));
    if (pipe.silent) {
      a.resume();
      return;
    }
    const b = connect({ host: '127.0.0.1', port });
    sockets.push(b);
    b.on('error', () => {});
    a.on('data', (chunk) => pipe.silent || b.write(chunk));
    b.on('data', (chunk) => pipe.silent || a.write(chunk));
    // A silenced connection passes no close either: each end must find out for itself.
    a.on('close', () => pipe.silent || b.destroy());
    b.on('close', () => pipe.silent || a.destroy());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    setSilent: (on) => {
      silent = on;
      if (on) for (const p of open) p.silent = true;
    },
  };
}

async function startNode(
  key: Ed25519KeyPair,
  extra: Partial<P2pOptions> = {},
): Promise<{ net: P2pNetwork; port: number; got: [PeerMessage, string][] }> {
  const net = new P2pNetwork({
    chainId: CHAIN,
    nodeKey: key,
    isAllowedPeer: (pk) => validatorSet.has(toHex(pk)),
    port: 0,
    backoffInitialMs: 20,
    backoffMaxMs: 200,
    handshakeTimeoutMs: 500,
    ...extra,
  });
  const got: [PeerMessage, string][] = [];
  net.onMessage((m, from) => got.push([m, from]));
  running.push(net);
  const { port } = await net.start();
  return { net, port, got };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A hand-driven client speaking the handshake of handshake.ts: it authenticates with `signWith`, claiming
 * `claimKey`'s public key (or sends no auth at all). `sendSealed` writes a message on the channel once it is up.
 */
function rawClient(
  port: number,
  signWith: Ed25519KeyPair,
  claimKey = signWith,
  chainId = CHAIN,
  sendAuth = true,
) {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  const dec = new FrameDecoder();
  const received: WireMessage[] = [];
  let closed = false;
  const own = newEphemeralKeyPair();
  let session: HandshakeSession | undefined;
  socket.on('connect', () =>
    socket.write(
      encodeFrame(
        encodeMessage({ kind: 'hello', version: P2P_PROTOCOL_VERSION, chainId, ephemeralKey: own.publicKey }),
      ),
    ),
  );
  socket.on('data', (chunk: Buffer) => {
    for (const body of dec.push(new Uint8Array(chunk))) {
      const m = decodeMessage(session ? session.receive.open(body) : body);
      received.push(m);
      if (m.kind === 'hello') {
        session = deriveSession({
          version: P2P_PROTOCOL_VERSION,
          chainId,
          own,
          theirEphemeral: m.ephemeralKey,
          validatorSecretKey: signWith.secretKey,
        });
        const auth = encodeMessage({
          kind: 'auth',
          publicKey: claimKey.publicKey,
          signature: session.signature,
        });
        if (sendAuth) socket.write(encodeFrame(session.send.seal(auth)));
      }
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
  });
  const sendSealed = (body: Uint8Array) => socket.write(encodeFrame(session!.send.seal(body)));
  return { socket, received, isClosed: () => closed, sendSealed };
}

describe('p2p network', () => {
  it('three nodes connect, exchange direct messages and gossip a tx exactly once along a line', async () => {
    const c = await startNode(keys[2]!);
    const b = await startNode(keys[1]!, { persistentPeers: [`127.0.0.1:${c.port}`] });
    const a = await startNode(keys[0]!, { persistentPeers: [`127.0.0.1:${b.port}`] });
    // b relays what it accepts, as the node does after checking a message.
    b.net.onMessage((m, from) => {
      if (m.kind === 'tx') b.net.relay(m, from);
    });
    await until(
      () => a.net.peers().length === 1 && b.net.peers().length === 2 && c.net.peers().length === 1,
      'line a-b-c',
    );
    expect(a.net.peers()[0]!.id).toBe(toHex(keys[1]!.publicKey));

    a.net.send(b.net.id, { kind: 'status', height: 5n, latestHash: new Uint8Array(32).fill(5) });
    const tx: PeerMessage = { kind: 'tx', data: utf8('hello world') };
    expect(a.net.broadcast(tx)).toBe(1);
    await until(() => c.got.length === 1, 'tx reaches c through b');
    expect(c.got[0]).toEqual([tx, b.net.id]);
    expect(b.got.map(([m]) => m.kind)).toEqual(['status', 'tx']);
    expect(b.got[0]![0]).toEqual({ kind: 'status', height: 5n, latestHash: new Uint8Array(32).fill(5) });

    // The same tx again from a is a duplicate at b: dropped, not delivered twice, not relayed again.
    a.net.broadcast(tx);
    c.net.broadcast(tx); // c echoes it back to b
    await until(() => b.net.stats.duplicatesDropped >= 2, 'duplicates dropped at b');
    expect(b.got.filter(([m]) => m.kind === 'tx')).toHaveLength(1);
    expect(c.got).toHaveLength(1);
  });

  // Issue 17, C1: a client with no key relayed node0's challenge to node1 and node1's answer back, and
  // node0 took it for node1. The relay here forwards whole frames between the two real nodes (it needs to
  // understand nothing), then speaks for itself: what it says must never reach node0 as node1's.
  describe('a keyless relay between two validators', () => {
    async function relayBetween(mangle: (frameFromB: number, body: Uint8Array) => Uint8Array[]) {
      const a = await startNode(keys[0]!);
      const b = await startNode(keys[1]!);
      const toA = connect({ host: '127.0.0.1', port: a.port });
      const toB = connect({ host: '127.0.0.1', port: b.port });
      sockets.push(toA, toB);
      let aClosed = false;
      for (const s of [toA, toB]) s.on('error', () => {});
      toA.on('close', () => {
        aClosed = true;
      });
      const fromA = new FrameDecoder();
      const fromB = new FrameDecoder();
      let nFromB = 0;
      toA.on('data', (chunk: Buffer) => {
        for (const body of fromA.push(new Uint8Array(chunk))) toB.write(encodeFrame(body));
      });
      toB.on('data', (chunk: Buffer) => {
        for (const body of fromB.push(new Uint8Array(chunk)))
          for (const out of mangle(nFromB++, body)) toA.write(encodeFrame(out));
      });
      return { a, b, toA, isAClosed: () => aClosed };
    }

    it('cannot speak as node1: its own frame closes the connection and is never delivered', async () => {
      const r = await relayBetween((_, body) => [body]);
      // Wait until node0 took the relayed connection for node1 (an end-to-end channel with the real node1).
      await until(() => r.a.net.peers().length === 1, 'node0 connected through the relay');
      expect(r.a.net.peers()[0]!.id).toBe(r.b.net.id);
      r.toA.write(encodeFrame(encodeMessage({ kind: 'tx', data: utf8('from the relay') })));
      await until(r.isAClosed, 'node0 closes the relayed connection');
      expect(r.a.got.filter(([m]) => m.kind === 'tx')).toEqual([]);
      expect(r.a.net.peers()).toHaveLength(0);
    });

    it('a tampered or a replayed frame closes the connection, and neither is delivered', async () => {
      const tamper = await relayBetween((i, body) => {
        if (i < 2) return [body]; // hello and auth pass unchanged
        const t = body.slice();
        t[t.length - 1]! ^= 1;
        return [t];
      });
      await until(() => tamper.a.net.peers().length === 1, 'connected (tamper)');
      tamper.b.net.send(tamper.a.net.id, { kind: 'tx', data: utf8('tampered in flight') });
      await until(tamper.isAClosed, 'tampered frame closes the connection');
      expect(tamper.a.got).toEqual([]);

      let replayed = false;
      const replay = await relayBetween((i, body) => {
        if (i < 2 || replayed) return [body];
        replayed = true;
        return [body, body];
      });
      await until(() => replay.a.net.peers().length === 1, 'connected (replay)');
      replay.b.net.send(replay.a.net.id, { kind: 'tx', data: utf8('sent once') });
      await until(replay.isAClosed, 'replayed frame closes the connection');
      expect(replay.a.got.map(([m]) => m)).toEqual([{ kind: 'tx', data: utf8('sent once') }]);
    });
  });

  it('refuses a relay that puts its own ephemeral key in the middle: the signed transcripts differ', async () => {
    // The relay does the handshake with node0 itself (its own ephemeral key) and forwards node1's auth,
    // which signs node1's transcript with the relay, not this one.
    const a = await startNode(keys[0]!);
    const b = await startNode(keys[1]!);
    const toB = rawClient(b.port, stranger, stranger, CHAIN, false);
    await until(() => toB.received.some((m) => m.kind === 'auth'), 'node1 answered the relay');
    const node1Auth = toB.received.find((m) => m.kind === 'auth')!;
    const toA = connect({ host: '127.0.0.1', port: a.port });
    sockets.push(toA);
    toA.on('error', () => {});
    let closed = false;
    toA.on('close', () => {
      closed = true;
    });
    const own = newEphemeralKeyPair();
    const dec = new FrameDecoder();
    toA.write(
      encodeFrame(
        encodeMessage({
          kind: 'hello',
          version: P2P_PROTOCOL_VERSION,
          chainId: CHAIN,
          ephemeralKey: own.publicKey,
        }),
      ),
    );
    toA.on('data', (chunk: Buffer) => {
      for (const body of dec.push(new Uint8Array(chunk))) {
        if (decodeMessage(body).kind !== 'hello') continue;
        const m = decodeMessage(body) as { ephemeralKey: Uint8Array };
        const s = deriveSession({
          version: P2P_PROTOCOL_VERSION,
          chainId: CHAIN,
          own,
          theirEphemeral: m.ephemeralKey,
          validatorSecretKey: stranger.secretKey,
        });
        toA.write(encodeFrame(s.send.seal(encodeMessage(node1Auth))));
      }
    });
    await until(() => closed, 'node0 refuses the forwarded auth');
    expect(a.net.peers()).toHaveLength(0);
    expect(a.net.stats.handshakesRejected).toBe(1);
  });

  it('refuses a frame over 1 KiB before the handshake, and caps handshakes in progress per IP', async () => {
    const a = await startNode(keys[0]!, { maxUnauthenticatedPerIp: 2, handshakeTimeoutMs: 5000 });
    const big = connect({ host: '127.0.0.1', port: a.port });
    sockets.push(big);
    big.on('error', () => {});
    big.resume();
    let bigClosed = false;
    big.on('close', () => {
      bigClosed = true;
    });
    big.write(encodeFrame(new Uint8Array(PRE_HANDSHAKE_MAX_FRAME_BYTES + 1)));
    await until(() => bigClosed, 'closed for a large pre-handshake frame');
    const idle = [0, 1, 2].map(() => {
      const s = connect({ host: '127.0.0.1', port: a.port });
      sockets.push(s);
      s.on('error', () => {});
      s.resume();
      return s;
    });
    await until(() => a.net.stats.connectionsRefused === 1, 'the third idle handshake is refused');
    for (const s of idle) s.destroy();
  });

  it('refuses a peer that signs with a different key than it claims', async () => {
    const a = await startNode(keys[0]!);
    const impostor = rawClient(a.port, stranger, keys[1]!);
    await until(impostor.isClosed, 'impostor disconnected');
    expect(a.net.peers()).toHaveLength(0);
    expect(a.net.stats.handshakesRejected).toBe(1);
  });

  it('refuses a peer whose key is not in the validator set, and one on another chain', async () => {
    const a = await startNode(keys[0]!);
    const outsider = rawClient(a.port, stranger);
    const otherChain = rawClient(a.port, keys[1]!, keys[1]!, 'other-chain');
    await until(() => outsider.isClosed() && otherChain.isClosed(), 'both disconnected');
    expect(a.net.peers()).toHaveLength(0);
    expect(a.net.stats.handshakesRejected).toBe(2);
    // the client on another chain got our hello but never our auth (no key was derived with it)
    expect(otherChain.received.some((m) => m.kind === 'auth')).toBe(false);
  });

  it('accepts a correct raw client, then closes it for garbage after the handshake; the node keeps serving', async () => {
    const a = await startNode(keys[0]!);
    const good = rawClient(a.port, keys[1]!);
    await until(() => a.net.peers().length === 1, 'raw client authenticated');
    good.sendSealed(new Uint8Array([0xee, 1, 2, 3]));
    await until(good.isClosed, 'closed for unknown type');
    const oversized = rawClient(a.port, keys[2]!);
    await until(() => a.net.peers().length === 1, 'second client authenticated');
    oversized.socket.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2]));
    await until(oversized.isClosed, 'closed for oversized frame');
    const noise = connect({ host: '127.0.0.1', port: a.port });
    sockets.push(noise);
    noise.on('error', () => {});
    noise.resume();
    noise.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    let noiseClosed = false;
    noise.on('close', () => {
      noiseClosed = true;
    });
    await until(() => noiseClosed, 'closed for garbage before the handshake');
    expect(a.net.stats.protocolErrors).toBeGreaterThanOrEqual(3);
    // still works for a real peer
    const b = await startNode(keys[1]!, { persistentPeers: [`127.0.0.1:${a.port}`] });
    await until(() => b.net.peers().length === 1, 'real peer connects after the garbage');
  });

  it('closes a silent connection at the handshake timeout', async () => {
    const a = await startNode(keys[0]!, { handshakeTimeoutMs: 100 });
    const s = connect({ host: '127.0.0.1', port: a.port });
    sockets.push(s);
    s.on('error', () => {});
    s.resume();
    let closed = false;
    s.on('close', () => {
      closed = true;
    });
    await until(() => closed, 'timeout close', 2000);
    expect(a.net.stats.handshakesRejected).toBe(1);
  });

  it('keeps one connection when both ends dial each other, and reconnects with backoff after a restart', async () => {
    const b = await startNode(keys[1]!);
    const a = await startNode(keys[0]!, { persistentPeers: [`127.0.0.1:${b.port}`] });
    await until(() => a.net.peers().length === 1, 'a connected');
    // b now also dials a: the duplicate is resolved to a single connection on both ends.
    await b.net.stop();
    running.splice(running.indexOf(b.net), 1);
    await until(() => a.net.peers().length === 0, 'a notices b is gone');
    const b2 = await startNode(keys[1]!, { port: b.port, persistentPeers: [`127.0.0.1:${a.port}`] });
    await until(() => a.net.peers().length === 1 && b2.net.peers().length === 1, 'reconnected');
    await new Promise((r) => setTimeout(r, 300));
    expect(a.net.peers()).toHaveLength(1);
    expect(b2.net.peers()).toHaveLength(1);
    // and the surviving connection carries messages both ways
    a.net.send(b2.net.id, { kind: 'block-request', fromHeight: 1n, toHeight: 3n });
    b2.net.send(a.net.id, { kind: 'block-response', height: 1n, data: new Uint8Array([1]) });
    await until(() => a.got.length === 1 && b2.got.length === 1, 'both directions');
  });

  it('a persistent peer named pubkey@host:port must authenticate with that key, or it is refused', async () => {
    // The address of validator 1 is served by validator 2 (another member of the set: a machine holding
    // another validator's key, or an address redirected to it).
    const other = await startNode(keys[2]!);
    const hex = (k: Ed25519KeyPair) => toHex(k.publicKey).slice(2);
    const a = await startNode(keys[0]!, { persistentPeers: [`${hex(keys[1]!)}@127.0.0.1:${other.port}`] });
    await until(() => a.net.stats.peersWithWrongKey >= 2, 'refused twice (it keeps redialling with backoff)');
    expect(a.net.peers()).toHaveLength(0);
    expect(other.net.peers()).toHaveLength(0);
    // Named with the right key (0x optional, any case), the same address connects.
    const b = await startNode(keys[0]!, {
      persistentPeers: [`0x${hex(keys[2]!).toUpperCase()}@127.0.0.1:${other.port}`],
    });
    await until(() => b.net.peers().length === 1, 'connected to the named key');
    expect(b.net.peers()[0]!.id).toBe(toHex(keys[2]!.publicKey));
    expect(b.net.stats.peersWithWrongKey).toBe(0);
    // A malformed entry is refused when the network is built.
    expect(
      () =>
        new P2pNetwork({
          chainId: CHAIN,
          nodeKey: keys[0]!,
          isAllowedPeer: () => true,
          port: 0,
          persistentPeers: ['abcd@127.0.0.1:1'],
        }),
    ).toThrow(/pubkey@host:port/);
  });

  it('disconnects and bans a peer that floods beyond its message rate; it is refused until the ban ends', async () => {
    const a = await startNode(keys[0]!, {
      peerLimits: { messagesPerSecond: 100, messageBurst: 200 },
      peerBanMs: 1500,
    });
    const b = await startNode(keys[1]!, { persistentPeers: [`127.0.0.1:${a.port}`] });
    // Both ends: b's sends before its end opens are not sent (a opens first when b's auth arrives first).
    await until(() => a.net.peers().length === 1 && b.net.peers().length === 1, 'connected');
    // Within the burst: delivered, no ban.
    for (let i = 0; i < 100; i++)
      b.net.send(a.net.id, { kind: 'status', height: BigInt(i), latestHash: new Uint8Array(32) });
    await until(() => a.got.length === 100, 'first 100 delivered');
    expect(a.net.stats.peersBanned).toBe(0);
    // A flood: 5,000 messages at once.
    for (let i = 0; i < 5000; i++)
      b.net.send(a.net.id, { kind: 'status', height: BigInt(i), latestHash: new Uint8Array(32) });
    await until(() => a.net.stats.peersBanned === 1 && a.net.peers().length === 0, 'flooder disconnected');
    expect(a.got.length).toBeLessThan(400);
    // b redials (persistent peer) and is refused while banned ...
    const rejected = a.net.stats.handshakesRejected;
    await until(() => a.net.stats.handshakesRejected > rejected, 'redial refused');
    expect(a.net.peers()).toHaveLength(0);
    // ... and accepted once the ban is over.
    await until(() => a.net.peers().length === 1, 'reconnected after the ban', 8000);
  });

  it('keeps an idle but live connection: pings are answered, never delivered, and nothing times out', async () => {
    const keepalive = { keepaliveIntervalMs: 50, keepaliveTimeoutMs: 400 };
    const b = await startNode(keys[1]!, keepalive);
    const a = await startNode(keys[0]!, { ...keepalive, persistentPeers: [`127.0.0.1:${b.port}`] });
    await until(() => a.net.peers().length === 1 && b.net.peers().length === 1, 'connected');
    // Many sweep periods, well past the timeout, with no message of the node's own.
    await until(() => a.net.stats.pingsSent >= 20 && b.net.stats.pingsSent >= 20, 'pings both ways');
    for (const x of [a, b]) {
      expect(x.net.stats.keepaliveTimeouts).toBe(0);
      expect(x.net.peers()).toHaveLength(1);
      expect(x.got).toEqual([]);
      expect(x.net.stats.messagesIn).toBe(0);
      expect(x.net.stats.messagesOut).toBe(0);
    }
    expect(a.net.stats.connectionsOpened).toBe(1);
    // Bad settings are refused when the network is built.
    const build = (o: Partial<P2pOptions>) =>
      new P2pNetwork({ chainId: CHAIN, nodeKey: keys[0]!, isAllowedPeer: () => true, port: 0, ...o });
    expect(() => build({ keepaliveIntervalMs: 100, keepaliveTimeoutMs: 150 })).toThrow(/at least twice/);
    expect(() => build({ keepaliveIntervalMs: 0 })).toThrow(/keepaliveIntervalMs must be a positive/);
  });

  it('drops a peer that goes silent without closing, and reconnects once the path speaks again', async () => {
    const keepalive = { keepaliveIntervalMs: 50, keepaliveTimeoutMs: 300 };
    const b = await startNode(keys[1]!, keepalive);
    const relay = await silentRelay(b.port);
    const a = await startNode(keys[0]!, { ...keepalive, persistentPeers: [`127.0.0.1:${relay.port}`] });
    await until(
      () => a.net.peers().length === 1 && b.net.peers().length === 1,
      'connected through the relay',
    );
    relay.setSilent(true);
    // Both ends notice by the keepalive alone: the relay closed nothing.
    await until(
      () => a.net.peers().length === 0 && b.net.peers().length === 0,
      'both ends drop the silent connection',
    );
    expect(a.net.stats.keepaliveTimeouts).toBe(1);
    expect(b.net.stats.keepaliveTimeouts).toBe(1);
    // a keeps redialing (each try silent: it times out in the handshake) until the path speaks again.
    const opened = a.net.stats.connectionsOpened;
    await until(() => a.net.stats.connectionsOpened > opened + 1, 'redials while silent');
    expect(a.net.peers()).toHaveLength(0);
    relay.setSilent(false);
    await until(() => a.net.peers().length === 1 && b.net.peers().length === 1, 'reconnected');
    a.net.send(b.net.id, { kind: 'status', height: 7n, latestHash: new Uint8Array(32).fill(7) });
    await until(() => b.got.length === 1, 'a message passes again');
    expect(b.got[0]![0]).toMatchObject({ kind: 'status', height: 7n });
  });

  it("charges pings to the peer's limits: a ping flood is disconnected and banned like any flood", async () => {
    const a = await startNode(keys[0]!, {
      peerLimits: { messagesPerSecond: 100, messageBurst: 200 },
      peerBanMs: 60_000,
    });
    const client = rawClient(a.port, keys[1]!);
    await until(() => a.net.peers().length === 1, 'authenticated');
    const ping = encodeMessage({ kind: 'ping' });
    const pongs = () => client.received.filter((m) => m.kind === 'pong').length;
    // Within the burst: each ping is answered.
    for (let i = 0; i < 50; i++) client.sendSealed(ping);
    await until(() => pongs() === 50, '50 pongs');
    expect(a.net.stats.peersBanned).toBe(0);
    // A flood of pings costs the same as a flood of anything.
    for (let i = 0; i < 5000; i++) client.sendSealed(ping);
    await until(client.isClosed, 'flooder disconnected');
    expect(a.net.stats.peersBanned).toBe(1);
    expect(a.got).toEqual([]);
    expect(pongs()).toBeLessThan(400);
  });
});
