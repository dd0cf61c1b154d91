// The verifier's call arguments for one clearing (contracts/clearing/ClearingVerifier.sol): `begin`'s
// network part, `submitOrders`' chunks of the book with their cleared Wh, and `finish`'s clearing for
// the market (IClearingSink.Clearing: prices and their ranges, flows, per-order Wh, the upstream's
// exchange, the promises' trades split as the native market splits them, and the keccak256 of the
// engine's result and certificate texts as the native ClearingRecorded log carries them).
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

/** One order of a `submitOrders` chunk. */
export interface ClearedOrderArgs {
  id: bigint;
  owner: `0x${string}`;
  bus: bigint;
  side: number;
  steps: BookStep[];
  clearedWh: bigint[];
}

/** `finish`'s argument (IClearingSink.Clearing). */
export interface ClearingArgs {
  interval: bigint;
  busIds: bigint[];
  lmpMicrosPerMWh: bigint[];
  lmpLowMicrosPerMWh: bigint[];
  lmpHighMicrosPerMWh: bigint[];
  branchFlowW: bigint[];
  orderIds: bigint[];
  clearedWh: bigint[];
  upstreamImportWh: bigint;
  upstreamExportWh: bigint;
  trades: { sellerOrder: bigint; buyerOrder: bigint; energyWh: bigint }[];
  resultHash: `0x${string}`;
  certificateHash: `0x${string}`;
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
 * The book with its cleared Wh in chunks of at most `chunkOrders` orders, each with its first position.
 * @example orderChunks(book, cert, 50)[0].first // 0
 */
export function orderChunks(
  book: ClearingBook,
  cert: DcCertificate,
  chunkOrders: number,
): { first: bigint; orders: ClearedOrderArgs[] }[] {
  const out: { first: bigint; orders: ClearedOrderArgs[] }[] = [];
  const size = Math.max(1, Math.floor(chunkOrders));
  for (let k = 0; k < book.orders.length; k += size) {
    out.push({
      first: BigInt(k),
      orders: book.orders.slice(k, k + size).map((o, j) => ({
        id: o.id,
        owner: o.owner,
        bus: o.bus,
        side: o.side === 'sell' ? 1 : 0,
        steps: o.steps,
        clearedWh: cert.clearedWh[k + j]!,
      })),
    });
  }
  return out;
}

/**
 * The clearing the verifier hands the market once the certificate passed: the certificate's prices and
 * flows, each order's Wh, and the promises split along the grid as the native market splits them.
 * @example verifier.write.finish([clearingArgs(net, book, produced, 5)])
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
  return {
    interval: book.interval,
    busIds: net.busIds,
    lmpMicrosPerMWh: cert.lmpMicrosPerMWh,
    lmpLowMicrosPerMWh: result.buses.map((b, i) => rangeEnd(b.lmpLow, cert.lmpMicrosPerMWh[i]!)),
    lmpHighMicrosPerMWh: result.buses.map((b, i) => rangeEnd(b.lmpHigh, cert.lmpMicrosPerMWh[i]!)),
    branchFlowW: cert.flowW,
    orderIds: book.orders.map((o) => o.id),
    clearedWh: wh,
    upstreamImportWh: cert.upstreamSoldWh,
    upstreamExportWh: cert.upstreamBoughtWh,
    trades: trades.map((t) => ({
      sellerOrder: t.sellerOrder,
      buyerOrder: t.buyerOrder,
      energyWh: t.energyWh,
    })),
    resultHash: record.resultHash,
    certificateHash: record.certificateHash,
  };
}
