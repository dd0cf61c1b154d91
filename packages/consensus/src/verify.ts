// Checks on signed consensus data: commit certificates (more than 2/3 of the voting power, distinct
// validators, valid signatures), votes and proposals, and the hash chain of blocks (links, transaction
// roots, last-commit hashes, certificates) that block sync and `gridledger verify` rely on. Failures are
// values with a reason, never throws: bad data from a peer or a disk is an expected outcome here.
import { equalBytes, toHex } from '@gridledger/base';
import { merkleRoot } from '@gridledger/crypto';
import {
  hashBlock,
  hashCommit,
  hashEvidenceList,
  hashValidatorSet,
  proposalSignBytes,
  voteSignBytes,
} from './codec.ts';
import { verifyEd25519 } from './ed25519.ts';
import type { Block, CommitCertificate, Evidence, Header, Proposal, ValidatorSet, Vote } from './types.ts';
import { isTwoThirds, totalPower } from './validators.ts';

/** Outcome of a check: ok, or a reason a person can read. */
export type Check = { ok: true } | { ok: false; reason: string };

const OK: Check = { ok: true };
const fail = (reason: string): Check => ({ ok: false, reason });

/**
 * Checks that `cert` carries valid precommit signatures for its block from distinct validators of `valset`
 * holding more than 2/3 of the total voting power. Every listed signature must be valid.
 * @example
 * const r = verifyCommit(cert, valset, 'gridledger-1');
 * if (!r.ok) console.log(r.reason);
 */
export function verifyCommit(cert: CommitCertificate, valset: ValidatorSet, chainId: string): Check {
  const n = valset.validators.length;
  let signBytes: Uint8Array;
  try {
    signBytes = voteSignBytes(chainId, {
      type: 'precommit',
      height: cert.height,
      round: cert.round,
      blockHash: cert.blockHash,
    });
  } catch (e) {
    return fail(`commit ${cert.height}: malformed (${(e as Error).message})`);
  }
  const seen = new Set<number>();
  let power = 0n;
  for (const s of cert.signatures) {
    const v = valset.validators[s.validatorIndex];
    if (!Number.isInteger(s.validatorIndex) || v === undefined)
      return fail(`commit ${cert.height}: validator index ${s.validatorIndex} is not in the set of ${n}`);
    if (seen.has(s.validatorIndex))
      return fail(`commit ${cert.height}: validator ${s.validatorIndex} signs more than once`);
    seen.add(s.validatorIndex);
    if (!verifyEd25519(s.signature, signBytes, v.publicKey))
      return fail(`commit ${cert.height}: invalid signature of validator ${s.validatorIndex}`);
    power += v.power;
  }
  const total = totalPower(valset);
  if (!isTwoThirds(power, total))
    return fail(`commit ${cert.height}: signed power ${power} of ${total} is not more than 2/3`);
  return OK;
}

/** Checks a vote's signature against validator `vote.validatorIndex` of the set. */
export function verifyVote(vote: Vote, valset: ValidatorSet, chainId: string): Check {
  const v = valset.validators[vote.validatorIndex];
  if (v === undefined) return fail(`vote from unknown validator index ${vote.validatorIndex}`);
  let bytes: Uint8Array;
  try {
    bytes = voteSignBytes(chainId, vote);
  } catch (e) {
    return fail(`malformed vote: ${(e as Error).message}`);
  }
  return verifyEd25519(vote.signature, bytes, v.publicKey)
    ? OK
    : fail(`invalid ${vote.type} signature of validator ${vote.validatorIndex}`);
}

/** Checks a proposal's signature against the given proposer public key. */
export function verifyProposalSignature(proposal: Proposal, proposer: Uint8Array, chainId: string): Check {
  let bytes: Uint8Array;
  try {
    bytes = proposalSignBytes(chainId, { ...proposal, blockHash: hashBlock(proposal.block.header) });
  } catch (e) {
    return fail(`malformed proposal: ${(e as Error).message}`);
  }
  return verifyEd25519(proposal.signature, bytes, proposer) ? OK : fail('invalid proposal signature');
}

/**
 * Checks that evidence really proves equivocation: two validly signed votes (or proposals) by one
 * validator for the same height, round and type with different values.
 * @example if (verifyEvidence(e, valset, chainId).ok) await store.saveEvidence(id, encodeEvidence(e));
 */
export function verifyEvidence(e: Evidence, valset: ValidatorSet, chainId: string): Check {
  if (e.kind === 'duplicate-vote') {
    const { voteA: a, voteB: b } = e;
    if (a.validatorIndex !== b.validatorIndex) return fail('evidence: votes from different validators');
    if (a.type !== b.type || a.height !== b.height || a.round !== b.round)
      return fail('evidence: votes for different height, round or type');
    const same =
      a.blockHash === null
        ? b.blockHash === null
        : b.blockHash !== null && equalBytes(a.blockHash, b.blockHash);
    if (same) return fail('evidence: both votes are for the same value');
    for (const v of [a, b]) {
      const c = verifyVote(v, valset, chainId);
      if (!c.ok) return fail(`evidence: ${c.reason}`);
    }
    return OK;
  }
  if (e.kind === 'duplicate-proposal') {
    const { proposalA: a, proposalB: b } = e;
    const v = valset.validators[e.validatorIndex];
    if (v === undefined) return fail(`evidence: unknown validator index ${e.validatorIndex}`);
    if (a.height !== b.height || a.round !== b.round)
      return fail('evidence: proposals for different height or round');
    if (equalBytes(a.blockHash, b.blockHash) && a.polRound === b.polRound)
      return fail('evidence: both proposals are the same');
    for (const p of [a, b]) {
      let bytes: Uint8Array;
      try {
        bytes = proposalSignBytes(chainId, p);
      } catch (err) {
        return fail(`evidence: malformed proposal (${(err as Error).message})`);
      }
      if (!verifyEd25519(p.signature, bytes, v.publicKey))
        return fail('evidence: invalid proposal signature');
    }
    return OK;
  }
  return fail('evidence: unknown kind');
}

/** What checks a block's evidence against the chain (ValidatorHistory, validator-history.ts). */
interface EvidenceChecker {
  checkEvidence(evidence: readonly Evidence[], height: bigint, chainId: string): Check;
}

/** What a block at height h must agree with: the previous block and the state after it. */
export interface BlockContext {
  chainId: string;
  /** The validator set in force at the block's height (its proposer, its validatorsHash). */
  validators: ValidatorSet;
  /** The set at height h-1, which signed `lastCommit` (default `validators`). */
  previousValidators?: ValidatorSet;
  /**
   * The chain's validator history, to check the block's evidence (ValidatorHistory.checkEvidence); a
   * block with evidence is refused without it.
   */
  history?: EvidenceChecker;
  /** Header of block h-1, or null for h = 1. */
  previous: Header | null;
  /** Hash of block h-1 (computed from `previous` when omitted). */
  previousHash?: Uint8Array;
  /** Expected `appHash` (state after h-1); omit to skip this check (a verifier that does not execute). */
  appHash?: Uint8Array;
}

/**
 * Checks a block's contents against its predecessor: chain id, height, time, proposer in the set,
 * hash link, transaction root, validator-set hash, last-commit hash, and that `lastCommit` certifies the
 * previous block. It does not check the block's own certificate (see {@link verifyBlockChain}).
 */
export function verifyBlock(block: Block, ctx: BlockContext): Check {
  const h = block.header;
  const where = `block ${h.height}`;
  if (h.chainId !== ctx.chainId) return fail(`${where}: chain id "${h.chainId}", expected "${ctx.chainId}"`);
  const expectHeight = ctx.previous === null ? 1n : ctx.previous.height + 1n;
  if (h.height !== expectHeight) return fail(`${where}: expected height ${expectHeight}`);
  if (!ctx.validators.validators.some((v) => equalBytes(v.publicKey, h.proposer) && v.power > 0n))
    return fail(`${where}: proposer ${toHex(h.proposer)} is not a validator with power`);
  if (!equalBytes(h.validatorsHash, hashValidatorSet(ctx.validators)))
    return fail(`${where}: validators hash does not match the validator set`);
  if (!equalBytes(h.txRoot, merkleRoot(block.txs)))
    return fail(`${where}: transaction root does not match its transactions`);
  if (!equalBytes(h.lastCommitHash, hashCommit(block.lastCommit)))
    return fail(`${where}: last commit hash does not match its last commit`);
  const evidence = block.evidence ?? [];
  if (evidence.length > 0 !== (h.evidenceHash !== undefined))
    return fail(`${where}: evidence hash ${evidence.length > 0 ? 'missing' : 'without evidence'}`);
  if (h.evidenceHash !== undefined) {
    if (!equalBytes(h.evidenceHash, hashEvidenceList(evidence)))
      return fail(`${where}: evidence hash does not match its evidence`);
    if (ctx.history === undefined) return fail(`${where}: carries evidence and nothing can check it`);
    const e = ctx.history.checkEvidence(evidence, h.height, ctx.chainId);
    if (!e.ok) return fail(`${where}: ${e.reason}`);
  }
  if (ctx.appHash !== undefined && !equalBytes(h.appHash, ctx.appHash))
    return fail(`${where}: app hash ${toHex(h.appHash)}, expected ${toHex(ctx.appHash)}`);
  if (ctx.previous === null) {
    if (!equalBytes(h.lastBlockHash, new Uint8Array(32)))
      return fail(`${where}: first block must link to zero hash`);
    if (block.lastCommit !== null) return fail(`${where}: first block must not carry a last commit`);
    return OK;
  }
  const prevHash = ctx.previousHash ?? hashBlock(ctx.previous);
  if (!equalBytes(h.lastBlockHash, prevHash))
    return fail(`${where}: does not link to the hash of block ${ctx.previous.height}`);
  if (h.timeMs <= ctx.previous.timeMs)
    return fail(`${where}: time ${h.timeMs} is not after the previous block's ${ctx.previous.timeMs}`);
  const lc = block.lastCommit;
  if (lc === null) return fail(`${where}: missing the certificate of block ${ctx.previous.height}`);
  if (lc.height !== ctx.previous.height || !equalBytes(lc.blockHash, prevHash))
    return fail(`${where}: last commit is not for block ${ctx.previous.height}`);
  const c = verifyCommit(lc, ctx.previousValidators ?? ctx.validators, ctx.chainId);
  return c.ok ? OK : fail(`${where}: last commit: ${c.reason}`);
}

/** Checks that `cert` commits exactly `block` (height and hash) and is valid. */
export function verifyBlockCommit(
  block: Block,
  cert: CommitCertificate,
  valset: ValidatorSet,
  chainId: string,
): Check {
  const h = block.header.height;
  if (cert.height !== h) return fail(`block ${h}: certificate is for height ${cert.height}`);
  if (!equalBytes(cert.blockHash, hashBlock(block.header)))
    return fail(`block ${h}: certificate is for another block hash`);
  const c = verifyCommit(cert, valset, chainId);
  return c.ok ? OK : fail(`block ${h}: certificate: ${c.reason}`);
}
