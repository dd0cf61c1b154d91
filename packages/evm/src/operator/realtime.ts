// The second settlement's real-time prices on an EVM chain (docs/evm.md "The second settlement"): the
// contracts cannot run the optimisation, so the market serves the metered state of a cleared interval as
// a fixed-injection book (RealtimeBook: per bus a sell at the price floor or a buy at the price cap for its
// metered net injection, the upstream unbounded at its tariffs — the book the native dcRealtimePrices
// solves), and an operator clears that book with the same engine and submits the integer DC-OPF
// certificate to a second ClearingVerifier whose market is the RealtimeBook. The verifier checks it as it
// checks a clearing and hands the prices to the book, which keeps them clamped into [floor, cap]; the
// market's settle(k) reads them.
import type { Abi, Address } from 'viem';
import type { CertificateTolerances, IntegerNetwork } from '../certificate/format.ts';
import { deployVerifier } from '../certificate/verifier-client.ts';
import { deployContract, type EvmClients, sendCall } from '../deploy.ts';
import { MarketAbi } from '../generated/Market.ts';
import { RealtimeBookAbi, RealtimeBookBytecode } from '../generated/RealtimeBook.ts';
import { clearIntervalOnChain, type IntervalClearing } from './operator.ts';

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

/**
 * Prices interval `k` in real time: clears its fixed-injection book with the engine and submits the
 * certificate. Undefined when the book is empty (no metered injection: the forward prices stand in).
 * @throws InputError when the verifier rejects the certificate (its error's name in the message), e.g.
 * before the readings are final (GateNotClosed) or when the interval is already priced (IntervalNotOpen).
 */
export async function submitRealtimePrices(
  c: EvmClients,
  rt: RealtimeContracts,
  k: bigint,
): Promise<IntervalClearing | undefined> {
  return clearIntervalOnChain(c, { market: rt.book, verifier: rt.verifier }, k);
}
