// Validator-set arithmetic: voting-power quorums and CometBFT's weighted round-robin proposer selection
// (proposer priorities: each step every validator gains its power, the highest is chosen and pays the total
// power; priorities are re-centred on their average and rescaled to a window of twice the total power).
import { compareBytes, equalBytes, floorDiv } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { checkValidatorSet } from './codec.ts';
import type { ValidatorSet } from './types.ts';

/** Sum of the voting power of the set. */
export function totalPower(vs: ValidatorSet): bigint {
  let t = 0n;
  for (const v of vs.validators) t += v.power;
  return t;
}

/** True when `power` is more than 2/3 of `total` (a quorum, "2f+1"). */
export function isTwoThirds(power: bigint, total: bigint): boolean {
  return power * 3n > total * 2n;
}

/** True when `power` is more than 1/3 of `total` ("f+1": at least one honest validator among them). */
export function isOneThird(power: bigint, total: bigint): boolean {
  return power * 3n > total;
}

/** Index of the validator with this public key, or -1. */
export function validatorIndex(vs: ValidatorSet, publicKey: Uint8Array): number {
  return vs.validators.findIndex((v) => equalBytes(v.publicKey, publicKey));
}

const PRIORITY_WINDOW_FACTOR = 2n;

/**
 * The proposer of every (height, round), as CometBFT computes it: the set at height 1 is the genesis set
 * with all priorities 0 incremented once; the set at height h+1 is the set at h incremented once; the
 * proposer of round r > 0 is the set at h incremented r more times. Priorities at a height only depend on
 * the height, never on the rounds it took, so every node agrees. Heights are walked forward from the
 * latest one computed (going back restarts from genesis), O(validators) per height.
 * @example
 * const s = new ProposerSchedule(valset);
 * const idx = s.proposer(5n, 0); // index into valset.validators
 */
export class ProposerSchedule {
  readonly #vs: ValidatorSet;
  readonly #total: bigint;
  readonly #addresses: Uint8Array[];
  #height = 0n;
  #priorities: bigint[] = [];
  #proposer = -1;
  /** Cache for rounds > 0 at the current height: priorities after `#roundCount` steps and their proposer. */
  #roundCache: { count: number; priorities: bigint[]; proposer: number } | null = null;

  /**
   * @param addresses tie-break keys, one per validator (default: first 20 bytes of sha256 of the public
   *   key, CometBFT's address); among equal priorities the lower one proposes.
   */
  constructor(validators: ValidatorSet, addresses?: Uint8Array[]) {
    checkValidatorSet(validators, 'ProposerSchedule');
    if (addresses !== undefined && addresses.length !== validators.validators.length)
      throw new RangeError(
        `ProposerSchedule: ${addresses.length} addresses for ${validators.validators.length} validators`,
      );
    this.#vs = validators;
    this.#total = totalPower(validators);
    this.#addresses = addresses ?? validators.validators.map((v) => sha256(v.publicKey).subarray(0, 20));
    this.#reset();
  }

  #reset(): void {
    this.#priorities = this.#vs.validators.map(() => 0n);
    this.#proposer = this.#increment(this.#priorities, 1);
    this.#height = 1n;
    this.#roundCache = null;
  }

  /** Index of the proposer of `height` (>= 1) at `round` (>= 0). */
  proposer(height: bigint, round: number): number {
    if (height < 1n || !Number.isInteger(round) || round < 0)
      throw new RangeError(`proposer: expected height >= 1 and round >= 0, got ${height}/${round}`);
    if (height < this.#height) this.#reset();
    while (this.#height < height) {
      this.#proposer = this.#increment(this.#priorities, 1);
      this.#height += 1n;
      this.#roundCache = null;
    }
    if (round === 0) return this.#proposer;
    let c = this.#roundCache;
    if (c === null || c.count > round) {
      const p = this.#priorities.slice();
      this.#prepare(p);
      c = { count: 0, priorities: p, proposer: this.#proposer };
      this.#roundCache = c;
    }
    while (c.count < round) {
      c.proposer = this.#step(c.priorities);
      c.count++;
    }
    return c.proposer;
  }

  /** The priorities at the start of `height` (for inspection and tests). */
  priorities(height: bigint): bigint[] {
    this.proposer(height, 0);
    return this.#priorities.slice();
  }

  #increment(p: bigint[], times: number): number {
    this.#prepare(p);
    let who = -1;
    for (let i = 0; i < times; i++) who = this.#step(p);
    return who;
  }

  /** Rescale to the priority window, then centre on the average (CometBFT's per-call preparation). */
  #prepare(p: bigint[]): void {
    const diffMax = PRIORITY_WINDOW_FACTOR * this.#total;
    let max = p[0]!;
    let min = p[0]!;
    for (const x of p) {
      if (x > max) max = x;
      if (x < min) min = x;
    }
    const diff = max - min;
    if (diff > diffMax) {
      const ratio = (diff + diffMax - 1n) / diffMax;
      for (let i = 0; i < p.length; i++) p[i] = p[i]! / ratio; // truncates toward zero, as Go
    }
    let sum = 0n;
    for (const x of p) sum += x;
    const avg = floorDiv(sum, BigInt(p.length)); // Go's big.Int Div is Euclidean: floor for n > 0
    for (let i = 0; i < p.length; i++) p[i] = p[i]! - avg;
  }

  #step(p: bigint[]): number {
    let best = 0;
    for (let i = 0; i < p.length; i++) {
      p[i] = p[i]! + this.#vs.validators[i]!.power;
      if (i === 0) continue;
      if (
        p[i]! > p[best]! ||
        (p[i] === p[best] && compareBytes(this.#addresses[i]!, this.#addresses[best]!) < 0)
      )
        best = i;
    }
    p[best] = p[best]! - this.#total;
    return best;
  }
}
