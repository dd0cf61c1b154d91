// The meter readings module (0x…1012): anyone submits readings, one or many per transaction; each is
// EIP-712 typed data signed by the meter's registered key:
//   domain  { name: "gridledger-meters", version: "1", chainId, verifyingContract: 0x…1012 }
//   Reading(uint256 meter,uint64 interval,uint64 importedWh,uint64 exportedWh)
// The transaction reverts as a whole, naming the reading, for an unknown meter, a signature that does
// not recover to the meter's key, a second reading of the same meter and interval (also within the
// batch), a reading whose imported + exported Wh exceed the meter's registered capacity × the interval,
// a reading before its interval ended, or at/after its settlement deadline (or once settled).
// State keys (prefix <meters address>): :r:<meter>:<interval>:imp, :exp (Wh), :seen (1).
import { AbiModule, type Address, prepareEvent, recoverAddress, revertReason } from '@gridledger/execution';
import { bytesToHex, type Hex, hashTypedData, hexToBytes, parseAbi } from 'viem';
import { METERS_ADDRESS } from './addresses.ts';
import {
  capacityWhPerInterval,
  deadlineMs,
  intervalEndMs,
  type MarketConfig,
  marketTimeMs,
} from './config.ts';
import { INTERVAL_STATUS, marketKeys } from './market-keys.ts';
import { registryKeys, registryView } from './registry.ts';
import type { StateReader } from './words.ts';

/** The meters module's ABI. */
export const METERS_ABI = parseAbi([
  'struct Reading { uint256 meter; uint64 interval; uint64 importedWh; uint64 exportedWh; }',
  'function submitReadings(Reading[] readings, bytes[] signatures)',
  'function readingOf(uint256 meter, uint64 interval) view returns (bool seen, uint256 importedWh, uint256 exportedWh)',
  'event ReadingAccepted(uint256 indexed meter, uint64 indexed interval, uint256 importedWh, uint256 exportedWh)',
]);

/** EIP-712 types of a reading. */
export const READING_TYPES = {
  Reading: [
    { name: 'meter', type: 'uint256' },
    { name: 'interval', type: 'uint64' },
    { name: 'importedWh', type: 'uint64' },
    { name: 'exportedWh', type: 'uint64' },
  ],
} as const;

/** The EIP-712 domain of readings on a chain. */
export function readingDomain(chainId: bigint) {
  return { name: 'gridledger-meters', version: '1', chainId, verifyingContract: METERS_ADDRESS } as const;
}

/** A meter reading. */
export interface Reading {
  meter: bigint;
  interval: bigint;
  importedWh: bigint;
  exportedWh: bigint;
}

/** The EIP-712 digest a meter signs for `r`. */
export function readingDigest(chainId: bigint, r: Reading): Hex {
  return hashTypedData({
    domain: readingDomain(chainId),
    types: READING_TYPES,
    primaryType: 'Reading',
    message: r,
  });
}

/**
 * Most readings in one transaction: 200 readings are ~58 KB of calldata (288 bytes each: four words and a
 * 65-byte signature with its offset and length), so a full batch fits the default 64 KiB transaction limit.
 */
export const MAX_READINGS_PER_TX = 200;

const EV = { accepted: prepareEvent(METERS_ABI, 'ReadingAccepted') };
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

/**
 * The meters module.
 * @example new MetersModule(config)
 */
export class MetersModule extends AbiModule {
  readonly config: MarketConfig;
  constructor(config: MarketConfig) {
    super('meters', METERS_ADDRESS, METERS_ABI, {
      submitReadings: (ctx, [rawReadings, rawSigs]) => {
        const readings = rawReadings as readonly Reading[];
        const sigs = rawSigs as readonly Hex[];
        if (readings.length === 0 || readings.length > MAX_READINGS_PER_TX) {
          throw revertReason(`meters: expected 1..${MAX_READINGS_PER_TX} readings, got ${readings.length}`);
        }
        if (sigs.length !== readings.length) {
          throw revertReason(`meters: ${readings.length} readings but ${sigs.length} signatures`);
        }
        readings.forEach((r, i) => {
          const where = `meters: reading ${i + 1} (meter ${r.meter}, interval ${r.interval})`;
          const meter = registryView.meter(ctx.state, r.meter);
          ctx.read(registryKeys.meterKey(r.meter));
          if (meter === undefined) throw revertReason(`${where}: unknown meter`);
          const t = marketTimeMs(config, ctx.env.timeMs);
          if (t < intervalEndMs(config, r.interval)) {
            throw revertReason(
              `${where}: the interval ends at ${intervalEndMs(config, r.interval)} ms, market time is ${t}`,
            );
          }
          const status = ctx.read(marketKeys.interval(r.interval).status);
          if (t >= deadlineMs(config, r.interval) || status === INTERVAL_STATUS.settled) {
            throw revertReason(
              `${where}: the settlement deadline (${deadlineMs(config, r.interval)} ms) has passed or the interval is settled`,
            );
          }
          const sig = hexToBytes(sigs[i]!);
          if (sig.length !== 65) throw revertReason(`${where}: expected a 65-byte signature`);
          const v = sig[64]!;
          ctx.chargeSignatureCheck();
          const digest = hexToBytes(readingDigest(config.chainId, r));
          const rec =
            v === 27 || v === 28 || v === 0 || v === 1
              ? recoverAddress(digest, sig.subarray(0, 64), v % 27)
              : null;
          const signer = rec === null ? undefined : (bytesToHex(rec) as Address);
          if (signer !== meter.key)
            throw revertReason(`${where}: not signed by the meter's key ${meter.key}`);
          if (ctx.read(meterKeys.seen(r.meter, r.interval)) === 1n)
            throw revertReason(`${where}: already reported`);
          const maxWh = capacityWhPerInterval(config, meter.capacityW);
          if (r.importedWh + r.exportedWh > maxWh) {
            throw revertReason(
              `${where}: imported ${r.importedWh} + exported ${r.exportedWh} Wh exceeds the meter's capacity of ${meter.capacityW} W × the interval = ${maxWh} Wh`,
            );
          }
          ctx.write(meterKeys.seen(r.meter, r.interval), 1n);
          ctx.write(meterKeys.imported(r.meter, r.interval), r.importedWh);
          ctx.write(meterKeys.exported(r.meter, r.interval), r.exportedWh);
          const iv = marketKeys.interval(r.interval);
          if (ctx.read(iv.expected(r.meter)) === 1n)
            ctx.write(iv.reportedCount, ctx.read(iv.reportedCount) + 1n);
          ctx.emit(METERS_ADDRESS, EV.accepted, {
            meter: r.meter,
            interval: r.interval,
            importedWh: r.importedWh,
            exportedWh: r.exportedWh,
          });
        });
        return [];
      },
      readingOf: (ctx, [meter, interval]) => {
        const seen = ctx.read(meterKeys.seen(meter as bigint, interval as bigint)) === 1n;
        return [
          seen,
          ctx.read(meterKeys.imported(meter as bigint, interval as bigint)),
          ctx.read(meterKeys.exported(meter as bigint, interval as bigint)),
        ];
      },
    });
    this.config = config;
  }
}
