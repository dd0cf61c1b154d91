// The Tendermint consensus state machine (Buchman, Kwon, Milosevic 2018, Algorithm 1) for one validator,
// pure and deterministic: events in, actions out, no I/O, no clock, no randomness. Proposer rotation is
// CometBFT's weighted round robin (validators.ts); a decided block carries the certificate assembled from
// the 2f+1 precommits that decided it.
//
// ## How an adapter drives it (ConsensusDriver in driver.ts does this, through the ports of driver-ports.ts)
// 1. Build it for the next height to decide: `new ConsensusMachine(config, start)` where `start` holds the
//    last committed header and certificate, the app hash after it (Application.info / finalizeBlock) and
//    the WalState saved for this height, if any (after a crash). Build the `signer` as
//    `new SignGuard(keySigner(seed), wal?.signState ?? lastSignStateFromStore)`: the guard refuses to sign
//    anything conflicting with what it signed before.
// 2. Call `start()` once, then `handle(event)` for each event; both return `{ actions }`. Execute the
//    actions **in order**:
//    - `persist`: save `wal` durably (store.appendWal(wal.height, encodeWalState(wal))) and wait for it
//      BEFORE executing any later action. It always precedes the broadcast of anything newly signed.
//    - `broadcast`: send the message to all peers (encodeMessage).
//    - `scheduleTimeout`: after `delayMs`, feed `{ type: 'timeout', kind, height, round }` back.
//    - `requestProposal`: we propose this round; reap txs (Application.prepareProposal, the mempool) and
//      feed `{ type: 'proposalTxs', height, round, txs, timeMs: now }`.
//    - `validateBlock`: call Application.processProposal and feed `{ type: 'blockValidated', ... }`.
//    - `decide`: the block is final. Execute it (finalizeBlock), save block + certificate + state in one
//      batch, commit, then feed `{ type: 'blockExecuted', height, appHash }`. The machine moves to the next
//      height once that event arrived and the commit timeout fired.
//    - `evidence`: store it (conflicting signatures by one validator).
// 3. Peer messages: decode with decodeMessage (drop the peer message on CodecError) and feed
//    `{ type: 'message', message, nowMs: BigInt(Date.now()) }` (nowMs lets the machine prevote nil for a
//    block time outside [nowMs - maxPastBlockTimeMs, nowMs + maxFutureBlockTimeMs], see MachineConfig). The result's `ignored` says why a message changed nothing; `behind`
//    (a height) means peers have moved past the height we are deciding: fetch block `behind` and its
//    certificate (block sync) and feed `{ type: 'syncCommit', block, commit }`, which the machine checks
//    (the block against our chain, the certificate by > 2/3 of the power) before deciding it.
// 4. Gossip: every few hundred ms send `gossip()` (our proposal and the votes we hold for the current
//    round) to peers, so dropped messages are made good; duplicates are recognised before signature checks.
import { equalBytes, GridledgerError, toHex } from '@gridledger/base';
import { buildBlock, buildCommit, ZERO_HASH } from './block.ts';
import { decodeVoteSignBytes, hashBlock, proposalSignBytes, voteSignBytes } from './codec.ts';
import type { Signer } from './ed25519.ts';
import { SignGuard, type SignState } from './guard.ts';
import type {
  Block,
  CommitCertificate,
  ConsensusMessage,
  Evidence,
  Header,
  Proposal,
  ValidatorSet,
  Vote,
  VoteType,
} from './types.ts';
import type { ValidatorHistory } from './validator-history.ts';
import { isOneThird, isTwoThirds, ProposerSchedule, totalPower, validatorIndex } from './validators.ts';
import { verifyBlock, verifyBlockCommit, verifyProposalSignature, verifyVote } from './verify.ts';

/** Timeout lengths in milliseconds; the propose/prevote/precommit ones grow by their delta each round. */
export interface Timeouts {
  proposeMs: number;
  proposeDeltaMs: number;
  prevoteMs: number;
  prevoteDeltaMs: number;
  precommitMs: number;
  precommitDeltaMs: number;
  /** Wait after a decision before starting the next height (sets the block interval). */
  commitMs: number;
}

/**
 * Rounds ahead of the machine's own (of round 0 for the next height) within which a peer's message is
 * looked at; later ones are dropped before any work (an honest peer gets 100 rounds ahead only after
 * about 87 minutes of failed rounds at one height with the default timeouts).
 */
export const MAX_ROUNDS_AHEAD = 100;
/** Default of MachineConfig.maxFutureBlockTimeMs: a new proposal's time at most this far ahead of our clock. */
export const DEFAULT_MAX_FUTURE_BLOCK_TIME_MS = 5_000;
/** Default of MachineConfig.maxPastBlockTimeMs: a new proposal's time at most this far behind our clock. */
export const DEFAULT_MAX_PAST_BLOCK_TIME_MS = 5_000;

/** Defaults: a block about every second; with one of four validators down, one every few seconds. */
export const DEFAULT_TIMEOUTS: Timeouts = {
  proposeMs: 1000,
  proposeDeltaMs: 500,
  prevoteMs: 500,
  prevoteDeltaMs: 250,
  precommitMs: 500,
  precommitDeltaMs: 250,
  commitMs: 950,
};

/** Fixed parameters of a machine. */
export interface MachineConfig {
  chainId: string;
  /** The validator set (the one at every height when `history` is not given). */
  validators: ValidatorSet;
  /**
   * The chain's validator history (validator-history.ts): when given, the machine decides with the set in
   * force at its height (`validators` is then the genesis set), checks the last commit with the set of
   * the height before, and accepts blocks whose evidence history.checkEvidence accepts. Without it every
   * height has `validators` and a block with evidence is refused.
   */
  history?: ValidatorHistory;
  /** This validator's signer (normally a SignGuard); null for a node that follows without voting. */
  signer: Signer | null;
  timeouts?: Partial<Timeouts>;
  /** Messages for the next height kept until we get there (default 10,000). */
  maxBufferedMessages?: number;
  /** Rounds ahead of ours for which messages are kept (default MAX_ROUNDS_AHEAD); later ones are ignored. */
  maxRoundsAhead?: number;
  /**
   * A new proposal (polRound -1) whose block time is more than this far ahead of the receiver's clock
   * (`nowMs` of the message event) is not timely: we prevote nil for it, so a Byzantine proposer cannot
   * push chain time (market gate closures) forward. Default {@link DEFAULT_MAX_FUTURE_BLOCK_TIME_MS}.
   * Re-proposals (polRound >= 0) are not re-checked (as in CometBFT's proposer-based timestamps).
   */
  maxFutureBlockTimeMs?: number;
  /**
   * Likewise for a block time more than this far behind the receiver's clock: a proposer cannot hold chain
   * time back (keep a market gate open) by more than this. It must cover the proposer's block building
   * and the message delay plus the validators' clock differences. Default
   * {@link DEFAULT_MAX_PAST_BLOCK_TIME_MS}.
   */
  maxPastBlockTimeMs?: number;
  /**
   * A proposer schedule for `validators` to share between successive machines (it walks heights forward
   * from where it is; a new one walks from genesis, O(height x validators)).
   */
  proposerSchedule?: ProposerSchedule;
}

/** Where the machine starts: the height after the last committed one. */
export interface MachineStart {
  /** Height to decide next (>= 1). */
  height: bigint;
  /** Header of block height-1, null at height 1. */
  lastBlock: Header | null;
  /** Certificate of block height-1, null at height 1. */
  lastCommit: CommitCertificate | null;
  /** Application state root after block height-1 (the genesis root at height 1). */
  appHash: Uint8Array;
  /** Earliest block time at height 1 (genesis time); ignored above. */
  genesisTimeMs?: bigint;
  /** The last WalState persisted, when it is for `height` (restart after a crash). */
  recovered?: WalState | null;
}

/** The per-height state that must survive a crash: round, lock, valid value and the sign guard's state. */
export interface WalState {
  height: bigint;
  round: number;
  lockedRound: number;
  lockedBlock: Block | null;
  validRound: number;
  validBlock: Block | null;
  signState: SignState | null;
}

/** Kinds of timeouts. */
export type TimeoutKind = 'propose' | 'prevote' | 'precommit' | 'commit';

/** Inputs to the machine. */
export type ConsensusEvent =
  | {
      type: 'message';
      message: ConsensusMessage;
      /** The receiver's clock (ms since the epoch) when it arrived; enables the block-time check. */
      nowMs?: bigint;
    }
  | { type: 'timeout'; kind: TimeoutKind; height: bigint; round: number }
  | {
      type: 'proposalTxs';
      height: bigint;
      round: number;
      txs: Uint8Array[];
      timeMs: bigint;
      /** Evidence for the proposed block (checked by the adapter with history.checkEvidence). */
      evidence?: Evidence[];
    }
  | { type: 'blockValidated'; height: bigint; blockHash: Uint8Array; valid: boolean }
  | { type: 'blockExecuted'; height: bigint; appHash: Uint8Array }
  | { type: 'syncCommit'; block: Block; commit: CommitCertificate };

/** Outputs of the machine, to execute in order. */
export type ConsensusAction =
  | { type: 'persist'; wal: WalState }
  | { type: 'broadcast'; message: ConsensusMessage }
  | { type: 'scheduleTimeout'; kind: TimeoutKind; height: bigint; round: number; delayMs: number }
  | { type: 'requestProposal'; height: bigint; round: number }
  | { type: 'validateBlock'; height: bigint; blockHash: Uint8Array; block: Block }
  | { type: 'decide'; block: Block; commit: CommitCertificate; round: number }
  | { type: 'evidence'; evidence: Evidence };

/** What one event did. */
export interface HandleResult {
  actions: ConsensusAction[];
  /** Why the event changed nothing (bad signature, unknown validator, old height, duplicate, ...). */
  ignored?: string;
  /** Peers have decided this height (the one we are deciding) and moved on: fetch it by block sync. */
  behind?: bigint;
}

/** Steps of a round; `commit` = decided, waiting for execution and the commit timeout. */
export type Step = 'propose' | 'prevote' | 'precommit' | 'commit';

/** Misuse of the machine by its adapter (an event it cannot have produced). */
export class ConsensusError extends GridledgerError {
  constructor(message: string) {
    super('E_CONSENSUS', message);
    this.name = 'ConsensusError';
  }
}

const NIL = 'nil';
const keyOf = (h: Uint8Array | null): string => (h === null ? NIL : Buffer.from(h).toString('hex'));

/** Most distinct values kept per validator per round and type (a Byzantine one may sign many). */
const MAX_VALUES_PER_VALIDATOR = 4;
/** Most distinct proposals kept per round (an equivocating proposer may sign many). */
const MAX_PROPOSALS_PER_ROUND = 4;

/**
 * The votes of one type in one round. As in the paper, a quorum for a value counts each validator that
 * voted for it once; a validator that equivocated counts towards each value it signed (safety is
 * unaffected: two quorums still share an honest validator), so every honest node eventually sees the
 * same quorums whatever order the conflicting votes arrive in.
 */
class VoteSet {
  /** validator index -> value key -> vote. */
  readonly byValidator = new Map<number, Map<string, Vote>>();
  readonly power = new Map<string, bigint>();
  /** Power of the distinct validators that voted at all. */
  sum = 0n;

  get(index: number, key: string): Vote | undefined {
    return this.byValidator.get(index)?.get(key);
  }

  /** Values already voted by this validator. */
  valuesOf(index: number): Map<string, Vote> | undefined {
    return this.byValidator.get(index);
  }

  add(vote: Vote, power: bigint): void {
    const k = keyOf(vote.blockHash);
    let mine = this.byValidator.get(vote.validatorIndex);
    if (mine === undefined) {
      mine = new Map();
      this.byValidator.set(vote.validatorIndex, mine);
      this.sum += power;
    }
    mine.set(k, vote);
    this.power.set(k, (this.power.get(k) ?? 0n) + power);
  }

  /** Every vote held. */
  *all(): Generator<Vote> {
    for (const m of this.byValidator.values()) yield* m.values();
  }

  /** The non-nil key with more than 2/3 of `total`, if any. */
  quorumValue(total: bigint): string | undefined {
    for (const [k, p] of this.power) if (k !== NIL && isTwoThirds(p, total)) return k;
    return undefined;
  }

  has(key: string, total: bigint): boolean {
    return isTwoThirds(this.power.get(key) ?? 0n, total);
  }
}

interface RoundState {
  prevotes: VoteSet;
  precommits: VoteSet;
  /** Validators that sent anything at this round (for the f+1 round skip). */
  senders: Set<number>;
  /** Proposals from the round's proposer by block key, in arrival order (more than one: equivocation). */
  proposals: Map<string, Proposal>;
  prevoteTimeout: boolean;
  precommitTimeout: boolean;
  /** Rule "proposal + polka for it at this round" already applied. */
  polkaApplied: boolean;
  /** Proposal keys whose block time was too far in the future when received (lines 22-27 prevote nil). */
  untimely: Set<string>;
}

type Validity = 'pending' | 'valid' | 'invalid';

/**
 * One validator's Tendermint state machine. See the header of this file for how to drive it.
 * @example
 * const m = new ConsensusMachine({ chainId, validators, signer }, { height: 1n, lastBlock: null,
 *   lastCommit: null, appHash: genesisRoot });
 * run(m.start().actions);
 * run(m.handle({ type: 'message', message }).actions);
 */
export class ConsensusMachine {
  readonly chainId: string;
  readonly #genesisValidators: ValidatorSet;
  #validators: ValidatorSet;
  #previousValidators: ValidatorSet;
  readonly #history: ValidatorHistory | undefined;
  /** This validator's index in the set (-1 for a follower), whatever its power. */
  readonly #signerIndex: number;
  readonly #signer: Signer | null;
  #myIndex: number;
  readonly #timeouts: Timeouts;
  #total: bigint;
  readonly #schedule: ProposerSchedule;
  readonly #maxBuffered: number;
  readonly #maxRoundsAhead: number;
  readonly #maxFutureMs: bigint;
  readonly #maxPastMs: bigint;

  // Chain position.
  #height: bigint;
  #lastBlock: Header | null;
  #lastBlockHash: Uint8Array;
  #lastCommit: CommitCertificate | null;
  #appHash: Uint8Array;
  #genesisTimeMs: bigint;

  // Algorithm 1 state at this height.
  #round = 0;
  #step: Step = 'propose';
  #lockedRound = -1;
  #lockedKey: string | null = null;
  #validRound = -1;
  #validKey: string | null = null;
  #rounds = new Map<number, RoundState>();
  #blocks = new Map<string, Block>();
  #validity = new Map<string, Validity>();
  #decided: { block: Block; commit: CommitCertificate; round: number } | null = null;
  #executedAppHash: Uint8Array | null = null;
  #commitTimeoutDone = false;
  #proposalRequested = -1;

  #buffer: { message: ConsensusMessage; nowMs: bigint | undefined }[] = [];
  #evidence: Evidence[] = [];
  #evidenceKeys = new Set<string>();
  #out: ConsensusAction[] = [];
  #dirty = false;
  #started = false;

  constructor(config: MachineConfig, start: MachineStart) {
    this.chainId = config.chainId;
    const history = config.history;
    this.#history = history;
    this.#genesisValidators = config.validators;
    this.#schedule =
      config.proposerSchedule ??
      new ProposerSchedule(
        config.validators,
        undefined,
        history ? (h: bigint) => history.validatorsAt(h) : undefined,
      );
    this.#signer = config.signer;
    this.#signerIndex =
      config.signer === null ? -1 : validatorIndex(config.validators, config.signer.publicKey);
    // Set for the start height by #enterValidators (definite assignment for the compiler).
    this.#validators = config.validators;
    this.#previousValidators = config.validators;
    this.#total = 0n;
    this.#myIndex = -1;
    this.#enterValidators(start.height);
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...config.timeouts };
    this.#maxBuffered = config.maxBufferedMessages ?? 10_000;
    this.#maxRoundsAhead = config.maxRoundsAhead ?? MAX_ROUNDS_AHEAD;
    this.#maxFutureMs = BigInt(config.maxFutureBlockTimeMs ?? DEFAULT_MAX_FUTURE_BLOCK_TIME_MS);
    this.#maxPastMs = BigInt(config.maxPastBlockTimeMs ?? DEFAULT_MAX_PAST_BLOCK_TIME_MS);
    if (start.height < 1n)
      throw new ConsensusError(`machine start: height must be >= 1, got ${start.height}`);
    if ((start.height === 1n) !== (start.lastBlock === null))
      throw new ConsensusError('machine start: lastBlock must be null exactly at height 1');
    if (start.lastBlock !== null && start.lastBlock.height !== start.height - 1n)
      throw new ConsensusError(
        `machine start: lastBlock is height ${start.lastBlock.height}, expected ${start.height - 1n}`,
      );
    this.#height = start.height;
    this.#lastBlock = start.lastBlock;
    this.#lastBlockHash = start.lastBlock === null ? ZERO_HASH : hashBlock(start.lastBlock);
    this.#lastCommit = start.lastCommit;
    this.#appHash = start.appHash;
    this.#genesisTimeMs = start.genesisTimeMs ?? 0n;
    const w = start.recovered;
    if (w != null && w.height === start.height) {
      this.#round = w.round;
      if (w.lockedBlock !== null && w.lockedRound >= 0) {
        this.#lockedRound = w.lockedRound;
        this.#lockedKey = this.#addOwnBlock(w.lockedBlock);
      }
      if (w.validBlock !== null && w.validRound >= 0) {
        this.#validRound = w.validRound;
        this.#validKey = this.#addOwnBlock(w.validBlock);
      }
      // The last vote we signed at this height, rebuilt from the sign state: gossip sends it again. Its
      // copy on the wire may have been lost in the crash, and the guard will not sign it anew with
      // different bytes; without it the others can wait for our vote for ever (three validators with
      // power, one of them restarted after its prevote).
      const ss = w.signState;
      const v = ss !== null && ss.height === start.height ? decodeVoteSignBytes(ss.signBytes) : null;
      if (v !== null && v.chainId === this.chainId && v.height === start.height && this.#myIndex >= 0)
        this.#acceptVote({
          type: v.type,
          height: v.height,
          round: v.round,
          blockHash: v.blockHash,
          validatorIndex: this.#myIndex,
          signature: ss!.signature,
        });
    }
  }

  /** The sets of `height` and the one before, its total power and our index (-1 when jailed there). */
  #enterValidators(height: bigint): void {
    const h = this.#history;
    this.#validators = h ? h.validatorsAt(height) : this.#genesisValidators;
    this.#previousValidators = h && height > 1n ? h.validatorsAt(height - 1n) : this.#validators;
    this.#total = totalPower(this.#validators);
    const mine = this.#signerIndex;
    // A jailed validator (power 0 at this height) follows without voting: nobody would count its votes.
    this.#myIndex = mine >= 0 && this.#validators.validators[mine]!.power > 0n ? mine : -1;
  }

  // ---------- public surface ----------

  /** The validator set in force at the height being decided. */
  get validators(): ValidatorSet {
    return this.#validators;
  }

  /** Height being decided. */
  get height(): bigint {
    return this.#height;
  }
  /** Current round. */
  get round(): number {
    return this.#round;
  }
  /** Current step. */
  get step(): Step {
    return this.#step;
  }
  /** Index of this validator in the set, or -1. */
  get validatorIndex(): number {
    return this.#myIndex;
  }
  /** Round of the lock, -1 when not locked. */
  get lockedRound(): number {
    return this.#lockedRound;
  }
  /** The last 1,000 pieces of evidence seen (each also emitted once as an `evidence` action). */
  get evidence(): readonly Evidence[] {
    return this.#evidence;
  }
  /** The decision at this height, while waiting to move on. */
  get decided(): { block: Block; commit: CommitCertificate; round: number } | null {
    return this.#decided;
  }
  /**
   * Index of the proposer of (height, round), for this machine's height or the next one only (the
   * schedule is first walked to this machine's own height, which it trusts); throws RangeError for any
   * other height or a round beyond the schedule's walk limit.
   */
  proposerIndex(height: bigint, round: number): number {
    if (height !== this.#height && height !== this.#height + 1n)
      throw new RangeError(`proposerIndex: height ${height} is neither ${this.#height} nor the next`);
    this.#schedule.advanceTo(this.#height);
    return this.#schedule.proposer(height, round);
  }

  /** Starts round 0 of the start height (or the recovered round). Call once. */
  start(): HandleResult {
    if (this.#started) throw new ConsensusError('machine already started');
    this.#started = true;
    this.#startRound(this.#round);
    this.#progress();
    return this.#flush();
  }

  /** Applies one event; returns the actions to execute in order. */
  handle(event: ConsensusEvent): HandleResult {
    if (!this.#started) throw new ConsensusError('handle() before start()');
    let r: Omit<HandleResult, 'actions'> = {};
    switch (event.type) {
      case 'message':
        r = this.#onMessage(event.message, event.nowMs);
        break;
      case 'timeout':
        r = this.#onTimeout(event.kind, event.height, event.round);
        break;
      case 'proposalTxs':
        r = this.#onProposalTxs(event.height, event.round, event.txs, event.timeMs, event.evidence);
        break;
      case 'blockValidated':
        r = this.#onValidated(event.height, event.blockHash, event.valid);
        break;
      case 'blockExecuted':
        r = this.#onExecuted(event.height, event.appHash);
        break;
      case 'syncCommit':
        r = this.#onSyncCommit(event.block, event.commit);
        break;
      default:
        throw new ConsensusError(`unknown event type ${String((event as { type: unknown }).type)}`);
    }
    this.#progress();
    return { ...this.#flush(), ...r };
  }

  /**
   * Messages worth re-sending to peers: the proposals and votes of the current and previous round, of
   * the decision round, and the polka behind our valid value. Proposals carry whole blocks: pass
   * `{ proposals: false }` to re-send only votes (e.g. on most gossip ticks).
   */
  gossip(options: { proposals?: boolean } = {}): ConsensusMessage[] {
    const withProposals = options.proposals ?? true;
    const out: ConsensusMessage[] = [];
    const rounds = new Set<number>([this.#round]);
    if (this.#round > 0) rounds.add(this.#round - 1);
    if (this.#decided !== null) rounds.add(this.#decided.round);
    if (this.#validRound >= 0) rounds.add(this.#validRound);
    for (const r of [...rounds].sort((a, b) => a - b)) {
      const rs = this.#rounds.get(r);
      if (rs === undefined) continue;
      if (withProposals) for (const p of rs.proposals.values()) out.push({ kind: 'proposal', proposal: p });
      for (const v of rs.prevotes.all()) out.push({ kind: 'vote', vote: v });
      for (const v of rs.precommits.all()) out.push({ kind: 'vote', vote: v });
    }
    return out;
  }

  /** The state to persist (also emitted in `persist` actions). */
  walState(): WalState {
    return {
      height: this.#height,
      round: this.#round,
      lockedRound: this.#lockedRound,
      lockedBlock: this.#lockedKey === null ? null : (this.#blocks.get(this.#lockedKey) ?? null),
      validRound: this.#validRound,
      validBlock: this.#validKey === null ? null : (this.#blocks.get(this.#validKey) ?? null),
      signState: this.#signer instanceof SignGuard ? this.#signer.state : null,
    };
  }

  // ---------- helpers ----------

  #flush(): HandleResult {
    const actions = this.#out;
    this.#out = [];
    if (this.#dirty) {
      this.#dirty = false;
      actions.unshift({ type: 'persist', wal: this.walState() });
    }
    return { actions };
  }

  #roundState(r: number): RoundState {
    let rs = this.#rounds.get(r);
    if (rs === undefined) {
      rs = {
        prevotes: new VoteSet(),
        precommits: new VoteSet(),
        senders: new Set(),
        proposals: new Map(),
        prevoteTimeout: false,
        precommitTimeout: false,
        polkaApplied: false,
        untimely: new Set(),
      };
      this.#rounds.set(r, rs);
    }
    return rs;
  }

  #timeout(kind: TimeoutKind, round: number): void {
    const t = this.#timeouts;
    const delayMs =
      kind === 'propose'
        ? t.proposeMs + t.proposeDeltaMs * round
        : kind === 'prevote'
          ? t.prevoteMs + t.prevoteDeltaMs * round
          : kind === 'precommit'
            ? t.precommitMs + t.precommitDeltaMs * round
            : t.commitMs;
    this.#out.push({ type: 'scheduleTimeout', kind, height: this.#height, round, delayMs });
  }

  /** Adds a block we built or recovered; it is valid by construction. */
  #addOwnBlock(block: Block): string {
    const k = keyOf(hashBlock(block.header));
    this.#blocks.set(k, block);
    this.#validity.set(k, 'valid');
    return k;
  }

  /** Records a block from a proposal and starts its validation (structural here, then the application). */
  #addBlock(block: Block, key: string): void {
    if (this.#validity.has(key)) return;
    this.#blocks.set(key, block);
    const check = this.#checkBlock(block);
    if (!check.ok) {
      this.#validity.set(key, 'invalid');
      return;
    }
    this.#validity.set(key, 'pending');
    this.#out.push({
      type: 'validateBlock',
      height: this.#height,
      blockHash: Buffer.from(key, 'hex'),
      block,
    });
  }

  #checkBlock(block: Block): { ok: true } | { ok: false; reason: string } {
    const r = verifyBlock(block, {
      chainId: this.chainId,
      validators: this.validators,
      previousValidators: this.#previousValidators,
      ...(this.#history ? { history: this.#history } : {}),
      previous: this.#lastBlock,
      previousHash: this.#lastBlockHash,
      appHash: this.#appHash,
    });
    if (!r.ok) return r;
    if (this.#lastBlock === null && block.header.timeMs < this.#genesisTimeMs)
      return { ok: false, reason: 'block 1: time before genesis' };
    return r;
  }

  #sign(step: 'proposal' | 'prevote' | 'precommit', round: number, signBytes: Uint8Array): Uint8Array | null {
    if (this.#signer === null || this.#myIndex < 0) return null;
    const sig = this.#signer.sign({ height: this.#height, round, step, signBytes });
    if (sig !== null) this.#dirty = true;
    return sig;
  }

  #castVote(type: VoteType, key: string): void {
    const blockHash = key === NIL ? null : Buffer.from(key, 'hex');
    const round = this.#round;
    const sig = this.#sign(
      type,
      round,
      voteSignBytes(this.chainId, { type, height: this.#height, round, blockHash }),
    );
    if (sig === null) return;
    const vote: Vote = {
      type,
      height: this.#height,
      round,
      blockHash: blockHash === null ? null : new Uint8Array(blockHash),
      validatorIndex: this.#myIndex,
      signature: sig,
    };
    this.#acceptVote(vote);
    this.#out.push({ type: 'broadcast', message: { kind: 'vote', vote } });
  }

  #acceptVote(vote: Vote): void {
    const rs = this.#roundState(vote.round);
    const set = vote.type === 'prevote' ? rs.prevotes : rs.precommits;
    set.add(vote, this.validators.validators[vote.validatorIndex]!.power);
    rs.senders.add(vote.validatorIndex);
  }

  #addEvidence(key: string, e: Evidence): void {
    if (this.#evidenceKeys.has(key)) return;
    this.#evidenceKeys.add(key);
    this.#evidence.push(e);
    if (this.#evidence.length > 1000) this.#evidence.shift();
    this.#out.push({ type: 'evidence', evidence: e });
  }

  // ---------- Algorithm 1 ----------

  #startRound(round: number): void {
    this.#round = round;
    this.#step = 'propose';
    this.#dirty = true;
    const rs = this.#roundState(round);
    this.#timeout('propose', round);
    if (this.#myIndex < 0 || this.proposerIndex(this.#height, round) !== this.#myIndex) return;
    if (rs.proposals.size > 0) return;
    if (this.#validKey !== null && this.#validRound < round) {
      const block = this.#blocks.get(this.#validKey);
      if (block !== undefined) {
        this.#propose(round, this.#validRound, block);
        return;
      }
    }
    this.#proposalRequested = round;
    this.#out.push({ type: 'requestProposal', height: this.#height, round });
  }

  #propose(round: number, polRound: number, block: Block): void {
    const blockHash = hashBlock(block.header);
    const sig = this.#sign(
      'proposal',
      round,
      proposalSignBytes(this.chainId, { height: this.#height, round, polRound, blockHash }),
    );
    if (sig === null) return;
    const proposal: Proposal = { height: this.#height, round, polRound, block, signature: sig };
    const key = this.#addOwnBlock(block);
    const rs = this.#roundState(round);
    rs.proposals.set(key, proposal);
    rs.senders.add(this.#myIndex);
    this.#out.push({ type: 'broadcast', message: { kind: 'proposal', proposal } });
  }

  #onProposalTxs(
    height: bigint,
    round: number,
    txs: Uint8Array[],
    timeMs: bigint,
    evidence: Evidence[] | undefined,
  ): Omit<HandleResult, 'actions'> {
    if (height !== this.#height || round !== this.#round || this.#proposalRequested !== round)
      return { ignored: `proposal txs for ${height}/${round} arrive at ${this.#height}/${this.#round}` };
    if (this.#step !== 'propose') return { ignored: 'proposal txs arrive after the propose step' };
    this.#proposalRequested = -1;
    const minTime = this.#lastBlock === null ? this.#genesisTimeMs : this.#lastBlock.timeMs + 1n;
    const block = buildBlock({
      chainId: this.chainId,
      height: this.#height,
      timeMs: timeMs > minTime ? timeMs : minTime,
      proposer: this.validators.validators[this.#myIndex]!.publicKey,
      lastBlockHash: this.#lastBlockHash,
      appHash: this.#appHash,
      validators: this.validators,
      lastCommit: this.#lastCommit,
      txs,
      ...(evidence !== undefined && evidence.length > 0 ? { evidence } : {}),
    });
    this.#propose(round, -1, block);
    return {};
  }

  #checkMessageHeight(
    height: bigint,
    message: ConsensusMessage,
    nowMs?: bigint,
  ): Omit<HandleResult, 'actions'> | null {
    if (height === this.#height) {
      if (this.#decided !== null) return { ignored: `height ${height} already decided` };
      return null;
    }
    if (height < this.#height) return { ignored: `old height ${height} (at ${this.#height})` };
    const behind = this.#decided === null ? { behind: this.#height } : {};
    if (height === this.#height + 1n) {
      if (this.#buffer.length >= this.#maxBuffered) return { ignored: 'next-height buffer full', ...behind };
      this.#buffer.push({ message, nowMs });
      return { ignored: `buffered for height ${height}`, ...behind };
    }
    return { ignored: `future height ${height} (at ${this.#height})`, ...behind };
  }

  #onMessage(message: ConsensusMessage, nowMs?: bigint): Omit<HandleResult, 'actions'> {
    if (message.kind === 'vote') return this.#onVote(message.vote, message);
    if (message.kind === 'proposal') return this.#onProposal(message.proposal, message, nowMs);
    return { ignored: 'unknown message kind' };
  }

  #onVote(vote: Vote, message: ConsensusMessage): Omit<HandleResult, 'actions'> {
    const h = this.#checkMessageHeight(vote.height, message);
    if (h !== null) return h;
    if (this.validators.validators[vote.validatorIndex] === undefined)
      return {
        ignored: `vote from validator index ${vote.validatorIndex}, not in the set of ${this.validators.validators.length}`,
      };
    if (this.validators.validators[vote.validatorIndex]!.power === 0n)
      return {
        ignored: `vote from jailed validator ${vote.validatorIndex} (power 0 at height ${vote.height})`,
      };
    if (vote.round > this.#round + this.#maxRoundsAhead)
      return { ignored: `vote for round ${vote.round}, too far ahead` };
    const key = keyOf(vote.blockHash);
    const set = this.#rounds.get(vote.round)?.[vote.type === 'prevote' ? 'prevotes' : 'precommits'];
    const prior = set?.get(vote.validatorIndex, key);
    if (prior !== undefined && equalBytes(prior.signature, vote.signature))
      return { ignored: 'duplicate vote' };
    const values = set?.valuesOf(vote.validatorIndex);
    if (prior === undefined && values !== undefined && values.size >= MAX_VALUES_PER_VALIDATOR)
      return {
        ignored: `validator ${vote.validatorIndex} already signed ${values.size} values at round ${vote.round}`,
      };
    const check = verifyVote(vote, this.validators, this.chainId);
    if (!check.ok) return { ignored: check.reason };
    if (prior !== undefined) return { ignored: 'duplicate vote' };
    const other = values === undefined ? undefined : [...values.values()][0];
    this.#acceptVote(vote);
    if (other !== undefined) {
      this.#addEvidence(`v/${vote.height}/${vote.type}/${vote.round}/${vote.validatorIndex}`, {
        kind: 'duplicate-vote',
        voteA: other,
        voteB: vote,
      });
      return { ignored: `conflicting ${vote.type} from validator ${vote.validatorIndex}: kept as evidence` };
    }
    return {};
  }

  #onProposal(p: Proposal, message: ConsensusMessage, nowMs?: bigint): Omit<HandleResult, 'actions'> {
    const h = this.#checkMessageHeight(p.height, message, nowMs);
    if (h !== null) return h;
    if (p.round > this.#round + this.#maxRoundsAhead)
      return { ignored: `proposal for round ${p.round}, too far ahead` };
    const proposerIdx = this.proposerIndex(this.#height, p.round);
    const rs = this.#rounds.get(p.round);
    const key = keyOf(hashBlock(p.block.header));
    const prior = rs?.proposals.get(key);
    if (prior !== undefined && equalBytes(prior.signature, p.signature))
      return { ignored: 'duplicate proposal' };
    if (prior === undefined && rs !== undefined && rs.proposals.size >= MAX_PROPOSALS_PER_ROUND)
      return { ignored: `already ${rs.proposals.size} proposals at round ${p.round}` };
    const check = verifyProposalSignature(
      p,
      this.validators.validators[proposerIdx]!.publicKey,
      this.chainId,
    );
    if (!check.ok) return { ignored: `${check.reason} (not from the proposer of round ${p.round})` };
    if (prior !== undefined) return { ignored: 'duplicate proposal' };
    const state = this.#roundState(p.round);
    const first = [...state.proposals.entries()][0];
    state.proposals.set(key, p);
    state.senders.add(proposerIdx);
    if (nowMs !== undefined && p.polRound === -1 && !this.#timely(p.block.header.timeMs, nowMs))
      state.untimely.add(key);
    this.#addBlock(p.block, key);
    if (first !== undefined) {
      const header = (x: Proposal, k: string) => ({
        height: x.height,
        round: x.round,
        polRound: x.polRound,
        blockHash: Buffer.from(k, 'hex'),
        signature: x.signature,
      });
      this.#addEvidence(`p/${p.height}/${p.round}`, {
        kind: 'duplicate-proposal',
        validatorIndex: proposerIdx,
        proposalA: header(first[1], first[0]),
        proposalB: header(p, key),
      });
      return {
        ignored: `second proposal from validator ${proposerIdx} at round ${p.round}: kept as evidence`,
      };
    }
    return {};
  }

  /** A new proposal's block time is within [now - maxPast, now + maxFuture] of the receiver's clock. */
  #timely(timeMs: bigint, nowMs: bigint): boolean {
    return timeMs <= nowMs + this.#maxFutureMs && timeMs >= nowMs - this.#maxPastMs;
  }

  #onValidated(height: bigint, blockHash: Uint8Array, valid: boolean): Omit<HandleResult, 'actions'> {
    if (height !== this.#height)
      return { ignored: `validation for height ${height} arrives at ${this.#height}` };
    const k = keyOf(blockHash);
    if (this.#validity.get(k) !== 'pending')
      return { ignored: `no pending validation for ${toHex(blockHash)}` };
    this.#validity.set(k, valid ? 'valid' : 'invalid');
    return {};
  }

  #onTimeout(kind: TimeoutKind, height: bigint, round: number): Omit<HandleResult, 'actions'> {
    if (height !== this.#height) return { ignored: `stale ${kind} timeout for height ${height}` };
    if (kind === 'commit') {
      if (this.#decided === null) return { ignored: 'commit timeout without a decision' };
      this.#commitTimeoutDone = true;
      this.#maybeNextHeight();
      return {};
    }
    if (round !== this.#round || this.#decided !== null)
      return { ignored: `stale ${kind} timeout for round ${round}` };
    if (kind === 'propose' && this.#step === 'propose') {
      this.#castVote('prevote', NIL);
      this.#step = 'prevote';
    } else if (kind === 'prevote' && this.#step === 'prevote') {
      this.#castVote('precommit', NIL);
      this.#step = 'precommit';
    } else if (kind === 'precommit') {
      this.#startRound(round + 1);
    } else return { ignored: `${kind} timeout in step ${this.#step}` };
    return {};
  }

  #onExecuted(height: bigint, appHash: Uint8Array): Omit<HandleResult, 'actions'> {
    if (this.#decided === null || height !== this.#height)
      throw new ConsensusError(
        `blockExecuted for height ${height}, but the decided height is ${this.#decided ? this.#height : 'none'}`,
      );
    this.#executedAppHash = appHash;
    this.#maybeNextHeight();
    return {};
  }

  #onSyncCommit(block: Block, commit: CommitCertificate): Omit<HandleResult, 'actions'> {
    const height = block.header.height;
    if (height !== this.#height)
      return { ignored: `synced block ${height} is not the height ${this.#height} being decided` };
    if (this.#decided !== null) return { ignored: `height ${height} already decided` };
    const c = verifyBlockCommit(block, commit, this.validators, this.chainId);
    if (!c.ok) return { ignored: c.reason };
    const b = this.#checkBlock(block);
    if (!b.ok) return { ignored: b.reason };
    const key = keyOf(commit.blockHash);
    this.#blocks.set(key, block);
    this.#validity.set(key, 'valid');
    this.#decide(block, commit, commit.round);
    return {};
  }

  #decide(block: Block, commit: CommitCertificate, round: number): void {
    this.#decided = { block, commit, round };
    this.#step = 'commit';
    this.#out.push({ type: 'decide', block, commit, round });
    this.#timeout('commit', round);
  }

  #maybeNextHeight(): void {
    const d = this.#decided;
    if (d === null || !this.#commitTimeoutDone || this.#executedAppHash === null) return;
    this.#height += 1n;
    this.#enterValidators(this.#height);
    this.#lastBlock = d.block.header;
    this.#lastBlockHash = d.commit.blockHash;
    this.#lastCommit = d.commit;
    this.#appHash = this.#executedAppHash;
    this.#round = 0;
    this.#lockedRound = -1;
    this.#lockedKey = null;
    this.#validRound = -1;
    this.#validKey = null;
    this.#rounds = new Map();
    this.#evidenceKeys.clear();
    this.#blocks = new Map();
    this.#validity = new Map();
    this.#decided = null;
    this.#executedAppHash = null;
    this.#commitTimeoutDone = false;
    this.#proposalRequested = -1;
    this.#startRound(0);
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const m of buffered) {
      this.#onMessage(m.message, m.nowMs);
      this.#progress();
    }
  }

  /** Applies the "upon" rules of Algorithm 1 until none fires. */
  #progress(): void {
    for (let guard = 0; guard < 1000; guard++) {
      if (!this.#applyOneRule()) return;
    }
    throw new ConsensusError('consensus rules did not settle (internal error)');
  }

  #applyOneRule(): boolean {
    if (this.#decided !== null) return false;
    // Lines 49-54: a decision at any round.
    for (const [r, rs] of this.#rounds) {
      const k = rs.precommits.quorumValue(this.#total);
      if (k === undefined) continue;
      const block = this.#blocks.get(k);
      if (block === undefined || this.#validity.get(k) !== 'valid') continue;
      const sigs: { validatorIndex: number; signature: Uint8Array }[] = [];
      for (const [i, m] of rs.precommits.byValidator) {
        const v = m.get(k);
        if (v !== undefined) sigs.push({ validatorIndex: i, signature: v.signature });
      }
      this.#decide(block, buildCommit(this.#height, r, Buffer.from(k, 'hex'), sigs), r);
      return true;
    }
    // Lines 55-56: f+1 validators are at a higher round.
    let skipTo = -1;
    for (const [r, rs] of this.#rounds) {
      if (r <= this.#round || r <= skipTo) continue;
      let p = 0n;
      for (const i of rs.senders) p += this.validators.validators[i]!.power;
      if (isOneThird(p, this.#total)) skipTo = r;
    }
    if (skipTo > this.#round) {
      this.#startRound(skipTo);
      return true;
    }
    const r = this.#round;
    const rs = this.#roundState(r);
    if (this.#step === 'propose') {
      for (const [pk, p] of rs.proposals) {
        const pv = this.#validity.get(pk);
        if (pv === undefined || pv === 'pending') continue;
        const vr = p.polRound;
        if (vr === -1) {
          // Lines 22-27.
          const ok =
            pv === 'valid' && !rs.untimely.has(pk) && (this.#lockedRound === -1 || this.#lockedKey === pk);
          this.#castVote('prevote', ok ? pk : NIL);
          this.#step = 'prevote';
          return true;
        }
        if (vr < r && this.#rounds.get(vr)?.prevotes.has(pk, this.#total)) {
          // Lines 28-33.
          const ok = pv === 'valid' && (this.#lockedRound <= vr || this.#lockedKey === pk);
          this.#castVote('prevote', ok ? pk : NIL);
          this.#step = 'prevote';
          return true;
        }
      }
    }
    // Lines 34-35.
    if (this.#step === 'prevote' && !rs.prevoteTimeout && isTwoThirds(rs.prevotes.sum, this.#total)) {
      rs.prevoteTimeout = true;
      this.#timeout('prevote', r);
      return true;
    }
    // Lines 36-43.
    if ((this.#step === 'prevote' || this.#step === 'precommit') && !rs.polkaApplied) {
      const pk = rs.prevotes.quorumValue(this.#total);
      if (pk !== undefined && rs.proposals.has(pk) && this.#validity.get(pk) === 'valid') {
        rs.polkaApplied = true;
        if (this.#step === 'prevote') {
          this.#lockedKey = pk;
          this.#lockedRound = r;
          this.#castVote('precommit', pk);
          this.#step = 'precommit';
        }
        this.#validKey = pk;
        this.#validRound = r;
        this.#dirty = true;
        return true;
      }
    }
    // Lines 44-46.
    if (this.#step === 'prevote' && rs.prevotes.has(NIL, this.#total)) {
      this.#castVote('precommit', NIL);
      this.#step = 'precommit';
      return true;
    }
    // Lines 47-48.
    if (!rs.precommitTimeout && isTwoThirds(rs.precommits.sum, this.#total)) {
      rs.precommitTimeout = true;
      this.#timeout('precommit', r);
      return true;
    }
    return false;
  }
}
