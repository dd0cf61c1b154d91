// The cleared interval's view: LMPs in $/MWh, line loadings and congestion (a non-zero line price or
// |flow| at its limit), the supply and demand curves with the upstream tariff, the book's summary and
// the interval's trades, from gl_interval, gl_orders and gl_gridState; where the rent goes (the rent
// fund and its balance); on an AC-priced market each bus's LMP components and voltage (gl_prices `ac`)
// and the network's losses (gl_interval `lossesW`).
import { type MarketConfigJson, RENT_FUND_ADDRESS } from '@gridledger/energy';
import type { GlGridStateReturnType, GlIntervalReturnType, GlPricesReturnType } from '@gridledger/rpc';
import { type BookSummary, buildCurves, microsToDollars, type RpcOrder } from './curves.ts';
import type { AcBusRow, ClearedView, FlowRow, NetworkView, TradeRow } from './view.ts';

/** How close to a voltage limit a bus counts as held there, p.u. (the AC solver's own tolerance). */
export const VOLTAGE_LIMIT_TOLERANCE_PU = 1e-4;
/** A voltage component above this ($/MWh, 100 µ$) is a binding limit, not the components' rounding (±3 µ$). */
const VOLTAGE_PRICE_NOISE = 1e-4;

/**
 * The AC part of an interval's view from its gl_prices points (one interval): each bus's LMP components
 * ($/MWh), |V| (p.u.) and whether a voltage limit holds it; null when no point carries `ac` (DC pricing).
 * @param limits each bus's voltage limits (the network view's), for `voltageLimited`
 * @example acViewOf(points, network.buses, iv.lossesW) // { buses: { '18': { loss: 0.7, vmPu: 0.981, ... } }, lossesKw: 12.3 }
 */
export function acViewOf(
  points: GlPricesReturnType,
  limits: readonly Pick<NetworkView['buses'][number], 'id' | 'vminPu' | 'vmaxPu'>[],
  lossesW: string | undefined,
): ClearedView['ac'] {
  const byBus = new Map(limits.map((b) => [b.id, b]));
  const buses: Record<string, AcBusRow> = {};
  for (const p of points) {
    if (p.ac === undefined) continue;
    const vmPu = Number(p.ac.vmMicroPu) / 1e6;
    const lim = byBus.get(p.bus);
    const voltage = microsToDollars(p.ac.lmpVoltageMicrosPerMWh);
    // A bus held at a setpoint (vmin = vmax: the substation) is not limited by it.
    const atLimit =
      lim !== undefined &&
      lim.vmaxPu - lim.vminPu > 2 * VOLTAGE_LIMIT_TOLERANCE_PU &&
      (vmPu >= lim.vmaxPu - VOLTAGE_LIMIT_TOLERANCE_PU || vmPu <= lim.vminPu + VOLTAGE_LIMIT_TOLERANCE_PU);
    buses[String(p.bus)] = {
      energy: microsToDollars(p.ac.lmpEnergyMicrosPerMWh),
      loss: microsToDollars(p.ac.lmpLossMicrosPerMWh),
      congestion: microsToDollars(p.ac.lmpCongestionMicrosPerMWh),
      voltage,
      vmPu,
      voltageLimited: atLimit || Math.abs(voltage) > VOLTAGE_PRICE_NOISE,
    };
  }
  if (Object.keys(buses).length === 0) return null;
  return { buses, lossesKw: lossesW === undefined ? 0 : Number(BigInt(lossesW)) / 1000 };
}

/** An interval's LMP by bus, $/MWh (empty before it cleared or when it failed). */
export function lmpsOf(iv: GlIntervalReturnType): Record<string, number> {
  const lmps: Record<string, number> = {};
  for (const [bus, v] of Object.entries(iv.lmpMicrosPerMWh ?? {})) lmps[bus] = microsToDollars(v);
  return lmps;
}

/** Each branch's flow in MW, loading and whether it is congested. */
function flowsOf(grid: GlGridStateReturnType): FlowRow[] {
  return (grid?.branches ?? []).map((b) => {
    const flowMw = b.flowW === undefined ? 0 : Number(BigInt(b.flowW)) / 1e6;
    const mu = BigInt(b.muFromMicros ?? '0') !== 0n || BigInt(b.muToMicros ?? '0') !== 0n;
    const loading = b.limitMw > 0 ? Math.abs(flowMw) / b.limitMw : 0;
    return { index: b.index, flowMw, limitMw: b.limitMw, loading, congested: mu || loading >= 0.999 };
  });
}

/** The view of cleared interval `k`. */
export function buildClearedView(args: {
  k: number;
  iv: GlIntervalReturnType;
  lmps: Record<string, number>;
  orders: RpcOrder[];
  summary: BookSummary;
  grid: GlGridStateReturnType;
  trades: TradeRow[];
  upstream: MarketConfigJson['upstream'] | undefined;
  /** The rent fund's cash balance, µ$ (undefined when the read failed). */
  rentFundMicros: bigint | undefined;
  pricing: 'dc' | 'ac';
  ac: ClearedView['ac'];
}): ClearedView {
  const { k, iv, lmps, orders, summary, grid, trades, upstream: up } = args;
  const values = Object.values(lmps);
  return {
    interval: k,
    status: iv.status,
    pricing: args.pricing,
    ac: args.ac,
    startMs: Number(iv.startMs),
    endMs: Number(iv.endMs),
    lmps,
    lmpMin: values.length ? Math.min(...values) : 0,
    lmpMax: values.length ? Math.max(...values) : 0,
    congestionRent: microsToDollars(iv.congestionRent),
    rentFund: {
      address: RENT_FUND_ADDRESS,
      balance: args.rentFundMicros === undefined ? null : microsToDollars(args.rentFundMicros),
    },
    flows: flowsOf(grid),
    curves: buildCurves(
      orders,
      up && {
        importPriceMicrosPerMWh: BigInt(up.importPriceMicrosPerMWh),
        exportPriceMicrosPerMWh: BigInt(up.exportPriceMicrosPerMWh),
        capacityWh: BigInt(up.capacityWh),
      },
    ),
    summary,
    upstream: { soldWh: Number(iv.upstream.soldWh), boughtWh: Number(iv.upstream.boughtWh) },
    promises: iv.promises.length,
    trades,
  };
}
