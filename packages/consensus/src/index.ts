// @gridledger/consensus: Tendermint-style BFT as a pure state machine; block, vote and certificate types.
export { type BlockParts, buildBlock, buildCommit, ZERO_HASH } from './block.ts';
export { type ChainCheck, ChainVerifier, verifyBlockChain } from './chain-verifier.ts';
export {
  CodecError,
  checkValidatorSet,
  decodeBlock,
  decodeCommit,
  decodeEvidence,
  decodeHeader,
  decodeMessage,
  decodeProposal,
  decodeValidatorSet,
  decodeVote,
  encodeBlock,
  encodeCommit,
  encodeEvidence,
  encodeHeader,
  encodeMessage,
  encodeProposal,
  encodeValidatorSet,
  encodeVote,
  hashBlock,
  hashCommit,
  hashEvidenceList,
  hashValidatorSet,
  MAX_CHAIN_ID_BYTES,
  MAX_VALIDATORS,
  proposalSignBytes,
  voteSignBytes,
} from './codec.ts';
export {
  ConsensusDriver,
  type ConsensusStats,
  GOSSIP_INTERVAL_MS,
  PROPOSAL_GOSSIP_EVERY,
} from './driver.ts';
export type {
  CancelTimer,
  ChainTipView,
  ConsensusChain,
  ConsensusClock,
  ConsensusDriverConfig,
  ConsensusLogger,
  ConsensusNetwork,
  ConsensusPorts,
  ConsensusStore,
  ConsensusWireMessage,
  ProposalApp,
  TxSource,
} from './driver-ports.ts';
export { keySigner, type Signer, type SignRequest, signEd25519, verifyEd25519 } from './ed25519.ts';
export { SIGN_STEP, SignGuard, type SignState } from './guard.ts';
export {
  type ConsensusAction,
  ConsensusError,
  type ConsensusEvent,
  ConsensusMachine,
  DEFAULT_MAX_FUTURE_BLOCK_TIME_MS,
  DEFAULT_MAX_PAST_BLOCK_TIME_MS,
  DEFAULT_TIMEOUTS,
  type HandleResult,
  MAX_ROUNDS_AHEAD,
  type MachineConfig,
  type MachineStart,
  type Step,
  type TimeoutKind,
  type Timeouts,
  type WalState,
} from './machine.ts';
export type {
  Block,
  CommitCertificate,
  CommitSignature,
  ConsensusMessage,
  Evidence,
  Header,
  Proposal,
  SignedProposalHeader,
  Validator,
  ValidatorSet,
  Vote,
  VoteType,
} from './types.ts';
export { MAX_ROUND, MAX_TOTAL_POWER } from './types.ts';
export {
  type CommittedEvidence,
  decodeCommittedEvidence,
  encodeCommittedEvidence,
  evidenceKey,
  JAIL_DELAY_HEIGHTS,
  type JailRecord,
  MAX_EVIDENCE_AGE_HEIGHTS,
  MAX_EVIDENCE_PER_BLOCK,
  ValidatorHistory,
} from './validator-history.ts';
export {
  isOneThird,
  isTwoThirds,
  MAX_PROPOSER_HEIGHT_WALK,
  MAX_PROPOSER_ROUND_WALK,
  ProposerSchedule,
  totalPower,
  validatorIndex,
} from './validators.ts';
export {
  type BlockContext,
  type Check,
  verifyBlock,
  verifyBlockCommit,
  verifyCommit,
  verifyEvidence,
  verifyProposalSignature,
  verifyVote,
} from './verify.ts';
export { decodeSignState, decodeWalState, encodeSignState, encodeWalState } from './wal.ts';
