// The energy market's views (served when genesis enables the market): gl_marketConfig, gl_interval,
// gl_orders, gl_prices, gl_gridState. They read the latest committed state; integers are decimal
// strings, addresses lower case.
import type { MarketConfigJson, NetworkJsonBus } from '@gridledger/energy';
import type { AddressHex, DecimalString, IntegerParameter } from '../wire.ts';

/** gl_marketConfig: no parameters. */
export type GlMarketConfigParameters = [];
/**
 * gl_marketConfig: the configuration, and the clock at the latest block: its market time, the first
 * interval whose gate is still open, and the next intervals to clear and to settle (null before the
 * first block).
 */
export interface GlMarketConfigReturnType {
  config: MarketConfigJson;
  blockNumber: DecimalString | null;
  blockTimeMs: DecimalString | null;
  marketTimeMs: DecimalString | null;
  openInterval: DecimalString | null;
  clearNext: DecimalString;
  settleNext: DecimalString;
}

/** An interval's status. */
export type GlIntervalStatus = 'open' | 'cleared' | 'failed' | 'settled' | 'unknown';

/** gl_interval: the interval number. */
export type GlIntervalParameters = [interval: IntegerParameter];
/** gl_interval: status, clock, rent, order and promise counts, prices by bus, upstream. */
export interface GlIntervalReturnType {
  interval: DecimalString;
  status: GlIntervalStatus;
  gateMs: DecimalString;
  startMs: DecimalString;
  endMs: DecimalString;
  deadlineMs: DecimalString;
  orders: DecimalString;
  /** Promise token ids. */
  promises: DecimalString[];
  congestionRent: DecimalString;
  upstream: {
    soldWh: DecimalString;
    boughtWh: DecimalString;
    receivedMicros: DecimalString;
    paidMicros: DecimalString;
  };
  /** LMP by bus id, once the interval is priced (cleared or settled); null before. */
  lmpMicrosPerMWh: Record<string, DecimalString> | null;
  expectedReadings: DecimalString;
  reportedReadings: DecimalString;
}

/** An order's status. */
export type GlOrderStatus = 'open' | 'cancelled' | 'cleared' | 'released' | 'unknown';

/** One order as gl_orders answers it. */
export interface GlOrder {
  id: DecimalString;
  owner: AddressHex;
  bus: number;
  side: 'buy' | 'sell';
  steps: { energyWh: DecimalString; priceMicrosPerMWh: DecimalString }[];
  status: GlOrderStatus;
  escrow: DecimalString;
  clearedWh: DecimalString;
  priceMicrosPerMWh: DecimalString;
  amount: DecimalString;
}

/** gl_orders: the interval, and optionally one owner. */
export type GlOrdersParameters = [interval: IntegerParameter, owner?: AddressHex | null];
/** gl_orders: the interval's orders (any status). */
export type GlOrdersReturnType = GlOrder[];

/** One price point of gl_prices. */
export interface GlPrice {
  interval: DecimalString;
  startMs: DecimalString;
  bus: number;
  lmpMicrosPerMWh: DecimalString;
}

/** gl_prices: interval range (inclusive, at most 1,000 intervals), and optionally one bus. */
export type GlPricesParameters = [
  fromInterval: IntegerParameter,
  toInterval: IntegerParameter,
  bus?: IntegerParameter | null,
];
/** gl_prices: LMPs of the priced intervals in the range, by bus. */
export type GlPricesReturnType = GlPrice[];

/** One branch of gl_gridState (flows and congestion prices only with a priced interval). */
export interface GlGridBranch {
  index: number;
  from: number;
  to: number;
  /** The limit in force (MW, 0 = unlimited). */
  limitMw: number;
  /** Whether the grid operator overrode the case's limit. */
  overridden: boolean;
  flowW?: DecimalString;
  muFromMicros?: DecimalString;
  muToMicros?: DecimalString;
}

/** gl_gridState: optionally an interval. */
export type GlGridStateParameters = [interval?: IntegerParameter | null];
/** gl_gridState: the network with the limits in force, or null before the network is registered. */
export type GlGridStateReturnType = {
  name: string;
  version: DecimalString;
  buses: NetworkJsonBus[];
  branches: GlGridBranch[];
} | null;
