// The market's genesis configuration (fixed for the chain's life), its JSON form (genesis.json), and the
// interval clock derived from it. The market runs on market time, a fixed affine function of block time
// (`clock`: identity unless genesis says otherwise, so simulations can run a 5-minute interval every few
// seconds): interval k covers market times [k·L, (k+1)·L) ms; its gate closes gateLeadMs before it starts;
// its readings are accepted from its end until its settlement deadline, settlementDelayMs after its end.
// With sealed bids the gate closes the commitments and a reveal window follows; the interval clears when
// it closes (clearingMs).
import { InputError, MS_PER_MINUTE, msToMinutes } from '@gridledger/base';
import type { Address } from '@gridledger/execution';

/**
 * One period of a time-of-day tariff: from `fromMinute` (minutes after 00:00 of market time, UTC) to the
 * next period's start, the upstream sells at the import price and buys at the export price.
 */
export interface TariffPeriod {
  fromMinute: number;
  importPriceMicrosPerMWh: bigint;
  exportPriceMicrosPerMWh: bigint;
}

/** The upstream grid connection: supplier and buyer of last resort at one bus. */
export interface UpstreamConfig {
  bus: number;
  /**
   * Account that pays for exports bought and receives payment for imports sold (default: grid operator).
   * Its bid is not capped by its cash: what it cannot pay becomes its debt (clearing.ts).
   */
  account: Address;
  /** Price at which the upstream sells to the local market, cash units per MWh (the initial schedule when `tariff` is absent). */
  importPriceMicrosPerMWh: bigint;
  /** Price at which the upstream buys from the local market (must be below the import price). */
  exportPriceMicrosPerMWh: bigint;
  /**
   * The initial time-of-day tariff (default: one period at the two prices above); the grid operator
   * replaces it on chain (tariffs.ts) with `tariffLeadMs` notice.
   */
  tariff?: TariffPeriod[];
  /** Notice for a tariff change, ms of market time (default one day): it applies to intervals whose gate is at least this long after it. */
  tariffLeadMs?: bigint;
  /** Most energy per interval in each direction, Wh. */
  capacityWh: bigint;
  /**
   * The connection's own meter (a registered meter id at the upstream bus), read for the energy-balance
   * check; it is not settled as a party. Absent: no check.
   */
  meter?: bigint;
}

/**
 * The market clock: market time = marketOriginMs + (blockTimeMs − blockOriginMs) · scale. Identity when
 * absent. A scale above 1 runs simulated time faster than block time (scale 30: a 5-minute interval every
 * 10 s); energy and prices stay in market time, so Wh and MW keep their physical meaning.
 */
export interface MarketClock {
  blockOriginMs: bigint;
  marketOriginMs: bigint;
  scale: bigint;
}

/**
 * The second settlement: deviations from the cleared position are settled at real-time nodal prices
 * inside a penalty band (a short party pays at least max(λ_forward, λ_rt) + δ, a long party is paid at
 * most min(λ_forward, λ_rt) − δ); prices in cash units (µ$) per MWh.
 */
export interface ImbalanceConfig {
  /** δ, the penalty band's half-width, µ$/MWh (> 0, so no deviation beats the forward position). */
  penaltyMicrosPerMWh: bigint;
  /** Highest real-time price, µ$/MWh: the price of withdrawals the network could not have served. */
  priceCapMicrosPerMWh: bigint;
  /** Lowest real-time price, µ$/MWh (may be negative): the price of injections the network could not carry. */
  priceFloorMicrosPerMWh: bigint;
  /** Charged per missing reading (meter and interval) on top of the adverse estimate, µ$. */
  nonReportingPenaltyMicros: bigint;
  /** A reading may still arrive this long after the settlement deadline and is settled by a true-up, ms. */
  trueUpDelayMs: bigint;
  /** Liquidated damages a seller pays the holder of its undelivered promise, µ$/MWh undelivered. */
  liquidatedDamagesMicrosPerMWh: bigint;
  /**
   * Energy-balance check: the interval is flagged when the participants' metered net injection plus the
   * upstream meter's net injection is farther from zero than this, Wh (DC model: no losses).
   */
  balanceToleranceWh: bigint;
}

/** The market's configuration, written into state at genesis. */
export interface MarketConfig {
  /** Ethereum chain id (EIP-712 domain of meter readings). */
  chainId: bigint;
  /** The grid operator: registers the network and meters, receives congestion rent, settles imbalances. */
  gridOperator: Address;
  /** Interval length, ms (a whole number of minutes). */
  intervalMs: bigint;
  /** Gate closure lead time before the interval starts, ms. */
  gateLeadMs: bigint;
  /** Settlement deadline after the interval ends, ms. */
  settlementDelayMs: bigint;
  /** First interval index the market trades (earlier intervals are never cleared). */
  firstInterval: bigint;
  upstream: UpstreamConfig;
  /** The second (real-time) settlement's parameters (docs/market-rules.md §10a). */
  imbalance: ImbalanceConfig;
  /** Most live orders of one account in one interval. */
  maxOrdersPerAccount: number;
  /** Most steps of one order. */
  maxStepsPerOrder: number;
  /** Smallest energy of one order step, Wh (default 1; e.g. 1000 for 1 kWh): no dust steps. */
  minStepWh?: bigint;
  /**
   * Most energy of one order (sum of its steps), Wh (default: no cap beyond the step limits). Stands in
   * for the capacity of the participant's meters at the bus until meter capacity is registered.
   */
  maxOrderWh?: bigint;
  /**
   * Orders capped by the registered meters (docs/market-rules.md §10 "Orders"): the open orders of one
   * owner at one bus, interval and side together may not exceed what the owner's meters at that bus carry
   * in an interval (Σ capacityW × intervalMs); an owner without a meter there cannot trade there. Default
   * off (markets built by hand in tests); everything a user creates (`init`, `start`, the simulator's
   * scenarios) turns it on.
   */
  ordersCappedByMeters?: boolean;
  /** Market time from block time (default: market time = block time). */
  clock?: MarketClock;
  /**
   * Sealed bids (commit-reveal, docs/market-rules.md §6b; sealed-orders.ts). Absent: an open book, orders
   * placed in the clear until the gate and cleared at the gate. Everything a user creates (`init`,
   * `start`, the simulator's scenarios) turns it on.
   */
  sealed?: SealedBidsConfig;
  /**
   * The pricing model of the clearing (default 'dc'): 'dc' clears with the lossless DC-OPF, 'ac' with the
   * AC-OPF (losses, voltage limits, apparent-power limits; clearing-ac.ts, docs/ac-opf.md "On chain").
   */
  pricing?: MarketPricing;
}

/** Sealed bids: commitments until the gate, reveals in a window after it, clearing when it closes. */
export interface SealedBidsConfig {
  /** Reveal window after the gate, ms of market time (0 < revealWindowMs <= gateLeadMs). */
  revealWindowMs: bigint;
  /** Share of an unrevealed commitment's deposit forfeited to the grid operator, basis points (0..10000). */
  forfeitBps: bigint;
}

/** Basis points in one (the unit of {@link SealedBidsConfig.forfeitBps}). */
export const BPS = 10_000n;

/** The clearing's pricing model. */
export type MarketPricing = 'dc' | 'ac';

/** Pricing models in their state-word order (the config word stores the index). */
export const MARKET_PRICINGS: readonly MarketPricing[] = ['dc', 'ac'];

/** The configuration's pricing model ('dc' when absent). */
export const pricingOf = (c: MarketConfig): MarketPricing => c.pricing ?? 'dc';

/** Largest clock scale (one millisecond of block time may stand for at most ~16.7 minutes). */
export const MAX_CLOCK_SCALE = 1_000_000n;

/** Largest energy of one order step, Wh (10^12 Wh = 1 TWh). */
export const MAX_STEP_WH = 1_000_000_000_000n;
/** Largest price of one order step, cash units per MWh (10^12 µ$/MWh = 1,000,000 $/MWh). */
export const MAX_PRICE_MICROS_PER_MWH = 1_000_000_000_000n;

/**
 * Checks a configuration and returns it with addresses lower-cased.
 * @throws InputError naming the field and what was expected.
 */
export function checkMarketConfig(c: MarketConfig): MarketConfig {
  const pos = (v: bigint, name: string) => {
    if (typeof v !== 'bigint' || v <= 0n)
      throw new InputError(`market config: expected ${name} > 0 as a bigint, got ${String(v)}`);
  };
  const nonneg = (v: bigint, name: string) => {
    if (typeof v !== 'bigint' || v < 0n)
      throw new InputError(`market config: expected ${name} >= 0 as a bigint, got ${String(v)}`);
  };
  pos(c.chainId, 'chainId');
  pos(c.intervalMs, 'intervalMs');
  if (c.intervalMs % BigInt(MS_PER_MINUTE) !== 0n) {
    throw new InputError(`market config: expected intervalMs to be whole minutes, got ${c.intervalMs}`);
  }
  nonneg(c.gateLeadMs, 'gateLeadMs');
  pos(c.settlementDelayMs, 'settlementDelayMs');
  nonneg(c.firstInterval, 'firstInterval');
  nonneg(c.upstream.importPriceMicrosPerMWh, 'upstream.importPriceMicrosPerMWh');
  nonneg(c.upstream.exportPriceMicrosPerMWh, 'upstream.exportPriceMicrosPerMWh');
  nonneg(c.upstream.capacityWh, 'upstream.capacityWh');
  if (c.upstream.exportPriceMicrosPerMWh >= c.upstream.importPriceMicrosPerMWh) {
    throw new InputError('market config: expected upstream export price < import price');
  }
  if (c.upstream.tariff !== undefined) {
    const bad = checkTariffPeriods(c.upstream.tariff);
    if (bad !== undefined) throw new InputError(`market config: upstream.tariff: ${bad}`);
  }
  if (c.upstream.tariffLeadMs !== undefined) pos(c.upstream.tariffLeadMs, 'upstream.tariffLeadMs');
  if (!Number.isSafeInteger(c.upstream.bus) || c.upstream.bus < 0) {
    throw new InputError(`market config: expected upstream.bus as a bus number, got ${c.upstream.bus}`);
  }
  const im = c.imbalance;
  pos(im.penaltyMicrosPerMWh, 'imbalance.penaltyMicrosPerMWh');
  nonneg(im.priceCapMicrosPerMWh, 'imbalance.priceCapMicrosPerMWh');
  if (typeof im.priceFloorMicrosPerMWh !== 'bigint' || im.priceFloorMicrosPerMWh > im.priceCapMicrosPerMWh) {
    throw new InputError(
      `market config: expected imbalance.priceFloorMicrosPerMWh <= priceCapMicrosPerMWh as a bigint, got ${String(im.priceFloorMicrosPerMWh)}`,
    );
  }
  for (const v of [im.priceCapMicrosPerMWh, im.priceFloorMicrosPerMWh, im.penaltyMicrosPerMWh]) {
    if (v > MAX_PRICE_MICROS_PER_MWH || v < -MAX_PRICE_MICROS_PER_MWH)
      throw new InputError(
        `market config: expected imbalance prices within ±${MAX_PRICE_MICROS_PER_MWH}, got ${v}`,
      );
  }
  if (im.priceCapMicrosPerMWh < c.upstream.importPriceMicrosPerMWh) {
    throw new InputError(
      'market config: expected imbalance.priceCapMicrosPerMWh >= the upstream import price',
    );
  }
  if (im.priceFloorMicrosPerMWh > c.upstream.exportPriceMicrosPerMWh) {
    throw new InputError(
      'market config: expected imbalance.priceFloorMicrosPerMWh <= the upstream export price',
    );
  }
  nonneg(im.nonReportingPenaltyMicros, 'imbalance.nonReportingPenaltyMicros');
  nonneg(im.trueUpDelayMs, 'imbalance.trueUpDelayMs');
  nonneg(im.liquidatedDamagesMicrosPerMWh, 'imbalance.liquidatedDamagesMicrosPerMWh');
  nonneg(im.balanceToleranceWh, 'imbalance.balanceToleranceWh');
  if (c.upstream.meter !== undefined) nonneg(c.upstream.meter, 'upstream.meter');
  for (const [v, name] of [
    [c.maxOrdersPerAccount, 'maxOrdersPerAccount'],
    [c.maxStepsPerOrder, 'maxStepsPerOrder'],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new InputError(`market config: expected ${name} > 0, got ${v}`);
  }
  if (c.minStepWh !== undefined) {
    pos(c.minStepWh, 'minStepWh');
    if (c.minStepWh > MAX_STEP_WH)
      throw new InputError(`market config: expected minStepWh <= ${MAX_STEP_WH}, got ${c.minStepWh}`);
  }
  if (c.maxOrderWh !== undefined) pos(c.maxOrderWh, 'maxOrderWh');
  if (c.ordersCappedByMeters !== undefined && typeof c.ordersCappedByMeters !== 'boolean') {
    throw new InputError(
      `market config: expected ordersCappedByMeters to be true or false, got ${JSON.stringify(c.ordersCappedByMeters)}`,
    );
  }
  if (c.sealed !== undefined) {
    pos(c.sealed.revealWindowMs, 'sealed.revealWindowMs');
    if (c.sealed.revealWindowMs > c.gateLeadMs) {
      throw new InputError(
        `market config: expected sealed.revealWindowMs <= gateLeadMs (${c.gateLeadMs}) so an interval clears before it starts, got ${c.sealed.revealWindowMs}`,
      );
    }
    nonneg(c.sealed.forfeitBps, 'sealed.forfeitBps');
    if (c.sealed.forfeitBps > BPS)
      throw new InputError(`market config: expected sealed.forfeitBps <= ${BPS}, got ${c.sealed.forfeitBps}`);
  }
  if (c.clock !== undefined) {
    nonneg(c.clock.blockOriginMs, 'clock.blockOriginMs');
    nonneg(c.clock.marketOriginMs, 'clock.marketOriginMs');
    pos(c.clock.scale, 'clock.scale');
    if (c.clock.scale > MAX_CLOCK_SCALE)
      throw new InputError(`market config: expected clock.scale <= ${MAX_CLOCK_SCALE}, got ${c.clock.scale}`);
  }
  if (c.pricing !== undefined && !MARKET_PRICINGS.includes(c.pricing)) {
    throw new InputError(`market config: expected pricing "dc" or "ac", got ${JSON.stringify(c.pricing)}`);
  }
  const addr = (a: Address, name: string) => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(a))
      throw new InputError(`market config: expected ${name} as an address, got ${a}`);
    return a.toLowerCase() as Address;
  };
  return {
    ...c,
    gridOperator: addr(c.gridOperator, 'gridOperator'),
    upstream: { ...c.upstream, account: addr(c.upstream.account, 'upstream.account') },
  };
}

/** Most periods of one tariff schedule (half-hourly for a day). */
export const MAX_TARIFF_PERIODS = 48;
/** Minutes in a day. */
export const MINUTES_PER_DAY = 1440;
/** Default notice for a tariff change: one day of market time, ms. */
export const DEFAULT_TARIFF_LEAD_MS = 86_400_000n;

/**
 * Why a tariff schedule is malformed, or undefined when it is well formed: 1..48 periods, the first from
 * minute 0, starts strictly increasing below 1440, each export price below its import price, prices at
 * most MAX_PRICE_MICROS_PER_MWH.
 */
export function checkTariffPeriods(periods: readonly TariffPeriod[]): string | undefined {
  if (periods.length < 1 || periods.length > MAX_TARIFF_PERIODS)
    return `expected 1..${MAX_TARIFF_PERIODS} periods, got ${periods.length}`;
  for (const [j, p] of periods.entries()) {
    const prev = j === 0 ? -1 : periods[j - 1]!.fromMinute;
    if (!Number.isSafeInteger(p.fromMinute) || p.fromMinute <= prev || p.fromMinute >= MINUTES_PER_DAY)
      return `period ${j + 1}: expected a start minute above ${prev} and below ${MINUTES_PER_DAY}, got ${p.fromMinute}`;
    if (j === 0 && p.fromMinute !== 0) return `period 1 must start at minute 0 (00:00), got ${p.fromMinute}`;
    for (const v of [p.importPriceMicrosPerMWh, p.exportPriceMicrosPerMWh])
      if (typeof v !== 'bigint' || v < 0n || v > MAX_PRICE_MICROS_PER_MWH)
        return `period ${j + 1}: expected prices in 0..${MAX_PRICE_MICROS_PER_MWH} µ$/MWh, got ${String(v)}`;
    if (p.exportPriceMicrosPerMWh >= p.importPriceMicrosPerMWh)
      return `period ${j + 1}: expected the export price below the import price`;
  }
  return undefined;
}

/** The genesis tariff schedule: `upstream.tariff`, or one period at the flat prices. */
export function initialTariff(c: MarketConfig): TariffPeriod[] {
  return (
    c.upstream.tariff ?? [
      {
        fromMinute: 0,
        importPriceMicrosPerMWh: c.upstream.importPriceMicrosPerMWh,
        exportPriceMicrosPerMWh: c.upstream.exportPriceMicrosPerMWh,
      },
    ]
  );
}

/**
 * Market time at block time `blockTimeMs` (the clock; block times before the clock's origin map to market
 * times before its origin, floored at 0).
 */
export function marketTimeMs(c: MarketConfig, blockTimeMs: bigint): bigint {
  if (c.clock === undefined) return blockTimeMs;
  const t = c.clock.marketOriginMs + (blockTimeMs - c.clock.blockOriginMs) * c.clock.scale;
  return t < 0n ? 0n : t;
}

/** The earliest block time whose market time is at least `marketMs` (inverse of {@link marketTimeMs}). */
export function blockTimeAtMs(c: MarketConfig, marketMs: bigint): bigint {
  if (c.clock === undefined) return marketMs;
  const d = marketMs - c.clock.marketOriginMs;
  const s = c.clock.scale;
  const q = d >= 0n ? (d + s - 1n) / s : -(-d / s);
  return c.clock.blockOriginMs + q;
}

/** Start of interval k, ms. */
export const intervalStartMs = (c: MarketConfig, k: bigint) => k * c.intervalMs;
/** End of interval k (exclusive), ms. */
export const intervalEndMs = (c: MarketConfig, k: bigint) => (k + 1n) * c.intervalMs;
/** Gate closure of interval k, ms: orders for k are accepted while block time < gate. */
export const gateMs = (c: MarketConfig, k: bigint) => k * c.intervalMs - c.gateLeadMs;
/**
 * Clearing time of interval k, ms: the gate, or with sealed bids the end of the reveal window (reveals
 * are accepted while gate <= market time < clearing time); the first block at or past it clears k.
 */
export const clearingMs = (c: MarketConfig, k: bigint) => gateMs(c, k) + (c.sealed?.revealWindowMs ?? 0n);
/** Settlement deadline of interval k, ms: readings are accepted while end <= block time < deadline. */
export const deadlineMs = (c: MarketConfig, k: bigint) => (k + 1n) * c.intervalMs + c.settlementDelayMs;
/**
 * The price imbalance collateral is sized at, µ$/MWh: the cap plus δ, the most a short Wh can cost at
 * real-time prices (a forward price above the cap can cost more; the rest becomes a debt).
 */
export const collateralPriceMicrosPerMWh = (c: MarketConfig) =>
  c.imbalance.priceCapMicrosPerMWh + c.imbalance.penaltyMicrosPerMWh;

/** The last market time a late reading of interval k is accepted (and trued up), exclusive, ms. */
export const trueUpDeadlineMs = (c: MarketConfig, k: bigint) => deadlineMs(c, k) + c.imbalance.trueUpDelayMs;

/** Energy a connection of `capacityW` can carry in one interval, Wh (floored). */
export const capacityWhPerInterval = (c: MarketConfig, capacityW: bigint) =>
  (capacityW * c.intervalMs) / MS_PER_HOUR;
const MS_PER_HOUR = 3_600_000n;
/** Interval length in whole minutes. */
export const intervalMinutes = (c: MarketConfig) => msToMinutes(c.intervalMs);
