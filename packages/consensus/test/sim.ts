// Deterministic in-process network simulator for the consensus machine: a seeded PRNG drives message
// delays, drops, duplicates, partitions (that heal), crashes (with restart from persisted WAL/sign-guard
// state, cut at a random point of an action list) and Byzantine validators that equivocate. Nodes run the
// real ConsensusMachine with real ed25519 signatures and a hash-chain application; messages cross the
// "network" as canonical bytes. Same seed, same run.
import { concatBytes, fromHex, toHex } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { buildBlock } from '../src/block.ts';
import { decodeMessage, encodeMessage, hashBlock, proposalSignBytes, voteSignBytes } from '../src/codec.ts';
import { keySigner, type Signer } from '../src/ed25519.ts';
import { SignGuard, type SignState } from '../src/guard.ts';
import {
  type ConsensusAction,
  type ConsensusEvent,
  ConsensusMachine,
  type Timeouts,
  type WalState,
} from '../src/machine.ts';
import type { Block, CommitCertificate, ConsensusMessage, Evidence, ValidatorSet } from '../src/types.ts';
import { ProposerSchedule } from '../src/validators.ts';
import { ChainVerifier, verifyBlockCommit } from '../src/verify.ts';

/** sfc32: small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 + seed * 7;
  let c = 0xb7e15162 ^ (seed << 3);
  let d = 1;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 20; i++) next();
  return next;
}

export interface Partition {
  atMs: number;
  healAtMs: number;
  groups: number[][];
}

export interface Crash {
  node: number;
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
  gossipEveryMs: number;
  timeouts: Partial<Timeouts>;
  /**
   * How Byzantine validators equivocate: 'random' (default) sends a conflicting twin of 70% of their
   * messages to a random half of the peers; 'split' twins every message and always shows odd-indexed
   * peers the twin, even-indexed ones the original (the strongest split of the honest nodes).
   */
  adversary?: 'random' | 'split';
  /** End the run at the first violation (for tests that expect one). */
  stopOnViolation?: boolean;
}

interface NodeState {
  index: number;
  raw: Signer;
  byzantine: boolean;
  machine: ConsensusMachine | null;
  incarnation: number;
  /** Durable: what the node persisted (survives crashes). */
  wal: WalState | null;
  signState: SignState | null;
  chain: { block: Block; commit: CommitCertificate; appHash: Uint8Array }[];
  evidence: Evidence[];
  crashArmed: boolean;
  restarts: number;
  lastSyncAskMs: number;
}

type SimEvent =
  | { kind: 'deliver'; to: number; from: number; bytes: Uint8Array }
  | { kind: 'machine'; to: number; incarnation: number; event: ConsensusEvent }
  | { kind: 'gossip'; node: number }
  | { kind: 'syncAsk'; to: number; from: number; height: bigint }
  | { kind: 'syncAnswer'; to: number; block: Block; commit: CommitCertificate }
  | { kind: 'heal'; index: number }
  | { kind: 'crash'; node: number }
  | { kind: 'restart'; node: number };

interface Queued {
  t: number;
  seq: number;
  e: SimEvent;
}

class Heap {
  #a: Queued[] = [];
  get size(): number {
    return this.#a.length;
  }
  #less(x: Queued, y: Queued): boolean {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
  push(q: Queued): void {
    const a = this.#a;
    a.push(q);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Queued | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.#less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.#less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

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
  simMs: number;
  messages: number;
  restarts: number;
  /** Sign requests the guards refused (a restarted node not re-signing). */
  maxRound: number;
  nodes: { height: number; chain: { block: Block; commit: CommitCertificate }[] }[];
  machines: (ConsensusMachine | null)[];
  /** Simulated time (ms) at which each height was first decided by an honest node, by height. */
  decisionTimesMs: number[];
}

const EPOCH_MS = 1_700_000_000_000n;
export const CHAIN_ID = 'gl-sim';

/** Runs one simulation to completion (target height for all live honest nodes, or the time limit). */
export function simulate(o: SimOptions): SimResult {
  const rnd = prng(o.seed);
  const signers = Array.from({ length: o.n }, (_, i) =>
    keySigner(sha256(new TextEncoder().encode(`sim/${i}`))),
  );
  const valset: ValidatorSet = {
    validators: signers.map((s, i) => ({ publicKey: s.publicKey, power: o.powers?.[i] ?? 1n })),
  };
  const schedule = new ProposerSchedule(valset);
  const genesisApp = sha256(new TextEncoder().encode('genesis'));
  const queue = new Heap();
  let seq = 0;
  let now = 0;
  let messages = 0;
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
    machine: null,
    incarnation: 0,
    wal: null,
    signState: null,
    chain: [],
    evidence: [],
    crashArmed: false,
    restarts: 0,
    lastSyncAskMs: -1e9,
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

  function sendMsg(from: number, to: number, m: ConsensusMessage | Uint8Array): void {
    const bytes = m instanceof Uint8Array ? m : encodeMessage(m);
    send(from, to, { kind: 'deliver', to, from, bytes });
  }

  function boot(node: NodeState): void {
    const last = node.chain[node.chain.length - 1];
    const height = BigInt(node.chain.length + 1);
    const signer = node.byzantine ? node.raw : new SignGuard(node.raw, node.signState);
    node.incarnation++;
    node.machine = new ConsensusMachine(
      { chainId: CHAIN_ID, validators: valset, signer, timeouts: o.timeouts, proposerSchedule: schedule },
      {
        height,
        lastBlock: last?.block.header ?? null,
        lastCommit: last?.commit ?? null,
        appHash: last?.appHash ?? genesisApp,
        genesisTimeMs: EPOCH_MS,
        recovered: node.wal?.height === height ? node.wal : null,
      },
    );
    run(node, node.machine.start().actions);
  }

  function feed(node: NodeState, event: ConsensusEvent, from?: number): void {
    const m = node.machine;
    if (m === null) return;
    const r = m.handle(event);
    run(node, r.actions);
    if (r.behind !== undefined && from !== undefined && now - node.lastSyncAskMs > 50) {
      node.lastSyncAskMs = now;
      send(node.index, from, { kind: 'syncAsk', to: from, from: node.index, height: r.behind });
    }
  }

  /** Byzantine twist: a conflicting copy of an outgoing proposal or vote, or null. */
  /** Block hashes the Byzantine validators know per height/round (from proposals they saw or made). */
  const seenBlocks = new Map<string, Set<string>>();
  function remember(height: bigint, round: number, hash: Uint8Array): void {
    const k = `${height}/${round}`;
    let set = seenBlocks.get(k);
    if (set === undefined) {
      set = new Set();
      seenBlocks.set(k, set);
    }
    set.add(toHex(hash));
  }

  function conflicting(node: NodeState, m: ConsensusMessage): ConsensusMessage | null {
    if (m.kind === 'proposal') {
      const p = m.proposal;
      const h = p.block.header;
      const evil =
        o.adversary !== 'split' && rnd() < 0.3
          ? new Uint8Array([0xff, 1])
          : new Uint8Array([0xba, Number(h.height % 250n), p.round % 250]);
      const block = buildBlock({
        chainId: h.chainId,
        height: h.height,
        timeMs: h.timeMs + 1n,
        proposer: h.proposer,
        lastBlockHash: h.lastBlockHash,
        appHash: h.appHash,
        validators: valset,
        lastCommit: p.block.lastCommit,
        txs: [...p.block.txs, evil],
      });
      const blockHash = hashBlock(block.header);
      remember(p.height, p.round, blockHash);
      const signBytes = proposalSignBytes(CHAIN_ID, {
        height: p.height,
        round: p.round,
        polRound: p.polRound,
        blockHash,
      });
      const signature = node.raw.sign({ height: p.height, round: p.round, step: 'proposal', signBytes })!;
      return { kind: 'proposal', proposal: { ...p, block, signature } };
    }
    const v = m.vote;
    // Support another block of this round when the Byzantine node knows one (the strongest split), else
    // flip between nil and a made-up hash.
    const mine = v.blockHash === null ? '' : toHex(v.blockHash);
    const known = [...(seenBlocks.get(`${v.height}/${v.round}`) ?? [])].filter((x) => x !== mine);
    const pick =
      known.length > 0 && (o.adversary === 'split' || rnd() < 0.8)
        ? known[Math.floor(rnd() * known.length)]
        : undefined;
    const blockHash =
      pick !== undefined
        ? fromHex(pick)
        : v.blockHash === null
          ? sha256(new Uint8Array([v.round & 255, 7]))
          : null;
    const signBytes = voteSignBytes(CHAIN_ID, { ...v, blockHash });
    const signature = node.raw.sign({ height: v.height, round: v.round, step: v.type, signBytes })!;
    return { kind: 'vote', vote: { ...v, blockHash, signature } };
  }

  function broadcast(node: NodeState, m: ConsensusMessage): void {
    const others = nodes.filter((x) => x.index !== node.index).map((x) => x.index);
    if (!node.byzantine) {
      const bytes = encodeMessage(m);
      for (const to of others) sendMsg(node.index, to, bytes);
      return;
    }
    if (o.adversary === 'split') {
      // Always equivocate, and always show the same half of the network the same version.
      const twin = conflicting(node, m);
      for (const to of others) sendMsg(node.index, to, twin !== null && to % 2 === 1 ? twin : m);
      return;
    }
    const twin = rnd() < 0.7 ? conflicting(node, m) : null;
    for (const to of others) sendMsg(node.index, to, twin !== null && rnd() < 0.5 ? twin : m);
  }

  function run(node: NodeState, actions: ConsensusAction[]): void {
    let list = actions;
    const crashing = node.crashArmed && actions.length > 0;
    if (crashing) {
      // Crash in the middle of executing this action list: everything after the cut is lost.
      list = list.slice(0, Math.floor(rnd() * (list.length + 1)));
    }
    for (const a of list) {
      const inc = node.incarnation;
      switch (a.type) {
        case 'persist':
          node.wal = a.wal;
          if (a.wal.signState !== null) node.signState = a.wal.signState;
          break;
        case 'broadcast':
          broadcast(node, a.message);
          break;
        case 'scheduleTimeout':
          at(now + a.delayMs, {
            kind: 'machine',
            to: node.index,
            incarnation: inc,
            event: { type: 'timeout', kind: a.kind, height: a.height, round: a.round },
          });
          break;
        case 'requestProposal': {
          const txs: Uint8Array[] = [];
          const k = Math.floor(rnd() * 4);
          for (let i = 0; i < k; i++)
            txs.push(new Uint8Array([node.index, Number(a.height % 256n), i, Math.floor(rnd() * 256)]));
          at(now + 1, {
            kind: 'machine',
            to: node.index,
            incarnation: inc,
            event: {
              type: 'proposalTxs',
              height: a.height,
              round: a.round,
              txs,
              timeMs: EPOCH_MS + BigInt(now),
            },
          });
          break;
        }
        case 'validateBlock': {
          // The application rejects any block holding a transaction that starts with 0xff.
          const valid = !a.block.txs.some((t) => t[0] === 0xff);
          at(now + 1, {
            kind: 'machine',
            to: node.index,
            incarnation: inc,
            event: { type: 'blockValidated', height: a.height, blockHash: a.blockHash, valid },
          });
          break;
        }
        case 'decide': {
          onDecide(node, a.block, a.commit, a.round);
          const prev = node.chain[node.chain.length - 1]?.appHash ?? genesisApp;
          const appHash = sha256(concatBytes(prev, ...a.block.txs.map((t) => sha256(t))));
          node.chain.push({ block: a.block, commit: a.commit, appHash });
          at(now + 2, {
            kind: 'machine',
            to: node.index,
            incarnation: inc,
            event: { type: 'blockExecuted', height: a.block.header.height, appHash },
          });
          break;
        }
        case 'evidence':
          node.evidence.push(a.evidence);
          break;
      }
    }
    if (crashing) {
      node.crashArmed = false;
      node.machine = null;
      node.incarnation++;
    }
  }

  function onDecide(node: NodeState, block: Block, commit: CommitCertificate, round: number): void {
    const h = block.header.height;
    if (round > maxRound) maxRound = round;
    const hashHex = toHex(hashBlock(block.header));
    if (node.byzantine) return;
    if (BigInt(node.chain.length + 1) !== h)
      violations.push(`node ${node.index} decided height ${h} with ${node.chain.length} blocks committed`);
    const c = verifyBlockCommit(block, commit, valset, CHAIN_ID);
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

  // Schedule faults and gossip.
  for (const c of o.crashes) {
    at(c.atMs, { kind: 'crash', node: c.node });
    if (c.restartAtMs !== null) at(c.restartAtMs, { kind: 'restart', node: c.node });
  }
  o.partitions.forEach((p, index) => {
    at(p.healAtMs, { kind: 'heal', index });
  });
  const healState: { height: bigint; round: number }[] = [];
  for (const n of nodes) at(Math.floor(rnd() * o.gossipEveryMs), { kind: 'gossip', node: n.index });
  for (const n of nodes) boot(n);

  const permanentlyDown = new Set(o.crashes.filter((c) => c.restartAtMs === null).map((c) => c.node));
  const live = nodes.filter((x) => !x.byzantine && !permanentlyDown.has(x.index));
  // Done when every live honest node reached the target and a block was decided after every heal.
  const lastHealMs = Math.max(0, ...o.partitions.map((p) => p.healAtMs));
  const done = () => live.every((x) => x.chain.length >= o.targetHeight) && lastDecisionMs >= lastHealMs;

  while (queue.size > 0 && now <= o.maxSimMs && !done() && !(o.stopOnViolation && violations.length > 0)) {
    const q = queue.pop()!;
    now = q.t;
    const e = q.e;
    switch (e.kind) {
      case 'deliver': {
        const node = nodes[e.to]!;
        if (node.machine === null) break;
        const message = decodeMessage(e.bytes);
        if (node.byzantine && message.kind === 'proposal')
          remember(message.proposal.height, message.proposal.round, hashBlock(message.proposal.block.header));
        feed(node, { type: 'message', message, nowMs: EPOCH_MS + BigInt(now) }, e.from);
        break;
      }
      case 'machine': {
        const node = nodes[e.to]!;
        if (node.machine === null || node.incarnation !== e.incarnation) break;
        feed(node, e.event);
        break;
      }
      case 'gossip': {
        const node = nodes[e.node]!;
        if (node.machine !== null) {
          const msgs = node.machine.gossip().map((m) => encodeMessage(m));
          for (const to of nodes)
            if (to.index !== node.index) for (const b of msgs) sendMsg(node.index, to.index, b);
        }
        at(now + o.gossipEveryMs + Math.floor(rnd() * 50), e);
        break;
      }
      case 'syncAsk': {
        const node = nodes[e.to]!;
        const entry = node.chain[Number(e.height) - 1];
        if (node.machine !== null && entry !== undefined)
          send(node.index, e.from, {
            kind: 'syncAnswer',
            to: e.from,
            block: entry.block,
            commit: entry.commit,
          });
        break;
      }
      case 'syncAnswer': {
        const node = nodes[e.to]!;
        if (node.machine !== null) feed(node, { type: 'syncCommit', block: e.block, commit: e.commit });
        break;
      }
      case 'heal': {
        let height = 0n;
        let round = 0;
        for (const x of nodes) {
          if (x.byzantine || x.machine === null) continue;
          if (x.machine.height > height) {
            height = x.machine.height;
            round = 0;
          }
          if (x.machine.height === height && x.machine.round > round) round = x.machine.round;
        }
        healState[e.index] = { height, round };
        break;
      }
      case 'crash':
        nodes[e.node]!.crashArmed = true;
        break;
      case 'restart': {
        const node = nodes[e.node]!;
        node.crashArmed = false;
        if (node.machine === null) {
          node.restarts++;
          boot(node);
        }
        break;
      }
    }
  }

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
    simMs: now,
    messages,
    restarts: nodes.reduce((s, x) => s + x.restarts, 0),
    maxRound,
    nodes: nodes.map((x) => ({
      height: x.chain.length,
      chain: x.chain.map(({ block, commit }) => ({ block, commit })),
    })),
    machines: nodes.map((x) => x.machine),
    decisionTimesMs: [...decidedAt.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, d]) => d.t),
  };
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
