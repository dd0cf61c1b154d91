// The p2p adapter: a TCP server and dialer between validators. Owns sockets, the handshake state of each
// connection and its sealed channel (handshake.ts), caps on connections (total, unauthenticated, per IP),
// duplicate-connection resolution, reconnect with exponential backoff to persistent peers, the keepalive
// (a sealed ping on a quiet connection; a silent one is closed, so the reconnect takes over), and gossip
// deduplication. It does not decode consensus objects: the node does, and tells this layer what to relay.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { InputError, toHex } from '@gridledger/base';
import { type Ed25519KeyPair, sha256 } from '@gridledger/crypto';
import { type Logger, pino } from 'pino';
import { P2pProtocolError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from './frame.ts';
import {
  deriveSession,
  type EphemeralKeyPair,
  type HandshakeSession,
  newEphemeralKeyPair,
  SEAL_OVERHEAD_BYTES,
  verifyAuth,
} from './handshake.ts';
import {
  decodeMessage,
  encodeMessage,
  GOSSIP_KINDS,
  type HelloMessage,
  P2P_PROTOCOL_VERSION,
  type PeerMessage,
  type WireMessage,
} from './messages.ts';
import { DEFAULT_PEER_LIMITS, PeerBans, PeerBudget, type PeerLimits } from './peer-limits.ts';

/** Options of a {@link P2pNetwork}. */
export interface P2pOptions {
  /** Chain id: peers on another chain are refused. */
  chainId: string;
  /** This node's ed25519 validator key. */
  nodeKey: Ed25519KeyPair;
  /** Whether a public key may connect (membership in the validator set). */
  isAllowedPeer: (publicKey: Uint8Array) => boolean;
  /** Listen host (default 127.0.0.1). */
  host?: string;
  /** Listen port; 0 picks a free one. */
  port: number;
  /**
   * Peers to keep connected to, as "host:port" or "pubkey@host:port" (pubkey: the peer's ed25519 key, 64
   * hex digits, 0x optional). With a key, a connection we dial there must authenticate as that key, or
   * it is refused (a machine at that address holding another validator's key, or a redirected address).
   */
  persistentPeers?: string[];
  /** Largest frame body accepted or sent (default 4 MiB). */
  maxFrameBytes?: number;
  /** A connection not authenticated within this time is closed (default 3000 ms). */
  handshakeTimeoutMs?: number;
  /** Most connections at once, inbound and outbound (default 128); further inbound ones are refused. */
  maxConnections?: number;
  /** Most inbound connections still in their handshake (default 32). */
  maxUnauthenticated?: number;
  /** Most inbound connections from one IP address (default 32). */
  maxConnectionsPerIp?: number;
  /** Most inbound connections from one IP address still in their handshake (default 8). */
  maxUnauthenticatedPerIp?: number;
  /** First reconnect delay (default 100 ms); doubles on each failure up to backoffMaxMs. */
  backoffInitialMs?: number;
  /** Largest reconnect delay (default 5000 ms). */
  backoffMaxMs?: number;
  /** How many gossip hashes are remembered for deduplication (default 100,000). */
  seenCacheSize?: number;
  /** Largest bytes queued for one slow peer before it is dropped (default 64 MiB). */
  maxQueuedBytesPerPeer?: number;
  /**
   * Limits on what one authenticated peer may send (messages and bytes per second, with bursts; default
   * DEFAULT_PEER_LIMITS). A peer beyond them is disconnected and refused for `peerBanMs`.
   */
  peerLimits?: Partial<PeerLimits>;
  /** How long a peer that exceeded its limits is refused (default 60,000 ms). */
  peerBanMs?: number;
  /**
   * Keepalive sweep period (default 2000 ms): every period, one timer pings (sealed) each authenticated
   * connection that received nothing since the previous sweep.
   */
  keepaliveIntervalMs?: number;
  /**
   * A connection that received nothing, not even a pong, for this long is closed (default 10,000 ms; at
   * least twice keepaliveIntervalMs). Silence is counted in sweeps, so it is closed after between this and
   * this plus two periods, and a stall of our own event loop counts as one period at most. A dialed peer is
   * then redialed with the usual backoff.
   */
  keepaliveTimeoutMs?: number;
  logger?: Logger;
}

/** What the network knows about one authenticated peer. */
export interface PeerInfo {
  /** Hex of the peer's ed25519 public key. */
  id: string;
  remoteAddress: string;
  outbound: boolean;
  messagesIn: number;
  messagesOut: number;
}

/** Counters for observing the network (tests and metrics). */
export interface P2pStats {
  connectionsOpened: number;
  /** Inbound connections closed at once because a connection cap was reached. */
  connectionsRefused: number;
  handshakesRejected: number;
  /** Dialed persistent peers that authenticated with another key than their `pubkey@` entry names. */
  peersWithWrongKey: number;
  /** Peers disconnected and banned for exceeding their message or byte rate. */
  peersBanned: number;
  /** Keepalive pings sent (to connections quiet for a sweep period). */
  pingsSent: number;
  /** Connections closed because nothing was received for keepaliveTimeoutMs. */
  keepaliveTimeouts: number;
  protocolErrors: number;
  duplicatesDropped: number;
  messagesIn: number;
  messagesOut: number;
  /** Bytes read from and written to sockets (frames, sealed), every connection. */
  bytesIn: number;
  bytesOut: number;
}

/** Receives each authenticated message with the id of the peer it came from. */
export type MessageHandler = (msg: PeerMessage, peerId: string) => void;
/** Told when a peer becomes connected (authenticated) or disconnected. */
export type PeerHandler = (peerId: string, event: 'connected' | 'disconnected') => void;

interface DialTarget {
  address: string;
  host: string;
  port: number;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  conn: Connection | undefined;
  peerId: string | undefined;
  self: boolean;
  /** The key the peer at this address must present (0x and lower-case hex, as peer ids), if named. */
  expectedKey: string | undefined;
}

/**
 * Parses a persistent peer, "host:port" or "pubkey@host:port".
 * @example parsePeerAddress('ab…(64 hex)@10.0.0.2:26600') // { key: '0xab…', host: '10.0.0.2', port: 26600 }
 */
export function parsePeerAddress(address: string): { key: string | undefined; host: string; port: number } {
  const m = /^(?:(?:0x)?([0-9a-fA-F]{64})@)?([^:@\s]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[3]) > 65535)
    throw new InputError(
      `p2p: persistent peer "${address}" is not host:port or pubkey@host:port (pubkey: 64 hex digits)`,
    );
  return { key: m[1] === undefined ? undefined : `0x${m[1].toLowerCase()}`, host: m[2]!, port: Number(m[3]) };
}

const PING = encodeMessage({ kind: 'ping' });
const PONG = encodeMessage({ kind: 'pong' });

/** Largest frame body accepted before the handshake is done (hello and the sealed auth are ~100 bytes). */
export const PRE_HANDSHAKE_MAX_FRAME_BYTES = 1024;

class Connection {
  readonly socket: Socket;
  readonly outbound: boolean;
  readonly remoteAddress: string;
  readonly remoteIp: string;
  readonly target: DialTarget | undefined;
  state: 'handshake' | 'open' | 'closed' = 'handshake';
  readonly ephemeral: EphemeralKeyPair = newEphemeralKeyPair();
  theirHello: HelloMessage | undefined;
  /** The sealed channel, from the peer's hello on. */
  session: HandshakeSession | undefined;
  peerId: string | undefined;
  /** The peer's message and byte allowance, from the handshake on. */
  budget: PeerBudget | undefined;
  corked = false;
  messagesIn = 0;
  messagesOut = 0;
  /** A frame authenticated since the last keepalive sweep. */
  heard = false;
  /** Keepalive sweeps in a row that found nothing heard. */
  silentSweeps = 0;
  readonly decoder: FrameDecoder;
  timer: NodeJS.Timeout | undefined;
  constructor(
    socket: Socket,
    outbound: boolean,
    remoteAddress: string,
    remoteIp: string,
    target: DialTarget | undefined,
  ) {
    this.socket = socket;
    this.outbound = outbound;
    this.remoteAddress = remoteAddress;
    this.remoteIp = remoteIp;
    this.target = target;
    this.decoder = new FrameDecoder(PRE_HANDSHAKE_MAX_FRAME_BYTES);
  }
  isClosed(): boolean {
    return this.state === 'closed';
  }
}

/**
 * A validator's p2p endpoint.
 * @example
 * const net = new P2pNetwork({ chainId, nodeKey, isAllowedPeer, port: 26600, persistentPeers: ['127.0.0.1:26602'] });
 * net.onMessage((msg, from) => { ... });
 * await net.start();
 * net.broadcast({ kind: 'tx', data });
 */
export class P2pNetwork {
  /** Hex of this node's public key. */
  readonly id: string;
  private readonly opts: Required<Omit<P2pOptions, 'logger' | 'persistentPeers' | 'peerLimits'>> & {
    persistentPeers: string[];
  };
  private readonly log: Logger;
  private server: Server | undefined;
  private readonly conns = new Set<Connection>();
  private readonly active = new Map<string, Connection>();
  private readonly targets: DialTarget[] = [];
  private readonly seen = new Map<string, true>();
  private readonly limits: PeerLimits;
  private readonly bans = new PeerBans();
  private readonly messageHandlers: MessageHandler[] = [];
  private readonly peerHandlers: PeerHandler[] = [];
  private stopped = false;
  private listenPort = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  readonly stats: P2pStats = {
    connectionsOpened: 0,
    connectionsRefused: 0,
    handshakesRejected: 0,
    peersWithWrongKey: 0,
    peersBanned: 0,
    pingsSent: 0,
    keepaliveTimeouts: 0,
    protocolErrors: 0,
    duplicatesDropped: 0,
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
  };

  constructor(options: P2pOptions) {
    if (options.nodeKey.publicKey.length !== 32)
      throw new InputError('p2p: node key must be ed25519 (32-byte public key)');
    this.opts = {
      host: '127.0.0.1',
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      handshakeTimeoutMs: 3000,
      maxConnections: 128,
      maxUnauthenticated: 32,
      maxConnectionsPerIp: 32,
      maxUnauthenticatedPerIp: 8,
      backoffInitialMs: 100,
      backoffMaxMs: 5000,
      seenCacheSize: 100_000,
      maxQueuedBytesPerPeer: 64 * 1024 * 1024,
      peerBanMs: 60_000,
      keepaliveIntervalMs: 2000,
      keepaliveTimeoutMs: 10_000,
      persistentPeers: [],
      ...options,
    } as P2pNetwork['opts'];
    const { keepaliveIntervalMs: every, keepaliveTimeoutMs: timeout } = this.opts;
    if (!(Number.isInteger(every) && every > 0))
      throw new InputError(`p2p: keepaliveIntervalMs must be a positive whole number of ms, got ${every}`);
    if (!(Number.isInteger(timeout) && timeout >= 2 * every))
      throw new InputError(
        `p2p: keepaliveTimeoutMs must be a whole number of ms at least twice keepaliveIntervalMs (${2 * every}), got ${timeout}`,
      );
    this.limits = { ...DEFAULT_PEER_LIMITS, ...options.peerLimits };
    for (const [k, v] of Object.entries(this.limits))
      if (!(Number.isFinite(v) && v > 0))
        throw new InputError(`p2p: peerLimits.${k} must be a positive number, got ${v}`);
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'p2p' });
    this.id = toHex(options.nodeKey.publicKey);
    for (const address of this.opts.persistentPeers) {
      const { key, host, port } = parsePeerAddress(address);
      this.targets.push({
        address,
        host,
        port,
        attempt: 0,
        timer: undefined,
        conn: undefined,
        peerId: undefined,
        self: key === this.id,
        expectedKey: key,
      });
    }
  }

  /** Registers a handler for authenticated messages. */
  onMessage(handler: MessageHandler): void {
    this.messageHandlers.push(handler);
  }

  /** Registers a handler for peer connect/disconnect. */
  onPeer(handler: PeerHandler): void {
    this.peerHandlers.push(handler);
  }

  /** Starts listening and dialing persistent peers; resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new InputError(`p2p port ${this.opts.port} on ${this.opts.host} is already in use`, {
                cause: err,
              })
            : err,
        ),
      );
      server.listen(this.opts.port, this.opts.host, () => {
        server.removeAllListeners('error');
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'p2p server error'));
    const addr = server.address();
    this.listenPort = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    for (const t of this.targets) this.dial(t);
    this.sweepTimer = setInterval(() => this.sweep(), this.opts.keepaliveIntervalMs);
    this.sweepTimer.unref?.();
    return { host: this.opts.host, port: this.listenPort };
  }

  /** Closes the server, every connection and every reconnect timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    for (const t of this.targets) clearTimeout(t.timer);
    for (const c of [...this.conns]) this.close(c, 'node stopping', false);
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The authenticated peers. */
  peers(): PeerInfo[] {
    return [...this.active.entries()].map(([id, c]) => ({
      id,
      remoteAddress: c.remoteAddress,
      outbound: c.outbound,
      messagesIn: c.messagesIn,
      messagesOut: c.messagesOut,
    }));
  }

  /** Sends a message to every peer; gossip kinds are remembered so echoes are dropped. Returns peers reached. */
  broadcast(msg: PeerMessage): number {
    const body = encodeMessage(msg);
    if (GOSSIP_KINDS.has(msg.kind)) this.remember(body);
    let n = 0;
    for (const c of this.active.values()) if (this.write(c, body)) n++;
    return n;
  }

  /** Forwards a gossip message that the node accepted to every peer except the one it came from. */
  relay(msg: PeerMessage, fromPeerId: string | undefined): number {
    const body = encodeMessage(msg);
    this.remember(body);
    let n = 0;
    for (const [id, c] of this.active) if (id !== fromPeerId && this.write(c, body)) n++;
    return n;
  }

  /** Sends a message to one peer; false when it is not connected. */
  send(peerId: string, msg: PeerMessage): boolean {
    const c = this.active.get(peerId);
    return c ? this.write(c, encodeMessage(msg)) : false;
  }

  /** Closes the connection to a peer (e.g. it sent a message that does not decode); it may reconnect. */
  disconnect(peerId: string, reason: string): void {
    const c = this.active.get(peerId);
    if (c) {
      this.stats.protocolErrors++;
      this.close(c, reason);
    }
  }

  /**
   * The keepalive sweep: a connection that heard nothing since the last sweep is pinged, and closed once it
   * has been silent for keepaliveTimeoutMs (counted in sweeps).
   */
  private sweep(): void {
    const { keepaliveIntervalMs: every, keepaliveTimeoutMs: timeout } = this.opts;
    const allowed = Math.ceil(timeout / every);
    for (const c of [...this.active.values()]) {
      if (c.heard) {
        c.heard = false;
        c.silentSweeps = 0;
        continue;
      }
      c.silentSweeps++;
      if (c.silentSweeps > allowed) {
        this.stats.keepaliveTimeouts++;
        this.close(c, `nothing received for ${(c.silentSweeps - 1) * every} ms (keepalive timeout)`);
        continue;
      }
      if (this.write(c, PING, false)) this.stats.pingsSent++;
    }
  }

  private remember(body: Uint8Array): boolean {
    const key = toHex(sha256(body));
    if (this.seen.has(key)) return false;
    this.seen.set(key, true);
    if (this.seen.size > this.opts.seenCacheSize) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? '?';
    const refusal = this.capReached(ip);
    if (refusal !== undefined) {
      this.stats.connectionsRefused++;
      this.log.warn({ remote: ip, reason: refusal }, 'p2p: inbound connection refused');
      socket.destroy();
      return;
    }
    const remote = `${ip}:${socket.remotePort}`;
    this.setup(new Connection(socket, false, remote, ip, undefined));
  }

  /** Why a new inbound connection from `ip` is refused, or undefined when every cap has room. */
  private capReached(ip: string): string | undefined {
    let unauthenticated = 0;
    let fromIp = 0;
    let unauthenticatedFromIp = 0;
    for (const c of this.conns) {
      if (c.outbound) continue;
      const pending = c.state === 'handshake';
      if (pending) unauthenticated++;
      if (c.remoteIp === ip) {
        fromIp++;
        if (pending) unauthenticatedFromIp++;
      }
    }
    const o = this.opts;
    if (this.conns.size >= o.maxConnections) return `${this.conns.size} connections (the cap)`;
    if (unauthenticated >= o.maxUnauthenticated) return `${unauthenticated} handshakes in progress (the cap)`;
    if (fromIp >= o.maxConnectionsPerIp) return `${fromIp} connections from ${ip} (the cap)`;
    if (unauthenticatedFromIp >= o.maxUnauthenticatedPerIp)
      return `${unauthenticatedFromIp} handshakes in progress from ${ip} (the cap)`;
    return undefined;
  }

  private dial(t: DialTarget): void {
    if (this.stopped || t.self) return;
    clearTimeout(t.timer);
    t.timer = undefined;
    if (t.peerId && this.active.has(t.peerId)) {
      // Already connected to that peer through an inbound connection: check again later.
      this.scheduleDial(t, this.opts.backoffMaxMs);
      return;
    }
    const socket = tcpConnect({ host: t.host, port: t.port });
    const conn = new Connection(socket, true, t.address, t.host, t);
    t.conn = conn;
    this.setup(conn);
  }

  private scheduleDial(t: DialTarget, delayMs: number): void {
    if (this.stopped || t.self) return;
    clearTimeout(t.timer);
    t.timer = setTimeout(() => this.dial(t), delayMs);
    t.timer.unref?.();
  }

  private backoffDelay(t: DialTarget): number {
    const base = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** Math.min(t.attempt, 20));
    t.attempt++;
    return Math.round(base * (0.5 + Math.random() * 0.5));
  }

  private setup(c: Connection): void {
    this.conns.add(c);
    this.stats.connectionsOpened++;
    c.socket.setNoDelay(true);
    c.timer = setTimeout(() => this.reject(c, 'handshake timed out'), this.opts.handshakeTimeoutMs);
    c.timer.unref?.();
    // The hello is the one frame in clear (it carries the ephemeral key the channel's keys come from).
    const sendHello = () => {
      if (c.isClosed() || c.socket.destroyed) return;
      c.socket.write(
        encodeFrame(
          encodeMessage({
            kind: 'hello',
            version: P2P_PROTOCOL_VERSION,
            chainId: this.opts.chainId,
            ephemeralKey: c.ephemeral.publicKey,
          }),
        ),
      );
    };
    if (c.outbound) c.socket.once('connect', sendHello);
    else sendHello();
    c.socket.on('data', (chunk: Buffer) => {
      this.stats.bytesIn += chunk.length;
      if (c.isClosed()) return;
      try {
        // One frame at a time: the frame limit rises once the handshake is done.
        c.decoder.append(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        for (let body = c.decoder.next(); body !== undefined; body = c.decoder.next()) {
          this.handleFrame(c, body);
          if (c.isClosed()) return;
        }
      } catch (err) {
        if (err instanceof P2pProtocolError) {
          this.stats.protocolErrors++;
          if (c.state === 'handshake') this.stats.handshakesRejected++;
          this.close(c, err.message);
        } else {
          this.log.error({ err, peer: c.peerId }, 'p2p: handler failed');
          this.close(c, 'internal error');
        }
      }
    });
    c.socket.on('error', (err) => {
      this.log.debug({ err: err.message, remote: c.remoteAddress }, 'p2p socket error');
    });
    c.socket.on('close', () => this.onClosed(c));
  }

  private handleFrame(c: Connection, frame: Uint8Array): void {
    if (c.state === 'handshake') {
      this.handleHandshake(c, frame);
      return;
    }
    // Limits first: a flooding peer costs us no decryption or decoding beyond its allowance.
    const now = Date.now();
    if (!c.budget!.take(frame.length, now)) {
      this.stats.peersBanned++;
      this.bans.ban(c.peerId!, now + this.opts.peerBanMs);
      throw new P2pProtocolError(
        `peer exceeded its limits (${this.limits.messagesPerSecond} messages/s, ${this.limits.bytesPerSecond} bytes/s sustained): banned for ${this.opts.peerBanMs} ms`,
      );
    }
    const body = c.session!.receive.open(frame);
    c.heard = true;
    const msg: WireMessage = decodeMessage(body);
    if (msg.kind === 'hello' || msg.kind === 'auth')
      throw new P2pProtocolError(`unexpected ${msg.kind} after handshake`);
    // The keepalive is the network's own: answered here (charged to the budget above), never delivered.
    if (msg.kind === 'ping') {
      this.write(c, PONG, false);
      return;
    }
    if (msg.kind === 'pong') return;
    c.messagesIn++;
    this.stats.messagesIn++;
    if (GOSSIP_KINDS.has(msg.kind) && this.seen.has(toHex(sha256(body)))) {
      this.stats.duplicatesDropped++;
      return;
    }
    for (const h of this.messageHandlers) h(msg, c.peerId!);
  }

  /** The peer's hello (in clear), then its auth (sealed); anything else closes the connection. */
  private handleHandshake(c: Connection, frame: Uint8Array): void {
    if (!c.theirHello) {
      const msg = decodeMessage(frame);
      if (msg.kind !== 'hello') throw new P2pProtocolError(`${msg.kind} before hello`);
      if (msg.version !== P2P_PROTOCOL_VERSION) {
        throw new P2pProtocolError(
          `peer speaks protocol version ${msg.version}, we speak ${P2P_PROTOCOL_VERSION}`,
        );
      }
      if (msg.chainId !== this.opts.chainId) {
        throw new P2pProtocolError(`peer is on chain "${msg.chainId}", we are on "${this.opts.chainId}"`);
      }
      c.theirHello = msg;
      c.session = deriveSession({
        version: P2P_PROTOCOL_VERSION,
        chainId: this.opts.chainId,
        own: c.ephemeral,
        theirEphemeral: msg.ephemeralKey,
        validatorSecretKey: this.opts.nodeKey.secretKey,
      });
      this.write(
        c,
        encodeMessage({
          kind: 'auth',
          publicKey: this.opts.nodeKey.publicKey,
          signature: c.session.signature,
        }),
      );
      return;
    }
    const session = c.session!;
    const msg = decodeMessage(session.receive.open(frame));
    if (msg.kind !== 'auth') throw new P2pProtocolError(`${msg.kind} before the handshake finished`);
    if (!verifyAuth(session.transcript, c.theirHello.ephemeralKey, msg.publicKey, msg.signature)) {
      throw new P2pProtocolError(
        "handshake signature does not verify over this connection's transcript: peer does not hold the key it claims",
      );
    }
    const peerId = toHex(msg.publicKey);
    if (peerId === this.id) {
      if (c.target) c.target.self = true;
      throw new P2pProtocolError('connected to self');
    }
    const expected = c.outbound ? c.target?.expectedKey : undefined;
    if (expected !== undefined && peerId !== expected) {
      this.stats.peersWithWrongKey++;
      throw new P2pProtocolError(
        `peer at ${c.remoteAddress} authenticated as ${peerId.slice(0, 18)}…, but the persistent peer entry names ${expected.slice(0, 18)}…`,
      );
    }
    if (!this.opts.isAllowedPeer(msg.publicKey)) {
      throw new P2pProtocolError(`peer ${peerId.slice(0, 18)}… is not in the validator set`);
    }
    const banned = this.bans.bannedUntil(peerId, Date.now());
    if (banned !== undefined)
      throw new P2pProtocolError(
        `peer ${peerId.slice(0, 18)}… is banned for ${banned - Date.now()} ms more (it exceeded its limits)`,
      );
    c.peerId = peerId;
    c.budget = new PeerBudget(this.limits, Date.now());
    c.decoder.limit = this.opts.maxFrameBytes + SEAL_OVERHEAD_BYTES;
    this.open(c);
  }

  private open(c: Connection): void {
    const peerId = c.peerId!;
    const existing = this.active.get(peerId);
    if (existing && existing !== c) {
      // Both ends dialed: keep the connection dialed by the lower id, so both ends keep the same one.
      const dialer = (x: Connection) => (x.outbound ? this.id : peerId);
      const keepNew = dialer(c) === dialer(existing) ? true : dialer(c) < dialer(existing);
      if (!keepNew) {
        this.close(c, 'duplicate connection', false);
        if (c.target) c.target.peerId = peerId;
        return;
      }
      this.active.delete(peerId);
      this.close(existing, 'replaced by a newer connection', false);
    }
    clearTimeout(c.timer);
    c.state = 'open';
    c.heard = true;
    this.active.set(peerId, c);
    if (c.target) {
      c.target.peerId = peerId;
      c.target.attempt = 0;
    }
    for (const t of this.targets) if (t.peerId === peerId) t.attempt = 0;
    this.log.info(
      { peer: peerId.slice(0, 18), remote: c.remoteAddress, outbound: c.outbound },
      'peer connected',
    );
    for (const h of this.peerHandlers) h(peerId, 'connected');
  }

  private reject(c: Connection, reason: string): void {
    if (c.state !== 'handshake') return;
    this.stats.handshakesRejected++;
    this.close(c, reason);
  }

  /** Sends a frame body; `count`: a node message (not a keepalive), counted in messagesOut. */
  private write(c: Connection, body: Uint8Array, count = true): boolean {
    if (c.state === 'closed' || c.socket.destroyed) return false;
    if (body.length > this.opts.maxFrameBytes) {
      this.log.warn({ bytes: body.length }, 'p2p: message larger than the frame limit not sent');
      return false;
    }
    if (c.socket.writableLength > this.opts.maxQueuedBytesPerPeer) {
      this.close(c, 'peer too slow: send queue over its limit');
      return false;
    }
    // Frames written in one tick leave in one syscall (gossip bursts: votes, many txs).
    if (!c.corked) {
      c.corked = true;
      c.socket.cork();
      process.nextTick(() => {
        c.corked = false;
        c.socket.uncork();
      });
    }
    // Everything after our hello is sealed (the session exists from the peer's hello on).
    const frame = encodeFrame(c.session ? c.session.send.seal(body) : body);
    this.stats.bytesOut += frame.length;
    c.socket.write(frame);
    if (c.state === 'open' && count) {
      c.messagesOut++;
      this.stats.messagesOut++;
    }
    return true;
  }

  private close(c: Connection, reason: string, warn = true): void {
    if (c.state === 'closed') return;
    const wasOpen = c.state === 'open';
    c.state = 'closed';
    clearTimeout(c.timer);
    const fields = { peer: c.peerId?.slice(0, 18), remote: c.remoteAddress, reason };
    if (warn && !this.stopped) this.log.warn(fields, 'p2p: closing connection');
    else this.log.debug(fields, 'p2p: closing connection');
    c.socket.destroy();
    if (wasOpen && c.peerId && this.active.get(c.peerId) === c) {
      this.active.delete(c.peerId);
      for (const h of this.peerHandlers) h(c.peerId, 'disconnected');
    }
  }

  private onClosed(c: Connection): void {
    this.close(c, 'socket closed', false);
    this.conns.delete(c);
    if (this.stopped) return;
    const t = c.target;
    if (t && t.conn === c) {
      t.conn = undefined;
      this.scheduleDial(t, this.backoffDelay(t));
    }
    // An inbound connection from a peer we also dial dropped: redial that peer soon.
    if (!c.outbound && c.peerId) {
      for (const x of this.targets) {
        if (x.peerId === c.peerId && !x.conn && !this.active.has(c.peerId))
          this.scheduleDial(x, this.backoffDelay(x));
      }
    }
  }
}
