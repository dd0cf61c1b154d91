// The simulation's Byzantine validators: a conflicting, validly signed twin of a proposal or vote
// (equivocation), built to split the honest nodes as well as a validator knowing the round's blocks can.
import { fromHex, toHex } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { buildBlock } from '../src/block.ts';
import { hashBlock, proposalSignBytes, voteSignBytes } from '../src/codec.ts';
import type { Signer } from '../src/ed25519.ts';
import type { ConsensusMessage, ValidatorSet } from '../src/types.ts';

/**
 * How Byzantine validators equivocate: 'random' twins some messages (a twin proposal holds, at random,
 * a transaction the application rejects); 'split' twins every message (see SimOptions.adversary).
 */
export type AdversaryMode = 'random' | 'split';

/** Makes conflicting twins; remembers the blocks of each height/round it saw or made to vote for them. */
export class Equivocator {
  readonly #rnd: () => number;
  readonly #valset: ValidatorSet;
  readonly #chainId: string;
  readonly #mode: AdversaryMode;
  /** Block hashes known per "height/round" (from proposals the Byzantine validators saw or made). */
  readonly #blocks = new Map<string, Set<string>>();

  constructor(rnd: () => number, valset: ValidatorSet, chainId: string, mode: AdversaryMode) {
    this.#rnd = rnd;
    this.#valset = valset;
    this.#chainId = chainId;
    this.#mode = mode;
  }

  /** Notes a block proposed at height/round (a twin vote may then support it). */
  remember(height: bigint, round: number, hash: Uint8Array): void {
    const k = `${height}/${round}`;
    let set = this.#blocks.get(k);
    if (set === undefined) {
      set = new Set();
      this.#blocks.set(k, set);
    }
    set.add(toHex(hash));
  }

  /** A conflicting copy of `m`, signed with the raw key `signer` (no sign guard). */
  twin(signer: Signer, m: ConsensusMessage): ConsensusMessage {
    const rnd = this.#rnd;
    const chainId = this.#chainId;
    if (m.kind === 'proposal') {
      const p = m.proposal;
      const h = p.block.header;
      const evil =
        this.#mode !== 'split' && rnd() < 0.3
          ? new Uint8Array([0xff, 1])
          : new Uint8Array([0xba, Number(h.height % 250n), p.round % 250]);
      const block = buildBlock({
        chainId: h.chainId,
        height: h.height,
        timeMs: h.timeMs + 1n,
        proposer: h.proposer,
        lastBlockHash: h.lastBlockHash,
        appHash: h.appHash,
        validators: this.#valset,
        lastCommit: p.block.lastCommit,
        txs: [...p.block.txs, evil],
      });
      const blockHash = hashBlock(block.header);
      this.remember(p.height, p.round, blockHash);
      const signBytes = proposalSignBytes(chainId, {
        height: p.height,
        round: p.round,
        polRound: p.polRound,
        blockHash,
      });
      const signature = signer.sign({ height: p.height, round: p.round, step: 'proposal', signBytes })!;
      return { kind: 'proposal', proposal: { ...p, block, signature } };
    }
    const v = m.vote;
    // Support another block of this round when one is known (the strongest split), else flip between nil
    // and a made-up hash.
    const mine = v.blockHash === null ? '' : toHex(v.blockHash);
    const known = [...(this.#blocks.get(`${v.height}/${v.round}`) ?? [])].filter((x) => x !== mine);
    const pick =
      known.length > 0 && (this.#mode === 'split' || rnd() < 0.8)
        ? known[Math.floor(rnd() * known.length)]
        : undefined;
    const blockHash =
      pick !== undefined
        ? fromHex(pick)
        : v.blockHash === null
          ? sha256(new Uint8Array([v.round & 255, 7]))
          : null;
    const signBytes = voteSignBytes(chainId, { ...v, blockHash });
    const signature = signer.sign({ height: v.height, round: v.round, step: v.type, signBytes })!;
    return { kind: 'vote', vote: { ...v, blockHash, signature } };
  }
}
