// JSON-RPC views of the energy market, as a method table like the execution package's (the node mounts
// it beside buildExecutionRpcMethods): gl_marketConfig, gl_interval, gl_orders, gl_prices, gl_gridState. They read the
// latest committed state through `app.stateValue`; integers are decimal strings, addresses lower case.
import {
  EXEC_RPC_ERRORS,
  type ExecutionApp,
  ExecutionRpcError,
  type ExecutionRpcMethod,
} from '@gridledger/execution';
import {
  deadlineMs,
  gateMs,
  intervalEndMs,
  intervalStartMs,
  type MarketConfig,
  marketTimeMs,
} from './config.ts';
import { encodeMarketConfigJson } from './config-json.ts';
import { marketView } from './market.ts';
import { INTERVAL_STATUS, marketKeys, ORDER_STATUS } from './market-keys.ts';
import { registryKeys, registryView } from './registry.ts';
import { decodeSigned, type StateReader } from './words.ts';

/** What the energy views need. */
export interface EnergyRpcDeps {
  app: Pick<ExecutionApp, 'stateValue'>;
  config: MarketConfig;
  /** The latest committed block's number and time (for gl_marketConfig's clock). */
  latestBlock?: () => { number: bigint; timeMs: bigint } | undefined;
}

/** Most intervals one gl_prices call spans. */
export const MAX_PRICE_INTERVALS = 1_000n;

const STATUS_NAME: Record<string, string> = {
  [String(0n)]: 'open',
  [String(INTERVAL_STATUS.cleared)]: 'cleared',
  [String(INTERVAL_STATUS.failed)]: 'failed',
  [String(INTERVAL_STATUS.settled)]: 'settled',
};
const ORDER_STATUS_NAME: Record<string, string> = {
  [String(ORDER_STATUS.open)]: 'open',
  [String(ORDER_STATUS.cancelled)]: 'cancelled',
  [String(ORDER_STATUS.cleared)]: 'cleared',
  [String(ORDER_STATUS.released)]: 'released',
};

const invalid = (m: string) => new ExecutionRpcError(EXEC_RPC_ERRORS.INVALID_PARAMS, m);

function parseUint(v: unknown, name: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]{1,16}|[0-9]{1,19})$/.test(v)) return BigInt(v);
  throw invalid(
    `${name}: expected a non-negative integer (number, decimal or 0x string), got ${JSON.stringify(v)}`,
  );
}

function parseAddress(v: unknown, name: string): `0x${string}` {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v))
    throw invalid(`${name}: expected a 20-byte 0x address`);
  return v.toLowerCase() as `0x${string}`;
}

/**
 * The energy market's JSON-RPC methods.
 * @example const methods = buildEnergyRpcMethods({ app, config }); await methods.get('gl_interval')!([10])
 */
export function buildEnergyRpcMethods(deps: EnergyRpcDeps): Map<string, ExecutionRpcMethod> {
  const { config } = deps;
  const s: StateReader = { get: (k) => deps.app.stateValue(k) };
  const m = new Map<string, ExecutionRpcMethod>();
  const network = () => registryView.network(s);

  /**
   * gl_marketConfig(): the configuration, and the clock at the latest block: its market time, the first
   * interval whose gate is still open, and the next intervals to clear and to settle.
   */
  m.set('gl_marketConfig', async () => {
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

  /** gl_interval(k): status, clock, rent, order and promise counts, prices, upstream. */
  m.set('gl_interval', async (p) => {
    const k = parseUint(p[0], 'interval');
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
      expectedReadings: s.get(iv.expectedCount).toString(),
      reportedReadings: s.get(iv.reportedCount).toString(),
    };
  });

  /** gl_orders(k, owner?): the interval's orders (any status), optionally of one owner. */
  m.set('gl_orders', async (p) => {
    const k = parseUint(p[0], 'interval');
    const owner = p[1] === undefined || p[1] === null ? undefined : parseAddress(p[1], 'owner');
    return marketView
      .ordersOf(s, k)
      .filter((o) => owner === undefined || o.owner === owner)
      .map((o) => ({
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

  /** gl_prices(fromInterval, toInterval, bus?): LMPs of priced intervals in [from, to], by bus. */
  m.set('gl_prices', async (p) => {
    const from = parseUint(p[0], 'fromInterval');
    const to = parseUint(p[1], 'toInterval');
    if (to < from || to - from >= MAX_PRICE_INTERVALS) {
      throw invalid(`expected fromInterval <= toInterval spanning at most ${MAX_PRICE_INTERVALS} intervals`);
    }
    const net = network();
    if (net === undefined) return [];
    const bus = p[2] === undefined || p[2] === null ? undefined : Number(parseUint(p[2], 'bus'));
    if (bus !== undefined && s.get(registryKeys.bus(bus)) !== 1n)
      throw invalid(`bus ${bus} is not in the network`);
    const out = [];
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
        });
      }
    }
    return out;
  });

  /** gl_gridState(interval?): the network with the limits in force; with an interval, its flows and congestion prices. */
  m.set('gl_gridState', async (p) => {
    const net = network();
    if (net === undefined) return null;
    const k = p[0] === undefined || p[0] === null ? undefined : parseUint(p[0], 'interval');
    const limits = registryView.limitsMw(s, net);
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
        ...(priced && iv !== undefined
          ? {
              flowW: decodeSigned(s.get(iv.flowW(b.index))).toString(),
              muFromMicros: decodeSigned(s.get(iv.muFrom(b.index))).toString(),
              muToMicros: decodeSigned(s.get(iv.muTo(b.index))).toString(),
            }
          : {}),
      })),
    };
  });
  return m;
}
