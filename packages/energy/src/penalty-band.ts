// The penalty band of the second settlement: the price at which a deviation from the cleared position
// is settled, so that no deviation beats the forward position at any bus (docs/market-rules.md §10a).
//   short (deviation < 0, less injected or more withdrawn than cleared): pays  max(λ_fwd, λ_rt) + δ per MWh
//   long  (deviation > 0): is paid                                             min(λ_fwd, λ_rt) − δ per MWh
// Why: a party that buys forward and then consumes less sells the difference back at a price below what
// it paid (λ_fwd), and below what the energy was worth in real time (λ_rt); a seller that under-delivers
// buys the shortfall back above both. With δ > 0 every deviation loses against keeping the position, so
// phantom buying, phantom selling and over-delivery behind a congested line do not pay.
// Money is rounded against the party: it pays ceil, is paid floor (in µ$; a negative price turns a
// receipt into a payment with the same rounding).
import { floorDiv, WH_PER_MWH } from '@gridledger/base';
import { maxBig, minBig } from './words.ts';

/** The prices a deviation at one bus settles at, µ$/MWh. */
export interface BandPrices {
  /** What a short party pays per MWh: max(λ_fwd, λ_rt) + δ. */
  shortMicrosPerMWh: bigint;
  /** What a long party is paid per MWh: min(λ_fwd, λ_rt) − δ. */
  longMicrosPerMWh: bigint;
}

/**
 * The band at a bus from its forward and real-time prices and δ.
 * @example bandPrices(6_000_000n, 1_000_000n, 500_000n) // short 6.5 $/MWh, long 0.5 $/MWh
 */
export function bandPrices(forward: bigint, realtime: bigint, penalty: bigint): BandPrices {
  return {
    shortMicrosPerMWh: maxBig(forward, realtime) + penalty,
    longMicrosPerMWh: minBig(forward, realtime) - penalty,
  };
}

/**
 * Money a deviation of `deviationWh` moves to the party, µ$ (negative: the party pays).
 * @example deviationAmount(-2_000_000n, band) // -(2 MWh · short price)
 */
export function deviationAmount(deviationWh: bigint, band: BandPrices): bigint {
  if (deviationWh < 0n) {
    // Pays ceil(|dev| · short / 10^6): −floor(−x) = ceil(x).
    return floorDiv(deviationWh * band.shortMicrosPerMWh, WH_PER_MWH);
  }
  return floorDiv(deviationWh * band.longMicrosPerMWh, WH_PER_MWH);
}
