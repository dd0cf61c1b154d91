// The aggregate supply and demand curves of one interval, from its order book as `gl_orders` returns it
// plus the upstream connection (supplier at its import price, buyer at its export price). Steps at one
// price are merged; a book with more price levels than the chart can show is reduced to at most
// `maxPoints` levels by cumulative energy (each kept level carries the price where its bucket ends), so
// 10,000 devices still give a small message. Also the cleared summary of the book (who traded most).
import { microsPerMWhToDollars } from '@gridledger/base';

import type { GlOrder } from '@gridledger/rpc';

/** The fields of a `gl_orders` order (@gridledger/rpc's GlOrder) the curves and the summary read. */
export type RpcOrder = Pick<
  GlOrder,
  'id' | 'bus' | 'side' | 'steps' | 'clearedWh' | 'priceMicrosPerMWh' | 'amount'
> & {
  owner: string;
  status: string;
};

/** One level of a curve: energy so far (kWh) once this level is taken, at its price ($/MWh). */
export type CurvePoint = [cumulativeKWh: number, priceDollarsPerMWh: number];

/** Supply ascending in price, demand descending, each as cumulative steps. */
export interface Curves {
  supply: CurvePoint[];
  demand: CurvePoint[];
  /** Energy the participants offered and bid, without the upstream connection (kWh). */
  localSupplyKWh: number;
  localDemandKWh: number;
}

/** The upstream connection as the curves need it. */
export interface UpstreamLevels {
  importPriceMicrosPerMWh: bigint;
  exportPriceMicrosPerMWh: bigint;
  capacityWh: bigint;
}

/** Cash micro-units per MWh to $/MWh (display only). */
export const microsToDollars = (micros: bigint | string): number => microsPerMWhToDollars(BigInt(micros));

function levels(
  steps: { wh: bigint; price: bigint }[],
  descending: boolean,
  maxPoints: number,
): CurvePoint[] {
  const byPrice = new Map<bigint, bigint>();
  for (const s of steps) if (s.wh > 0n) byPrice.set(s.price, (byPrice.get(s.price) ?? 0n) + s.wh);
  const prices = [...byPrice.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (descending) prices.reverse();
  const full: [bigint, bigint][] = [];
  let cum = 0n;
  for (const p of prices) {
    cum += byPrice.get(p)!;
    full.push([cum, p]);
  }
  let kept = full;
  if (full.length > maxPoints && cum > 0n) {
    kept = [];
    let bucket = 0;
    for (const [c, p] of full) {
      const b = Number((c * BigInt(maxPoints)) / cum);
      if (b > bucket || c === cum) {
        kept.push([c, p]);
        bucket = b;
      }
    }
  }
  return kept.map(([c, p]) => [Number(c) / 1000, microsToDollars(p)]);
}

/**
 * The curves of a book.
 * @example buildCurves(orders, { importPriceMicrosPerMWh: 80_000_000n, exportPriceMicrosPerMWh: 20_000_000n, capacityWh: 10_000_000n })
 */
export function buildCurves(
  orders: readonly RpcOrder[],
  upstream: UpstreamLevels | undefined,
  maxPoints = 300,
): Curves {
  const sell: { wh: bigint; price: bigint }[] = [];
  const buy: { wh: bigint; price: bigint }[] = [];
  for (const o of orders) {
    if (o.status === 'cancelled') continue;
    const to = o.side === 'sell' ? sell : buy;
    for (const s of o.steps) to.push({ wh: BigInt(s.energyWh), price: BigInt(s.priceMicrosPerMWh) });
  }
  const total = (xs: { wh: bigint }[]) => Number(xs.reduce((a, x) => a + x.wh, 0n)) / 1000;
  const localSupplyKWh = total(sell);
  const localDemandKWh = total(buy);
  if (upstream && upstream.capacityWh > 0n) {
    sell.push({ wh: upstream.capacityWh, price: upstream.importPriceMicrosPerMWh });
    buy.push({ wh: upstream.capacityWh, price: upstream.exportPriceMicrosPerMWh });
  }
  return {
    supply: levels(sell, false, maxPoints),
    demand: levels(buy, true, maxPoints),
    localSupplyKWh,
    localDemandKWh,
  };
}

/** One party's cleared position in an interval. */
export interface PartyTotal {
  address: string;
  side: 'buy' | 'sell';
  clearedWh: number;
  bus: number;
}

/** Totals of a cleared book: energy each side cleared and the largest buyers and sellers. */
export interface BookSummary {
  orders: number;
  buyOrders: number;
  sellOrders: number;
  clearedBuyWh: number;
  clearedSellWh: number;
  topBuyers: PartyTotal[];
  topSellers: PartyTotal[];
}

/** Summarises a cleared book (top `top` parties per side by cleared energy). */
export function summariseBook(orders: readonly RpcOrder[], top = 10): BookSummary {
  const per = new Map<string, PartyTotal>();
  let clearedBuyWh = 0n;
  let clearedSellWh = 0n;
  let buyOrders = 0;
  for (const o of orders) {
    const wh = BigInt(o.clearedWh);
    if (o.side === 'buy') {
      buyOrders++;
      clearedBuyWh += wh;
    } else clearedSellWh += wh;
    if (wh === 0n) continue;
    const key = `${o.side}:${o.owner}`;
    const t = per.get(key) ?? { address: o.owner, side: o.side, clearedWh: 0, bus: o.bus };
    t.clearedWh += Number(wh);
    per.set(key, t);
  }
  const rank = (side: 'buy' | 'sell') =>
    [...per.values()]
      .filter((t) => t.side === side)
      .sort((a, b) => b.clearedWh - a.clearedWh || (a.address < b.address ? -1 : 1))
      .slice(0, top);
  return {
    orders: orders.length,
    buyOrders,
    sellOrders: orders.length - buyOrders,
    clearedBuyWh: Number(clearedBuyWh),
    clearedSellWh: Number(clearedSellWh),
    topBuyers: rank('buy'),
    topSellers: rank('sell'),
  };
}
