// Validator-set arithmetic: voting-power quorums and CometBFT's weighted round-robin proposer selection
// (proposer priorities: each step every validator gains its power, the highest is chosen and pays the total
// power; priorities are re-centred on their average and rescaled to a window of twice the total power).
// A validator with power 0 at a height (jailed: validator-history.ts) takes no part in that height's
// selection: its priority is held at 0 and left out of the re-centring and the rescaling.
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

/** Most heights `proposer` walks forward in one call beyond the latest it computed (the next height). */
export const MAX_PROPOSER_HEIGHT_WALK = 1n;
/**
 * Most round steps `proposer` takes in one call at a height (rounds are walked incrementally from a
 * per-height cache). Reaching round 10,000 at one height takes ~290 days of timeouts with the defaults.
 */
export const MAX_PROPOSER_ROUND_WALK = 10_000;

/** The priorities at the start of one height, its round-0 proposer and a cache for its later rounds. */
interface HeightState {
  height: bigint;
  /** The voting power of each validator at this height (0: jailed) and their sum. */
  powers: bigint[];
  total: bigint;
  priorities: bigint[];
  proposer: number;
  /** Priorities after `count` round steps at this height and their proposer (rounds > 0). */
  rounds: { count: number; priorities: bigint[]; proposer: number } | null;
}

/**
 * The proposer of every (height, round), as CometBFT computes it: the set at height 1 is the genesis set
 * with all priorities 0 incremented once; the set at height h+1 is the set at h incremented once; the
 * proposer of round r > 0 is the set at h incremented r more times. Priorities at a height only depend on
 * the height, never on the rounds it took, so every node agrees.
 *
 * The schedule keeps two heights, the latest it reached and the one before (a machine's height and the
 * next one, whose messages arrive early), each with its round cache. `proposer` answers for those two and
 * walks forward at most {@link MAX_PROPOSER_HEIGHT_WALK} height and {@link MAX_PROPOSER_ROUND_WALK} round
 * steps; anything further (a peer's message for a far height or round) is refused with a RangeError
 * instead of computed. Long walks are for trusted heights only (the node's own chain tip): `advanceTo`,
 * O(validators) per height, restarting from genesis when asked for an earlier height.
 * @example
 * const s = new ProposerSchedule(valset);
 * s.advanceTo(tipHeight + 1n);
 * const idx = s.proposer(tipHeight + 1n, 0); // index into valset.validators
 */
export class ProposerSchedule {
  readonly #vs: ValidatorSet;
  readonly #validatorsAt: ((height: bigint) => ValidatorSet) | undefined;
  readonly #addresses: Uint8Array[];
  #latest!: HeightState;
  #previous: HeightState | null = null;
  #steps = 0;

  /**
   * @param addresses tie-break keys, one per validator (default: first 20 bytes of sha256 of the public
   *   key, CometBFT's address); among equal priorities the lower one proposes.
   * @param validatorsAt the set in force at a height (same validators in the same order, power 0 for a
   *   jailed one; ValidatorHistory.validatorsAt); default: `validators` at every height. The schedule
   *   asks it only for heights at most two above the caller's committed tip, which the committed chain
   *   already determines (evidence committed at H takes effect at H+2).
   */
  constructor(
    validators: ValidatorSet,
    addresses?: Uint8Array[],
    validatorsAt?: (height: bigint) => ValidatorSet,
  ) {
    checkValidatorSet(validators, 'ProposerSchedule');
    if (addresses !== undefined && addresses.length !== validators.validators.length)
      throw new RangeError(
        `ProposerSchedule: ${addresses.length} addresses for ${validators.validators.length} validators`,
      );
    this.#vs = validators;
    this.#validatorsAt = validatorsAt;
    this.#addresses = addresses ?? validators.validators.map((v) => sha256(v.publicKey).subarray(0, 20));
    this.#reset();
  }

  /** Priority increments performed since construction (each O(validators)): for tests and benchmarks. */
  get steps(): number {
    return this.#steps;
  }

  /** The powers of the set last asked for (sets change only at jail heights: reused by identity). */
  #cached: { vs: ValidatorSet; powers: bigint[]; total: bigint } | undefined;

  #powersAt(height: bigint): { powers: bigint[]; total: bigint } {
    const vs = this.#validatorsAt?.(height) ?? this.#vs;
    if (this.#cached?.vs === vs) return this.#cached;
    if (vs.validators.length !== this.#vs.validators.length)
      throw new RangeError(
        `ProposerSchedule: the set at height ${height} has ${vs.validators.length} validators, not ${this.#vs.validators.length}`,
      );
    const powers = vs.validators.map((v) => v.power);
    const total = totalPower(vs);
    if (total <= 0n) throw new RangeError(`ProposerSchedule: no voting power at height ${height}`);
    this.#cached = { vs, powers, total };
    return this.#cached;
  }

  #reset(): void {
    const { powers, total } = this.#powersAt(1n);
    const priorities = this.#vs.validators.map(() => 0n);
    const state: HeightState = { height: 1n, powers, total, priorities, proposer: -1, rounds: null };
    state.proposer = this.#increment(state);
    this.#latest = state;
    this.#previous = null;
  }

  #forward(): void {
    const height = this.#latest.height + 1n;
    const { powers, total } = this.#powersAt(height);
    // A validator jailed from this height on leaves the selection with its priority.
    const priorities = this.#latest.priorities.map((p, i) => (powers[i] === 0n ? 0n : p));
    const state: HeightState = { height, powers, total, priorities, proposer: -1, rounds: null };
    state.proposer = this.#increment(state);
    this.#previous = this.#latest;
    this.#latest = state;
  }

  /**
   * Walks to `height` (>= 1), however far: for heights the caller trusts (its own chain's next height).
   * An earlier height than the two kept restarts from genesis.
   */
  advanceTo(height: bigint): void {
    if (height < 1n) throw new RangeError(`advanceTo: expected height >= 1, got ${height}`);
    if (height < this.#latest.height && height !== this.#previous?.height) this.#reset();
    while (this.#latest.height < height) this.#forward();
  }

  /**
   * Index of the proposer of `height` (>= 1) at `round` (>= 0). Throws RangeError for a height below the
   * two kept or more than MAX_PROPOSER_HEIGHT_WALK beyond the latest, or a round more than
   * MAX_PROPOSER_ROUND_WALK steps from the height's round cache (call `advanceTo` for a trusted height).
   */
  proposer(height: bigint, round: number): number {
    if (height < 1n || !Number.isInteger(round) || round < 0)
      throw new RangeError(`proposer: expected height >= 1 and round >= 0, got ${height}/${round}`);
    if (height > this.#latest.height + MAX_PROPOSER_HEIGHT_WALK)
      throw new RangeError(
        `proposer: height ${height} is more than ${MAX_PROPOSER_HEIGHT_WALK} beyond ${this.#latest.height} (advanceTo a trusted height first)`,
      );
    if (height > this.#latest.height && round > MAX_PROPOSER_ROUND_WALK)
      throw new RangeError(
        `proposer: round ${round} is more than ${MAX_PROPOSER_ROUND_WALK} steps from round 0 at height ${height}`,
      );
    while (this.#latest.height < height) this.#forward();
    const state =
      height === this.#latest.height
        ? this.#latest
        : height === this.#previous?.height
          ? this.#previous
          : undefined;
    if (state === undefined)
      throw new RangeError(
        `proposer: height ${height} is before the heights kept (${this.#previous?.height ?? this.#latest.height}..${this.#latest.height}; advanceTo it first)`,
      );
    if (round === 0) return state.proposer;
    let c = state.rounds;
    const from = c === null || c.count > round ? 0 : c.count;
    if (round - from > MAX_PROPOSER_ROUND_WALK)
      throw new RangeError(
        `proposer: round ${round} is more than ${MAX_PROPOSER_ROUND_WALK} steps from round ${from} at height ${height}`,
      );
    if (c === null || c.count > round) {
      const p = state.priorities.slice();
      this.#prepare(p, state);
      c = { count: 0, priorities: p, proposer: state.proposer };
      state.rounds = c;
    }
    while (c.count < round) {
      c.proposer = this.#step(c.priorities, state);
      c.count++;
    }
    return c.proposer;
  }

  /** The priorities at the start of `height` (walks there, as `advanceTo`; for inspection and tests). */
  priorities(height: bigint): bigint[] {
    this.advanceTo(height);
    this.proposer(height, 0);
    return (height === this.#latest.height ? this.#latest : this.#previous!).priorities.slice();
  }

  /** Prepares the height's priorities and steps once: the height's round-0 proposer. */
  #increment(state: HeightState): number {
    this.#prepare(state.priorities, state);
    return this.#step(state.priorities, state);
  }

  /**
   * Rescale to the priority window, then centre on the average (CometBFT's per-call preparation), over
   * the validators with power at this height (with none jailed: all of them, as CometBFT).
   */
  #prepare(p: bigint[], at: { powers: bigint[]; total: bigint }): void {
    const diffMax = PRIORITY_WINDOW_FACTOR * at.total;
    let max: bigint | undefined;
    let min: bigint | undefined;
    let active = 0n;
    for (let i = 0; i < p.length; i++) {
      if (at.powers[i] === 0n) continue;
      const x = p[i]!;
      if (max === undefined || x > max) max = x;
      if (min === undefined || x < min) min = x;
      active++;
    }
    if (max === undefined || min === undefined) return;
    const diff = max - min;
    if (diff > diffMax) {
      const ratio = (diff + diffMax - 1n) / diffMax;
      for (let i = 0; i < p.length; i++) if (at.powers[i] !== 0n) p[i] = p[i]! / ratio; // truncates toward zero, as Go
    }
    let sum = 0n;
    for (let i = 0; i < p.length; i++) if (at.powers[i] !== 0n) sum += p[i]!;
    const avg = floorDiv(sum, active); // Go's big.Int Div is Euclidean: floor for n > 0
    for (let i = 0; i < p.length; i++) if (at.powers[i] !== 0n) p[i] = p[i]! - avg;
  }

  #step(p: bigint[], at: { powers: bigint[]; total: bigint }): number {
    this.#steps++;
    let best = -1;
    for (let i = 0; i < p.length; i++) {
      const power = at.powers[i]!;
      if (power === 0n) continue; // jailed at this height: never proposes
      p[i] = p[i]! + power;
      if (
        best < 0 ||
        p[i]! > p[best]! ||
        (p[i] === p[best] && compareBytes(this.#addresses[i]!, this.#addresses[best]!) < 0)
      )
        best = i;
    }
    p[best] = p[best]! - at.total;
    return best;
  }
}
