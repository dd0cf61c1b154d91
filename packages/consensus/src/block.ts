// Building blocks and certificates from their parts, so the header's derived fields (txRoot,
// validatorsHash, lastCommitHash) are always computed the one way verifyBlock checks them.
import { merkleRoot } from '@gridledger/crypto';
import { hashCommit, hashEvidenceList, hashValidatorSet } from './codec.ts';
import type { Block, CommitCertificate, CommitSignature, Evidence, ValidatorSet } from './types.ts';

/** The `lastBlockHash` of block 1: 32 zero bytes. */
export const ZERO_HASH: Uint8Array = new Uint8Array(32);

/** Parts of a new block; derived header fields are computed by {@link buildBlock}. */
export interface BlockParts {
  chainId: string;
  height: bigint;
  timeMs: bigint;
  proposer: Uint8Array;
  lastBlockHash: Uint8Array;
  appHash: Uint8Array;
  /** The set in force at `height` (its hash is the header's validatorsHash). */
  validators: ValidatorSet;
  lastCommit: CommitCertificate | null;
  txs: Uint8Array[];
  /** Evidence to commit; absent or empty: none (no evidenceHash, no evidence field). */
  evidence?: Evidence[];
}

/**
 * Assembles a block, computing txRoot, validatorsHash, lastCommitHash and, with evidence, evidenceHash.
 * @example
 * const b = buildBlock({ chainId, height: 1n, timeMs, proposer, lastBlockHash: ZERO_HASH, appHash,
 *   validators, lastCommit: null, txs: [] });
 */
export function buildBlock(p: BlockParts): Block {
  const hasEvidence = p.evidence !== undefined && p.evidence.length > 0;
  return {
    header: {
      chainId: p.chainId,
      height: p.height,
      timeMs: p.timeMs,
      proposer: p.proposer,
      lastBlockHash: p.lastBlockHash,
      txRoot: merkleRoot(p.txs),
      appHash: p.appHash,
      validatorsHash: hashValidatorSet(p.validators),
      lastCommitHash: hashCommit(p.lastCommit),
      ...(hasEvidence ? { evidenceHash: hashEvidenceList(p.evidence!) } : {}),
    },
    txs: p.txs,
    lastCommit: p.lastCommit,
    ...(hasEvidence ? { evidence: p.evidence! } : {}),
  };
}

/** Builds a certificate from precommit signatures in any order (sorted, one per validator kept). */
export function buildCommit(
  height: bigint,
  round: number,
  blockHash: Uint8Array,
  signatures: Iterable<CommitSignature>,
): CommitCertificate {
  const byIndex = new Map<number, Uint8Array>();
  for (const s of signatures) if (!byIndex.has(s.validatorIndex)) byIndex.set(s.validatorIndex, s.signature);
  const sorted = [...byIndex.entries()].sort((a, b) => a[0] - b[0]);
  return {
    height,
    round,
    blockHash,
    signatures: sorted.map(([validatorIndex, signature]) => ({ validatorIndex, signature })),
  };
}
