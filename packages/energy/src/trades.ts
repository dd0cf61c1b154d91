// Decomposition of a cleared pool into bilateral trades (docs/market-rules.md §10 "Promises"):
// - `decomposeTradesOnGrid` (what clearing mints): trades that never cross islands and follow the cleared
//   flows: same bus first, then energy routed along the cleared flows' directions (flow tracing on the
//   acyclic graph of DC flows), never more on a line than its cleared flow (up to Wh rounding);
// - `decomposeTrades`: the plain merit-order match (sellers by merit price ascending, buyers descending,
//   ties by order id, greedy), used inside one bus and for rounding residue.
// Merit prices are the cleared steps' prices (clearing.ts), not an order's extreme step. Pure and
// deterministic; integer Wh in, integer Wh out.

import { minBig } from './words.ts';

/** One side's cleared party for decomposition. */
export interface TradeParty {
  /** Order id (0 for the upstream connection). */
  orderId: bigint;
  /** Merit price, cash units per MWh. */
  meritPrice: bigint;
  /** Cleared energy, Wh (> 0). */
  energyWh: bigint;
}

/** One bilateral trade. */
export interface Trade {
  sellerOrder: bigint;
  buyerOrder: bigint;
  energyWh: bigint;
}

const cmpId = (a: TradeParty, b: TradeParty) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0);

/**
 * Matches sellers to buyers in merit order. When the totals differ, the longer side's remainder is
 * left unmatched and returned.
 * @example decomposeTrades([{orderId:1n, meritPrice:10n, energyWh:5n}], [{orderId:2n, meritPrice:20n, energyWh:5n}])
 */
export function decomposeTrades(
  sellers: readonly TradeParty[],
  buyers: readonly TradeParty[],
): { trades: Trade[]; unmatchedSellWh: bigint; unmatchedBuyWh: bigint } {
  const s = sellers
    .filter((p) => p.energyWh > 0n)
    .sort((a, b) => (a.meritPrice < b.meritPrice ? -1 : a.meritPrice > b.meritPrice ? 1 : cmpId(a, b)));
  const d = buyers
    .filter((p) => p.energyWh > 0n)
    .sort((a, b) => (a.meritPrice > b.meritPrice ? -1 : a.meritPrice < b.meritPrice ? 1 : cmpId(a, b)));
  const trades: Trade[] = [];
  let i = 0;
  let j = 0;
  let sLeft = s[0]?.energyWh ?? 0n;
  let dLeft = d[0]?.energyWh ?? 0n;
  while (i < s.length && j < d.length) {
    const q = sLeft < dLeft ? sLeft : dLeft;
    trades.push({ sellerOrder: s[i]!.orderId, buyerOrder: d[j]!.orderId, energyWh: q });
    sLeft -= q;
    dLeft -= q;
    if (sLeft === 0n && ++i < s.length) sLeft = s[i]!.energyWh;
    if (dLeft === 0n && ++j < d.length) dLeft = d[j]!.energyWh;
  }
  let unmatchedSellWh = i < s.length ? sLeft : 0n;
  for (let x = i + 1; x < s.length; x++) unmatchedSellWh += s[x]!.energyWh;
  let unmatchedBuyWh = j < d.length ? dLeft : 0n;
  for (let x = j + 1; x < d.length; x++) unmatchedBuyWh += d[x]!.energyWh;
  return { trades, unmatchedSellWh, unmatchedBuyWh };
}

/**
 * Shares `deliveredWh` among weights (promised Wh) pro rata in integers: each gets
 * floor(delivered·w/W), and the remaining units go one each to the largest remainders (ties: earlier
 * position, i.e. lower promise id when the caller sorts by id). Never gives a share above its weight
 * when deliveredWh <= W.
 */
export function shareProRata(deliveredWh: bigint, weights: readonly bigint[]): bigint[] {
  const total = weights.reduce((a, b) => a + b, 0n);
  if (total === 0n || deliveredWh <= 0n) return weights.map(() => 0n);
  const base = weights.map((w) => (deliveredWh * w) / total);
  const rem = weights.map((w, i) => ({ i, r: (deliveredWh * w) % total }));
  let left = deliveredWh - base.reduce((a, b) => a + b, 0n);
  rem.sort((a, b) => (a.r > b.r ? -1 : a.r < b.r ? 1 : a.i - b.i));
  for (let x = 0; left > 0n; x++, left--) base[rem[x]!.i]! += 1n;
  return base;
}

/**
 * Shares `amount` among weights in proportion, in one pass in the given order (a running total: the i-th
 * share is floor(amount·W_i/W) − floor(amount·W_{i−1}/W), W_i the weights up to and including i). The
 * shares sum to `amount` when 0 <= amount <= W; each is the floor or the ceiling of its exact share, so
 * never above its weight. Unlike {@link shareProRata} it needs no sort, so a contract can apply it order by
 * order across chunks (the upstream's shortfall, docs/market-rules.md §10b): the same integers on both chains.
 */
export function shareInOrder(amount: bigint, weights: readonly bigint[]): bigint[] {
  const total = weights.reduce((a, b) => a + b, 0n);
  if (total === 0n || amount <= 0n) return weights.map(() => 0n);
  let cum = 0n;
  let before = 0n;
  return weights.map((w) => {
    cum += w;
    const upTo = (amount * cum) / total;
    const share = upTo - before;
    before = upTo;
    return share;
  });
}

/** A cleared party at its bus, for {@link decomposeTradesOnGrid}. */
export interface GridTradeParty extends TradeParty {
  bus: number;
}

/** A branch with its cleared flow over the interval, for {@link decomposeTradesOnGrid}. */
export interface GridBranch {
  /** Branch index (1-based row in the case), as in the clearing's branches. */
  index: number;
  from: number;
  to: number;
  inService: boolean;
  /** Cleared from-end flow over the interval, Wh (float: the engine's MW × interval). */
  flowWh: number;
}

/** Energy of one seller delivered to one buyer along one path of branches (in flow direction). */
export interface Route {
  sellerOrder: bigint;
  buyerOrder: bigint;
  energyWh: bigint;
  /** Branch indices in order from the seller's bus to the buyer's; empty at one bus. */
  branches: number[];
  /** True for rounding residue matched inside the island without a path (a few Wh at most). */
  residue: boolean;
}

const byMeritSell = (a: TradeParty, b: TradeParty) =>
  a.meritPrice < b.meritPrice ? -1 : a.meritPrice > b.meritPrice ? 1 : cmpId(a, b);
const byMeritBuy = (a: TradeParty, b: TradeParty) =>
  a.meritPrice > b.meritPrice ? -1 : a.meritPrice < b.meritPrice ? 1 : cmpId(a, b);

/** Integer shares of `total` in proportion to `weights` (> 0), largest remainders first, ties by position. */
function apportion(total: bigint, weights: readonly number[]): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (Number(total) * w) / sum);
  const out = exact.map((x) => BigInt(Math.floor(x)));
  let left = total - out.reduce((a, b) => a + b, 0n);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0n; k = (k + 1) % order.length, left--) out[order[k]!.i]! += 1n;
  return out;
}

/**
 * Splits a cleared pool into bilateral trades that respect the grid:
 * 1. at each bus (ascending id), its sellers (merit ascending) and buyers (merit descending) are
 *    matched greedily;
 * 2. the rest follows the cleared flows: the in-service branches with a non-zero flow, directed as the
 *    flow, form an acyclic graph (DC flows run down the angles); buses are taken in topological order
 *    (ties by bus id), each holding a queue of energy packets (its own sellers' rest in merit order,
 *    then packets as they arrive); a bus serves its buyers (merit descending) from the front of its
 *    queue, then sends the rest down its outgoing branches in proportion to their flows (integer Wh by
 *    largest remainder, branches by index), packets taken from the front;
 * 3. what rounding leaves (a few Wh: party energies and flows are rounded apart), or everything when the
 *    flows have a cycle (phase shifters), is matched by merit order inside each island, marked residue.
 * No trade crosses islands. Per party the routed Wh equal its energy when each island's sold and bought
 * Wh are equal; otherwise the longer side's excess is left unmatched and reported.
 * @example decomposeTradesOnGrid([{orderId:1n, meritPrice:10n, energyWh:5n, bus:1}], [{orderId:2n, meritPrice:20n, energyWh:5n, bus:2}], [{index:1, from:1, to:2, inService:true, flowWh:5}])
 */
export function decomposeTradesOnGrid(
  sellers: readonly GridTradeParty[],
  buyers: readonly GridTradeParty[],
  branches: readonly GridBranch[],
): { trades: Trade[]; routes: Route[]; unmatchedSellWh: bigint; unmatchedBuyWh: bigint } {
  const routes: Route[] = [];
  const route = (s: bigint, b: bigint, wh: bigint, path: number[], residue = false) => {
    if (wh > 0n) routes.push({ sellerOrder: s, buyerOrder: b, energyWh: wh, branches: path, residue });
  };
  // Buses and islands (union-find over in-service branches).
  const busIds = new Set<number>();
  for (const p of [...sellers, ...buyers]) busIds.add(p.bus);
  for (const br of branches) {
    busIds.add(br.from);
    busIds.add(br.to);
  }
  const parent = new Map<number, number>();
  for (const b of busIds) parent.set(b, b);
  const find = (b: number): number => {
    let r = b;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    parent.set(b, r);
    return r;
  };
  for (const br of branches) {
    if (!br.inService) continue;
    const a = find(br.from);
    const c = find(br.to);
    if (a !== c) parent.set(Math.max(a, c), Math.min(a, c));
  }
  // 1. Same bus.
  const sellLeft = new Map<number, { p: GridTradeParty; left: bigint }[]>();
  const buyLeft = new Map<number, { p: GridTradeParty; left: bigint }[]>();
  for (const [list, into, cmp] of [
    [sellers, sellLeft, byMeritSell],
    [buyers, buyLeft, byMeritBuy],
  ] as const) {
    for (const p of [...list].filter((q) => q.energyWh > 0n).sort(cmp)) {
      const at = into.get(p.bus) ?? [];
      at.push({ p, left: p.energyWh });
      into.set(p.bus, at);
    }
  }
  const sortedBuses = [...busIds].sort((a, b) => a - b);
  for (const bus of sortedBuses) {
    const ss = sellLeft.get(bus) ?? [];
    const bs = buyLeft.get(bus) ?? [];
    let i = 0;
    for (const b of bs) {
      while (b.left > 0n && i < ss.length) {
        const s = ss[i]!;
        const q = minBig(s.left, b.left);
        route(s.p.orderId, b.p.orderId, q, []);
        s.left -= q;
        b.left -= q;
        if (s.left === 0n) i++;
      }
    }
  }
  // 2. Along the cleared flows, in topological order of the flow graph.
  interface Packet {
    seller: bigint;
    wh: bigint;
    path: number[];
  }
  const out = new Map<number, { to: number; index: number; f: number }[]>();
  const indeg = new Map<number, number>();
  for (const b of busIds) indeg.set(b, 0);
  for (const br of [...branches].sort((a, b) => a.index - b.index)) {
    if (!br.inService || !(Math.abs(br.flowWh) > 0)) continue;
    const [u, v] = br.flowWh > 0 ? [br.from, br.to] : [br.to, br.from];
    const e = out.get(u) ?? [];
    e.push({ to: v, index: br.index, f: Math.abs(br.flowWh) });
    out.set(u, e);
    indeg.set(v, indeg.get(v)! + 1);
  }
  const ready = sortedBuses.filter((b) => indeg.get(b) === 0);
  const topo: number[] = [];
  while (ready.length > 0) {
    const u = ready.shift()!;
    topo.push(u);
    for (const e of out.get(u) ?? []) {
      const d = indeg.get(e.to)! - 1;
      indeg.set(e.to, d);
      if (d === 0) {
        // Keep `ready` sorted by bus id.
        let k = 0;
        while (k < ready.length && ready[k]! < e.to) k++;
        ready.splice(k, 0, e.to);
      }
    }
  }
  if (topo.length === busIds.size) {
    const queue = new Map<number, Packet[]>();
    for (const bus of topo) {
      const q = queue.get(bus) ?? [];
      const own: Packet[] = (sellLeft.get(bus) ?? [])
        .filter((s) => s.left > 0n)
        .map((s) => ({ seller: s.p.orderId, wh: s.left, path: [] }));
      for (const s of sellLeft.get(bus) ?? []) s.left = 0n;
      q.unshift(...own);
      // Serve this bus's buyers from the front of the queue.
      for (const b of buyLeft.get(bus) ?? []) {
        while (b.left > 0n && q.length > 0) {
          const pk = q[0]!;
          const take = minBig(pk.wh, b.left);
          route(pk.seller, b.p.orderId, take, pk.path);
          pk.wh -= take;
          b.left -= take;
          if (pk.wh === 0n) q.shift();
        }
      }
      // Send the rest down the outgoing branches in proportion to their flows.
      const edges = out.get(bus) ?? [];
      let avail = 0n;
      for (const pk of q) avail += pk.wh;
      if (avail === 0n || edges.length === 0) {
        // Stuck packets (rounding) go back to their sellers for the residue step.
        for (const pk of q) {
          const s = sellers.find((p) => p.orderId === pk.seller)!;
          const entry = sellLeft.get(s.bus)!.find((x) => x.p.orderId === pk.seller)!;
          entry.left += pk.wh;
        }
        continue;
      }
      const shares = apportion(
        avail,
        edges.map((e) => e.f),
      );
      edges.forEach((e, k) => {
        let need = shares[k]!;
        const dest = queue.get(e.to) ?? [];
        while (need > 0n && q.length > 0) {
          const pk = q[0]!;
          const take = minBig(pk.wh, need);
          dest.push({ seller: pk.seller, wh: take, path: [...pk.path, e.index] });
          pk.wh -= take;
          need -= take;
          if (pk.wh === 0n) q.shift();
        }
        queue.set(e.to, dest);
      });
    }
  }
  // 3. Residue: merit order inside each island, never across.
  const islands = new Map<number, { s: GridTradeParty[]; b: GridTradeParty[] }>();
  for (const [m, side] of [
    [sellLeft, 's'],
    [buyLeft, 'b'],
  ] as const) {
    for (const list of m.values()) {
      for (const x of list) {
        if (x.left === 0n) continue;
        const isl = find(x.p.bus);
        const g = islands.get(isl) ?? { s: [], b: [] };
        g[side].push({ ...x.p, energyWh: x.left });
        islands.set(isl, g);
      }
    }
  }
  let unmatchedSellWh = 0n;
  let unmatchedBuyWh = 0n;
  for (const isl of [...islands.keys()].sort((a, b) => a - b)) {
    const g = islands.get(isl)!;
    const r = decomposeTrades(g.s, g.b);
    for (const t of r.trades) route(t.sellerOrder, t.buyerOrder, t.energyWh, [], true);
    unmatchedSellWh += r.unmatchedSellWh;
    unmatchedBuyWh += r.unmatchedBuyWh;
  }
  // Trades: routes merged per (seller, buyer), in order of first appearance.
  const merged = new Map<string, Trade>();
  for (const r of routes) {
    const key = `${r.sellerOrder}:${r.buyerOrder}`;
    const t = merged.get(key);
    if (t) t.energyWh += r.energyWh;
    else merged.set(key, { sellerOrder: r.sellerOrder, buyerOrder: r.buyerOrder, energyWh: r.energyWh });
  }
  return { trades: [...merged.values()], routes, unmatchedSellWh, unmatchedBuyWh };
}
