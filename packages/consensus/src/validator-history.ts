// The validator set as a function of height: the genesis set, less the validators jailed by evidence of
// equivocation committed in blocks. The rule: evidence committed in block H against validator v sets v's
// power to 0 from height H + JAIL_DELAY_HEIGHTS (H+1's proposer and votes are fixed by H's commit), for
// good; indices stay the genesis ones. Also the checks a block's evidence list must pass (each item valid
// against the set of its own height, not too old, not twice, not committed before) and the committed-
// evidence records a node keeps in its store. Pure: no I/O, no clock.
import { RlpError, type RlpItem, rlpDecode, rlpEncode, rlpIntBytes, utf8 } from '@gridledger/base';
import { CodecError } from './codec.ts';
import type { Evidence, ValidatorSet } from './types.ts';
import { type Check, verifyEvidence } from './verify.ts';

/** Heights between the block that commits evidence and the first height at which the validator has power 0. */
export const JAIL_DELAY_HEIGHTS = 2n;
/** Evidence older than this many heights below the block carrying it is refused. */
export const MAX_EVIDENCE_AGE_HEIGHTS = 100n;
/** Most pieces of evidence in one block. */
export const MAX_EVIDENCE_PER_BLOCK = 16;

/** One piece of evidence committed by the chain: the key that makes it unique and where it was committed. */
export interface CommittedEvidence {
  /** `validator/height/round/type` (type: prevote, precommit or proposal); see {@link evidenceKey}. */
  key: string;
  validatorIndex: number;
  /** Height of the equivocation. */
  height: bigint;
  /** Height of the block that committed it. */
  committedAt: bigint;
}

/** A jailed validator: power 0 from `fromHeight` on, by the evidence `evidenceKey` committed at `committedAt`. */
export interface JailRecord {
  validatorIndex: number;
  publicKey: Uint8Array;
  fromHeight: bigint;
  committedAt: bigint;
  evidenceKey: string;
}

/** The validator an evidence accuses (its index in the genesis order). */
function evidenceValidator(e: Evidence): number {
  return e.kind === 'duplicate-vote' ? e.voteA.validatorIndex : e.validatorIndex;
}

/** The height at which the equivocation happened. */
export function evidenceHeight(e: Evidence): bigint {
  return e.kind === 'duplicate-vote' ? e.voteA.height : e.proposalA.height;
}

/**
 * What makes a piece of evidence unique: `validator/height/round/type`. Two different pairs of conflicting
 * votes of one validator at one step are the same offence and may be committed once.
 * @example evidenceKey(e) // "3/17/0/prevote"
 */
export function evidenceKey(e: Evidence): string {
  if (e.kind === 'duplicate-vote')
    return `${e.voteA.validatorIndex}/${e.voteA.height}/${e.voteA.round}/${e.voteA.type}`;
  return `${e.validatorIndex}/${e.proposalA.height}/${e.proposalA.round}/proposal`;
}

const fail = (reason: string): Check => ({ ok: false, reason });

/**
 * The validator set at each height, from genesis and the evidence the chain committed. A node builds it
 * from the committed-evidence records of its store (or from its blocks: `gridledger verify`), asks
 * `checkEvidence` before it accepts a block and `apply`s a block's evidence once the block is committed.
 * @example
 * const history = new ValidatorHistory(genesisSet, decodeCommittedEvidence(record));
 * const r = history.checkEvidence(block.evidence ?? [], block.header.height, chainId);
 * // after commit: history.apply(block.header.height, block.evidence ?? []);
 * history.validatorsAt(h); // power 0 for a validator jailed at or before h
 */
export class ValidatorHistory {
  readonly genesis: ValidatorSet;
  readonly #committed = new Map<string, CommittedEvidence>();
  readonly #jails = new Map<number, JailRecord>();
  /** The sets in force from each height on, ascending (the first from height 1: genesis). */
  #sets: { from: bigint; set: ValidatorSet }[];

  constructor(genesis: ValidatorSet, committed: readonly CommittedEvidence[] = []) {
    this.genesis = genesis;
    this.#sets = [{ from: 1n, set: genesis }];
    for (const c of committed) this.#record(c);
    this.#rebuild();
  }

  /** The set in force at `height` (>= 1): genesis order, power 0 for the validators jailed by then. */
  validatorsAt(height: bigint): ValidatorSet {
    const sets = this.#sets;
    for (let i = sets.length - 1; i > 0; i--) if (sets[i]!.from <= height) return sets[i]!.set;
    return sets[0]!.set;
  }

  /** The jailed validators, by index. */
  jails(): JailRecord[] {
    return [...this.#jails.values()].sort((a, b) => a.validatorIndex - b.validatorIndex);
  }

  /** The jail record of validator `index`, if it was jailed. */
  jailOf(index: number): JailRecord | undefined {
    return this.#jails.get(index);
  }

  /** True when evidence with this key was committed. */
  isCommitted(key: string): boolean {
    return this.#committed.has(key);
  }

  /** Every committed piece of evidence, in the order committed (what the store keeps). */
  committed(): CommittedEvidence[] {
    return [...this.#committed.values()];
  }

  /**
   * Checks the evidence list of a block at `height` against the chain before it: at most
   * MAX_EVIDENCE_PER_BLOCK items, each one valid (verifyEvidence against the set of its own height, its
   * validator holding power there), at most MAX_EVIDENCE_AGE_HEIGHTS below `height` and not above it, not
   * twice in the list, not committed before; and the validators it jails leave some power.
   */
  checkEvidence(evidence: readonly Evidence[], height: bigint, chainId: string): Check {
    if (evidence.length > MAX_EVIDENCE_PER_BLOCK)
      return fail(`${evidence.length} pieces of evidence, more than ${MAX_EVIDENCE_PER_BLOCK}`);
    const keys = new Set<string>();
    const accused = new Set<number>();
    for (const [k, e] of evidence.entries()) {
      const where = `evidence ${k}`;
      const key = evidenceKey(e);
      const at = evidenceHeight(e);
      if (at > height) return fail(`${where} (${key}): from height ${at}, after the block's ${height}`);
      if (height - at > MAX_EVIDENCE_AGE_HEIGHTS)
        return fail(`${where} (${key}): older than ${MAX_EVIDENCE_AGE_HEIGHTS} heights`);
      if (keys.has(key)) return fail(`${where} (${key}): twice in the block`);
      keys.add(key);
      if (this.#committed.has(key)) return fail(`${where} (${key}): already committed`);
      const set = this.validatorsAt(at);
      const index = evidenceValidator(e);
      const v = set.validators[index];
      if (v === undefined) return fail(`${where} (${key}): validator ${index} is not in the set`);
      if (v.power === 0n) return fail(`${where} (${key}): validator ${index} had no power at height ${at}`);
      const c = verifyEvidence(e, set, chainId);
      if (!c.ok) return fail(`${where} (${key}): ${c.reason}`);
      accused.add(index);
    }
    if (accused.size > 0) {
      let left = 0n;
      const last = this.#sets[this.#sets.length - 1]!.set;
      last.validators.forEach((v, i) => {
        if (!accused.has(i)) left += v.power;
      });
      if (left === 0n) return fail('the evidence would jail every validator');
    }
    return { ok: true };
  }

  /** Records the evidence of block `height` (already checked with checkEvidence) as committed. */
  apply(height: bigint, evidence: readonly Evidence[]): void {
    if (evidence.length === 0) return;
    for (const e of evidence)
      this.#record({
        key: evidenceKey(e),
        validatorIndex: evidenceValidator(e),
        height: evidenceHeight(e),
        committedAt: height,
      });
    this.#rebuild();
  }

  #record(c: CommittedEvidence): void {
    if (this.#committed.has(c.key)) return;
    this.#committed.set(c.key, c);
    const v = this.genesis.validators[c.validatorIndex];
    if (v === undefined || this.#jails.has(c.validatorIndex)) return;
    this.#jails.set(c.validatorIndex, {
      validatorIndex: c.validatorIndex,
      publicKey: v.publicKey,
      fromHeight: c.committedAt + JAIL_DELAY_HEIGHTS,
      committedAt: c.committedAt,
      evidenceKey: c.key,
    });
  }

  #rebuild(): void {
    const froms = [...new Set([...this.#jails.values()].map((j) => j.fromHeight))].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    this.#sets = [{ from: 1n, set: this.genesis }];
    for (const from of froms)
      this.#sets.push({
        from,
        set: {
          validators: this.genesis.validators.map((v, i) => {
            const j = this.#jails.get(i);
            return j !== undefined && j.fromHeight <= from ? { publicKey: v.publicKey, power: 0n } : v;
          }),
        },
      });
  }
}

/** Bytes of the committed-evidence records (the store keeps them beside the blocks): RLP, in order. */
export function encodeCommittedEvidence(list: readonly CommittedEvidence[]): Uint8Array {
  return rlpEncode(
    list.map((c) => [
      utf8(c.key),
      rlpIntBytes(BigInt(c.validatorIndex)),
      rlpIntBytes(c.height),
      rlpIntBytes(c.committedAt),
    ]),
  );
}

/** Decodes {@link encodeCommittedEvidence}; throws CodecError on malformed bytes. */
export function decodeCommittedEvidence(bytes: Uint8Array): CommittedEvidence[] {
  const w = 'decodeCommittedEvidence';
  let top: RlpItem;
  try {
    top = rlpDecode(bytes);
  } catch (e) {
    if (e instanceof RlpError) throw new CodecError(`${w}: malformed RLP (${e.message})`);
    throw e;
  }
  if (top instanceof Uint8Array) throw new CodecError(`${w}: expected a list`);
  const int = (b: RlpItem | undefined): bigint => {
    if (!(b instanceof Uint8Array) || b.length > 8) throw new CodecError(`${w}: expected an integer`);
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    return v;
  };
  return top.map((item) => {
    if (item instanceof Uint8Array || item.length !== 4 || !(item[0] instanceof Uint8Array))
      throw new CodecError(`${w}: expected [key, index, height, committedAt]`);
    return {
      key: new TextDecoder().decode(item[0]),
      validatorIndex: Number(int(item[1])),
      height: int(item[2]),
      committedAt: int(item[3]),
    };
  });
}
