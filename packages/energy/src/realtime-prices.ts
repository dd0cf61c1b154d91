// Real-time (ex-post) nodal prices of an interval from its metered state, for the second settlement.
// The method (docs/market-rules.md §10a), DC model: a DC-OPF in which every bus's metered net injection
// is an order that must clear unless the network cannot carry it (an injection is a sell at the price
// floor, a withdrawal a buy at the price cap), and the upstream connection balances the rest at its
// tariffs (offer at the import price, bid at the export price, unbounded). Where the metered state is
// feasible, every fixed order clears and the prices are the upstream's marginal tariff, shifted by the
// congestion of lines the metered flows hold at their limits; where it is not (metered flows above a
// limit), the LP curtails the fixed orders behind the overloaded line, and those buses are priced at the
// floor (injections the line could not carry) or the cap (withdrawals it could not serve). The prices are
// the nodal balance duals (the engine's midpoint where they are not unique), clamped into [floor, cap].
// Why this and not the forward book: ex-post prices must reflect what was delivered, and the only
// real-time resource on the chain is the upstream connection; the metered parties are price takers.
// The pricer is a function behind a small signature; a market configured `pricing: 'ac'` prices with the
// AC model instead (acRealtimePrices: the same fixed-injection book solved by the AC-OPF on the network
// with its resistances, charging and voltage limits, so losses raise prices along a feeder; the integer
// certificate is built and checked, and its LMPs, rounded once to µ$/MWh, are the prices).
import { dollarsPerMWhToMicros, microsPerMWhToDollars } from '@gridledger/base';
import type { Network } from '@gridledger/grid';
import {
  buildAcCertificate,
  clearNetwork,
  clearNetworkAc,
  type Order,
  verifyAcCertificate,
} from '@gridledger/market';
import { acNetworkAt } from './clearing-ac.ts';
import { type MarketConfig, pricingOf } from './config.ts';
import { maxBig, minBig } from './words.ts';

/** What a real-time pricer needs: the network, the metered state and the price bounds. */
export interface RealtimePricingInput {
  /** The network with the limits in force at delivery. */
  network: Network;
  /** Metered net injection per bus, MW over the interval (export − import of the parties there). */
  injectionMw: ReadonlyMap<number, number>;
  upstream: { bus: number; importPriceMicrosPerMWh: bigint; exportPriceMicrosPerMWh: bigint };
  priceCapMicrosPerMWh: bigint;
  priceFloorMicrosPerMWh: bigint;
}

/** Real-time price per bus, µ$/MWh within [floor, cap]; `ok: false` with a reason when it cannot price. */
export type RealtimePrices =
  | {
      ok: true;
      pricesMicrosPerMWh: Map<number, bigint>;
      /** The model's losses at the metered state, W (AC only; the DC model has none). */
      lossesW?: bigint;
    }
  | { ok: false; reason: string };

/** A real-time pricing model (DC or AC, chosen by the market's `pricing`: realtimePricerOf). */
export type RealtimePricer = (input: RealtimePricingInput) => Promise<RealtimePrices>;

const FIXED_ID = (bus: number) => `rt-bus-${bus}`;

/**
 * DC real-time prices: the fixed-injection DC-OPF described above.
 * @example const rt = await dcRealtimePrices({ network, injectionMw, upstream, priceCapMicrosPerMWh, priceFloorMicrosPerMWh })
 */
export const dcRealtimePrices: RealtimePricer = async (input) => {
  const result = await clearNetwork(input.network, fixedInjectionBook(input));
  if (result.status !== 'optimal') return { ok: false, reason: `real-time DC-OPF ended ${result.status}` };
  const prices = new Map<number, bigint>();
  for (const b of result.buses) {
    prices.set(b.id, clampPrice(input, dollarsPerMWhToMicros(Number.isFinite(b.lmp) ? b.lmp : 0)));
  }
  return { ok: true, pricesMicrosPerMWh: prices };
};

/**
 * AC real-time prices: the same fixed-injection book solved by the AC-OPF (clearNetworkAc) on the network
 * with its AC data, the upstream bus as the reference with its reactive source (clearing-ac.ts
 * acNetworkAt). A pure function of its input: a fresh solve, no state carried over. The integer
 * certificate is built and checked (verifyAcCertificate) like the forward clearing's; its LMPs (µ$/MWh,
 * the one rounding boundary) clamped into [floor, cap] are the prices, its losses the model's losses.
 * Any failure (upstream bus not the reference, not optimal, rejected certificate) is `ok: false`: the
 * settlement then uses the forward prices (realtimePriced false).
 * @example const rt = await acRealtimePrices({ network, injectionMw, upstream, priceCapMicrosPerMWh, priceFloorMicrosPerMWh })
 */
export const acRealtimePrices: RealtimePricer = async (input) => {
  const network = acNetworkAt(input.network, input.upstream.bus);
  if (typeof network === 'string') return { ok: false, reason: `real-time AC-OPF: ${network}` };
  const orders = fixedInjectionBook(input);
  let ac: Awaited<ReturnType<typeof clearNetworkAc>>;
  try {
    ac = await clearNetworkAc(network, orders);
  } catch (e) {
    return { ok: false, reason: `real-time AC-OPF error: ${(e as Error).message}` };
  }
  if (ac.status !== 'optimal')
    return { ok: false, reason: `real-time AC-OPF ended ${ac.status}${ac.reason ? `: ${ac.reason}` : ''}` };
  const cert = buildAcCertificate(network, ac.opf);
  const check = verifyAcCertificate(network, orders, cert);
  if (!check.ok)
    return {
      ok: false,
      reason: `real-time AC certificate rejected: ${check.failures.slice(0, 2).join('; ')}`,
    };
  const prices = new Map<number, bigint>();
  for (const b of cert.buses) prices.set(b.id, clampPrice(input, b.lmp));
  return { ok: true, pricesMicrosPerMWh: prices, lossesW: cert.lossesW };
};

/** The real-time pricer of a market: AC when it is configured `pricing: 'ac'`, else DC. */
export const realtimePricerOf = (config: MarketConfig): RealtimePricer =>
  pricingOf(config) === 'ac' ? acRealtimePrices : dcRealtimePrices;

const clampPrice = (input: RealtimePricingInput, p: bigint) =>
  maxBig(input.priceFloorMicrosPerMWh, minBig(input.priceCapMicrosPerMWh, p));

/**
 * The fixed-injection book: per bus with a metered net injection, a sell at the floor (injection) or a buy
 * at the cap (withdrawal), in bus order; then the upstream offer (import price) and bid (export price),
 * each for everything the buses inject or withdraw plus 1 MW, so it is never exhausted.
 */
function fixedInjectionBook(input: RealtimePricingInput): Order[] {
  const cap = microsPerMWhToDollars(input.priceCapMicrosPerMWh);
  const floor = microsPerMWhToDollars(input.priceFloorMicrosPerMWh);
  const orders: Order[] = [];
  let total = 0;
  for (const b of input.network.buses) {
    const x = input.injectionMw.get(b.id) ?? 0;
    if (x === 0) continue;
    total += Math.abs(x);
    orders.push({
      id: FIXED_ID(b.id),
      bus: b.id,
      side: x > 0 ? 'sell' : 'buy',
      steps: [{ price: x > 0 ? floor : cap, quantity: Math.abs(x) }],
    });
  }
  const upMw = total + 1;
  orders.push(
    {
      id: 'rt-upstream-offer',
      bus: input.upstream.bus,
      side: 'sell',
      steps: [{ price: microsPerMWhToDollars(input.upstream.importPriceMicrosPerMWh), quantity: upMw }],
    },
    {
      id: 'rt-upstream-bid',
      bus: input.upstream.bus,
      side: 'buy',
      steps: [{ price: microsPerMWhToDollars(input.upstream.exportPriceMicrosPerMWh), quantity: upMw }],
    },
  );
  return orders;
}
