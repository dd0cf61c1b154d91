// The consensus driver: runs the pure consensus state machine (machine.ts) against the world through
// the ports of driver-ports.ts. Feeds it peer messages, timer events and application answers, and executes
// its actions strictly in order. The sign guard's state and the round/lock state (WalState) are appended
// to the write-ahead log and made durable BEFORE any later action (in particular the broadcast of a newly
// signed vote or proposal) runs, so a node killed at any moment restarts with a guard that refuses to sign
// anything conflicting with what it already sent. A block committed by block sync past the machine's
// height replaces the machine with a fresh one at the new tip. Owns no I/O: the validator node gives it
// real timers, p2p, store and application; the simulation (test/sim.ts) a simulated clock and network.
import { equalBytes, toHex } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { decodeEvidence, decodeMessage, encodeEvidence, encodeMessage } from './codec.ts';
import type {
  CancelTimer,
  ConsensusDriverConfig,
  ConsensusPorts,
  ConsensusWireMessage,
} from './driver-ports.ts';
import { SIGN_STEP, SignGuard, type SignState } from './guard.ts';
import { type ConsensusAction, ConsensusMachine, MAX_ROUNDS_AHEAD, type WalState } from './machine.ts';
import type { ConsensusMessage, Evidence } from './types.ts';
import {
  evidenceHeight,
  evidenceKey,
  MAX_EVIDENCE_AGE_HEIGHTS,
  MAX_EVIDENCE_PER_BLOCK,
  ValidatorHistory,
} from './validator-history.ts';
import { ProposerSchedule } from './validators.ts';
import { verifyProposalSignature, verifyVote } from './verify.ts';
import { decodeWalState, encodeWalState } from './wal.ts';

/** How often the current round's proposal and votes are re-sent to peers (repairs lost messages). */
export const GOSSIP_INTERVAL_MS = 300;
/** Proposals carry whole blocks: they are re-sent only on every 4th gossip tick (~1.2 s). */
export const PROPOSAL_GOSSIP_EVERY = 4;

/** Most next-height messages kept for a machine that block sync replaces (the machine's own buffer size). */
const MAX_REPLAYED_MESSAGES = 10_000;

/** Counters of what the driver refused, for logs, tests and metrics. */
export interface ConsensusStats {
  messagesAccepted: number;
  messagesIgnored: number;
  malformedMessages: number;
  /** Dropped unverified: not for the current or next height, or too many rounds ahead (see checkBounds). */
  messagesOutOfBounds: number;
  signaturesRefused: number;
  walWrites: number;
}

/**
 * Runs a {@link ConsensusMachine} against its ports: one driver per validator process (the node builds
 * the ports from its store, mempool, p2p network, timers and logger).
 * @example
 * const driver = new ConsensusDriver({ chainId, validators, genesisTimeMs, signer, maxBlockTxBytes }, ports);
 * await driver.start();
 * network.onMessage((m, from) => driver.onPeerMessage(m, from));
 * // after each committed block: driver.onCommitted(height, 'consensus' | 'sync')
 */
export class ConsensusDriver {
  private readonly config: ConsensusDriverConfig;
  private readonly ports: ConsensusPorts;
  /** One proposer schedule for the successive machines (it keeps the current and the next height). */
  private readonly schedule: ProposerSchedule;
  /** The validator set at each height (the node's, which applies committed blocks' evidence). */
  private readonly history: ValidatorHistory;
  /** Evidence seen (or found in the store at start) and not committed yet, by evidence key. */
  private readonly pendingEvidence = new Map<string, Evidence>();
  private machine: ConsensusMachine | undefined;
  private guard: SignGuard | null = null;
  /**
   * The last sign state whose WAL entry is durable. Our own votes and proposals leave only through a
   * `broadcast` queued behind their `persist`, or through gossip, which sends only those at or below it.
   */
  private durable: SignState | null = null;
  /** Incremented whenever the machine is replaced; stale timers and actions check it. */
  private generation = 0;
  private actionQueue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<CancelTimer>();
  private gossipTimer: CancelTimer | undefined;
  private gossipTicks = 0;
  private stopped = false;
  /**
   * The messages the machine buffered for its next height. A machine that block sync replaces loses its
   * buffer, and their re-gossip never arrives again (they were relayed, so p2p's seen-filter drops
   * repeats): the new machine is fed them instead. Entries at or below the machine's height are stale.
   */
  private nextHeight: { message: ConsensusMessage; height: bigint; nowMs: bigint }[] = [];
  readonly stats: ConsensusStats = {
    messagesAccepted: 0,
    messagesIgnored: 0,
    malformedMessages: 0,
    messagesOutOfBounds: 0,
    signaturesRefused: 0,
    walWrites: 0,
  };

  constructor(config: ConsensusDriverConfig, ports: ConsensusPorts) {
    this.config = config;
    this.ports = ports;
    const history = config.history ?? new ValidatorHistory(config.validators);
    this.history = history;
    this.schedule =
      config.proposerSchedule ??
      new ProposerSchedule(config.validators, undefined, (h) => history.validatorsAt(h));
  }

  /** Evidence waiting to be proposed (not committed yet), for status and tests. */
  pendingEvidenceCount(): number {
    return this.pendingEvidence.size;
  }

  /** Current consensus height/round/step, for logs and status. */
  position(): { height: bigint; round: number; step: string } | undefined {
    const m = this.machine;
    return m ? { height: m.height, round: m.round, step: m.step } : undefined;
  }

  /** Builds the machine at tip + 1 (recovering the WAL of that height after a crash) and starts it. */
  async start(): Promise<void> {
    const tip = this.ports.chain.tip();
    for (const { evidence } of (await this.ports.store.listEvidence?.()) ?? []) {
      try {
        const e = decodeEvidence(evidence);
        this.pendingEvidence.set(evidenceKey(e), e);
      } catch (err) {
        this.ports.log.warn({ err }, 'consensus: stored evidence does not decode; skipped');
      }
    }
    const recovered = await this.lastWal(tip.height + 1n);
    let signState: SignState | null = recovered?.signState ?? null;
    if (signState === null) signState = (await this.lastWal(tip.height))?.signState ?? null;
    if (this.config.signer !== null) this.guard = new SignGuard(this.config.signer, signState);
    this.durable = signState;
    if (recovered) {
      this.ports.log.info(
        {
          height: recovered.height,
          round: recovered.round,
          lockedRound: recovered.lockedRound,
          signed: signState ? `${signState.height}/${signState.round}/${signState.step}` : null,
        },
        'consensus: recovered from write-ahead log',
      );
    }
    this.replaceMachine(recovered);
    this.gossipTimer = this.ports.clock.every(this.config.gossipIntervalMs ?? GOSSIP_INTERVAL_MS, () =>
      this.gossip(),
    );
  }

  /** Stops timers; queued actions finish (see {@link flush}). */
  stop(): void {
    this.stopped = true;
    this.generation++;
    this.gossipTimer?.();
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  /** Resolves when every queued action has run. */
  async flush(): Promise<void> {
    await this.actionQueue.catch(() => {});
  }

  /** A proposal or vote from a peer: decode, feed the machine, relay it when the machine took it. */
  onPeerMessage(msg: ConsensusWireMessage, from: string): void {
    if (this.stopped || !this.machine || (msg.kind !== 'proposal' && msg.kind !== 'vote')) return;
    let message: ConsensusMessage;
    try {
      message = decodeMessage(msg.data);
      if (message.kind !== msg.kind) throw new Error(`a ${message.kind} sent as a ${msg.kind}`);
    } catch (err) {
      this.stats.malformedMessages++;
      this.ports.network.disconnect(from, `malformed ${msg.kind}: ${(err as Error).message}`);
      return;
    }
    const m = this.machine;
    const msgHeight = message.kind === 'vote' ? message.vote.height : message.proposal.height;
    // Bounds before any work: only the current and the next height, at most MAX_ROUNDS_AHEAD rounds ahead,
    // are verified at all (finding C2: the proposer of a far height or round took years to compute).
    const bounds = this.checkBounds(message, msgHeight);
    if (bounds !== null) {
      this.stats.messagesOutOfBounds++;
      if (bounds.penalise) {
        this.ports.log.warn(
          { peer: from.slice(0, 18), reason: bounds.reason },
          'consensus: out-of-bounds message',
        );
        this.ports.network.disconnect(from, `${msg.kind} out of bounds: ${bounds.reason}`);
      } else {
        this.ports.log.trace(
          { peer: from.slice(0, 18), reason: bounds.reason },
          'consensus: message ignored',
        );
      }
      return;
    }
    // The machine verifies messages for the height it decides; those for the next height (buffered for
    // later) are verified here, so nothing unverified is relayed and a forger is dropped at once.
    if (msgHeight !== m.height) {
      const check = this.verifyElsewhere(message);
      if (!check.ok) {
        this.stats.messagesIgnored++;
        this.ports.log.warn(
          { peer: from.slice(0, 18), reason: check.reason },
          'consensus: rejected peer message',
        );
        this.ports.network.disconnect(from, `invalid ${msg.kind}: ${check.reason}`);
        return;
      }
    }
    const nowMs = this.ports.clock.nowMs();
    const r = m.handle({ type: 'message', message, nowMs });
    if (r.ignored?.startsWith('buffered')) this.keepForNextHeight(message, msgHeight, nowMs);
    let rejected: string | undefined;
    if (r.ignored !== undefined) {
      if (/signature|not in the set|unknown validator|validator index/i.test(r.ignored)) rejected = r.ignored;
      else if (!/duplicate|buffered/i.test(r.ignored) && msgHeight === m.height) {
        // Ignored before its signature was looked at (e.g. the height is already decided): check it here.
        const check = this.verifyElsewhere(message);
        if (!check.ok) rejected = check.reason;
      }
    }
    if (rejected !== undefined) {
      this.stats.messagesIgnored++;
      // A bad signature cannot come from an honest relay (relays forward only what verified): drop the peer.
      this.ports.log.warn({ peer: from.slice(0, 18), reason: rejected }, 'consensus: rejected peer message');
      this.ports.network.disconnect(from, `invalid ${msg.kind}: ${rejected}`);
    } else if (r.ignored !== undefined && !/^buffered/.test(r.ignored)) {
      this.stats.messagesIgnored++;
      this.ports.log.trace({ peer: from.slice(0, 18), reason: r.ignored }, 'consensus: message ignored');
    } else {
      this.stats.messagesAccepted++;
      this.ports.network.relay(msg, from);
    }
    this.execute(r.actions);
  }

  private keepForNextHeight(message: ConsensusMessage, height: bigint, nowMs: bigint): void {
    const atHeight = this.machine?.height ?? 0n;
    if (this.nextHeight.length > 0 && this.nextHeight[0]!.height <= atHeight)
      this.nextHeight = this.nextHeight.filter((x) => x.height > atHeight);
    if (this.nextHeight.length < MAX_REPLAYED_MESSAGES) this.nextHeight.push({ message, height, nowMs });
  }

  /**
   * Null when the message is within bounds: its height is the machine's or the next one, and its round at
   * most MAX_ROUNDS_AHEAD beyond the machine's round (beyond 0 for the next height). Older heights are
   * decided here and newer ones than the next come from peers ahead of us (block sync catches up): both
   * are dropped unverified without blame. A round too far ahead is something no honest peer sends within
   * ~87 minutes of one height's failed rounds: its sender is disconnected.
   */
  private checkBounds(
    message: ConsensusMessage,
    height: bigint,
  ): { reason: string; penalise: boolean } | null {
    const m = this.machine!;
    if (height < m.height) return { reason: `old height ${height} (at ${m.height})`, penalise: false };
    if (height > m.height + 1n)
      return { reason: `height ${height} beyond the next (at ${m.height})`, penalise: false };
    const round = message.kind === 'vote' ? message.vote.round : message.proposal.round;
    const base = height === m.height ? m.round : 0;
    if (round > base + MAX_ROUNDS_AHEAD)
      return {
        reason: `round ${round} more than ${MAX_ROUNDS_AHEAD} ahead of ${base} at height ${height}`,
        penalise: true,
      };
    return null;
  }

  private verifyElsewhere(message: ConsensusMessage): { ok: true } | { ok: false; reason: string } {
    const { chainId } = this.config;
    const height = message.kind === 'vote' ? message.vote.height : message.proposal.height;
    const validators = this.history.validatorsAt(height < 1n ? 1n : height);
    if (message.kind === 'vote') return verifyVote(message.vote, validators, chainId);
    const p = message.proposal;
    if (p.height < 1n || p.round < 0)
      return { ok: false, reason: `proposal for height ${p.height} round ${p.round}` };
    let index: number;
    try {
      index = this.machine!.proposerIndex(p.height, p.round);
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    return verifyProposalSignature(p, validators.validators[index]!.publicKey, chainId);
  }

  /** A new peer gets what we hold for the current round at once (our own messages once durable). */
  onPeerConnected(peerId: string): void {
    if (!this.machine) return;
    for (const m of this.machine.gossip())
      if (this.isSendable(m)) this.ports.network.send(peerId, toWireMessage(m));
  }

  /**
   * False for a vote or proposal of our own whose WAL entry is not durable yet (finding H3: gossip read
   * the machine's state and sent a vote before its fsync; killed in that window, the restarted validator
   * had no record of it and could sign a conflicting one). Others' messages are always sendable.
   */
  private isSendable(m: ConsensusMessage): boolean {
    const machine = this.machine!;
    const me = machine.validatorIndex;
    if (me < 0) return true;
    let at: { height: bigint; round: number; step: number };
    if (m.kind === 'vote') {
      if (m.vote.validatorIndex !== me) return true;
      at = { height: m.vote.height, round: m.vote.round, step: SIGN_STEP[m.vote.type] };
    } else if (m.kind === 'proposal') {
      const ours = this.config.validators.validators[me]!.publicKey;
      if (!equalBytes(m.proposal.block.header.proposer, ours)) return true;
      at = { height: m.proposal.height, round: m.proposal.round, step: SIGN_STEP.proposal };
    } else return true;
    const d = this.durable;
    if (d === null) return false;
    if (at.height !== d.height) return at.height < d.height;
    if (at.round !== d.round) return at.round < d.round;
    return at.step <= d.step;
  }

  /**
   * Called by the chain's owner after it committed block `height`. For a block this machine decided, feeds
   * `blockExecuted`; for one applied by block sync, replaces the machine with one at the new tip.
   */
  onCommitted(height: bigint, source: 'consensus' | 'sync'): void {
    const m = this.machine;
    if (this.stopped || !m) return;
    if (source === 'consensus' && m.height === height && m.decided) {
      const r = m.handle({ type: 'blockExecuted', height, appHash: this.ports.chain.tip().appHash });
      this.execute(r.actions);
      return;
    }
    if (m.height <= height) this.replaceMachine(null);
  }

  private replaceMachine(recovered: WalState | null | undefined): void {
    this.generation++;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    const tip = this.ports.chain.tip();
    const { chainId, validators, timeouts, genesisTimeMs, maxFutureBlockTimeMs, maxPastBlockTimeMs } =
      this.config;
    const machine = new ConsensusMachine(
      {
        chainId,
        validators,
        history: this.history,
        signer: this.guard,
        ...(timeouts ? { timeouts } : {}),
        ...(maxFutureBlockTimeMs === undefined ? {} : { maxFutureBlockTimeMs }),
        ...(maxPastBlockTimeMs === undefined ? {} : { maxPastBlockTimeMs }),
        proposerSchedule: this.schedule,
      },
      {
        height: tip.height + 1n,
        lastBlock: tip.header,
        lastCommit: tip.cert,
        appHash: tip.appHash,
        genesisTimeMs,
        recovered: recovered ?? null,
      },
    );
    this.machine = machine;
    this.execute(machine.start().actions);
    // What the replaced machine had buffered for the height this one decides (see nextHeight).
    const replay = this.nextHeight.filter((x) => x.height >= machine.height);
    this.nextHeight = [];
    for (const x of replay) {
      const r = machine.handle({ type: 'message', message: x.message, nowMs: x.nowMs });
      if (r.ignored?.startsWith('buffered')) this.keepForNextHeight(x.message, x.height, x.nowMs);
      this.execute(r.actions);
    }
  }

  private gossip(): void {
    if (this.stopped || !this.machine || this.ports.network.peerCount() === 0) return;
    // Votes on every tick; proposals (whole blocks) on every PROPOSAL_GOSSIP_EVERY-th tick only.
    const every = this.config.proposalGossipEvery ?? PROPOSAL_GOSSIP_EVERY;
    const proposals = this.gossipTicks++ % every === 0;
    for (const m of this.machine.gossip({ proposals }))
      if (this.isSendable(m)) this.ports.network.broadcast(toWireMessage(m));
  }

  /** Queues actions of the current machine; they run in order, each awaited. */
  private execute(actions: ConsensusAction[]): void {
    if (actions.length === 0) return;
    const gen = this.generation;
    // Timers start now, not behind a slow action (a block commit must not stretch the commit timeout);
    // what they trigger is queued behind everything before it, so persistence order is unchanged.
    for (const a of actions) if (a.type === 'scheduleTimeout') void this.run(a, gen);
    this.actionQueue = this.actionQueue.then(async () => {
      for (const a of actions) {
        if (a.type === 'scheduleTimeout') continue;
        if (gen !== this.generation && a.type !== 'persist') return;
        try {
          await this.run(a, gen);
        } catch (err) {
          this.ports.log.error({ err, action: a.type }, 'consensus: action failed');
        }
      }
    });
  }

  private async run(a: ConsensusAction, gen: number): Promise<void> {
    const { store, network, log } = this.ports;
    if (log.isLevelEnabled('debug')) log.debug({ action: describeAction(a) }, 'consensus: action');
    switch (a.type) {
      case 'persist':
        await store.appendWal(a.wal.height, encodeWalState(a.wal));
        this.stats.walWrites++;
        // Entries are appended in order and each sign state is at or beyond the one before.
        if (a.wal.signState) this.durable = a.wal.signState;
        return;
      case 'broadcast':
        network.broadcast(toWireMessage(a.message));
        return;
      case 'scheduleTimeout': {
        const cancel = this.ports.clock.after(a.delayMs, () => {
          this.timers.delete(cancel);
          if (gen !== this.generation || this.stopped || !this.machine) return;
          this.execute(
            this.machine.handle({ type: 'timeout', kind: a.kind, height: a.height, round: a.round }).actions,
          );
        });
        this.timers.add(cancel);
        return;
      }
      case 'requestProposal': {
        const { maxBlockTxBytes, proposalWindowBlocks = 1 } = this.config;
        // A window of proposalWindowBlocks blocks' worth of the pool's head (the node widens it for the
        // execution app, whose prepareProposal skips what it cannot include yet); the app keeps the
        // block itself within maxBlockTxBytes.
        const candidates = this.ports.txs.reap({ maxBytes: maxBlockTxBytes * proposalWindowBlocks });
        const now = this.ports.clock.nowMs();
        const txs = await this.ports.app.prepareProposal({
          height: a.height,
          timeMs: now,
          txs: candidates,
          maxBytes: maxBlockTxBytes,
        });
        if (gen !== this.generation || !this.machine) return;
        const evidence = this.evidenceFor(a.height);
        if (evidence.length > 0)
          log.info(
            { height: a.height, evidence: evidence.map(evidenceKey) },
            'consensus: proposing evidence',
          );
        this.execute(
          this.machine.handle({
            type: 'proposalTxs',
            height: a.height,
            round: a.round,
            txs,
            timeMs: now,
            ...(evidence.length > 0 ? { evidence } : {}),
          }).actions,
        );
        return;
      }
      case 'validateBlock': {
        const b = a.block;
        const valid = await this.ports.app.processProposal({
          height: b.header.height,
          timeMs: b.header.timeMs,
          txs: b.txs,
        });
        if (gen !== this.generation || !this.machine) return;
        this.execute(
          this.machine.handle({ type: 'blockValidated', height: a.height, blockHash: a.blockHash, valid })
            .actions,
        );
        return;
      }
      case 'decide': {
        const applied = await this.ports.chain.commitDecided(a.block, a.commit);
        if (applied) await store.pruneWal(a.block.header.height);
        return;
      }
      case 'evidence': {
        const bytes = encodeEvidence(a.evidence);
        this.pendingEvidence.set(evidenceKey(a.evidence), a.evidence);
        await store.saveEvidence(sha256(bytes), bytes);
        log.warn(
          { kind: a.evidence.kind, id: toHex(sha256(bytes)).slice(0, 18) },
          'consensus: evidence of equivocation stored',
        );
        return;
      }
    }
  }

  /**
   * The pending evidence a block at `height` carries: not committed, not too old, each valid against the
   * chain (ValidatorHistory.checkEvidence), at most MAX_EVIDENCE_PER_BLOCK. Committed or expired entries
   * are forgotten.
   */
  private evidenceFor(height: bigint): Evidence[] {
    const chosen: Evidence[] = [];
    for (const [key, e] of this.pendingEvidence) {
      const at = evidenceHeight(e);
      if (this.history.isCommitted(key) || height - at > MAX_EVIDENCE_AGE_HEIGHTS) {
        this.pendingEvidence.delete(key);
        continue;
      }
      if (chosen.length >= MAX_EVIDENCE_PER_BLOCK) break;
      if (this.history.checkEvidence([...chosen, e], height, this.config.chainId).ok) chosen.push(e);
    }
    return chosen;
  }

  private async lastWal(height: bigint): Promise<WalState | undefined> {
    if (height < 1n) return undefined;
    const entries = await this.ports.store.loadWal(height);
    const last = entries[entries.length - 1];
    return last === undefined ? undefined : decodeWalState(last);
  }
}

function toWireMessage(m: ConsensusMessage): ConsensusWireMessage {
  return { kind: m.kind, data: encodeMessage(m) };
}

function describeAction(a: ConsensusAction): string {
  switch (a.type) {
    case 'persist':
      return `persist ${a.wal.height}/${a.wal.round} locked ${a.wal.lockedRound}`;
    case 'broadcast':
      return a.message.kind === 'vote'
        ? `broadcast ${a.message.vote.type} ${a.message.vote.height}/${a.message.vote.round} ${a.message.vote.blockHash ? toHex(a.message.vote.blockHash).slice(0, 10) : 'nil'}`
        : `broadcast proposal ${a.message.proposal.height}/${a.message.proposal.round}`;
    case 'scheduleTimeout':
      return `timeout ${a.kind} ${a.height}/${a.round} in ${a.delayMs} ms`;
    case 'requestProposal':
    case 'validateBlock':
      return `${a.type} ${a.height}`;
    case 'decide':
      return `decide ${a.block.header.height} round ${a.round}`;
    case 'evidence':
      return `evidence ${a.evidence.kind}`;
  }
}
