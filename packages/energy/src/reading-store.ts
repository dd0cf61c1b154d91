// Where accepted meter readings live in state, and their unmetered read (shared by the meters module,
// settlement and the invariants without an import cycle).
// State keys (prefix <meters address>): :r:<meter>:<interval>:imp, :exp (Wh), :seen (1).
import { METERS_ADDRESS } from './addresses.ts';
import type { StateReader } from './words.ts';

const T = METERS_ADDRESS;
/** State keys of the meters module. */
export const meterKeys = {
  imported: (m: bigint, k: bigint) => `${T}:r:${m}:${k}:imp`,
  exported: (m: bigint, k: bigint) => `${T}:r:${m}:${k}:exp`,
  seen: (m: bigint, k: bigint) => `${T}:r:${m}:${k}:seen`,
};

/** Unmetered reading lookup (undefined when the meter has not reported for the interval). */
export function readingView(
  s: StateReader,
  meter: bigint,
  k: bigint,
): { importedWh: bigint; exportedWh: bigint } | undefined {
  if (s.get(meterKeys.seen(meter, k)) !== 1n) return undefined;
  return { importedWh: s.get(meterKeys.imported(meter, k)), exportedWh: s.get(meterKeys.exported(meter, k)) };
}
