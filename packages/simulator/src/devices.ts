// The device models, pure and deterministic from the seed: PV (clear-sky bell over the day with cloud
// noise shared by the neighbourhood plus a per-panel part), household load (daily profile with noise),
// EV charging (a daily session: arrival, departure, energy needed; price-sensitive steps that become
// urgent as departure nears), home battery (state of charge; buys below and sells above the price it
// expects) and flexible loads (a daily energy need with free timing). Each interval a device plans its
// orders (steps of Wh at µ$/MWh) from its state, and after the interval `deliver` says what actually
// happened (what its meter reads) given what cleared: it differs from the promise (weather, behaviour,
// physical limits). All randomness comes from `rng(key)` streams keyed by seed, device and time.
import { dollarsPerMWhToMicros, InternalError, MS_PER_MINUTE } from '@gridledger/base';
import { rng } from './prng.ts';
import type {
  BatteryParams,
  DeviceKind,
  DeviceParamsByKind,
  EvParams,
  FlexParams,
  LoadParams,
  PvParams,
} from './scenario.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** One order a device places for an interval: steps of energy (Wh) at limit prices (µ$/MWh). */
export interface PlannedOrder {
  side: 'buy' | 'sell';
  steps: { energyWh: bigint; priceMicrosPerMWh: bigint }[];
}

/** What a device knows when it plans or delivers an interval. */
export interface IntervalContext {
  /** The scenario's seed. */
  seed: string;
  /** The interval index. */
  interval: bigint;
  /** Market time of the interval's start, ms since the epoch (UTC read as local solar time). */
  startMs: number;
  /** Interval length, minutes. */
  minutes: number;
  /** In `deliver`: the interval's cleared LMP at the device's bus, µ$/MWh (a battery learns from it). */
  lastPriceMicrosPerMWh?: number | undefined;
}

/** What cleared for a device in one interval (sum over its orders). */
export interface Cleared {
  boughtWh: bigint;
  soldWh: bigint;
}

/** A meter reading's quantities. */
export interface Metered {
  importedWh: bigint;
  exportedWh: bigint;
}

/** A device: its index (global, stable), kind, bus and parameters. */
export type DeviceSpec = {
  [K in DeviceKind]: { index: number; kind: K; bus: number; params: DeviceParamsByKind[K] };
}[DeviceKind];

/** A device's state between intervals. */
export type DeviceState =
  | { kind: 'pv' }
  | { kind: 'load' }
  | { kind: 'ev'; day: number; remainingWh: number }
  | { kind: 'battery'; socWh: number; expectedPriceMicros: number }
  | { kind: 'flex'; backlogWh: number };

const micros = (dollarsPerMWh: number) => dollarsPerMWhToMicros(Math.max(0, dollarsPerMWh));
const wh = (x: number) => BigInt(Math.max(0, Math.floor(x)));
const hourOf = (ms: number) => (((ms % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
const key = (ctxSeed: string, d: DeviceSpec, what: string) => `${ctxSeed}/d${d.index}/${what}`;

function steps(parts: [number, number][]): PlannedOrder['steps'] {
  return parts
    .map(([e, p]) => ({ energyWh: wh(e), priceMicrosPerMWh: micros(p) }))
    .filter((s) => s.energyWh >= 1n);
}

// ---- PV ---------------------------------------------------------------------------------------

/** Clear-sky output as a share of peak at hour h (0 outside sunrise..sunset). */
export function clearSkyShare(p: PvParams, h: number): number {
  if (h <= p.sunriseHour || h >= p.sunsetHour) return 0;
  return Math.sin((Math.PI * (h - p.sunriseHour)) / (p.sunsetHour - p.sunriseHour)) ** 1.3;
}

/** The neighbourhood's cloud cover in [0, 1] for the 30-minute block containing `ms` (shared by all panels). */
function cloudCover(seed: string, ms: number): number {
  const block = Math.floor(ms / (30 * MS_PER_MINUTE));
  const a = rng(`${seed}/clouds/${block}`).next();
  const b = rng(`${seed}/clouds/${block + 1}`).next();
  const f = (ms % (30 * MS_PER_MINUTE)) / (30 * MS_PER_MINUTE);
  return a * (1 - f) + b * f;
}

/** PV energy over an interval, Wh: `actual` adds the panel's own noise to the shared clouds. */
export function pvEnergyWh(d: DeviceSpec & { kind: 'pv' }, ctx: IntervalContext, actual: boolean): number {
  const p = d.params;
  const mid = ctx.startMs + (ctx.minutes * MS_PER_MINUTE) / 2;
  const sky = clearSkyShare(p, hourOf(mid));
  if (sky === 0) return 0;
  const shared = cloudCover(ctx.seed, mid);
  const own = actual ? rng(key(ctx.seed, d, `pv/${ctx.interval}`)).next() : 0.5;
  const factor = 1 - p.cloudiness * (0.7 * shared + 0.3 * own);
  return p.peakKw * 1000 * sky * Math.max(0, factor) * (ctx.minutes / 60);
}

/** Each device's fixed price character (a factor in [0.5, 1.5)). */
const priceFactor = (seed: string, d: DeviceSpec) => 0.5 + rng(key(seed, d, 'price')).next();

// ---- household load ---------------------------------------------------------------------------

/** Hourly shape of a household's consumption (relative, averages 1 over the day). */
const LOAD_SHAPE = [
  0.55, 0.5, 0.45, 0.45, 0.5, 0.65, 1.0, 1.3, 1.2, 0.95, 0.85, 0.85, 0.9, 0.85, 0.8, 0.85, 1.0, 1.35, 1.7,
  1.75, 1.55, 1.3, 1.0, 0.7,
];
const SHAPE_MEAN = LOAD_SHAPE.reduce((a, b) => a + b, 0) / 24;

/** The profile's relative consumption at hour h (linear between hours, mean 1). */
export function loadShape(h: number): number {
  const i = Math.floor(h) % 24;
  const f = h - Math.floor(h);
  return (LOAD_SHAPE[i]! * (1 - f) + LOAD_SHAPE[(i + 1) % 24]! * f) / SHAPE_MEAN;
}

function loadExpectedWh(d: DeviceSpec & { kind: 'load' }, ctx: IntervalContext): number {
  const p: LoadParams = d.params;
  const size = 0.7 + 0.6 * rng(key(ctx.seed, d, 'size')).next();
  const mid = ctx.startMs + (ctx.minutes * MS_PER_MINUTE) / 2;
  return ((p.dailyKwh * 1000) / 24) * size * loadShape(hourOf(mid)) * (ctx.minutes / 60);
}

// ---- EV ---------------------------------------------------------------------------------------

/** The EV's charging session on day `day`: hours plugged in and energy needed (Wh). */
export function evSession(seed: string, d: DeviceSpec & { kind: 'ev' }, day: number) {
  const p: EvParams = d.params;
  const r = rng(key(seed, d, `ev/day/${day}`));
  const arrival = Math.min(22, Math.max(0, p.arrivalHour + r.normal(0, 0.75)));
  const departure = Math.min(24, Math.max(arrival + 1, p.departureHour + r.normal(0, 0.75)));
  const needWh = p.energyKwh * 1000 * r.uniform(0.5, 1.5);
  return { arrival, departure, needWh };
}

function evStateFor(seed: string, d: DeviceSpec & { kind: 'ev' }, s: DeviceState, day: number) {
  if (s.kind === 'ev' && s.day === day) return s;
  return { kind: 'ev' as const, day, remainingWh: evSession(seed, d, day).needWh };
}

// ---- battery -----------------------------------------------------------------------------------

function batteryLimits(p: BatteryParams, socWh: number, minutes: number) {
  const eta = Math.sqrt(p.efficiency); // one-way efficiency
  const cap = p.capacityKwh * 1000;
  const powerWh = p.powerKw * 1000 * (minutes / 60);
  return {
    eta,
    chargeWh: Math.max(0, Math.min(powerWh, (p.maxSoc * cap - socWh) / eta)),
    dischargeWh: Math.max(0, Math.min(powerWh, (socWh - p.minSoc * cap) * eta)),
  };
}

// ---- the model interface -----------------------------------------------------------------------

/**
 * The state a device starts in.
 * @param referencePriceMicros the price a battery expects before it has seen any (µ$/MWh)
 */
export function initialState(d: DeviceSpec, referencePriceMicros: number): DeviceState {
  switch (d.kind) {
    case 'pv':
      return { kind: 'pv' };
    case 'load':
      return { kind: 'load' };
    case 'ev':
      return { kind: 'ev', day: Number.NaN, remainingWh: 0 };
    case 'battery':
      return {
        kind: 'battery',
        socWh: d.params.initialSoc * d.params.capacityKwh * 1000,
        expectedPriceMicros: referencePriceMicros,
      };
    case 'flex':
      return { kind: 'flex', backlogWh: 0 };
  }
}

/**
 * The orders a device places for interval `ctx.interval`, from its state after the last delivered
 * interval and what is still pending (cleared but not yet delivered).
 */
export function planOrders(
  d: DeviceSpec,
  state: DeviceState,
  ctx: IntervalContext,
  pending: Cleared = { boughtWh: 0n, soldWh: 0n },
): PlannedOrder[] {
  switch (d.kind) {
    case 'pv': {
      const e = pvEnergyWh(d, ctx, false);
      const base = d.params.offerPricePerMWh * priceFactor(ctx.seed, d);
      const s = steps([
        [e * 0.8, base],
        [e * 0.2, base + 10],
      ]);
      return s.length === 0 ? [] : [{ side: 'sell', steps: s }];
    }
    case 'load': {
      const s = steps([[loadExpectedWh(d, ctx), d.params.bidPricePerMWh]]);
      return s.length === 0 ? [] : [{ side: 'buy', steps: s }];
    }
    case 'ev': {
      const p = d.params;
      const day = dayOf(ctx.startMs);
      const st = evStateFor(ctx.seed, d, state, day);
      const remaining = Math.max(0, st.remainingWh - Number(pending.boughtWh));
      const sess = evSession(ctx.seed, d, day);
      const h0 = hourOf(ctx.startMs);
      const h1 = h0 + ctx.minutes / 60;
      if (remaining < 1 || h0 < sess.arrival || h1 > sess.departure) return [];
      const maxWh = p.chargerKw * 1000 * (ctx.minutes / 60);
      const slots = Math.max(1, Math.floor(((sess.departure - h0) * 60) / ctx.minutes));
      // Rounded up: what departure requires must not be lost to rounding.
      const mustWh = Math.ceil(Math.max(0, Math.min(maxWh, remaining - (slots - 1) * maxWh)));
      const flexWh = Math.max(0, Math.min(maxWh, remaining) - mustWh);
      const urgency = Math.min(1, remaining / (slots * maxWh));
      const span = p.maxPricePerMWh - p.minPricePerMWh;
      const s = steps([
        [mustWh, p.maxPricePerMWh],
        [flexWh / 2, p.minPricePerMWh + span * urgency],
        [flexWh / 2, p.minPricePerMWh + span * urgency * 0.5],
      ]);
      return s.length === 0 ? [] : [{ side: 'buy', steps: s }];
    }
    case 'battery': {
      if (state.kind !== 'battery')
        throw new InternalError(`device ${d.index}: battery state expected, got ${state.kind}`);
      const p = d.params;
      const eta = Math.sqrt(p.efficiency);
      const cap = p.capacityKwh * 1000;
      const soc = Math.min(
        p.maxSoc * cap,
        Math.max(p.minSoc * cap, state.socWh + Number(pending.boughtWh) * eta - Number(pending.soldWh) / eta),
      );
      const lim = batteryLimits(p, soc, ctx.minutes);
      const $ = state.expectedPriceMicros / 1e6;
      const out: PlannedOrder[] = [];
      const buy = steps([[lim.chargeWh, $ * (1 - p.spread)]]);
      const sell = steps([[lim.dischargeWh, $ * (1 + p.spread)]]);
      if (buy.length > 0) out.push({ side: 'buy', steps: buy });
      if (sell.length > 0) out.push({ side: 'sell', steps: sell });
      return out;
    }
    case 'flex': {
      if (state.kind !== 'flex')
        throw new InternalError(`device ${d.index}: flex state expected, got ${state.kind}`);
      const p: FlexParams = d.params;
      const accrual = ((p.dailyKwh * 1000) / 1440) * ctx.minutes;
      const want = Math.max(0, state.backlogWh - Number(pending.boughtWh)) + accrual;
      const maxWh = p.powerKw * 1000 * (ctx.minutes / 60);
      const e = Math.min(maxWh, want);
      const urgency = Math.min(1, want / ((p.dailyKwh * 1000) / 4));
      const price = p.minPricePerMWh + (p.maxPricePerMWh - p.minPricePerMWh) * urgency;
      const s = steps([
        [e / 2, price],
        [e / 2, p.minPricePerMWh],
      ]);
      return s.length === 0 ? [] : [{ side: 'buy', steps: s }];
    }
  }
}

/**
 * What actually happens in interval `ctx.interval` given what cleared: the meter's reading and the
 * device's next state. Physical limits always hold (PV >= 0, battery state of charge within its limits,
 * an EV never charges more than it needs); the reading differs from the cleared position by weather,
 * behaviour and standby consumption.
 */
export function deliver(
  d: DeviceSpec,
  state: DeviceState,
  ctx: IntervalContext,
  cleared: Cleared,
): { state: DeviceState; metered: Metered } {
  const r = rng(key(ctx.seed, d, `deliver/${ctx.interval}`));
  switch (d.kind) {
    case 'pv':
      return { state, metered: { importedWh: 0n, exportedWh: wh(pvEnergyWh(d, ctx, true)) } };
    case 'load': {
      const e = loadExpectedWh(d, ctx) * Math.max(0, 1 + d.params.noise * r.normal());
      return { state, metered: { importedWh: wh(e), exportedWh: 0n } };
    }
    case 'ev': {
      const day = dayOf(ctx.startMs);
      const st = evStateFor(ctx.seed, d, state, day);
      const maxWh = d.params.chargerKw * 1000 * (ctx.minutes / 60);
      const charged = Math.min(Number(cleared.boughtWh), st.remainingWh, maxWh);
      // The charger's own standby draw (0-0.5% of a full interval's charge) is metered too.
      const standby = r.uniform(0, 0.005) * maxWh;
      return {
        state: { kind: 'ev', day, remainingWh: st.remainingWh - charged },
        metered: { importedWh: wh(charged + standby), exportedWh: 0n },
      };
    }
    case 'battery': {
      if (state.kind !== 'battery')
        throw new InternalError(`device ${d.index}: battery state expected, got ${state.kind}`);
      const p = d.params;
      const lim = batteryLimits(p, state.socWh, ctx.minutes);
      const cap = p.capacityKwh * 1000;
      // The inverter follows the cleared position within its limits (and a small tracking error).
      const track = 1 - r.uniform(0, 0.03);
      const inWh = Math.floor(Math.min(Number(cleared.boughtWh) * track, lim.chargeWh));
      const outWh = Math.floor(Math.min(Number(cleared.soldWh) * track, lim.dischargeWh));
      const soc = Math.min(
        p.maxSoc * cap,
        Math.max(p.minSoc * cap, state.socWh + inWh * lim.eta - outWh / lim.eta),
      );
      const expected =
        ctx.lastPriceMicrosPerMWh === undefined
          ? state.expectedPriceMicros
          : 0.7 * state.expectedPriceMicros + 0.3 * ctx.lastPriceMicrosPerMWh;
      return {
        state: { kind: 'battery', socWh: soc, expectedPriceMicros: expected },
        metered: { importedWh: wh(inWh), exportedWh: wh(outWh) },
      };
    }
    case 'flex': {
      if (state.kind !== 'flex')
        throw new InternalError(`device ${d.index}: flex state expected, got ${state.kind}`);
      const p = d.params;
      const accrual = ((p.dailyKwh * 1000) / 1440) * ctx.minutes;
      const want = state.backlogWh + accrual;
      const used = Math.min(Number(cleared.boughtWh), want) * (1 - r.uniform(0, 0.05));
      return {
        state: { kind: 'flex', backlogWh: Math.min(want - used, p.dailyKwh * 1000) },
        metered: { importedWh: wh(used), exportedWh: 0n },
      };
    }
  }
}
