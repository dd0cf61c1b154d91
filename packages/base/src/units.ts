// Named integer units. Anything settled or hashed is a bigint in one of these units; floats stay inside
// the optimiser and cross into integers only through the rounding rule documented in docs/market-rules.md.

/** Watt-hours in one megawatt-hour. */
export const WH_PER_MWH = 1_000_000n;
/** Milliseconds in one minute. */
export const MS_PER_MINUTE = 60_000;

/**
 * Rounds a finite float to the nearest integer, ties away from zero, as a bigint.
 * The one float-to-integer rule of the platform.
 * @example roundHalfAwayFromZero(2.5) // 3n
 */
export function roundHalfAwayFromZero(x: number): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`cannot round non-finite number ${x}`);
  const r = Math.sign(x) * Math.round(Math.abs(x));
  return BigInt(r);
}

/** Integer division of bigints rounding toward negative infinity. */
export function floorDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError('division by zero');
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
