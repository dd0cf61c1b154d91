// The verifier's call arguments for one clearing (contracts/clearing/ClearingVerifier.sol; docs/evm.md
// "Chunked clearing"): `begin`'s network part; `submitOrders`' chunks of the book with their cleared Wh
// and the trades each order carries; `finish`'s header for the market (IClearingSink.ClearingHeader:
// prices and their ranges, flows, the upstream's exchange, and the keccak256 of the engine's result and
// certificate texts as the native ClearingRecorded log carries them); `applyChunk`'s orders
// (IClearingSink.AppliedOrder: id, cleared Wh, carried trades — the promises, split as the native market
// splits them). Chunks are cut by a gas model so that each transaction fits a block.
import { dollarsPerMWhToMicros } from '@gridledger/base';
import {
  clearedStepPrice,
  decomposeTradesOnGrid,
  encodeCertificateJson,
  encodeClearingRecord,
} from '@gridledger/energy';
import type { BookOrder, BookStep, ClearingBook, DcCertificate, IntegerNetwork } from './format.ts';
import type { ProducedCertificate } from './produce.ts';

/** `begin`'s argument. */
export interface NetworkPartArgs {
  lmpMicrosPerMWh: bigint[];
  flowW: bigint[];
  anglePrad: bigint[];
  muForward: bigint[];
  muBackward: bigint[];
  upstreamSoldWh: bigint;
  upstreamBoughtWh: bigint;
}

/** One promise: seller and buyer order (0 = the upstream) and its Wh (IClearingSink.Trade). */
export interface TradeArgs {
  sellerOrder: bigint;
  buyerOrder: bigint;
  energyWh: bigint;
}

/** One order of a `submitOrders` chunk. */
export interface ClearedOrderArgs {
  id: bigint;
  owner: `0x${string}`;
  bus: bigint;
  side: number;
  steps: BookStep[];
  clearedWh: bigint[];
  /** The trades it carries: a sell order's sales; a buy order's purchases from the upstream. */
  trades: TradeArgs[];
}

/** One order of an `applyChunk` chunk (IClearingSink.AppliedOrder). */
export interface AppliedOrderArgs {
  id: bigint;
  clearedWh: bigint;
  trades: TradeArgs[];
}

/** `finish`'s argument (IClearingSink.ClearingHeader). */
export interface ClearingHeaderArgs {
  interval: bigint;
  busIds: bigint[];
  lmpMicrosPerMWh: bigint[];
  lmpLowMicrosPerMWh: bigint[];
  lmpHighMicrosPerMWh: bigint[];
  branchFlowW: bigint[];
  upstreamImportWh: bigint;
  upstreamExportWh: bigint;
  resultHash: `0x${string}`;
  certificateHash: `0x${string}`;
}

/** The whole clearing: the header and, per open order in book order, its Wh and carried trades. */
export interface ClearingArgs {
  header: ClearingHeaderArgs;
  orders: AppliedOrderArgs[];
}

/**
 * Gas model of one chunk, from measurements on anvil (docs/evm.md "Gas of a clearing") with a margin:
 * the heavier kind is `applyChunk` (payments, a party per owner and bus, an ERC-721 promise per trade;
 * the first clearing of a fresh market writes only new slots: 3 orders, 2 promises, 1,386,081 gas). An
 * upper bound, not an estimate: the apply chunks are the verified chunks, so they must fit. Used to cut
 * chunks that fit a block's gas limit.
 */
export const CHUNK_GAS = {
  /** Fixed cost of a transaction and its calls into the market. */
  base: 400_000n,
  /** Per order applied (escrow, payment, order record, party) and verified (book page, checks). */
  perOrder: 200_000n,
  /** Per step of an order (book page read, hashing, checks). */
  perStep: 12_000n,
  /** Per trade (promise record, ERC-721 mint, the buyer's balance in the verifier). */
  perTrade: 260_000n,
} as const;

/**
 * Chunk ends (positions after each chunk) for `orders`: at most `maxOrders` per chunk and each chunk's
 * modelled gas within `gasBudget` (a single order over the budget is a chunk of its own).
 * @example chunkEnds(orders, 24_000_000n, 100) // [100, 200, 230]
 */
export function chunkEnds(
  orders: readonly { steps: readonly unknown[]; trades: readonly unknown[] }[],
  gasBudget: bigint,
  maxOrders = Number.POSITIVE_INFINITY,
): number[] {
  const ends: number[] = [];
  let start = 0;
  let g = CHUNK_GAS.base;
  for (let k = 0; k < orders.length; k++) {
    const o = orders[k]!;
    const add =
      CHUNK_GAS.perOrder +
      CHUNK_GAS.perStep * BigInt(o.steps.length) +
      CHUNK_GAS.perTrade * BigInt(o.trades.length);
    if (k > start && (g + add > gasBudget || k - start >= maxOrders)) {
      ends.push(k);
      start = k;
      g = CHUNK_GAS.base;
    }
    g += add;
  }
  if (orders.length > start) ends.push(orders.length);
  return ends;
}

/** The stored form of an open price-range end: ±(2^127 − 1), as the native market stores it. */
const OPEN_END = (1n << 127n) - 1n;
const rangeEnd = (p: number | undefined, fallback: bigint) =>
  p === undefined || Number.isNaN(p)
    ? fallback
    : p === Number.POSITIVE_INFINITY
      ? OPEN_END
      : p === Number.NEGATIVE_INFINITY
        ? -OPEN_END
        : dollarsPerMWhToMicros(p);

/**
 * `begin`'s network part of a certificate.
 * @example verifier.write.begin([interval, networkPartArgs(cert)])
 */
export function networkPartArgs(cert: DcCertificate): NetworkPartArgs {
  return {
    lmpMicrosPerMWh: cert.lmpMicrosPerMWh,
    flowW: cert.flowW,
    anglePrad: cert.anglePrad,
    muForward: cert.muForward,
    muBackward: cert.muBackward,
    upstreamSoldWh: cert.upstreamSoldWh,
    upstreamBoughtWh: cert.upstreamBoughtWh,
  };
}

/**
 * The book with its cleared Wh and carried trades in chunks ending at `ends` (positions after each
 * chunk; see {@link chunkEnds}), each with its first position.
 * @example orderChunks(book, cert, clearing, [50, 100])[1].first // 50n
 */
export function orderChunks(
  book: ClearingBook,
  cert: DcCertificate,
  clearing: ClearingArgs,
  ends: readonly number[],
): { first: bigint; orders: ClearedOrderArgs[] }[] {
  const out: { first: bigint; orders: ClearedOrderArgs[] }[] = [];
  let k = 0;
  for (const end of ends) {
    out.push({
      first: BigInt(k),
      orders: book.orders.slice(k, end).map((o, j) => ({
        id: o.id,
        owner: o.owner,
        bus: o.bus,
        side: o.side === 'sell' ? 1 : 0,
        steps: o.steps,
        clearedWh: cert.clearedWh[k + j]!,
        trades: clearing.orders[k + j]!.trades,
      })),
    });
    k = end;
  }
  return out;
}

/** The applied orders in the same chunks (what `applyChunk` sends after the verification). */
export function appliedChunks(clearing: ClearingArgs, ends: readonly number[]): AppliedOrderArgs[][] {
  const out: AppliedOrderArgs[][] = [];
  let k = 0;
  for (const end of ends) {
    out.push(clearing.orders.slice(k, end));
    k = end;
  }
  return out;
}

/**
 * The clearing the verifier hands the market once the certificate passed: the certificate's prices and
 * flows, each order's Wh, and the promises split along the grid as the native market splits them, each
 * carried by its seller order (by its buyer order when the upstream sells); the promises are numbered in
 * book order of their carriers.
 * @example verifier.write.finish([clearingArgs(net, book, produced, 5).header])
 */
export function clearingArgs(
  net: IntegerNetwork,
  book: ClearingBook,
  produced: ProducedCertificate,
  intervalMinutes: number,
): ClearingArgs {
  const { certificate: cert, result } = produced;
  const wh = cert.clearedWh.map((q) => q.reduce((a, b) => a + b, 0n));
  const sellers: { orderId: bigint; meritPrice: bigint; energyWh: bigint; bus: number }[] = [];
  const buyers: typeof sellers = [];
  book.orders.forEach((o: BookOrder, k) => {
    if (wh[k]! === 0n) return;
    const merit = clearedStepPrice(
      { side: o.side, steps: o.steps } as Parameters<typeof clearedStepPrice>[0],
      result.orders[k]!.clearedSteps,
    );
    (o.side === 'sell' ? sellers : buyers).push({
      orderId: o.id,
      meritPrice: merit,
      energyWh: wh[k]!,
      bus: Number(o.bus),
    });
  });
  const up = book.upstream;
  if (cert.upstreamSoldWh > 0n)
    sellers.push({
      orderId: 0n,
      meritPrice: up.sell.priceMicrosPerMWh,
      energyWh: cert.upstreamSoldWh,
      bus: Number(up.bus),
    });
  if (cert.upstreamBoughtWh > 0n)
    buyers.push({
      orderId: 0n,
      meritPrice: up.buy.priceMicrosPerMWh,
      energyWh: cert.upstreamBoughtWh,
      bus: Number(up.bus),
    });
  const { trades } = decomposeTradesOnGrid(
    sellers,
    buyers,
    result.branches.map((b, l) => ({
      index: b.index,
      from: b.from,
      to: b.to,
      inService: net.branches[l]!.inService,
      flowWh: (b.flowMw * intervalMinutes * 1e6) / 60,
    })),
  );
  const record = encodeClearingRecord(
    {
      welfare: result.welfare,
      congestionRent: result.congestionRent,
      buses: result.buses,
      branches: result.branches,
      orders: result.orders.map((o) => ({ id: o.id, cleared: o.cleared, price: o.price })),
    },
    encodeCertificateJson(result.certificate),
  );
  const carried = new Map<bigint, TradeArgs[]>();
  for (const t of trades) {
    const carrier = t.sellerOrder !== 0n ? t.sellerOrder : t.buyerOrder;
    const list = carried.get(carrier) ?? [];
    list.push({ sellerOrder: t.sellerOrder, buyerOrder: t.buyerOrder, energyWh: t.energyWh });
    carried.set(carrier, list);
  }
  return {
    header: {
      interval: book.interval,
      busIds: net.busIds,
      lmpMicrosPerMWh: cert.lmpMicrosPerMWh,
      lmpLowMicrosPerMWh: result.buses.map((b, i) => rangeEnd(b.lmpLow, cert.lmpMicrosPerMWh[i]!)),
      lmpHighMicrosPerMWh: result.buses.map((b, i) => rangeEnd(b.lmpHigh, cert.lmpMicrosPerMWh[i]!)),
      branchFlowW: cert.flowW,
      upstreamImportWh: cert.upstreamSoldWh,
      upstreamExportWh: cert.upstreamBoughtWh,
      resultHash: record.resultHash,
      certificateHash: record.certificateHash,
    },
    orders: book.orders.map((o, k) => ({ id: o.id, clearedWh: wh[k]!, trades: carried.get(o.id) ?? [] })),
  };
}
