// The ports of the consensus driver (driver.ts): the small interfaces through which it reaches the world
// outside the pure machine, declared here by the consumer (as CometBFT's state/services.go declares the
// BlockStore the consensus state uses). They speak only consensus's own types: the validator node
// (packages/node) implements them with its NodeStore, Mempool, P2pNetwork, real timers and pino; the
// deterministic simulation (test/sim.ts) implements them with a simulated clock and network.
import type { Signer } from './ed25519.ts';
import type { Timeouts } from './machine.ts';
import type { Block, CommitCertificate, Header, ValidatorSet } from './types.ts';
import type { ValidatorHistory } from './validator-history.ts';
import type { ProposerSchedule } from './validators.ts';

/**
 * A proposal or vote in its canonical bytes (encodeMessage), as it crosses the network. The p2p layer
 * maps its own message of the same kind to and from this shape.
 */
export type ConsensusWireMessage =
  | { kind: 'proposal'; data: Uint8Array }
  | { kind: 'vote'; data: Uint8Array };

/** What the driver needs to know about the last committed block (the machine starts at its height + 1). */
export interface ChainTipView {
  /** Last committed height (0n before the first block). */
  height: bigint;
  /** Header of the last committed block (null at height 0). */
  header: Header | null;
  /** The certificate stored for the last block (null at height 0). */
  cert: CommitCertificate | null;
  /** Application state root after the last block (goes into the next header). */
  appHash: Uint8Array;
}

/** The chain the driver extends: its tip, and the one path by which a decided block is committed. */
export interface ConsensusChain {
  /** The last committed block, read whenever the driver builds a machine or a block was executed. */
  tip(): ChainTipView;
  /**
   * Executes and durably commits a block this node's consensus decided; false when it was not applied
   * (its height is not tip + 1, e.g. block sync got there first). Before it resolves true, the chain's
   * owner calls the driver's `onCommitted(height, 'consensus')`, as it does with `'sync'` for a block
   * that block sync applied.
   */
  commitDecided(block: Block, commit: CommitCertificate): Promise<boolean>;
}

/** Durable consensus state: the write-ahead log of WalState entries per height, and evidence. */
export interface ConsensusStore {
  /** Appends one encoded WalState to the log of `height`; resolves once it is durable. */
  appendWal(height: bigint, entry: Uint8Array): Promise<unknown>;
  /** The entries of `height` in append order. */
  loadWal(height: bigint): Promise<Uint8Array[]>;
  /** Deletes the entries of every height below `height`. */
  pruneWal(height: bigint): Promise<void>;
  /** Saves encoded evidence of equivocation under its id (sha256 of the bytes). */
  saveEvidence(id: Uint8Array, evidence: Uint8Array): Promise<void>;
  /** Every saved piece of evidence (read once at start: what is not committed yet is proposed). */
  listEvidence?(): Promise<{ evidence: Uint8Array }[]>;
}

/** Where proposals' transactions come from: the pool's head (cheap, synchronous). */
export interface TxSource {
  /** The oldest transactions, at most `maxBytes` in total. */
  reap(options: { maxBytes: number }): Uint8Array[];
}

/** The application's part in deciding a block (the ABCI++ PrepareProposal and ProcessProposal calls). */
export interface ProposalApp {
  /** The proposer chooses a block's transactions from mempool candidates, within maxBytes in total. */
  prepareProposal(req: {
    height: bigint;
    timeMs: bigint;
    txs: Uint8Array[];
    maxBytes: number;
  }): Promise<Uint8Array[]>;
  /** A validator checks a proposed block's transactions before it prevotes for it. */
  processProposal(req: { height: bigint; timeMs: bigint; txs: Uint8Array[] }): Promise<boolean>;
}

/** The validator network as consensus sees it: peers by id, proposals and votes in their canonical bytes. */
export interface ConsensusNetwork {
  /** Sends to every connected peer. */
  broadcast(message: ConsensusWireMessage): void;
  /** Sends to every connected peer except `fromPeer` (the one it came from). */
  relay(message: ConsensusWireMessage, fromPeer: string): void;
  /** Sends to one peer. */
  send(peer: string, message: ConsensusWireMessage): void;
  /** Drops a peer that sent something no honest peer sends. */
  disconnect(peer: string, reason: string): void;
  /** How many peers are connected now. */
  peerCount(): number;
}

/** Cancels a scheduled callback (no effect once it ran). */
export type CancelTimer = () => void;

/** Time as the driver sees it: a wall clock and timers (real ones in the node, simulated in tests). */
export interface ConsensusClock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): bigint;
  /** Calls `callback` once after `delayMs`. */
  after(delayMs: number, callback: () => void): CancelTimer;
  /** Calls `callback` every `intervalMs` until cancelled. */
  every(intervalMs: number, callback: () => void): CancelTimer;
}

/** The structured logger the driver writes to (a pino logger fits). */
export interface ConsensusLogger {
  isLevelEnabled(level: 'trace' | 'debug' | 'info' | 'warn' | 'error'): boolean;
  trace(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Everything the driver reaches outside the machine. */
export interface ConsensusPorts {
  chain: ConsensusChain;
  store: ConsensusStore;
  txs: TxSource;
  app: ProposalApp;
  network: ConsensusNetwork;
  clock: ConsensusClock;
  log: ConsensusLogger;
}

/** The fixed settings of a driver (from genesis and the node's configuration). */
export interface ConsensusDriverConfig {
  chainId: string;
  /** The genesis validator set. */
  validators: ValidatorSet;
  /**
   * The chain's validator history, which the chain's owner updates (`apply`) as blocks commit; the
   * driver decides each height with the set in force there and proposes pending evidence. Default: a
   * history of `validators` alone (nothing ever jailed).
   */
  history?: ValidatorHistory;
  /** Genesis time: the earliest block time at height 1. */
  genesisTimeMs: bigint;
  /** This validator's key (the driver wraps it in a SignGuard restored from the WAL); null for a follower. */
  signer: Signer | null;
  timeouts?: Partial<Timeouts>;
  /** Largest total of a block's transactions, in bytes. */
  maxBlockTxBytes: number;
  /** How many blocks' worth of the pool's head a proposal chooses from (default 1). */
  proposalWindowBlocks?: number;
  /** How often the current round's votes are re-sent (default GOSSIP_INTERVAL_MS). */
  gossipIntervalMs?: number;
  /** Proposals are re-sent on every n-th gossip tick only (default PROPOSAL_GOSSIP_EVERY). */
  proposalGossipEvery?: number;
  /** A proposer schedule shared by the successive machines (see MachineConfig.proposerSchedule). */
  proposerSchedule?: ProposerSchedule;
  /** Block-time bounds against our clock for new proposals (see MachineConfig; defaults 5 s each). */
  maxFutureBlockTimeMs?: number;
  maxPastBlockTimeMs?: number;
}
