// Deterministic in-process network simulator for consensus: every validator runs the real
// ConsensusDriver (src/driver.ts) over the real ConsensusMachine, with real ed25519 signatures and a
// hash-chain application. This file implements only the driver's ports, in simulation: a simulated clock
// (deterministic timers on one event queue), a simulated network (a seeded PRNG drives message delays,
// drops, duplicates and partitions that heal; a seen-filter as in p2p), an in-memory WAL and chain that
// survive crashes (a crash cuts the node at a random point among its next few effects and restarts it from
// what it persisted), a status-based block sync like the node's, and Byzantine validators that
// equivocate. Messages cross the network as canonical bytes. Same seed, same run.
import { concatBytes, toHex } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { ChainVerifier } from '../src/chain-verifier.ts';
import { decodeEvidence, decodeMessage, encodeEvidence, encodeMessage, hashBlock } from '../src/codec.ts';
import { ConsensusDriver } from '../src/driver.ts';
import type {
  ChainTipView,
  ConsensusLogger,
  ConsensusPorts,
  ConsensusWireMessage,
} from '../src/driver-ports.ts';
import { keySigner, type Signer } from '../src/ed25519.ts';
import type { Timeouts } from '../src/machine.ts';
import type { Block, CommitCertificate, ConsensusMessage, Evidence, ValidatorSet } from '../src/types.ts';
import { ValidatorHistory } from '../src/validator-history.ts';
import { verifyBlock, verifyBlockCommit } from '../src/verify.ts';
import { type AdversaryMode, Equivocator } from './sim-adversary.ts';
import { EventQueue, prng } from './sim-queue.ts';

export interface Partition {
  atMs: number;
  healAtMs: number;
  groups: number[][];
}

export interface Crash {
  node: number;
  /** When the crash is armed: the node then dies before one of its next 0-3 effects (writes or sends). */
  atMs: number;
  /** null: stays down. */
  restartAtMs: number | null;
}

export interface SimOptions {
  seed: number;
  n: number;
  powers?: bigint[];
  /** Stop once every live honest node has committed this many heights. */
  targetHeight: number;
  maxSimMs: number;
  dropRate: number;
  dupRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  byzantine: number[];
  crashes: Crash[];
  partitions: Partition[];
  /** The drivers' gossip interval (ConsensusDriverConfig.gossipIntervalMs); ticks drift by up to 50 ms. */
  gossipEveryMs: number;
  timeouts: Partial<Timeouts>;
  /**
   * How Byzantine validators equivocate: 'random' (default) sends a conflicting twin of 70% of their
   * messages to a random half of the peers; 'split' twins every message and always shows odd-indexed
   * peers the twin, even-indexed ones the original (the strongest split of the honest nodes).
   */
  adversary?: AdversaryMode;
  /** End the run at the first violation (for tests that expect one). */
  stopOnViolation?: boolean;
  /** Per-node clock offset in ms (what `nowMs` reads: a skewed or lying clock); default 0. */
  clockSkewMs?: number[];
  /** The drivers' block-time bounds (ConsensusDriverConfig; default the machine's, 5 s each). */
  maxFutureBlockTimeMs?: number;
  maxPastBlockTimeMs?: number;
}

interface PeerView {
  height: number;
  /** When this peer was first seen exactly one block ahead (the node's grace period before syncing). */
  aheadSinceMs: number | undefined;
}

interface NodeState {
  index: number;
  raw: Signer;
  byzantine: boolean;
  /** The running driver; null while the node is down. */
  driver: ConsensusDriver | null;
  incarnation: number;
  /** Durable (survives crashes): the write-ahead log by height, the chain, the evidence store. */
  wal: Map<bigint, Uint8Array[]>;
  chain: { block: Block; commit: CommitCertificate; appHash: Uint8Array }[];
  evidence: Evidence[];
  /** The validator set by height, from the evidence its chain committed (durable, as the node's store). */
  history: ValidatorHistory;
  /** Effects (writes and sends) still allowed before an armed crash cuts the node. */
  crashBudget: number | null;
  restarts: number;
  /** Volatile: hashes of what the node broadcast or relayed (p2p's seen-filter), peers' heights. */
  seen: Set<string>;
  peers: Map<number, PeerView>;
  syncAskedUpTo: number;
  syncAskedAtMs: number;
}

type SimEvent =
  | { kind: 'deliver'; to: number; from: number; message: ConsensusWireMessage }
  | { kind: 'status'; to: number; from: number; height: number }
  | { kind: 'syncAsk'; to: number; from: number; fromHeight: number; toHeight: number }
  | { kind: 'syncAnswer'; to: number; from: number; blocks: { block: Block; commit: CommitCertificate }[] }
  | { kind: 'call'; run: () => void }
  | { kind: 'heal'; index: number }
  | { kind: 'crash'; node: number }
  | { kind: 'restart'; node: number };

export interface SimResult {
  /** Violations of safety or certificate validity (must be empty). */
  violations: string[];
  /** Highest height committed by every live honest node. */
  committedHeight: number;
  /** Committed block hash per height (honest nodes agree). */
  blockHashes: Map<bigint, string>;
  /** For each partition heal: rounds it took until the next decision, and how long in sim ms. */
  heals: { healAtMs: number; decidedAtMs: number | null; roundsAfterHeal: number | null }[];
  evidence: Evidence[][];
  /** Per node: the validators its chain jailed (evidence committed) and from which height. */
  jails: { validatorIndex: number; fromHeight: bigint }[][];
  simMs: number;
  messages: number;
  restarts: number;
  /** Highest round in which a block was decided. */
  maxRound: number;
  /** Blocks applied by block sync rather than decided by the node's own consensus. */
  syncedBlocks: number;
  nodes: { height: number; chain: { block: Block; commit: CommitCertificate }[] }[];
  /** Where each node's driver stood at the end (undefined while down): for debugging a stuck run. */
  positions: ({ height: bigint; round: number; step: string } | undefined)[];
  /** Simulated time (ms) at which each height was first decided by an honest node, by height. */
  decisionTimesMs: number[];
  /** The validators' public keys, by index. */
  validatorKeys: Uint8Array[];
}

/** Simulated time 0 on the nodes' clocks (ms since the Unix epoch). */
export const EPOCH_MS = 1_700_000_000_000n;
export const CHAIN_ID = 'gl-sim';
/** Largest total of a block's transactions (the sim's proposals are a few bytes). */
const MAX_BLOCK_TX_BYTES = 1 << 20;
/** How often a node announces its height, and how often it checks whether to sync (as the node does). */
const STATUS_EVERY_MS = 1000;
const SYNC_TICK_MS = 100;
/** Most blocks asked for in one sync request (the node's SYNC_BATCH). */
const SYNC_BATCH = 20;

const silent: ConsensusLogger = {
  isLevelEnabled: () => false,
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Runs one simulation to completion (target height for all live honest nodes, or the time limit). The
 * drivers' promises are settled between events (in-memory ports, no I/O), so the run is deterministic.
 */
export async function simulate(o: SimOptions): Promise<SimResult> {
  const rnd = prng(o.seed);
  const signers = Array.from({ length: o.n }, (_, i) =>
    keySigner(sha256(new TextEncoder().encode(`sim/${i}`))),
  );
  const valset: ValidatorSet = {
    validators: signers.map((s, i) => ({ publicKey: s.publicKey, power: o.powers?.[i] ?? 1n })),
  };
  const genesisApp = sha256(new TextEncoder().encode('genesis'));
  const commitMs = o.timeouts.commitMs ?? 1000;
  const queue = new EventQueue<SimEvent>();
  const equivocator = new Equivocator(rnd, valset, CHAIN_ID, o.adversary ?? 'random');
  let seq = 0;
  let now = 0;
  let messages = 0;
  let syncedBlocks = 0;
  const at = (t: number, e: SimEvent) => queue.push({ t, seq: seq++, e });
  const violations: string[] = [];
  const committed = new Map<bigint, string>();
  const decidedAt = new Map<bigint, { t: number; round: number }>();
  let maxRound = 0;
  let lastDecisionMs = -1;

  const nodes: NodeState[] = signers.map((raw, index) => ({
    index,
    raw,
    byzantine: o.byzantine.includes(index),
    driver: null,
    incarnation: 0,
    wal: new Map(),
    chain: [],
    evidence: [],
    history: new ValidatorHistory(valset),
    crashBudget: null,
    restarts: 0,
    seen: new Set(),
    peers: new Map(),
    syncAskedUpTo: 0,
    syncAskedAtMs: -1e9,
  }));

  const partitionOf = (t: number): Partition | undefined =>
    o.partitions.find((p) => t >= p.atMs && t < p.healAtMs);
  const connected = (a: number, b: number, t: number): boolean => {
    const p = partitionOf(t);
    if (p === undefined) return true;
    return p.groups.some((g) => g.includes(a) && g.includes(b));
  };
  const delay = () => o.minDelayMs + Math.floor(rnd() * (o.maxDelayMs - o.minDelayMs + 1));

  function send(from: number, to: number, e: SimEvent): void {
    if (!connected(from, to, now)) return;
    if (rnd() < o.dropRate) return;
    messages++;
    at(now + delay(), e);
    if (rnd() < o.dupRate) at(now + delay(), e);
  }

  /**
   * The clock of one incarnation of a node: `after` and `every` put callbacks on the one event queue
   * (`every` drifts by up to 50 ms); nothing fires once the node crashed.
   */
  function clockFor(node: NodeState): ConsensusPorts['clock'] {
    const inc = node.incarnation;
    return {
      nowMs: () => EPOCH_MS + BigInt(now + (o.clockSkewMs?.[node.index] ?? 0)),
      after(delayMs, callback) {
        let cancelled = false;
        at(now + delayMs, { kind: 'call', run: () => cancelled || node.incarnation !== inc || callback() });
        return () => {
          cancelled = true;
        };
      },
      every(intervalMs, callback) {
        let cancelled = false;
        const tick = () => {
          if (cancelled || node.incarnation !== inc) return;
          callback();
          at(now + intervalMs + Math.floor(rnd() * 50), { kind: 'call', run: tick });
        };
        at(now + Math.floor(rnd() * intervalMs), { kind: 'call', run: tick });
        return () => {
          cancelled = true;
        };
      },
    };
  }

  const tipOf = (node: NodeState): ChainTipView => {
    const last = node.chain[node.chain.length - 1];
    return {
      height: BigInt(node.chain.length),
      header: last?.block.header ?? null,
      cert: last?.commit ?? null,
      appHash: last?.appHash ?? genesisApp,
    };
  };

  function sendWire(from: number, to: number, message: ConsensusWireMessage): void {
    send(from, to, { kind: 'deliver', to, from, message });
  }

  /** A Byzantine node's broadcast: a conflicting twin of some messages to some peers. */
  function byzantineBroadcast(node: NodeState, wire: ConsensusWireMessage, others: number[]): void {
    const m = decodeMessage(wire.data);
    const twinOf = (x: ConsensusMessage): ConsensusWireMessage => {
      const t = equivocator.twin(node.raw, x);
      return { kind: t.kind, data: encodeMessage(t) } as ConsensusWireMessage;
    };
    if (o.adversary === 'split') {
      // Always equivocate, and always show the same half of the network the same version.
      const twin = twinOf(m);
      for (const to of others) sendWire(node.index, to, to % 2 === 1 ? twin : wire);
      return;
    }
    const twin = rnd() < 0.7 ? twinOf(m) : null;
    for (const to of others) sendWire(node.index, to, twin !== null && rnd() < 0.5 ? twin : wire);
  }

  function onDecide(node: NodeState, block: Block, commit: CommitCertificate): void {
    const h = block.header.height;
    const round = commit.round;
    if (round > maxRound) maxRound = round;
    const hashHex = toHex(hashBlock(block.header));
    if (node.byzantine) return;
    if (BigInt(node.chain.length + 1) !== h)
      violations.push(`node ${node.index} decided height ${h} with ${node.chain.length} blocks committed`);
    const c = verifyBlockCommit(block, commit, node.history.validatorsAt(h), CHAIN_ID);
    if (!c.ok) violations.push(`node ${node.index} height ${h}: certificate rejected: ${c.reason}`);
    if (block.txs.some((t) => t[0] === 0xff))
      violations.push(`node ${node.index} height ${h}: decided an invalid block`);
    const prior = committed.get(h);
    lastDecisionMs = now;
    if (prior === undefined) {
      committed.set(h, hashHex);
      decidedAt.set(h, { t: now, round });
    } else if (prior !== hashHex)
      violations.push(`SAFETY: height ${h}: node ${node.index} committed ${hashHex}, another ${prior}`);
  }

  /** Appends a block to the node's durable chain (the hash-chain application executes it). */
  function append(node: NodeState, block: Block, commit: CommitCertificate): void {
    const prev = node.chain[node.chain.length - 1]?.appHash ?? genesisApp;
    const appHash = sha256(concatBytes(prev, ...block.txs.map((t) => sha256(t))));
    node.chain.push({ block, commit, appHash });
    node.history.apply(block.header.height, block.evidence ?? []);
  }

  function broadcastStatus(node: NodeState): void {
    for (const to of nodes)
      if (to.index !== node.index)
        send(node.index, to.index, {
          kind: 'status',
          to: to.index,
          from: node.index,
          height: node.chain.length,
        });
  }

  /** The node's block sync: asks the highest peer ahead, at once if 2+ blocks ahead, after a grace if 1. */
  function syncTick(node: NodeState): void {
    const tip = node.chain.length;
    let best: [number, number] | undefined;
    for (const [id, s] of node.peers) {
      if (s.height <= tip) {
        s.aheadSinceMs = undefined;
        continue;
      }
      if (s.height === tip + 1) {
        s.aheadSinceMs ??= now;
        if (now - s.aheadSinceMs < commitMs + 1000) continue;
      }
      if (best === undefined || s.height > best[1]) best = [id, s.height];
    }
    if (best === undefined) return;
    const from = tip + 1;
    if (node.syncAskedUpTo >= from && now - node.syncAskedAtMs < 1000) return;
    const to = Math.min(best[1], from + SYNC_BATCH - 1);
    node.syncAskedUpTo = to;
    node.syncAskedAtMs = now;
    send(node.index, best[0], {
      kind: 'syncAsk',
      to: best[0],
      from: node.index,
      fromHeight: from,
      toHeight: to,
    });
  }

  /** A block from sync: certificate and link checked as the node does, then committed as source `sync`. */
  function applySynced(node: NodeState, block: Block, commit: CommitCertificate): boolean {
    const h = block.header.height;
    if (h !== BigInt(node.chain.length + 1)) return false;
    const tip = tipOf(node);
    const c = verifyBlockCommit(block, commit, node.history.validatorsAt(h), CHAIN_ID);
    const link = verifyBlock(block, {
      chainId: CHAIN_ID,
      validators: node.history.validatorsAt(h),
      previousValidators: node.history.validatorsAt(h > 1n ? h - 1n : 1n),
      history: node.history,
      previous: tip.header,
      appHash: tip.appHash,
    });
    if (!c.ok || !link.ok) return false;
    const hashHex = toHex(hashBlock(block.header));
    const prior = committed.get(h);
    if (!node.byzantine && prior !== undefined && prior !== hashHex)
      violations.push(
        `SAFETY: height ${h}: node ${node.index} synced ${hashHex}, another committed ${prior}`,
      );
    append(node, block, commit);
    syncedBlocks++;
    node.driver?.onCommitted(h, 'sync');
    return true;
  }

  function crash(node: NodeState): void {
    node.crashBudget = null;
    node.driver?.stop();
    node.driver = null;
    node.incarnation++;
    node.seen.clear();
    node.peers.clear();
  }

  /** The driver's ports for one incarnation of a node: everything it does goes through {@link effect}. */
  function portsFor(node: NodeState): ConsensusPorts {
    const inc = node.incarnation;
    /** True when a write or send may happen; an armed crash cuts the node before one of its next effects. */
    const effect = (): boolean => {
      if (node.incarnation !== inc || node.driver === null) return false;
      if (node.crashBudget !== null && node.crashBudget-- <= 0) {
        crash(node);
        return false;
      }
      return true;
    };
    const others = () => nodes.filter((x) => x.index !== node.index).map((x) => x.index);
    const never = new Promise<never>(() => {});
    return {
      chain: {
        tip: () => tipOf(node),
        commitDecided(block, commit) {
          onDecide(node, block, commit);
          // Executing and saving the block takes 2 ms; a crash before that loses it (the WAL keeps the lock).
          return new Promise((resolve) =>
            at(now + 2, {
              kind: 'call',
              run: () => {
                if (!effect()) return;
                const h = block.header.height;
                if (h !== BigInt(node.chain.length + 1)) return resolve(false);
                append(node, block, commit);
                node.driver?.onCommitted(h, 'consensus');
                broadcastStatus(node);
                resolve(true);
              },
            }),
          );
        },
      },
      store: {
        async appendWal(height, entry) {
          if (!effect()) return never;
          const list = node.wal.get(height) ?? [];
          list.push(entry);
          node.wal.set(height, list);
          return list.length - 1;
        },
        async loadWal(height) {
          return [...(node.wal.get(height) ?? [])];
        },
        async pruneWal(height) {
          for (const h of [...node.wal.keys()]) if (h < height) node.wal.delete(h);
        },
        async saveEvidence(_id, bytes) {
          if (!effect()) return never;
          node.evidence.push(decodeEvidence(bytes));
        },
        async listEvidence() {
          return node.evidence.map((e) => ({ evidence: encodeEvidence(e) }));
        },
      },
      txs: { reap: () => [] },
      app: {
        prepareProposal({ height }) {
          // The hash-chain application proposes a few made-up transactions, 1 ms later.
          const txs: Uint8Array[] = [];
          const k = Math.floor(rnd() * 4);
          for (let i = 0; i < k; i++)
            txs.push(new Uint8Array([node.index, Number(height % 256n), i, Math.floor(rnd() * 256)]));
          return new Promise((resolve) => at(now + 1, { kind: 'call', run: () => resolve(txs) }));
        },
        processProposal({ txs }) {
          // It rejects any block holding a transaction that starts with 0xff.
          const valid = !txs.some((t) => t[0] === 0xff);
          return new Promise((resolve) => at(now + 1, { kind: 'call', run: () => resolve(valid) }));
        },
      },
      network: {
        broadcast(message) {
          if (!effect()) return;
          node.seen.add(wireKey(message));
          if (node.byzantine) byzantineBroadcast(node, message, others());
          else for (const to of others()) sendWire(node.index, to, message);
        },
        relay(message, fromPeer) {
          if (!effect()) return;
          node.seen.add(wireKey(message));
          for (const to of others()) if (String(to) !== fromPeer) sendWire(node.index, to, message);
        },
        send(peer, message) {
          if (effect()) sendWire(node.index, Number(peer), message);
        },
        disconnect() {
          // A full mesh without connections to drop: the peer's later messages still arrive.
        },
        peerCount: () => nodes.filter((x) => x.index !== node.index && x.driver !== null).length,
      },
      clock: clockFor(node),
      log: silent,
    };
  }

  function boot(node: NodeState): void {
    node.incarnation++;
    const driver = new ConsensusDriver(
      {
        chainId: CHAIN_ID,
        validators: valset,
        genesisTimeMs: EPOCH_MS,
        signer: node.raw,
        timeouts: o.timeouts,
        maxBlockTxBytes: MAX_BLOCK_TX_BYTES,
        gossipIntervalMs: o.gossipEveryMs,
        history: node.history,
        ...(o.maxFutureBlockTimeMs === undefined ? {} : { maxFutureBlockTimeMs: o.maxFutureBlockTimeMs }),
        ...(o.maxPastBlockTimeMs === undefined ? {} : { maxPastBlockTimeMs: o.maxPastBlockTimeMs }),
      },
      portsFor(node),
    );
    node.driver = driver;
    void driver.start();
    const clock = clockFor(node);
    clock.every(STATUS_EVERY_MS, () => broadcastStatus(node));
    clock.every(SYNC_TICK_MS, () => syncTick(node));
  }

  // Schedule faults.
  for (const c of o.crashes) {
    at(c.atMs, { kind: 'crash', node: c.node });
    if (c.restartAtMs !== null) at(c.restartAtMs, { kind: 'restart', node: c.node });
  }
  o.partitions.forEach((p, index) => {
    at(p.healAtMs, { kind: 'heal', index });
  });
  const healState: { height: bigint; round: number }[] = [];
  for (const n of nodes) boot(n);

  const permanentlyDown = new Set(o.crashes.filter((c) => c.restartAtMs === null).map((c) => c.node));
  const live = nodes.filter((x) => !x.byzantine && !permanentlyDown.has(x.index));
  // Done when every live honest node reached the target and a block was decided after every heal.
  const lastHealMs = Math.max(0, ...o.partitions.map((p) => p.healAtMs));
  const done = () => live.every((x) => x.chain.length >= o.targetHeight) && lastDecisionMs >= lastHealMs;
  // The drivers' continuations (in-memory ports resolve at once) all run before the next event.
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  await settle();
  while (queue.size > 0 && now <= o.maxSimMs && !done() && !(o.stopOnViolation && violations.length > 0)) {
    const q = queue.pop()!;
    now = q.t;
    const e = q.e;
    switch (e.kind) {
      case 'call':
        e.run();
        break;
      case 'deliver': {
        const node = nodes[e.to]!;
        if (node.driver === null) break;
        // As p2p does: drop what this node sent or relayed before (echoes, repeats of what it took).
        if (node.seen.has(wireKey(e.message))) break;
        if (node.byzantine && e.message.kind === 'proposal') {
          const p = decodeMessage(e.message.data);
          if (p.kind === 'proposal')
            equivocator.remember(p.proposal.height, p.proposal.round, hashBlock(p.proposal.block.header));
        }
        node.driver.onPeerMessage(e.message, String(e.from));
        break;
      }
      case 'status': {
        const node = nodes[e.to]!;
        if (node.driver === null) break;
        const s = node.peers.get(e.from) ?? { height: 0, aheadSinceMs: undefined };
        if (e.height !== s.height) s.aheadSinceMs = undefined;
        s.height = e.height;
        node.peers.set(e.from, s);
        break;
      }
      case 'syncAsk': {
        const node = nodes[e.to]!;
        if (node.driver === null) break;
        const blocks = node.chain
          .slice(e.fromHeight - 1, Math.min(e.toHeight, e.fromHeight + SYNC_BATCH - 1))
          .map(({ block, commit }) => ({ block, commit }));
        if (blocks.length > 0)
          send(node.index, e.from, { kind: 'syncAnswer', to: e.from, from: node.index, blocks });
        break;
      }
      case 'syncAnswer': {
        const node = nodes[e.to]!;
        if (node.driver === null) break;
        for (const b of e.blocks) if (!applySynced(node, b.block, b.commit)) break;
        break;
      }
      case 'heal': {
        let height = 0n;
        let round = 0;
        for (const x of nodes) {
          const pos = x.driver?.position();
          if (x.byzantine || pos === undefined) continue;
          if (pos.height > height) {
            height = pos.height;
            round = 0;
          }
          if (pos.height === height && pos.round > round) round = pos.round;
        }
        healState[e.index] = { height, round };
        break;
      }
      case 'crash': {
        // Armed: the node dies before one of its next few effects (a write or a send).
        const node = nodes[e.node]!;
        if (node.driver !== null) node.crashBudget = Math.floor(rnd() * 4);
        break;
      }
      case 'restart': {
        const node = nodes[e.node]!;
        node.crashBudget = null;
        if (node.driver === null) {
          node.restarts++;
          boot(node);
        }
        break;
      }
    }
    await settle();
  }
  const positions = nodes.map((n) => n.driver?.position());
  for (const n of nodes) n.driver?.stop();

  // Whole-chain checks of every honest node.
  for (const n of nodes) {
    if (n.byzantine) continue;
    const v = new ChainVerifier(CHAIN_ID, valset);
    for (const { block, commit } of n.chain) v.push(block, commit);
    const r = v.result();
    if (!r.ok) violations.push(`node ${n.index}: chain check failed at ${r.height}: ${r.reason}`);
  }

  const heals = o.partitions.map((p, i) => {
    const s = healState[i];
    let first: { h: bigint; t: number; round: number } | null = null;
    for (const [h, d] of decidedAt)
      if (d.t >= p.healAtMs && (first === null || d.t < first.t)) first = { h, ...d };
    const roundsAfterHeal =
      first === null || s === undefined
        ? null
        : first.h === s.height
          ? Math.max(0, first.round - s.round)
          : 0;
    return { healAtMs: p.healAtMs, decidedAtMs: first?.t ?? null, roundsAfterHeal };
  });
  return {
    violations,
    committedHeight: Math.min(...live.map((x) => x.chain.length)),
    blockHashes: new Map([...committed].map(([h, x]) => [h, x])),
    heals,
    evidence: nodes.map((x) => x.evidence),
    jails: nodes.map((x) =>
      x.history.jails().map((j) => ({ validatorIndex: j.validatorIndex, fromHeight: j.fromHeight })),
    ),
    simMs: now,
    messages,
    restarts: nodes.reduce((s, x) => s + x.restarts, 0),
    maxRound,
    syncedBlocks,
    nodes: nodes.map((x) => ({
      height: x.chain.length,
      chain: x.chain.map(({ block, commit }) => ({ block, commit })),
    })),
    positions,
    validatorKeys: signers.map((s) => s.publicKey),
    decisionTimesMs: [...decidedAt.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, d]) => d.t),
  };
}

const wireKeys = new WeakMap<Uint8Array, string>();
/** The p2p seen-filter's key of a message: the hash of its bytes (p2p hashes the whole frame). */
function wireKey(m: ConsensusWireMessage): string {
  let key = wireKeys.get(m.data);
  if (key === undefined) {
    key = `${m.kind}:${toHex(sha256(m.data))}`;
    wireKeys.set(m.data, key);
  }
  return key;
}

const TIMEOUTS = {
  proposeMs: 300,
  proposeDeltaMs: 100,
  prevoteMs: 150,
  prevoteDeltaMs: 50,
  precommitMs: 150,
  precommitDeltaMs: 50,
  commitMs: 50,
};

/** The seeded fault scenario the simulation tests use (see simulation.test.ts). */
export function scenario(seed: number, n: number, target: number, powers?: bigint[]): SimOptions {
  const r = prng(seed * 7919 + n);
  // Faulty validators are chosen among those of the smallest power (their sum must stay below 1/3).
  const small = Array.from({ length: n }, (_, i) => i).filter((i) => (powers?.[i] ?? 1n) === 1n);
  const byz = small[Math.floor(r() * small.length)]!;
  let crashNode = small[Math.floor(r() * small.length)]!;
  if (crashNode === byz) crashNode = small[(small.indexOf(byz) + 1) % small.length]!;
  const crashAt = 500 + Math.floor(r() * 4000);
  // With n = 4 the Byzantine and the crashed validator together exceed f = 1: the crashed one must come
  // back for liveness (safety holds regardless). With n = 7 (f = 2) some seeds never restart it.
  const restart = n < 7 || r() < 0.6;
  const partAt = 6000 + Math.floor(r() * 4000);
  const ids = Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
  const cut = 1 + Math.floor(r() * (n - 1));
  const partition: Partition = {
    atMs: partAt,
    healAtMs: partAt + 2000 + Math.floor(r() * 6000),
    groups: [ids.slice(0, cut), ids.slice(cut)],
  };
  return {
    seed,
    n,
    ...(powers ? { powers } : {}),
    targetHeight: target,
    maxSimMs: 400_000,
    dropRate: 0.02 + r() * 0.08,
    dupRate: 0.05,
    minDelayMs: 1,
    maxDelayMs: 20 + Math.floor(r() * 60),
    byzantine: [byz],
    crashes: [
      {
        node: crashNode,
        atMs: crashAt,
        restartAtMs: restart ? crashAt + 1000 + Math.floor(r() * 5000) : null,
      },
    ],
    partitions: [partition],
    gossipEveryMs: 300,
    timeouts: TIMEOUTS,
    // Every other seed uses the strongest equivocation strategy (see SimOptions.adversary).
    adversary: seed % 2 === 0 ? 'split' : 'random',
  };
}
