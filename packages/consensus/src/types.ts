// Consensus data types: block header, block, vote, proposal, commit certificate, validator set and
// evidence. Plain data only; the canonical byte encoding lives in codec.ts, checks in verify.ts.

/** Vote kinds of the Tendermint algorithm. */
export type VoteType = 'prevote' | 'precommit';

/** A block header. Its sha256 over the canonical encoding is the block hash ({@link hashBlock}). */
export interface Header {
  /** Chain id (1..64 bytes of UTF-8), part of every signature (domain separation). */
  chainId: string;
  /** Height, from 1. */
  height: bigint;
  /** Block time in milliseconds since the Unix epoch, strictly increasing along the chain. */
  timeMs: bigint;
  /** ed25519 public key (32 bytes) of the validator that built the block. */
  proposer: Uint8Array;
  /** Hash of the previous block's header (32 zero bytes at height 1). */
  lastBlockHash: Uint8Array;
  /** merkleRoot (from @gridledger/crypto) of the transactions. */
  txRoot: Uint8Array;
  /** Application state root after the previous block (see app.ts); 0..64 bytes. */
  appHash: Uint8Array;
  /** hashValidatorSet of the validators that sign this block. */
  validatorsHash: Uint8Array;
  /** hashCommit of `lastCommit` (sha256 of no bytes when there is none, at height 1). */
  lastCommitHash: Uint8Array;
  /**
   * hashEvidenceList of the block's evidence; present exactly when the block carries evidence (absent,
   * it is not encoded, so the hash of a block without evidence is what it was before evidence existed).
   */
  evidenceHash?: Uint8Array;
}

/** A commit certificate: more than 2/3 of the voting power precommitted `blockHash` at `height`/`round`. */
export interface CommitCertificate {
  height: bigint;
  round: number;
  blockHash: Uint8Array;
  /** Precommit signatures, sorted by strictly increasing validator index. */
  signatures: CommitSignature[];
}

/** One precommit signature inside a {@link CommitCertificate}. */
export interface CommitSignature {
  validatorIndex: number;
  signature: Uint8Array;
}

/** A block: header, transactions and the certificate that committed the previous block. */
export interface Block {
  header: Header;
  txs: Uint8Array[];
  /** The certificate of block height-1; null at height 1. */
  lastCommit: CommitCertificate | null;
  /** Equivocation evidence committed by this block (absent or empty: none). See validator-history.ts. */
  evidence?: Evidence[];
}

/** A signed prevote or precommit. `blockHash` null is a vote for nil. */
export interface Vote {
  type: VoteType;
  height: bigint;
  round: number;
  blockHash: Uint8Array | null;
  validatorIndex: number;
  /** ed25519 signature (64 bytes) over {@link voteSignBytes}. */
  signature: Uint8Array;
}

/** A signed proposal of a full block for `height`/`round`; `polRound` is -1 or the round of a known polka. */
export interface Proposal {
  height: bigint;
  round: number;
  polRound: number;
  block: Block;
  /** ed25519 signature (64 bytes) of the round's proposer over {@link proposalSignBytes}. */
  signature: Uint8Array;
}

/** One validator: ed25519 public key and voting power. */
export interface Validator {
  publicKey: Uint8Array;
  /** Voting power, a positive integer. */
  power: bigint;
}

/** The validator set, in its canonical (genesis) order: a validator's index is its position here. */
export interface ValidatorSet {
  validators: Validator[];
}

/** What a proposal signature covers, kept for evidence without the block body. */
export interface SignedProposalHeader {
  height: bigint;
  round: number;
  polRound: number;
  blockHash: Uint8Array;
  signature: Uint8Array;
}

/** Proof that a validator signed two conflicting messages. */
export type Evidence =
  | {
      kind: 'duplicate-vote';
      /** The two votes: same validator, height, round and type, different block hash (or nil). */
      voteA: Vote;
      voteB: Vote;
    }
  | {
      kind: 'duplicate-proposal';
      validatorIndex: number;
      proposalA: SignedProposalHeader;
      proposalB: SignedProposalHeader;
    };

/** A message validators exchange. */
export type ConsensusMessage = { kind: 'proposal'; proposal: Proposal } | { kind: 'vote'; vote: Vote };

/** Highest round number accepted anywhere (fits a signed 32-bit integer). */
export const MAX_ROUND = 2 ** 31 - 2;
/** Largest total voting power (CometBFT's limit, MaxInt64 / 8). */
export const MAX_TOTAL_POWER = (1n << 60n) - 1n;
/** Largest chain height / time accepted by the codec. */
export const MAX_UINT63 = (1n << 63n) - 1n;
