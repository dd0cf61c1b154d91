// Decomposition of a cleared pool into bilateral trades, by merit order: cleared sellers sorted by
// their merit price ascending (the lowest limit price among the order's steps; ties by order id),
// cleared buyers by their merit price descending (the highest step price; ties by order id), then
// matched greedily from the front of both lists: each trade is min(seller's remaining Wh, buyer's
// remaining Wh). Pure and deterministic; integer Wh in, integer Wh out.

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
