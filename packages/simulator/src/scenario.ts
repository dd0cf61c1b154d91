// Scenario files (JSON or YAML): the zod schema with every field's default, parsing with errors that
// name the file, the field path and what was expected, resolution of the network file (relative to the
// scenario file, or `grid-cases:<name>` in the shared grid-cases folder) and checks against the loaded
// network (buses exist). Field meanings are documented in docs/scenarios.md.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dollarsPerMWhToMicros, InputError, MS_PER_MINUTE } from '@gridledger/base';
import { checkTariffPeriods } from '@gridledger/energy';
import { loadMatpower, type Network } from '@gridledger/grid';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type RawStrategy, resolveStrategy, type StrategySpec, strategiesSchema } from './strategy-schema.ts';

/** The shared MATPOWER cases folder (`../shared/grid-cases` beside the repository). */
export const GRID_CASES_DIR = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
/** The default scenario shipped with the package. */
export const DEFAULT_SCENARIO_PATH = fileURLToPath(new URL('../scenarios/default.yaml', import.meta.url));

const share = z.number().min(0).max(1);
const price = z.number().min(0).max(1_000_000);
const positive = z.number().positive();
const busList = z.union([z.literal('all'), z.array(z.number().int().nonnegative()).min(1)]);

/** Parameters of a PV device (defaults in brackets in docs/scenarios.md). */
export const pvParams = z.strictObject({
  peakKw: positive.default(5),
  cloudiness: share.default(0.25),
  offerPricePerMWh: price.default(8),
  sunriseHour: z.number().min(0).max(24).default(6),
  sunsetHour: z.number().min(0).max(24).default(20),
});
/** Parameters of a household load. */
export const loadParams = z.strictObject({
  dailyKwh: positive.default(10),
  noise: share.default(0.1),
  bidPricePerMWh: price.default(300),
});
/** Parameters of an EV charger. */
export const evParams = z.strictObject({
  chargerKw: positive.default(7),
  energyKwh: positive.default(15),
  arrivalHour: z.number().min(0).max(24).default(8),
  departureHour: z.number().min(0).max(24).default(17),
  maxPricePerMWh: price.default(250),
  minPricePerMWh: price.default(20),
});
/** Parameters of a home battery. */
export const batteryParams = z.strictObject({
  capacityKwh: positive.default(10),
  powerKw: positive.default(5),
  initialSoc: share.default(0.5),
  minSoc: share.default(0.1),
  maxSoc: share.default(0.95),
  efficiency: z.number().gt(0).max(1).default(0.92),
  spread: z.number().min(0).max(0.9).default(0.2),
});
/** Parameters of a flexible load (heat pump, pool pump: energy over the day, timing free). */
export const flexParams = z.strictObject({
  dailyKwh: positive.default(6),
  powerKw: positive.default(2),
  maxPricePerMWh: price.default(150),
  minPricePerMWh: price.default(30),
});

/** The device kinds and their parameter schemas. */
export const DEVICE_PARAMS = {
  pv: pvParams,
  load: loadParams,
  ev: evParams,
  battery: batteryParams,
  flex: flexParams,
} as const;
export type DeviceKind = keyof typeof DEVICE_PARAMS;
export const DEVICE_KINDS = Object.keys(DEVICE_PARAMS) as DeviceKind[];

export type PvParams = z.output<typeof pvParams>;
export type LoadParams = z.output<typeof loadParams>;
export type EvParams = z.output<typeof evParams>;
export type BatteryParams = z.output<typeof batteryParams>;
export type FlexParams = z.output<typeof flexParams>;
/** Parameters by kind. */
export interface DeviceParamsByKind {
  pv: PvParams;
  load: LoadParams;
  ev: EvParams;
  battery: BatteryParams;
  flex: FlexParams;
}

const group = z.discriminatedUnion(
  'kind',
  DEVICE_KINDS.map((kind) =>
    z.strictObject({
      name: z.string().min(1).optional(),
      kind: z.literal(kind),
      count: z.number().int().nonnegative(),
      buses: busList,
      params: (DEVICE_PARAMS[kind] as z.ZodObject).partial().optional(),
    }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
  { error: () => `expected kind to be one of ${DEVICE_KINDS.join(', ')}` },
);

const dateString = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');

/** The scenario schema. */
export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  network: z.string().min(1),
  seed: z.union([z.number().int(), z.string().min(1)]).default(1),
  intervalMinutes: z.number().int().min(1).max(1440).default(5),
  wallSecondsPerInterval: positive.default(10),
  start: z.strictObject({ date: dateString, hour: z.number().min(0).lt(24) }).default({
    date: '2026-06-21',
    hour: 11,
  }),
  /** The market's pricing model: 'dc' (default) or 'ac' (AC-OPF with losses and voltages, docs/ac-opf.md). */
  pricing: z.enum(['dc', 'ac']).default('dc'),
  gateLeadIntervals: z.number().int().min(0).max(100).default(1),
  /** Sealed bids (commit before the gate, reveal during the gate lead); needs a gate lead. */
  sealedBids: z.boolean().default(true),
  settlementDelayIntervals: z.number().int().min(1).max(100).default(2),
  upstream: z
    .strictObject({
      bus: z.number().int().nonnegative().optional(),
      importPricePerMWh: price.default(120),
      exportPricePerMWh: price.default(30),
      capacityKwhPerInterval: positive.default(5000),
      /**
       * The initial tariff by time of day (market-rules §10b; genesis `upstream.tariff`): periods from a
       * minute of the day (UTC), the first from 0. Absent: one period at the two prices above.
       */
      tariff: z
        .array(
          z.strictObject({
            fromMinute: z.number().int().min(0).max(1439),
            importPricePerMWh: price,
            exportPricePerMWh: price,
          }),
        )
        .optional(),
      /** Notice for a tariff change, minutes of market time (genesis `upstream.tariffLeadMs`; absent: one day). */
      tariffLeadMinutes: z.number().int().positive().max(525_600).optional(),
    })
    .default({ importPricePerMWh: 120, exportPricePerMWh: 30, capacityKwhPerInterval: 5000 }),
  imbalance: z
    .strictObject({
      penaltyPerMWh: z.number().positive().max(1_000_000).default(5),
      priceCapPerMWh: price.default(200),
      priceFloorPerMWh: z.number().min(-1_000_000).max(1_000_000).default(0),
      nonReportingPenalty: z.number().min(0).max(1_000_000).default(0.5),
      liquidatedDamagesPerMWh: price.default(20),
      trueUpIntervals: z.number().int().nonnegative().max(1000).default(0),
    })
    .default({
      penaltyPerMWh: 5,
      priceCapPerMWh: 200,
      priceFloorPerMWh: 0,
      nonReportingPenalty: 0.5,
      liquidatedDamagesPerMWh: 20,
      trueUpIntervals: 0,
    }),
  prosumers: z
    .strictObject({
      count: z.number().int().nonnegative().default(100),
      buses: busList.default('all'),
      composition: z
        .strictObject({
          pv: share.default(0.5),
          ev: share.default(0.2),
          battery: share.default(0.15),
          flex: share.default(0.1),
        })
        .default({ pv: 0.5, ev: 0.2, battery: 0.15, flex: 0.1 }),
    })
    .default({ count: 100, buses: 'all', composition: { pv: 0.5, ev: 0.2, battery: 0.15, flex: 0.1 } }),
  deviceDefaults: z
    .strictObject({
      pv: pvParams.partial().optional(),
      load: loadParams.partial().optional(),
      ev: evParams.partial().optional(),
      battery: batteryParams.partial().optional(),
      flex: flexParams.partial().optional(),
    })
    .default({}),
  deviceGroups: z.array(group).default([]),
  meters: z
    .strictObject({
      lateShare: share.default(0),
      missingShare: share.default(0),
      faultyShare: share.default(0),
    })
    .default({ lateShare: 0, missingShare: 0, faultyShare: 0 }),
  validators: z.number().int().min(1).max(100).default(4),
  cashPerDevice: positive.default(10_000),
  strategies: strategiesSchema,
});

type RawScenario = z.output<typeof scenarioSchema>;

/** A group of devices of one kind at listed buses, with its parameters complete. */
export interface DeviceGroup<K extends DeviceKind = DeviceKind> {
  name: string;
  kind: K;
  count: number;
  buses: number[];
  params: DeviceParamsByKind[K];
}

/** A checked scenario with defaults filled in, its network loaded and its derived clock. */
export interface Scenario {
  name: string;
  description: string | undefined;
  /** Where the scenario came from (a file path, or a label). */
  source: string;
  networkPath: string;
  network: Network;
  seed: string;
  intervalMinutes: number;
  wallSecondsPerInterval: number;
  /** Market-clock speed: market ms per block-time ms = intervalMinutes·60 / wallSecondsPerInterval. */
  clockScale: bigint;
  /** Simulated start, ms since the epoch (UTC, read as local solar time by the device models). */
  startMs: number;
  /** The market's pricing model (genesis `pricing`; the network is registered with its AC data for 'ac'). */
  pricing: 'dc' | 'ac';
  gateLeadIntervals: number;
  sealedBids: boolean;
  settlementDelayIntervals: number;
  upstream: {
    bus: number;
    importPricePerMWh: number;
    exportPricePerMWh: number;
    capacityKwhPerInterval: number;
    tariff?: { fromMinute: number; importPricePerMWh: number; exportPricePerMWh: number }[] | undefined;
    tariffLeadMinutes?: number | undefined;
  };
  imbalance: {
    penaltyPerMWh: number;
    priceCapPerMWh: number;
    priceFloorPerMWh: number;
    nonReportingPenalty: number;
    liquidatedDamagesPerMWh: number;
    trueUpIntervals: number;
  };
  prosumers: {
    count: number;
    buses: number[];
    composition: { pv: number; ev: number; battery: number; flex: number };
  };
  /** Parameters of household devices by kind. */
  deviceDefaults: DeviceParamsByKind;
  deviceGroups: DeviceGroup[];
  meters: { lateShare: number; missingShare: number; faultyShare: number };
  validators: number;
  cashPerDevice: number;
  /** When set (`--devices N`), exactly this many device agents: the groups, then households until N. */
  devices: number | undefined;
  /** Strategic participants, each with a truthful twin (added after the devices, whatever `devices` is). */
  strategies: StrategySpec[];
}

function formatIssues(source: string, error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.length === 0 ? '(top level)' : i.path.map(String).join('.');
      return `${source}: ${path}: ${i.message}`;
    })
    .join('\n');
}

/** Resolves a scenario's network field to a file path (`grid-cases:<file>` or relative to `baseDir`). */
export function resolveNetworkPath(network: string, baseDir: string): string {
  if (network.startsWith('grid-cases:')) return join(GRID_CASES_DIR, network.slice('grid-cases:'.length));
  return isAbsolute(network) ? network : resolve(baseDir, network);
}

/**
 * Checks a parsed scenario object (from JSON or YAML) and loads its network.
 * @param source the file it came from, named in every error
 * @param baseDir the folder relative network paths start from
 * @throws InputError naming the file, the field path and what was expected
 * @example const s = await parseScenario({ name: 'x', network: 'grid-cases:case33bw_congested.m' }, 'x.yaml', '.');
 */
export async function parseScenario(raw: unknown, source: string, baseDir: string): Promise<Scenario> {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InputError(`invalid scenario ${source}`, { details: formatIssues(source, parsed.error) });
  }
  const s: RawScenario = parsed.data;
  const networkPath = resolveNetworkPath(s.network, baseDir);
  if (!existsSync(networkPath)) {
    throw new InputError(
      `${source}: network: file ${networkPath} not found (a MATPOWER .m path relative to the scenario file, or grid-cases:<name>.m)`,
    );
  }
  const network = await loadMatpower(networkPath);
  const busIds = network.buses.map((b) => b.id);
  const busSet = new Set(busIds);
  const buses = (v: 'all' | number[], where: string): number[] => {
    if (v === 'all') return busIds;
    for (const b of v)
      if (!busSet.has(b))
        throw new InputError(`${source}: ${where}: bus ${b} is not in the network ${network.name}`);
    return v;
  };
  const reference = network.buses.find((b) => b.type === 3)?.id ?? busIds[0]!;
  const upBus = s.upstream.bus ?? reference;
  buses([upBus], 'upstream.bus');
  if (s.upstream.exportPricePerMWh >= s.upstream.importPricePerMWh) {
    throw new InputError(
      `${source}: upstream: expected exportPricePerMWh < importPricePerMWh, got ${s.upstream.exportPricePerMWh} >= ${s.upstream.importPricePerMWh}`,
    );
  }
  if (
    s.imbalance.priceCapPerMWh < s.upstream.importPricePerMWh ||
    s.imbalance.priceFloorPerMWh > s.upstream.exportPricePerMWh
  ) {
    throw new InputError(
      `${source}: imbalance: expected priceFloorPerMWh <= upstream.exportPricePerMWh and priceCapPerMWh >= upstream.importPricePerMWh`,
    );
  }
  if (s.upstream.tariff !== undefined) {
    const bad = checkTariffPeriods(
      s.upstream.tariff.map((p) => ({
        fromMinute: p.fromMinute,
        importPriceMicrosPerMWh: dollarsPerMWhToMicros(p.importPricePerMWh),
        exportPriceMicrosPerMWh: dollarsPerMWhToMicros(p.exportPricePerMWh),
      })),
    );
    if (bad !== undefined) throw new InputError(`${source}: upstream.tariff: ${bad}`);
  }
  const m = s.meters;
  if (m.lateShare + m.missingShare + m.faultyShare > 1) {
    throw new InputError(`${source}: meters: expected lateShare + missingShare + faultyShare <= 1`);
  }
  const intervalMs = s.intervalMinutes * MS_PER_MINUTE;
  const wallMs = s.wallSecondsPerInterval * 1000;
  if (!Number.isInteger(wallMs) || intervalMs % wallMs !== 0) {
    throw new InputError(
      `${source}: wallSecondsPerInterval: expected a divisor of the interval (${s.intervalMinutes * 60} s) in whole ms, so that the market clock runs an integer times faster than block time; got ${s.wallSecondsPerInterval}`,
    );
  }
  const startMs = Date.parse(`${s.start.date}T00:00:00Z`) + s.start.hour * 3_600_000;
  if (!Number.isFinite(startMs)) throw new InputError(`${source}: start.date: ${s.start.date} is not a date`);
  const defaults: DeviceParamsByKind = {
    pv: pvParams.parse(s.deviceDefaults.pv ?? {}),
    load: loadParams.parse(s.deviceDefaults.load ?? {}),
    ev: evParams.parse(s.deviceDefaults.ev ?? {}),
    battery: batteryParams.parse(s.deviceDefaults.battery ?? {}),
    flex: flexParams.parse(s.deviceDefaults.flex ?? {}),
  };
  const b = defaults.battery;
  if (b.minSoc >= b.maxSoc || b.initialSoc < b.minSoc || b.initialSoc > b.maxSoc) {
    throw new InputError(
      `${source}: deviceDefaults.battery: expected minSoc <= initialSoc <= maxSoc, minSoc < maxSoc`,
    );
  }
  const groups: DeviceGroup[] = s.deviceGroups.map((g, i) => {
    const gg = g as unknown as {
      name?: string;
      kind: DeviceKind;
      count: number;
      buses: 'all' | number[];
      params?: object;
    };
    const params = DEVICE_PARAMS[gg.kind].parse({
      ...defaults[gg.kind],
      ...(gg.params ?? {}),
    }) as DeviceParamsByKind[DeviceKind];
    if (gg.kind === 'battery') {
      const p = params as BatteryParams;
      if (p.minSoc >= p.maxSoc || p.initialSoc < p.minSoc || p.initialSoc > p.maxSoc)
        throw new InputError(
          `${source}: deviceGroups.${i}.params: expected minSoc <= initialSoc <= maxSoc, minSoc < maxSoc`,
        );
    }
    return {
      name: gg.name ?? `${gg.kind}-group-${i + 1}`,
      kind: gg.kind,
      count: gg.count,
      buses: buses(gg.buses, `deviceGroups.${i}.buses`),
      params,
    };
  });
  if (s.sealedBids && s.gateLeadIntervals === 0) {
    throw new InputError(
      `${source}: sealedBids needs gateLeadIntervals >= 1 (reveals take the gate lead); set sealedBids: false for an open book`,
    );
  }
  const strategies = s.strategies.map((x, i) => strategyOf(x, i, source, defaults, buses));
  return {
    name: s.name,
    description: s.description,
    source,
    networkPath,
    network,
    seed: String(s.seed),
    intervalMinutes: s.intervalMinutes,
    wallSecondsPerInterval: s.wallSecondsPerInterval,
    clockScale: BigInt(intervalMs / wallMs),
    startMs,
    pricing: s.pricing,
    gateLeadIntervals: s.gateLeadIntervals,
    sealedBids: s.sealedBids,
    settlementDelayIntervals: s.settlementDelayIntervals,
    upstream: { ...s.upstream, bus: upBus },
    imbalance: s.imbalance,
    prosumers: { ...s.prosumers, buses: buses(s.prosumers.buses, 'prosumers.buses') },
    deviceDefaults: defaults,
    deviceGroups: groups,
    meters: s.meters,
    validators: s.validators,
    cashPerDevice: s.cashPerDevice,
    devices: undefined,
    strategies,
  };
}

/** A strategy entry resolved: its bus in the network, its device's parameters over the defaults. */
function strategyOf(
  x: RawStrategy,
  i: number,
  source: string,
  defaults: DeviceParamsByKind,
  buses: (v: number[], where: string) => number[],
): StrategySpec {
  buses([x.bus], `strategies.${i}.bus`);
  const spec = resolveStrategy(x, i, {});
  const schema = DEVICE_PARAMS[spec.deviceKind];
  const given = schema.partial().safeParse(x.device ?? {});
  if (!given.success)
    throw new InputError(`invalid scenario ${source}`, {
      details: formatIssues(`${source}: strategies.${i}.device (${spec.deviceKind})`, given.error),
    });
  return { ...spec, params: schema.parse({ ...defaults[spec.deviceKind], ...given.data }) };
}

/**
 * Reads, parses (JSON by extension `.json`, YAML otherwise) and checks a scenario file.
 * @throws InputError naming the file and what is wrong (unreadable, bad YAML/JSON, invalid field)
 * @example const s = await loadScenario(DEFAULT_SCENARIO_PATH);
 */
export async function loadScenario(path: string = DEFAULT_SCENARIO_PATH): Promise<Scenario> {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read scenario file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  let raw: unknown;
  try {
    raw =
      extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const kind = extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML';
    throw new InputError(`${file}: not valid ${kind}: ${(err as Error).message.split('\n')[0]}`, {
      details: (err as Error).message,
    });
  }
  return parseScenario(raw, file, dirname(file));
}

/**
 * The scenario with exactly `devices` device agents (`--devices N`): its device groups, then households
 * as the scenario composes them until N is reached.
 * @throws InputError when N is not a positive integer
 */
export function withDevices(s: Scenario, devices: number): Scenario {
  if (!Number.isSafeInteger(devices) || devices < 1)
    throw new InputError(`--devices: expected a positive integer, got ${devices}`);
  return { ...s, devices };
}

/** Most orders per second of wall time {@link pacedForChain} asks of the chain by default. */
export const PACED_ORDERS_PER_SECOND = 75;

/**
 * A scenario scaled by `--devices` slowed down, when needed, so that its devices' orders (one per device per interval) ask at
 * most `ordersPerSecond` of the chain: wallSecondsPerInterval becomes the smallest divisor of the interval
 * length (whole seconds) at or above devices / ordersPerSecond, and the market clock's speed follows.
 * Unchanged when the scenario already runs that slowly or was not scaled (a scenario file's own pacing
 * is its author's choice). A 4-validator chain on one 2-core machine commits
 * about 700 transactions per second at saturation (bench:chain); orders arrive in a burst after each
 * interval starts, so the default leaves the burst room to clear well within the interval.
 * @example pacedForChain(withDevices(s, 10_000)).wallSecondsPerInterval // 150 for a 5-minute interval
 */
export function pacedForChain(s: Scenario, ordersPerSecond = PACED_ORDERS_PER_SECOND): Scenario {
  if (!(ordersPerSecond > 0)) throw new InputError(`pacedForChain: ordersPerSecond must be positive`);
  if (s.devices === undefined) return s;
  const intervalS = s.intervalMinutes * 60;
  const need = s.devices / ordersPerSecond;
  if (s.wallSecondsPerInterval >= need) return s;
  let wall = intervalS;
  for (let d = Math.ceil(need); d <= intervalS; d++) {
    if (intervalS % d === 0) {
      wall = d;
      break;
    }
  }
  return withPacing(s, wall);
}

/**
 * The scenario run at one interval every `wallSeconds` of wall time (a divisor of the interval), the
 * market clock's speed following; what `start` resumes a chain with, from the pacing it recorded.
 * @throws InputError when `wallSeconds` does not divide the interval into whole milliseconds
 */
export function withPacing(s: Scenario, wallSeconds: number): Scenario {
  const intervalMs = s.intervalMinutes * MS_PER_MINUTE;
  const wallMs = wallSeconds * 1000;
  if (!Number.isInteger(wallMs) || wallMs <= 0 || intervalMs % wallMs !== 0)
    throw new InputError(
      `wallSecondsPerInterval: expected a divisor of the interval (${s.intervalMinutes * 60} s) in whole ms, got ${wallSeconds}`,
    );
  return { ...s, wallSecondsPerInterval: wallSeconds, clockScale: BigInt(intervalMs / wallMs) };
}

/** One line saying how {@link pacedForChain} changed a scenario's pacing. */
export function pacingNote(before: Scenario, after: Scenario): string {
  return `${after.devices} devices: one ${after.intervalMinutes}-minute interval every ${after.wallSecondsPerInterval} s of wall time instead of ${before.wallSecondsPerInterval} s, so that their orders ask at most ${PACED_ORDERS_PER_SECOND} transactions per second of the chain`;
}
