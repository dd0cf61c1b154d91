// The `strategies:` section of a scenario: strategic participants, each playing one strategy beside a
// truthful twin with the same device at the same bus (docs/scenarios.md, "Strategies"). The zod schema
// of the raw entries (one strict object per kind, so a knob given to the wrong kind is an error) and the
// resolved form the simulator runs (StrategySpec); device parameters are checked by scenario.ts against
// the device kind's own schema, over the scenario's deviceDefaults.
import { z } from 'zod';

/** The strategies and the one device each plays with (its twin has the same). */
const STRATEGY_DEVICE = {
  'free-rider': 'load',
  'phantom-buyer': 'load',
  'phantom-seller': 'pv',
  'over-deliver': 'pv',
  'withhold-reading': 'load',
  'inflate-reading': 'pv',
  'default-and-run': 'load',
} as const;
export type StrategyKind = keyof typeof STRATEGY_DEVICE;
export const STRATEGY_KINDS = Object.keys(STRATEGY_DEVICE) as StrategyKind[];

const base = {
  name: z.string().min(1).optional(),
  bus: z.number().int().nonnegative(),
  /** Parameters of the device (over the scenario's deviceDefaults of its kind). */
  device: z.record(z.string(), z.unknown()).optional(),
};
const shareBelowOne = z.number().min(0).lt(1);

const entry = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('free-rider'), ...base }),
    z.strictObject({
      kind: z.literal('phantom-buyer'),
      ...base,
      phantomKwh: z.number().positive().max(10_000).default(2),
    }),
    z.strictObject({
      kind: z.literal('phantom-seller'),
      ...base,
      phantomKwh: z.number().positive().max(10_000).default(2),
    }),
    z.strictObject({ kind: z.literal('over-deliver'), ...base, soldShare: shareBelowOne.default(0.1) }),
    z.strictObject({ kind: z.literal('withhold-reading'), ...base }),
    z.strictObject({
      kind: z.literal('inflate-reading'),
      ...base,
      inflateFactor: z.number().gt(1).max(1000).default(3),
    }),
    z.strictObject({ kind: z.literal('default-and-run'), ...base, boughtShare: shareBelowOne.default(0.25) }),
  ],
  { error: () => `expected kind to be one of ${STRATEGY_KINDS.join(', ')}` },
);

/** The schema of the `strategies:` list. */
export const strategiesSchema = z.array(entry).max(100).default([]);
export type RawStrategy = z.output<typeof entry>;

/** A strategic participant as the simulator runs it (its twin: the same device, truthful). */
export interface StrategySpec {
  /** Position in the scenario's list. */
  no: number;
  name: string;
  kind: StrategyKind;
  bus: number;
  deviceKind: 'load' | 'pv';
  /** The device's complete parameters (LoadParams or PvParams). */
  params: Record<string, unknown>;
  /**
   * phantom-buyer / phantom-seller: energy bought or sold on top of the truthful order, Wh per interval; at
   * most what the device's connection leaves on its side (strategicOrders: the market refuses more).
   */
  phantomWh: number;
  /** over-deliver: share of its forecast it sells (it exports all of it). */
  soldShare: number;
  /** inflate-reading: its meter reports this many times the export its capacity allows. */
  inflateFactor: number;
  /** default-and-run: share of its consumption it buys before it moves its cash away. */
  boughtShare: number;
}

/**
 * Resolves one raw entry; `params` gives the device's complete parameters (checked by the caller).
 * @example resolveStrategy({ kind: 'free-rider', bus: 5 }, 0, { dailyKwh: 10 })
 */
export function resolveStrategy(raw: RawStrategy, no: number, params: Record<string, unknown>): StrategySpec {
  return {
    no,
    name: raw.name ?? `${raw.kind}-${no + 1}`,
    kind: raw.kind,
    bus: raw.bus,
    deviceKind: STRATEGY_DEVICE[raw.kind],
    params,
    phantomWh: 'phantomKwh' in raw ? Math.round(raw.phantomKwh * 1000) : 0,
    soldShare: 'soldShare' in raw ? raw.soldShare : 1,
    inflateFactor: 'inflateFactor' in raw ? raw.inflateFactor : 1,
    boughtShare: 'boughtShare' in raw ? raw.boughtShare : 1,
  };
}
