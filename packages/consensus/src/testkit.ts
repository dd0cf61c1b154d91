// Test helpers shared by the consensus tests: deterministic validator keys and signed votes/certificates.
// Not exported from index.ts.
import { GridledgerError } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { buildCommit } from './block.ts';
import { voteSignBytes } from './codec.ts';
import { keySigner, type Signer } from './ed25519.ts';
import type { CommitCertificate, ValidatorSet, Vote, VoteType } from './types.ts';

/** n deterministic signers (seeded by label and index) and their validator set. */
export function makeValidators(
  n: number,
  powers?: bigint[],
  label = 'test',
): { signers: Signer[]; valset: ValidatorSet } {
  const signers = Array.from({ length: n }, (_, i) =>
    keySigner(sha256(new TextEncoder().encode(`${label}/${i}`))),
  );
  return {
    signers,
    valset: { validators: signers.map((s, i) => ({ publicKey: s.publicKey, power: powers?.[i] ?? 10n })) },
  };
}

/** A vote signed by `signers[index]`. */
export function signVote(
  chainId: string,
  signer: Signer,
  index: number,
  type: VoteType,
  height: bigint,
  round: number,
  blockHash: Uint8Array | null,
): Vote {
  const signBytes = voteSignBytes(chainId, { type, height, round, blockHash });
  const signature = signer.sign({ height, round, step: type, signBytes });
  if (signature === null) {
    throw new GridledgerError(
      'E_SIGNER_REFUSED',
      `signer refused to sign a ${type} at height ${height} round ${round} (a sign guard signs one vote per height, round and step)`,
    );
  }
  return { type, height, round, blockHash, validatorIndex: index, signature };
}

/** A certificate signed by the validators at `indices`. */
export function signCommit(
  chainId: string,
  signers: Signer[],
  indices: number[],
  height: bigint,
  round: number,
  blockHash: Uint8Array,
): CommitCertificate {
  return buildCommit(
    height,
    round,
    blockHash,
    indices.map((i) => ({
      validatorIndex: i,
      signature: signVote(chainId, signers[i]!, i, 'precommit', height, round, blockHash).signature,
    })),
  );
}
