// The second settlement's real-time prices on an EVM chain (docs/evm.md "The second settlement"): the
// contracts cannot run the optimisation, so the market serves the metered state of a cleared interval as
// a fixed-injection book (RealtimeBook: per bus a sell at the price floor or a buy at the price cap for its
// metered net injection, the upstream unbounded at its tariffs — the book the native dcRealtimePrices
// solves), and an operator clears that book with the same engine and submits the integer DC-OPF
// certificate to a second ClearingVerifier whose market is the RealtimeBook. The verifier checks it as it
// checks a clearing and hands the prices to the book, which keeps them clamped into [floor, cap]; the
// market's settle(k) reads them. With a negative price floor the book serves every price shifted up by
// its priceOffsetMicrosPerMWh (−floor; the DC-OPF's dispatch is the same, its prices move by the offset):
// the certificate is in the shifted prices, and the book shifts them back.
import type { Abi, Address } from 'viem';
import type { CertificateTolerances, IntegerNetwork } from '../certificate/format.ts';
import { produceDcCertificate } from '../certificate/produce.ts';
import { deployVerifier, type SubmissionGas, submitClearing } from '../certificate/verifier-client.ts';
import { deployContract, type EvmClients, sendCall } from '../deploy.ts';
import { MarketAbi } from '../generated/Market.ts';
import { RealtimeBookAbi, RealtimeBookBytecode } from '../generated/RealtimeBook.ts';
import { marketIntervalMinutes, readBook, readNetwork, verifierNetwork } from './operator.ts';

/** Where a market's real-time pricing lives: its RealtimeBook and the verifier that checks it. */
export interface RealtimeContracts {
  book: Address;
  verifier: Address;
}

/**
 * Deploys the market's RealtimeBook and its ClearingVerifier (the same integer network as the clearing's),
 * and names the book in the market (`setRealtimePricer`: the market's deployer, once).
 * @example const rt = await deployRealtimePricer(clients, market, { networkVersion, network, intervalMinutes: 5, tolerances });
 */
export async function deployRealtimePricer(
  c: EvmClients,
  market: Address,
  o: {
    networkVersion: bigint;
    network: IntegerNetwork;
    intervalMinutes: number;
    tolerances: CertificateTolerances;
  },
): Promise<RealtimeContracts & { gasUsed: bigint }> {
  const book = await deployContract(c, RealtimeBookAbi as Abi, RealtimeBookBytecode, [market]);
  const v = await deployVerifier(c, { market: book.address, ...o });
  const a = await sendCall(c, book.address, RealtimeBookAbi as Abi, 'setVerifier', [v.address]);
  const b = await sendCall(c, market, MarketAbi as Abi, 'setRealtimePricer', [book.address]);
  return {
    book: book.address,
    verifier: v.address,
    gasUsed: book.gasUsed + v.gasUsed + a.gasUsed + b.gasUsed,
  };
}

/** What pricing one interval in real time did. */
export interface RealtimePricing {
  interval: bigint;
  /** Buses with a metered net injection (the book's orders). */
  orders: number;
  /** The certified prices per bus (the verifier's bus order) shifted back by the book's offset, µ$/MWh, before its clamping. */
  lmpMicrosPerMWh: bigint[];
  gas: SubmissionGas;
}

/**
 * Prices interval `k` in real time: clears its fixed-injection book with the engine (an empty book too:
 * no metered injection still has prices, the upstream's) and submits the certificate.
 * @throws InputError when the verifier rejects it (its error's name in the message): before the readings
 * are final (GateNotClosed), an interval not cleared or already priced (IntervalNotOpen).
 */
export async function submitRealtimePrices(
  c: EvmClients,
  rt: RealtimeContracts,
  k: bigint,
): Promise<RealtimePricing> {
  const contracts = { market: rt.book, verifier: rt.verifier };
  const minutes = await marketIntervalMinutes(c, rt.book);
  const book = await readBook(c, contracts, k);
  const registry = (await c.public.readContract({
    address: rt.book,
    abi: RealtimeBookAbi as Abi,
    functionName: 'registry',
  })) as Address;
  const { network } = await readNetwork(c, registry);
  const net = await verifierNetwork(c, rt.verifier, network, minutes);
  const produced = await produceDcCertificate(network, net, book, minutes);
  const gas = await submitClearing(c, rt.verifier, net, book, produced, minutes);
  const offset = (await c.public.readContract({
    address: rt.book,
    abi: RealtimeBookAbi as Abi,
    functionName: 'priceOffsetMicrosPerMWh',
  })) as bigint;
  return {
    interval: k,
    orders: book.orders.length,
    lmpMicrosPerMWh: produced.certificate.lmpMicrosPerMWh.map((p) => p - offset),
    gas,
  };
}
