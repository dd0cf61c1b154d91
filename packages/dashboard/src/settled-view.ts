// The last settled interval's view: its credits and readings, and its forward (cleared) and real-time
// (ex-post) prices by bus side by side (docs/market-rules.md §10a), with the energy-balance check, from
// gl_interval and the IntervalSettled log.
import type { GlIntervalReturnType } from '@gridledger/rpc';
import { lmpsOf } from './cleared-view.ts';
import { microsToDollars } from './curves.ts';
import type { SettledView } from './view.ts';

/**
 * The view of settled interval `iv`.
 * @param creditsWh credits minted at its settlement (its IntervalSettled log), null when not found
 * @example buildSettledView(await gl_interval(k), 20_100) // { forward: {'1': 30, ...}, realtime: {'1': 30, ...}, ... }
 */
export function buildSettledView(iv: GlIntervalReturnType, creditsWh: number | null): SettledView {
  const realtime: Record<string, number> | null = iv.realtimeLmpMicrosPerMWh ? {} : null;
  for (const [bus, v] of Object.entries(iv.realtimeLmpMicrosPerMWh ?? {}))
    realtime![bus] = microsToDollars(v);
  return {
    interval: Number(iv.interval),
    creditsWh,
    promises: iv.promises.length,
    expectedReadings: Number(iv.expectedReadings),
    reportedReadings: Number(iv.reportedReadings),
    forward: lmpsOf(iv),
    realtime,
    realtimePriced: iv.realtimePriced,
    energyBalance:
      iv.energyBalance === null
        ? null
        : { mismatchWh: Number(BigInt(iv.energyBalance.mismatchWh)), status: iv.energyBalance.status },
  };
}
