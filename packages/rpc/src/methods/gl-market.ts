// The energy market's views (served when genesis enables the market): gl_marketConfig, gl_interval,
// gl_orders, gl_prices, gl_gridState, gl_account. They read the latest committed state; integers are decimal
// strings, addresses lower case.

import {
  COMMIT_STATUS_NAME,
  deadlineMs,
  debtView,
  decodeSigned,
  encodeMarketConfigJson,
  gateMs,
  INTERVAL_STATUS,
  intervalEndMs,
  intervalStartMs,
  type MarketConfig,
  type MarketConfigJson,
  marketKeys,
  marketTimeMs,
  marketView,
  type NetworkJsonBus,
  ORDER_STATUS,
  readAcBus,
  readAcLossesW,
  registryKeys,
  registryView,
  type StateReader,
  sealedView,
  storedRangeEnd,
} from '@gridledger/energy';
import { CASH_ADDRESS, CREDITS_ADDRESS } from '@gridledger/execution';
import type { RpcMethodTable } from '../method.ts';
import { marketParamError, parseInteger, parseOwner } from '../params.ts';
import type { RpcExecutionApp } from '../port.ts';
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
  /**
   * Real-time (ex-post) price by bus id once settled (docs/market-rules.md §10a); null before.
   * `realtimePriced` false: the network changed or the pricer failed, and the forward prices stood in.
   */
  realtimeLmpMicrosPerMWh: Record<string, DecimalString> | null;
  realtimePriced: boolean;
  /** The energy-balance check against the upstream meter, when it ran: mismatch and what became of it. */
  energyBalance: { mismatchWh: DecimalString; status: 'ok' | 'held' | 'released' | 'cancelled' } | null;
  /** AC-priced intervals only: the network's losses, W (the rent then includes the loss surplus). */
  lossesW?: DecimalString;
  expectedReadings: DecimalString;
  reportedReadings: DecimalString;
}

/** An order's status. */
export type GlOrderStatus = 'open' | 'cancelled' | 'cleared' | 'released' | 'unknown';

/** One order as gl_orders answers it. */
export interface GlOrder {
  kind: 'order';
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

/** A sealed-bid commitment's status (docs/market-rules.md §6b). */
export type GlCommitmentStatus = 'committed' | 'revealed' | 'cancelled' | 'forfeited';

/** One sealed-bid commitment as gl_orders answers it before its interval's reveal window closes. */
export interface GlCommitment {
  kind: 'commitment';
  id: DecimalString;
  owner: AddressHex;
  /** keccak256(abi.encode(owner, interval, bus, side, steps, salt)). */
  commitment: `0x${string}`;
  /** The deposit as committed. */
  deposit: DecimalString;
  status: GlCommitmentStatus;
  /** The order its reveal placed, once revealed. */
  order: DecimalString | null;
}

/** gl_orders: the interval, and optionally one owner. */
export type GlOrdersParameters = [interval: IntegerParameter, owner?: AddressHex | null];
/**
 * gl_orders: the interval's orders (any status); on a market with sealed bids, until the interval's
 * reveal window closes (it is cleared), its commitments instead (the orders stay sealed until then).
 */
export type GlOrdersReturnType = (GlOrder | GlCommitment)[];

/** One price point of gl_prices. */
export interface GlPrice {
  interval: DecimalString;
  startMs: DecimalString;
  bus: number;
  lmpMicrosPerMWh: DecimalString;
  /**
   * The lowest and highest price of this bus over all optimal duals with the dispatch fixed
   * (docs/market-rules.md §6a); the published LMP is the midpoint. null where that side is open.
   */
  lmpLowMicrosPerMWh: DecimalString | null;
  lmpHighMicrosPerMWh: DecimalString | null;
  /**
   * AC-priced intervals only (docs/ac-opf.md "On chain"): the LMP's components (µ$/MWh, summing to it
   * within 3) and the bus's voltage magnitude (µp.u.).
   */
  ac?: {
    lmpEnergyMicrosPerMWh: DecimalString;
    lmpLossMicrosPerMWh: DecimalString;
    lmpCongestionMicrosPerMWh: DecimalString;
    lmpVoltageMicrosPerMWh: DecimalString;
    vmMicroPu: DecimalString;
  };
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
  /** The limit in force, MW: the case's (0 = unlimited) or the grid operator's override (0 = carries nothing). */
  limitMw: number;
  /** Whether the grid operator overrode the case's limit. */
  overridden: boolean;
  /** Whether the branch is in service (the case's status, or the grid operator's override). */
  inService: boolean;
  /** Whether the grid operator overrode the case's status. */
  statusOverridden: boolean;
  flowW?: DecimalString;
  muFromMicros?: DecimalString;
  muToMicros?: DecimalString;
  /** Settled intervals whose digital twin ran: the metered flow (from-end P, W; docs/market-rules.md §10a). */
  actualFlowW?: DecimalString;
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

/** What the market views need. */
export interface GlMarketDeps {
  app: Pick<RpcExecutionApp, 'stateValue'>;
  config: MarketConfig;
  /** The latest committed block's number and time (for gl_marketConfig's clock). */
  latestBlock?: () => { number: bigint; timeMs: bigint } | undefined;
}

/** Most intervals one gl_prices call spans. */
export const MAX_PRICE_INTERVALS = 1_000n;

const STATUS_NAME: Record<string, GlIntervalStatus> = {
  [String(0n)]: 'open',
  [String(INTERVAL_STATUS.cleared)]: 'cleared',
  [String(INTERVAL_STATUS.failed)]: 'failed',
  [String(INTERVAL_STATUS.settled)]: 'settled',
};
const ORDER_STATUS_NAME: Record<string, GlOrderStatus> = {
  [String(ORDER_STATUS.open)]: 'open',
  [String(ORDER_STATUS.cancelled)]: 'cancelled',
  [String(ORDER_STATUS.cleared)]: 'cleared',
  [String(ORDER_STATUS.released)]: 'released',
};

/**
 * The energy market's JSON-RPC views over the latest committed state (`app.stateValue`).
 * @example const methods = glMarketMethods({ app, config }); await methods.get('gl_interval')!([10], {})
 */
export function glMarketMethods(deps: GlMarketDeps): RpcMethodTable {
  const { config } = deps;
  const s: StateReader = { get: (k) => deps.app.stateValue(k) };
  const m: RpcMethodTable = new Map();
  const network = () => registryView.network(s);

  m.set('gl_marketConfig', async (): Promise<GlMarketConfigReturnType> => {
    const latest = deps.latestBlock?.();
    const now = latest === undefined ? undefined : marketTimeMs(config, latest.timeMs);
    let open: bigint | undefined;
    if (now !== undefined) {
      // The first interval k with now < gate(k) = k·L − lead, and not before the market's first interval.
      const k = (now + config.gateLeadMs) / config.intervalMs + 1n;
      open = k < config.firstInterval ? config.firstInterval : k;
    }
    return {
      config: encodeMarketConfigJson(config),
      blockNumber: latest?.number.toString() ?? null,
      blockTimeMs: latest?.timeMs.toString() ?? null,
      marketTimeMs: now?.toString() ?? null,
      openInterval: open?.toString() ?? null,
      clearNext: s.get(marketKeys.clearNext).toString(),
      settleNext: s.get(marketKeys.settleNext).toString(),
    };
  });

  m.set('gl_interval', async (p): Promise<GlIntervalReturnType> => {
    const k = parseInteger(p[0], 'interval');
    const iv = marketKeys.interval(k);
    const st = s.get(iv.status);
    const priced = st === INTERVAL_STATUS.cleared || st === INTERVAL_STATUS.settled;
    const net = network();
    return {
      interval: k.toString(),
      status: STATUS_NAME[String(st)] ?? 'unknown',
      gateMs: gateMs(config, k).toString(),
      startMs: intervalStartMs(config, k).toString(),
      endMs: intervalEndMs(config, k).toString(),
      deadlineMs: deadlineMs(config, k).toString(),
      orders: s.get(iv.orders).toString(),
      promises: marketView.promisesOf(s, k).map(String),
      congestionRent: decodeSigned(s.get(iv.rent)).toString(),
      upstream: {
        soldWh: s.get(iv.upSoldWh).toString(),
        boughtWh: s.get(iv.upBoughtWh).toString(),
        receivedMicros: decodeSigned(s.get(iv.upReceived)).toString(),
        paidMicros: decodeSigned(s.get(iv.upPaid)).toString(),
      },
      lmpMicrosPerMWh:
        priced && net !== undefined
          ? Object.fromEntries(net.buses.map((b) => [b.id, decodeSigned(s.get(iv.lmp(b.id))).toString()]))
          : null,
      realtimeLmpMicrosPerMWh:
        st === INTERVAL_STATUS.settled && net !== undefined
          ? Object.fromEntries(net.buses.map((b) => [b.id, decodeSigned(s.get(iv.rtLmp(b.id))).toString()]))
          : null,
      realtimePriced: s.get(iv.rtPriced) === 1n,
      energyBalance:
        s.get(iv.balanceMismatchWh) === 0n && s.get(iv.flagged) === 0n
          ? null
          : {
              mismatchWh: decodeSigned(s.get(iv.balanceMismatchWh)).toString(),
              status: (['ok', 'held', 'released', 'cancelled'] as const)[Number(s.get(iv.flagged))] ?? 'ok',
            },
      ...(readAcLossesW(s, k) === undefined ? {} : { lossesW: readAcLossesW(s, k)!.toString() }),
      expectedReadings: s.get(iv.expectedCount).toString(),
      reportedReadings: s.get(iv.reportedCount).toString(),
    };
  });

  m.set('gl_orders', async (p): Promise<GlOrdersReturnType> => {
    const k = parseInteger(p[0], 'interval');
    const owner = p[1] === undefined || p[1] === null ? undefined : parseOwner(p[1], 'owner');
    if (config.sealed !== undefined && k >= s.get(marketKeys.clearNext)) {
      return sealedView
        .commitmentsOf(s, k)
        .filter((c) => owner === undefined || c.owner === owner)
        .map((c) => ({
          kind: 'commitment' as const,
          id: c.id.toString(),
          owner: c.owner,
          commitment: c.hash,
          deposit: c.committedDeposit.toString(),
          status: COMMIT_STATUS_NAME[String(c.status)] ?? 'committed',
          order: c.order === 0n ? null : c.order.toString(),
        }));
    }
    return marketView
      .ordersOf(s, k)
      .filter((o) => owner === undefined || o.owner === owner)
      .map((o) => ({
        kind: 'order' as const,
        id: o.id.toString(),
        owner: o.owner,
        bus: o.bus,
        side: o.side,
        steps: o.steps.map((x) => ({
          energyWh: x.energyWh.toString(),
          priceMicrosPerMWh: x.priceMicrosPerMWh.toString(),
        })),
        status: ORDER_STATUS_NAME[String(o.status)] ?? 'unknown',
        escrow: o.escrow.toString(),
        clearedWh: o.clearedWh.toString(),
        priceMicrosPerMWh: o.priceMicrosPerMWh.toString(),
        amount: o.amount.toString(),
      }));
  });

  const acPoint = (st: StateReader, k: bigint, bus: number): Pick<GlPrice, 'ac'> => {
    const a = readAcBus(st, k, bus);
    return a === undefined
      ? {}
      : {
          ac: {
            lmpEnergyMicrosPerMWh: a.energy.toString(),
            lmpLossMicrosPerMWh: a.loss.toString(),
            lmpCongestionMicrosPerMWh: a.congestion.toString(),
            lmpVoltageMicrosPerMWh: a.voltage.toString(),
            vmMicroPu: a.vmMicroPu.toString(),
          },
        };
  };

  m.set('gl_prices', async (p): Promise<GlPricesReturnType> => {
    const from = parseInteger(p[0], 'fromInterval');
    const to = parseInteger(p[1], 'toInterval');
    if (to < from || to - from >= MAX_PRICE_INTERVALS) {
      throw marketParamError(
        `expected fromInterval <= toInterval spanning at most ${MAX_PRICE_INTERVALS} intervals`,
      );
    }
    const net = network();
    if (net === undefined) return [];
    const bus = p[2] === undefined || p[2] === null ? undefined : Number(parseInteger(p[2], 'bus'));
    if (bus !== undefined && s.get(registryKeys.bus(bus)) !== 1n)
      throw marketParamError(`bus ${bus} is not in the network`);
    const out: GlPrice[] = [];
    for (let k = from; k <= to; k++) {
      const iv = marketKeys.interval(k);
      const st = s.get(iv.status);
      if (st !== INTERVAL_STATUS.cleared && st !== INTERVAL_STATUS.settled) continue;
      for (const b of net.buses) {
        if (bus !== undefined && b.id !== bus) continue;
        out.push({
          interval: k.toString(),
          startMs: intervalStartMs(config, k).toString(),
          bus: b.id,
          lmpMicrosPerMWh: decodeSigned(s.get(iv.lmp(b.id))).toString(),
          lmpLowMicrosPerMWh: rangeEndOf(decodeSigned(s.get(iv.lmpLow(b.id)))),
          lmpHighMicrosPerMWh: rangeEndOf(decodeSigned(s.get(iv.lmpHigh(b.id)))),
          ...acPoint(s, k, b.id),
        });
      }
    }
    return out;
  });

  m.set('gl_gridState', async (p): Promise<GlGridStateReturnType> => {
    const net = network();
    if (net === undefined) return null;
    const k = p[0] === undefined || p[0] === null ? undefined : parseInteger(p[0], 'interval');
    const limits = registryView.limitsMw(s, net);
    const status = registryView.statusOverrides(s, net);
    const iv = k === undefined ? undefined : marketKeys.interval(k);
    const st = iv === undefined ? 0n : s.get(iv.status);
    const priced = st === INTERVAL_STATUS.cleared || st === INTERVAL_STATUS.settled;
    return {
      name: net.name,
      version: s.get(registryKeys.netVersion).toString(),
      buses: net.buses,
      branches: net.branches.map((b) => ({
        index: b.index,
        from: b.from,
        to: b.to,
        limitMw: limits.get(b.index) ?? b.rateAMw,
        overridden: limits.has(b.index),
        inService: status.get(b.index) ?? b.status !== 0,
        statusOverridden: status.has(b.index),
        ...(priced && iv !== undefined
          ? {
              flowW: decodeSigned(s.get(iv.flowW(b.index))).toString(),
              muFromMicros: decodeSigned(s.get(iv.muFrom(b.index))).toString(),
              muToMicros: decodeSigned(s.get(iv.muTo(b.index))).toString(),
            }
          : {}),
        ...(st === INTERVAL_STATUS.settled && iv !== undefined && s.get(iv.twinComputed) === 1n
          ? { actualFlowW: decodeSigned(s.get(iv.actualFlowW(b.index))).toString() }
          : {}),
      })),
    };
  });
  return m;
}

/** A stored price-range end as served: decimal µ$/MWh, or null where the range is open. */
function rangeEndOf(stored: bigint): DecimalString | null {
  return storedRangeEnd(stored)?.toString() ?? null;
}
