// Whole-chain checks: streams a stored chain from height 1 and checks every block against the one before
// and against its certificate, each with the validator set in force at its height (rebuilt from the
// evidence the chain commits). Block sync checks one block at a time with verify.ts; `gridledger verify`
// uses this.
import { hashBlock } from './codec.ts';
import type { Block, CommitCertificate, Header, ValidatorSet } from './types.ts';
import { ValidatorHistory } from './validator-history.ts';
import { type BlockContext, verifyBlock, verifyBlockCommit } from './verify.ts';

/** Result of a whole-chain check: the last good height, and the first bad one with its reason. */
export type ChainCheck = { ok: true; height: bigint } | { ok: false; height: bigint; reason: string };

/**
 * Streams a chain from height 1 upward and checks each block against the previous one and against its
 * stored certificate, each with the validator set in force at its height: it keeps its own
 * ValidatorHistory from genesis and applies each block's evidence (checked) as it goes. `gridledger
 * verify` feeds it blocks from the store; the first failure names the height. Works for any length of
 * chain in memory bounded by the evidence committed.
 * @example
 * const v = new ChainVerifier(chainId, valset);
 * for (const { block, commit } of stored) { const r = v.push(block, commit); if (!r.ok) break; }
 */
export class ChainVerifier {
  readonly #chainId: string;
  readonly #history: ValidatorHistory;
  #previous: Header | null = null;
  #previousHash: Uint8Array | undefined;
  #failed: ChainCheck | null = null;

  constructor(chainId: string, validators: ValidatorSet) {
    this.#chainId = chainId;
    this.#history = new ValidatorHistory(validators);
  }

  /** The validator history rebuilt from the blocks pushed so far. */
  get history(): ValidatorHistory {
    return this.#history;
  }

  /** Checks the next block and its certificate; after a failure every later push returns that failure. */
  push(block: Block, commit: CommitCertificate): ChainCheck {
    if (this.#failed !== null) return this.#failed;
    const height = this.#previous === null ? 1n : this.#previous.height + 1n;
    const validators = this.#history.validatorsAt(height);
    const ctx: BlockContext = {
      chainId: this.#chainId,
      validators,
      previousValidators: this.#history.validatorsAt(height > 1n ? height - 1n : 1n),
      history: this.#history,
      previous: this.#previous,
    };
    if (this.#previousHash !== undefined) ctx.previousHash = this.#previousHash;
    let r = verifyBlock(block, ctx);
    if (r.ok) r = verifyBlockCommit(block, commit, validators, this.#chainId);
    if (!r.ok) {
      this.#failed = { ok: false, height, reason: r.reason };
      return this.#failed;
    }
    this.#history.apply(height, block.evidence ?? []);
    this.#previous = block.header;
    this.#previousHash = hashBlock(block.header);
    return { ok: true, height: block.header.height };
  }

  /** The outcome so far. */
  result(): ChainCheck {
    return this.#failed ?? { ok: true, height: this.#previous?.height ?? 0n };
  }
}

/** Checks a whole chain given in order from height 1; see {@link ChainVerifier}. */
export function verifyBlockChain(
  chainId: string,
  validators: ValidatorSet,
  entries: Iterable<{ block: Block; commit: CommitCertificate }>,
): ChainCheck {
  const v = new ChainVerifier(chainId, validators);
  for (const e of entries) if (!v.push(e.block, e.commit).ok) break;
  return v.result();
}
