// Named units and every conversion between the optimiser's floats and the chain's integers, in one place
// (PowerModels' table of symbols and units). Anything settled or hashed is a bigint in one of the integer
// units below; floats stay inside the optimiser and cross into integers only here, through the one
// rounding rule `roundHalfAwayFromZero` (docs/market-rules.md).
//
// | symbol | unit                                   | kind            | used for                               |
// | ------ | -------------------------------------- | --------------- | -------------------------------------- |
// | Wh     | watt-hour                              | integer, bigint | energy on chain (orders, readings)     |
// | W      | watt                                   | integer, bigint | power on chain (branch flows, limits)  |
// | µ$     | micro-dollar, the cash token's unit    | integer, bigint | money on chain (6 decimals)            |
// | µ$/MWh | micro-dollars per megawatt-hour        | integer, bigint | prices on chain (LMPs, limit prices)   |
// | MW     | megawatt                               | float, number   | power in the optimiser (MATPOWER's)    |
// | $/MWh  | dollars per megawatt-hour              | float, number   | prices in the optimiser (LMPs, duals)  |
// | $      | dollar                                 | float, number   | display and scenario files             |
// | ms     | millisecond                            | integer         | block time, interval lengths           |

/** Watt-hours in one megawatt-hour. */
export const WH_PER_MWH = 1_000_000n;
/** Micro-dollars (the cash token's smallest unit, 6 decimals) in one dollar. */
export const MICROS_PER_USD = 1_000_000n;
/** Milliseconds in one minute. */
export const MS_PER_MINUTE = 60_000;
/** Minutes in one hour. */
const MINUTES_PER_HOUR = 60;
/** The float factor of W per MW, WH_PER_MWH and MICROS_PER_USD (10^6). */
const MEGA = 1e6;

/**
 * Rounds a finite float to the nearest integer, ties away from zero, as a bigint.
 * The one float-to-integer rule of the platform.
 * @throws RangeError for NaN or an infinity.
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

/**
 * A price in $/MWh (float, e.g. an LMP or a branch shadow price) as integer µ$/MWh, rounded half away
 * from zero. The one rounding of prices from the optimiser to the chain (the LMPs stored per bus).
 * @throws RangeError for a non-finite price.
 * @example dollarsPerMWhToMicros(42.0000005) // 42_000_001n
 */
export function dollarsPerMWhToMicros(priceDollarsPerMWh: number): bigint {
  return roundHalfAwayFromZero(priceDollarsPerMWh * MEGA);
}

/**
 * A price in integer µ$/MWh as $/MWh (float; converts back to the same integer while |price| < 2^50).
 * @example microsPerMWhToDollars(45_500_000n) // 45.5
 */
export function microsPerMWhToDollars(priceMicrosPerMWh: bigint): number {
  return Number(priceMicrosPerMWh) / MEGA;
}

/**
 * An amount of money in $ (float) as integer µ$, rounded half away from zero.
 * @throws RangeError for a non-finite amount.
 * @example dollarsToMicros(1.25) // 1_250_000n
 */
export function dollarsToMicros(dollars: number): bigint {
  return roundHalfAwayFromZero(dollars * MEGA);
}

/**
 * An amount of money in integer µ$ as $ (float; converts back to the same integer while |amount| < 2^50).
 * @example microsToDollars(1_250_000n) // 1.25
 */
export function microsToDollars(micros: bigint): number {
  return Number(micros) / MEGA;
}

/**
 * Power in MW (float, e.g. a branch flow or limit) as integer W, rounded half away from zero.
 * @throws RangeError for a non-finite power.
 * @example mwToW(1.5) // 1_500_000n
 */
export function mwToW(mw: number): bigint {
  return roundHalfAwayFromZero(mw * MEGA);
}

/**
 * Power in integer W as MW (float; converts back to the same integer while |W| < 2^50).
 * @example wToMw(1_500_000n) // 1.5
 */
export function wToMw(w: bigint): number {
  return Number(w) / MEGA;
}

/**
 * The constant power in MW (float) that delivers `wh` over an interval of `minutes`:
 * wh · 60 / (minutes · 10^6). Not rounded; this is how orders enter the optimiser.
 * @example whToMw(1_000_000n, 60) // 1
 */
export function whToMw(wh: bigint, minutes: number): number {
  return (Number(wh) * MINUTES_PER_HOUR) / (minutes * MEGA);
}

/**
 * The energy in Wh (float, not rounded) that `mw` held over an interval of `minutes` delivers:
 * mw · minutes · 10^6 / 60. The caller rounds (market settlement shares rounding by largest remainder).
 * @example mwToWh(1, 60) // 1_000_000
 */
export function mwToWh(mw: number, minutes: number): number {
  return (mw * minutes * MEGA) / MINUTES_PER_HOUR;
}

/**
 * Integer micro-units as a decimal with exactly 6 places (µ$ → $, µ$/MWh → $/MWh); exact, no floats.
 * @example formatMicros(45_500_000n) // '45.500000'
 * @example formatMicros(-1n) // '-0.000001'
 */
export function formatMicros(micros: bigint | string): string {
  const v = BigInt(micros);
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / MICROS_PER_USD}.${(a % MICROS_PER_USD).toString().padStart(6, '0')}`;
}

/**
 * Whole minutes in an interval of integer ms (truncated toward zero).
 * @example msToMinutes(300_000n) // 5
 */
export function msToMinutes(ms: bigint): number {
  return Number(ms / BigInt(MS_PER_MINUTE));
}

/**
 * An interval of whole minutes in integer ms.
 * @example minutesToMs(5) // 300_000n
 */
export function minutesToMs(minutes: number): bigint {
  return BigInt(minutes) * BigInt(MS_PER_MINUTE);
}
