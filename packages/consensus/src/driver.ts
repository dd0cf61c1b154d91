// Runs the pure consensus state machine inside the node: feeds it peer messages, timer events and
// application answers, and executes its actions strictly in order. The sign guard's state and the
// round/lock state (WalState) are appended to the store's write-ahead log and fsynced BEFORE any later
// action (in particular the broadcast of a newly signed vote or proposal) runs, so a node killed at any
// moment restarts with a guard that refuses to sign anything conflicting with what it already sent.
// Block sync that jumps over the machine's height replaces the machine with a fresh one at the new tip.
import { toHex } from '@gridledger/base';
import {
  type ConsensusAction,
  ConsensusMachine,
  type ConsensusMessage,
  decodeMessage,
  decodeWalState,
  encodeEvidence,
  encodeMessage,
  encodeWalState,
  keySigner,
  SignGuard,
  type SignState,
  verifyProposalSignature,
  verifyVote,
  type WalState,
} from '@gridledger/consensus';
import { sha256 } from '@gridledger/crypto';
import type { PeerMessage } from '@gridledger/p2p';
import { genesisTimeMs } from './genesis.ts';
import type { Node } from './node.ts';

/** How often the current round's proposal and votes are re-sent to peers (repairs lost messages). */
export const GOSSIP_INTERVAL_MS = 300;
/** Proposals carry whole blocks: they are re-sent only on every 4th gossip tick (~1.2 s). */
export const PROPOSAL_GOSSIP_EVERY = 4;

/** How many blocks' worth of the mempool's head the execution app's proposals choose from. */
export const PROPOSAL_WINDOW_BLOCKS = 8;

/** Counters of what the driver refused, for logs, tests and metrics. */
export interface ConsensusStats {
  messagesAccepted: number;
  messagesIgnored: number;
  malformedMessages: number;
  signaturesRefused: number;
  walWrites: number;
}

/** The adapter between a {@link Node} and a {@link ConsensusMachine}. */
export class ConsensusDriver {
  private readonly node: Node;
  private machine: ConsensusMachine | undefined;
  private guard: SignGuard | null = null;
  /** Incremented whenever the machine is replaced; stale timers and actions check it. */
  private generation = 0;
  private actionQueue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private gossipTimer: NodeJS.Timeout | undefined;
  private gossipTicks = 0;
  private stopped = false;
  readonly stats: ConsensusStats = {
    messagesAccepted: 0,
    messagesIgnored: 0,
    malformedMessages: 0,
    signaturesRefused: 0,
    walWrites: 0,
  };

  constructor(node: Node) {
    this.node = node;
  }

  /** Current consensus height/round/step, for logs and status. */
  position(): { height: bigint; round: number; step: string } | undefined {
    const m = this.machine;
    return m ? { height: m.height, round: m.round, step: m.step } : undefined;
  }

  /** Builds the machine at tip + 1 (recovering the WAL of that height after a crash) and starts it. */
  async start(): Promise<void> {
    const tip = this.node.tip;
    const recovered = await this.lastWal(tip.height + 1n);
    let signState: SignState | null = recovered?.signState ?? null;
    if (signState === null) signState = (await this.lastWal(tip.height))?.signState ?? null;
    if (this.node.myIndex >= 0) {
      this.guard = new SignGuard(keySigner(this.node.home.nodeKey.secretKey), signState);
    }
    if (recovered) {
      this.node.log.info(
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
    this.gossipTimer = setInterval(() => this.gossip(), GOSSIP_INTERVAL_MS);
  }

  /** Stops timers; queued actions finish (see {@link flush}). */
  stop(): void {
    this.stopped = true;
    this.generation++;
    clearInterval(this.gossipTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves when every queued action has run. */
  async flush(): Promise<void> {
    await this.actionQueue.catch(() => {});
  }

  /** A proposal or vote from a peer: decode, feed the machine, relay it when the machine took it. */
  onPeerMessage(msg: PeerMessage, from: string): void {
    if (this.stopped || !this.machine || (msg.kind !== 'proposal' && msg.kind !== 'vote')) return;
    let message: ConsensusMessage;
    try {
      message = decodeMessage(msg.data);
      if (message.kind !== msg.kind) throw new Error(`a ${message.kind} sent as a ${msg.kind}`);
    } catch (err) {
      this.stats.malformedMessages++;
      this.node.p2p.disconnect(from, `malformed ${msg.kind}: ${(err as Error).message}`);
      return;
    }
    // The machine verifies messages for the height it decides; those for other heights (buffered for
    // later, or stale) are verified here, so nothing unverified is relayed and a forger is dropped at once.
    const m = this.machine;
    const msgHeight = message.kind === 'vote' ? message.vote.height : message.proposal.height;
    if (msgHeight !== m.height) {
      const check = this.verifyElsewhere(message);
      if (!check.ok) {
        this.stats.messagesIgnored++;
        this.node.log.warn(
          { peer: from.slice(0, 18), reason: check.reason },
          'consensus: rejected peer message',
        );
        this.node.p2p.disconnect(from, `invalid ${msg.kind}: ${check.reason}`);
        return;
      }
      if (msgHeight < m.height) return; // already decided here: nothing to do, nothing to relay
    }
    const r = m.handle({ type: 'message', message, nowMs: BigInt(Date.now()) });
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
      this.node.log.warn({ peer: from.slice(0, 18), reason: rejected }, 'consensus: rejected peer message');
      this.node.p2p.disconnect(from, `invalid ${msg.kind}: ${rejected}`);
    } else if (r.ignored !== undefined && !/^buffered/.test(r.ignored)) {
      this.stats.messagesIgnored++;
      this.node.log.trace({ peer: from.slice(0, 18), reason: r.ignored }, 'consensus: message ignored');
    } else {
      this.stats.messagesAccepted++;
      this.node.p2p.relay(msg, from);
    }
    this.execute(r.actions);
  }

  private verifyElsewhere(message: ConsensusMessage): { ok: true } | { ok: false; reason: string } {
    const { chainId } = this.node.home.genesis;
    if (message.kind === 'vote') return verifyVote(message.vote, this.node.validators, chainId);
    const p = message.proposal;
    if (p.height < 1n || p.round < 0)
      return { ok: false, reason: `proposal for height ${p.height} round ${p.round}` };
    const proposer = this.node.validators.validators[this.machine!.proposerIndex(p.height, p.round)]!;
    return verifyProposalSignature(p, proposer.publicKey, chainId);
  }

  /** A new peer gets what we hold for the current round at once. */
  onPeerConnected(peerId: string): void {
    if (!this.machine) return;
    for (const m of this.machine.gossip()) this.node.p2p.send(peerId, toPeerMessage(m));
  }

  /**
   * Called by the node after it committed block `height`. For a block this machine decided, feeds
   * `blockExecuted`; for one applied by block sync, replaces the machine with one at the new tip.
   */
  onCommitted(height: bigint, source: 'consensus' | 'sync'): void {
    const m = this.machine;
    if (this.stopped || !m) return;
    if (source === 'consensus' && m.height === height && m.decided) {
      const r = m.handle({ type: 'blockExecuted', height, appHash: this.node.tip.appHash });
      this.execute(r.actions);
      return;
    }
    if (m.height <= height) this.replaceMachine(null);
  }

  private replaceMachine(recovered: WalState | null | undefined): void {
    this.generation++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const tip = this.node.tip;
    const cfg = this.node.home.config;
    const machine = new ConsensusMachine(
      {
        chainId: this.node.home.genesis.chainId,
        validators: this.node.validators,
        signer: this.guard,
        timeouts: cfg.consensus,
      },
      {
        height: tip.height + 1n,
        lastBlock: tip.header,
        lastCommit: tip.cert,
        appHash: tip.appHash,
        genesisTimeMs: genesisTimeMs(this.node.home.genesis),
        recovered: recovered ?? null,
      },
    );
    this.machine = machine;
    this.execute(machine.start().actions);
  }

  private gossip(): void {
    if (this.stopped || !this.machine || this.node.p2p.peers().length === 0) return;
    // Votes on every tick; proposals (whole blocks) on every PROPOSAL_GOSSIP_EVERY-th tick only.
    const proposals = this.gossipTicks++ % PROPOSAL_GOSSIP_EVERY === 0;
    for (const m of this.machine.gossip({ proposals })) this.node.p2p.broadcast(toPeerMessage(m));
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
          this.node.log.error({ err, action: a.type }, 'consensus: action failed');
        }
      }
    });
  }

  private async run(a: ConsensusAction, gen: number): Promise<void> {
    const node = this.node;
    if (node.log.isLevelEnabled('debug')) node.log.debug({ action: describeAction(a) }, 'consensus: action');
    switch (a.type) {
      case 'persist':
        await node.store.appendWal(a.wal.height, encodeWalState(a.wal));
        this.stats.walWrites++;
        return;
      case 'broadcast':
        node.p2p.broadcast(toPeerMessage(a.message));
        return;
      case 'scheduleTimeout': {
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (gen !== this.generation || this.stopped || !this.machine) return;
          this.execute(
            this.machine.handle({ type: 'timeout', kind: a.kind, height: a.height, round: a.round }).actions,
          );
        }, a.delayMs);
        this.timers.add(t);
        return;
      }
      case 'requestProposal': {
        const cfg = node.home.config;
        // The execution app picks the block from a window several blocks deep: transactions it cannot
        // include yet (behind a nonce gap a lost transaction left) must not fill the whole block's worth
        // of the FIFO head and starve the block (seen at saturation: blocks of 70 transfers with a
        // backlog of thousands). prepareProposal keeps the block within maxBlockTxBytes.
        const window = node.appKind === 'execution' ? PROPOSAL_WINDOW_BLOCKS : 1;
        const candidates = node.mempool.reap({ maxBytes: cfg.maxBlockTxBytes * window });
        const now = BigInt(Date.now());
        const txs = await node.app.prepareProposal({
          height: a.height,
          timeMs: now,
          txs: candidates,
          maxBytes: cfg.maxBlockTxBytes,
        });
        if (gen !== this.generation || !this.machine) return;
        this.execute(
          this.machine.handle({ type: 'proposalTxs', height: a.height, round: a.round, txs, timeMs: now })
            .actions,
        );
        return;
      }
      case 'validateBlock': {
        const b = a.block;
        const valid = await node.app.processProposal({
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
        const applied = await node.commitBlock(a.block, a.commit, 'consensus');
        if (applied) await node.store.pruneWal(a.block.header.height);
        return;
      }
      case 'evidence': {
        const bytes = encodeEvidence(a.evidence);
        await node.store.saveEvidence(sha256(bytes), bytes);
        node.log.warn(
          { kind: a.evidence.kind, id: toHex(sha256(bytes)).slice(0, 18) },
          'consensus: evidence of equivocation stored',
        );
        return;
      }
    }
  }

  private async lastWal(height: bigint): Promise<WalState | undefined> {
    if (height < 1n) return undefined;
    const entries = await this.node.store.loadWal(height);
    const last = entries[entries.length - 1];
    return last === undefined ? undefined : decodeWalState(last);
  }
}

function toPeerMessage(m: ConsensusMessage): PeerMessage {
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
