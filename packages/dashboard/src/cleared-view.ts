// The cleared interval's view: LMPs in $/MWh, line loadings and congestion (a non-zero line price or
// |flow| at its limit), the supply and demand curves with the upstream tariff, the book's summary and
// the interval's trades, from gl_interval, gl_orders and gl_gridState; where the rent goes (the rent
// fund and its balance).
import { type MarketConfigJson, RENT_FUND_ADDRESS } from '@gridledger/energy';
import type { GlGridStateReturnType, GlIntervalReturnType } from '@gridledger/rpc';
import { type BookSummary, buildCurves, microsToDollars, type RpcOrder } from './curves.ts';
import type { ClearedView, FlowRow, TradeRow } from './view.ts';

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
}): ClearedView {
  const { k, iv, lmps, orders, summary, grid, trades, upstream: up } = args;
  const values = Object.values(lmps);
  return {
    interval: k,
    status: iv.status,
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
