// The connection capacity registered with each simulated device's meter (the chain refuses a reading
// whose imported + exported Wh exceed capacity × the interval, and an owner's orders on one side of an
// interval beyond the same): registration.ts registers it, the phantoms (strategies.ts) order up to it,
// inflate-reading reports more than it allows.
import type { DeviceSpec } from './devices.ts';

/** A household's service connection, W (about 100 A at 230 V): the floor of every device's capacity. */
const SERVICE_CAPACITY_W = 25_000;

/**
 * The connection capacity registered with a device's meter, W: the household service, or twice the
 * device's own rating where that is larger (the chain refuses readings above capacity × interval).
 */
export function connectionCapacityW(spec: DeviceSpec): bigint {
  let ratingKw: number;
  switch (spec.kind) {
    case 'pv':
      ratingKw = spec.params.peakKw;
      break;
    case 'ev':
      ratingKw = spec.params.chargerKw;
      break;
    case 'battery':
    case 'flex':
      ratingKw = spec.params.powerKw;
      break;
    case 'load':
      ratingKw = spec.params.dailyKwh / 4; // a day's energy in 4 hours at full draw
      break;
  }
  return BigInt(Math.max(SERVICE_CAPACITY_W, Math.ceil(ratingKw * 2000)));
}

/**
 * What the market lets a device's owner order on one side of one interval of `minutes`, Wh: its
 * connection capacity × the interval, rounded down as the market does (Σ capacityW × intervalMs).
 * @example connectionCapacityWh(loadSpec, 5) // 2083n for a 25 kW connection
 */
export const connectionCapacityWh = (spec: DeviceSpec, minutes: number): bigint =>
  (connectionCapacityW(spec) * BigInt(minutes)) / 60n;
