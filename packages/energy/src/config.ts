// The market's genesis configuration (fixed for the chain's life), its JSON form (genesis.json), and the
// interval clock derived from it. The market runs on market time, a fixed affine function of block time
// (`clock`: identity unless genesis says otherwise, so simulations can run a 5-minute interval every few
// seconds): interval k covers market times [k·L, (k+1)·L) ms; its gate closes gateLeadMs before it starts;
// its readings are accepted from its end until its settlement deadline, settlementDelayMs after its end.
import { InputError, MS_PER_MINUTE, msToMinutes } from '@gridledger/base';
import type { Address } from '@gridledger/execution';

/** The upstream grid connection: supplier and buyer of last resort at one bus. */
export interface UpstreamConfig {
  bus: number;
  /** Account that pays for exports bought and receives payment for imports sold (default: grid operator). */
  account: Address;
  /** Price at which the upstream sells to the local market, cash units per MWh. */
  importPriceMicrosPerMWh: bigint;
  /** Price at which the upstream buys from the local market (must be below the import price). */
  exportPriceMicrosPerMWh: bigint;
  /** Most energy per interval in each direction, Wh. */
  capacityWh: bigint;
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
  /** Imbalance prices, cash units per MWh: a shortfall pays the first, a surplus is paid the second. */
  imbalance: { shortfallPriceMicrosPerMWh: bigint; surplusPriceMicrosPerMWh: bigint };
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
  /** Market time from block time (default: market time = block time). */
  clock?: MarketClock;
  /**
   * The pricing model of the clearing (default 'dc'): 'dc' clears with the lossless DC-OPF, 'ac' with the
   * AC-OPF (losses, voltage limits, apparent-power limits; clearing-ac.ts, docs/ac-opf.md "On chain").
   */
  pricing?: MarketPricing;
}

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
  if (!Number.isSafeInteger(c.upstream.bus) || c.upstream.bus < 0) {
    throw new InputError(`market config: expected upstream.bus as a bus number, got ${c.upstream.bus}`);
  }
  nonneg(c.imbalance.shortfallPriceMicrosPerMWh, 'imbalance.shortfallPriceMicrosPerMWh');
  nonneg(c.imbalance.surplusPriceMicrosPerMWh, 'imbalance.surplusPriceMicrosPerMWh');
  if (c.imbalance.surplusPriceMicrosPerMWh > c.imbalance.shortfallPriceMicrosPerMWh) {
    throw new InputError('market config: expected the surplus imbalance price <= the shortfall price');
  }
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
/** Settlement deadline of interval k, ms: readings are accepted while end <= block time < deadline. */
export const deadlineMs = (c: MarketConfig, k: bigint) => (k + 1n) * c.intervalMs + c.settlementDelayMs;
/** Interval length in whole minutes. */
export const intervalMinutes = (c: MarketConfig) => msToMinutes(c.intervalMs);
