// A Byzantine validator process for the fault tests. It holds a real validator key (from a testnet home
// whose node is not started), connects to the honest validators with the p2p package's own handshake
// (ephemeral X25519, the transcript signed with the key, frames sealed), and then misbehaves on command.
// Commands come one per line on stdin; each prints one JSON line on stdout with what was sent and what
// the honest side did:
//   equivocate N     N heights of conflicting prevotes and precommits (block A to some peers, B or nil
//                    to others, all to some), signed with the validator key
//   proposals        two different signed proposals for a round this validator proposes
//   far              votes far in the future (height +1000, height 2^50, round +200)
//   oversize         a frame above the limit after the handshake, and one above 1 KiB before it
//   replay           a recorded hello+auth replayed on a new connection, a reflected hello, a second
//                    hello inside an open channel
//   lie on|off       announce height 2^62 every 500 ms, answer no block request, and vote along with
//                    the honest validators (so the chain commits with one honest validator down)
//   report           counters so far
// Usage: node --import tsx byzantine-peer.ts HOME PORT...
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { type Socket, connect as tcpConnect } from 'node:net';
import { createInterface } from 'node:readline';
import { toHex } from '@gridledger/base';
import {
  buildBlock,
  type ConsensusMessage,
  decodeMessage as decodeConsensus,
  encodeMessage as encodeConsensus,
  hashBlock,
  ProposerSchedule,
  proposalSignBytes,
  signEd25519,
  type Vote,
  type VoteType,
  voteSignBytes,
} from '@gridledger/consensus';
import {
  DEFAULT_MAX_FRAME_BYTES,
  decodeMessage,
  deriveSession,
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  type HandshakeSession,
  type HelloMessage,
  newEphemeralKeyPair,
  P2P_PROTOCOL_VERSION,
  type PeerMessage,
  PRE_HANDSHAKE_MAX_FRAME_BYTES,
  SEAL_OVERHEAD_BYTES,
  verifyAuth,
  type WireMessage,
} from '@gridledger/p2p';
import { genesisValidatorSet, loadHome } from '../src/index.ts';

const home = loadHome(process.argv[2]!);
const ports = process.argv.slice(3).map(Number);
const chainId = home.genesis.chainId;
const key = home.nodeKey;
const validators = genesisValidatorSet(home.genesis);
const me = validators.validators.findIndex((v) => toHex(v.publicKey) === toHex(key.publicKey));
if (me < 0) throw new Error('byzantine-peer: the home key is not a validator');

const randomBytes = (n: number) => new Uint8Array(nodeRandomBytes(n));

const counters = {
  connections: 0,
  handshakes: 0,
  conflictingVotes: 0,
  proposals: 0,
  farMessages: 0,
  oversizedFrames: 0,
  replays: 0,
  lies: 0,
  alongVotes: 0,
  blockRequestsIgnored: 0,
  closedByPeer: 0,
};

/** The highest status height heard, the round seen at the next height, and its proposals' block hashes. */
const view = { height: 0n, round: 0, proposals: new Map<string, Uint8Array>() };
let lying = false;
const alongVoted = new Set<string>();

/** One connection to an honest validator, its handshake done by hand with the p2p package's parts. */
class Channel {
  readonly port: number;
  readonly socket: Socket;
  readonly decoder = new FrameDecoder(PRE_HANDSHAKE_MAX_FRAME_BYTES);
  readonly ephemeral = newEphemeralKeyPair();
  session: HandshakeSession | undefined;
  theirHello: HelloMessage | undefined;
  /** Raw frames we wrote during the handshake (to replay them). */
  readonly handshakeFrames: Uint8Array[] = [];
  open = false;
  closed = false;
  readonly opened: Promise<void>;
  readonly closedP: Promise<void>;
  private resolveOpen!: () => void;

  constructor(port: number, opts: { handshake?: boolean } = {}) {
    this.port = port;
    counters.connections++;
    this.opened = new Promise((r) => (this.resolveOpen = r));
    this.socket = tcpConnect({ host: '127.0.0.1', port });
    this.closedP = new Promise((r) =>
      this.socket.on('close', () => {
        if (!this.closed) counters.closedByPeer++;
        this.closed = true;
        r();
      }),
    );
    this.socket.on('error', () => {});
    if (opts.handshake !== false)
      this.socket.once('connect', () =>
        this.writeRaw(
          encodeMessage({
            kind: 'hello',
            version: P2P_PROTOCOL_VERSION,
            chainId,
            ephemeralKey: this.ephemeral.publicKey,
          }),
          true,
        ),
      );
    this.socket.on('data', (chunk: Buffer) => {
      if (opts.handshake === false) return;
      this.decoder.append(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      try {
        for (let f = this.decoder.next(); f !== undefined; f = this.decoder.next()) this.onFrame(f);
      } catch (err) {
        process.stderr.write(`byzantine-peer: ${port}: ${(err as Error).message}\n`);
        this.socket.destroy();
      }
    });
  }

  private writeRaw(body: Uint8Array, record: boolean): void {
    const frame = encodeFrame(this.session ? this.session.send.seal(body) : body);
    if (record) this.handshakeFrames.push(frame);
    this.socket.write(frame);
  }

  send(msg: WireMessage): void {
    if (!this.open || this.closed) return;
    this.writeRaw(encodeMessage(msg), false);
  }

  private onFrame(frame: Uint8Array): void {
    if (!this.theirHello) {
      const hello = decodeMessage(frame);
      if (hello.kind !== 'hello') throw new Error(`expected hello, got ${hello.kind}`);
      this.theirHello = hello;
      this.session = deriveSession({
        version: P2P_PROTOCOL_VERSION,
        chainId,
        own: this.ephemeral,
        theirEphemeral: hello.ephemeralKey,
        validatorSecretKey: key.secretKey,
      });
      this.writeRaw(
        encodeMessage({ kind: 'auth', publicKey: key.publicKey, signature: this.session.signature }),
        true,
      );
      return;
    }
    const msg = decodeMessage(this.session!.receive.open(frame));
    if (!this.open) {
      if (msg.kind !== 'auth') throw new Error(`expected auth, got ${msg.kind}`);
      if (!verifyAuth(this.session!.transcript, this.theirHello.ephemeralKey, msg.publicKey, msg.signature))
        throw new Error('peer auth does not verify');
      this.open = true;
      this.decoder.limit = DEFAULT_MAX_FRAME_BYTES + SEAL_OVERHEAD_BYTES;
      counters.handshakes++;
      this.resolveOpen();
      return;
    }
    // The keepalive: answered as an honest transport does (the node drops a silent connection).
    if (msg.kind === 'ping') this.send({ kind: 'pong' });
    else if (msg.kind !== 'pong') onPeerMessage(msg as PeerMessage);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

function onPeerMessage(msg: PeerMessage): void {
  if (msg.kind === 'status') {
    if (msg.height > view.height) {
      view.height = msg.height;
      view.round = 0;
      view.proposals.clear();
    }
    return;
  }
  if (msg.kind === 'block-request') {
    counters.blockRequestsIgnored++;
    return; // a liar never backs what it announced
  }
  if (msg.kind !== 'vote' && msg.kind !== 'proposal') return;
  let m: ConsensusMessage;
  try {
    m = decodeConsensus(msg.data);
  } catch {
    return;
  }
  const h = m.kind === 'vote' ? m.vote.height : m.proposal.height;
  const r = m.kind === 'vote' ? m.vote.round : m.proposal.round;
  if (h > view.height + 1n) {
    view.height = h - 1n;
    view.round = 0;
    view.proposals.clear();
  }
  if (h === view.height + 1n && r > view.round) view.round = r;
  if (m.kind === 'proposal' && h === view.height + 1n) {
    const hash = hashBlock(m.proposal.block.header);
    view.proposals.set(`${r}`, hash);
    if (lying) voteAlong('prevote', h, r, hash);
  }
  // Tendermint needs 2/3 of the power to vote, even for nil, to move on: the liar echoes honest votes.
  if (m.kind === 'vote' && lying && m.vote.validatorIndex !== me)
    voteAlong(m.vote.type, h, r, m.vote.blockHash);
}

function vote(type: VoteType, height: bigint, round: number, blockHash: Uint8Array | null): Vote {
  return {
    type,
    height,
    round,
    blockHash,
    validatorIndex: me,
    signature: signEd25519(voteSignBytes(chainId, { type, height, round, blockHash }), key.secretKey),
  };
}

const voteMsg = (v: Vote): PeerMessage => ({
  kind: 'vote',
  data: encodeConsensus({ kind: 'vote', vote: v }),
});

/** Signs what an honest validator signed at (h, r, type), once: the chain stays live with one honest down. */
function voteAlong(type: VoteType, h: bigint, r: number, hash: Uint8Array | null): void {
  const k = `${h}/${r}/${type}`;
  if (alongVoted.has(k)) return;
  alongVoted.add(k);
  const m = voteMsg(vote(type, h, r, hash));
  for (const c of channels) c.send(m);
  counters.alongVotes++;
}

let channels: Channel[] = [];

async function connectAll(): Promise<void> {
  channels = channels.filter((c) => !c.closed);
  for (const port of ports)
    if (!channels.some((c) => c.port === port)) {
      const c = new Channel(port);
      channels.push(c);
    }
  await Promise.race([Promise.all(channels.map((c) => c.opened)), sleep(20_000)]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitNextHeight(from: bigint, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (view.height <= from && Date.now() - t0 < timeoutMs) await sleep(100);
}

/** Whether the peer closed `c` within `ms`. */
async function closedWithin(c: Channel, ms: number): Promise<boolean> {
  await Promise.race([c.closedP, sleep(ms)]);
  return c.closed;
}

const commands: Record<string, (arg: string | undefined) => Promise<Record<string, unknown>>> = {
  async equivocate(arg) {
    const n = Number(arg ?? 3);
    const heights: string[] = [];
    for (let i = 0; i < n; i++) {
      await connectAll();
      const h = view.height + 1n;
      const r = view.round;
      const real = view.proposals.get(`${r}`) ?? randomBytes(32);
      const a = randomBytes(32);
      for (const type of ['prevote', 'precommit'] as const) {
        const variants = [vote(type, h, r, real), vote(type, h, r, a), vote(type, h, r, null)];
        // A different value to each peer first (split-view), then every value to every peer.
        for (const [j, c] of channels.entries()) c.send(voteMsg(variants[j % variants.length]!));
        for (const c of channels) for (const v of variants) c.send(voteMsg(v));
        counters.conflictingVotes += variants.length;
      }
      heights.push(`${h}/${r}`);
      await waitNextHeight(h - 1n);
    }
    return { heights, open: channels.filter((c) => c.open && !c.closed).length };
  },

  async proposals() {
    await connectAll();
    const h = view.height + 1n;
    const schedule = new ProposerSchedule(validators);
    schedule.advanceTo(h);
    let round = -1;
    for (let r = view.round; r < view.round + 8; r++)
      if (schedule.proposer(h, r) === me) {
        round = r;
        break;
      }
    if (round < 0) return { error: `validator ${me} proposes no round of ${h} soon` };
    const make = (tag: number) => {
      const block = buildBlock({
        chainId,
        height: h,
        timeMs: BigInt(Date.now()) + BigInt(tag),
        proposer: key.publicKey,
        lastBlockHash: randomBytes(32),
        appHash: randomBytes(32),
        validators,
        lastCommit: null,
        txs: [new TextEncoder().encode(`byzantine=${tag}`)],
      });
      const blockHash = hashBlock(block.header);
      const signature = signEd25519(
        proposalSignBytes(chainId, { height: h, round, polRound: -1, blockHash }),
        key.secretKey,
      );
      const data = encodeConsensus({
        kind: 'proposal',
        proposal: { height: h, round, polRound: -1, block, signature },
      });
      return { kind: 'proposal', data } as PeerMessage;
    };
    const pa = make(1);
    const pb = make(2);
    for (const c of channels) {
      c.send(pa);
      c.send(pb);
      counters.proposals += 2;
    }
    await sleep(1000);
    return { height: h.toString(), round, open: channels.filter((c) => c.open && !c.closed).length };
  },

  async far() {
    await connectAll();
    const h = view.height + 1n;
    const outcomes: Record<string, boolean> = {};
    // Height +1000 and 2^50: dropped unverified, no blame (a peer ahead of us sends such).
    for (const c of channels) {
      c.send(voteMsg(vote('prevote', h + 1000n, 0, randomBytes(32))));
      c.send(voteMsg(vote('precommit', 1n << 50n, 0, randomBytes(32))));
      counters.farMessages += 2;
    }
    await sleep(1500);
    outcomes.farHeightClosed = channels.some((c) => c.closed);
    // A round far beyond MAX_ROUNDS_AHEAD (100) at the current and the next height: refused and the sender
    // disconnected (whichever of the two the peer is deciding by now).
    const c0 = channels[0]!;
    const now = view.height + 1n; // the chain moved on during the wait above
    c0.send(voteMsg(vote('prevote', now, view.round + 200, randomBytes(32))));
    c0.send(voteMsg(vote('prevote', now + 1n, view.round + 200, randomBytes(32))));
    counters.farMessages += 2;
    outcomes.farRoundClosed = await closedWithin(c0, 5000);
    return outcomes;
  },

  async oversize() {
    await connectAll();
    const c = channels[0]!;
    // Declared length above the limit, then the bytes themselves: the decoder refuses at the header.
    const big = new Uint8Array(DEFAULT_MAX_FRAME_BYTES + SEAL_OVERHEAD_BYTES + 1024);
    new DataView(big.buffer).setUint32(0, big.length - 4, false);
    c.socket.write(big);
    counters.oversizedFrames++;
    const afterHandshake = await closedWithin(c, 5000);
    // Before the handshake: 2 KiB where the hello (~70 bytes) is expected.
    const raw = new Channel(ports[0]!, { handshake: false });
    await new Promise<void>((r) => raw.socket.once('connect', () => r()));
    raw.socket.write(encodeFrame(randomBytes(2048)));
    counters.oversizedFrames++;
    const beforeHandshake = await closedWithin(raw, 5000);
    return { afterHandshake, beforeHandshake };
  },

  async replay() {
    await connectAll();
    const first = channels[0]!;
    // 1. Our recorded hello + sealed auth, byte for byte, on a fresh connection.
    const again = new Channel(first.port, { handshake: false });
    await new Promise<void>((r) => again.socket.once('connect', () => r()));
    for (const f of first.handshakeFrames) again.socket.write(f);
    counters.replays++;
    const replayed = await closedWithin(again, 5000);
    // 2. The honest node's own hello reflected back to it.
    const mirror = new Channel(first.port, { handshake: false });
    const hello = await new Promise<Uint8Array>((resolve) =>
      mirror.socket.once('data', (b: Buffer) => resolve(new Uint8Array(b))),
    );
    mirror.socket.write(hello);
    counters.replays++;
    const reflected = await closedWithin(mirror, 5000);
    // 3. A second hello inside an open channel.
    first.send({
      kind: 'hello',
      version: P2P_PROTOCOL_VERSION,
      chainId,
      ephemeralKey: newEphemeralKeyPair().publicKey,
    });
    counters.replays++;
    const helloInChannel = await closedWithin(first, 5000);
    return { replayed, reflected, helloInChannel };
  },

  async lie(arg) {
    lying = arg !== 'off';
    await connectAll();
    return { lying };
  },

  async report() {
    return { ...counters, height: view.height.toString(), validatorIndex: me };
  },
};

setInterval(() => {
  if (!lying) return;
  for (const c of channels) {
    c.send({ kind: 'status', height: 1n << 62n, latestHash: randomBytes(32) });
    counters.lies++;
  }
  // Reconnect to peers that dropped us.
  if (channels.some((c) => c.closed)) void connectAll();
}, 500).unref();

process.on('uncaughtException', (err) => {
  process.stderr.write(`byzantine-peer: uncaught ${err.stack}\n`);
});

const rl = createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  queue = queue.then(async () => {
    const f = commands[cmd ?? ''];
    const result = f
      ? await f(arg).catch((err) => ({ error: (err as Error).message }))
      : { error: 'unknown' };
    process.stdout.write(`${JSON.stringify({ cmd, ...result })}\n`);
  });
});
rl.on('close', () => {
  for (const c of channels) c.close();
  process.exit(0);
});
await connectAll();
process.stdout.write(`${JSON.stringify({ cmd: 'ready', handshakes: counters.handshakes, me })}\n`);
